#!/usr/bin/env bash
# Exactly-once ingest: reruns add nothing, growth adds only new lines, a weekly overwrite is a new
# file, an incomplete last line waits, and a process killed at any point then rerun leaves the
# store identical (same events, same sequence numbers, same chain head) to an uninterrupted run.
source "$(dirname "$0")/lib.bash"

mkdir logs
mklog logs/DhcpSrvLog-Wed.log 3000
mklog logs/DhcpSrvLog-Thu.log 1500 1

# reference: one uninterrupted run
"$IPL" ingest --quiet --store ref --tz Europe/Berlin --server dhcp1 logs
ref_events=$(stat_of ref events); ref_chain=$(stat_of ref chain_head)
"$IPL" events --all --store ref --format csv > ref.csv
check "reference has every row" eq "$ref_events" 4500

# a rerun adds nothing
out=$("$IPL" ingest --store ref --tz Europe/Berlin --server dhcp1 logs 2>&1)
check "rerun adds no events" contains "$out" "0 events"
check "rerun says both files unchanged" contains "$out" "(2 unchanged"
check "rerun keeps the chain" eq "$(stat_of ref chain_head)" "$ref_chain"

# killed between commits (after 1, 4, 9 commits), then rerun: identical store
for k in 1 4 9; do
  "$IPL" ingest --quiet --store "kill$k" --tz Europe/Berlin --server dhcp1 --batch 200 --crash-after $k logs
  rc=$?
  check "crash-after $k is a kill (exit 137, got $rc)" eq "$rc" 137
  partial=$(stat_of "kill$k" events)
  bysrc=$("$IPL" sources --store "kill$k" --format csv | tr -d '\r' | awk -F, 'NR>1 {s+=$5} END {print s+0}')
  check "crash-after $k: committed events ($partial) are exactly what the positions account for" eq "$bysrc" "$partial"
  check "crash-after $k: something but not everything was committed" test "$partial" -gt 0 -a "$partial" -lt "$ref_events"
  "$IPL" ingest --quiet --store "kill$k" --tz Europe/Berlin --server dhcp1 --batch 200 logs
  check "kill$k then rerun: same event count" eq "$(stat_of "kill$k" events)" "$ref_events"
  check "kill$k then rerun: same chain head" eq "$(stat_of "kill$k" chain_head)" "$ref_chain"
  "$IPL" events --all --store "kill$k" --format csv > "kill$k.csv"
  check "kill$k then rerun: identical events" cmp -s ref.csv "kill$k.csv"
done

# killed at a random instant by SIGKILL from outside (several tries), then rerun
for i in 1 2 3; do
  "$IPL" ingest --quiet --store "rnd$i" --tz Europe/Berlin --server dhcp1 --batch 50 logs &
  pid=$!; sleep "0.0$((RANDOM % 9 + 1))"; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
  "$IPL" ingest --quiet --store "rnd$i" --tz Europe/Berlin --server dhcp1 --batch 50 logs
  check "random kill $i then rerun: same chain head" eq "$(stat_of "rnd$i" chain_head)" "$ref_chain"
done

# growth: appended lines, and only those, are added
cp -r logs grow && "$IPL" ingest --quiet --store growst --tz UTC grow
before=$(stat_of growst events)
printf '10,05/09/24,10:00:00,Assign,10.9.9.9,NEW-HOST,AABBCCDDEEFF,,77,6,,,,,,,,,0\r\n12,05/09/24,11:00:00,Release,10.9.9.9,NEW-HOST,AABBCCDDEEFF,,78,6,,,,,,,,,0\r\n' >> grow/DhcpSrvLog-Wed.log
"$IPL" ingest --quiet --store growst --tz UTC grow
check "growth adds exactly the 2 new rows" eq "$(stat_of growst events)" "$((before + 2))"
who=$("$IPL" who --store growst --ip 10.9.9.9 --at 2024-05-09T10:30:00Z --format csv | tail -1)
check "the appended lease is answered" contains "$who" "aabbccddeeff"

# the weekly overwrite: same path, a new week's content (same header): a new generation
mklog grow/DhcpSrvLog-Wed.log 3000 7
out=$("$IPL" ingest --store growst --tz UTC grow 2>&1)
check "overwrite is a new generation" contains "$out" "1 new generation"
check "overwrite ingests the whole new file" eq "$(stat_of growst events)" "$((before + 2 + 3000))"
gen=$("$IPL" sources --store growst --format csv | grep DhcpSrvLog-Wed | cut -d, -f7 | tr -d '\r')
check "the source records generation 1" eq "$gen" 1

# an incomplete last line waits for its end
printf '10,05/20/24,10:00:00,Assign,10.8.8.8,PART,AABBCCDDEE01,,1,6,,,,,,,,,0' >> grow/DhcpSrvLog-Thu.log
n0=$(stat_of growst events)
out=$("$IPL" ingest --store growst --tz UTC grow 2>&1)
check "a partial last line is left" contains "$out" "incomplete last line"
check "nothing added for it" eq "$(stat_of growst events)" "$n0"
printf '\r\n' >> grow/DhcpSrvLog-Thu.log
"$IPL" ingest --quiet --store growst --tz UTC grow
check "completed line is added once" eq "$(stat_of growst events)" "$((n0 + 1))"

# stdin: a named stream, re-piped, adds nothing
"$IPL" ingest --quiet --store pipe --format mswin-dhcp --name feed1 - < logs/DhcpSrvLog-Thu.log
"$IPL" ingest --quiet --store pipe --format mswin-dhcp --name feed1 - < logs/DhcpSrvLog-Thu.log
check "stdin re-piped adds nothing" eq "$(stat_of pipe events)" 1500
finish
