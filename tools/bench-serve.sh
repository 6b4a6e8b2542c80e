#!/usr/bin/env bash
# tools/bench-serve.sh — `ipledger serve` under load on loopback (wrk from Debian):
#   1. GET /api/v1/track?ip=A&at=T, 64 connections: req/s and latency percentiles
#      (targets: >= 20,000 req/s, p99 <= 5 ms);
#   2. the same while syslog events arrive over TCP at RATE/s (default 100,000): p99 <= 10 ms,
#      and every event sent is in the store afterwards (none lost);
#   3. tail commit-to-delivery p99 (target <= 50 ms) from the server's own histogram
#      (ipledger_tail_delivery_seconds) with a live tail client during phase 2.
# Usage: tools/bench-serve.sh [BUILD_DIR] [SECONDS] [RATE]   (defaults: build 10 100000)
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd); SECS=${2:-10}; RATE=${3:-100000}
IPL="$BUILD/ipledger"
command -v wrk >/dev/null || { echo "bench-serve: wrk missing (tools/setup installs it)"; exit 2; }
W=$(mktemp -d); SRV=""; TAILP=""
trap '[ -n "$TAILP" ] && kill $TAILP 2>/dev/null; [ -n "$SRV" ] && kill $SRV 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"; export TZ=UTC LC_ALL=C
HP=$((30000 + $$ % 10000)); SP=$((HP + 1)); URL="http://127.0.0.1:$HP"
NDEV=30000

echo "== data: $NDEV devices, $((NDEV * 3)) Windows DHCP rows"
awk -v n=$((NDEV * 3)) 'BEGIN {
  printf "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.\r\n"
  for (i = 0; i < n; i++) { k = i % 3; dev = int(i / 3); m = dev % 1000
    printf "%s,05/%02d/24,%02d:%02d:%02d,%s,10.0.%d.%d,HOST-%05d,%012X,,%d,6,,,,,,,,,0\r\n", \
      (k == 0 ? "10" : k == 1 ? "11" : "12"), 1 + int(dev / 1500), int(m / 60) % 24, m % 60, k * 10, \
      (k == 0 ? "Assign" : k == 1 ? "Renew" : "Release"), int(dev / 250) % 250, dev % 250 + 1, dev, 0x3C5282000000 + dev, i }
}' > DhcpSrvLog-Wed.log
"$IPL" ingest --quiet --store st --format mswin-dhcp DhcpSrvLog-Wed.log
TOK=$("$IPL" token create --store st --name bench --role Administrator)
printf '{"listen": "127.0.0.1:%d", "syslog": {"tcp": "127.0.0.1:%d"}, "limits": {"connections": 512}}\n' "$HP" "$SP" > conf.json
"$IPL" serve --store st --config conf.json --log serve.log & SRV=$!
for _ in $(seq 50); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done

cat > track.lua <<LUA
math.randomseed(42)
request = function()
  local d = math.random(0, $NDEV - 1)
  local path = string.format("/api/v1/track?ip=10.0.%d.%d&at=2024-05-10T12:00:00Z", math.floor(d / 250) % 250, d % 250 + 1)
  return wrk.format("GET", path, {["Authorization"] = "Bearer $TOK"})
end
LUA
curl -s -H "Authorization: Bearer $TOK" "$URL/api/v1/track?ip=10.0.0.1&at=2024-05-10T12:00:00Z" | head -c 300; echo

echo "== 1. track over HTTP, 64 connections, ${SECS}s"
wrk -t2 -c64 -d"${SECS}s" --latency -s track.lua "$URL" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx|Socket errors'

echo "== 2. the same while $RATE syslog events/s arrive over TCP"
awk -v n=$((RATE * SECS)) 'BEGIN { for (i = 0; i < n; i++)
  printf "<30>May  1 08:%02d:%02d dhcp01 dhcpd[1]: DHCPACK on 10.9.%d.%d to 02:00:00:%02x:%02x:%02x via eth0\n",
    int(i / 60) % 60, i % 60, int(i / 250) % 250, i % 250 + 1, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' > feed.log
split -l "$RATE" -d -a 4 feed.log chunk.
before=$(curl -s -H "Authorization: Bearer $TOK" "$URL/api/v1/stats" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
"$IPL" tail --url "$URL" --token "$TOK" --query 'lease.*' > tail.out 2>/dev/null & TAILP=$!
( exec 3<>"/dev/tcp/127.0.0.1/$SP"
  for c in chunk.*; do t0=$(date +%s%N); cat "$c" >&3
    el=$(( ($(date +%s%N) - t0) / 1000000 )); [ $el -lt 1000 ] && sleep "0.$(printf %03d $((1000 - el)))"; done ) &
FEED=$!
wrk -t2 -c64 -d"${SECS}s" --latency -s track.lua "$URL" | grep -E 'Requests/sec|50%|90%|99%|Non-2xx|Socket errors'
wait $FEED || true
sent=$((RATE * SECS))
for _ in $(seq 100); do
  now=$(curl -s -H "Authorization: Bearer $TOK" "$URL/api/v1/stats" | sed -n 's/.*"events":\([0-9]*\).*/\1/p')
  [ $((now - before)) -ge "$sent" ] && break; sleep 0.2; done
echo "syslog events sent: $sent, stored: $((now - before))$( [ $((now - before)) -ge "$sent" ] && echo ' (none lost)' || echo ' LOST SOME')"

echo "== 3. tail commit-to-delivery (server histogram)"
curl -s -H "Authorization: Bearer $TOK" "$URL/metrics" | awk '
  /^ipledger_tail_delivery_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); b[++n] = le; c[n] = $2 }
  /^ipledger_tail_delivery_seconds_count/ { total = $2 }
  END { if (!total) { print "no deliveries measured"; exit }
        for (i = 1; i <= n; i++) if (c[i] >= 0.99 * total) { printf "deliveries: %d, p99 <= %s s\n", total, b[i]; exit } }'
echo "tail client printed $(wc -l < tail.out) events"
kill -TERM $SRV; wait $SRV || true; SRV=""
