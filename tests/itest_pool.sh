#!/bin/sh
# bkpr with real processes: a pool of basic workers (build/lib/basic-worker.so) in the
# foreground and as a daemon, respawn after SIGKILL, crash-loop back-off, exit status 99,
# graceful restart (HUP) under a call loop, TERM/INT/stop, stale pid files, bkpr-run.
# An integration test: run by tests/run-tests.sh once per broker (BK_TEST_* in the
# environment); run alone, it starts its own bkpr-broker. Waits are bounded, never asserted.
set -eu
: "${B:=build}"
bin=$B/bin
st=$(mktemp -d "${TMPDIR:-/tmp}/bk-pool.XXXXXX")
own_broker=
fgpid=
ulimit -c 0 2>/dev/null || true   # crashy.so aborts: no core files
cleanup() {
  for f in "$st"/bkpr-*.pid; do
    [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  [ -n "$fgpid" ] && kill -KILL "$fgpid" 2>/dev/null
  [ -n "$own_broker" ] && sh tests/brokers/bkpr-broker.sh stop "$st/broker" >/dev/null 2>&1
  rm -rf "$st"
}
trap cleanup EXIT
if [ -z "${BK_TEST_HOST:-}" ]; then
  sh tests/brokers/bkpr-broker.sh start "$st/broker" >/dev/null
  own_broker=1
  . "$st/broker/env"
fi
export BKPR_RUN_DIR=$st
cat > "$st/bus.config.json" <<J
[ { "bus-id": "backend", "host": "$BK_TEST_HOST", "port": $BK_TEST_PORT, "vhost": "$BK_TEST_VHOST",
    "user": "$BK_TEST_USER", "pass": "$BK_TEST_PASS", "default": true },
  { "bus-id": "deaf", "host": "127.0.0.1", "port": 1 } ]
J
top=$(pwd)
cat > "$st/pool.config.json" <<J
[
  { "pool-id": "fg", "bus-id": "backend",
    "workers": { "basic-worker": { "workers_count": 2, "module": "$top/$B/lib/basic-worker.so" } } },
  { "pool-id": "dm", "bus-id": "backend", "log_file": "dm.log",
    "workers": { "logtail": { "workers_count": 1 },
                 "basic-worker": { "workers_count": 2, "module": "$top/$B/lib/basic-worker.so" } } },
  { "pool-id": "crash", "bus-id": "backend",
    "workers": { "crashy": { "module": "$top/$B/tests/pool/crashy.so" } } },
  { "pool-id": "deaf", "bus-id": "deaf",
    "workers": { "basic-worker": { "module": "$top/$B/lib/basic-worker.so" } } },
  { "pool-id": "nosym", "bus-id": "backend",
    "workers": { "basic-worker": { "module": "$top/$B/lib/basic-worker.so" },
                 "nosym": { "module": "$top/$B/tests/pool/nosymbol.so" } } },
]
J

fail() { echo "FAIL: $*"; for l in "$st"/*.log; do echo "--- $l"; tail -n 40 "$l"; done; exit 1; }
step() { echo "== $*"; }
bkpr() { "$bin/bkpr" --config-dir "$st" "$@"; }
call() { "$bin/basic-client" --config-dir "$st" --timeout 10000 "$@"; }
# wait_for SECONDS COMMAND...: polls every 0.05 s; fails after SECONDS
wait_for() {
  n=$(($1 * 20)); shift
  while ! "$@" >/dev/null 2>&1; do
    n=$((n - 1)); [ $n -gt 0 ] || return 1
    sleep 0.05
  done
}
children() { # the pids of bkpr $1's workers, sorted (not its built-in services)
  for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
    case $(cat "/proc/$c/comm" 2>/dev/null) in supervisor|sinkhole|logtail) ;; *) echo "$c" ;; esac
  done | sort
}
builtins() { # the names of bkpr $1's built-in services, sorted
  for c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
    case $(cat "/proc/$c/comm" 2>/dev/null) in supervisor|sinkhole|logtail) cat "/proc/$c/comm" ;; esac
  done | sort | tr '\n' ' '
}
nchildren() { [ "$(children "$1" | wc -l)" -eq "$2" ]; }
ups() { # how many times a worker (not a built-in service) of bkpr $1 came up
  grep "bkpr\[$1\]: .* is up" "$2" 2>/dev/null | grep -cv "supervisor#\|sinkhole#\|logtail#" || true
}
has_ups() { [ "$(ups "$1" "$2")" -ge "$3" ]; }
alive() { # a zombie (exited, not reaped yet by whoever adopted it) is not alive
  # One read of /proc/PID/stat: a zombie reaped between a kill -0 and the read of its state
  # would otherwise count as alive (it did, now and then, right after bkpr stop).
  pst=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
  case $pst in ''|Z*|X*) return 1 ;; esac
}
rounds_over() { [ "$(wc -l < "$st/rounds")" -gt "$1" ]; }
none_alive() { for p in "$@"; do ! alive "$p" || return 1; done; }

step "usage errors"
"$bin/bkpr" --help | grep -q "usage: bkpr"
"$bin/bkpr-run" --help | grep -q "usage: bkpr-run"
rc=0; "$bin/bkpr" start 2>"$st/err" || rc=$?
[ $rc = 2 ] && grep -q -- "--pool-id" "$st/err" || fail "start without --pool-id: $rc"
rc=0; bkpr --pool-id fg frobnicate 2>"$st/err" || rc=$?
[ $rc = 2 ] && grep -q "unknown command frobnicate" "$st/err" || fail "unknown command: $rc"
rc=0; bkpr --pool-id nope start 2>"$st/err" || rc=$?
[ $rc = 1 ] && grep -q "pool.config.json: no pool \"nope\"" "$st/err" || fail "unknown pool: $(cat "$st/err")"
rc=0; bkpr --pool-id fg check >"$st/out" || rc=$?
[ $rc = 1 ] && grep -q "not running" "$st/out" || fail "check of a stopped pool: $rc"

step "foreground pool of 2: check, second start, calls"
"$bin/bkpr" --config-dir "$st" --pool-id fg --foreground start >"$st/fg.out" 2>&1 &
fgpid=$!
fglog=$st/bkpr-fg.log
wait_for 20 has_ups "$fgpid" "$fglog" 2 || fail "the fg workers did not come up"
[ "$(bkpr --pool-id fg check)" = "$fgpid" ] || fail "check did not print $fgpid"
rc=0; bkpr --pool-id fg start 2>"$st/err" || rc=$?
[ $rc = 1 ] && grep -q "pool fg is running (pid $fgpid)" "$st/err" || fail "second start: $rc $(cat "$st/err")"
[ "$(call hello pool)" = "$(printf 'HELLO\nPOOL')" ] || fail "calls to the fg pool"
nchildren "$fgpid" 2 || fail "expected 2 workers, have: $(children "$fgpid")"
[ "$(builtins "$fgpid")" = "sinkhole supervisor " ] ||
  fail "expected the Supervisor and the Sinkhole beside the workers, have: $(builtins "$fgpid")"
top_shows() { # the pool's Supervisor knows the service and its $1 workers
  "$bin/bkpr-top" --config-dir "$st" --once 2>/dev/null |
    awk -v n="$1" '$1 == "myapp.str" && $2 == n { ok = 1 } END { exit !ok }'
}
# bkpr-top against what runs: --once counts the fg pool's two workers, -l lists each with its
# pid, and the live table in a real terminal (tmux) quits on q.
check_top() {
  wait_for 20 top_shows 2 || fail "bkpr-top --once: $("$bin/bkpr-top" --config-dir "$st" --once 2>&1)"
  # get_workers_status: one line per worker of the pool, with its pid
  "$bin/bkpr-top" --config-dir "$st" --once -l --pool fg --class basic-worker >"$st/top-l" 2>&1 ||
    fail "bkpr-top -l: $(cat "$st/top-l")"
  for p in $(children "$fgpid"); do
    grep -q "basic-worker.* $p " "$st/top-l" || fail "worker $p missing from bkpr-top -l: $(cat "$st/top-l")"
  done

  step "bkpr-top in a real terminal (tmux): the live table, then q"
  tm="bktop$$"
  tmux -L "$tm" new-session -d -s "$tm" -x 120 -y 30 "$bin/bkpr-top --config-dir $st; echo bkpr-top exited \$?; sleep 30"
  screen_has() { tmux -L "$tm" capture-pane -p -t "$tm" 2>/dev/null | grep -q "$1"; }
  wait_for 20 screen_has "myapp.str *2 " ||
    { tmux -L "$tm" capture-pane -p -t "$tm" >&2; tmux -L "$tm" kill-server; fail "bkpr-top's screen"; }
  screen_has "SERVICE *WORKERS *JOBS/S" || fail "bkpr-top's header"
  tmux -L "$tm" send-keys -t "$tm" q
  wait_for 20 screen_has "bkpr-top exited 0" ||
    { tmux -L "$tm" capture-pane -p -t "$tm" >&2; tmux -L "$tm" kill-server; fail "q did not quit bkpr-top"; }
  tmux -L "$tm" kill-server 2>/dev/null || true
}
check_top

step "SIGKILL of a worker: respawned, calls go on"
before=$(children "$fgpid")
victim=$(echo "$before" | head -n 1)
kill -KILL "$victim"
wait_for 20 has_ups "$fgpid" "$fglog" 3 || fail "the killed worker was not respawned"
after=$(children "$fgpid")
echo "$after" | grep -qx "$victim" && fail "the killed worker $victim is still a child"
[ "$(echo "$after" | wc -l)" -eq 2 ] || fail "expected 2 workers after respawn: $after"
grep -q "(pid $victim) was killed by signal 9" "$fglog" || fail "the kill was not logged"
[ "$(call again)" = AGAIN ] || fail "calls after the respawn"

step "SIGKILL of a worker in a storm of calls: every call answered once, none lost"
sleep 1.1   # every worker past its first second: a kill now is not a crash loop
"$B/tests/pool/callstorm" --config-dir "$st" 20000 50 >"$st/storm.out" 2>&1 &
storm=$!
sleep 0.3
victim=$(children "$fgpid" | head -n 1)
kill -KILL "$victim"
wait "$storm" || fail "$(cat "$st/storm.out")"
sed 's/^/   /' "$st/storm.out"
kill -0 "$victim" 2>/dev/null && fail "the worker $victim survived SIGKILL"
grep -q "(pid $victim) was killed by signal 9" "$fglog" || fail "the kill in the storm was not logged"
wait_for 20 nchildren "$fgpid" 2 || fail "expected 2 workers after the storm: $(children "$fgpid")"

step "HUP: every worker replaced, one after another, while a client keeps calling"
: > "$st/failures"
(
  while [ ! -f "$st/stop-loop" ]; do
    call a b c d e f g h i j >/dev/null 2>>"$st/failures.log" || echo fail >> "$st/failures"
    echo round >> "$st/rounds"
  done
) &
loop=$!
wait_for 20 test -s "$st/rounds" || fail "the call loop does not run"
old=$(children "$fgpid")
bkpr --pool-id fg reload | grep -q "restarting every worker" || fail "reload"
wait_for 30 grep -q "graceful restart done" "$fglog" || fail "the graceful restart did not end"
for p in $old; do wait_for 20 none_alive "$p" || fail "old worker $p still alive after HUP"; done
new=$(children "$fgpid")
[ "$(echo "$new" | wc -l)" -eq 2 ] || fail "expected 2 workers after HUP: $new"
for p in $new; do echo "$old" | grep -qx "$p" && fail "worker $p survived the HUP"; done
r0=$(wc -l < "$st/rounds")
wait_for 20 rounds_over "$((r0 + 1))" || fail "the call loop stalled after HUP"
touch "$st/stop-loop"; wait "$loop"
[ ! -s "$st/failures" ] || fail "calls failed during the HUP: $(cat "$st/failures.log")"
echo "   $(wc -l < "$st/rounds") rounds of 10 calls, none failed"

step "TERM: graceful stop, exit 0, no worker left"
workers=$(children "$fgpid")
kill -TERM "$fgpid"
rc=0; wait "$fgpid" || rc=$?
fgpid=
[ $rc = 0 ] || fail "bkpr exited $rc after TERM"
for p in $workers; do alive "$p" && fail "worker $p outlived bkpr"; done
rc=0; bkpr --pool-id fg check >/dev/null || rc=$?
[ $rc = 1 ] || fail "check after TERM says running"

step "INT: immediate stop, exit 0, no worker left"
"$bin/bkpr" --config-dir "$st" --pool-id fg --foreground start >"$st/fg2.out" 2>&1 &
fgpid=$!
wait_for 20 has_ups "$fgpid" "$fglog" 2 || fail "the fg workers did not come up again"
workers=$(children "$fgpid")
kill -INT "$fgpid"
rc=0; wait "$fgpid" || rc=$?
fgpid=
[ $rc = 0 ] || fail "bkpr exited $rc after INT"
for p in $workers; do alive "$p" && fail "worker $p outlived bkpr (INT)"; done
grep -q "SIGINT: killing" "$fglog" || fail "INT not logged"

step "daemon: start, check, second start, calls, stop from another process"
bkpr --pool-id dm start >"$st/out" || fail "daemon start"
grep -q "pool dm started (pid [0-9]*, log $st/dm.log)" "$st/out" || fail "start said: $(cat "$st/out")"
dmpid=$(bkpr --pool-id dm check) || fail "check of the daemon"
wait_for 20 has_ups "$dmpid" "$st/dm.log" 2 || fail "the daemon's workers did not come up"
rc=0; bkpr --pool-id dm start 2>"$st/err" || rc=$?
[ $rc = 1 ] && grep -q "is running (pid $dmpid)" "$st/err" || fail "second daemon start: $rc"
[ "$(call daemon)" = DAEMON ] || fail "calls to the daemon"

step "the tools against the daemon pool: bkpr-top, bkpr-log, bkpr-restart"
check_top
[ "$(builtins "$dmpid")" = "logtail sinkhole supervisor " ] ||
  fail "the dm pool should run LogTail too: $(builtins "$dmpid")"
bkpr --pool-id dm reload >/dev/null || fail "reload"
log_shows() { "$bin/bkpr-log" --config-dir "$st" -n 200 2>/dev/null | grep -q "$1"; }
wait_for 20 log_shows "basic-worker is stopping" ||
  fail "bkpr-log: $("$bin/bkpr-log" --config-dir "$st" -n 20 2>&1)"
"$bin/bkpr-log" --config-dir "$st" -n 3 --level info --service '^myapp' | grep -q '\[info\] .* myapp.str\[' ||
  fail "bkpr-log -n 3: $("$bin/bkpr-log" --config-dir "$st" -n 3 2>&1)"
wait_for 20 nchildren "$dmpid" 2 || fail "after the reload: $(children "$dmpid")"
sleep 0.5
before=$(children "$dmpid")
none_of() { for p in $before; do ! alive "$p" || return 1; done; }
# A restart of a whole class, no delay, in a storm of calls: it rolls (each replacement
# serves before its old worker stops), so no call meets the Sinkhole (-403, -31601).
"$B/tests/pool/callstorm" --config-dir "$st" 20000 50 >"$st/storm.out" 2>&1 &
storm=$!
sleep 0.3
"$bin/bkpr-restart" --config-dir "$st" --yes --class basic-worker >"$st/out" 2>&1 ||
  fail "bkpr-restart: $(cat "$st/out")"
wait_for 20 none_of || fail "bkpr-restart left workers running: $before / $(children "$dmpid")"
wait "$storm" || fail "calls failed during bkpr-restart: $(cat "$st/storm.out")"
sed 's/^/   /' "$st/storm.out"
grep -q "restart requested" "$st/dm.log" || fail "the pool did not log the requested restarts"
wait_for 20 nchildren "$dmpid" 2 || fail "after bkpr-restart: $(children "$dmpid")"
[ "$(call restarted)" = RESTARTED ] || fail "calls after bkpr-restart"
workers=$(children "$dmpid")
sh -c "'$bin/bkpr' --config-dir '$st' --pool-id dm stop" >"$st/out" || fail "stop: $(cat "$st/out")"
grep -q "pool dm stopped (pid $dmpid)" "$st/out" || fail "stop said: $(cat "$st/out")"
alive "$dmpid" && fail "the daemon outlived stop"
for p in $workers; do alive "$p" && fail "worker $p outlived stop"; done
rc=0; bkpr --pool-id dm check >/dev/null || rc=$?
[ $rc = 1 ] || fail "check after stop says running"
[ "$(bkpr --pool-id dm stop)" = "pool dm is not running" ] || fail "stop of a stopped pool"

step "a stale pid file is taken over"
sh -c 'exit 0' & dead=$!; wait $dead
echo "$dead" > "$st/bkpr-dm.pid"
rc=0; bkpr --pool-id dm check >/dev/null || rc=$?
[ $rc = 1 ] || fail "check believes the stale pid file"
bkpr --pool-id dm start >/dev/null || fail "start over a stale pid file"
dmpid=$(bkpr --pool-id dm check)
[ "$dmpid" != "$dead" ] || fail "the pid file was not rewritten"
grep -q "took over the stale pid file .*(pid $dead is gone)" "$st/dm.log" || fail "take-over not logged"
wait_for 20 has_ups "$dmpid" "$st/dm.log" 2 || fail "the daemon's workers did not come up"

step "restart (TERM, then a new pool) in a storm of calls: jobs drain or wait, none lost"
"$B/tests/pool/callstorm" --config-dir "$st" 20000 50 >"$st/storm.out" 2>&1 &
storm=$!
sleep 0.3
bkpr --pool-id dm restart >/dev/null || fail "restart"
dmpid2=$(bkpr --pool-id dm check) || fail "not running after restart"
[ "$dmpid2" != "$dmpid" ] || fail "restart kept the same bkpr"
wait "$storm" || fail "$(cat "$st/storm.out")"
sed 's/^/   /' "$st/storm.out"
bkpr --pool-id dm stop >/dev/null || fail "stop after restart"

step "a crash-looping module is respawned with growing delays"
bkpr --pool-id crash --wait 0 start >/dev/null || fail "start of the crash pool"
wait_for 30 grep -q "respawning in 800 ms" "$st/bkpr-crash.log" || fail "no back-off up to 800 ms"
delays=$(sed -n 's/.*crashy#1 failed .* respawning in \([0-9]*\) ms.*/\1/p' "$st/bkpr-crash.log" | head -n 4 | tr '\n' ' ')
[ "$delays" = "100 200 400 800 " ] || fail "back-off delays: $delays"
bkpr --pool-id crash stop >/dev/null || fail "stop of the crash pool"

step "a module without BK_MODULE exits 99 and is not respawned"
# bkpr start waits for the workers and says which cannot start, and why
rc=0; bkpr --pool-id nosym start >"$st/out" 2>"$st/err" || rc=$?
[ $rc = 1 ] && grep -q "bkpr: pool nosym: nosym#1 cannot start: .*no symbol BK_MODULE" "$st/err" ||
  fail "start of the nosym pool: $rc $(cat "$st/out" "$st/err")"
nslog=$st/bkpr-nosym.log
nspid=$(bkpr --pool-id nosym check)
wait_for 20 grep -q "nosym#1 (pid [0-9]*) cannot start: .*no symbol BK_MODULE.*not respawned (exit status 99)" "$nslog" \
  || fail "exit 99 not logged with its reason"
wait_for 20 has_ups "$nspid" "$nslog" 1 || fail "the basic worker beside it did not come up"
sleep 0.5   # room for a respawn that must not happen
[ "$(grep -c "nosym\[" "$nslog")" -eq 1 ] || fail "nosym was started more than once"
nchildren "$nspid" 1 || fail "expected only the basic worker: $(children "$nspid")"
bkpr --pool-id nosym stop >/dev/null || fail "stop of the nosym pool"

step "a pool whose bus is a closed port: start says its workers are not up"
rc=0; bkpr --pool-id deaf --wait 2 start >"$st/out" 2>"$st/err" || rc=$?
[ $rc = 1 ] && grep -q "bkpr: pool deaf (pid [0-9]*) runs, but not every worker was up after 2 s (0 up" "$st/err" ||
  fail "start of the deaf pool: $rc $(cat "$st/out" "$st/err")"
wait_for 10 grep -q "cannot connect to the bus: 127.0.0.1:1: " "$st/bkpr-deaf.log" ||
  fail "the deaf pool's worker did not log its failed connection"
bkpr --pool-id deaf stop >/dev/null || fail "stop of the deaf pool"

step "bkpr-run: one module in the foreground"
rc=0; "$bin/bkpr-run" "$B/tests/pool/nosymbol.so" --config-dir "$st" 2>"$st/err" || rc=$?
[ $rc = 99 ] && grep -q "no symbol BK_MODULE" "$st/err" || fail "bkpr-run nosymbol: $rc"
rc=0; "$bin/bkpr-run" "$B/lib/basic-worker.so" --option 'x=oops' 2>"$st/err" || rc=$?
[ $rc = 2 ] && grep -q -- "--option x=oops" "$st/err" || fail "bad --option: $rc"
"$bin/bkpr-run" "$B/lib/basic-worker.so" --config-dir "$st" --option 'n=1' >"$st/run.log" 2>&1 &
runpid=$!
wait_for 20 grep -q "is up" "$st/run.log" || fail "bkpr-run did not come up"
[ "$(call run)" = RUN ] || fail "calls to bkpr-run"
kill -TERM "$runpid"
rc=0; wait "$runpid" || rc=$?
[ $rc = 0 ] || fail "bkpr-run exited $rc after TERM"
step "no sanitizer report in any output (SAN=1 builds)"
if grep -l -E "ERROR: (Leak|Address)Sanitizer|runtime error:" "$st"/*.log "$st"/*.out 2>/dev/null; then
  grep -h -A 30 -E "Sanitizer|runtime error:" "$st"/*.log "$st"/*.out | head -80
  fail "sanitizer reports"
fi
echo "itest_pool: all passed"
