#!/usr/bin/env bash
# tests/scripts/report.sh BUILD_DIR SOURCE_DIR — `ipledger report` end to end on generated data:
# ipledger-gen writes a small enterprise (every format), everything is ingested, then
#   - every report in every format: exit 0; the HTML parses (python3 html.parser, every element
#     closed in order), has no external reference, no script, and an inline SVG chart; the CSV is
#     RFC 4180 (python3 csv) with one header per block and every record as wide as its header;
#     the JSON parses and names every section with its query;
#   - exact facts: the tracking report for a probe of probes.tsv names the device (MAC, host) and
#     the user the generator's truth says; the change report's figures equal `ipledger query`
#     counts of the same queries, per server and in total; a hold added shows in the retention
#     report with its acting user; the data-quality report lists every server that logged and
#     the lines quarantined; the utilization report's figures are `asm util`'s;
#   - regeneration: --at-seq N --now T gives byte-identical output in every format; after more
#     events are ingested the same command is refused (exit 2), and the position moved on;
#   - the API route answers what the CLI answers (same digest), and only to audit tokens of the
#     whole store;
#   - errors (exit 2, one line): unknown report, a wrong format, a filter with a stage, a parameter
#     no section uses, the tracking report without a subject; --out writes the file whole.
source "$(dirname "$0")/lib.bash"

"$GEN" --out data --days 3 --devices 300 --sites 4 > gen.out || { echo "FAIL: generator"; exit 1; }
while IFS=$'\t' read -r path format tz server; do
  "$IPL" ingest --quiet --store st --format "$format" --tz "$tz" --server "$server" "data/$path" \
    || { echo "FAIL: ingest of $path"; failures=$((failures + 1)); }
done < data/sources.tsv
NOW=2024-05-10T00:00:00Z
SEQ0=$(stat_of st last_seq); CHAIN0=$(stat_of st chain_head)
R() { "$IPL" report --store st --now "$NOW" "$@"; }

# ---- list: every report with its queries
list=$(R list)
for r in tracking changes logons utilization retention quality; do
  check "list names $r" contains "$list" "$r — "
done
check "list shows the queries" contains "$list" "changes since \$from until \$to | count by server"
# docs/reports.md shows every section's query exactly as the binary runs it
missing=0
while IFS= read -r line; do
  case "$line" in "      "*) grep -qxF -- "$line" "$SRC/docs/reports.md" || { echo "  not in docs: $line"; missing=$((missing + 1)); } ;; esac
done <<<"$list"
check "docs/reports.md lists every query of 'report list'" eq "$missing" 0

# ---- every report, every format
cat > check_html.py <<'PY'
import sys, re
from html.parser import HTMLParser
VOID = {"meta", "br", "rect", "line", "polyline", "circle", "path", "img", "hr", "input", "link"}
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.err = []; s.svg = 0; s.refs = []
    def handle_starttag(s, t, a):
        for k, v in a:
            if k in ("src", "href") and v and not v.startswith("#"): s.refs.append(v)
        if t == "svg": s.svg += 1
        if t == "script": s.err.append("script element")
        if t not in VOID: s.stack.append(t)
    def handle_startendtag(s, t, a):
        if t == "svg": s.svg += 1
    def handle_endtag(s, t):
        if t in VOID: return
        if not s.stack or s.stack[-1] != t:
            s.err.append("</%s> closes <%s> at %s" % (t, s.stack[-1] if s.stack else "nothing", s.getpos()))
        else: s.stack.pop()
text = open(sys.argv[1], encoding="utf-8").read()
p = P(); p.feed(text); p.close()
if p.stack: p.err.append("unclosed: %s" % p.stack)
if p.refs: p.err.append("references: %s" % p.refs[:3])
if re.search(r"https?://|url\(", text): p.err.append("an external URL")
if not text.startswith("<!DOCTYPE html>"): p.err.append("no doctype")
if "@media print" not in text: p.err.append("no print style")
print("; ".join(p.err) if p.err else "ok svg=%d" % p.svg)
PY
cat > check_csv.py <<'PY'
import csv, sys
raw = open(sys.argv[1], newline="", encoding="utf-8").read()
if not raw.endswith("\r\n"): print("not CRLF-terminated"); sys.exit()
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
blocks, cur, errs = [], None, []
for r in rows:
    if not r: cur = None; continue
    if cur is None:
        if r[0] != "section": errs.append("block without a header: %s" % r[:3])
        cur = r; blocks.append([r, 0]); continue
    if len(r) != len(cur): errs.append("record %s is %d wide, header %d" % (r[:2], len(r), len(cur)))
    blocks[-1][1] += 1
print("; ".join(errs[:3]) if errs else "ok blocks=%d" % len(blocks))
PY
cat > check_json.py <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
errs = []
for k in ("report", "generated_at", "params", "store", "digest", "sections"):
    if k not in j: errs.append("no " + k)
for s in j.get("sections", []):
    if s.get("skipped"): continue
    if not s.get("query") or "columns" not in s: errs.append("section %s" % s.get("number"))
    if s["row_count"] != len(s["rows"]): errs.append("row_count of %s" % s["title"])
print("; ".join(errs) if errs else "ok sections=%d" % len(j["sections"]))
PY
probe=$(awk -F'\t' 'NR > 1 && $3 != "-" && $5 != "-" && $1 ~ /^10\./ {print; exit}' data/probes.tsv)
IFS=$'\t' read -r P_IP P_AT P_MAC P_HOST P_USER <<<"$probe"
for r in tracking changes logons utilization retention quality; do
  args=(); [ "$r" = tracking ] && args=(--ip "$P_IP")
  for f in html csv json; do
    R "$r" "${args[@]}" --format "$f" > "$r.$f" 2> "$r.$f.err"
    check "report $r --format $f exits 0" eq "$?:$(cat "$r.$f.err")" "0:"
  done
  h=$(python3 check_html.py "$r.html"); check "$r.html well-formed, self-contained" contains "$h" "ok svg="
  # (no purge in the generated data: the retention report has nothing to chart)
  [ "$r" = retention ] || check "$r.html has an SVG chart" test "${h#ok svg=}" -ge 1
  check "$r.csv is RFC 4180 blocks" contains "$(python3 check_csv.py "$r.csv")" "ok blocks="
  check "$r.json parses" contains "$(python3 check_json.py "$r.json")" "ok sections="
done

# ---- tracking: the probe's device and user, as the generator's truth says
R tracking --ip "$P_IP" --from "$P_AT" --to "$P_AT" --format json > probe.json
facts=$(python3 - "$P_MAC" "$P_HOST" "$P_USER" <<'PY'
import json, sys
mac, host, user = sys.argv[1:4]
j = json.load(open("probe.json"))
s = j["sections"][0]
rows = [dict(zip(s["columns"], r)) for r in s["rows"]]
held = [r for r in rows if r["state"] == "held"]
print("rows=%d" % len(rows))
print("mac=%s" % all(r["mac"] == mac for r in held) if held else "mac=none")
print("host=%s" % any((r["host"] or "").lower() == host.lower() for r in held))
users = {(r["user"] or "").lower() for r in held}
print("user=%s" % all(u.lower() in users for u in user.split("|")))
print("evidence=%d" % json.load(open("tracking.json"))["sections"][8]["row_count"])
PY
)
check "tracking: the probe's address is held by its device ($P_MAC)" contains "$facts" "mac=True"
check "tracking: the device's host name" contains "$facts" "host=True"
check "tracking: the user logged on ($P_USER)" contains "$facts" "user=True"
check "tracking: the evidence lists the address's events" test "$(sed -n 's/^evidence=//p' <<<"$facts")" -ge 1
check "tracking: the header has the chain head" contains "$(cat tracking.html)" \
  "$(stat_of st chain_head)"

# ---- changes: figures equal the query counts
FROM=2024-05-01; TO=2024-05-31
R changes --from $FROM --to $TO --format json > ch.json
q() { "$IPL" query --store st --now "$NOW" --format csv --param from=$FROM --param to=$TO "$1" | tr -d '\r' | sed 1d; }
total=$(q 'changes since $from until $to | count')
check "changes: there are changes in the generated data" test "$total" -ge 1
read -r rep_total rep_sum rep_rows <<<"$(python3 -c '
import json; j = json.load(open("ch.json")); s = j["sections"]
print(s[0]["rows"][0][0], sum(r[-1] for r in s[1]["rows"]), s[5]["row_count"])')"
check "changes: the figure equals the query's count" eq "$rep_total" "$total"
check "changes: the store position and chain head recorded" eq "$(python3 -c '
import json; s = json.load(open("ch.json"))["store"]; print(s["last_seq"], s["chain_head"])')" "$SEQ0 $CHAIN0"
check "changes: per-server counts add up to the total" eq "$rep_sum" "$total"
check "changes: every change is listed" eq "$rep_rows" "$total"
per_user=$(q 'changes since $from until $to | count by user' | sort)
check "changes: per-user rows equal the query's" eq "$(python3 -c '
import json; j = json.load(open("ch.json"))
for r in sorted(j["sections"][2]["rows"], key=lambda r: (r[0] or "", r[1])): print("%s,%d" % (r[0] or "", r[1]))' | sort)" "$per_user"
# --where narrows every filterable section
R changes --from $FROM --to $TO --where 'user = "nobody\x"' --format json > chw.json
check "changes --where: nothing for an unknown user" eq "$(python3 -c '
import json; print(json.load(open("chw.json"))["sections"][0]["rows"][0][0])')" 0

# ---- logons: figures equal the query counts
R logons --from $FROM --to $TO --format json > lg.json
check "logons: the figure equals the query's count" eq "$(python3 -c '
import json; print(json.load(open("lg.json"))["sections"][0]["rows"][0][0])')" \
  "$(q 'logons where kind in (logon, logon.explicit) since $from until $to | count')"

# sec FILE TITLE: the section of a JSON report with that title, as "row_count" or a field
sec() { python3 - "$@" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
s = [s for s in j["sections"] if s["title"] == sys.argv[2]][0]
print(s["row_count"] if len(sys.argv) < 4 else
      "\n".join("|".join("" if v is None else str(v) for v in r) for r in s["rows"]))
PY
}

# ---- quality: every server that logged; quarantine per source (by ingest time: the clock)
R quality --from $FROM --to $TO --format json > q.json
check "quality: one 'last event' row per server" eq "$(sec q.json 'Last event per server')" \
  "$(q 'events where server exists since $from until $to | distinct server' | wc -l)"
printf 'not a dhcp line\nnor this one\n' > bad.log
"$IPL" ingest --quiet --store st --format mswin-dhcp bad.log 2>/dev/null
"$IPL" report quality --store st --format json > q2.json
check "quality: the quarantine per source" eq "$(sec q2.json 'Quarantined lines per source' rows)" \
  "file:$WORK/bad.log|2"
check "quality: the quarantine equals the query's" eq \
  "$("$IPL" query --store st --format csv 'quarantine since -30d | count' | tr -d '\r' | sed 1d)" 2

# ---- utilization: the report's figures are asm util's
"$IPL" asm block create 10.0.0.0/8 --store st > /dev/null
"$IPL" asm subnet create 10.1.0.0/24 --store st > /dev/null
"$IPL" asm range create 10.1.0.1-10.1.0.254 --store st > /dev/null
AT=2024-05-07T12:00:00Z
R utilization --from 2024-05-05T12:00:00Z --to $AT --format json > u.json
want=$("$IPL" asm util 10.1.0.1-10.1.0.254 --type range --at $AT --store st --format csv | tr -d '\r' \
  | python3 -c 'import csv, sys; r = list(csv.DictReader(sys.stdin))[0]; print(r["used"], r["leased"])')
got=$(sec u.json 'Utilization at the end of the period' rows | awk -F'|' '$1 == "range" {print $5, $6}')
check "utilization: the range's used and leased equal asm util's ($want)" eq "$got" "$want"
check "utilization: a trend point per day and subnet" eq "$(sec u.json 'Trend per subnet (daily)')" 3

# ---- regeneration from the recorded position
SEQ=$(stat_of st last_seq)
for f in html csv json; do
  R changes --from $FROM --to $TO --format "$f" > a.$f
  R changes --from $FROM --to $TO --at-seq "$SEQ" --format "$f" > b.$f
  check "regenerated at seq $SEQ: identical $f" cmp -s a.$f b.$f
done
regen=$(sed -n 's/.*<tr><th>Regenerate<\/th><td><code>\(.*\)<\/code>.*/\1/p' a.html)
check "the HTML shows the command that rebuilds it" eq "$regen" \
  "ipledger report changes --at-seq $SEQ --now $NOW --from $FROM --to $TO"
R changes --from '2024-05-01 02:00' --tz Europe/Berlin --format html > tz.html
regen=$(sed -n 's/.*<tr><th>Regenerate<\/th><td><code>\(.*\)<\/code>.*/\1/p' tz.html)
check "  with the zone of times without an offset" eq "$regen" \
  "ipledger report changes --at-seq $SEQ --now $NOW --from &#39;2024-05-01 02:00&#39; --to now --tz Europe/Berlin"
"$IPL" hold add --store st --user 'CONTOSO\someone' --reason 'case 42' > /dev/null
out=$(R changes --from $FROM --to $TO --at-seq "$SEQ" 2>&1); rc=$?
check "after a new event, --at-seq $SEQ is refused" eq "$rc" 2
check "  and says where the store is" contains "$out" "the store is at event $((SEQ + 1)), not at $SEQ"
R retention --to 2030-01-01 --format json > ret.json
check "retention: the hold change, with its acting user" eq "$(python3 -c '
import json; s = json.load(open("ret.json"))["sections"][3]
r = dict(zip(s["columns"], s["rows"][-1])); print(r["action"], r["reason"], bool(r["user"]))')" "add case 42 True"

# ---- the API: GET /api/v1/report, permission audit, whole-store tokens only
ports 1; HP=${P[0]}; URL="http://127.0.0.1:$HP"; SRV=""
cleanup_hook() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; }
AUD=$("$IPL" token create --store st --name auditor --role "IP Audit Administrator")
RD=$("$IPL" token create --store st --name reader --role Reader)
"$IPL" token scope --store st --path '\Global\Europe' --prefixes 10.1.0.0/16 > /dev/null
EU=$("$IPL" token create --store st --name eu --role "IP Audit Administrator" --scope '\Global\Europe')
"$IPL" serve --store st --listen "127.0.0.1:$HP" --log serve.log &
SRV=$!
need_up "$URL" "$SRV"
api() { local tok=$1 p=$2; shift 2; curl -s -H "Authorization: Bearer $tok" -w '\n%{http_code}' "$@" "$URL$p"; }
r=$(api "$AUD" "/api/v1/report?name=changes&format=json&from=$FROM&to=$TO")
check "API: 200" eq "$(tail -n1 <<<"$r")" 200
sed '$d' <<<"$r" > api.json
R changes --from $FROM --to $TO --format json > cli.json
check "API: the same content digest as the CLI at the same position" eq "$(python3 -c '
import json; a = json.load(open("api.json")); b = json.load(open("cli.json"))
print(a["digest"] == b["digest"], a["store"] == b["store"], a["sections"] == b["sections"])')" "True True True"
r=$(api "$AUD" "/api/v1/report?name=logons&format=html&from=$FROM&to=$TO" -D headers.txt)
check "API: HTML with its content type" contains "$(tr -d '\r' < headers.txt)" "Content-Type: text/html; charset=utf-8"
r=$(api "$AUD" "/api/v1/report?name=tracking&format=csv&ip=$P_IP")
check "API: CSV tracking report" contains "$r" "section,ip,state,lease_start"
r=$(api "$AUD" "/api/v1/report?name=tracking")
check "API: a missing subject is a 400 with the message" eq "$(tail -n1 <<<"$r")" 400
check "  naming what is needed" contains "$r" "needs exactly one of: ip mac host user"
r=$(api "$AUD" "/api/v1/report?name=nosuch")
check "API: an unknown report is a 400 naming name" contains "$r" '"field":"name"'
r=$(api "$RD" "/api/v1/reports")
check "API: a Reader lists the report definitions" eq "$(sed '$d' <<<"$r" | python3 -c '
import json, sys; j = json.load(sys.stdin); print(" ".join(r["name"] for r in j), j[1]["sections"][1]["query"])')" \
  "tracking changes logons utilization retention quality changes since \$from until \$to | count by server"
r=$(api "$RD" "/api/v1/report?name=changes")
check "API: a Reader may not run reports (403)" eq "$(tail -n1 <<<"$r")" 403
r=$(api "$EU" "/api/v1/report?name=changes")
check "API: a token limited to a scope is refused (403)" eq "$(tail -n1 <<<"$r")" 403
kill -TERM "$SRV"; wait "$SRV" 2>/dev/null; SRV=""

# ---- errors and --out
err() { local what=$1; shift; out=$("$@" 2>&1); rc=$?
  check "$what: exit 2" eq "$rc" 2; check "$what: one line" eq "$(wc -l <<<"$out")" 1; }
err "unknown report" R nosuch
err "bad format" R changes --format pdf
err "a filter with a stage" R changes --where 'user = x | count'
err "a parameter no section uses" R changes --ip 10.1.2.3
err "tracking without a subject" R tracking
R changes --out out.html
check "--out writes the report" contains "$(tail -c 20 out.html)" "</html>"
check "--out leaves no temporary file" eq "$(ls out.html.tmp.* 2>/dev/null | wc -l)" 0
finish
