#!/usr/bin/env bash
# tools/bench-retention.sh — the retention figures of issue 5 on a generated ~5M-event store:
#   purge throughput                         target >= 1,000,000 events/s
#   ingest rate while a purge runs           target >= 50% of ingest alone
#   query (`ipledger who`) p99 during purge  target <= 2x p99 alone
#   verify throughput                        target >= 5,000,000 events/s
# Usage: ./tools/bench-retention.sh [--events N] [--keep] [--work DIR]
# Builds ipledger and ipledger-gen (Release, in $BUILD_DIR, default build), generates the data
# into a temporary directory under /tmp (or --work DIR), ingests it once, and runs every
# experiment on a fresh copy of that store. Figures go to stdout; it exits 0 whether targets are
# met or not (a benchmark, not a test). docs/performance.md ("Retention") has the last figures.
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
    -h|--help) sed -n '2,11p' "$0"; exit 0;;
    *) echo "bench-retention.sh: unknown argument '$1'" >&2; exit 2;;
  esac
done
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! log=$(cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target ipledger ipledger-gen 2>&1); then
  printf '%s\n' "$log" >&2; echo "bench-retention.sh: the build failed" >&2; exit 1
fi
IPL=$(cd "$build" && pwd)/ipledger
GEN=$(cd "$build" && pwd)/ipledger-gen
B=$(cd "$build" && pwd)
src=$(pwd)
if [ -z "$work" ]; then work=$(mktemp -d /tmp/ipl-bench-retention.XXXXXX); fi
mkdir -p "$work"
[ $keep = 1 ] || trap 'rm -rf "$work"' EXIT
# the in-process latency probe (tools/bench-retention/who_lat.c), against the build's libraries
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I"$src" "$src/tools/bench-retention/who_lat.c" \
   -o "$work/who_lat" "$B/libipl_queries.a" "$B/libipl_engine.a" \
   $(pkg-config --libs libcjson libevent libpcre2-8 libmaxminddb) -llmdb -lpthread -lm
cd "$work"
export TZ=UTC LC_ALL=C
note() { echo "-- $*" >&2; }
mix=""
"$GEN" -h 2>&1 | grep -q -- '--mix' && mix="--mix mswin"

ingest_set() {   # ingest_set DATA STORE [extra ingest options]: prints events/s of the whole set
  local data=$1 st=$2; shift 2
  local t0 t1 n0 n1
  n0=$({ "$IPL" stats --store "$st" --format csv 2>/dev/null || true; } | awk -F, '$1=="events"{print $2}'); n0=${n0:-0}
  t0=$(date +%s.%N)
  while IFS=$'\t' read -r path format tz server; do
    [ -z "$path" ] && continue
    "$IPL" ingest --quiet --store "$st" --format "$format" --tz "$tz" --server "$server" "$@" "$data/$path"
  done < "$data/sources.tsv"
  t1=$(date +%s.%N)
  n1=$("$IPL" stats --store "$st" --format csv | awk -F, '$1=="events"{print $2}')
  python3 -c "import sys; n=int(sys.argv[1])-int(sys.argv[2]); s=float(sys.argv[4])-float(sys.argv[3]); print(n, '%.2f' % s, int(n / s))" "$n1" "$n0" "$t0" "$t1"
}

if [ ! -d data ]; then
  note "generating ~$events events ($mix)"
  "$GEN" --out data --seed 42 --events "$events" $mix >/dev/null
  "$GEN" --out extra --seed 43 --events $((events / 5)) --start 2024-08-05 $mix >/dev/null
fi
if [ ! -d base ]; then
  note "ingesting into the base store"
  read -r n s r < <(ingest_set data base)
  note "base: $n events in $s s ($r events/s)"
fi
total=$("$IPL" stats --store base --format csv | awk -F, '$1=="events"{print $2}')
first=$("$IPL" stats --store base --format csv | awk -F, '$1=="first_event"{print $2}')
last=$("$IPL" stats --store base --format csv | awk -F, '$1=="last_event"{print $2}')
# purge the oldest ~40% of the span
cut=$(python3 -c "
import datetime as d, sys
f = d.datetime.strptime(sys.argv[1][:19], '%Y-%m-%dT%H:%M:%S'); l = d.datetime.strptime(sys.argv[2][:19], '%Y-%m-%dT%H:%M:%S')
print((f + (l - f) * 0.4).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$first" "$last")
note "store: $total events, $first .. $last; purges remove what is older than $cut"
fresh() { rm -rf "$1"; cp -r base "$1"; sync; }
# Every process maps 8 GiB up front, so no writer grows the map under another one: engine/store.c's
# commit does not yet adopt a map grown by another process (MDB_MAP_RESIZED on its write begin;
# maint.c's writes do), which would fail the ingest that runs beside a purge.
export IPLEDGER_MAP_SIZE=$((8 << 30))
jget() { python3 -c "import json,sys; j=json.loads(sys.stdin.read()); print(*[j[k] for k in sys.argv[1:]])" "$@"; }

# ---- 1. purge alone
fresh p1
note "purge alone"
t0=$(date +%s.%N)
read -r pcount psec pbatches psel pdel pres < <("$IPL" purge --store p1 --before "$cut" --yes --format json |
  jget count seconds batches select_seconds delete_seconds reseal_seconds)
t1=$(date +%s.%N)
prate=$(python3 -c "print(int($pcount / $psec))")
pwall=$(python3 -c "print('%.2f' % ($t1 - $t0))")

# ---- 2. verify (on the purged store: what an administrator checks afterwards) and on base
note "verify"
vout=$("$IPL" verify --store base); vrate=$(sed -n 's/.*(\([0-9]*\) events\/s).*/\1/p' <<<"$vout")
vsec=$(sed -n 's/.* verified in \([0-9.]*\) s .*/\1/p' <<<"$vout")

# ---- 3. ingest alone vs while a purge runs (each into a fresh copy of the same store)
fresh i1
note "ingest alone"
read -r inum isec irate < <(ingest_set extra i1)
fresh i2
note "ingest while a purge runs"
# The purge removes events while the ingest adds them, so the ingest is followed by its last_seq
# (which only ingest moves), sampled every 0.1 s; the rate while the purge runs is the seqs added
# in the time both ran (from the later start to the earlier end, interpolated between samples)
# over that time. Neither the ingest's time alone (a purge that ends first) nor the purge's time
# alone (an ingest that ends first, or starts later) dilutes it.
rm -f purge_end ingest_end
( while [ ! -f purge_end ] || [ ! -f ingest_end ]; do
    printf '%s %s\n' "$(date +%s.%N)" "$("$IPL" stats --store i2 --format csv 2>/dev/null | awk -F, '$1=="last_seq"{print $2}')"
    sleep 0.1
  done > seq_samples ) & spid=$!
( date +%s.%N > purge_start; "$IPL" purge --store i2 --before "$cut" --yes --quiet; date +%s.%N > purge_end ) & ppid=$!
sleep 0.2
date +%s.%N > ingest_start
read -r cnum csec crate < <(ingest_set extra i2)
date +%s.%N > ingest_end
wait $ppid
wait $spid
crate=$(python3 - "$(cat purge_start)" "$(cat purge_end)" "$(cat ingest_start)" "$(cat ingest_end)" <<'PY'
import sys
a, b = max(float(sys.argv[1]), float(sys.argv[3])), min(float(sys.argv[2]), float(sys.argv[4]))
s = [tuple(map(float, l.split())) for l in open('seq_samples') if len(l.split()) == 2]
def at(t):
    for (t0, v0), (t1, v1) in zip(s, s[1:]):
        if t0 <= t <= t1:
            return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1
    return s[0][1] if t < s[0][0] else s[-1][1]
print(int((at(b) - at(a)) / (b - a)))
PY
)
overlap=$(python3 -c "print('%.2f' % (min($(cat purge_end), $(cat ingest_end)) - max($(cat purge_start), $(cat ingest_start))))")

# ---- 4. `who` latency: in process (each lookup in its own read transaction) and 500 CLI runs,
#         alone and while a purge runs
fresh q1
awk -F'\t' 'NR > 1 && NR <= 501 {print $1 "\t" $2}' data/probes.tsv > probes.txt
cat > lat.py <<'PY'
import subprocess, sys, time
ipl, store, probes = sys.argv[1], sys.argv[2], [l.split('\t') for l in open(sys.argv[3]).read().split('\n') if l]
stop_pid = int(sys.argv[4]) if len(sys.argv) > 4 else 0
lat = []
for ip, at in probes:
    if stop_pid:
        try:
            import os; os.kill(stop_pid, 0)
        except OSError:
            break
    t = time.perf_counter()
    subprocess.run([ipl, "who", "--store", store, "--ip", ip, "--at", at, "--format", "csv"],
                   stdout=subprocess.DEVNULL, check=True)
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(len(lat), "%.2f" % p(0.5), "%.2f" % p(0.99))
PY
awk -F'\t' 'NR > 1 {print $1 "\t" $2}' data/probes.tsv > probes_all.txt
note "who latency alone"
./who_lat q1 probes_all.txt 20000 >/dev/null                      # warm the cache
read -r wn wp50 wp99 wp999 < <(./who_lat q1 probes_all.txt 100000)
read -r qn qp50 qp99 < <(python3 lat.py "$IPL" q1 probes.txt)
note "who latency while a purge runs"
"$IPL" purge --store q1 --before "$cut" --yes --quiet & ppid=$!
sleep 0.2
read -r wn2 wp50b wp99b wp999b < <(./who_lat q1 probes_all.txt 100000000 $ppid)
wait $ppid
fresh q1
"$IPL" purge --store q1 --before "$cut" --yes --quiet & ppid=$!
sleep 0.2
read -r qn2 qp50b qp99b < <(python3 lat.py "$IPL" q1 probes.txt $ppid)
wait $ppid

pass() { python3 -c "print('PASS' if $1 else 'MISS')"; }
printf '\nretention benchmark: %s events (%s .. %s), purge of everything before %s\n' "$total" "$first" "$last" "$cut"
printf '%-44s %14s   %-26s %s\n' "figure" "measured" "target" ""
printf '%-44s %14s   %-26s %s\n' "purge throughput (events/s)" "$prate" ">= 1,000,000" "$(pass "$prate >= 1000000")"
printf '  (%s events in %s s by its own clock, %s s wall; %s delete transactions: %s s in them,\n   %s s selecting, %s s re-sealing the chain)\n' "$pcount" "$psec" "$pwall" "$pbatches" "$pdel" "$psel" "$pres"
printf '%-44s %14s   %-26s %s\n' "verify throughput (events/s)" "$vrate" ">= 5,000,000" "$(pass "$vrate >= 5000000")"
printf '  (%s s for %s events)\n' "$vsec" "$total"
printf '%-44s %14s   %-26s\n' "ingest alone (events/s)" "$irate" ""
printf '%-44s %14s   %-26s %s\n' "ingest while a purge runs (events/s)" "$crate" ">= 50% of alone = $((irate / 2))" "$(pass "$crate * 2 >= $irate")"
printf '  (the ingest of %s events, measured over the %s s both ran; the whole ingest took %s s)\n' "$inum" "$overlap" "$csec"
printf '%-44s %14s   %-26s\n' "who p99 alone (us, in process, $wn lookups)" "$wp99" "p50 $wp50, p99.9 $wp999"
printf '%-44s %14s   %-26s %s\n' "who p99 while a purge runs (us, $wn2 lookups)" "$wp99b" "<= 2x alone = $(python3 -c "print('%.1f' % (2 * $wp99))")" "$(pass "$wp99b <= 2 * $wp99")"
printf '  (p50 %s us, p99.9 %s us during the purge)\n' "$wp50b" "$wp999b"
printf '%-44s %14s   %-26s\n' "who p99 alone (ms, 500 CLI runs)" "$qp99" "p50 $qp50"
printf '%-44s %14s   %-26s %s\n' "who p99 while a purge runs (ms, $qn2 CLI runs)" "$qp99b" "<= 2x alone = $(python3 -c "print('%.2f' % (2 * $qp99))")" "$(pass "$qp99b <= 2 * $qp99")"
printf '  (p50 %s ms during the purge; a CLI run is mostly process start, so its p99 is noisy)\n' "$qp50b"
