#!/usr/bin/env bash
# Purge through the CLI: the dry run counts per kind, source and hold and changes nothing; without
# a terminal and without --yes it refuses (exit 2), on a terminal it asks; the purge removes
# exactly the events older than T that no hold keeps, from the events and from every index (events,
# who, mac, host), keeps the held ones and the purge records, verifies, and appends one
# retention.purge event whose count and digest equal those recomputed here with Python from the
# raw records (mdb_dump): SHA-256 over BE64 seq | BE32 len | record, in (ts, seq) order.
source "$(dirname "$0")/lib.bash"

T=2024-05-02T00:00:00Z; TUS=1714608000000000
mkdir logs
mklog logs/DhcpSrvLog-Wed.log 6000          # 2000 devices: day 1 (dev < 1000) and day 2
"$IPL" ingest --quiet --store base --tz UTC logs
check "base has every row" eq "$(stat_of base events)" 6000

# holds: an address block (devices 250..499, day 1), one host (any case), one that expires
out=$("$IPL" hold add --store base --ip 10.0.1.0/24 --reason "case 17" 2>&1)
check "hold add says so" contains "$out" "hold 1 added: ip 10.0.1.0/24"
"$IPL" hold add --store base --host host-00007.CORP.example.com --reason "audit" >/dev/null
"$IPL" hold add --store base --mac 00:00:00:00:00:09 --reason "short" --until "$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
out=$("$IPL" hold add --store base --ip 10.0.0.1 2>&1); rc=$?
check "hold add without a reason: exit 2" eq "$rc" 2
check "hold add without a reason: says so" contains "$out" "--reason"
sleep 3     # hold 3 has expired: it no longer holds
list=$("$IPL" hold list --store base --format csv | tr -d '\r')
check "hold list shows three holds" eq "$(tail -n +2 <<<"$list" | wc -l)" 3
check "hold list: the expired one says so" contains "$(grep '^3,' <<<"$list")" "expired"

# what must go, computed from the raw records
{ "$IPL" events --store base --ip 10.0.1.0/24 --format csv; "$IPL" events --store base --host HOST-00007.corp.example.com --format csv; } \
  | tr -d '\r' | awk -F, '$1 ~ /^[0-9]+$/ {print $1}' > held.txt
mdb_dump -s events base > events.dump
cat > digest.py <<'PY'
import sys, hashlib
T = int(sys.argv[2]); held = set(int(x) for x in open(sys.argv[3]).read().split())
def head_ts(v):   # record version 2 (engine/store_int.h): head, kind, zigzag varint ts in its unit
    assert v[0] >> 4 == 2, 'not a version-2 record'
    z = 0; shift = 0; j = 2
    while True:
        z |= (v[j] & 0x7f) << shift; shift += 7; j += 1
        if not v[j - 1] & 0x80: break
    return ((z >> 1) ^ -(z & 1)) * (1, 1000, 1000000)[(v[0] >> 2) & 3]
lines = open(sys.argv[1]).read().split('\n'); i = lines.index('HEADER=END') + 1; recs = []
while lines[i].startswith(' '):
    k = bytes.fromhex(lines[i].strip()); v = bytes.fromhex(lines[i + 1].strip()); i += 2
    seq = int.from_bytes(k, 'big'); kind = v[1]; ts = head_ts(v)
    if ts < T and kind != 33 and seq not in held:
        recs.append((ts, seq, v))
recs.sort()
h = hashlib.sha256()
for ts, seq, v in recs:
    h.update(seq.to_bytes(8, 'big') + len(v).to_bytes(4, 'big') + v)
print(len(recs), h.hexdigest())
PY
read -r want_n want_digest < <(python3 digest.py events.dump "$TUS" held.txt)
check "the expectation is 3000 - 750 - 3" eq "$want_n" 2247

cp -r base dry && cp -r base tty && cp -r base ref
# dry run: the figures, nothing changed
out=$("$IPL" purge --store dry --before "$T" --dry-run)
check "dry run: count" contains "$out" "would remove 2,247 events (2024-05-01T00:00:00Z .. 2024-05-01T16:39:20Z)"
check "dry run: by kind" contains "$out" "lease.assign"
check "dry run: by source" contains "$out" "logs/DhcpSrvLog-Wed.log"
check "dry run: held per hold" contains "$out" "hold 1 (ip 10.0.1.0/24)"
check "dry run: held total" contains "$out" "kept by legal holds: 753 events"
check "dry run: bytes are an estimate" contains "$out" "an estimate"
json=$("$IPL" purge --store dry --before "$T" --dry-run --format json)
check "dry run json: count and holds" eq "$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["count"], j["held_total"], [h["count"] for h in j["held"]], j["dry_run"])' "$json")" "2247 753 [750, 3] True"
check "dry run: nothing changed" eq "$(stat_of dry events)" 6003

# no terminal, no --yes: refused
out=$("$IPL" purge --store dry --before "$T" </dev/null 2>&1); rc=$?
check "no tty, no --yes: exit 2" eq "$rc" 2
check "no tty, no --yes: says why" contains "$out" "refusing to delete without --yes"
check "no tty, no --yes: nothing changed" eq "$(stat_of dry events)" 6003
# a terminal: it asks; "no" keeps everything, "yes" deletes
out=$(printf 'no\n' | script -qec "$IPL purge --store tty --before $T" /dev/null 2>&1); rc=$?
check "tty, answered no: exit 2" eq "$rc" 2
check "tty: it asked" contains "$out" "delete these 2,247 events for good?"
check "tty, answered no: nothing changed" eq "$(stat_of tty events)" 6003
out=$(printf 'yes\n' | script -qec "$IPL purge --store tty --before $T --quiet" /dev/null 2>&1); rc=$?
check "tty, answered yes: exit 0" eq "$rc" 0
check "tty, answered yes: deleted" eq "$(stat_of tty events)" $((6003 - 2247 + 1))

# the purge
json=$("$IPL" purge --store ref --before "$T" --yes --reason "retention test" --format json); rc=$?
check "purge: exit 0" eq "$rc" 0
read -r got_n got_digest held_total < <(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["count"], j["digest"], j["held_total"])' "$json")
check "purge: count as recomputed" eq "$got_n" "$want_n"
check "purge: digest as recomputed from the raw records" eq "$got_digest" "$want_digest"
check "purge: held" eq "$held_total" 753
check "purge: events left" eq "$(stat_of ref events)" $((6003 - 2247 + 1))
out=$("$IPL" verify --store ref); rc=$?
check "verify after the purge: exit 0" eq "$rc" 0
check "verify after the purge: OK" contains "$out" "OK: 3,757 events"

# gone from every index; held ones stay
"$IPL" events --store ref --all --format csv | tr -d '\r' > after.csv
bad=$(awk -F, -v t="$T" 'NR > 1 && $2 < t && $3 != "retention.purge" && $3 != "config.change" && $4 !~ /^10\.0\.1\./ && $7 != "HOST-00007.corp.example.com"' after.csv | wc -l)
check "no unheld event older than T is left" eq "$bad" 0
check "held block kept (750 events)" eq "$(awk -F, -v t="$T" '$2 < t && $4 ~ /^10\.0\.1\./' after.csv | wc -l)" 750
check "ip index: a purged address has no events" eq "$("$IPL" events --store ref --ip 10.0.0.1 --format csv | tail -n +2 | wc -l)" 0
check "mac index: a purged device has no events" eq "$("$IPL" events --store ref --mac 00:00:00:00:00:05 --format csv | tail -n +2 | wc -l)" 0
check "host index: a purged host has no events" eq "$("$IPL" events --store ref --host HOST-00008.corp.example.com --format csv | tail -n +2 | wc -l)" 0
check "host index: the held host keeps its 3" eq "$("$IPL" events --store ref --host host-00007.corp.example.com --format csv | tail -n +2 | wc -l)" 3
check "the expired hold held nothing" eq "$("$IPL" events --store ref --mac 000000000009 --format csv | tail -n +2 | wc -l)" 0
who=$("$IPL" who --store ref --ip 10.0.0.1 --at 2024-05-01T00:00:05Z --format csv | tail -1)
check "who: a purged lease is not answered" contains "$who" "nobody"
who=$("$IPL" who --store ref --ip 10.0.1.1 --at 2024-05-01T04:10:05Z --format csv | tail -1)
check "who: a held lease still is" contains "$who" "held"

# the purge's own record
rec=$("$IPL" events --store ref --user "os:$(id -un)" --format ndjson | grep '"retention.purge"')
check "one retention.purge record" eq "$(wc -l <<<"$rec")" 1
check "record: count" contains "$rec" "\"count\":\"2247\""
check "record: digest" contains "$rec" "\"digest\":\"$want_digest\""
check "record: criteria" contains "$rec" 'before_time\":\"2024-05-02T00:00:00Z'
check "record: per hold" contains "$rec" '"purge.held":"{\"total\":753,\"1\":750,\"2\":3}"'
check "record: per kind" contains "$rec" 'lease.assign\":749'
check "record: reason" contains "$rec" '"reason":"retention test"'
check "record: chain heads" contains "$rec" '"chain.after":"'

# a later purge spares the purge record unless it is named
"$IPL" purge --store ref --before now --kind lease.* --yes --quiet
check "the purge record survives a purge of everything" eq "$("$IPL" events --store ref --all --format csv | grep -c ',retention.purge,')" 2
out=$("$IPL" purge --store ref --before now --dry-run)
check "the dry run says purge records are spared" contains "$out" "retention.purge records spared (name --kind retention.purge to remove them): 2"
"$IPL" purge --store ref --before now --kind retention.purge --yes --quiet
check "named, purge records go (the newest stays)" eq "$("$IPL" events --store ref --all --format csv | grep -c ',retention.purge,')" 1
check "verify after three purges" eq "$("$IPL" verify --store ref >/dev/null; echo $?)" 0

# hold remove is audited; then the block can go
out=$("$IPL" hold remove 1 --store ref --reason "case closed")
check "hold remove says so" contains "$out" "hold 1 removed"
check "hold remove is recorded" contains "$("$IPL" events --store ref --user "os:$(id -un)" --format csv | grep config.change | tail -1)" "remove"
out=$("$IPL" hold remove 1 --store ref 2>&1); rc=$?
check "removing it again: exit 2" eq "$rc" 2
check "removing it again: no such hold" contains "$out" "there is no hold 1"
check "the released block can be purged" contains "$("$IPL" purge --store ref --before "$T" --dry-run)" "would remove 750 events"

# argument errors
out=$("$IPL" purge --store ref --yes 2>&1); rc=$?
check "no --before: exit 2" eq "$rc" 2
check "no --before: says so" contains "$out" "give --before"
out=$("$IPL" purge --store ref --before "$T" --kind lease.bogus --yes 2>&1); rc=$?
check "unknown kind: exit 2 naming it" eq "$rc:$(grep -c lease.bogus <<<"$out")" "2:1"
out=$("$IPL" purge --store ref --before "$T" --where 'leases where ip in' --yes 2>&1); rc=$?
check "--where with a bad query: exit 2" eq "$rc" 2
check "--where with a bad query: points at it" contains "$out" "--where:1:19:"
out=$("$IPL" purge --store ref --before "$T" --where 'leases | count by host' --yes 2>&1); rc=$?
check "--where with a query that returns no events: exit 2" eq "$rc:$(grep -c 'must return events' <<<"$out")" "2:1"

# --where: purge and hold by query
cp -r base wq
"$IPL" hold add --store wq --where 'leases where host = "HOST-00011.corp.example.com" and kind = "lease.release"' --reason q >/dev/null
json=$("$IPL" purge --store wq --before "$T" --where 'leases where ip in 10.0.0.0/26 and kind != "lease.renew"' --yes --format json)
check "--where purge: count and holds (2 by hold 2, 1 by the query hold)" eq "$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["count"], j["held_total"])' "$json")" "123 3"
check "--where purge: renews stay" eq "$("$IPL" events --store wq --ip 10.0.0.0/26 --format csv | grep -c lease.renew)" 63
check "--where purge: the held release stays" eq "$("$IPL" events --store wq --host HOST-00011.corp.example.com --format csv | grep -c lease.release)" 1
check "--where purge: recorded in the criteria" contains "$("$IPL" events --store wq --all --format ndjson | grep '"retention.purge"')" 'where\":\"leases where ip in 10.0.0.0/26'
check "--where purge: verify" eq "$("$IPL" verify --store wq >/dev/null; echo $?)" 0
finish
