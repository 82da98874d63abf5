#!/bin/sh
# make bench, last table: Perl Beekeeper 0.02's flood beside ours, in the same run, with the
# same number of echo workers (8, the size of its example's TestWorker pool):
#   1. its examples/flood/flood.pl -b on its own ToyBroker (what its users run);
#   2. our flood (build/bin/flood --workers 8) on a private bkpr-broker;
#   3. the same flood.pl -b against that bkpr-broker.
# It prints one markdown table with every row at 0, 1, 5 and 10 KB and the ratio
# ours / Perl-on-ToyBroker; doc/building.md says what each row measures.
#
# The Perl tree is extracted at run time from ../shared/peers (beside the checkout) into a
# temporary folder; its code is never part of ours. Without that folder, or without its Debian
# packages (mk/deps.sh bench installs them as root), it says so and skips.
# Its bin/bkpr and examples/flood/flood.pl start with "#!/usr/bin/perl -wT", under which its STOMP
# client cannot take a "port" from its config; they run here without -T (their first line
# dropped), so that the ToyBroker and bkpr-broker can listen on free ports.
# Every process it starts is stopped on the way out, also on failure or interruption.
# Usage: B=build sh tests/bench/flood_vs_perl.sh
#   BK_BENCH_FLOOD_N: messages of each kind per row (default 2000)
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/../.." && pwd)
# BK_BENCH_PEERS, else ../shared/peers beside the checkout, else (in a git worktree of it)
# beside the main checkout.
peers=${BK_BENCH_PEERS:-$top/../shared/peers}
if [ ! -d "$peers" ] && [ -z "${BK_BENCH_PEERS:-}" ]; then
  common=$(git -C "$top" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) &&
    [ -d "$common/../../shared/peers" ] && peers=$(cd "$common/../../shared/peers" && pwd)
fi
tarball=$peers/beekeeper-0.02.tar.gz
n=${BK_BENCH_FLOOD_N:-2000}
workers=8
case $n in
  ''|*[!0-9]*|0) echo "flood_vs_perl.sh: BK_BENCH_FLOOD_N must be a count, not '$n'" >&2; exit 2 ;;
esac

[ -x "$top/$B/bin/flood" ] || { echo "flood_vs_perl.sh: $B/bin/flood is not built" >&2; exit 1; }
if [ ! -f "$tarball" ]; then
  echo "flood vs Perl Beekeeper 0.02: skipped, $tarball is absent (a clone without ../shared/peers)"
  exit 0
fi
if ! sh "$top/mk/deps.sh" bench; then
  echo "flood vs Perl Beekeeper 0.02: skipped, its Perl packages are missing (see above)"
  exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bk-bench-perl.XXXXXX")
pool=        # the pid of the Perl pool's master, leader of its own process group
child=       # a flood running (under timeout, leader of its own process group)
cleanup() {
  [ -z "$child" ] || { kill -TERM "-$child" 2>/dev/null; wait "$child" 2>/dev/null; }
  stop_pool
  sh "$top/tests/brokers/bkpr-broker.sh" stop "$tmp/broker" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# TERM asks the master to stop its workers and wait for them; what is left after 10 s is
# KILLed, the whole group at once.
stop_pool() {
  [ -n "$pool" ] || return 0
  kill -TERM "$pool" 2>/dev/null
  i=0
  while kill -0 "$pool" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "-$pool" 2>/dev/null
  wait "$pool" 2>/dev/null
  pool=
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_pool CONFIG-DIR: its bkpr in the foreground, with 8 TestWorkers; returns once its
# master has forked all of its workers (8, a Supervisor, a Sinkhole and, with use_toybroker,
# the ToyBroker) and they have had a second to connect. flood.pl sends its four rows of
# notifications (no worker needed) and sleeps 4 s before its first job.
start_pool() {
  BEEKEEPER_CONFIG_DIR=$1 setsid perl "$tmp/bkpr.pl" --foreground --pool-id bench start \
    >"$1/pool.log" 2>&1 &
  pool=$!
  want=$((workers + 2 + $(grep -c '"use_toybroker": 1' "$1/pool.config.json")))
  i=0
  while [ "$(ps -o pid= --ppid "$pool" | wc -l)" -lt "$want" ]; do
    i=$((i + 1))
    if [ $i -gt 150 ] || ! kill -0 "$pool" 2>/dev/null; then
      echo "the Perl pool did not start:"; tail -n 20 "$1/pool.log"; return 1
    fi
    sleep 0.1
  done
  sleep 1
}

# bounded OUT CMD...: CMD under timeout, its output to OUT. In the background, waited for,
# so that INT or TERM reaches the trap at once, not when CMD is done.
bounded() {
  out=$1; shift
  timeout 150 "$@" >"$out" 2>&1 &
  child=$!
  wait "$child"
  set -- $?
  child=
  return "$1"
}

# perl_run CONFIG-DIR: the Perl pool, its flood.pl -b -c N (output in CONFIG-DIR/flood.txt),
# the pool stopped; a failure adds CONFIG-DIR to $fail.
perl_run() {
  export BEEKEEPER_CONFIG_DIR="$1"
  if ! start_pool "$1" || ! bounded "$1/flood.txt" perl "$tmp/flood.pl" -b -c "$n" ||
     ! grep -q ' /sec ' "$1/flood.txt"; then
    fail="$fail $1"
  fi
  stop_pool
}

# bus.config.json + pool.config.json for one Perl pool: bus_pool DIR PORT USER PASS VHOST TOY
bus_pool() {
  mkdir -p "$1"
  cat >"$1/bus.config.json" <<J
[ { "bus-id": "backend", "host": "127.0.0.1", "port": $2, "user": "$3", "pass": "$4",
    "vhost": "$5", "default": true } ]
J
  cat >"$1/pool.config.json" <<J
[ { "pool-id": "bench", "bus-id": "backend", "use_toybroker": $6, "pidfile": "$1/bkpr.pid",
    "workers": { "TestWorker": { "workers_count": $workers } } } ]
J
}

tar xzf "$tarball" -C "$tmp" || exit 1
tree=$tmp/beekeeper-0.02
# As root its pool drops to nobody, which must be able to read the tree.
chmod 755 "$tmp"
tail -n +2 "$tree/bin/bkpr" >"$tmp/bkpr.pl"
tail -n +2 "$tree/examples/flood/flood.pl" >"$tmp/flood.pl"
export PERL5LIB="$tree/examples/flood/lib:$tree/lib"

fail=
t0=$(date +%s)
# 1. Perl on its ToyBroker
toy=$(free_port)
bus_pool "$tmp/toy" "$toy" test abc123 /test 1
cat >"$tmp/toy/toybroker.config.json" <<J
{ "listen_addr": "127.0.0.1", "listen_port": $toy, "users": { "test": { "password": "abc123" } } }
J
perl_run "$tmp/toy"

t1=$(date +%s)
# 2. ours, on bkpr-broker
if ! sh "$top/tests/brokers/bkpr-broker.sh" start "$tmp/broker" >"$tmp/broker.start" 2>&1; then
  cat "$tmp/broker.start"; exit 1
fi
. "$tmp/broker/env"
bus_pool "$tmp/bk" "$BK_TEST_PORT" "$BK_TEST_USER" "$BK_TEST_PASS" "$BK_TEST_VHOST" 0
bounded "$tmp/ours.txt" "$top/$B/bin/flood" --config-dir "$tmp/bk" -n "$n" --workers "$workers"
ours_rc=$?
t2=$(date +%s)

# 3. Perl on bkpr-broker
perl_run "$tmp/bk"
t3=$(date +%s)

touch "$tmp/toy/flood.txt" "$tmp/bk/flood.txt"
echo "Flood beside Perl Beekeeper 0.02, same run: $workers echo workers each, $n messages of each"
echo "kind per row, messages per second (ours: flood --workers $workers on bkpr-broker); it took"
echo "$((t3 - t0)) s: Perl on ToyBroker $((t1 - t0)) s, ours $((t2 - t1)) s, Perl on bkpr-broker $((t3 - t2)) s."
echo
# Each input line becomes "SIDE|ROW|KB|PER-SECOND|LOST".
{
  for side in toy bk; do
    # "2000 sync jobs        of   0 Kb  in  1.448 sec    1381 /sec   0.72 ms each"
    awk -v side="perl-$side" '/ of .* Kb .* \/sec / {
        for (i = 1; $i != "of"; i++) {}
        for (j = i; $(j + 1) != "/sec"; j++) {}
        r = "background jobs sent"
        if ($2 == "notifications") r = "notifications sent"
        if ($2 == "sync") r = "sync calls"
        if ($2 == "async") r = "async calls"
        print side "|" r "|" $(i + 1) "|" $j "|" }' "$tmp/$side/flood.txt"
  done
  awk -F'|' '$3 ~ /KB/ { gsub(/^ +| +$/, "", $2); split($3, s, " ");
      print "ours|" $2 "|" s[1] "|" $6 + 0 "|" $8 + 0 }' "$tmp/ours.txt"
} | awk -F'|' '
  function rate(x,   s, out) {
    if (x + 0 <= 0) return "-"
    for (s = sprintf("%.0f", x); length(s) > 3; s = substr(s, 1, length(s) - 3))
      out = "," substr(s, length(s) - 2) out
    return s out }
  function mine(r, kb,   s) {
    s = rate(v["ours", r, kb])
    if (lost["ours", r, kb] > 0) s = s " (" lost["ours", r, kb] " lost)"
    return s }
  { v[$1, $2, $3] = $4; lost[$1, $2, $3] = $5 }
  END {
    split("0 1 5 10", kb, " ")
    split("sync calls|async calls|background jobs sent|notifications sent", row, "|")
    twin["background jobs sent"] = "background jobs sent and run"
    twin["notifications sent"] = "notifications sent and received"
    print "| row | size | ours | Perl on ToyBroker | Perl on bkpr-broker | ours / Perl on ToyBroker | aim | ours end to end |"
    print "|---|---|---|---|---|---|---|---|"
    for (i = 1; i <= 4; i++) for (j = 1; j <= 4; j++) {
      r = row[i]; k = kb[j]; o = v["ours", r, k]; p = v["perl-toy", r, k]
      ratio = o > 0 && p > 0 ? sprintf("%.1fx", o / p) : "-"
      end = r in twin ? twin[r] ": " mine(twin[r], k) : "(the row itself)"
      printf "| %s | %s KB | %s | %s | %s | %s | >= 3x | %s |\n", r, k, mine(r, k),
             rate(p), rate(v["perl-bk", r, k]), ratio, end
    }
    # Per-call cost at 10 KB over 0 KB: the rates inverted.
    for (s = 1; s <= 3; s++) {
      side = s == 1 ? "ours" : s == 2 ? "perl-toy" : "perl-bk"
      a = v[side, "sync calls", 0]; b = v[side, "sync calls", 10]
      c[side] = a > 0 && b > 0 ? sprintf("%.1fx (%.0f us vs %.0f us)", a / b, 1e6 / b, 1e6 / a) : "-"
    }
    printf "| sync call at 10 KB vs sync call at 0 KB | cost per call | %s | %s | %s | | <= 2.5x (ours) | |\n",
           c["ours"], c["perl-toy"], c["perl-bk"]
    # Each message once: a refused background job is also in "sent and run".
    for (j = 1; j <= 4; j++) {
      k = kb[j]; t = 0
      split("sync calls|async calls|background jobs sent and run|notifications sent|notifications sent and received", mrow, "|")
      for (i = 1; i <= 5; i++) t += lost["ours", mrow[i], k]
      if (!(("ours", "sync calls", k) in v)) t = "-"
      lostall = lostall (j > 1 ? ", " : "") t
    }
    printf "| messages lost, ours | 0, 1, 5, 10 KB | %s | not counted | not counted | | 0 | |\n", lostall
  }'

rc=0
if [ "$ours_rc" != 0 ]; then
  echo
  echo "our flood exited $ours_rc:"; grep -v '^|' "$tmp/ours.txt" | grep -v '^$'
  grep -q '^| ' "$tmp/ours.txt" || rc=1
fi
for f in $fail; do
  echo
  echo "the Perl flood on $( [ "$f" = "$tmp/toy" ] && echo ToyBroker || echo bkpr-broker ) failed:"
  tail -n 20 "$f/flood.txt" "$f/pool.log"
  rc=1
done
exit $rc
