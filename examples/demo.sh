#!/bin/sh
# make demo: the basic example on the embedded broker, with nothing else installed.
# Starts bkpr-broker on a free loopback port, the basic worker (myapp.str.uc), calls it with
# the basic client, prints the answers, then stops everything it started.
set -u
: "${B:=build}"
bin=$B/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/bk-demo.XXXXXX")
broker= worker=
cleanup() {
  [ -n "$worker" ] && kill -TERM "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
  [ -n "$broker" ] && kill -TERM "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/bus.config.json" <<J
// The demo's bus: the embedded broker started below.
[ { "bus-id": "backend", "host": "127.0.0.1", "port": $port, "default": true } ]
J

echo "1. bkpr-broker, the embedded STOMP broker, on 127.0.0.1:$port"
"$bin/bkpr-broker" --listen "127.0.0.1:$port" -q >"$work/broker.log" 2>&1 &
broker=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: bkpr-broker did not start:"; cat "$work/broker.log"; exit 1; }
  sleep 0.05
done

echo "2. basic-worker: serves myapp.str.uc (upper-cases params.string), from examples/basic/worker.c"
"$bin/basic-worker" --config-dir "$work" >"$work/worker.log" 2>&1 &
worker=$!
sleep 0.3

echo "3. basic-client calls myapp.str.uc for each word, from examples/basic/client.c:"
echo
if ! "$bin/basic-client" --config-dir "$work" hello beekeeper "from C" | sed 's/^/     /'; then
  echo; echo "demo: the calls failed; the worker said:"; cat "$work/worker.log"; exit 1
fi
echo
echo "   Each call went client -> broker -> /queue/req.backend.myapp.str -> worker -> broker"
echo "   -> the client's private reply queue, as JSON-RPC 2.0 over STOMP 1.2 (doc/protocol.md)."
echo "4. stopping the worker and the broker"
kill -TERM "$worker"; wait "$worker"; rcw=$?; worker=
kill -TERM "$broker"; wait "$broker"; rcb=$?; broker=
[ $rcw = 0 ] && [ $rcb = 0 ] || { echo "demo: exit status worker $rcw, broker $rcb"; exit 1; }
echo "done. Next: README.md, then doc/api.md for the C API."
