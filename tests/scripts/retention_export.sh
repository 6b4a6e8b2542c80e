#!/usr/bin/env bash
# Archive, purge, bring back: `export --before T --skip-held` writes exactly what `purge --before T`
# then removes; `import` of that archive restores the events' content (time, kind, address, MAC,
# host, server, attributes; new seqs; the original source#line in "origin"), exactly once (a
# second import adds nothing), and is recorded; CSV export and the selector options work too.
source "$(dirname "$0")/lib.bash"

T=2024-05-03T00:00:00Z
mklog a.log 9000                             # 3000 devices, days 1..3
"$IPL" ingest --quiet --store st --tz UTC a.log
"$IPL" hold add --store st --ip 10.0.2.0/24 --reason kept >/dev/null

out=$("$IPL" export --store st --before "$T" --skip-held --out arch.ndjson 2>&1); rc=$?
check "export: exit 0" eq "$rc" 0
check "export: says how many" contains "$out" "exported 5,250 events to 'arch.ndjson'"
check "export: one line per event" eq "$(wc -l < arch.ndjson)" 5250
check "export: no temporary file left" test ! -e arch.ndjson.tmp
"$IPL" export --store st --before "$T" --format csv > arch.csv
check "export csv: header and every event (held too)" eq "$(wc -l < arch.csv)" 6001
check "export csv: the event columns" eq "$(head -1 arch.csv | tr -d '\r')" "seq,time,kind,ip,mac,duid,host,user,server,source,line,attrs"
check "export --ip" eq "$("$IPL" export --store st --ip 10.0.0.1 | wc -l)" 3
check "export --from/--to (inclusive)" eq "$("$IPL" export --store st --from 2024-05-01T00:00:00Z --to 2024-05-01T00:00:10Z | wc -l)" 2
check "export --where" eq "$("$IPL" export --store st --where 'leases where ip in 10.0.0.0/30 and kind = "lease.renew"' | wc -l)" 3
out=$("$IPL" export --store st --where 'leases where' 2>&1); rc=$?
check "export --where with a bad query: exit 2" eq "$rc:$(grep -c -- '--where:1:' <<<"$out")" "2:1"
check "export --kind" eq "$("$IPL" export --store st --before "$T" --kind lease.release | wc -l)" 2000

json=$("$IPL" purge --store st --before "$T" --yes --format json)
check "the purge removes what was archived" eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["count"])' "$json")" 5250
left=$(stat_of st events)

out=$("$IPL" import --store st arch.ndjson 2>&1); rc=$?
check "import: exit 0" eq "$rc" 0
check "import: says how many" contains "$out" "imported 5,250 events (0 quarantined)"
check "import: every event back (+ the import record)" eq "$(stat_of st events)" $((left + 5250 + 1))
check "import: recorded" contains "$("$IPL" events --store st --all --format csv | grep config.change | tail -1)" "import"

# the content is the same; the origin names the original source and line
"$IPL" export --store st --before "$T" --skip-held > back.ndjson
python3 - arch.ndjson back.ndjson <<'PY' > cmp.out
import json, sys
def load(p):
    out = []
    for line in open(p):
        e = json.loads(line)
        a = dict(e["attrs"])
        origin = a.pop("origin", None)
        out.append((e["time"], e["kind"], e["ip"], e["mac"], e["duid"], e["host"], e["user"], e["server"],
                    json.dumps(a, sort_keys=True), origin, e["source"], e["line"], e["seq"]))
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
ka = sorted(x[:9] for x in a); kb = sorted(x[:9] for x in b)
print("same-content" if ka == kb else "different-content")
orig = {(x[:9]): "%s#%s" % (x[10], x[11]) for x in a}
print("origins-ok" if all(orig[x[:9]] == x[9] for x in b) else "origins-bad")
print("new-seqs" if min(x[12] for x in b) > max(x[12] for x in a) else "old-seqs")
PY
check "import: the same content" contains "$(cat cmp.out)" "same-content"
check "import: origin = source#line of the original" contains "$(cat cmp.out)" "origins-ok"
check "import: new seqs" contains "$(cat cmp.out)" "new-seqs"

# exactly once
out=$("$IPL" import --store st arch.ndjson 2>&1); rc=$?
check "second import: exit 0" eq "$rc" 0
check "second import: adds nothing" eq "$(stat_of st events)" $((left + 5250 + 1))
check "second import: says so" contains "$out" "imported before, nothing added"
check "verify after import" eq "$("$IPL" verify --store st >/dev/null; echo $?)" 0

# the format is detected as ipledger's own, and only it
check "formats lists ipledger-ndjson" contains "$("$IPL" formats)" "ipledger-ndjson"
"$IPL" ingest --quiet --store other arch.ndjson
check "plain ingest detects the archive" eq "$(stat_of other events)" 5250
printf 'not json\n' > junk.ndjson
out=$("$IPL" import --store other junk.ndjson 2>&1); rc=$?
check "a line that is not an export is quarantined" eq "$(stat_of other quarantined)" 1
out=$("$IPL" export --store st --format xml 2>&1); rc=$?
check "export: bad format exit 2" eq "$rc" 2
finish
