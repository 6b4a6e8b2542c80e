#!/usr/bin/env bash
# `ipledger serve` end to end with curl, logger and a real server on loopback: every request of
# docs/api.md, access control (401, 403 named and recorded, scopes), the write audit trail
# (config.change by principal, in the live tail), tail resume by Last-Event-ID without gaps or
# repeats, syslog over UDP and TCP (LF and octet counting, RFC 3164 and 5424), limits, --check,
# SIGHUP reload, SIGTERM commit and a restart that goes on numbering where it stopped.
source "$(dirname "$0")/lib.bash"

ports 2
HP=${P[0]}; SP=${P[1]}; URL="http://127.0.0.1:$HP"
SRV=""
cleanup_hook() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; }

start() { # start [extra args...]: start the server, wait (bounded) for /healthz
  "$IPL" serve --store st --listen "127.0.0.1:$HP" --syslog-udp "127.0.0.1:$SP" \
    --syslog-tcp "127.0.0.1:$SP" --log serve.log "$@" &
  SRV=$!
  wait_up "$URL" "$SRV" && return 0
  echo "server did not start"; cat serve.log; return 1
}
stop() { kill -TERM "$SRV"; for _ in $(seq 50); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
         wait "$SRV"; local rc=$?; SRV=""; return $rc; }
api() { # api TOKEN METHOD PATH [curl args...]: prints body, then the status on the last line
  local tok=$1 m=$2 p=$3; shift 3
  curl -s -X "$m" -H "Authorization: Bearer $tok" -w '\n%{http_code}' "$@" "$URL$p"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

"$IPL" init --store st >/dev/null
ADM=$("$IPL" token create --store st --name admin --role Administrator)
check "token create prints a secret" contains "$ADM" "ipl_"
RD=$("$IPL" token create --store st --name reader --role Reader)
AUD=$("$IPL" token create --store st --name auditor --role "IP Audit Administrator")
check "token list shows no secret" test -z "$("$IPL" token list --store st | grep -F "${ADM#ipl_}")"
check "token list names the tokens" contains "$("$IPL" token list --store st)" "auditor"
"$IPL" token scope --store st --path '\Global\Europe' --prefixes 10.20.0.0/16 >/dev/null
EU=$("$IPL" token create --store st --name eu --role "IP Audit Administrator" --scope '\Global\Europe')

# --check names the line of each error
printf '{\n  "listen": "127.0.0.1:8470",\n  "limits": {"body_bytes": "big"},\n  "bogus": 1\n}\n' > bad.json
out=$("$IPL" serve --config bad.json --check 2>&1); rc=$?
check "--check fails on a bad config" eq "$rc" 2
check "--check names line 3 (body_bytes)" contains "$out" "bad.json:3: 'body_bytes' must be an integer"
check "--check names line 4 (unknown key)" contains "$out" "bad.json:4: unknown key 'bogus'"
printf '{"listen": "127.0.0.1:8470",\n "syslog": {"udp": "127.0.0.1:5514"}\n' > broken.json
out=$("$IPL" serve --config broken.json --check 2>&1)
check "--check reports invalid JSON with a line" contains "$out" "broken.json:"
printf '{"listen": "127.0.0.1:%d", "limits": {"body_bytes": 4096, "query_bytes": 512, "header_bytes": 2048, "stream_buffer_bytes": 4096, "stalled_seconds": 1, "connections": 6, "request_seconds": 2}}\n' "$HP" > good.json
check "--check accepts a good config" contains "$("$IPL" serve --config good.json --check)" "ok"

start --config good.json || { finish; }

# health, authentication, permissions
check "healthz" eq "$(curl -s "$URL/healthz")" '{"status":"ok"}'
r=$(curl -s -w '\n%{http_code}' "$URL/api/v1/stats")
check "no token: 401" eq "$(status "$r")" 401
r=$(api ipl_0000000000000000000000000000000000000000 GET /api/v1/stats)
check "unknown token: 401" eq "$(status "$r")" 401
r=$(api "$RD" GET /api/v1/stats)
check "reader reads stats" eq "$(status "$r")" 200
r=$(api "$RD" GET "/api/v1/track?ip=10.20.30.41&at=now")
check "reader may not track: 403" eq "$(status "$r")" 403
check "403 names the permission" contains "$(body "$r")" '"permission":"audit"'
r=$(api "$AUD" POST "/api/v1/tokens?name=x&role=Reader")
check "auditor may not create tokens: 403 access" contains "$(body "$r")" '"permission":"access"'
r=$(api "$ADM" GET /api/v1/nothing)
check "unknown endpoint: 404" eq "$(status "$r")" 404
r=$(api "$ADM" PUT /api/v1/stats)
check "unknown method: 405 (or 501 from the HTTP layer)" contains "405 501" "$(status "$r")"

# live ingest: syslog UDP (RFC 5424), TCP LF, TCP octet counting (RFC 3164)
logger -n 127.0.0.1 -P "$SP" -d -t dhcpd "DHCPACK on 10.20.30.41 to 3c:52:82:6a:1b:2f (LAPTOP-7Q2) via eth0"
logger -n 127.0.0.1 -P "$SP" -T -t dhcpd "DHCPACK on 10.30.0.42 to 00:0c:29:1a:a6:af via eth0"
logger --rfc3164 -n 127.0.0.1 -P "$SP" -T --octet-count -t dhcpd "DHCPACK on 10.20.30.43 to 00:0c:29:1a:a6:b0 via eth0"
logger -n 127.0.0.1 -P "$SP" -d -t dhcpd "DHCPACK on not-an-address to nobody"
for _ in $(seq 30); do
  n=$(api "$ADM" GET "/api/v1/events?ip=10.0.0.0/8" | grep -c '"lease.assign"')
  [ "$n" -ge 3 ] && break; sleep 0.1
done
check "3 syslog events stored (udp, tcp, octet counting)" eq "$n" 3
r=$(api "$ADM" GET /api/v1/sources)
check "sources name syslog:udp" contains "$r" '"source":"syslog:udp"'
check "sources name syslog:tcp with 2 lines" contains "$r" '"source":"syslog:tcp","format":"syslog","offset":'
r=$(api "$AUD" GET /api/v1/quarantine)
check "bad syslog message quarantined with its reason" contains "$r" '"source":"syslog:udp"'

# ingest through the API: raw lines, and NDJSON events (the export format)
r=$(printf 'May  1 08:15:32 dhcp01 dhcpd[1]: DHCPACK on 10.20.40.1 to 3c:52:82:6a:1b:30 via eth0\ngarbage\n' |
    api "$ADM" POST "/api/v1/ingest?format=syslog&source=upload" --data-binary @-)
check "ingest raw lines: 200" eq "$(status "$r")" 200
check "ingest counts" contains "$r" '"events":1,"quarantined":1'
api "$ADM" GET "/api/v1/events?ip=10.20.40.1" | sed '$d' > one.ndjson
r=$(api "$ADM" POST "/api/v1/ingest?format=ipledger-ndjson&source=reimport" --data-binary @one.ndjson)
check "ingest NDJSON events" contains "$r" '"events":1,"quarantined":0'
r=$(api "$ADM" POST "/api/v1/ingest?format=nope" --data-binary x)
check "unknown format: 400 naming the field" contains "$r" '"field":"format"'
r=$(api "$RD" POST "/api/v1/ingest?format=syslog" --data-binary x)
check "reader may not ingest" eq "$(status "$r")" 403

# queries
r=$(api "$AUD" GET "/api/v1/who?ip=10.20.30.41&at=now")
check "who: held by the syslog lease" contains "$r" '"state":"held","mac":"3c52826a1b2f"'
r=$(api "$AUD" GET "/api/v1/track?ip=10.20.30.41&at=now")
check "track by ip" contains "$r" '3c52826a1b2f'
r=$(api "$AUD" GET "/api/v1/track?mac=3c:52:82:6a:1b:2f&from=-1d&to=now&format=json")
check "track by mac as JSON" contains "$(body "$r")" '['
r=$(api "$AUD" GET "/api/v1/events?mac=000c291aa6af&format=csv")
check "events by mac as CSV" contains "$r" '10.30.0.42'
r=$(api "$AUD" GET "/api/v1/query" --get --data-urlencode 'q=leases where ip in 10.20.0.0/16 | count')
check "query language over HTTP" eq "$(status "$r")" 200
r=$(api "$AUD" GET "/api/v1/query" --get --data-urlencode 'q=leases where ((')
check "query syntax error: 400 with field q" contains "$r" '"field":"q"'
r=$(api "$AUD" GET "/api/v1/who?ip=nonsense&at=now")
check "bad ip: 400 naming ip" contains "$r" '"field":"ip"'

# scopes: \Global\Europe owns 10.20.0.0/16
r=$(api "$EU" GET "/api/v1/events?ip=10.0.0.0/8")
check "scoped token: a prefix beyond its scope is denied" eq "$(status "$r")" 403
r=$(api "$EU" GET "/api/v1/events?mac=000c291aa6af")
check "scoped token: out-of-scope rows are hidden" eq "$(body "$r")" ""
r=$(api "$EU" GET "/api/v1/who?ip=10.20.30.41&at=now")
check "scoped token: in-scope address answered" contains "$r" '"state":"held"'

# tokens through the API; every write is a config.change naming its principal
r=$(api "$ADM" POST "/api/v1/tokens?name=bot&role=Reader&expires=%2B1d")
check "API token create: 201" eq "$(status "$r")" 201
BOT=$(body "$r" | sed 's/.*"token":"\([^"]*\)".*/\1/')
check "API token works" eq "$(status "$(api "$BOT" GET /api/v1/stats)")" 200
check "API token list has no secrets" test -z "$(api "$ADM" GET /api/v1/tokens | grep -F "$BOT")"
r=$(api "$ADM" DELETE "/api/v1/tokens?name=bot")
check "API token revoke" eq "$(status "$r")" 200
check "revoked token: 401" eq "$(status "$(api "$BOT" GET /api/v1/stats)")" 401
r=$(api "$ADM" POST "/api/v1/roles?name=auditlite&operations=read,audit")
check "custom role defined" eq "$(status "$r")" 200
r=$(api "$ADM" POST "/api/v1/tokens?name=lite&role=auditlite")
LITE=$(body "$r" | sed 's/.*"token":"\([^"]*\)".*/\1/')
check "custom role grants audit" eq "$(status "$(api "$LITE" GET "/api/v1/who?ip=10.20.30.41&at=now")")" 200
check "custom role lacks ingest" eq "$(status "$(api "$LITE" POST "/api/v1/ingest?format=syslog" --data-binary x)")" 403

# scopes through the API
r=$(api "$ADM" POST "/api/v1/scopes" --get --data-urlencode 'path=\Global\Asia' --data-urlencode 'prefixes=10.30.0.0/16' -X POST)
check "API scope set" eq "$(status "$r")" 200
r=$(api "$EU" POST "/api/v1/scopes" --get --data-urlencode 'path=\Global\Asia' --data-urlencode 'prefixes=' -X POST)
check "scoped/auditor principal may not set scopes" eq "$(status "$r")" 403

# legal holds and purge (dry run, then apply): administrators only
r=$(api "$AUD" POST "/api/v1/holds?by=ip&value=10.20.30.41&reason=case%2042")
check "auditor adds a hold" eq "$(status "$r")" 200
HID=$(body "$r" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
check "holds listed" contains "$(api "$AUD" GET /api/v1/holds)" '"reason":"case 42"'
r=$(api "$AUD" POST "/api/v1/purge?before=now")
check "auditor may not purge: 403 purge" contains "$(body "$r")" '"permission":"purge"'
r=$(api "$ADM" POST "/api/v1/purge?before=%2B1d&kind=lease.*")
check "purge dry run" contains "$r" '"dry_run":true'
check "purge dry run counts the held event" contains "$r" '"held":1'
r=$(api "$ADM" POST "/api/v1/purge?before=%2B1d&kind=lease.*&source=syslog:tcp&apply=1&reason=test")
check "purge apply" contains "$r" '"dry_run":false'
check "purge removed the tcp leases" eq "$(api "$AUD" GET "/api/v1/events?ip=10.30.0.42" | sed '$d')" ""
check "held address kept" contains "$(api "$AUD" GET "/api/v1/events?ip=10.20.30.41")" "3c52826a1b2f"
r=$(api "$ADM" DELETE "/api/v1/holds?id=$HID")
check "hold removed" eq "$(status "$r")" 200
r=$(api "$ADM" DELETE "/api/v1/holds?id=999")
check "unknown hold: 404" eq "$(status "$r")" 404

# the audit trail in the tail: config changes (default) from seq 0, by principal
curl -sN --max-time 2 -H "Authorization: Bearer $RD" "$URL/api/v1/tail?from=0" > tail1.txt
check "tail: config.change by token:admin" contains "$(cat tail1.txt)" '"subject":"token:admin"'
check "tail: token.revoke recorded" contains "$(cat tail1.txt)" '"action":"token.revoke"'
check "tail: ingest recorded with its principal" contains "$(cat tail1.txt)" '"object":"api:upload","action":"ingest"'
check "tail: CLI token create recorded" contains "$(cat tail1.txt)" '"subject":"cli:'
r=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $RD" "$URL/api/v1/tail?kinds=lease.*")
check "reader may not tail leases" eq "$(status "$r")" 403
# denials are recorded (auth.fail events)
r=$(api "$AUD" GET "/api/v1/events?ip=10.0.0.0/8" --get --data-urlencode 'x=1' >/dev/null
    curl -sN --max-time 1 -H "Authorization: Bearer $ADM" "$URL/api/v1/tail?kinds=auth.fail&from=0")
check "denied request recorded with the permission" contains "$r" "permission 'audit' missing (role 'Reader')"
check "unauthenticated request recorded" contains "$r" 'no bearer token'

# resume by Last-Event-ID: no gaps, no repeats
curl -sN --max-time 1 -H "Authorization: Bearer $ADM" "$URL/api/v1/tail?kinds=*&from=0" | awk '/^id: /{print $2}' > ids1
last=$(tail -n1 ids1)
for i in 1 2 3; do logger -n 127.0.0.1 -P "$SP" -d -t dhcpd "DHCPACK on 10.20.50.$i to 00:0c:29:1a:b0:0$i via eth0"; done
sleep 0.3
curl -sN --max-time 1 -H "Authorization: Bearer $ADM" -H "Last-Event-ID: $last" "$URL/api/v1/tail?kinds=*" |
  awk '/^id: /{print $2}' > ids2
cat ids1 ids2 > ids
check "resume: ids strictly increasing (no repeats)" eq "$(sort -n -u ids | wc -l)" "$(wc -l < ids)"
nev=$(api "$ADM" GET /api/v1/stats | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
check "resume: every stored event delivered exactly once" eq "$(wc -l < ids)" "$nev"
check "resume: the second stream starts right after Last-Event-ID" eq "$(head -n1 ids2)" "$((last + 1))"
# ipledger tail prints the stream (and exits after --count)
out=$(timeout 10 "$IPL" tail --url "$URL" --token "$ADM" --query 'lease.*' --from 0 --count 2)
check "ipledger tail prints events" eq "$(grep -c '"lease.assign"' <<<"$out")" 2
out=$(timeout 10 "$IPL" tail --url "$URL" --token "$RD" --query 'lease.*' 2>&1); rc=$?
check "ipledger tail reports a 403" contains "$out" "HTTP 403"
# q= is the query language: a source and a where clause, tested on each event as it arrives
curl -sN --max-time 2 -H "Authorization: Bearer $ADM" --get --data-urlencode 'q=leases where ip in 10.20.50.0/24 and ip != 10.20.50.2' \
  --data-urlencode 'from=0' "$URL/api/v1/tail" > tq.txt &
TQ=$!
sleep 0.3
for i in 4 5; do logger -n 127.0.0.1 -P "$SP" -d -t dhcpd "DHCPACK on 10.20.50.$i to 00:0c:29:1a:b0:0$i via eth0"; done
wait $TQ
check "tail q=: the matching events, old and new" eq "$(grep -o '"ip":"10.20.50.[0-9]*"' tq.txt | sort -u | tr '\n' ' ')" '"ip":"10.20.50.1" "ip":"10.20.50.3" "ip":"10.20.50.4" "ip":"10.20.50.5" '
check "tail q=: nothing else" eq "$(grep -c '^event: ' tq.txt)" "$(grep -c '"ip":"10.20.50.[1345]"' tq.txt)"
r=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $ADM" --get --data-urlencode 'q=leases where ip in 10.20.0.0/33' "$URL/api/v1/tail")
check "tail q=: a bad query is a 400 with line:column" eq "$(status "$r"):$(grep -c 'q:1:' <<<"$r")" "400:1"
r=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $ADM" --get --data-urlencode 'q=leases | count' "$URL/api/v1/tail")
check "tail q=: stages refused" contains "$r" "stages ('| ...') are not allowed"
r=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $RD" --get --data-urlencode 'q=logons where user = "x"' "$URL/api/v1/tail")
check "tail q=: a reader may not tail logons" eq "$(status "$r")" 403
curl -sN --max-time 1 -H "Authorization: Bearer $RD" --get --data-urlencode 'q=changes where action = "token.revoke"' --data-urlencode 'from=0' "$URL/api/v1/tail" > tq2.txt
check "tail q=: a reader may tail changes by a filter" eq "$(grep -c '^event: config.change' tq2.txt)" "$(grep -c '"action":"token.revoke"' tq2.txt)"
check "tail q=: ... and gets them" test "$(grep -c '"action":"token.revoke"' tq2.txt)" -ge 1
out=$(timeout 10 "$IPL" tail --url "$URL" --token "$ADM" --query 'leases where ip = 10.20.50.4' --from 0 --count 1)
check "ipledger tail --query takes a query" contains "$out" '"ip":"10.20.50.4"'

# limits: body, request target, headers; malformed HTTP; nothing crashes
head -c 8192 /dev/zero | tr '\0' 'x' > big.txt
r=$(api "$ADM" POST "/api/v1/ingest?format=syslog" --data-binary @big.txt)
check "body over limits.body_bytes: 413" eq "$(status "$r")" 413
r=$(api "$ADM" GET "/api/v1/stats?pad=$(head -c 600 /dev/zero | tr '\0' a)")
check "request target over limits.query_bytes: 414" eq "$(status "$r")" 414
r=$(curl -s -w '\n%{http_code}' -H "X-Big: $(head -c 4000 /dev/zero | tr '\0' a)" "$URL/healthz")
check "headers over limits.header_bytes refused" contains "400 413 431" "$(status "$r")"
printf 'GARBAGE\r\n\r\n' | timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HP; cat >&3; timeout 1 cat <&3" >/dev/null 2>&1
printf '500000 <13>oversized' | timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SP; cat >&3" 2>/dev/null
check "server alive after malformed HTTP and syslog" eq "$(curl -s "$URL/healthz")" '{"status":"ok"}'
m=$(api "$RD" GET /metrics)
check "metrics: events by source" contains "$m" 'ipledger_events_ingested_total{source="syslog:udp"}'
check "metrics: latency histogram" contains "$m" 'ipledger_http_request_duration_seconds_bucket{method="GET",route="/api/v1/who",le="0.005"}'
check "metrics: store size" contains "$m" 'ipledger_store_bytes '
check "metrics: bad syslog frames counted" contains "$m" 'ipledger_syslog_bad_frames_total 1'

# connection limit: 6 keep-alive connections holding their slots, the 7th is refused (503)
fds=()
for i in 1 2 3 4 5 6; do
  exec {fd}<>"/dev/tcp/127.0.0.1/$HP"; fds+=("$fd")
  printf 'GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$RD" >&"$fd"
done
sleep 0.3
r=$(curl -s -w '\n%{http_code}' "$URL/healthz")
check "connection over limits.connections: 503" eq "$(status "$r")" 503
for fd in "${fds[@]}"; do exec {fd}>&-; done
sleep 0.3
check "slots freed when the connections close" eq "$(curl -s "$URL/healthz")" '{"status":"ok"}'
# a client that stalls mid-request is dropped after request_seconds (2 s here)
exec 6<>"/dev/tcp/127.0.0.1/$HP"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&6
sleep 3
timeout 2 cat <&6 >/dev/null; rc=$?
check "stalled request dropped (EOF, not a wait)" eq "$rc" 0
exec 6>&-

# SIGHUP: reload limits (recorded), SIGTERM: commit the batch in hand and exit 0
printf '{"listen": "127.0.0.1:%d", "limits": {"body_bytes": 65536, "stream_buffer_bytes": 4096, "stalled_seconds": 1}}\n' "$HP" > good.json
mv serve.log serve.log.1
kill -HUP "$SRV"; sleep 0.3
check "SIGHUP reopened the log" contains "$(cat serve.log 2>/dev/null)" "configuration reloaded"
r=$(api "$ADM" POST "/api/v1/ingest?format=syslog" --data-binary @big.txt)
check "after SIGHUP the new body limit applies" eq "$(status "$r")" 200
# a tail client that never reads is paused, then dropped after stalled_seconds; others go on
exec 5<>"/dev/tcp/127.0.0.1/$HP"
printf 'GET /api/v1/tail?kinds=*&from=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n' "$ADM" >&5
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "<30>May  1 08:00:%02d dhcp01 dhcpd[1]: DHCPACK on 10.40.%d.%d to 02:00:00:00:%02x:%02x via eth0\n", i % 60, int(i / 250) % 250, i % 250 + 1, int(i / 256) % 256, i % 256 }' > flood.txt
timeout 20 bash -c "cat flood.txt > /dev/tcp/127.0.0.1/$SP"
for _ in $(seq 60); do
  logger -n 127.0.0.1 -P "$SP" -d -t dhcpd "DHCPACK on 10.41.0.1 to 00:0c:29:1a:c0:09 via eth0"
  api "$RD" GET /metrics | grep -q '^ipledger_tail_dropped_total [1-9]' && break; sleep 0.1
done
m=$(api "$RD" GET /metrics); check "stalled tail client dropped" contains "$m" "ipledger_tail_dropped_total 1"
exec 5>&-
# denials are recorded at a bounded rate per client and principal: a burst of 20, then one a
# second; what is held back is counted on the next one recorded
FL=$("$IPL" token create --store st --name flood --role Reader)
for i in $(seq 60); do curl -s -o /dev/null -H "Authorization: Bearer $FL" "$URL/api/v1/events?ip=10.0.0.1"; done
sleep 1.1
curl -s -o /dev/null -H "Authorization: Bearer $FL" "$URL/api/v1/events?ip=10.0.0.1"
sleep 0.3
fl=$(curl -sN --max-time 1 -H "Authorization: Bearer $ADM" --get --data-urlencode 'q=auth.fail where subject = "token:flood"' --data-urlencode 'from=0' "$URL/api/v1/tail")
nrec=$(grep -c '^event: auth.fail' <<<"$fl")
held=$(grep -o 'and [0-9]* more denials of this client and principal not recorded one by one' <<<"$fl" | awk '{s += $2} END {print s + 0}')
check "denial flood: about the burst recorded ($nrec of 61; more only on a slow machine)" test "$nrec" -ge 21 -a "$nrec" -le 30
check "denial flood: every denial recorded or counted" eq "$((nrec + held))" 61
check "denial flood: metric" contains "$(api "$RD" GET /metrics)" "ipledger_denials_unrecorded_total $held"
check "flood over TCP syslog: all 40000 stored" eq "$(api "$AUD" GET "/api/v1/events?ip=10.40.0.0/16" | grep -c '"lease.assign"')" 40000
logger -n 127.0.0.1 -P "$SP" -d -t dhcpd "DHCPACK on 10.20.60.1 to 00:0c:29:1a:c0:01 via eth0"
sleep 0.05
stop; rc=$?
check "SIGTERM exits 0" eq "$rc" 0
check "SIGTERM committed the last syslog event" contains "$("$IPL" events --store st --ip 10.20.60.1 --format csv)" "10.20.60.1"
check "reload recorded" contains "$("$IPL" events --store st --all --format csv)" "config.reload"
udp_lines=$("$IPL" sources --store st --format csv | awk -F, '$1=="syslog:udp"{print $4}')
start
logger -n 127.0.0.1 -P "$SP" -d -t dhcpd "DHCPACK on 10.20.60.2 to 00:0c:29:1a:c0:02 via eth0"
for _ in $(seq 30); do api "$ADM" GET "/api/v1/events?ip=10.20.60.2" | grep -q line && break; sleep 0.1; done
r=$(api "$ADM" GET "/api/v1/events?ip=10.20.60.2")
check "restart: syslog line numbers go on ($((udp_lines + 1)))" contains "$r" "\"line\":$((udp_lines + 1))"
stop
finish
