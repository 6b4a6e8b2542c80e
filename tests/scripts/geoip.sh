#!/usr/bin/env bash
# tests/scripts/geoip.sh — GeoIP enrichment end to end: MMDB files built here with tools/mkmmdb
# (libmaxmind-db-writer-perl), sshd / Windows Security / FreeRADIUS logs with public and private
# client addresses ingested with --geoip-db, exact geo.country / geo.asn / geo.as_org on the
# events, private clients and lease events left alone, first hit per field across two databases,
# the query language on geo.country, a missing, a garbage and a truncated database (a warning,
# ingest completes, the summary says enrichment was off), the serve config key, and live API
# ingest through `serve --geoip-db`.
source "$(dirname "$0")/lib.bash" "$@"
MK="$SRC/tools/mkmmdb"

# ---- the databases: a country one (ip-location-db's flat layout) and an ASN one (GeoLite2
# layout) that also claims countries, which must lose to the first database ----
printf '%s\n' '# network	country	asn	org' \
  '81.2.69.0/24	GB	-	-' '2.16.0.0/13	DE	-	-' '8.8.8.0/24	US	-	-' \
  '2a02:1::/32	FR	-	-' '5.5.0.0-5.5.1.255	NL	-	-' > country.tsv
printf '%s\n' '81.2.69.0/24	IE	20712	Andrews & Arnold Ltd' '2.16.0.0/13	-	3320	Deutsche Telekom AG' \
  '8.8.8.0/24	-	15169	Google LLC' '2a02:1::/32	-	12322	Free SAS' '7.7.7.0/24	JP	64500	Only In ASN DB' > asn.tsv
check "mkmmdb builds the country database" "$MK" --layout flat country.mmdb country.tsv
check "mkmmdb builds the ASN database" "$MK" asn.mmdb asn.tsv
printf '81.2.69.0/33\tGB\t-\t-\n' > bad.tsv
out=$("$MK" bad.mmdb bad.tsv 2>&1); rc=$?
check "mkmmdb: a bad network fails" test "$rc" -ne 0
check "mkmmdb: names file and line" contains "$out" "bad.tsv:1: network '81.2.69.0/33'"

# ---- the logs ----
cat > auth.log <<'EOF'
May  1 08:16:02 web01 sshd[4242]: Accepted publickey for alice from 81.2.69.160 port 50522 ssh2
May  1 09:02:15 web01 sshd[4410]: Accepted password for bob from 192.168.1.150 port 40112 ssh2
May  1 09:47:04 web01 sshd[5001]: Failed password for invalid user admin from 2a02:1:ffff::7 port 41873 ssh2
May  1 09:47:11 web01 sshd[5003]: Failed password for root from 2.16.3.4 port 41901 ssh2
May  1 09:50:00 web01 sshd[5004]: Failed password for root from 100.64.1.2 port 41902 ssh2
May  1 09:51:00 web01 sshd[5005]: Failed password for root from 7.7.7.7 port 41903 ssh2
May  1 09:52:00 web01 sshd[5006]: Failed password for root from fe80::1 port 41904 ssh2
May  1 09:53:00 web01 sshd[5007]: Failed password for root from 9.9.9.9 port 41905 ssh2
EOF
win() { # win EVENTID USER IP RECORD
  printf '{"EventTime":"2024-05-01 10:%02d:00","Hostname":"FS01.corp.example.com","EventID":%d,"SourceName":"Microsoft-Windows-Security-Auditing","RecordNumber":%d,"Channel":"Security","TargetUserSid":"S-1-5-21-1-2-3-1104","TargetUserName":"%s","TargetDomainName":"CORP","TargetLogonId":"0x1a2b3c4d","LogonType":"10","AuthenticationPackageName":"Negotiate","WorkstationName":"-","IpAddress":"%s","IpPort":"50522"}\n' \
    "$(( $4 % 60 ))" "$1" "$4" "$2" "$3"
}
{ win 4624 carol "::ffff:8.8.8.8" 1; win 4624 dave "::ffff:10.20.30.41" 2; win 4625 eve "5.5.1.9" 3; } > security.ndjson
cat > detail-20240501 <<'EOF'
Wed May  1 08:15:40 2024
	Acct-Status-Type = Start
	Acct-Session-Id = "5E2A0000001F"
	User-Name = "erin@corp.example.com"
	NAS-IP-Address = 10.30.0.5
	Framed-IP-Address = 81.2.69.200
	Calling-Station-Id = "70-3A-CB-10-20-30"
	Timestamp = 1714544140

Wed May  1 08:16:40 2024
	Acct-Status-Type = Start
	Acct-Session-Id = "5E2A00000020"
	User-Name = "frank@corp.example.com"
	NAS-IP-Address = 10.30.0.5
	Framed-IP-Address = 10.77.0.9
	Calling-Station-Id = "70-3A-CB-10-20-31"
	Timestamp = 1714544200

EOF
mklog dhcp.log 3
sed -i 's/,10\.0\.0\./,8.8.8./' dhcp.log       # leases of public addresses: never enriched

export IPLEDGER_STORE=$WORK/s
out=$("$IPL" ingest --year 2024 --geoip-db country.mmdb --geoip-db asn.mmdb auth.log security.ndjson \
        detail-20240501 dhcp.log 2>&1); rc=$?
check "ingest with two databases exits 0" eq "$rc" 0
check "no warning" eq "$(grep -c warning <<<"$out")" 0
check "summary counts enriched events" contains "$out" "geoip: 7 events enriched (8 public client addresses looked up"

q() { "$IPL" query "$1" --format csv | tr -d '\r' | tail -n +2; }
rows=$(q 'logons | fields user, ip, geo.country, geo.asn, geo.as_org | sort user')
want='admin,2a02:1:ffff::7,FR,AS12322,Free SAS
alice,81.2.69.160,GB,AS20712,Andrews & Arnold Ltd
bob,192.168.1.150,,,
CORP\carol,8.8.8.8,US,AS15169,Google LLC
CORP\dave,10.20.30.41,,,
CORP\eve,5.5.1.9,NL,,
root,2.16.3.4,DE,AS3320,Deutsche Telekom AG
root,100.64.1.2,,,
root,7.7.7.7,JP,AS64500,Only In ASN DB
root,fe80::1,,,
root,9.9.9.9,,,'
check "logon events carry exactly the expected geo attributes" eq "$(sort <<<"$rows")" "$(sort <<<"$want")"
check "RADIUS: public framed address enriched" eq "$(q 'radius | fields user, ip, geo.country, geo.asn | sort user')" \
  'erin@corp.example.com,81.2.69.200,GB,AS20712
frank@corp.example.com,10.77.0.9,,'
check "leases of public addresses are not enriched" eq "$(q 'leases | fields ip, geo.country' | sort -u)" \
  '8.8.8.1,'
# a negation matches events without the field (docs/query-language.md): 11 logons, 1 in DE
check 'query: geo.country != "DE"' eq "$(q 'logons where geo.country != "DE" | count')" 10
check 'query: geo.country exists and != "DE"' eq \
  "$(q 'logons where geo.country exists and geo.country != "DE" | fields ip | sort ip' | tr '\n' ' ')" \
  '5.5.1.9 7.7.7.7 8.8.8.8 81.2.69.160 2a02:1:ffff::7 '
check 'query: geo.country = "US"' eq "$(q 'logons where geo.country = "US" | fields user')" 'CORP\carol'
check 'query: geo.asn = "AS3320"' eq "$(q 'logons where geo.asn = "AS3320" | fields ip')" '2.16.3.4'
check 'query: count by geo.country' contains "$(q 'logons | count by geo.country')" 'GB,1'

# ---- rerun: exactly once, nothing new, enrichment counted only for new lines ----
out=$("$IPL" ingest --year 2024 --geoip-db country.mmdb auth.log 2>&1)
check "rerun adds nothing" contains "$out" "geoip: 0 events enriched"

# ---- bad databases: a warning naming the file and the reason; ingest completes ----
head -c 300 asn.mmdb > truncated.mmdb
head -c 5000 /dev/urandom > garbage.mmdb
for bad in missing.mmdb garbage.mmdb truncated.mmdb; do
  rm -rf s2
  out=$("$IPL" ingest --store s2 --year 2024 --geoip-db "$bad" auth.log 2>&1); rc=$?
  check "$bad: exit 0" eq "$rc" 0
  check "$bad: warning names it" contains "$out" "warning: cannot open GeoIP database '$bad': "
  check "$bad: summary says enrichment off" contains "$out" "geoip: enrichment off"
  check "$bad: events ingested" eq "$(stat_of s2 events)" 8
  check "$bad: events not enriched" eq "$("$IPL" query --store s2 'logons where geo.country = "GB" | count' --format csv | tail -n +2 | tr -d '\r')" 0
done
check "missing: the system's reason" contains "$("$IPL" ingest --store s2 --geoip-db missing.mmdb auth.log 2>&1)" "No such file or directory"
# one bad, one good: the good one still enriches
rm -rf s3
out=$("$IPL" ingest --store s3 --year 2024 --geoip-db garbage.mmdb --geoip-db asn.mmdb auth.log 2>&1); rc=$?
check "bad + good: exit 0" eq "$rc" 0
check "bad + good: warning" contains "$out" "'garbage.mmdb'"
check "bad + good: the good one answers" eq "$("$IPL" query --store s3 'logons where geo.asn = "AS20712" | fields ip' --format csv | tail -n +2 | tr -d '\r')" 81.2.69.160
out=$("$IPL" ingest --store s3 --geoip-db a --geoip-db b --geoip-db c --geoip-db d --geoip-db e --geoip-db f \
  --geoip-db g --geoip-db h --geoip-db i --geoip-db j --geoip-db k --geoip-db l --geoip-db m --geoip-db n \
  --geoip-db o --geoip-db p --geoip-db q auth.log 2>&1); rc=$?
check "more than 16 databases: usage error" eq "$rc" 2
check "more than 16 databases: said" contains "$out" "at most 16"

# ---- the generator's Internet logons: default output unchanged; every one enriched, no
# session of the enterprise's own (private) addresses ----
"$GEN" --out g0 --days 1 --devices 40 --sites 2 >/dev/null
"$GEN" --out g1 --days 1 --devices 40 --sites 2 --internet 0 >/dev/null
check "gen --internet 0: byte-identical to the default" diff -r g0 g1
"$GEN" --out g5 --days 1 --devices 40 --sites 2 --internet 5 >/dev/null
check "gen --internet 5: only the Linux servers' logs differ" eq \
  "$(diff -rq g0 g5 | grep -vc -E '/(sshd|syslog)/lnx-')" 0
check "gen --internet: bad value refused" test "$("$GEN" --out gx --internet 1001 >/dev/null 2>&1; echo $?)" = 2
for o in $(seq 1 223); do printf '%d.0.0.0/8\tZZ\t64496\tEverywhere\n' "$o"; done > all.tsv
check "mkmmdb: an IPv4-only database" "$MK" --ip-version 4 all.mmdb all.tsv
while IFS=$'\t' read -r path format tz server; do
  case $format in sshd|syslog) "$IPL" ingest --store sg --quiet --geoip-db all.mmdb --format "$format" \
    --tz "$tz" --server "$server" "g5/$path" || echo "ingest of $path failed";; esac
done < g5/sources.tsv
n_fail=$("$IPL" query --store sg 'logons where kind = logon.fail | count' --format csv | tail -n +2 | tr -d '\r')
check "gen: 5 Internet attempts per Linux server and hour" eq "$n_fail" $((5 * 24 * 2))
check "gen: every Internet attempt enriched" eq \
  "$("$IPL" query --store sg 'logons where kind = logon.fail and geo.country = "ZZ" | count' --format csv | tail -n +2 | tr -d '\r')" "$n_fail"
check "gen: the enterprise's own sessions are not" eq \
  "$("$IPL" query --store sg 'logons where kind = logon and geo.country exists | count' --format csv | tail -n +2 | tr -d '\r')" 0
# an IPv6 client looked up in an IPv4-only database: no answer, no error, the database stays
out=$("$IPL" ingest --store s6 --year 2024 --geoip-db all.mmdb auth.log 2>&1)
check "IPv4-only database: no warning" eq "$(grep -c -E 'warning|dropped' <<<"$out")" 0
check "IPv4-only database: v4 enriched, v6 not" eq \
  "$("$IPL" query --store s6 'logons where geo.country = "ZZ" | count' --format csv | tail -n +2 | tr -d '\r')" 4   # the 4 public IPv4 clients

# ---- serve: the config key, and live API ingest enriched ----
printf '{"geoip_db": ["%s/country.mmdb", 3]}\n' "$WORK" > bad.json
out=$("$IPL" serve --config bad.json --check 2>&1); rc=$?
check "config: a non-string geoip_db entry is an error" eq "$rc" 2
check "config: names the line" contains "$out" "bad.json:1: a 'geoip_db' entry must be a file name"
printf '{"geoip_db": "x.mmdb"}\n' > bad2.json
check "config: geoip_db must be an array" contains "$("$IPL" serve --config bad2.json --check 2>&1)" "'geoip_db' must be an array"

ports 1; HP=${P[0]}; URL="http://127.0.0.1:$HP"
SRV=""
cleanup_hook() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; }
printf '{"listen": "127.0.0.1:%d", "geoip_db": ["%s/country.mmdb"]}\n' "$HP" "$WORK" > serve.json
check "config: geoip_db accepted" contains "$("$IPL" serve --config serve.json --check)" "ok"
"$IPL" init --store st >/dev/null
TOK=$("$IPL" token create --store st --name ing --role Administrator)
"$IPL" serve --store st --config serve.json --geoip-db asn.mmdb --geoip-db missing.mmdb --log serve.log &
SRV=$!
need_up "$URL" "$SRV"
printf 'May  2 08:00:00 web02 sshd[77]: Accepted password for zoe from 81.2.69.7 port 4000 ssh2\n' > live.log
r=$(curl -s -w '\n%{http_code}' -X POST -H "Authorization: Bearer $TOK" --data-binary @live.log \
      "$URL/api/v1/ingest?format=sshd&source=live")
check "serve: API ingest accepted" eq "$(tail -n1 <<<"$r")" 200
kill -TERM "$SRV"; wait "$SRV"; SRV=""
check "serve: warning for the missing database logged" contains "$(cat serve.log)" "cannot open GeoIP database 'missing.mmdb'"
check "serve: live event enriched from both databases" eq \
  "$("$IPL" query --store st 'logons | fields user, geo.country, geo.asn' --format csv | tail -n +2 | tr -d '\r')" 'zoe,GB,AS20712'
finish
