#!/bin/sh
# Runs the tests in three groups, each named by what it needs:
#   unit tests         (tests/test_*)    nothing outside the process; run once;
#   integration tests  (tests/itest_*)   a broker: run once per broker, the broker given to
#                                        them as BK_TEST_* (tests/itest_env.h);
#   system tests       (tests/systest_*, examples/demo.sh)  programs of the tree that start
#                                        their own bkpr-broker: run once.
# Usage: run-tests.sh UNIT... -- INTEGRATION... [-- SYSTEM...]
# Brokers come from BK_TEST_BROKERS (default: every tests/brokers/*.sh that is ready);
# each broker script starts a private instance on loopback ports chosen at run time and
# exports BK_TEST_BROKER, BK_TEST_HOST, BK_TEST_PORT, BK_TEST_VHOST, BK_TEST_USER, BK_TEST_PASS.
# A test is a cmocka binary or a *.sh script; its exit status decides.
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/.." && pwd)
logdir=$B/test-logs
mkdir -p "$logdir"
passed=0 failed=0 skipped=0 failures=

run_one() { # label file
  label=$1 f=$2 log=$logdir/$(echo "$label" | tr '/ ' '__').log
  case $f in *.sh) sh "$f" >"$log" 2>&1 ;; *) "$f" >"$log" 2>&1 ;; esac
  rc=$?
  n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  nf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  ns=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
  : "${n:=0}" "${nf:=0}" "${ns:=0}"
  skipped=$((skipped + ns))
  if [ "$rc" = 0 ]; then
    [ "$n" = 0 ] && [ "$ns" = 0 ] && n=1
    sk=; [ "$ns" = 0 ] || sk=", $ns skipped"
    passed=$((passed + n)); printf '  ok    %-40s %s\n' "$label" "($n$sk)"
    # A skipping test says why on a line of its own that starts with "skip".
    [ "$ns" = 0 ] || grep -h '^skip' "$log" | sort -u | sed 's/^/        | /'
  else
    [ "$nf" = 0 ] && nf=1
    passed=$((passed + n)); failed=$((failed + nf)); failures="$failures $label"
    printf '  FAIL  %-40s (exit %s, log %s)\n' "$label" "$rc" "$log"
    tail -n 30 "$log" | sed 's/^/        | /'
  fi
}

unit=; integ=; sys=; group=unit
for a in "$@"; do
  case $group/$a in
    unit/--) group=integ ;;
    integ/--) group=sys ;;
    unit/*) unit="$unit $a" ;;
    integ/*) integ="$integ $a" ;;
    sys/*) sys="$sys $a" ;;
  esac
done

echo "unit tests:"
for t in $unit; do run_one "$(basename "$t")" "$t"; done

if [ -n "$integ" ]; then
  brokers=${BK_TEST_BROKERS:-$(cd "$top/tests/brokers" && ls *.sh | sed 's/\.sh$//')}
  for br in $brokers; do
    state=$(mktemp -d "${TMPDIR:-/tmp}/bk-$br.XXXXXX")
    echo "integration tests on $br:"
    sh "$top/tests/brokers/$br.sh" start "$state" >"$logdir/broker-$br.log" 2>&1
    src=$?
    if [ $src = 3 ]; then
      echo "  skip  $br is not available: $(tail -n 1 "$logdir/broker-$br.log")"
      rm -rf "$state"; continue
    fi
    if [ $src != 0 ]; then
      echo "  FAIL  starting $br (log $logdir/broker-$br.log)"
      tail -n 30 "$logdir/broker-$br.log" | sed 's/^/        | /'
      failed=$((failed + 1)); failures="$failures start-$br"
      sh "$top/tests/brokers/$br.sh" stop "$state" >/dev/null 2>&1
      continue
    fi
    set -a; . "$state/env"; set +a
    for t in $integ; do run_one "$br/$(basename "$t")" "$t"; done
    if sh "$top/tests/brokers/$br.sh" stop "$state" >>"$logdir/broker-$br.log" 2>&1; then
      passed=$((passed + 1)); printf '  ok    %-40s\n' "$br/clean-stop"
    else
      failed=$((failed + 1)); failures="$failures $br/clean-stop"
      printf '  FAIL  %-40s (log %s)\n' "$br/clean-stop" "$logdir/broker-$br.log"
      tail -n 30 "$logdir/broker-$br.log" | sed 's/^/        | /'
    fi
    rm -rf "$state"
  done
fi

if [ -n "$sys" ]; then
  echo "system tests (each starts its own bkpr-broker; run once, not per broker):"
  for t in $sys; do run_one "$(basename "$t")" "$t"; done
fi

echo
[ -n "$failures" ] && echo "failed:$failures"
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
