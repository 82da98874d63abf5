#!/bin/sh
# examples/chat/run.sh start|stop|status: the chat example in 0.02's topology, on loopback
# ports chosen at run time, with nothing else installed (make chat builds what it needs):
#
#   backend-A  bkpr-broker   pool myapp-A: chat and auth workers, a router, LogTail
#   backend-B  bkpr-broker   pool myapp-B: the same
#   frontend   bkpr-broker, sealed (frontend.broker.json), vhosts /frontend-A, /frontend-B
#
# Each pool's router pulls the lanes of both frontend vhosts and its own backend; the pools
# compete on the same lanes, so either may carry any message (once the routers share their
# sessions: README.md says what works until then). Everything it makes goes to
# examples/chat/run/ (or $CHAT_RUN_DIR): the config files, the logs, the pid files, and
# `env`, the values a frontend client needs, which chat-client and chat-bots read by
# default (else $CHAT_ENV).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${B:=$top/build}"
case $B in /*) ;; *) B=$top/$B ;; esac
bin=$B/bin
run=${CHAT_RUN_DIR:-$here/run}   # elsewhere for tests, which may run side by side
export BKPR_RUN_DIR="$run"
brokers="backend-A backend-B frontend"
pools="myapp-A myapp-B"

die() { echo "run.sh: $*" >&2; exit 1; }

# The pid file of a broker or a pool (bkpr's own: $BKPR_RUN_DIR/bkpr-ID.pid).
pidfile() { case $1 in myapp-*) echo "$run/bkpr-$1.pid" ;; *) echo "$run/$1.pid" ;; esac; }
alive() { f=$(pidfile "$1"); [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }

# Starts bkpr-broker NAME with config CONFIG on any free port, and prints the port, read
# from the line it writes once bound ("listening on 127.0.0.1:PORT; ...").
start_broker() {
  : >"$run/$1.log"
  "$bin/bkpr-broker" --listen 127.0.0.1:0 --config "$2" --daemon --pidfile "$run/$1.pid" \
    --log "$run/$1.log" || die "bkpr-broker $1 did not start: $(cat "$run/$1.log")"
  i=0
  while :; do
    port=$(sed -n 's/^bkpr-broker: listening on 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$run/$1.log")
    [ -n "$port" ] && break
    i=$((i + 1)); [ $i -lt 100 ] || die "bkpr-broker $1 did not say its port: $(cat "$run/$1.log")"
    sleep 0.05
  done
  echo "$port"
}

write_configs() {
  cat >"$run/bus.config.json" <<J
// Written by examples/chat/run.sh start: the chat's buses on this run's ports.
[
  { "bus-id": "backend-A", "cluster": "backend", "host": "127.0.0.1", "port": $1,
    "user": "backend", "pass": "def456", "vhost": "/", "default": true },
  { "bus-id": "backend-B", "cluster": "backend", "host": "127.0.0.1", "port": $2,
    "user": "backend", "pass": "def456", "vhost": "/" },
  { "bus-id": "frontend-A", "cluster": "frontend", "host": "127.0.0.1", "port": $3,
    "user": "frontend", "pass": "abc123", "vhost": "/frontend-A" },
  { "bus-id": "frontend-B", "cluster": "frontend", "host": "127.0.0.1", "port": $3,
    "user": "frontend", "pass": "abc123", "vhost": "/frontend-B" },
]
J
  for p in A B; do
    cat <<J
  { "pool-id": "myapp-$p", "bus-id": "backend-$p", "description": "pool $p of the chat",
    "workers": {
      "chat-worker": { "module": "$B/lib/chat-worker.so", "workers_count": 2 },
      "auth-worker": { "module": "$B/lib/auth-worker.so", "workers_count": 1 },
      "router":      { "workers_count": 1 },
      "logtail":     { "workers_count": 1 },
    } },
J
  done | { echo "// Written by examples/chat/run.sh start: the chat's two pools."; echo "["
           cat; echo "]"; } >"$run/pool.config.json"
  cat >"$run/env" <<J
# Written by examples/chat/run.sh start: what a frontend client needs (shell syntax).
FRONTEND_HOST=127.0.0.1
FRONTEND_PORT=$3
FRONTEND_VHOST=/frontend-A
FRONTEND_VHOSTS="/frontend-A /frontend-B"
FRONTEND_USER=frontend
FRONTEND_PASS=abc123
BACKEND_CLUSTER=backend
J
}

do_start() {
  for f in bkpr-broker bkpr; do
    [ -x "$bin/$f" ] || die "$bin/$f is missing: run make chat first"
  done
  for f in chat-worker auth-worker; do
    [ -f "$B/lib/$f.so" ] || die "$B/lib/$f.so is missing: run make chat first"
  done
  for n in $brokers $pools; do
    if alive "$n"; then die "already running ($n): run.sh stop first"; fi
  done
  mkdir -p "$run"
  pa=$(start_broker backend-A "$here/backend.broker.json") || exit 1
  pb=$(start_broker backend-B "$here/backend.broker.json") || { do_stop; exit 1; }
  pf=$(start_broker frontend "$here/frontend.broker.json") || { do_stop; exit 1; }
  write_configs "$pa" "$pb" "$pf"
  for p in $pools; do
    : >"$run/bkpr-$p.log"
    out=$("$bin/bkpr" --config-dir "$run" --pool-id "$p" start 2>&1) && sleep 0.2 && alive "$p" || {
      echo "run.sh: pool $p did not start: $out" >&2
      grep '\[error\]' "$run/bkpr-$p.log" | tail -3 >&2; do_stop; exit 1; }
  done
  echo "chat: backend-A 127.0.0.1:$pa, backend-B 127.0.0.1:$pb, frontend 127.0.0.1:$pf" \
       "(vhosts /frontend-A, /frontend-B); pools $pools"
  echo "chat: $run/env says how to reach it; try $bin/chat-client or $bin/chat-bots"
}

do_stop() {
  rc=0
  for p in $pools; do
    [ -f "$run/pool.config.json" ] && alive "$p" &&
      { "$bin/bkpr" --config-dir "$run" --pool-id "$p" stop >/dev/null 2>&1 || rc=1; }
  done
  for n in $brokers; do
    if alive "$n"; then
      pid=$(cat "$run/$n.pid")
      kill -TERM "$pid"
      i=0
      while kill -0 "$pid" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || { echo "run.sh: $n outlived TERM" >&2; rc=1; break; }
        sleep 0.05
      done
    fi
    rm -f "$run/$n.pid"
  done
  rm -f "$run/env"
  return $rc
}

do_status() {
  rc=0
  for n in $brokers $pools; do
    if alive "$n"; then echo "$n: running (pid $(cat "$(pidfile "$n")"))"
    else echo "$n: stopped"; rc=3; fi
  done
  [ -f "$run/env" ] && sed -n 's/^FRONTEND_PORT=/frontend port: /p' "$run/env"
  return $rc
}

case ${1:-} in
  start) do_start ;;
  stop) do_stop && echo "chat: stopped" ;;
  status) do_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
