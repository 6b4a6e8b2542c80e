#!/usr/bin/env bash
# tools/bench-servers.sh — the inventory figures of issue 8 on a generated store (default ~5M
# events, every format):
#   servers rebuild           the full pass: every event folded into the summaries
#   servers list              incremental, nothing new (reads the summaries only)
#   servers list after +N     incremental, N new events folded in
#   peer: query count by server, the full scan that answers the same counts, in the same run
# Usage: ./tools/bench-servers.sh [--events N] [--keep] [--work DIR]
# Builds ipledger and ipledger-gen (Release, in $BUILD_DIR, default build). Figures go to stdout;
# it exits 0 whether targets are met or not (a benchmark, not a test). docs/servers.md has the
# last figures.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
events=5000000
keep=0
work=""
while [ $# -gt 0 ]; do
  case $1 in
    --events) events=$2; shift 2;;
    --keep) keep=1; shift;;
    --work) work=$2; shift 2;;
    -h|--help) sed -n '2,12p' "$0"; exit 0;;
    *) echo "bench-servers.sh: unknown argument '$1'" >&2; exit 2;;
  esac
done
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! log=$(cmake --build "$build" -j 2 --target ipledger ipledger-gen 2>&1); then
  printf '%s\n' "$log" >&2; echo "bench-servers.sh: the build failed" >&2; exit 1
fi
IPL=$(cd "$build" && pwd)/ipledger
GEN=$(cd "$build" && pwd)/ipledger-gen
if [ -z "$work" ]; then work=$(mktemp -d /tmp/ipl-bench-servers.XXXXXX); fi
mkdir -p "$work"
[ $keep = 1 ] || trap 'rm -rf "$work"' EXIT
cd "$work"
export TZ=UTC LC_ALL=C IPLEDGER_STORE=$work/st
note() { echo "-- $*" >&2; }
secs() { python3 -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); secs "$t0" "$t1"; }

if [ ! -d data ]; then
  note "generating ~$events events"
  "$GEN" --out data --seed 42 --events "$events" >/dev/null
  "$GEN" --out extra --seed 43 --events 20000 --start 2024-09-02 >/dev/null
fi
if [ ! -d st ]; then
  note "ingesting"
  "$IPL" init >/dev/null
  while IFS=$'\t' read -r path format tz server; do
    "$IPL" ingest --quiet --format "$format" --tz "$tz" --server "$server" "data/$path"
  done < data/sources.tsv
fi
total=$("$IPL" stats --format csv | tr -d '\r' | awk -F, '$1=="events"{print $2}')
q='events where not source like "ipledger:*" | count by server'
rebuild=$(timed "$IPL" servers rebuild)
list=$(timed "$IPL" servers list --format csv)
peer=$(timed "$IPL" query "$q" --format csv)
n0=$total
while IFS=$'\t' read -r path format tz server; do
  "$IPL" ingest --quiet --format "$format" --tz "$tz" --server "$server" "extra/$path"
done < extra/sources.tsv
n1=$("$IPL" stats --format csv | tr -d '\r' | awk -F, '$1=="events"{print $2}')
inc=$(timed "$IPL" servers list --format csv)
peer2=$(timed "$IPL" query "$q" --format csv)
# the two answers agree
"$IPL" servers list --format csv | python3 -c 'import csv,sys; [print(r["name"] + "," + r["events"]) for r in csv.DictReader(sys.stdin)]' | sort > a.txt
"$IPL" query "$q" --format csv | tr -d '\r' | tail -n +2 | sort > b.txt
same=$(cmp -s a.txt b.txt && echo yes || echo NO)
echo "store: $n1 events ($(wc -l < a.txt) servers)"
echo "servers rebuild (full pass over $total events): ${rebuild} s ($(python3 -c "print(int($total / max($rebuild, 0.001)))") events/s)"
echo "servers list, nothing new:                      ${list} s"
echo "servers list, $((n1 - n0)) new events folded in:    ${inc} s"
echo "peer: query count by server (full scan):        ${peer} s, after the new events ${peer2} s"
echo "ratio peer / list: $(python3 -c "print('%.1f' % ($peer / max($list, 0.001)))")x (nothing new), $(python3 -c "print('%.1f' % ($peer2 / max($inc, 0.001)))")x (with new events)"
echo "counts per server equal the query's: $same"
