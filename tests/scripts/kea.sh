#!/usr/bin/env bash
# Kea end to end: a real kea-dhcp4 in a network namespace hands out leases to perfdhcp clients in
# another namespace (a veth pair, TEST-NET-1 192.0.2.0/24 inside the namespaces only), some of
# which release theirs; its lease file (kea-csv) and its log (kea-log) are ingested. Every lease
# Kea granted, read from the CSV here with awk, must be answered by `who` with the same MAC: at its
# start and in its middle when it was still held at the end; for a released one (the CSV does not
# say when), at the grant instant the log gives, and `nobody` from the logged release on.
# Needs root (namespaces), kea-dhcp4-server and kea-admin (perfdhcp); installs them with apt-get
# when missing (tools/setup lists them). Where `ip netns add` fails (no privilege, a sandbox), it
# says why, reports "0 passed, 0 failed" and succeeds; every other failure fails. Every wait is
# bounded; Kea and perfdhcp run with their files in the temp dir; cleanup on exit kills Kea and
# deletes the namespaces (and with them the veth pair).
source "$(dirname "$0")/lib.bash"

NS_S="iplkea-s-$$" NS_C="iplkea-c-$$"         # server and client namespaces
IF_S="iplks$$" IF_C="iplkc$$"                 # the veth pair (<= 15 characters)
IF_S=${IF_S:0:15} IF_C=${IF_C:0:15}
KEA_PID=""
cleanup_hook() {
  if [ -n "$KEA_PID" ] && kill -0 "$KEA_PID" 2>/dev/null; then
    kill -TERM "$KEA_PID" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$KEA_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$KEA_PID" 2>/dev/null
  fi
  ip netns del "$NS_S" 2>/dev/null
  ip netns del "$NS_C" 2>/dev/null
  ip link del "$IF_S" 2>/dev/null
  true
}
skip() { echo "skipped: $1"; echo "0 passed, 0 failed"; exit 0; }

# ---- prerequisites ----
if ! ip netns add "$NS_S" 2>"$WORK/netns.err"; then
  skip "cannot create a network namespace ($(id -un)): $(tr '\n' ' ' < "$WORK/netns.err")"
fi
ip netns add "$NS_C" || skip "cannot create a second network namespace"

KEA=$(command -v kea-dhcp4 || ls /usr/sbin/kea-dhcp4 2>/dev/null)
PERF=$(command -v perfdhcp || ls /usr/sbin/perfdhcp 2>/dev/null)
if [ -z "$KEA" ] || [ -z "$PERF" ]; then
  echo "installing kea-dhcp4-server kea-admin (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get install -y -qq --no-install-recommends kea-dhcp4-server kea-admin \
    >"$WORK/apt.log" 2>&1 ||
    { timeout 300 apt-get update -qq >/dev/null 2>&1;
      timeout 300 apt-get install -y -qq --no-install-recommends kea-dhcp4-server kea-admin \
        >"$WORK/apt.log" 2>&1; }
  KEA=$(command -v kea-dhcp4 || ls /usr/sbin/kea-dhcp4 2>/dev/null)
  PERF=$(command -v perfdhcp || ls /usr/sbin/perfdhcp 2>/dev/null)
fi
check "kea-dhcp4 is installed" test -n "$KEA"
check "perfdhcp is installed (package kea-admin)" test -n "$PERF"
[ -n "$KEA" ] && [ -n "$PERF" ] || { tail -5 "$WORK/apt.log" 2>/dev/null; finish; }

# ---- the network: 192.0.2.1 (server) <-> 192.0.2.2 (perfdhcp, acting as a relay) ----
ip link add "$IF_S" type veth peer name "$IF_C" &&
  ip link set "$IF_S" netns "$NS_S" && ip link set "$IF_C" netns "$NS_C" &&
  ip -n "$NS_S" addr add 192.0.2.1/24 dev "$IF_S" && ip -n "$NS_C" addr add 192.0.2.2/24 dev "$IF_C" &&
  ip -n "$NS_S" link set lo up && ip -n "$NS_C" link set lo up &&
  ip -n "$NS_S" link set "$IF_S" up && ip -n "$NS_C" link set "$IF_C" up
check "veth pair between the namespaces" test $? = 0

# ---- Kea: config, lease file, log, pid and lock files, all in the temp dir ----
K="$WORK/kea"; mkdir -p "$K/run" "$K/lock"
LIFETIME=3600
cat > "$K/kea-dhcp4.conf" <<EOF
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$IF_S" ], "dhcp-socket-type": "udp" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$K/kea-leases4.csv",
                        "lfc-interval": 0 },
    "valid-lifetime": $LIFETIME, "renew-timer": 1800, "rebind-timer": 3000,
    "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24",
                   "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "INFO", "debuglevel": 0,
                   "output_options": [ { "output": "$K/kea-dhcp4.log", "flush": true } ] } ]
  }
}
EOF
ip netns exec "$NS_S" env TZ=UTC KEA_PIDFILE_DIR="$K/run" KEA_LOCKFILE_DIR="$K/lock" \
  "$KEA" -c "$K/kea-dhcp4.conf" >"$K/stdout.log" 2>&1 &
KEA_PID=$!
started=0
for _ in $(seq 1 100); do                      # at most 10 s
  grep -q DHCP4_STARTED "$K/kea-dhcp4.log" 2>/dev/null && { started=1; break; }
  kill -0 "$KEA_PID" 2>/dev/null || break
  sleep 0.1
done
check "kea-dhcp4 started" test "$started" = 1
[ "$started" = 1 ] || { tail -20 "$K/stdout.log" "$K/kea-dhcp4.log" 2>/dev/null; finish; }

# ---- perfdhcp: 8 clients, 4 exchanges a second and 2 releases a second, at most 12 exchanges,
# at most 5 s (perfdhcp stops by itself; timeout is the backstop) ----
timeout 30 ip netns exec "$NS_C" "$PERF" -4 -l 192.0.2.2 -R 8 -r 4 -F 2 -n 12 -p 5 -W 1000000 \
  192.0.2.1 >"$K/perfdhcp.log" 2>&1
echo "perfdhcp exit $? ($(grep -m1 -E 'sent packets' "$K/perfdhcp.log" | tr -s ' '))"

# ---- stop Kea (it flushes nothing more: memfile appends as it goes) ----
kill -TERM "$KEA_PID"
for _ in $(seq 1 50); do kill -0 "$KEA_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$KEA_PID" 2>/dev/null && kill -KILL "$KEA_PID"
wait "$KEA_PID" 2>/dev/null
KEA_PID=""
check "Kea wrote its lease file" test -s "$K/kea-leases4.csv"
check "Kea wrote its log" test -s "$K/kea-dhcp4.log"

# ---- what Kea did, read independently of ipledger ----
# CSV: grant rows (valid_lifetime > 0, state 0): address, MAC, start (expire - valid), expire;
# removal rows (valid_lifetime 0): the address was released. Columns by the header.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         { st = $c["state"] == "" ? 0 : $c["state"] }
         $c["valid_lifetime"] > 0 && st == 0 {
           mac = $c["hwaddr"]; gsub(":", "", mac)
           print $c["address"], tolower(mac), $c["expire"] - $c["valid_lifetime"], $c["expire"] > "granted.txt" }
         $c["valid_lifetime"] == 0 { print $c["address"] > "released.txt" }' "$K/kea-leases4.csv"
touch granted.txt released.txt
# log (Kea ran with TZ=UTC): the instants, to the millisecond, of grants and releases
awk '$5 == "DHCP4_LEASE_ALLOC" || $5 == "DHCP4_RELEASE" {
       mac = $7; sub(/\],$/, "", mac); gsub(":", "", mac)
       for (i = 8; i <= NF; i++) if ($i == "lease" || $i == "address") { ip = $(i + 1); break }
       print ($5 == "DHCP4_RELEASE" ? "release" : "alloc"), ip, mac, $1 "T" $2 "Z" }' \
  "$K/kea-dhcp4.log" > logged.txt
granted=$(wc -l < granted.txt); released=$(sort -u released.txt | wc -l)
allocs=$(grep -c '^alloc' logged.txt); releases=$(grep -c '^release' logged.txt)
echo "Kea granted $granted lease(s) ($(awk '{print $1}' granted.txt | sort -u | wc -l) addresses)," \
     "released $released; its log: $allocs DHCP4_LEASE_ALLOC, $releases DHCP4_RELEASE"
check "Kea granted at least one lease" test "$granted" -ge 1
check "Kea released at least one lease" test "$released" -ge 1
check "every grant in the CSV is logged (DHCP4_LEASE_ALLOC)" eq "$allocs" "$granted"
check "every removal in the CSV is logged (DHCP4_RELEASE)" eq "$releases" "$(wc -l < released.txt)"
check "one client per address" eq "$(awk '{print $1, $2}' granted.txt | sort -u | awk '{print $1}' | uniq -d | wc -l)" 0

# ---- ingest both with the Kea formats ----
out=$("$IPL" ingest --store st --format kea-csv --server kea-it "$K/kea-leases4.csv" 2>&1)
check "kea-csv ingest: nothing quarantined ($out)" contains "$out" " 0 quarantined"
check "kea-csv ingest: one event per row" contains "$out" "$(( granted + $(wc -l < released.txt) )) events"
out=$("$IPL" ingest --store st --format kea-log --tz UTC --server kea-it "$K/kea-dhcp4.log" 2>&1)
check "kea-log ingest: nothing quarantined ($out)" contains "$out" " 0 quarantined"
# detection picks the right parsers too: the same events as with --format
"$IPL" ingest --quiet --store auto --tz UTC --server kea-it "$K/kea-leases4.csv" "$K/kea-dhcp4.log"
check "auto-detection ingests both files" test $? = 0
check "auto-detection gives the same events" eq "$(stat_of auto events)" "$(stat_of st events)"
fmts=$("$IPL" sources --store auto --format csv | tr -d '\r' | tr '\n' ' ')
check "auto-detection: kea-csv for the lease file" contains "$fmts" "kea-csv"
check "auto-detection: kea-log for the log" contains "$fmts" "kea-log"

# ---- who: every lease Kea granted names Kea's client while it was held, and nobody after a release
queries=0 answered=0
ask() { # ask IP AT EXPECTED(mac|nobody)
  local row state got
  row=$("$IPL" who --store st --ip "$1" --at "$2" --format csv | tail -1)
  state=$(echo "$row" | cut -d, -f3); got=$(echo "$row" | cut -d, -f4)
  queries=$((queries + 1))
  if { [ "$3" = nobody ] && [ "$state" = nobody ]; } || { [ "$state" = held ] && [ "$got" = "$3" ]; }; then
    answered=$((answered + 1))
  else
    echo "  who $1 at $2: [$row], expected $3"
  fi
}
# still held when Kea stopped: at the start (CSV, to the second) and in the middle of the lease
while read -r ip mac start end; do
  grep -qx "$ip" released.txt && continue
  ask "$ip" "@$start" "$mac"
  ask "$ip" "@$(( start + (end - start) / 2 ))" "$mac"
done < granted.txt
# released: the CSV does not say when, the log does: held at the grant, nobody from the release.
# Several log lines of one address can share a millisecond (a release and the next grant): the
# last of them in the log decides that instant, as it does in the store (same time: seq order).
awk '{ k = $2 " " $4; if (!(k in st)) order[n++] = k; st[k] = ($1 == "alloc" ? $3 : "nobody") }
     END { for (i = 0; i < n; i++) { split(order[i], f, " "); print f[1], f[2], st[order[i]] } }' \
  logged.txt > expected_at.txt
while read -r ip at want; do
  grep -qx "$ip" released.txt || continue
  ask "$ip" "$at" "$want"
done < expected_at.txt
echo "who answered $answered of $queries queries correctly"
check "who answers every query as Kea's files say" eq "$answered" "$queries"
check "who was asked about every grant" test "$queries" -ge "$granted"
# a second grant of an address to the same client while its lease runs is a renewal (a grant
# after the address was released, a removal row in between in the CSV, is a new assignment)
again=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         { a = $c["address"]; mac = tolower($c["hwaddr"]); st = $c["state"] == "" ? 0 : $c["state"] }
         $c["valid_lifetime"] > 0 && st == 0 { if ((a in cur) && cur[a] == mac) n++; cur[a] = mac }
         $c["valid_lifetime"] == 0 { delete cur[a] }
         END { print n + 0 }' "$K/kea-leases4.csv")
renews=$("$IPL" events --store st --all --format csv | grep -c ',lease.renew,')
[ "$again" -gt 0 ] && check "repeated grants to the same client are lease.renew ($again)" \
  test "$renews" -ge "$again"
# and nobody before the first grant
set -- $(sort -k3n granted.txt | head -1)
row=$("$IPL" who --store st --ip "$1" --at "@$(( $3 - 1 ))" --format csv | tail -1)
check "nobody holds $1 before Kea granted it" contains "$row" "nobody"
finish
