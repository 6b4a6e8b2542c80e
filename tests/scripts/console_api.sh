#!/usr/bin/env bash
# tests/scripts/console_api.sh BUILD SRC — the console's server side with curl: the embedded files
# (byte for byte the sources, their content types, the Content-Security-Policy and no inline
# script or style in the page, served without a token) and the address-space read endpoints
# /api/v1/asm/utilization and /api/v1/asm/trend (figures from a known lease log, permissions,
# scopes, every bad parameter named). The browser side is tests/scripts/console.sh.
source "$(dirname "$0")/lib.bash"

ports 1; HP=${P[0]}; URL="http://127.0.0.1:$HP"
SRV=""
cleanup_hook() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; }
api() { # api TOKEN PATH: the body, then the status on the last line
  curl -s -H "Authorization: Bearer $1" -w '\n%{http_code}' "$URL$2"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
field() { grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2-; }   # first "key":value

# the page: no inline script, no inline style, no event handler attributes (the CSP forbids them)
page="$SRC/tools/console/index.html"
check "index.html: every <script> has a src" eq "$(grep -c '<script' "$page")" "$(grep -c '<script src="/console/' "$page")"
check "index.html: no style attribute or <style>" test -z "$(grep -E ' style=|<style' "$page")"
check "index.html: no on* handler attribute" test -z "$(grep -E ' on[a-z]+=' "$page")"
check "app.js: no innerHTML (values go in as text)" test -z "$(grep innerHTML "$SRC/tools/console/app.js")"

# a store with known leases, in UTC: 10.20.30.11-15 and .101-105 assigned at 10:00, .15 released
# at 11:00; ranges 10.20.30.10-10.20.30.50 (41 addresses) and 10.20.30.100-10.20.30.105 (6)
{
  printf 'ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.\r\n'
  for i in 11 12 13 14 15 101 102 103 104 105; do
    printf '10,05/01/24,10:00:00,Assign,10.20.30.%d,HOST-%d.corp.example.com,3C52820000%02X,,%d,6,,,,,,,,,0\r\n' "$i" "$i" "$i" "$i"
  done
  printf '12,05/01/24,11:00:00,Release,10.20.30.15,HOST-15.corp.example.com,3C528200000F,,99,6,,,,,,,,,0\r\n'
} > dhcp.log
"$IPL" ingest --quiet --store st --format mswin-dhcp --tz UTC --server dhcp1 dhcp.log
check "11 lease events ingested" eq "$(stat_of st events)" 11
for o in "block create 10.20.0.0/16" "subnet create 10.20.30.0/24" "range create 10.20.30.10-10.20.30.50 name=office" \
         "range create 10.20.30.100-10.20.30.105"; do
  # shellcheck disable=SC2086
  "$IPL" asm $o --store st >/dev/null || check "asm $o" false
done
ADM=$("$IPL" token create --store st --name admin --role Administrator)
RD=$("$IPL" token create --store st --name reader --role Reader)
"$IPL" token role --store st --name auditonly --operations audit >/dev/null
AU=$("$IPL" token create --store st --name auditonly --role auditonly)
"$IPL" token scope --store st --path '\Global\Lab' --prefixes 10.20.30.96/27 >/dev/null
LAB=$("$IPL" token create --store st --name lab --role Reader --scope '\Global\Lab')

"$IPL" serve --store st --listen "127.0.0.1:$HP" --log serve.log &
SRV=$!
need_up "$URL" "$SRV"

# ---- the files, without a token ----
hdr=$(curl -s -D - -o page.html "$URL/")
check "GET / is the page (200)" contains "$hdr" "200 OK"
check "GET / is text/html" contains "$hdr" "Content-Type: text/html; charset=utf-8"
check "GET / has the CSP" contains "$hdr" "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self';"
check "the CSP allows no inline code" test -z "$(grep -i "unsafe-inline\|unsafe-eval" <<<"$hdr")"
check "the CSP forbids framing the console" contains "$hdr" "frame-ancestors 'none'"
check "GET / is not cached without revalidation" contains "$hdr" "Cache-Control: no-cache"
check "GET / has nosniff" contains "$hdr" "X-Content-Type-Options: nosniff"
check "GET / is index.html byte for byte" cmp -s page.html "$SRC/tools/console/index.html"
hdr=$(curl -s -D - -o app.js "$URL/console/app.js")
check "app.js is text/javascript" contains "$hdr" "Content-Type: text/javascript; charset=utf-8"
check "app.js has the CSP" contains "$hdr" "Content-Security-Policy: default-src 'self'"
check "app.js byte for byte" cmp -s app.js "$SRC/tools/console/app.js"
hdr=$(curl -s -D - -o style.css "$URL/console/style.css")
check "style.css is text/css" contains "$hdr" "Content-Type: text/css; charset=utf-8"
check "style.css byte for byte" cmp -s style.css "$SRC/tools/console/style.css"
r=$(curl -s -w '\n%{http_code}' "$URL/console/nothing.js")
check "an unknown console file: 404 JSON" eq "$(status "$r")" 404
check "404 names the path" contains "$(body "$r")" '"error":"no endpoint /console/nothing.js"'
r=$(curl -s -X POST -w '\n%{http_code}' "$URL/")
check "POST /: 405" eq "$(status "$r")" 405
check "the files were served without recording a denial" test -z "$(grep -i denied serve.log)"

# ---- /api/v1/asm/utilization ----
r=$(curl -s -w '\n%{http_code}' "$URL/api/v1/asm/utilization")
check "utilization without a token: 401" eq "$(status "$r")" 401
r=$(api "$AU" "/api/v1/asm/utilization")
check "utilization needs permission read: 403" eq "$(status "$r")" 403
check "403 names read" contains "$(body "$r")" '"permission":"read"'
r=$(api "$RD" "/api/v1/asm/utilization?type=range&at=2024-05-01T10:30:00Z")
check "a Reader gets utilization: 200" eq "$(status "$r")" 200
b=$(body "$r")
check "two ranges" eq "$(field "$b" count)" 2
check "the at instant echoed" contains "$b" '"at":"2024-05-01T10:30:00Z"'
check "range 1 at 10:30: 5 of 41 used, 12.20%, low" contains "$b" '"id":"10.20.30.10-10.20.30.50","name":"office","description":null,"managed_by":null,"size":41,"used":5,"leased":5,"pct":12.20,"state":"low","thresholds":{"low":20,"high":80}}'
check "range 2 at 10:30: 5 of 6, 83.33%, high" contains "$b" '"size":6,"used":5,"leased":5,"pct":83.33,"state":"high"'
b=$(body "$(api "$RD" "/api/v1/asm/utilization?type=range&at=2024-05-01T12:00:00Z")")
check "range 1 at 12:00: the release counted (4 used)" contains "$b" '"id":"10.20.30.10-10.20.30.50","name":"office","description":null,"managed_by":null,"size":41,"used":4,'
b=$(body "$(api "$RD" "/api/v1/asm/utilization?type=range&at=2024-05-01T09:00:00Z")")
check "before the leases: nothing used" eq "$(grep -o '"used":[0-9]*' <<<"$b" | sort -u)" '"used":0'
b=$(body "$(api "$RD" "/api/v1/asm/utilization?type=subnet&at=2024-05-01T10:30:00Z")")
check "the subnet sums its ranges (10 of 47)" contains "$b" '"type":"subnet","space":"default","id":"10.20.30.0/24","name":null,"description":null,"managed_by":null,"size":47,"used":10,'
b=$(body "$(api "$RD" "/api/v1/asm/utilization?type=block&at=2024-05-01T10:30:00Z")")
check "the block sums its subnets (10 of 47)" contains "$b" '"id":"10.20.0.0/16","name":null,"description":null,"managed_by":null,"size":47,"used":10,'
b=$(body "$(api "$RD" "/api/v1/asm/utilization?space=nosuch")")
check "another space: no objects" eq "$(field "$b" count)" 0
b=$(body "$(api "$RD" "/api/v1/asm/utilization?limit=1&at=2024-05-01T10:30:00Z")")
check "limit=1: one object, truncated" eq "$(field "$b" count),$(field "$b" truncated)" "1,true"
b=$(body "$(api "$LAB" "/api/v1/asm/utilization?at=2024-05-01T10:30:00Z")")
check "a scoped token sees only its scope's range" eq "$(field "$b" count)" 1
check "... the one inside 10.20.30.96/27" contains "$b" '"id":"10.20.30.100-10.20.30.105"'
r=$(api "$RD" "/api/v1/asm/utilization?type=address")
check "type=address: 400 naming type" eq "$(status "$r") $(field "$(body "$r")" field)" '400 "type"'
r=$(api "$RD" "/api/v1/asm/utilization?at=yesterdayish")
check "a bad at: 400 naming at" eq "$(status "$r") $(field "$(body "$r")" field)" '400 "at"'
r=$(api "$RD" "/api/v1/asm/utilization?limit=0")
check "limit=0: 400 naming limit" eq "$(status "$r") $(field "$(body "$r")" field)" '400 "limit"'

# ---- /api/v1/asm/trend ----
T="from=2024-05-01T09:00:00Z&to=2024-05-01T12:00:00Z&step=1h"
r=$(api "$RD" "/api/v1/asm/trend?id=10.20.30.10-10.20.30.50&$T")
check "trend of a range: 200" eq "$(status "$r")" 200
b=$(body "$r")
check "trend points 09:00..12:00: 0, 5, 4, 4 leased" eq "$(grep -o '"leased":[0-9]*' <<<"$b" | cut -d: -f2 | tr '\n' ' ')" "0 5 4 4 "
check "trend names the range and its size" contains "$b" '"lo":"10.20.30.10","hi":"10.20.30.50","id":"10.20.30.10-10.20.30.50","type":"range","space":"default","from":"2024-05-01T09:00:00Z","to":"2024-05-01T12:00:00Z","step_seconds":3600,"size":41,'
check "trend points carry time and percent" contains "$b" '{"ts":"2024-05-01T10:00:00Z","leased":5,"pct":12.20}'
b=$(body "$(api "$RD" "/api/v1/asm/trend?id=10.20.30.0/24&$T")")
check "trend of the subnet: its ranges' size, all its leases" eq "$(field "$b" size) $(grep -o '"leased":[0-9]*' <<<"$b" | cut -d: -f2 | tr '\n' ' ')" "47 0 10 9 9 "
b=$(body "$(api "$RD" "/api/v1/asm/trend?id=10.20.30.0/28&$T")")
check "trend of a prefix that is no object: the span (16)" eq "$(field "$b" size) $(field "$b" type)" "16 null"
b=$(body "$(api "$RD" "/api/v1/asm/trend?id=10.20.30.10-10.20.30.50&from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z")")
check "the default step: at most 200 points, whole minutes" eq "$(field "$b" step_seconds) $(grep -o '"ts"' <<<"$b" | wc -l)" "480 181"
r=$(api "$LAB" "/api/v1/asm/trend?id=10.20.30.10-10.20.30.50&$T")
check "trend outside the token's scope: 403" eq "$(status "$r")" 403
r=$(api "$LAB" "/api/v1/asm/trend?id=10.20.30.100-10.20.30.105&$T")
check "trend inside the token's scope: 200" eq "$(status "$r")" 200
for bad in "id=|id" "id=bogus|id" "id=10.20.30.9-10.20.30.1|id" "id=10.20.30.1/24|id" \
           "id=10.20.30.0/24&step=5x|step" "id=10.20.30.0/24&step=0h|step" \
           "id=10.20.30.0/24&from=2024-05-02&to=2024-05-01|from" "id=10.20.30.0/24&from=garbage|from" \
           "id=10.20.30.0/24&from=2000-01-01&to=2024-01-01&step=1m|step"; do
  r=$(api "$RD" "/api/v1/asm/trend?${bad%|*}")
  check "trend ${bad%|*}: 400 naming ${bad#*|}" eq "$(status "$r") $(field "$(body "$r")" field)" "400 \"${bad#*|}\""
done
check "the bad requests say why" contains "$(body "$(api "$RD" "/api/v1/asm/trend?id=bogus")")" "'bogus' is neither an object, a prefix nor START-END"

# documented
for p in /api/v1/asm/utilization /api/v1/asm/trend; do
  check "docs/api.md documents $p" grep -q "$p:" "$SRC/docs/api.md"
done
finish
