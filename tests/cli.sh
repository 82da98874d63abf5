#!/bin/sh
# Every program of the tree answers the command line the same way (core/cli.h): -h and
# --help print a usage that ends with examples to stdout and exit 0; --version prints
# "PROGRAM (beekeeper) VERSION" and exits 0; an unknown option says so, then "try
# 'PROGRAM --help'", on stderr, and exits 2. The tools say "connection refused" at once.
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^VERSION := //p' "$top/Makefile")
st=$(mktemp -d "${TMPDIR:-/tmp}/bk-cli.XXXXXX")
trap 'rm -rf "$st"' EXIT
failed=0 n=0
fail() { echo "cli.sh: $*"; failed=1; }

for prog in bkpr bkpr-run bkpr-gen bkpr-broker bkpr-top bkpr-log bkpr-restart \
            basic-client basic-worker flood; do
  bin=$B/bin/$prog
  [ -x "$bin" ] || { fail "$prog: no $bin"; continue; }
  n=$((n + 1))
  for h in -h --help; do
    "$bin" $h >"$st/out" 2>"$st/err" </dev/null
    rc=$?
    [ $rc = 0 ] || fail "$prog $h: exit $rc, want 0"
    [ -s "$st/err" ] && fail "$prog $h: wrote to stderr: $(head -n 2 "$st/err")"
    head -n 1 "$st/out" | grep -q "^usage: $prog " || fail "$prog $h: no 'usage: $prog' line first"
    grep -qi '^examples:$' "$st/out" || fail "$prog $h: no examples"
    tail -n 1 "$st/out" | grep -q "^  $prog " || fail "$prog $h: does not end with an example"
  done
  "$bin" --version >"$st/out" 2>"$st/err" </dev/null
  rc=$?
  [ $rc = 0 ] || fail "$prog --version: exit $rc, want 0"
  [ "$(head -n 1 "$st/out")" = "$prog (beekeeper) $version" ] ||
    fail "$prog --version: '$(head -n 1 "$st/out")', want '$prog (beekeeper) $version'"
  "$bin" --bogus >"$st/out" 2>"$st/err" </dev/null
  rc=$?
  [ $rc = 2 ] || fail "$prog --bogus: exit $rc, want 2"
  [ -s "$st/out" ] && fail "$prog --bogus: wrote to stdout"
  [ "$(cat "$st/err")" = "$prog: unknown option '--bogus'
try '$prog --help'" ] || fail "$prog --bogus: said '$(cat "$st/err")'"
done

# --help before anything else is help, not a call (basic-client once called the service).
"$B/bin/basic-client" --help hello >"$st/out" 2>&1 || fail "basic-client --help hello: exit $?"
grep -q '^usage: basic-client' "$st/out" || fail "basic-client --help hello: no usage"
# A missing value is not an unknown option.
"$B/bin/bkpr-top" --timeout >/dev/null 2>"$st/err"
[ $? = 2 ] && grep -q "option '--timeout' needs a value" "$st/err" ||
  fail "bkpr-top --timeout: said '$(cat "$st/err")'"

# A bus nobody listens on is "connection refused" at once, with the addresses tried (a
# timeout of 60 s would say "timed out").
printf '[{"bus-id": "b", "hosts": ["127.0.0.1:1"]}]' >"$st/bus.config.json"
for prog in bkpr-top bkpr-log bkpr-restart basic-client flood; do
  case $prog in bkpr-top) more=--once ;; bkpr-restart) more=--yes ;; basic-client) more=x ;; *) more= ;; esac
  [ "$prog" = flood ] || more="--timeout 60000 $more"
  "$B/bin/$prog" --config-dir "$st" $more >/dev/null 2>"$st/err" </dev/null
  [ "$(grep -v '^[0-9T:.-]*Z \[' "$st/err")" = "$prog: cannot connect to bus 'b' (127.0.0.1:1): connection refused" ] ||
    fail "$prog on a closed port said '$(cat "$st/err")'"
done 2>/dev/null

[ $failed = 0 ] && echo "cli.sh: $n programs ok"
exit $failed
