#!/usr/bin/env bash
# Every command in the table answers -h with its usage and exit 0; an unknown command and an
# unknown option are usage errors (exit 2) with a message.
source "$(dirname "$0")/lib.bash"
cmds=$("$IPL" help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1}')
check "the help lists commands" test -n "$cmds"
for c in $cmds; do
  out=$("$IPL" "$c" -h 2>&1); rc=$?
  check "$c -h exits 0" eq "$rc" 0
  check "$c -h prints usage" contains "$out" "usage: ipledger $c"
done
out=$("$IPL" frobnicate 2>&1); rc=$?
check "unknown command: exit 2" eq "$rc" 2
check "unknown command: message" contains "$out" "'frobnicate' is not a command"
out=$("$IPL" events --bogus 2>&1); rc=$?
check "unknown option: exit 2" eq "$rc" 2
check "unknown option: names it" contains "$out" "unknown option '--bogus'"
finish
