#!/bin/sh
# Golden tests of bkpr-gen's front end, byte for byte, run by make check (from the top of the
# tree, with B set to the build folder):
#   tests/idl/X.bkidl + X.model.json   `bkpr-gen --model -I tests/idl X.bkidl` prints exactly
#                                      X.model.json and exits 0;
#   tests/idl/X.bkidl + X.diag         it prints exactly X.diag on stderr, nothing on stdout,
#                                      and exits 1, and writes no file with -o;
#   tests/idl/X.bkidl + golden/X/      `bkpr-gen --skeleton -o DIR -I tests/idl X.bkidl`
#                                      writes exactly the files of golden/X/, byte for byte;
#                                      a second run leaves them untouched (same mtime).
#   tests/idl/compat/X.bkidl + X.diag  `bkpr-gen --check-compat compat/old.bkidl X.bkidl`
#                                      prints exactly X.diag on stderr and exits 1 when it
#                                      is not empty (breaking changes), 0 when it is.
# To refresh the expected files on purpose (then review the diff before committing):
#   BK_UPDATE_GOLDEN=1 B=build sh tests/idl/golden.sh
set -u
: "${B:=build}"
cd "$(dirname "$0")/../.." || exit 1
gen=$B/bin/bkpr-gen
[ -x "$gen" ] || { echo "golden.sh: $gen is not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for src in tests/idl/*.bkidl; do
  base=${src%.bkidl}
  name=$(basename "$base")
  "$gen" --model -I tests/idl "$src" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ -f "$base.diag" ]; then
    want=$base.diag got=$tmp/err want_rc=1 other=$tmp/out
  elif [ -f "$base.model.json" ] || [ "${BK_UPDATE_GOLDEN:-}" = 1 ]; then
    want=$base.model.json got=$tmp/out want_rc=0 other=$tmp/err
  else
    echo "FAIL $name: no $base.model.json or $base.diag"; fail=$((fail + 1)); continue
  fi
  if [ "${BK_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$got" "$want"; echo "updated $want"; continue
  fi
  if [ "$rc" = "$want_rc" ] && cmp -s "$got" "$want" && [ ! -s "$other" ]; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name (exit $rc, expected $want_rc)"
    diff -u "$want" "$got" | head -40
    sed 's/^/  | /' "$other" | head -10
  fi
done
# The generated C.
for src in tests/idl/*.bkidl; do
  base=${src%.bkidl}
  name=$(basename "$base")
  out=$tmp/gen-$name
  mkdir -p "$out"
  "$gen" --skeleton -o "$out" -I tests/idl "$src" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ -f "$base.diag" ]; then
    if [ "$rc" = 1 ] && [ -z "$(ls -A "$out")" ]; then
      pass=$((pass + 1)); echo "ok   $name: no file written"
    else
      fail=$((fail + 1)); echo "FAIL $name: exit $rc, files: $(ls "$out")"
    fi
    continue
  fi
  want=tests/idl/golden/$name
  if [ "${BK_UPDATE_GOLDEN:-}" = 1 ]; then
    rm -rf "$want"; mkdir -p "$want"; cp "$out"/* "$want"/; echo "updated $want/"; continue
  fi
  if [ "$rc" != 0 ] || [ ! -d "$want" ]; then
    fail=$((fail + 1)); echo "FAIL $name: exit $rc or no $want"; sed 's/^/  | /' "$tmp/err"
    continue
  fi
  if diff -r "$want" "$out" >"$tmp/diff"; then
    touch -d '2001-01-01' "$out"/*
    "$gen" --skeleton -o "$out" -I tests/idl "$src" >/dev/null 2>&1
    newer=$(find "$out" -type f -newermt '2001-01-02' | head -1)
    if [ -z "$newer" ]; then
      pass=$((pass + 1)); echo "ok   $name: generated C"
    else
      fail=$((fail + 1)); echo "FAIL $name: a second run rewrote $newer"
    fi
  else
    fail=$((fail + 1)); echo "FAIL $name: generated C differs from $want"; head -40 "$tmp/diff"
  fi
done
# Compatibility of each new file with compat/old.bkidl.
for src in tests/idl/compat/*.bkidl; do
  base=${src%.bkidl}
  name=compat/$(basename "$base")
  [ "$name" = compat/old ] && continue
  "$gen" --check-compat tests/idl/compat/old.bkidl "$src" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "${BK_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$tmp/err" "$base.diag"; echo "updated $base.diag"; continue
  fi
  want_rc=0
  [ -s "$base.diag" ] && want_rc=1
  if [ "$rc" = "$want_rc" ] && cmp -s "$tmp/err" "$base.diag" && [ ! -s "$tmp/out" ]; then
    pass=$((pass + 1)); echo "ok   $name"
  else
    fail=$((fail + 1)); echo "FAIL $name (exit $rc, expected $want_rc)"
    diff -u "$base.diag" "$tmp/err" | head -40
  fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
