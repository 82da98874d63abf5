#!/bin/sh
# The flood example runs (small) against a private bkpr-broker and loses nothing:
# flood exits non-zero when a message failed or was lost.
set -eu
: "${B:=build}"
st=$(mktemp -d "${TMPDIR:-/tmp}/bk-flood.XXXXXX")
trap 'sh tests/brokers/bkpr-broker.sh stop "$st" >/dev/null 2>&1; rm -rf "$st"' EXIT
sh tests/brokers/bkpr-broker.sh start "$st" >/dev/null
. "$st/env"
cat > "$st/bus.config.json" <<J
[ { "bus-id": "backend", "host": "$BK_TEST_HOST", "port": $BK_TEST_PORT, "vhost": "$BK_TEST_VHOST",
    "user": "$BK_TEST_USER", "pass": "$BK_TEST_PASS", "default": true } ]
J
"$B/bin/flood" --config-dir "$st" -n 300 --sizes 0,1,10
# Three workers share the jobs: "sent and run" waits for their shared count.
"$B/bin/flood" --config-dir "$st" -n 300 --sizes 0 --workers 3 > "$st/workers3.txt"
grep -q "3 echo workers" "$st/workers3.txt"
"$B/bin/flood" --help | grep -q usage
if "$B/bin/flood" -n 0 2>/dev/null; then echo "flood -n 0 was accepted"; exit 1; fi
if "$B/bin/flood" --workers 0 2>/dev/null; then echo "flood --workers 0 was accepted"; exit 1; fi
