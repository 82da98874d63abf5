#!/bin/sh
# The chat example on its own brokers and pools (examples/chat/run.sh, in a folder of its
# own): start, status, a chat-client session through the sealed frontend and a router
# (login, ping, kick refused since it is not @public, quit), stop, and nothing left running.
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/../.." && pwd)
case $B in /*) ;; *) B=$top/$B ;; esac
export B
dir=$(mktemp -d "${TMPDIR:-/tmp}/bk-chat.XXXXXX")
export CHAT_RUN_DIR="$dir/run" CHAT_ENV="$dir/run/env"
run() { sh "$top/examples/chat/run.sh" "$@"; }
trap 'run stop >/dev/null 2>&1; rm -rf "$dir"' EXIT
fail() {
  echo "systest_chat: $*"
  for f in "$dir"/run/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 15 "$f"; }; done
  exit 1
}

run start >"$dir/start.out" 2>&1 || fail "run.sh start: $(cat "$dir/start.out")"
run status >"$dir/status.out" || fail "run.sh status after start: $(cat "$dir/status.out")"
pids=$(sed -n 's/.*running (pid \([0-9]*\)).*/\1/p' "$dir/status.out")
[ "$(echo "$pids" | wc -w)" = 5 ] || fail "expected 5 processes running: $(cat "$dir/status.out")"
grep -q '^FRONTEND_PORT=[0-9]' "$CHAT_ENV" || fail "no FRONTEND_PORT in $CHAT_ENV"

out=$( (sleep 0.5; echo /ping; sleep 1; echo "/kick bob"; sleep 1; echo /quit) |
       "$B/bin/chat-client" --timeout 5000 alice 2>&1) || fail "chat-client: $out"
for want in '^\* logged in as alice' '^\* pong in' '^! kick: .*(-32601)$'; do
  echo "$out" | grep -q "$want" || fail "chat-client did not print '$want': $out"
done

run stop >"$dir/stop.out" 2>&1 || fail "run.sh stop: $(cat "$dir/stop.out")"
run status >/dev/null && fail "run.sh status says something still runs"
for p in $pids; do
  kill -0 "$p" 2>/dev/null && fail "pid $p outlived run.sh stop"
done
echo "systest_chat: ok"
