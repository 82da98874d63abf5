#!/bin/sh
# bkpr-log -f outlives its broker, as tail -F outlives a rotated file: the broker is killed
# and started again on the same port; bkpr-log says it waits, then that LogTail answers
# again, and prints the entries logged after the restart. Runs its own bkpr-broker (it
# restarts it), a pool with LogTail and one with the basic worker.
set -eu
: "${B:=build}"
bin=$B/bin
st=$(mktemp -d "${TMPDIR:-/tmp}/bk-logf.XXXXXX")
export BKPR_RUN_DIR="$st"   # the pool's pid file: this run's own
pids=
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  sleep 0.3
  for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$st"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$st"/*.log "$st"/follow.*; do echo "--- $f"; tail -n 20 "$f"; done; exit 1; }
wait_for() { # seconds command...: polls every 0.1 s
  n=$(($1 * 10)); shift
  while [ $n -gt 0 ]; do "$@" && return 0; n=$((n - 1)); sleep 0.1; done
  return 1
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2>/dev/null; }
start_broker() {
  "$bin/bkpr-broker" --listen "127.0.0.1:$port" >>"$st/broker.log" 2>&1 &
  broker=$!; pids="$pids $broker"
  wait_for 10 listening || fail "bkpr-broker did not listen on $port"
}
cat > "$st/bus.config.json" <<J
[ { "bus-id": "backend", "host": "127.0.0.1", "port": $port, "default": true } ]
J
# LogTail in a pool of its own, up before the worker's pool starts: it hears entries from the
# moment it subscribed, and the worker's first one ("is up") must come after that.
cat > "$st/pool.config.json" <<J
[ { "pool-id": "lt", "bus-id": "backend", "workers": { "logtail": {} } },
  { "pool-id": "lf", "bus-id": "backend",
    "workers": { "basic-worker": { "workers_count": 1, "module": "$PWD/$B/lib/basic-worker.so",
                                   "log_to_bus": true } } } ]
J
start_broker
"$bin/bkpr" --config-dir "$st" --pool-id lt --foreground start >"$st/lt.log" 2>&1 &
pids="$pids $!"
lt_up() { grep -q "logtail#1 (pid [0-9]*) is up" "$st/lt.log"; }
wait_for 20 lt_up || fail "LogTail's pool did not come up"
"$bin/bkpr" --config-dir "$st" --pool-id lf --foreground start >"$st/pool.log" 2>&1 &
pool=$!; pids="$pids $pool"
up() { grep -q "basic-worker#1 (pid [0-9]*) is up" "$st/pool.log"; }
wait_for 20 up || fail "the pool did not come up"
"$bin/bkpr-log" --config-dir "$st" -f >"$st/follow.out" 2>"$st/follow.err" &
follow=$!; pids="$pids $follow"
wait_for 10 grep -q "basic-worker is up" "$st/follow.out" || fail "bkpr-log -f printed nothing"
kill "$broker"; wait "$broker" 2>/dev/null || true
wait_for 10 grep -q "waiting for it to come back" "$st/follow.err" || fail "bkpr-log -f did not wait"
kill -0 "$follow" 2>/dev/null || fail "bkpr-log -f exited when the broker went away"
start_broker
wait_for 30 grep -q "answers again" "$st/follow.err" || fail "bkpr-log -f did not resume"
# what is logged now reaches it: HUP restarts the worker, whose new process says it is up
kill -HUP "$pool"
two_ups() { [ "$(grep -c "basic-worker is up" "$st/follow.out")" -ge 2 ]; }
wait_for 30 two_ups || fail "entries logged after the restart were not printed"
grep -q "bus connection back" "$st/pool.log" || fail "no line said the connection was back"
echo "systest_log_follow: bkpr-log -f waited for the broker and resumed"
