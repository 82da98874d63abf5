#!/bin/sh
# Fails when the shared library exports anything but bk_* functions and data.
set -eu
bad=$(nm -D --defined-only "$1" | awk '$3 !~ /^bk_/ && $2 ~ /[TDBR]/ {print $3}')
if [ -n "$bad" ]; then
  echo "check-exports: $1 exports symbols outside the public API:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "check-exports: only bk_* symbols are exported"
