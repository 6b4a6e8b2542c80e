#!/usr/bin/env bash
# `ipledger serve`'s writer thread under load, with a store whose map starts at 64 KiB
# (IPLEDGER_MAP_SIZE) so the map grows many times while HTTP reads, a live tail, API writes and
# syslog TCP commits run at once (the fault: a tiny map under concurrent readers). Asserts: every
# syslog line sent is stored once, reads kept answering 200, the tail delivered every event in
# order without a gap or a repeat, no commit failed, small batches made the loop hand over many
# batches; then SIGTERM with a batch in hand commits it.
source "$(dirname "$0")/lib.bash"

ports 2
HP=${P[0]}; SP=${P[1]}; URL="http://127.0.0.1:$HP"
SRV=""; TAILP=""; RDP=""
cleanup_hook() { for p in $TAILP $RDP $SRV; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
export IPLEDGER_MAP_SIZE=65536

start() { # start CONFIG: start the server, wait (bounded) for /healthz
  "$IPL" serve --store st --config "$1" --log serve.log &
  SRV=$!
  wait_up "$URL" "$SRV" && return 0
  echo "server did not start"; cat serve.log; return 1
}
stop() { kill -TERM "$SRV"; for _ in $(seq 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
         wait "$SRV"; local rc=$?; SRV=""; return $rc; }
events() { curl -s -H "Authorization: Bearer $ADM" "$URL/api/v1/stats" | sed -n 's/.*"events":\([0-9]*\).*/\1/p'; }
metric() { curl -s -H "Authorization: Bearer $ADM" "$URL/metrics" | awk -v k="$1" '$1 == k {print $2}'; }
# feed N FIRST: N DHCPACK lines, distinct addresses from index FIRST
feed() {
  awk -v n="$1" -v f="$2" 'BEGIN { for (i = f; i < f + n; i++)
    printf "<30>May  1 08:%02d:%02d dhcp01 dhcpd[1]: DHCPACK on 10.9.%d.%d to 02:00:00:%02x:%02x:%02x via eth0\n",
      int(i / 60) % 60, i % 60, int(i / 250) % 250, i % 250 + 1, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }'
}

"$IPL" init --store st >/dev/null
ADM=$("$IPL" token create --store st --name admin --role Administrator)
printf '{"listen": "127.0.0.1:%d", "syslog": {"tcp": "127.0.0.1:%d"}, "commit_ms": 20, "batch_events": 500}\n' \
  "$HP" "$SP" > conf.json
check "the store starts with a small map" test "$(stat -c %s st/data.mdb)" -le 65536
start conf.json || finish
before=$(events)

# a live tail of every lease event from here on
curl -sN -H "Authorization: Bearer $ADM" "$URL/api/v1/tail?kinds=lease.*" > tail.txt & TAILP=$!
# reads in a loop while the writer commits and grows the map
( while :; do
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $ADM" \
      "$URL/api/v1/track?ip=10.9.0.1&at=2030-01-01T00:00:00Z"
    curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $ADM" "$URL/api/v1/stats"
  done > codes.txt 2>/dev/null ) & RDP=$!

N=40000
feed $N 0 > feed1.log
feed 30 $N > api.log
# two syslog TCP senders at once, and API ingests (synchronous commits) between them
( exec 3<>"/dev/tcp/127.0.0.1/$SP"; head -n 20000 feed1.log >&3; exec 3>&- ) & S1=$!
( exec 3<>"/dev/tcp/127.0.0.1/$SP"; tail -n +20001 feed1.log >&3; exec 3>&- ) & S2=$!
api_ok=0
for i in 1 2 3; do
  code=$(sed -n "$((i * 10 - 9)),$((i * 10))p" api.log | curl -s -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $ADM" --data-binary @- "$URL/api/v1/ingest?format=syslog&source=up$i")
  [ "$code" = 200 ] && api_ok=$((api_ok + 1))
done
wait $S1 $S2
want=$((before + N + 30 + 3))          # + the three ingests' config.change events
for _ in $(seq 300); do [ "$(events)" -ge "$want" ] && break; sleep 0.1; done
check "API ingests answered 200 while syslog was committed" eq "$api_ok" 3
check "every syslog and API event stored once" eq "$(events)" "$want"
leases=$((N + 30))
for _ in $(seq 200); do [ "$(grep -c '^event: lease' tail.txt)" -ge "$leases" ] && break; sleep 0.1; done
kill $RDP $TAILP 2>/dev/null; wait $RDP $TAILP 2>/dev/null; RDP=""; TAILP=""
check "tail delivered every lease event" eq "$(grep -c '^event: lease' tail.txt)" "$leases"
awk '/^id: / { if ($2 <= last) bad++; last = $2 } END { exit bad > 0 }' tail.txt
check "tail ids strictly increasing (no repeat, no reorder)" test $? = 0
check "tail JSON of a syslog lease" contains "$(grep -m1 '"ip":"10.9.0.1"' tail.txt)" '"ts":"'"$(date -u +%Y)"'-05-01T08:00:00Z","kind":"lease.assign","ip":"10.9.0.1","mac":"020000000000","server":"dhcp01","source":"syslog:tcp","line":'
check "reads kept answering (>= 10 answers)" test "$(wc -l < codes.txt)" -ge 10
check "every read answered 200" eq "$(grep -vc '^200$' codes.txt)" 0
check "no commit failed" eq "$(metric ipledger_commit_failures_total)" 0
check "many batches committed (map grown under load)" test "$(metric ipledger_commits_total)" -ge 20
check "the map grew past its 64 KiB start" test "$(stat -c %s st/data.mdb)" -gt $((1 << 20))
metric ipledger_commits_total > commits.txt; metric ipledger_ingest_pauses_total > pauses.txt
echo "commits: $(cat commits.txt), TCP pauses: $(cat pauses.txt), reads: $(wc -l < codes.txt)"
check "nothing failed in the log" eq "$(grep -c 'failed\|bug' serve.log)" 0
# the tail's JSON (written without cJSON): escapes and raw UTF-8 read back as the stored strings
printf '%s\n' '{"seq":1,"time":"2024-05-06T05:00:59.000123Z","kind":"lease.assign","ip":"2001:db8::7","mac":null,"duid":null,"host":"q\"b\\s\u0001t\tn\nü","user":"u/é","server":"s","source":"x","line":1,"attrs":{"message":"a\"b"}}' |
  curl -s -o /dev/null -H "Authorization: Bearer $ADM" --data-binary @- "$URL/api/v1/ingest?format=ipledger-ndjson&source=esc"
curl -sN --max-time 1 -H "Authorization: Bearer $ADM" "$URL/api/v1/tail?kinds=lease.*&from=$((want))" > esc.txt
r=$(python3 -c '
import json, sys
for l in open("esc.txt"):
    if l.startswith("data: "):
        e = json.loads(l[6:])
        print(e["host"] == "q\"b\\s\x01t\tn\nü", e["user"] == "u/é", e["ip"], e["ts"], e["attrs"]["message"] == "a\"b", e["seq"] > 0)')
check "tail JSON: escapes, UTF-8, IPv6, microseconds" eq "$r" "True True 2001:db8::7 2024-05-06T05:00:59.000123Z True True"
stop; check "SIGTERM exits 0" eq "$?" 0

# SIGTERM with a batch in hand: a long commit_ms, so the events wait in the pending batch
printf '{"listen": "127.0.0.1:%d", "syslog": {"tcp": "127.0.0.1:%d"}, "commit_ms": 60000, "batch_events": 1000000}\n' \
  "$HP" "$SP" > conf2.json
start conf2.json || finish
before=$(events)
feed 2000 100000 > feed2.log
( exec 3<>"/dev/tcp/127.0.0.1/$SP"; cat feed2.log >&3; exec 3>&- )
for _ in $(seq 100); do
  [ "$(metric 'ipledger_events_ingested_total{source="syslog:tcp"}')" = 2000 ] && break; sleep 0.1; done
check "2000 events parsed and pending" eq "$(metric ipledger_pending_events)" 2000
check "not committed yet" eq "$(events)" "$before"
stop; check "SIGTERM exits 0 with a batch in hand" eq "$?" 0
check "SIGTERM committed the batch in hand" eq "$(stat_of st events)" $((before + 2000))
finish
