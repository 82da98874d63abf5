#!/bin/sh
# bkpr-broker for tests and benchmarks, on a free loopback port.
#   bkpr-broker.sh start STATEDIR   start $B/bin/bkpr-broker; write STATEDIR/env
#   bkpr-broker.sh stop STATEDIR    TERM it; fails if it did not exit 0 (under SAN=1 a leak
#                                   found by LeakSanitizer makes the exit status non-zero)
set -eu
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop STATEDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${BK_BROKER_BIN:-$top/${B:-build}/bin/bkpr-broker}

case $cmd in
start)
  # Status 3: this broker is not available here (run-tests.sh skips it, saying so).
  [ -x "$bin" ] || { echo "bkpr-broker.sh: $bin is not built" >&2; exit 3; }
  mkdir -p "$dir"
  cat > "$dir/broker.json" <<'J'
// test broker: one vhost, one user with every right
{
  "users": { "bk": { "password": "bk", "vhosts": { "bktest": { "read": ["#"], "write": ["#"] } } } },
}
J
  i=0
  while :; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$bin" --listen "127.0.0.1:$port" --config "$dir/broker.json" >"$dir/broker.log" 2>&1 &
    echo $! > "$dir/pid"
    j=0
    while [ $j -lt 100 ]; do
      if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2>/dev/null; then
        break 2
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      j=$((j + 1)); sleep 0.05
    done
    i=$((i + 1))
    if [ $i -ge 3 ]; then
      echo "bkpr-broker.sh: bkpr-broker did not start:" >&2; tail -n 20 "$dir/broker.log" >&2; exit 1
    fi
  done
  cat > "$dir/env" <<E
BK_TEST_BROKER=bkpr-broker
BK_TEST_HOST=127.0.0.1
BK_TEST_PORT=$port
BK_TEST_VHOST=bktest
BK_TEST_USER=bk
BK_TEST_PASS=bk
BK_TEST_BROKER_PID=$(cat "$dir/pid")
E
  echo "bkpr-broker.sh: bkpr-broker ready on 127.0.0.1:$port"
  ;;
stop)
  [ -f "$dir/pid" ] || exit 0
  pid=$(cat "$dir/pid")
  rm -f "$dir/pid"
  kill -TERM "$pid" 2>/dev/null || exit 0
  i=0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
      kill -KILL "$pid" 2>/dev/null
      echo "bkpr-broker.sh: bkpr-broker did not stop on TERM within 10 s" >&2; exit 1
    fi
    sleep 0.1
  done
  rc=0; wait "$pid" 2>/dev/null || rc=$?
  # The shell that started it is gone, so wait may not know the status: read it from the log.
  if grep -q -E "ERROR: (Leak|Address)Sanitizer|runtime error:" "$dir/broker.log" 2>/dev/null; then
    echo "bkpr-broker.sh: the broker reported errors at exit:" >&2
    grep -A 20 -E "Sanitizer|runtime error" "$dir/broker.log" | head -40 >&2
    exit 1
  fi
  [ "$rc" = 127 ] || [ "$rc" = 0 ] || { echo "bkpr-broker.sh: exit status $rc" >&2; exit 1; }
  ;;
*) echo "usage: $0 start|stop STATEDIR" >&2; exit 2 ;;
esac
