#!/usr/bin/env bash
# Every example of docs/query-language.md runs: a fenced block ```query [OPTIONS] is run with
# `ipledger query --store S --now 2024-05-08T12:00:00Z --format table OPTIONS QUERY` against the
# scripted Contoso store (tests/unit/queries/ql_fixture.h), and its output (stdout, then stderr)
# must equal the ```result [exit=N] block that follows it, exit status included (0 if not given).
# Blanks at the ends of lines and CSV's carriage returns are not compared (editors strip them).
# A query block without a result block, or a document without examples, fails the test.
source "$(dirname "$0")/lib.bash"
DOC="$SRC/docs/query-language.md"
NOW=2024-05-08T12:00:00Z

check "the document exists" test -f "$DOC"
"$BUILD/test_queries_ql_exec" --make-store "$WORK/st" || { echo "cannot build the example store"; exit 1; }

# split the document into ex-N.{query,opts,expected,exit}
awk -v dir="$WORK" '
  function flush_err(msg) { print msg > (dir "/errors"); }
  /^```query/ {
    if (inq || inr) { flush_err("line " NR ": a block inside a block"); }
    n++; inq = 1; opts = $0; sub(/^```query[ \t]*/, "", opts)
    printf "%s", opts > (dir "/ex-" n ".opts"); close(dir "/ex-" n ".opts")
    printf "" > (dir "/ex-" n ".query"); qline[n] = NR; want = 0; next
  }
  inq && /^```[ \t]*$/ { inq = 0; want = 1; next }
  inq { print > (dir "/ex-" n ".query"); next }
  want && /^[ \t]*$/ { next }
  want && /^```result/ {
    want = 0; inr = 1; ex = 0
    if (match($0, /exit=[0-9]+/)) ex = substr($0, RSTART + 5, RLENGTH - 5)
    printf "%s", ex > (dir "/ex-" n ".exit"); close(dir "/ex-" n ".exit")
    printf "" > (dir "/ex-" n ".expected"); next
  }
  want { flush_err("the example at line " qline[n] " has no ```result block after it"); want = 0 }
  inr && /^```[ \t]*$/ { inr = 0; next }
  inr { print > (dir "/ex-" n ".expected"); next }
  END {
    if (want) flush_err("the example at line " qline[n] " has no ```result block after it")
    if (inq || inr) flush_err("the document ends inside a block")
    print n + 0 > (dir "/count")
  }
' "$DOC"

if [ -s "$WORK/errors" ]; then
  while read -r e; do failures=$((failures + 1)); echo "FAIL: $e"; done < "$WORK/errors"
fi
count=$(cat "$WORK/count")
check "the document has examples" test "$count" -gt 20

for i in $(seq 1 "$count"); do
  [ -f "$WORK/ex-$i.expected" ] || continue
  query=$(cat "$WORK/ex-$i.query")
  read -r -a opts <<< "$(cat "$WORK/ex-$i.opts")"
  want_exit=$(cat "$WORK/ex-$i.exit")
  got=$(cd "$WORK" && "$IPL" query --store "$WORK/st" --now "$NOW" --format table "${opts[@]}" -- "$query" 2>"$WORK/stderr")
  rc=$?
  got=$(printf '%s\n' "$got"; cat "$WORK/stderr")
  got=${got#$'\n'}
  got=$(printf '%s\n' "$got" | tr -d '\r' | sed 's/[[:blank:]]*$//')
  want=$(sed 's/[[:blank:]]*$//' "$WORK/ex-$i.expected")
  first=$(head -1 <<< "$query")
  if [ "$got" != "$want" ] || [ "$rc" != "$want_exit" ]; then
    failures=$((failures + 1))
    echo "FAIL: example $i: $first"
    [ "$rc" != "$want_exit" ] && echo "  exit $rc, expected $want_exit"
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -20 | sed 's/^/  /'
  else
    passes=$((passes + 1))
  fi
done
echo "examples: $count"
finish
