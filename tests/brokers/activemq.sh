#!/bin/sh
# A private, throw-away ActiveMQ 5.17 (Debian's activemq) for tests and benchmarks.
#   activemq.sh start STATEDIR   start it on a free loopback port; write STATEDIR/env
#   activemq.sh stop STATEDIR    stop it (idempotent); fails when a message reached the DLQ
# Installs nothing (mk/deps.sh check does) and needs no systemd: it runs activemq.jar itself
# with every path in STATEDIR. Only a STOMP connector: no OpenWire, no JMX, no web console.
# The broker keeps nothing on disk (persistent="false"): each run starts empty, and a start
# takes no KahaDB recovery.
set -eu
cmd=${1:-} dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop STATEDIR" >&2; exit 2; }
AMQ=/usr/share/activemq

freeport() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# STOMP CONNECT with the test user; 0 when CONNECTED comes back.
stomp_answers() {
  python3 - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.sendall(b"CONNECT\naccept-version:1.2\nhost:localhost\nlogin:bk\npasscode:bk\n\n\0")
    sys.exit(0 if s.recv(9) == b"CONNECTED" else 1)
except OSError:
    sys.exit(1)
PY
}

# The number of messages in ActiveMQ.DLQ, read by a STOMP browser subscription (it takes
# nothing off the queue); "?" when the broker does not answer.
dlq_depth() {
  python3 - "$1" <<'PY'
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"CONNECT\naccept-version:1.2\nhost:localhost\nlogin:bk\npasscode:bk\n\n\0"
              b"SUBSCRIBE\nid:0\ndestination:/queue/ActiveMQ.DLQ\nbrowser:true\nack:auto\n\n\0")
    buf = b""
    while b"\nbrowser:end" not in buf:
        d = s.recv(65536)
        if not d:
            raise OSError
        buf += d
    # The browser ends with a MESSAGE of its own that carries browser:end.
    print(buf.count(b"MESSAGE\n") - 1)
except OSError:
    print("?")
PY
}

case $cmd in
start)
  # Status 3: this broker is not available here (run-tests.sh skips it, saying so).
  [ -f "$AMQ/bin/activemq.jar" ] || { echo "activemq.sh: Debian's activemq is not installed" >&2; exit 3; }
  command -v java >/dev/null 2>&1 || { echo "activemq.sh: no java on PATH" >&2; exit 3; }
  mkdir -p "$dir/conf" "$dir/data" "$dir/tmp"
  port=$(freeport)
  # The same broker (users, a shared DLQ that takes non-persistent messages too, so that the
  # stop check sees every dead letter) on each try; only the port changes.
  cat > "$dir/conf/activemq.xml" <<X
<beans xmlns="http://www.springframework.org/schema/beans"
       xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
       xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
         http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="bktest" useJmx="false"
          persistent="false" schedulerSupport="false" advisorySupport="false"
          dataDirectory="$dir/data" tmpDataDirectory="$dir/tmp">
    <destinationPolicy>
      <policyMap>
        <policyEntries>
          <policyEntry queue=">">
            <deadLetterStrategy>
              <sharedDeadLetterStrategy processNonPersistent="true" processExpired="false"/>
            </deadLetterStrategy>
          </policyEntry>
        </policyEntries>
      </policyMap>
    </destinationPolicy>
    <plugins>
      <simpleAuthenticationPlugin anonymousAccessAllowed="false">
        <users>
          <authenticationUser username="bk" password="bk" groups="users,admins"/>
        </users>
      </simpleAuthenticationPlugin>
    </plugins>
    <systemUsage>
      <systemUsage>
        <memoryUsage><memoryUsage limit="128 mb"/></memoryUsage>
        <tempUsage><tempUsage limit="1 gb"/></tempUsage>
      </systemUsage>
    </systemUsage>
    <transportConnectors>
      <!-- With the default 64 KB socket buffers loopback traffic stalls for seconds. -->
      <transportConnector name="stomp"
          uri="stomp://127.0.0.1:$port?transport.socketBufferSize=4194304&amp;transport.tcpNoDelay=true&amp;transport.closeAsync=false"/>
    </transportConnectors>
  </broker>
</beans>
X
  # Debian's build logs through log4j 1.2.
  cat > "$dir/conf/log4j.properties" <<L
log4j.rootLogger=WARN, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=%d{HH:mm:ss.SSS} %5p | %m%n
L
  # Two cores and a shared CI: a small heap and the serial collector (fewer GC threads).
  java -Xms64m -Xmx384m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dactivemq.home="$AMQ" -Dactivemq.base="$dir" -Dactivemq.conf="$dir/conf" \
    -Dactivemq.data="$dir/data" -Djava.io.tmpdir="$dir/tmp" \
    -Dlog4j.configuration="file:$dir/conf/log4j.properties" \
    -jar "$AMQ/bin/activemq.jar" start "xbean:file:$dir/conf/activemq.xml" \
    > "$dir/activemq.log" 2>&1 &
  echo $! > "$dir/pid"
  echo "$port" > "$dir/port"
  # Bounded: 30 s (it is ready in 1-3 s on two cores), or as soon as the JVM has exited.
  i=0
  until stomp_answers "$port"; do
    i=$((i + 1))
    if [ $i -gt 150 ] || ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "activemq.sh: ActiveMQ did not answer STOMP on 127.0.0.1:$port; last lines of its log:" >&2
      tail -n 20 "$dir/activemq.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  cat > "$dir/env" <<E
BK_TEST_BROKER=activemq
BK_TEST_HOST=127.0.0.1
BK_TEST_PORT=$port
BK_TEST_VHOST=localhost
BK_TEST_USER=bk
BK_TEST_PASS=bk
BK_TEST_BROKER_PID=$(cat "$dir/pid")
E
  echo "activemq.sh: ActiveMQ ready, STOMP on 127.0.0.1:$port"
  ;;
stop)
  [ -f "$dir/pid" ] || exit 0
  pid=$(cat "$dir/pid")
  rc=0
  if [ -f "$dir/port" ] && kill -0 "$pid" 2>/dev/null; then
    n=$(dlq_depth "$(cat "$dir/port")")
    if [ "$n" != 0 ]; then
      echo "activemq.sh: ActiveMQ.DLQ holds $n message(s) after the tests (a NACK or an expiry sent them there)" >&2
      rc=1
    fi
  fi
  rm -f "$dir/pid" "$dir/port"
  kill -TERM "$pid" 2>/dev/null || exit $rc
  i=0
  while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
      kill -KILL "$pid" 2>/dev/null || true
      echo "activemq.sh: ActiveMQ did not stop on TERM within 10 s" >&2; rc=1; break
    fi
    sleep 0.1
  done
  exit $rc
  ;;
*) echo "usage: $0 start|stop STATEDIR" >&2; exit 2 ;;
esac
