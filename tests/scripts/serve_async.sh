#!/usr/bin/env bash
# `POST /api/v1/purge` runs on the server's async worker thread, not on the loop: while an applied
# purge of tens of thousands of events runs (small delete transactions: batch=), /healthz, an
# authenticated `who` and a `POST /api/v1/ingest` all answer. Asserted by order, never by time:
# their answers are complete while the purge's answer has not come and the worker still runs it.
# Then: the purge's count includes an event ingested through the API just before it (ordering),
# the lines ingested during it are stored, a purge beyond limits.async_jobs (1 here) gets 503
# naming the limit, a client that disconnects mid-purge leaves a completed, audited purge and a
# server still answering, SIGTERM mid-purge stops it after a step, answers, exits 0, and
# `purge --resume` finishes it; the store verifies.
source "$(dirname "$0")/lib.bash"

ports 2
HP=${P[0]}; URL="http://127.0.0.1:$HP"
SRV=""; PC=""
cleanup_hook() { for p in $PC $SRV; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }

api() { # api METHOD PATH [curl args...]: body, then the status on its own last line
  local m=$1 p=$2; shift 2
  curl -s -X "$m" -w '\n%{http_code}' -H "Authorization: Bearer $ADM" "$@" "$URL$p"
}
code() { printf '%s\n' "$1" | tail -1; }
metric() { curl -s -H "Authorization: Bearer $ADM" "$URL/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
running() { metric 'ipledger_async_jobs{state="running"}'; }
# until_running: bounded wait (20 s) until the worker runs a job
until_running() { for _ in $(seq 400); do [ "$(running)" = 1 ] && return 0; sleep 0.05; done; return 1; }
until_idle() { for _ in $(seq 1200); do [ "$(running)" = 0 ] && return 0; sleep 0.05; done; return 1; }
record() { # the last retention.purge event's count (and the number of such events)
  "$IPL" events --store st --all --format ndjson | grep '"retention.purge"' |
    python3 -c 'import json,sys; l=[json.loads(x) for x in sys.stdin]; print(l[-1]["attrs"]["count"] if l else "none", len(l))'
}

# 93,000 lease events, 3,000 a day, May 1-31 2024 (mklog: 1,000 devices a day)
mklog dhcp.log 93000
"$IPL" ingest --quiet --store st --tz UTC dhcp.log
ADM=$("$IPL" token create --store st --name admin --role Administrator)
printf '{"listen": "127.0.0.1:%d", "limits": {"async_jobs": 1}}\n' "$HP" > conf.json
"$IPL" serve --store st --config conf.json --log serve.log & SRV=$!
need_up "$URL" "$SRV"

# an event ingested through the API just before the purge, inside its window: the purge sees it
r=$(printf '<30>1 2024-05-02T00:00:00Z dhcp01 dhcpd 1 - - DHCPACK on 10.200.0.1 to 02:00:00:00:00:01 via eth0\n' |
    api POST "/api/v1/ingest?format=syslog&source=before" --data-binary @-)
check "ingest before the purge: 200" eq "$(code "$r")" 200
check "ingest before the purge: 1 event" contains "$r" '"events":1,'

# purge 1: May 1-10 (30,000 events + the one above), 50 events per delete transaction
curl -s -X POST -H "Authorization: Bearer $ADM" \
  "$URL/api/v1/purge?before=2024-05-11T00:00:00Z&apply=1&batch=50&reason=async" > purge1.out & PC=$!
check "the worker runs the purge" until_running
h=$(curl -s -w '\n%{http_code}' "$URL/healthz")
w=$(api GET "/api/v1/who?ip=10.0.0.1&at=2024-05-20T00:00:00Z")
i=$(printf '<30>May  1 08:00:00 dhcp01 dhcpd[1]: DHCPACK on 10.201.0.%d to 02:00:00:00:01:%02x via eth0\n' 1 1 2 2 3 3 |
    api POST "/api/v1/ingest?format=syslog&source=during" --data-binary @-)
q=$(api POST "/api/v1/purge?before=2024-05-02T00:00:00Z")
during_out=$(cat purge1.out); during_run=$(running)
check "healthz answered during the purge" eq "$(code "$h")" 200
check "who answered during the purge" eq "$(code "$w")" 200
check "who's answer is complete" contains "$w" '"evidence":['
check "ingest answered during the purge" eq "$(code "$i")" 200
check "ingest stored its 3 lines" contains "$i" '"events":3'
check "a second purge beyond limits.async_jobs: 503" eq "$(code "$q")" 503
check "the 503 names the limit" contains "$q" 'limits.async_jobs = 1'
check "...all answered while the purge had not answered" eq "$during_out" ""
check "...and while the worker still ran it" eq "$during_run" 1
wait $PC; PC=""
p1=$(cat purge1.out)
check "purge 1 answered: applied, not stopped" contains "$p1" '"dry_run":false,"stopped":false'
check "purge 1 removed May 1-10 and the event ingested just before it" contains "$p1" '"count":30001,'
check "the lines ingested during the purge are stored" \
  eq "$(api GET "/api/v1/events?ip=10.201.0.3" | grep -c '"lease.assign"')" 1
m=$(curl -s -H "Authorization: Bearer $ADM" "$URL/metrics")
check "metrics: no async job queued" contains "$m" 'ipledger_async_jobs{state="queued"} 0'
check "metrics: one async request rejected" contains "$m" 'ipledger_async_rejected_total 1'

# purge 2: the client disconnects mid-purge; the purge completes and is audited
curl -s -X POST -H "Authorization: Bearer $ADM" \
  "$URL/api/v1/purge?before=2024-05-21T00:00:00Z&apply=1&batch=50&reason=gone" > purge2.out & PC=$!
check "the worker runs purge 2" until_running
kill $PC; wait $PC 2>/dev/null; PC=""
check "purge 2 completes after its client went away" until_idle
check "purge 2 is audited with its count (30,000 events: May 11-20)" eq "$(record)" "30000 2"
check "the server still answers" eq "$(code "$(api GET "/api/v1/stats")")" 200
check "metrics: the answer was dropped" eq "$(metric ipledger_async_dropped_total)" 1
check "the log says the answer was dropped" contains "$(cat serve.log)" "the client went away"

# purge 3: SIGTERM mid-purge: it stops after its current step, answers, and the server exits 0
curl -s -X POST -H "Authorization: Bearer $ADM" \
  "$URL/api/v1/purge?before=2024-06-01T00:00:00Z&apply=1&batch=50&reason=term" > purge3.out & PC=$!
check "the worker runs purge 3" until_running
kill -TERM "$SRV"
wait "$SRV"; rc=$?; SRV=""
wait $PC; PC=""
check "SIGTERM mid-purge: the server exits 0" eq "$rc" 0
check "purge 3 answered before the exit: stopped" contains "$(cat purge3.out)" '"stopped":true'
"$IPL" purge --store st --resume --yes --quiet
check "purge --resume finishes purge 3 (May 21-31: 33,000 events)" eq "$(record)" "33000 3"
check "the ingested lines survived every purge" eq "$("$IPL" events --store st --ip 10.201.0.1 --format csv | grep -c lease)" 1
"$IPL" verify --store st > verify.txt; rc=$?
check "the store verifies" eq "$rc" 0
finish
