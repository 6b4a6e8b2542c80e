#!/usr/bin/env bash
# tests/scripts/track_truth.sh BUILD_DIR SOURCE_DIR — ground truth for `track`: ipledger-gen writes
# one synthetic enterprise in every input format (DHCP servers of four vendors across the sites,
# domain controllers in XML and JSON, NPS and FreeRADIUS accounting, sshd in auth.log and in a mixed
# syslog file, DHCP configuration events), every source of sources.tsv is ingested with its format,
# zone and server (nothing may be quarantined), and `track --ip IP --at T` must answer every probe
# of probes.tsv exactly:
#   - nobody held the address (mac "-"): one row, state "nobody";
#   - held: every row "held" with the holder's MAC; the users the truth names ('|'-separated) are
#     all among the rows' users; "-" means nobody was logged on: the only row says "unknown user".
# Rows naming users the truth does not list beside the expected ones are counted and shown (not
# failed): a Kerberos TGT (4768) names the user as REALM\name next to the logon's DOMAIN\name.
# Two enterprises: the small mix of four sites (one per DHCP vendor), and eight sites across the
# fall-back nights. IPLEDGER_TEST_KEEP=DIR keeps the generated data, the stores and the answers;
# IPLEDGER_TRACK_TRUTH_ARGS="generator options" asks about one more enterprise.
source "$(dirname "$0")/lib.bash"

# run DATA STORE LABEL: ingest DATA into STORE and ask every probe
run() {
local data=$1 st=$2 label=$3
while IFS=$'\t' read -r path format tz server; do
  [ -z "$path" ] && continue
  "$IPL" ingest --quiet --store "$st" --format "$format" --tz "$tz" --server "$server" "$data/$path" \
    || { echo "FAIL: ingest of $path ($format) failed"; failures=$((failures + 1)); }
done < "$data/sources.tsv"
q=$(stat_of "$st" quarantined)
check "nothing quarantined from the generated sources ($label)" eq "$q" 0
[ "$q" = 0 ] || "$IPL" quarantine --store "$st" 2>&1 | head -5

while IFS=$'\t' read -r ip at mac host user; do
  [ "$ip" = ip ] && continue
  printf '@@\t%s\t%s\t%s\t%s\n' "$ip" "$at" "$mac" "$user"
  { "$IPL" track --store "$st" --ip "$ip" --at "$at" --format csv 2>&1 || echo "@@error"; } | tr -d '\r'
done < "$data/probes.tsv" > "$label.answers"

# compare: one block per probe ("@@" line, then track's CSV with its header)
awk -F'\t' -v label="$label" '
function csv(line, f,   n, i, c, q, cur) {           # split a CSV line into f[1..n]
    n = 0; cur = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) { if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { cur = cur c; i++ } else q = 0 } else cur = cur c }
        else if (c == "\"") q = 1
        else if (c == ",") { f[++n] = cur; cur = "" }
        else cur = cur c
    }
    f[++n] = cur
    return n
}
function judge(   i, k, n, want, wu, bad, why, got, extra, vias) {
    if (!have) return
    total++
    bad = 0; why = ""; got = ""; extra = 0; vias = ""
    if (nrows == 0) { bad = 1; why = "no answer" }
    for (i = 1; i <= nrows; i++) {
        if (pmac == "-" && state[i] != "nobody") { bad = 1; why = "expected nobody" }
        if (pmac != "-" && (state[i] != "held" || rmac[i] != pmac)) { bad = 1; why = "expected held by " pmac }
        if (ruser[i] != "" && ruser[i] != "unknown user") { got = got "|" ruser[i]; users[ruser[i]] = 1; uvia[ruser[i]] = rvia[i] }
    }
    if (pmac == "-") kind = "nobody"; else if (puser == "-") kind = "held, nobody logged on"; else kind = "held, logged on"
    count[kind]++
    if (!bad && pmac != "-") {
        n = split(puser, want, "|")
        if (puser == "-") {
            for (k in users) { bad = 1; why = "expected no user"; vias = vias " " uvia[k] }
        } else {
            for (i = 1; i <= n; i++) { wu[want[i]] = 1; if (!(want[i] in users)) { bad = 1; why = "missing user" } }
            for (k in users) if (!(k in wu)) extra++
        }
    }
    if (extra) extras++
    if (bad) {
        mism++; mkind[kind]++
        if (vias != "") cause[why " (rows via" vias ")"]++; else cause[why]++
        if (shown[why]++ < 5) printf "  %s at %s: %s%s; truth %s %s; track: lease from %s, users [%s]\n", pip, pat, why, vias, pmac, puser, rstart[1], substr(got, 2)
    }
    have = 0; nrows = 0; split("", users); split("", uvia); split("", wu)
}
$1 == "@@" { judge(); have = 1; pip = $2; pat = $3; pmac = $4; puser = $5; next }
/^ip,state,/ { next }
/^@@error/ { nrows = 0; next }
{
    n = csv($0, f)
    if (n < 15) next
    nrows++; state[nrows] = f[2]; rstart[nrows] = f[3]; rmac[nrows] = f[5]; ruser[nrows] = f[9]; rvia[nrows] = f[12]
}
END {
    judge()
    printf "probes of %s: %d (", label, total
    sep = ""
    for (k in count) { printf "%s%d %s", sep, count[k], k; sep = ", " }
    printf "); mismatches: %d", mism + 0
    sep = " ("
    for (k in mkind) { printf "%s%d %s", sep, mkind[k], k; sep = ", " }
    if (mism) printf ")"
    printf "; probes with users beside the expected ones: %d\n", extras + 0
    for (k in cause) printf "  cause: %d x %s\n", cause[k], k
    print total " " mism + 0 " " (count["nobody"] + 0) " " (count["held, nobody logged on"] + 0) " " (count["held, logged on"] + 0) > "/dev/stderr"
}' "$label.answers" 2> "$label.counts"
read -r total mism nobody nouser withuser < "$label.counts"
check "probes of every kind ($label)" test "$nobody" -gt 50 -a "$nouser" -gt 100 -a "$withuser" -gt 100
check "track answers every probe as the truth says ($label)" eq "$mism" 0
}

"$GEN" --out data --sites 4 --devices 300 --days 3 --seed 5 > gen.out \
    || { echo "generator failed"; cat gen.out; exit 1; }
for f in mswin-dhcp isc-dhcpd isc-leases kea-log kea-csv dnsmasq dnsmasq-leases winsec-xml \
         winsec-json nps-ias freeradius-detail sshd syslog mswin-dhcp-events; do
  check "sources.tsv has a $f source" awk -F'\t' -v f="$f" '$2 == f { ok = 1 } END { exit !ok }' data/sources.tsv
done
check "sessions.tsv lists sessions" test "$(wc -l < data/sessions.tsv)" -gt 200
run data st mix
# eight sites across the fall-back nights of Europe (Oct 27) and North America (Nov 3): the formats
# in local time without an offset (Windows DHCP, Kea log, NPS) through the repeated hour
"$GEN" --out dst --sites 8 --devices 400 --days 10 --seed 11 --start 2024-10-25 > gen.out \
    || { echo "generator failed"; cat gen.out; exit 1; }
run dst dstst dst
# ${IPLEDGER_TRACK_TRUTH_ARGS}: another enterprise to try (e.g. "--sites 8 --seed 9 --days 5")
if [ -n "${IPLEDGER_TRACK_TRUTH_ARGS:-}" ]; then
  # shellcheck disable=SC2086
  "$GEN" --out extra $IPLEDGER_TRACK_TRUTH_ARGS > gen.out || { echo "generator failed"; cat gen.out; exit 1; }
  run extra extrast extra
fi
# IPLEDGER_TEST_KEEP=DIR keeps the data, the store and track's answers for a closer look
if [ -n "${IPLEDGER_TEST_KEEP:-}" ]; then
  mkdir -p "$IPLEDGER_TEST_KEEP" && cp -r data st mix.answers dst dstst dst.answers "$IPLEDGER_TEST_KEEP"/
fi
finish
