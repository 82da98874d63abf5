#!/bin/sh
# An integration test (once per broker, BK_TEST_* in the environment): flood at 10 KB with
# more messages than the client's 64 MiB output buffer holds (8000 of 10 KB is 80 MB a
# burst) loses nothing. A send that finds the buffer full waits for room (doc/api.md
# "Flow"); it once failed with BK_ELIMIT and such a burst lost thousands.
set -eu
: "${B:=build}"
st=$(mktemp -d "${TMPDIR:-/tmp}/bk-itest-flood.XXXXXX")
trap 'rm -rf "$st"' EXIT
cat > "$st/bus.config.json" <<J
[ { "bus-id": "backend", "host": "$BK_TEST_HOST", "port": $BK_TEST_PORT, "vhost": "$BK_TEST_VHOST",
    "user": "$BK_TEST_USER", "pass": "$BK_TEST_PASS", "default": true } ]
J
"$B/bin/flood" --config-dir "$st" -n 8000 --sizes 10
