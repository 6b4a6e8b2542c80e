#!/usr/bin/env bash
# tools/bench-report.sh — the report targets of issue 9 on a generated store:
#   tracking report for one user over 90 days            target <= 1 s
#   configuration-change report over a year               target <= 2 s
# each measured end to end (`ipledger report ... --format html > file`: process start, the
# report's queries on one snapshot, rendering), median of 5 runs, next to a peer measured in the
# same run: the same sections as SQL in SQLite (python3's sqlite3) over the same events, loaded
# into one table indexed on user, kind and time (the peer's figure is query time only: no
# process start, no rendering).
# Usage: ./tools/bench-report.sh [--days D] [--devices N] [--keep] [--work DIR]
# Defaults: 365 days, 300 devices, 4 sites (~1.5M events). Figures go to stdout; exits 0 whether
# the targets are met or not (a benchmark, not a test). docs/performance.md ("Reports").
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
days=365; devices=300; keep=0; work=""
while [ $# -gt 0 ]; do
  case $1 in
    --days) days=$2; shift 2;;
    --devices) devices=$2; shift 2;;
    --keep) keep=1; shift;;
    --work) work=$2; shift 2;;
    -h|--help) sed -n '2,13p' "$0"; exit 0;;
    *) echo "bench-report.sh: unknown argument '$1'" >&2; exit 2;;
  esac
done
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! log=$(cmake --build "$build" -j 2 --target ipledger ipledger-gen 2>&1); then
  printf '%s\n' "$log" >&2; echo "bench-report.sh: the build failed" >&2; exit 1
fi
IPL=$(cd "$build" && pwd)/ipledger
GEN=$(cd "$build" && pwd)/ipledger-gen
if [ -z "$work" ]; then work=$(mktemp -d /tmp/ipl-bench-report.XXXXXX); fi
mkdir -p "$work"
[ $keep = 1 ] || trap 'rm -rf "$work"' EXIT
cd "$work"
export TZ=UTC LC_ALL=C
note() { echo "-- $*" >&2; }

if [ ! -d st ]; then
  note "generating $days days, $devices devices"
  "$GEN" --out data --days "$days" --devices "$devices" --sites 4 >&2
  note "ingesting"
  while IFS=$'\t' read -r path format tz server; do
    "$IPL" ingest --quiet --store st --format "$format" --tz "$tz" --server "$server" "data/$path"
  done < data/sources.tsv
fi
stat() { "$IPL" stats --store st --format csv | tr -d '\r' | awk -F, -v k="$1" '$1==k {print $2}'; }
events=$(stat events)
last=$(stat last_event)
NOW=${last%%.*}; NOW=${NOW%Z}Z
user=$("$IPL" query --store st --format csv 'logons where kind = logon | top 1 by user' | tr -d '\r' | sed -n '2s/,[0-9]*$//p')
user=${user#\"}; user=${user%\"}
changes=$("$IPL" query --store st --format csv --now "$NOW" 'changes since -365d | count' | tr -d '\r' | sed -n 2p)
note "store: $events events up to $NOW; user $user; $changes changes in the last year"

if [ ! -f peer.db ]; then
  note "loading the peer (SQLite)"
  "$IPL" query --store st --format csv \
    'events | fields seq, time, kind, ip, mac, host, user, server, source, line, object, action, option, old, new, reason, message' \
    > events.csv
  python3 - <<'PY'
import csv, sqlite3, datetime
db = sqlite3.connect("peer.db")
db.execute("""create table ev(seq integer primary key, ts integer, time text, kind text, ip text,
  mac text, host text collate nocase, user text collate nocase, server text collate nocase,
  source text, line integer, object text, action text, option text, old text, new text,
  reason text, message text)""")
def us(t):
    t = t.rstrip("Z"); fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in t else "%Y-%m-%dT%H:%M:%S"
    return int(datetime.datetime.strptime(t, fmt).replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6)
with open("events.csv", newline="") as f:
    r = csv.reader(f); next(r)
    db.executemany("insert into ev values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   ([int(x[0]), us(x[1])] + [v or None for v in x[1:9]] + [int(x[9] or 0)] + [v or None for v in x[10:]] for x in r))
for c in ("user", "kind, ts", "ts", "ip, ts"):
    db.execute("create index ix_%s on ev(%s)" % (c.replace(", ", "_"), c))
db.commit()
PY
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_ipl() {  # run_ipl ARGS...: median wall seconds of 5 runs
  for _ in 1 2 3 4 5; do
    local t0 t1; t0=$(date +%s.%N)
    "$IPL" report --store st --now "$NOW" "$@" --format html > out.html
    t1=$(date +%s.%N)
    python3 -c "import sys; print('%.4f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1"
  done | median
}
trk=$(run_ipl tracking --user "$user" --from -90d)
chg=$(run_ipl changes --from -365d)
rows_trk=$("$IPL" report --store st --now "$NOW" tracking --user "$user" --from -90d --format json | python3 -c '
import json, sys; print(sum(s.get("row_count", 0) for s in json.load(sys.stdin)["sections"]))')

read -r p_trk p_chg <<<"$(python3 - "$user" "$NOW" <<'PY'
import sqlite3, sys, time, datetime, statistics
user, now = sys.argv[1], sys.argv[2]
db = sqlite3.connect("peer.db")
end = int(datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6)
day = 86400 * 10**6
def timed(qs, args):
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for q in qs:
            db.execute(q, args).fetchall()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)
trk = [
  # correlation: each logon of the user with the latest lease event of its address before it
  """select l.seq, l.time, l.ip, l.host, (select e.mac from ev e where e.ip = l.ip and e.ts <= l.ts
       and e.kind like 'lease.%' order by e.ts desc limit 1) from ev l
     where l.user = :u and l.kind in ('logon', 'logon.explicit', 'auth.kerberos') and l.ts between :f and :t""",
  "select ts / :d, kind, count(*) from ev where user = :u and ts between :f and :t group by 1, 2 order by 1",
  "select seq, time, kind, ip, mac, host, user, server, source, line from ev where user = :u and ts between :f and :t order by ts, seq",
]
a = {"u": user, "f": end - 90 * day, "t": end, "d": day}
p_trk = timed(trk, a)
w = "kind = 'config.change' and ts between :f and :t"
chg = ["select count(*) from ev where " + w,
       "select server, count(*) from ev where %s group by 1 order by 2 desc" % w,
       "select user, count(*) from ev where %s group by 1 order by 2 desc" % w,
       "select object, count(*) from ev where %s group by 1 order by 2 desc" % w,
       "select ts / :d, server, count(*) from ev where %s group by 1, 2 order by 1" % w,
       "select seq, time, server, user, object, action, option, old, new, reason, message from ev where %s order by ts, seq" % w]
a = {"f": end - 365 * day, "t": end, "d": day}
p_chg = timed(chg, a)
print("%.4f %.4f" % (p_trk, p_chg))
PY
)"
printf '%-58s %10s %10s %8s %8s\n' "report ($events events)" "ipledger" "sqlite" "ratio" "target"
printf '%-58s %9ss %9ss %8s %8s\n' "tracking, user $user, 90 days ($rows_trk rows)" "$trk" "$p_trk" \
  "$(python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$trk" "$p_trk")" "<= 1 s"
printf '%-58s %9ss %9ss %8s %8s\n' "changes, 365 days ($changes changes)" "$chg" "$p_chg" \
  "$(python3 -c "import sys; print('%.2fx' % (float(sys.argv[1]) / float(sys.argv[2])))" "$chg" "$p_chg")" "<= 2 s"
