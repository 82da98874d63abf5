#!/bin/sh
# doc/tutorial.md, run as written: its marked code blocks become one shell script, run against
# a `make install` of this tree into a scratch HOME, so that the guide cannot rot.
#   <!-- file: NAME -->     the next fenced block is the file NAME (in the folder of the moment)
#   <!-- run -->            the next block runs, in one shell with every other run block
#   <!-- run: in the clone -->  the same, from the top of this tree (make install, uninstall)
#   <!-- output -->         every line of the next block must be a line of what ran printed
# Unmarked blocks are not run. The one value the test chooses itself is PORT, a free loopback
# port (the tutorial suggests 61613). Then make uninstall must have left no file behind.
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/.." && pwd)
doc=$top/doc/tutorial.md
work=$(mktemp -d "${TMPDIR:-/tmp}/bk-tutorial.XXXXXX")
script=$work/tutorial.sh out=$work/transcript
export HOME=$work/home
mkdir -p "$HOME"
unset BEEKEEPER_CONFIG_DIR BKPR_RUN_DIR PKG_CONFIG_PATH
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export PORT
# The clone's blocks (make install) see this make's variables (SAN=1, B=...), not its
# jobserver, which it does not hand to a recipe that is not a sub-make.
BK_MAKEFLAGS=$(printf '%s' "${MAKEFLAGS:-}" | sed 's/--jobserver-[a-z]*=[^ ]*//g')
export BK_MAKEFLAGS
unset MAKEFLAGS MFLAGS MAKELEVEL
# A sanitized library needs sanitized programs (the runtime must come first): the
# tutorial's make and cc lines take these from the environment, as make does.
if nm -D "$top/$B/lib/libbeekeeper.so" 2>/dev/null | grep -q ' U __asan_\| U __ubsan_'; then
  export CFLAGS="-O1 -g -fsanitize=address,undefined" LDFLAGS="-fsanitize=address,undefined"
fi

# The script: a prologue that cleans up whatever the tutorial left running if it stops
# halfway, then the blocks in order.
cat > "$script" <<'EOF'
set -e   # not -u: a reader's shell has no LDFLAGS either
cleanup() {
  set +e
  [ -z "${!:-}" ] || kill "$!" 2>/dev/null   # the worker started with &, if still there
  bk=$HOME/opt/beekeeper/bin
  [ -x "$bk/bkpr" ] && "$bk/bkpr" --pool-id calc stop >/dev/null 2>&1
  [ -f "$HOME/calc/broker.pid" ] && kill "$(cat "$HOME/calc/broker.pid")" 2>/dev/null
  return 0
}
trap cleanup EXIT
trap 'exit 143' TERM
EOF
awk -v script="$script" -v expect="$work/expected" '
  # Markers and fences may be indented (a block inside a list item): the indent of a fence is
  # taken off every line of its block.
  { line = $0; sub(/^[ \t]+/, "", line) }
  line ~ /^<!-- file: .* -->$/ { mode = "file"; split(line, w, " "); name = w[3]; next }
  line == "<!-- run -->" { mode = "run"; next }
  line == "<!-- run: in the clone -->" { mode = "clone"; next }
  line == "<!-- output -->" { mode = "output"; next }
  line ~ /^```/ && !inblock {
    inblock = 1; kind = mode; mode = ""; indent = length($0) - length(line)
    if (kind == "file") printf "cat > \x27%s\x27 <<\x27BK_TUTORIAL_EOF\x27\n", name >> script
    if (kind == "clone")
      print "(cd \"$BK_TOP\" && unset CFLAGS LDFLAGS && export MAKEFLAGS=\"$BK_MAKEFLAGS\"" >> script
    if (kind != "") blocks++
    next
  }
  line ~ /^```/ && inblock {
    inblock = 0
    if (kind == "file") print "BK_TUTORIAL_EOF" >> script
    if (kind == "clone") print ")" >> script
    if (kind == "clone" && !clones++)
      print "find \"$HOME/opt/beekeeper\" ! -type d | sort > \"$BK_WORK/installed\"" >> script
    next
  }
  inblock { text = substr($0, 1, indent) ~ /^[ \t]*$/ ? substr($0, indent + 1) : $0 }
  inblock && (kind == "file" || kind == "run" || kind == "clone") { print text >> script }
  inblock && kind == "output" { print text >> expect }
  END { if (blocks < 10) { print "systest_tutorial.sh: only " blocks " marked blocks" > "/dev/stderr"; exit 1 } }
' "$doc" || exit 1

export BK_TOP=$top BK_WORK=$work
echo "systest_tutorial.sh: running the blocks of doc/tutorial.md ($script), PORT=$PORT"
# A step that never ends (a wait loop whose condition never comes) must not hang make check.
(cd "$HOME" && timeout 300 sh "$script") >"$out" 2>&1
rc=$?
sed 's/^/  | /' "$out"
fail() { echo "systest_tutorial.sh: $*"; rm -rf "$work"; exit 1; }
[ $rc != 124 ] || fail "the tutorial's commands did not end within 300 s"
[ $rc = 0 ] || fail "the tutorial's commands stopped with status $rc"

# What the tutorial says its commands print, and what the tools must have shown.
while IFS= read -r line; do
  grep -qxF -- "$line" "$out" || fail "the tutorial promises the line '$line'; it was not printed"
done < "$work/expected"
grep -q '^calc\.math  *2 ' "$out" || fail "bkpr-top never showed calc.math with 2 workers"
grep -q '\[warn\] .*refused to divide 1 by zero' "$out" || fail "bkpr-log did not show the warning"

# make install put the programs (not the examples'), every public header, the man pages and
# the docs; make uninstall took every file away again.
inst=$HOME/opt/beekeeper
for f in bin/bkpr bin/bkpr-gen bin/bkpr-broker lib/libbeekeeper.so.0 lib/pkgconfig/beekeeper.pc \
         share/man/man1/bkpr.1 share/man/man5/bkidl.5 share/man/man3/beekeeper.3 \
         share/doc/beekeeper/tutorial.md share/doc/beekeeper/README.md; do
  grep -qx "$inst/$f" "$work/installed" || fail "make install did not install $f"
done
for h in "$top"/runtime/include/beekeeper/*.h; do
  grep -qx "$inst/include/beekeeper/${h##*/}" "$work/installed" ||
    fail "make install did not install the header ${h##*/}"
done
for p in flood basic-client basic-worker; do
  ! grep -q "/$p\$" "$work/installed" || fail "make install installed the example program $p"
done
left=$(find "$HOME/opt/beekeeper" ! -type d 2>/dev/null)
[ -z "$left" ] || fail "make uninstall left: $left"
[ ! -e "$HOME/opt/beekeeper/include/beekeeper" ] || fail "make uninstall left include/beekeeper"
rm -rf "$work"
echo "systest_tutorial.sh: ok"
