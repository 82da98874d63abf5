#!/bin/sh
# make demo: the basic example on the embedded broker, with nothing else installed.
# Starts bkpr-broker on a free loopback port, a pool of two basic workers (myapp.str.uc) with
# bkpr, calls them with the basic client, shows bkpr-top, then stops everything it started.
set -u
: "${B:=build}"
bin=$B/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/bk-demo.XXXXXX")
export BKPR_RUN_DIR=$work
broker= pool=
cleanup() {
  [ -n "$pool" ] && "$bin/bkpr" --config-dir "$work" --pool-id demo stop >/dev/null 2>&1
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
cat > "$work/pool.config.json" <<J
// The demo's pool: two workers of the basic example's module.
[ { "pool-id": "demo", "bus-id": "backend",
    "workers": { "basic-worker": { "module": "$(pwd)/$B/lib/basic-worker.so", "workers_count": 2 } } } ]
J

echo "1. bkpr-broker, the embedded STOMP broker, on 127.0.0.1:$port"
"$bin/bkpr-broker" --listen "127.0.0.1:$port" -q >"$work/broker.log" 2>&1 &
broker=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=1)" 2>/dev/null; do
  i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: bkpr-broker did not start:"; cat "$work/broker.log"; exit 1; }
  sleep 0.05
done

echo "2. bkpr starts the pool: two basic workers serving myapp.str.uc (examples/basic/module.c),"
echo "   beside the pool's Supervisor and Sinkhole"
out=$("$bin/bkpr" --config-dir "$work" --pool-id demo start 2>&1) || {
  echo "demo: bkpr could not start the pool: $out"; cat "$work"/bkpr-demo.log; exit 1; }
echo "   $out"
pool=1

echo "3. basic-client calls myapp.str.uc for each word (examples/basic/client.c):"
echo
if ! "$bin/basic-client" --config-dir "$work" hello beekeeper "from C" | sed 's/^/     /'; then
  echo; echo "demo: the calls failed; the pool's log says:"; cat "$work"/bkpr-demo.log; exit 1
fi
echo
echo "   Each call went client -> broker -> /queue/req.backend.myapp.str -> a worker -> broker"
echo "   -> the client's private reply queue, as JSON-RPC 2.0 over STOMP 1.2 (doc/protocol.md)."

echo "4. bkpr-top --once: what the pool's Supervisor knows of the services"
echo
i=0
until "$bin/bkpr-top" --config-dir "$work" --once 2>/dev/null | grep -q '^myapp.str '; do
  i=$((i + 1)); [ $i -lt 50 ] || break
  sleep 0.1
done
"$bin/bkpr-top" --config-dir "$work" --once | sed 's/^/     /'
echo
echo "5. stopping the pool and the broker"
out=$("$bin/bkpr" --config-dir "$work" --pool-id demo stop 2>&1); rcp=$?; pool=
echo "   $out"
kill -TERM "$broker"; wait "$broker"; rcb=$?; broker=
[ $rcp = 0 ] && [ $rcb = 0 ] || { echo "demo: exit status bkpr stop $rcp, broker $rcb"; exit 1; }
echo "done. Next: README.md, then doc/api.md (the C API) and doc/operations.md (pools)."
