#!/usr/bin/env bash
# tests/scripts/gen.sh BUILD_DIR SOURCE_DIR — checks ipledger-gen (tools/gen):
#   determinism (same seed: byte-identical trees; another seed: different), the output layout of
#   --mix mswin (sources.tsv, headers, CRLF, 19/14 columns, rows in time order), the logs of the
#   UTC server rebuilt into lease intervals equal truth.tsv, truth intervals of one address never
#   overlap, probes agree with the truth; --mix all (the default): deterministic, the merge path
#   changes nothing, every format has a source, its Windows DHCP site and truth.tsv are those of
#   --mix mswin byte for byte, sessions lie inside their device's lease intervals and the probes'
#   users are the sessions covering them; bad arguments exit 2 with one line, and scaled runs
#   (--events 2000000, both mixes) report the events asked for within 200 MiB of peak RSS.
# Prints each check; exits 1 if any failed.
source "$(dirname "$0")/lib.bash"
work=$WORK
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; passes=$((passes + 1)); }

[ -x "$GEN" ] || { echo "FAIL: $GEN is missing"; exit 1; }

# ---------------------------------------------------------------- determinism
args=(--days 5 --devices 600 --sites 4)
"$GEN" --out "$work/a" --mix mswin "${args[@]}" > "$work/a.out" || fail "run a exited $?"
"$GEN" --out "$work/b" --mix mswin "${args[@]}" > "$work/b.out" || fail "run b exited $?"
"$GEN" --out "$work/c" --mix mswin "${args[@]}" --seed 2 > "$work/c.out" || fail "run c exited $?"
if diff -r "$work/a" "$work/b" > /dev/null; then ok "same seed, identical trees"
else fail "same seed gave different output"; fi
if diff -rq "$work/a" "$work/c" > /dev/null; then fail "--seed 2 gave the same output as seed 1"
else ok "another seed differs"; fi
grep -Eq '^ipledger-gen: [0-9]+ files, [0-9]+ events, [0-9]+ truth intervals, [0-9]+ probes, [0-9]+ bytes' \
    "$work/a.out" || fail "summary line: $(cat "$work/a.out")"
[ "$(wc -l < "$work/a.out")" -eq 1 ] || fail "summary is not one line"

# ---------------------------------------------------------------- layout
A="$work/a"
[ -s "$A/sources.tsv" ] || fail "sources.tsv missing or empty"
nsrc=0
while IFS=$'\t' read -r path format tz server extra; do
    nsrc=$((nsrc + 1))
    [ -z "${extra:-}" ] && [ -n "$server" ] || fail "sources.tsv line $nsrc: not 4 fields"
    [ "$format" = mswin-dhcp ] || fail "sources.tsv line $nsrc: format '$format'"
    [ -d "$A/$path" ] || fail "sources.tsv line $nsrc: '$path' is not a directory"
    [ -n "$tz" ] || fail "sources.tsv line $nsrc: no time zone"
    ndays=$(find "$A/$path" -mindepth 1 -maxdepth 1 -type d | wc -l)
    [ "$ndays" -eq 5 ] || fail "$path: $ndays day directories, expected 5"
done < "$A/sources.tsv"
[ "$nsrc" -eq 4 ] || fail "sources.tsv has $nsrc lines, expected 4"

nlogs=0
v4head=$'\t\tMicrosoft DHCP Service Activity Log\r'
v6head=$'\t\tMicrosoft DHCPv6 Service Activity Log\r'
while IFS= read -r f; do
    nlogs=$((nlogs + 1))
    base=$(basename "$f"); day=$(basename "$(dirname "$f")")
    wd=$(date -u -d "$day" +%a)
    case "$base" in
        DhcpSrvLog-"$wd".log) want="$v4head"; cols=19 ;;
        DhcpV6SrvLog-"$wd".log) want="$v6head"; cols=14 ;;
        *) fail "$f: unexpected file name (local date $day is a $wd)"; continue ;;
    esac
    [ "$(head -n 1 "$f")" = "$want" ] || fail "$f: does not start with the header"
    grep -qv $'\r$' "$f" && fail "$f: a line without CRLF"
    # data rows: column count (7 for v4 service rows), date of the directory, time order
    awk -F, -v cols="$cols" -v day="$day" -v f="$f" '
        /^[0-9]+,[0-9][0-9]\/[0-9][0-9]\/[0-9][0-9],/ {
            sub(/\r$/, "")
            if (NF != cols && !(cols == 19 && NF == 7)) { print "FAIL: " f ": " NF " fields: " $0; bad = 1 }
            split($2, d, "/"); iso = "20" d[3] "-" d[1] "-" d[2]
            if (iso != day) { print "FAIL: " f ": row of " iso ": " $0; bad = 1 }
            if ($3 < last) { print "FAIL: " f ": out of order: " $0; bad = 1 }
            last = $3; rows++
        }
        END { if (rows == 0) { print "FAIL: " f ": no rows"; bad = 1 } exit bad }' "$f" \
        || failures=$((failures + 1))
done < <(find "$A/mswin-dhcp" -name '*.log' | sort)
[ "$nlogs" -eq 40 ] && ok "40 log files: headers, CRLF, columns, order" \
    || fail "$nlogs log files, expected 40"

# ---------------------------------------------------------------- truth
[ "$(head -n 1 "$A/truth.tsv")" = $'ip\tmac\thost\tserver\tstart\tend' ] || fail "truth.tsv header"
awk -F'\t' 'NR > 1 {
        if (NF != 6) { print "FAIL: truth line " NR ": " NF " fields"; bad = 1 }
        if ($5 !~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$/ ||
            ($6 != "-" && ($6 !~ /Z$/ || $6 <= $5))) { print "FAIL: truth times: " $0; bad = 1 }
        if ($1 == ip) {
            if (end == "-" || end > $5) { print "FAIL: overlap on " ip ": " end " > " $5; bad = 1 }
        } else {
            if ($1 in seen) { print "FAIL: truth not grouped by ip: " $1; bad = 1 }
            seen[$1] = 1
        }
        ip = $1; end = $6; n++
    }
    END { if (n < 1000) { print "FAIL: only " n " truth intervals"; bad = 1 } exit bad }' \
    "$A/truth.tsv" && ok "truth: well formed, no overlaps" || failures=$((failures + 1))
multi=$(awk -F'\t' 'NR > 1 && !s[$1 FS $2]++ { n[$1]++ } END { for (i in n) if (n[i] > 1) c++; print c + 0 }' "$A/truth.tsv")
[ "$multi" -gt 50 ] && ok "$multi addresses held by several devices" \
    || fail "only $multi addresses reused by another device"

# The UTC server's logs rebuilt into intervals must be exactly its truth lines.
utc=$(awk -F'\t' '$3 == "UTC" { print $1 }' "$A/sources.tsv")
usrv=$(awk -F'\t' '$3 == "UTC" { print $4 }' "$A/sources.tsv")
if [ -n "$utc" ]; then
    find "$A/$utc" -name '*.log' | sort | xargs cat | awk -F, '
        function iso(d, t,  p) { split(d, p, "/"); return "20" p[3] "-" p[1] "-" p[2] "T" t "Z" }
        { sub(/\r$/, "") }
        $1 == "10" || $1 == "11002" { mac = $1 == "10" ? tolower($7) : tolower(substr($9, 17))
                                      open[$5] = mac "\t" iso($2, $3) }
        $1 == "12" || $1 == "18" || $1 == "11007" || $1 == "11019" {
            print $5 "\t" open[$5] "\t" iso($2, $3); delete open[$5] }
        END { for (ip in open) print ip "\t" open[ip] "\t-" }' | sort > "$work/rebuilt"
    awk -F'\t' -v s="$usrv" '$4 == s { print $1 "\t" $2 "\t" $5 "\t" $6 }' "$A/truth.tsv" \
        | sort > "$work/want"
    if [ -s "$work/want" ] && cmp -s "$work/rebuilt" "$work/want"; then
        ok "UTC server: logs rebuild to truth ($(wc -l < "$work/want") intervals)"
    else
        fail "UTC server: intervals from the logs differ from truth.tsv"
        diff "$work/want" "$work/rebuilt" | head -5
    fi
else
    fail "no UTC server in sources.tsv"
fi

# ---------------------------------------------------------------- probes
[ "$(head -n 1 "$A/probes.tsv")" = $'ip\tat\tmac\thost' ] || fail "probes.tsv header"
awk -F'\t' '
    FNR == NR { if (FNR > 1) { k[$1] = k[$1] "|" $5 " " $6 " " $2 " " $3 } next }
    FNR > 1 {
        n++; want = "-"; wanth = "-"
        m = split(k[$1], iv, "|")
        for (i = 2; i <= m; i++) {
            split(iv[i], f, " ")
            if (f[1] <= $2 && (f[2] == "-" || $2 < f[2])) { want = f[3]; wanth = f[4] }
        }
        if (want != $3 || wanth != $4) { print "FAIL: probe " $0 " expected " want " " wanth; bad = 1 }
        if ($3 == "-") free++; else held++
    }
    END {
        if (n < 900 || n > 1100 || held < 0.7 * n || free < 0.1 * n) {
            print "FAIL: probes: " n " (" held " held, " free " free)"; bad = 1
        } else print "ok: " n " probes agree with the truth (" held " held, " free " free)"
        exit bad }' "$A/truth.tsv" "$A/probes.tsv" && passes=$((passes + 1)) || failures=$((failures + 1))

# ---------------------------------------------------------------- --mix all
M="$work/all"
"$GEN" --out "$M" "${args[@]}" > "$work/all.out" || fail "mix all exited $?"
"$GEN" --out "$work/all2" --mix all "${args[@]}" > /dev/null || fail "mix all (2) exited $?"
IPLEDGER_GEN_TRUTH_RUN=16 "$GEN" --out "$work/all3" "${args[@]}" > /dev/null || fail "mix all (3) exited $?"
if diff -r "$M" "$work/all2" > /dev/null; then ok "mix all: same seed, identical trees"
else fail "mix all: same seed gave different output"; fi
if diff -r "$M" "$work/all3" > /dev/null; then ok "mix all: the truth's merge path changes nothing"
else fail "mix all: IPLEDGER_GEN_TRUTH_RUN=16 changed the output"; fi
ls -a "$work/all3" | grep -q '\.tmp$' && fail "mix all: temporary files left in the output"
formats="mswin-dhcp isc-dhcpd isc-leases kea-log kea-csv dnsmasq dnsmasq-leases winsec-xml winsec-json
nps-ias freeradius-detail sshd syslog mswin-dhcp-events"
nsrc=0
while IFS=$'\t' read -r path format tz server extra; do
    nsrc=$((nsrc + 1))
    [ -z "${extra:-}" ] && [ -n "$server" ] && [ -n "$tz" ] || fail "mix all: sources.tsv line $nsrc: not 4 fields"
    case " $(echo $formats) " in *" $format "*) ;; *) fail "mix all: unknown format '$format'" ;; esac
    [ -d "$M/$path" ] && [ -n "$(find "$M/$path" -type f -size +0 | head -1)" ] \
        || fail "mix all: '$path' is not a directory with data"
done < "$M/sources.tsv"
for f in $formats; do
    awk -F'\t' -v f="$f" '$2 == f { ok = 1 } END { exit !ok }' "$M/sources.tsv" \
        || fail "mix all: no $f source"
done
ok "mix all: $nsrc sources, every format"
win=$(awk -F'\t' '$2 == "mswin-dhcp" { print $1; exit }' "$M/sources.tsv")
if [ -n "$win" ] && diff -r "$A/$win" "$M/$win" > /dev/null && cmp -s "$A/truth.tsv" "$M/truth.tsv"; then
    ok "mix all: the Windows DHCP site and truth.tsv are --mix mswin's"
else
    fail "mix all: the Windows DHCP site or truth.tsv differ from --mix mswin"
fi
[ "$(head -n 1 "$M/sessions.tsv")" = $'ip\tmac\thost\tuser\tstart\tend\tvia' ] || fail "sessions.tsv header"
[ "$(head -n 1 "$M/probes.tsv")" = $'ip\tat\tmac\thost\tuser' ] || fail "mix all: probes.tsv header"
# sessions: inside a lease interval of their address held by their device
awk -F'\t' '
    FNR == NR { if (FNR > 1) { iv[$1] = iv[$1] "|" $2 " " $5 " " $6 } next }
    FNR > 1 {
        n++
        if (NF != 7 || $5 >= $6) { print "FAIL: session " $0; bad = 1; next }
        m = split(iv[$1], v, "|"); inside = 0
        for (i = 2; i <= m; i++) {
            split(v[i], f, " ")
            if (f[1] == $2 && f[2] < $5 && (f[3] == "-" || $6 < f[3])) inside = 1
        }
        if (!inside) { print "FAIL: session outside its lease: " $0; bad = 1 }
        via[$7]++
    }
    END {
        if (n < 1000) { print "FAIL: only " n " sessions"; bad = 1 }
        for (k in via) kinds++
        if (kinds < 6) { print "FAIL: sessions come through " kinds " formats only"; bad = 1 }
        if (!bad) print "ok: " n " sessions, each inside its lease"
        exit bad }' "$M/truth.tsv" "$M/sessions.tsv" && passes=$((passes + 1)) || failures=$((failures + 1))
# probes: the users are the sessions covering the instant, none within 1 s of a session boundary
awk -F'\t' '
    FNR == NR { if (FNR > 1) { s[$1] = s[$1] "|" $5 " " $6 " " $4 } next }
    FNR > 1 {
        m = split(s[$1], v, "|"); got = ""; nu = 0
        for (i = 2; i <= m; i++) {
            split(v[i], f, " ")
            if (f[1] == $2 || f[2] == $2) { print "FAIL: probe on a session boundary: " $0; bad = 1 }
            if (f[1] <= $2 && $2 < f[2] && $3 != "-") { u[++nu] = f[3] }
        }
        for (i = 1; i <= nu; i++) for (j = i + 1; j <= nu; j++) if (u[j] < u[i]) { t = u[i]; u[i] = u[j]; u[j] = t }
        for (i = 1; i <= nu; i++) got = got (i > 1 ? "|" : "") u[i]
        if (got == "") got = "-"
        k = split($5, w, "|")
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
        want = ""
        for (i = 1; i <= k; i++) want = want (i > 1 ? "|" : "") w[i]
        if (want != got) { print "FAIL: probe " $0 " but sessions say " got; bad = 1 }
        if ($3 == "-") free++; else if ($5 == "-") idle++; else busy++
    }
    END {
        if (busy < 300 || idle < 300 || free < 100) {
            print "FAIL: probes: " busy " logged on, " idle " held with nobody logged on, " free " free"; bad = 1
        } else print "ok: probes agree with the sessions (" busy " logged on, " idle " idle, " free " free)"
        exit bad }' "$M/sessions.tsv" "$M/probes.tsv" && passes=$((passes + 1)) || failures=$((failures + 1))

# ---------------------------------------------------------------- bad arguments
expect_usage() {
    local err rc
    err=$("$GEN" "$@" 2>&1 > /dev/null); rc=$?
    if [ "$rc" -ne 2 ]; then fail "'$*' exited $rc, expected 2"
    elif [ -z "$err" ] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
        fail "'$*': expected one line on stderr, got: $err"
    fi
}
expect_usage
expect_usage --out
expect_usage --out "$work/x" --days 0
expect_usage --out "$work/x" --days 7x
expect_usage --out "$work/x" --devices -3
expect_usage --out "$work/x" --start 2024-02-30
expect_usage --out "$work/x" --start 24-05-06
expect_usage --out "$work/x" --sites 65
expect_usage --out "$work/x" --seed ''
expect_usage --out "$work/x" --bogus
expect_usage --out "$work/x" extra
expect_usage --out "$work/x" --events 1000 --days 3 --devices 10
expect_usage --out "$work/x" --devices 60000 --sites 1
expect_usage --out "$work/x" --mix windows
expect_usage --out "$work/x" --mix
expect_usage --out "$A"
[ -e "$work/x" ] && fail "a refused run created its output directory"
"$GEN" -h > "$work/help" 2>&1 && grep -q -- '--events' "$work/help" && grep -q -- '--mix' "$work/help" \
    || fail "-h"
"$GEN" --out /proc/ipledger-gen-test > /dev/null 2>&1; rc=$?
[ "$rc" -eq 1 ] || fail "unwritable output exited $rc, expected 1"
ok "argument errors"

# ---------------------------------------------------------------- scale and memory
for mix in mswin all; do
S="$work/scaled"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$GEN" --out "$S" --mix $mix --events 2000000 > "$work/s.out" 2> "$work/s.time"; rc=$?
    rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$work/s.time")
else
    # no GNU time: sample the high-water mark while it runs
    "$GEN" --out "$S" --mix $mix --events 2000000 > "$work/s.out" 2> "$work/s.err" & pid=$!; rss=0
    while kill -0 "$pid" 2> /dev/null; do
        h=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
        [ -n "$h" ] && [ "$h" -gt "$rss" ] && rss=$h
        sleep 0.05
    done
    wait "$pid"; rc=$?
fi
[ "$rc" -eq 0 ] || fail "scaled run ($mix) exited $rc: $(cat "$work/s.out")"
events=$(sed -n 's/^ipledger-gen: [0-9]* files, \([0-9]*\) events.*/\1/p' "$work/s.out")
if [ -n "$events" ] && [ "$events" -ge 1800000 ] && [ "$events" -le 2200000 ]; then
    ok "scaled run ($mix): $events events"
else fail "scaled run ($mix): '${events:-?}' events, expected 2000000 +- 10%"; fi
if [ -z "${rss:-}" ] || [ "$rss" -eq 0 ]; then
    echo "skip: peak RSS could not be measured (no /usr/bin/time, no /proc VmHWM)"
elif [ "$rss" -lt $((200 * 1024)) ]; then ok "scaled run ($mix): peak RSS $((rss / 1024)) MiB"
else fail "scaled run ($mix): peak RSS $((rss / 1024)) MiB >= 200 MiB"; fi
ls -a "$S" | grep -q '\.tmp$' && fail "temporary files left in the output"
rm -rf "$S"
done

finish
