#!/bin/sh
# A private, throw-away RabbitMQ with the STOMP plugin, for tests and benchmarks.
#   rabbitmq.sh start STATEDIR   start it on free loopback ports; write STATEDIR/env
#   rabbitmq.sh stop STATEDIR    stop it (idempotent)
# Touches nothing in /etc or /var/lib; needs no systemd. Every instance has its own node
# name, ports and epmd, so several can run at once. Installs rabbitmq-server when missing
# (as root), else says which apt-get line to run.
set -eu
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop STATEDIR" >&2; exit 2; }
top=$(cd "$(dirname "$0")/../.." && pwd)
RMQ=/usr/lib/rabbitmq/bin

freeport() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

setup_env() {
  . "$dir/ports"
  export HOME="$dir" RABBITMQ_NODENAME="bk$stomp@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$amqp" RABBITMQ_DIST_PORT="$dist" ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_EPMD_PORT="$epmd" RABBITMQ_CONFIG_FILE="$dir/rabbitmq" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" RABBITMQ_MNESIA_BASE="$dir/mnesia" \
    RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

stomp_answers() { # CONNECT and expect CONNECTED
  python3 - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
    s.sendall(b"CONNECT\naccept-version:1.2\nhost:bktest\nlogin:bk\npasscode:bk\n\n\0")
    sys.exit(0 if s.recv(9) == b"CONNECTED" else 1)
except OSError:
    sys.exit(1)
PY
}

case $cmd in
start)
  if [ ! -x "$RMQ/rabbitmq-server" ]; then
    sh "$top/mk/deps.sh" check || exit 1
  fi
  mkdir -p "$dir/log" "$dir/mnesia"
  cat > "$dir/ports" <<P
stomp=$(freeport)
stomps=$(freeport)
amqp=$(freeport)
dist=$(freeport)
epmd=$(freeport)
P
  setup_env
  : > "$dir/rabbitmq-env.conf"
  echo '[rabbitmq_stomp].' > "$dir/enabled_plugins"
  cat > "$dir/rabbitmq.conf" <<C
stomp.listeners.tcp.1 = 127.0.0.1:$stomp
listeners.tcp.default = 127.0.0.1:$amqp
default_vhost = bktest
default_user = bk
default_pass = bk
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
stomp.default_vhost = bktest
loopback_users = none
log.file = false
log.console = true
log.console.level = warning
C
  # STOMP over TLS too, for tests/itest_tls.c: certificates made now (tests/tls-certs.sh).
  tls=
  if command -v openssl >/dev/null && sh "$top/tests/tls-certs.sh" "$dir/tls" >&2; then
    tls=1
    cat >> "$dir/rabbitmq.conf" <<C
stomp.listeners.ssl.1 = 127.0.0.1:$stomps
ssl_options.cacertfile = $dir/tls/ca.pem
ssl_options.certfile = $dir/tls/server.pem
ssl_options.keyfile = $dir/tls/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
C
  fi
  "$RMQ/rabbitmq-server" > "$dir/server.log" 2>&1 &
  echo $! > "$dir/launcher.pid"
  if ! timeout 90 "$RMQ/rabbitmqctl" wait --timeout 80 "$dir/pid" > "$dir/wait.log" 2>&1; then
    echo "rabbitmq.sh: RabbitMQ did not start; last lines of its log:" >&2
    tail -n 20 "$dir/server.log" "$dir/wait.log" >&2
    exit 1
  fi
  i=0
  until stomp_answers "$stomp"; do
    i=$((i + 1))
    if [ $i -gt 60 ]; then
      echo "rabbitmq.sh: STOMP port $stomp does not answer CONNECT" >&2
      tail -n 20 "$dir/server.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  cat > "$dir/env" <<E
BK_TEST_BROKER=rabbitmq
BK_TEST_HOST=127.0.0.1
BK_TEST_PORT=$stomp
BK_TEST_VHOST=bktest
BK_TEST_USER=bk
BK_TEST_PASS=bk
BK_TEST_BROKER_PID=$(cat "$dir/pid")
E
  [ -n "$tls" ] && printf 'BK_TEST_TLS_PORT=%s\nBK_TEST_TLS_CA=%s\n' "$stomps" "$dir/tls/ca.pem" >> "$dir/env"
  echo "rabbitmq.sh: RabbitMQ ready, STOMP on 127.0.0.1:$stomp"
  ;;
stop)
  [ -f "$dir/ports" ] || exit 0
  setup_env
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  launcher=$(cat "$dir/launcher.pid" 2>/dev/null || true)
  for p in $pid $launcher; do kill -TERM "$p" 2>/dev/null || true; done
  i=0
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.1
  done
  # Our own epmd (its port is ours alone).
  epmd -port "$epmd" -kill >/dev/null 2>&1 || pkill -f "epmd.*-port $epmd" 2>/dev/null || true
  rm -f "$dir/pid" "$dir/launcher.pid" "$dir/ports"
  ;;
*) echo "usage: $0 start|stop STATEDIR" >&2; exit 2 ;;
esac
