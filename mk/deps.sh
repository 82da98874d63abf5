#!/bin/sh
# Installs the Debian packages a step needs, when they are missing.
# Usage: deps.sh build|check|bench|demo|fuzz
# Idempotent and silent when everything is there. As root it runs apt-get;
# otherwise it prints the exact apt-get line and fails.
set -eu

build="gcc make pkg-config libevent-dev libjansson-dev libssl-dev libsodium-dev re2c lemon libcmocka-dev"
check="$build rabbitmq-server activemq valgrind python3 tmux groff-base openssl"
# NATS beside our RPC in the bench's dispatch rows (tests/bench/nats_peer.h): bench only.
bench="$check libjsmn-dev nats-server libnats-dev"
demo="$build python3"
fuzz="$build clang libclang-rt-14-dev"
# Perl Beekeeper 0.02 (../shared/peers), which make bench runs beside ours; libev-perl is
# what AnyEvent runs on when apt-get installs its recommends (else its slower pure-Perl loop).
perl="libanyevent-perl libev-perl libjson-xs-perl libterm-readkey-perl libtest-class-perl procps"

case "${1:-build}" in
  build) want=$build ;;
  check) want=$check ;;
  bench) want="$bench $perl" ;;
  demo) want=$demo ;;
  fuzz) want=$fuzz ;;
  *) echo "deps.sh: unknown step '$1' (build, check, bench, demo or fuzz)" >&2; exit 2 ;;
esac

missing=
for p in $want; do
  s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$s" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
  echo "Beekeeper needs these Debian packages:$missing" >&2
  echo "Run as root:  apt-get update && $line" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# No service may start during install (no systemd here; RabbitMQ is started by the tests).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
