#!/usr/bin/env bash
# Managing a REAL kea-dhcp4 (Debian kea-dhcp4-server) through its control socket, with
# `ipledger serve` running and a live tail open: register; add subnets; edit options across
# several subnets; add a reservation; Kea's own config-get (asked here with python3 on the raw
# socket, not through ipledger) and its config file (config-write) show each change, and the live
# tail carried each config.change. A change config-test refuses and an overlapping subnet are
# recorded as failed and leave Kea's config as it was. Drift: a config-set made directly on the
# socket is found by `kea drift` (exit 1, nothing recorded) and recorded as a change by "external"
# on the next read. Faults: Kea stopped (socket gone), a fake server writing garbage, a fake
# server that never answers: each a clear error naming the server, recorded. The ctrl-agent URL
# path runs when kea-ctrl-agent is installed (tools/setup lists it). Kea runs with every file in
# the temp dir (interfaces [], memfile lease file, control socket, pid and lock dirs); every wait
# is bounded; cleanup kills what the test started.
source "$(dirname "$0")/lib.bash"

KEA_PID="" AGENT_PID="" SRV="" TAIL_PID="" FAKE_PIDS=""
cleanup_hook() {
  for p in $TAIL_PID $SRV $FAKE_PIDS $AGENT_PID $KEA_PID; do
    kill -TERM "$p" 2>/dev/null
  done
  sleep 0.2
  for p in $TAIL_PID $SRV $FAKE_PIDS $AGENT_PID $KEA_PID; do
    kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  true
}

KEA=$(command -v kea-dhcp4 || ls /usr/sbin/kea-dhcp4 2>/dev/null)
if [ -z "$KEA" ]; then
  echo "installing kea-dhcp4-server (apt-get)"
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq --no-install-recommends \
    kea-dhcp4-server >"$WORK/apt.log" 2>&1
  KEA=$(command -v kea-dhcp4 || ls /usr/sbin/kea-dhcp4 2>/dev/null)
fi
check "kea-dhcp4 is installed" test -n "$KEA"
check "python3 is installed (raw socket client, fake servers)" test -n "$(command -v python3)"
check "curl is installed (the live tail)" test -n "$(command -v curl)"
[ -n "$KEA" ] && command -v python3 >/dev/null && command -v curl >/dev/null || finish

# ---- Kea: everything in the temp dir ----
K="$WORK/k"; mkdir -p "$K/run" "$K/lock"
SOCK="$K/ctrl.sock"
cat > "$K/kea-dhcp4.conf" <<EOF
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ ] },
    "control-socket": { "socket-type": "unix", "socket-name": "$SOCK" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$K/leases4.csv",
                        "lfc-interval": 0 },
    "valid-lifetime": 3600,
    "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24",
                   "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" } ],
                   "option-data": [ { "name": "routers", "data": "192.0.2.1" } ] } ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                   "output_options": [ { "output": "$K/kea-dhcp4.log" } ] } ]
  }
}
EOF
start_kea() {
  env TZ=UTC KEA_PIDFILE_DIR="$K/run" KEA_LOCKFILE_DIR="$K/lock" \
    "$KEA" -c "$K/kea-dhcp4.conf" >"$K/kea.out" 2>&1 &
  KEA_PID=$!
  for _ in $(seq 1 100); do                      # at most 10 s
    [ -S "$SOCK" ] && kc config-get >/dev/null 2>&1 && return 0
    kill -0 "$KEA_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "kea-dhcp4 did not start:"; tail -5 "$K/kea.out" "$K/kea-dhcp4.log" 2>/dev/null; return 1
}
stop_kea() {
  kill -TERM "$KEA_PID" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$KEA_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$KEA_PID" 2>/dev/null; wait "$KEA_PID" 2>/dev/null; KEA_PID=""
}

# kc COMMAND [ARGS-JSON]: Kea's reply on the raw control socket (not through ipledger)
cat > "$WORK/kc.py" <<'EOF'
import json, socket, sys
path, cmd = sys.argv[1], sys.argv[2]
msg = {"command": cmd}
if len(sys.argv) > 3:
    msg["arguments"] = json.loads(sys.argv[3])
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(path)
s.sendall(json.dumps(msg).encode())
buf = b""
while True:
    d = s.recv(65536)
    if not d: break
    buf += d
print(buf.decode())
EOF
kc() { python3 "$WORK/kc.py" "$SOCK" "$@"; }
# kq PYTHON-EXPR: evaluates an expression over c = Kea's Dhcp4 (from config-get on the socket)
kq() { kc config-get | python3 -c "
import json, sys
c = json.load(sys.stdin)['arguments']['Dhcp4']
def sub(i): return [s for s in c['subnet4'] if s['id'] == i][0]
def opt(i, n):
    o = [x['data'] for x in sub(i).get('option-data', []) if x['name'] == n]
    return o[0] if o else None
print($1)"; }

start_kea || finish

# ---- ipledger: a store, serve with a live tail open before any change ----
ports 2; HP=${P[0]}; URL="http://127.0.0.1:$HP"
"$IPL" init --store st >/dev/null
ADM=$("$IPL" token create --store st --name admin --role Administrator)
IPLEDGER_SERVERS_PROBE_MS=200 "$IPL" serve --store st --listen "127.0.0.1:$HP" --log serve.log &
SRV=$!
need_up "$URL" "$SRV"
check "serve is up" curl -sf -o /dev/null "$URL/healthz"
curl -sN --max-time 120 -H "Authorization: Bearer $ADM" "$URL/api/v1/tail" > tail.txt 2>/dev/null &
TAIL_PID=$!
sleep 0.5

kea() { "$IPL" kea "$@" --store st; }

# ---- register, list ----
out=$(kea register k1 --socket "$SOCK" 2>&1)
check "register" contains "$out" "registered kea server 'k1'"
check "register: no warning (baseline taken)" eq "$(grep -c warning <<<"$out")" 0
check "list shows the endpoint" contains "$(kea list --format csv)" "k1,unix:$SOCK,dhcp4"

# ---- serve's kea probe (status-get over the same socket) ----
"$IPL" servers add kea-k1 --store st --type dhcp --address "unix:$SOCK" --probe kea >/dev/null
probe_ev() { "$IPL" query --store st --format ndjson 'servers where check = "kea"'; }
for _ in $(seq 50); do probe_ev | grep -q '"status":"running"' && break; sleep 0.2; done
check "kea probe: running, as a server.status event" contains "$(probe_ev)" '"status":"running"'
check "servers health shows it running" contains "$(curl -s -H "Authorization: Bearer $ADM" "$URL/api/v1/servers/health")" '"name":"kea-k1","type":"dhcp","state":"running"'
"$IPL" servers remove kea-k1 --store st >/dev/null
out=$(kea register k1 --socket "$SOCK" 2>&1); rc=$?
check "register twice: exit 2, named" eq "$rc:$(grep -c "already registered" <<<"$out")" "2:1"
out=$(kea register k2 2>&1); rc=$?
check "register without an endpoint: exit 2" eq "$rc" 2

# ---- create subnets, edit options across several, add a reservation ----
out=$(kea subnet add k1 --prefix 10.50.1.0/24 --pool 10.50.1.100-10.50.1.150 --option routers=10.50.1.1 2>&1)
check "subnet add: id 2" contains "$out" "subnet id 2 added"
out=$(kea subnet add k1 --prefix 10.50.2.0/24 --id 7 2>&1)
check "subnet add --id 7" contains "$out" "subnet id 7 added"
check "Kea's config-get has subnet 2" eq "$(kq "sub(2)['subnet'] + ' ' + sub(2)['pools'][0]['pool'] + ' ' + opt(2, 'routers')")" \
  "10.50.1.0/24 10.50.1.100-10.50.1.150 10.50.1.1"
check "Kea's config-get has subnet 7" eq "$(kq "sub(7)['subnet']")" "10.50.2.0/24"
check "config-write persisted the new subnet" grep -q "10.50.1.0/24" "$K/kea-dhcp4.conf"

out=$(kea options k1 --subnets 1,2,7 --set domain-name-servers=10.0.0.53 2>&1)
check "options --set on three subnets: 3 objects" contains "$out" "3 objects changed"
check "Kea has the option on 1, 2 and 7" eq "$(kq "[opt(i, 'domain-name-servers') for i in (1, 2, 7)]")" \
  "['10.0.0.53', '10.0.0.53', '10.0.0.53']"
out=$(kea options k1 --subnets all --add routers=10.99.0.1 2>&1)
check "options --add only where absent (subnet 7)" contains "$out" "1 object changed"
check "--add kept the existing routers" eq "$(kq "[opt(i, 'routers') for i in (1, 2, 7)]")" \
  "['192.0.2.1', '10.50.1.1', '10.99.0.1']"
out=$(kea options k1 --subnets 1,2 --replace domain-name-servers=10.0.0.53=10.0.0.54 2>&1)
check "options --replace" contains "$out" "2 objects changed"
check "Kea has the replaced values" eq "$(kq "[opt(i, 'domain-name-servers') for i in (1, 2, 7)]")" \
  "['10.0.0.54', '10.0.0.54', '10.0.0.53']"
out=$(kea options k1 --subnets 7 --delete domain-name-servers 2>&1)
check "options --delete" contains "$out" "1 object changed"
check "Kea no longer has it on 7" eq "$(kq "opt(7, 'domain-name-servers')")" "None"
out=$(kea options k1 --subnets 1,2 --set domain-name-servers=10.0.0.54 2>&1)
check "a no-op edit changes nothing" contains "$out" "nothing to change"

out=$(kea reservation add k1 --subnet 2 --ip 10.50.1.20 --mac 00:11:22:33:44:55 --hostname printer 2>&1)
check "reservation add" contains "$out" "reservation add done"
check "Kea has the reservation" eq "$(kq "[(r['ip-address'], r['hw-address'], r['hostname']) for r in sub(2)['reservations']]")" \
  "[('10.50.1.20', '00:11:22:33:44:55', 'printer')]"
out=$(kea reservation add k1 --subnet 2 --ip 10.50.1.21 --mac 00-11-22-33-44-55 2>&1); rc=$?
check "duplicate reservation: exit 2, named" eq "$rc:$(grep -c "duplicate reservation" <<<"$out")" "2:1"
out=$(kea pool add k1 --subnet 7 --pool 10.50.2.10-10.50.2.20 2>&1)
check "pool add" contains "$out" "pool add done"
check "pools lists it" contains "$(kea pools k1 --subnet 7 --format csv)" "7,10.50.2.0/24,10.50.2.10-10.50.2.20"
check "subnets lists three" eq "$(kea subnets k1 --format csv | tail -n +2 | wc -l)" 3
check "kea config prints Kea's config" contains "$(kea config k1 | tr -d ' \t')" '"hostname":"printer"'

# ---- rejected changes: recorded as failed, Kea unchanged ----
before=$(kc config-get | md5sum)
out=$(kea options k1 --subnets 1,2 --set routers=not-an-address 2>&1); rc=$?
check "config-test refusal: exit 1" eq "$rc" 1
check "refusal names the server, the step and Kea's reason" \
  contains "$out" "kea server 'k1': config-test: kea 'unix:$SOCK' refused 'config-test' (result 1): option data does not match"
check "Kea's config is unchanged after the refusal" eq "$(kc config-get | md5sum)" "$before"
out=$(kea subnet add k1 --prefix 10.50.1.128/25 2>&1); rc=$?
check "overlapping subnet: exit 2, named" eq "$rc:$(grep -c "overlaps subnet id 2" <<<"$out")" "2:1"
out=$(kea subnet edit k1 --subnet 42 --option routers=10.0.0.1 2>&1); rc=$?
check "unknown subnet id: exit 2, named" eq "$rc:$(grep -c "unknown subnet id 42" <<<"$out")" "2:1"
check "Kea's config is unchanged after the rejections" eq "$(kc config-get | md5sum)" "$before"
changes=$("$IPL" query --store st --format ndjson 'changes' 2>&1)
check "failed change recorded with its reason" contains "$changes" '"result":"failed","error":"kea server '"'k1'"': config-test'
check "overlap recorded as failed" contains "$changes" "overlaps subnet id 2"

# ---- drift: a change made directly on Kea ----
check "no drift yet" eq "$(kea drift k1; echo "rc=$?")" "kea server 'k1': no drift
rc=0"
kc config-get | python3 -c "
import json, sys
c = json.load(sys.stdin)['arguments']
s = [s for s in c['Dhcp4']['subnet4'] if s['id'] == 1][0]
s['option-data'].append({'name': 'domain-name', 'data': 'outside.example'})
print(json.dumps(c))" > drifted.json
check "config-set behind ipledger's back" contains "$(kc config-set "$(cat drifted.json)")" '"result": 0'
out=$(kea drift k1); rc=$?
check "drift: exit 1" eq "$rc" 1
check "drift names the subnet" contains "$out" "subnet4[id=1] changed outside ipledger"
n_before=$("$IPL" query --store st --format ndjson 'changes' | grep -c '"user":"external"')
check "drift (check only) records nothing" eq "$n_before" 0
out=$(kea subnets k1 --format csv 2>&1)
check "the next read reports the drift" contains "$out" "1 change made outside ipledger recorded"
ext=$("$IPL" query --store st --format ndjson 'changes' | grep '"user":"external"')
check "drift recorded as a change by external" contains "$ext" '"object":"kea:k1/subnet4[id=1]","action":"drift"'
check "drift event has the new value" contains "$ext" 'outside.example'
check "after recording, no drift" eq "$(kea drift k1 >/dev/null; echo $?)" 0

# ---- the live tail carried each change ----
for _ in $(seq 50); do grep -q '"user":"external"' tail.txt && break; sleep 0.1; done
T=$(cat tail.txt)
check "tail: register" contains "$T" '"object":"kea:k1","action":"register"'
check "tail: subnet.add 2" contains "$T" '"object":"kea:k1/subnet4[id=2]","action":"subnet.add"'
check "tail: subnet.add 7" contains "$T" '"object":"kea:k1/subnet4[id=7]","action":"subnet.add"'
for i in 1 2 7; do
  check "tail: options.set on subnet $i" contains "$T" '"object":"kea:k1/subnet4[id='$i']","action":"options.set"'
done
check "tail: reservation.add" contains "$T" '"object":"kea:k1/subnet4[id=2]","action":"reservation.add"'
check "tail: by the acting principal" contains "$T" '"subject":"cli:'
check "tail: the failed change" contains "$T" '"result":"failed"'
check "tail: the drift" contains "$T" '"user":"external"'
check "tail: options.set once per subnet changed, plus the failed one" \
  eq "$(grep -o '"action":"options.set"' <<<"$T" | wc -l)" 4   # 3 ok + 1 failed

# ---- the ctrl-agent URL path ----
AGENT=$(command -v kea-ctrl-agent || ls /usr/sbin/kea-ctrl-agent 2>/dev/null)
if [ -n "$AGENT" ]; then
  AP=${P[1]}
  cat > "$K/agent.conf" <<EOF
{ "Control-agent": { "http-host": "127.0.0.1", "http-port": $AP,
  "control-sockets": { "dhcp4": { "socket-type": "unix", "socket-name": "$SOCK" } },
  "loggers": [ { "name": "kea-ctrl-agent", "severity": "INFO",
                 "output_options": [ { "output": "$K/agent.log" } ] } ] } }
EOF
  env KEA_PIDFILE_DIR="$K/run" KEA_LOCKFILE_DIR="$K/lock" "$AGENT" -c "$K/agent.conf" >"$K/agent.out" 2>&1 &
  AGENT_PID=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$AP/" && break; sleep 0.1; done
  out=$(kea register ka --url "http://127.0.0.1:$AP/" 2>&1)
  check "agent: register by URL" contains "$out" "registered kea server 'ka'"
  out=$(kea options ka --subnets 7 --set domain-name=agent.example 2>&1)
  check "agent: options set through the agent" contains "$out" "1 object changed"
  check "agent: Kea has it" eq "$(kq "opt(7, 'domain-name')")" "agent.example"
  out=$(kea options ka --subnets 7 --set routers=bad 2>&1); rc=$?
  check "agent: refusal carried through HTTP" eq "$rc:$(grep -c "refused 'config-test'" <<<"$out")" "1:1"
else
  echo "kea-ctrl-agent not installed: the URL path is covered by the unit test only"
fi

# ---- faults ----
stop_kea
before_fail=$("$IPL" query --store st --format ndjson 'changes' | grep -c '"result":"failed"')
out=$(kea subnets k1 2>&1); rc=$?
check "Kea stopped: exit 1" eq "$rc" 1
check "Kea stopped: names the server and the reason" contains "$out" "kea server 'k1': kea 'unix:$SOCK' not reachable"
out=$(kea pool add k1 --subnet 7 --pool 10.50.2.30-10.50.2.40 2>&1); rc=$?
check "change on a stopped Kea: exit 1, not reachable" eq "$rc:$(grep -c "not reachable" <<<"$out")" "1:1"
after_fail=$("$IPL" query --store st --format ndjson 'changes' | grep -c '"result":"failed"')
check "both recorded as failed" eq "$after_fail" $((before_fail + 2))

cat > fake.py <<'EOF'
import os, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
while True:
    c, _ = s.accept()
    c.recv(65536)
    if mode == "garbage":
        c.sendall(b"\x00\x01 this is not {json")
        c.close()
    else:
        time.sleep(3600)   # never answers
EOF
python3 fake.py "$WORK/garbage.sock" garbage & FAKE_PIDS="$FAKE_PIDS $!"
python3 fake.py "$WORK/silent.sock" silent & FAKE_PIDS="$FAKE_PIDS $!"
for _ in $(seq 50); do [ -S "$WORK/garbage.sock" ] && [ -S "$WORK/silent.sock" ] && break; sleep 0.1; done
out=$(kea register junk --socket "$WORK/garbage.sock" 2>&1)
check "register a garbage server: warned, no baseline" contains "$out" "malformed reply to 'config-get'"
out=$(kea config junk 2>&1); rc=$?
check "malformed reply: exit 1, named" eq "$rc:$(grep -c "kea server 'junk': kea 'unix:$WORK/garbage.sock': malformed reply to 'config-get'" <<<"$out")" "1:1"
kea register slow --socket "$WORK/silent.sock" --timeout 300 >/dev/null 2>&1
out=$(kea options slow --subnets all --set routers=10.0.0.1 --timeout 300 2>&1); rc=$?
check "timeout: exit 1, named" eq "$rc:$(grep -c "kea server 'slow': kea 'unix:$WORK/silent.sock': no reply to 'config-get' within 300 ms" <<<"$out")" "1:1"
changes=$("$IPL" query --store st --format ndjson 'changes')
check "malformed reply recorded" contains "$changes" '"object":"kea:junk","action":"config-get","result":"failed"'
slow_ev=$(grep -F '"object":"kea:slow/subnet4[*]","action":"options.set"' <<<"$changes")
check "timeout recorded as failed" contains "$slow_ev" "\"result\":\"failed\",\"error\":\"kea server 'slow': kea"

# ---- a restarted Kea (from the written file) has everything; unregister ----
start_kea
check "restarted Kea has the reservation (config-write)" eq "$(kq "sub(2)['reservations'][0]['hostname']")" "printer"
out=$(kea unregister junk 2>&1)
check "unregister" contains "$out" "unregistered kea server 'junk'"
check "list no longer has it" eq "$(kea list --format csv | grep -c '^junk,')" 0
finish
