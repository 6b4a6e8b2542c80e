#!/usr/bin/env bash
# Retention policies through the CLI: `retention plan` shows per rule what would go now (and what
# holds keep) and changes nothing; `retention apply` runs it as ONE audited purge whose criteria
# carry the policy and the SHA-256 of the file; a bad policy is refused naming the rule and the
# field. The data is made relative to now (ages 0.5 .. 9.5 days), so the cutoffs are exact.
source "$(dirname "$0")/lib.bash"

# ten groups of 100 devices, group g is (g + 0.5) days old, in 10.g.0.0/24: assign, renew, release
python3 - > DhcpSrvLog-Mon.log <<'PY'
import time
now = int(time.time())
print("ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.", end="\r\n")
rows = []
for g in range(10):
    t0 = now - int((g + 0.5) * 86400)
    for dev in range(100):
        for k, (code, what) in enumerate([(10, "Assign"), (11, "Renew"), (12, "Release")]):
            t = time.gmtime(t0 + dev * 12 + k * 3)
            rows.append((t0 + dev * 12 + k * 3, "%d,%s,%s,%s,10.%d.0.%d,PC-%d-%d.corp,%012x,,%d,6,,,,,,,,,0" % (
                code, time.strftime("%m/%d/%y", t), time.strftime("%H:%M:%S", t), what, g, dev + 1, g, dev,
                g * 1000 + dev, g * 10000 + dev * 3 + k)))
for _, r in sorted(rows):
    print(r, end="\r\n")
PY
"$IPL" ingest --quiet --store st --tz UTC DhcpSrvLog-Mon.log
check "3000 events" eq "$(stat_of st events)" 3000

cat > policy.json <<'EOF'
{
  "comment": "test policy",
  "rules": [
    {"kind": "lease.release", "keep_days": 2, "comment": "releases: short"},
    {"subnet": "10.5.0.0/16", "keep_days": 4}
  ],
  "default": {"keep_days": 7}
}
EOF
out=$("$IPL" retention plan --store st --policy policy.json); rc=$?
check "plan: exit 0" eq "$rc" 0
check "plan: total" contains "$out" "would remove 1,600 events"
check "plan: rule 1" contains "$(grep 'rule 1 (kind lease.release)' <<<"$out")" " 800"
check "plan: rule 2" contains "$(grep 'rule 2 (subnet 10.5.0.0/16)' <<<"$out")" " 200"
check "plan: default" contains "$(grep 'default: keep 7 days' <<<"$out")" " 600"
check "plan: changes nothing" eq "$(stat_of st events)" 3000

# a hold on the oldest group
"$IPL" hold add --store st --ip 10.9.0.0/24 --reason "case 9" >/dev/null
json=$("$IPL" retention plan --store st --policy policy.json --format json)
check "plan with a hold: per rule, total, held" eq "$(python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print([r["count"] for r in j["rules"]], j["count"], j["held_total"])' "$json")" "[700, 200, 400] 1300 300"

# apply: not without --yes off a terminal; then one audited purge
out=$("$IPL" retention apply --store st --policy policy.json </dev/null 2>&1); rc=$?
check "apply without --yes: exit 2" eq "$rc" 2
out=$("$IPL" retention apply --store st --policy policy.json --yes --reason "quarterly"); rc=$?
check "apply: exit 0" eq "$rc" 0
check "apply: removed" contains "$out" "retention apply: removed 1,300 events"
check "apply: events left" eq "$(stat_of st events)" $((3000 + 1 - 1300 + 1))
rec=$("$IPL" events --store st --all --format ndjson | grep '"retention.purge"')
check "apply: one record" eq "$(wc -l <<<"$rec")" 1
sha=$(sha256sum policy.json | cut -d' ' -f1)
check "apply: the record names the action" contains "$rec" '"action":"retention apply"'
check "apply: the criteria carry the policy's SHA-256" contains "$rec" "policy_sha256\\\":\\\"$sha"
check "apply: the criteria carry the policy" contains "$rec" 'keep_days\\\":2'
check "apply: per rule counts" contains "$rec" "rule 1: 700; rule 2: 200; default: 400"
check "apply: verify" eq "$("$IPL" verify --store st >/dev/null; echo $?)" 0
out=$("$IPL" retention plan --store st --policy policy.json)
check "plan after apply: nothing more (held stays)" contains "$out" "would remove 0 events"

# a bad policy names the rule and the field; exit 2
printf '{"rules": [{"kind": "lease.*", "keep_days": 3}, {"server": "dhcp1", "keep_days": -2}]}' > bad.json
out=$("$IPL" retention plan --store st --policy bad.json 2>&1); rc=$?
check "bad policy: exit 2" eq "$rc" 2
check "bad policy: rule and field" contains "$out" "rule 2, field 'keep_days'"
printf '{"rules": [{"knd": "lease.*", "keep_days": 3}]}' > bad2.json
out=$("$IPL" retention apply --store st --policy bad2.json --yes 2>&1); rc=$?
check "bad policy (unknown field): exit 2 naming it" eq "$rc:$(grep -c "rule 1, field 'knd'" <<<"$out")" "2:1"
out=$("$IPL" retention plan --store st 2>&1); rc=$?
check "no --policy: exit 2" eq "$rc" 2
out=$("$IPL" retention frob --store st --policy policy.json 2>&1); rc=$?
check "unknown subcommand: exit 2" eq "$rc" 2
finish
