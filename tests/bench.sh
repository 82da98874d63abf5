#!/bin/sh
# make bench: starts every available broker at once, then runs each bench program once with
# BK_BENCH_TARGETS="NAME=HOST:PORT:VHOST:USER:PASS ..." so that one program measures a figure
# on every broker in the same run and prints the figures side by side; then
# tests/bench/flood_vs_perl.sh prints flood's table beside Perl Beekeeper 0.02's.
# Usage: B=build sh tests/bench.sh BENCH_PROGRAM...
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/.." && pwd)
brokers=${BK_BENCH_BROKERS:-bkpr-broker rabbitmq}
states=
targets=
cleanup() {
  for s in $states; do sh "$top/tests/brokers/${s%%=*}.sh" stop "${s#*=}" >/dev/null 2>&1; rm -rf "${s#*=}"; done
}
trap cleanup EXIT INT TERM

notes=
for br in $brokers; do
  st=$(mktemp -d "${TMPDIR:-/tmp}/bk-bench-$br.XXXXXX")
  states="$states $br=$st"
  if sh "$top/tests/brokers/$br.sh" start "$st" >"$st/start.log" 2>&1; then
    t=$( . "$st/env"; echo "$BK_TEST_BROKER=$BK_TEST_HOST:$BK_TEST_PORT:$BK_TEST_VHOST:$BK_TEST_USER:$BK_TEST_PASS")
    targets="$targets $t"
  else
    notes="$notes
note: $br could not start: $(tail -n 1 "$st/start.log")"
  fi
done
export BK_BENCH_TARGETS="${targets# }"
export BK_BENCH_BROKER_BIN="$top/$B/bin/bkpr-broker"

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "brokers: ${BK_BENCH_TARGETS:-none}$notes"
echo
echo "| figure | measured | compared against (same run) | aim |"
echo "|---|---|---|---|"
rc=0
for prog in "$@"; do
  "$prog" || { echo "| $(basename "$prog") | FAILED (exit $?) | | |"; rc=1; }
done

# Last, Perl Beekeeper 0.02's flood beside ours: it starts its own brokers (a ToyBroker, a
# bkpr-broker), so the ones above are stopped first, not to idle beside it.
cleanup
states=
echo
sh "$top/tests/bench/flood_vs_perl.sh" || rc=1
exit $rc
