#!/bin/sh
# The man pages of doc/man: each renders without a warning (groff -ww, as man -l would run
# it), each installed program has its page and the page names every long option that the
# program's --help lists, and the pages named under SEE ALSO that are ours exist.
set -u
: "${B:=build}"
top=$(cd "$(dirname "$0")/.." && pwd)
man=$top/doc/man
failed=0
fail() { echo "manpages.sh: $*"; failed=1; }

for page in "$man"/*.[1-8]; do
  name=${page##*/}
  warnings=$(groff -t -man -Tutf8 -ww -z "$page" 2>&1) || fail "$name: groff failed"
  [ -z "$warnings" ] || fail "$name: groff warns: $warnings"
  # .BR bkpr\-top (1): ours when it names a program of this tree or one of our pages.
  for ref in $(sed -n 's/^\.BR \([-a-z\\]*\) (\([1-8]\)).*/\1.\2/p' "$page" | sed 's/\\-/-/g'); do
    case $ref in bkpr*|beekeeper.*|bkidl.*) [ -f "$man/$ref" ] || fail "$name: SEE ALSO $ref: no such page" ;; esac
  done
done

for prog in "$top/$B"/bin/bkpr*; do
  name=${prog##*/}
  page=$man/$name.1
  [ -f "$page" ] || { fail "$name has no man page (doc/man/$name.1)"; continue; }
  for opt in $("$prog" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u); do
    roff=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
    grep -q -- "$roff" "$page" || fail "$name --help lists $opt; doc/man/$name.1 does not"
  done
done

[ $failed = 0 ] && echo "manpages.sh: $(ls "$man" | wc -l) pages ok"
exit $failed
