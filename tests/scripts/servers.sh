#!/usr/bin/env bash
# tests/scripts/servers.sh — `ipledger servers` end to end: help for every subcommand; generator
# data (every format) -> ingest -> every server of sources.tsv in the inventory with the type its
# format implies and counts equal to the query language's `count by server`; incremental update
# and rebuild agree; manual add/edit/remove as config.change events (and their errors); passive
# health with a frozen clock raising and clearing `silent` once each, a quarantine burst
# (degraded); serve with probes: a real DNS server (dnsmasq) answering = running, killed = not
# reachable, a TCP probe against a listening port then a closed one; server.status events in the
# store and the SSE tail; the API routes (health JSON shape, add/edit/delete, permissions).
source "$(dirname "$0")/lib.bash" "$@"
export IPLEDGER_STORE=$WORK/st
ports 2
HP=${P[0]}; DP=${P[1]}; URL="http://127.0.0.1:$HP"
SRV=""; DNSM=""
cleanup_hook() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; [ -n "$DNSM" ] && kill "$DNSM" 2>/dev/null; wait 2>/dev/null; }
"$IPL" init >/dev/null

# ---- help
for sub in "" list show health add edit remove rebuild; do
  out=$("$IPL" servers $sub -h 2>&1); rc=$?
  check "servers $sub -h exits 0" eq "$rc" 0
  check "servers $sub -h prints usage" contains "$out" "usage:"
done
out=$("$IPL" servers bogus 2>&1); rc=$?
check "unknown subcommand: exit 2" eq "$rc" 2
check "unknown subcommand named" contains "$out" "'bogus'"

# ---- generator data, every format
"$GEN" --out g --days 2 --devices 300 --sites 4 >/dev/null || { echo "FAIL: generator"; finish; }
while IFS=$'\t' read -r path format tz server; do
  "$IPL" ingest --quiet --format "$format" --tz "$tz" --server "$server" "g/$path" || echo "FAIL: ingest $path"
done < g/sources.tsv
list=$("$IPL" servers list --format csv | tr -d '\r')
while IFS=$'\t' read -r path format tz server; do
  short=${server%%.*}
  case $format in
    mswin-dhcp*|isc-*|kea*|dnsmasq*) want=dhcp ;;
    winsec*) want=dc ;;
    nps*|freeradius*) want=radius ;;
    sshd|syslog) want=sshd ;;
    *) want=other ;;
  esac
  # a parser may name the server as the log does (a syslog header's short host name)
  row=$(grep -E "^($server|$short)," <<<"$list" | head -1)
  n=$("$IPL" query "events where server = \"$server\" or server = \"$short\" | count" --format csv | tr -d '\r' | tail -n +2)
  if [ -z "$row" ] && [ -n "$n" ] && [ "$n" != 0 ]; then
    check "$server ($format, $n events) is in the inventory" false
  elif [ -n "$row" ]; then
    check "$server is type $want" contains "$(cut -d, -f2 <<<"$row" | tr -d '"')" "$want"
  fi
done < g/sources.tsv
check "vendors from formats" contains "$list" "dhcp-tyo-01.corp.example.com,dhcp,ISC Kea"
"$IPL" query 'events where not source like "ipledger:*" | count by server' --format csv | tr -d '\r' | tail -n +2 | sort > want.txt
python3 -c 'import csv,sys; [print(r["name"] + "," + r["events"]) for r in csv.DictReader(sys.stdin)]' <<<"$list" | sort > got.txt
check "event counts per server equal the query's count by server" eq "$(diff want.txt got.txt && echo same)" same
check "every counted server is listed" eq "$(wc -l < got.txt)" "$(wc -l < want.txt)"

# ---- incremental: new traffic is folded in; a rebuild from the whole log gives the same
mklog new.log 300
"$IPL" ingest --quiet --format mswin-dhcp --server dhcp-new new.log
check "new server appears with its count" contains "$("$IPL" servers list --format csv)" "dhcp-new,dhcp,Microsoft,mswin-dhcp,,,300,"
before=$("$IPL" servers list --format csv)
check "rebuild" contains "$("$IPL" servers rebuild)" "inventory rebuilt"
check "rebuild gives the same inventory" eq "$("$IPL" servers list --format csv)" "$before"

# ---- manual entries
out=$("$IPL" servers add core-dns --type dns --vendor ISC --address 127.0.0.1:$DP --probe dns --probe-name probe.test --managed --owner netops --description "core resolver" --field site=ams --group core)
check "add" contains "$out" "server 'core-dns' added"
out=$("$IPL" servers add core-dns --type dns 2>&1); rc=$?
check "add twice: exit 2" eq "$rc" 2
check "add twice: named" contains "$out" "server 'core-dns' is already in the inventory"
out=$("$IPL" servers add x1 --type mainframe 2>&1); rc=$?
check "bad type: exit 2" eq "$rc" 2
check "bad type named" contains "$out" "unknown server type 'mainframe'"
out=$("$IPL" servers add x1 --type dns --address 10.0.0.300 2>&1)
check "bad address named" contains "$out" "address '10.0.0.300' is not IP"
out=$("$IPL" servers add x1 --type dns --address 10.0.0.1 --probe dns 2>&1)
check "dns probe needs a name" contains "$out" "probe dns needs --probe-name"
out=$("$IPL" servers add x1 --type other --address 10.0.0.1 --probe tcp 2>&1)
check "tcp probe needs a port" contains "$out" "probe tcp needs a port"
out=$("$IPL" servers add 'bad name' --type dns 2>&1); rc=$?
check "bad name: exit 2" eq "$rc" 2
out=$("$IPL" servers edit nobody --owner x 2>&1); rc=$?
check "edit unknown: exit 2, named" eq "$rc:$(grep -c "server 'nobody' has no manual entry" <<<"$out")" "2:1"
check "no event for failed changes" eq "$("$IPL" query 'config.change where object = "server" | count' --format csv | tr -d '\r' | tail -1)" 1
"$IPL" servers add dhcp-new --type dhcp --unmanaged --owner branch >/dev/null
check "edit" contains "$("$IPL" servers edit core-dns --owner dns-team --field site= --field rack=r7 --group -core --group edge)" '"owner":"dns-team"'
check "list --group" eq "$("$IPL" servers list --group edge --format csv | tail -n +2 | cut -d, -f1)" core-dns
check "list --type" eq "$("$IPL" servers list --type radius --format csv | tail -n +2 | cut -d, -f2 | sort -u)" radius
show=$("$IPL" servers show core-dns --format ndjson)
check "show: edited entry" contains "$show" '"fields":{"rack":"r7"},"groups":["edge"]'
check "show: manual server without events" contains "$show" '"manual":true'
show=$("$IPL" servers show dhcp-new --format ndjson)
check "show: manual entry merged with the discovered server" contains "$show" '"events":300'
check "show: owner" contains "$show" '"owner":"branch"'
ev=$("$IPL" query 'config.change where object = "server" and action = "edit"' --format ndjson | tail -1)
check "edit is a config.change event" contains "$ev" '"server":"core-dns"'
check "with the principal" contains "$ev" "\"user\":\"os:$(id -un)\""
check "with old and new" contains "$ev" '"old":"{'
"$IPL" servers add tmp1 --type other >/dev/null
check "remove" contains "$("$IPL" servers remove tmp1)" "server 'tmp1' removed"
check "removed server gone" eq "$("$IPL" servers list --format csv | grep -c '^tmp1,')" 0
check "remove recorded" eq "$("$IPL" query 'config.change where object = "server" and action = "remove" and server = "tmp1" | count' --format csv | tr -d '\r' | tail -1)" 1

# ---- scopes of a DHCP server: address-space ranges it manages, scopes named by its events
cat > cfg.ndjson <<'EOF2'
{"time":"2024-05-01T09:00:00Z","kind":"config.change","server":"dhcp-x","attrs":{"object":"scope","action":"created","scope":"[[10.72.144.0]office]"}}
{"time":"2024-05-01T09:05:00Z","kind":"lease.assign","ip":"10.72.144.20","mac":"aa:bb:cc:dd:ee:01","server":"dhcp-x","attrs":{"subnet_prefix":"10.72.145.0/24"}}
EOF2
"$IPL" ingest --quiet --format ipledger-ndjson cfg.ndjson
"$IPL" asm subnet create 10.72.144.0/24 >/dev/null
"$IPL" asm range create 10.72.144.10-10.72.144.200 managed_by=dhcp-x >/dev/null
show=$("$IPL" servers show dhcp-x --format ndjson)
check "scope: the managed range with utilization" contains "$show" '{"scope":"10.72.144.10-10.72.144.200","space":"default","origin":"address space","size":191,"used":1,"leased":1,"utilization":0.5}'
check "scope: a Windows scope event mapped to its subnet" contains "$show" '{"scope":"[[10.72.144.0]office]","origin":"events","subnet":"10.72.144.0/24"'
check "scope: a lease's subnet_prefix" contains "$show" '{"scope":"10.72.145.0/24","origin":"events","size":254,"used":0'

# ---- passive health, frozen clock: dhcp-new's events are on 2024-05-01, one a minute
h=$("$IPL" servers health --at 2024-05-01T01:45:00Z --record --format csv 2>/dev/null | grep '^dhcp-new,')
check "running right after its traffic" contains "$h" ",running,"
n0=$("$IPL" query 'server.status where server = "dhcp-new" | count' --format csv | tr -d '\r' | tail -n +2)
check "a running baseline is recorded without an event" eq "${n0:-0}" 0
h=$("$IPL" servers health --at 2024-05-03T00:00:00Z --record --format csv 2>/dev/null | grep '^dhcp-new,')
check "silent after a long quiet" contains "$h" ",silent,"
n1=$("$IPL" query 'server.status where server = "dhcp-new" | count' --format csv | tr -d '\r' | tail -1)
check "silent raised as one server.status event" eq "$n1" 1
"$IPL" servers health --at 2024-05-03T01:00:00Z --record >/dev/null 2>&1
check "raised once" eq "$("$IPL" query 'server.status where server = "dhcp-new" | count' --format csv | tr -d '\r' | tail -1)" 1
ev=$("$IPL" query 'server.status where server = "dhcp-new"' --format ndjson)
check "event: status, previous, since, check" contains "$ev" '"status":"silent","previous_status":"running"'
check "event: reason" contains "$ev" '"reason":"no event for'
mklog later.log 30 3       # traffic returns on 2024-05-04
"$IPL" ingest --quiet --format mswin-dhcp --server dhcp-new later.log
h=$("$IPL" servers health --at 2024-05-04T00:15:00Z --record --format csv 2>/dev/null | grep '^dhcp-new,')
check "cleared when traffic returns" contains "$h" ",running,"
ev=$("$IPL" query 'server.status where server = "dhcp-new"' --format ndjson | tail -1)
check "cleared once, as an event" contains "$ev" '"status":"running","previous_status":"silent"'
out=$("$IPL" servers health --floor 0 2>&1); rc=$?
check "bad --floor: exit 2" eq "$rc" 2
# a quarantine burst: 60 lines that are not Windows DHCP lines, just ingested (wall clock)
mklog bad.log 30 5
for i in $(seq 60); do printf 'garbage line %d\r\n' "$i"; done >> bad.log
"$IPL" ingest --quiet --format mswin-dhcp --server dhcp-new bad.log 2>/dev/null
h=$("$IPL" servers health --sources --record --format csv 2>/dev/null)
check "burst: the source is degraded" contains "$(grep "bad.log" <<<"$h")" ",source,degraded,"
check "burst: reason counts the lines" contains "$h" "60 lines quarantined"
check "burst: its server is degraded" contains "$(grep '^dhcp-new,' <<<"$h")" ",degraded,"
check "burst recorded" contains "$("$IPL" query 'server.status where check = "quarantine"' --format ndjson)" '"status":"degraded"'

# ---- serve with probes
command -v dnsmasq >/dev/null || { echo "FAIL: dnsmasq is missing (tools/setup)"; finish; }
dnsmasq --no-daemon --port "$DP" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
  --conf-file=/dev/null --pid-file= --user="$(id -un)" --address=/probe.test/192.0.2.1 > dnsmasq.log 2>&1 &
DNSM=$!
"$IPL" servers add web --type other --address "127.0.0.1:$HP" --probe tcp >/dev/null
# a name dnsmasq has no answer for (no upstream: it refuses): the server answers, but not well
"$IPL" servers add lame-dns --type dns --address "127.0.0.1:$DP" --probe dns --probe-name nothing.example >/dev/null
ADM=$("$IPL" token create --name admin --role Administrator)
RD=$("$IPL" token create --name reader --role Reader)
IPLEDGER_SERVERS_PROBE_MS=200 IPLEDGER_SERVERS_TIMEOUT_MS=300 IPLEDGER_SERVERS_PASSIVE_MS=400 \
  "$IPL" serve --listen "127.0.0.1:$HP" --log serve.log &
SRV=$!
api() { local tok=$1 m=$2 p=$3; shift 3; curl -s -X "$m" -H "Authorization: Bearer $tok" -w '\n%{http_code}' "$@" "$URL$p"; }
state_of() { # state_of NAME: the state in /api/v1/servers/health
  curl -s -H "Authorization: Bearer $ADM" "$URL/api/v1/servers/health" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(next((s["state"]+"|"+(s["since"] or "") for s in d["servers"] if s["name"]==sys.argv[1]), "none"))' "$1"
}
wait_state() { # wait_state NAME STATE: bounded wait for the probe to see it
  for _ in $(seq 60); do case $(state_of "$1") in "$2|"*) return 0;; esac; sleep 0.1; done; return 1
}
need_up "$URL" "$SRV"
check "dns answering: running" wait_state core-dns running
check "tcp listening: running" wait_state web running
check "health JSON has since" contains "$(state_of core-dns)" "running|20"
check "dns refusing the name: degraded" wait_state lame-dns degraded
ev=$("$IPL" query 'server.status where server = "lame-dns"' --format ndjson)
check "degraded recorded with the reason" contains "$ev" "\"reason\":\"dns 127.0.0.1:$DP answered nothing.example with"
r=$(api "$ADM" GET /api/v1/servers/health)
check "health JSON shape" contains "$r" '{"servers":[{"name":'
kill "$DNSM"; wait "$DNSM" 2>/dev/null; DNSM=""
check "dns killed: not reachable" wait_state core-dns "not reachable"
r=$(api "$ADM" POST /api/v1/servers --data '{"action":"edit","name":"web","address":"127.0.0.1:1"}')
check "API edit: 200" eq "$(tail -n1 <<<"$r")" 200
check "tcp closed port: not reachable" wait_state web "not reachable"
ev=$("$IPL" query 'server.status where server = "core-dns"' --format ndjson)
check "store: dns running event" contains "$ev" '"status":"running","previous_status":"unknown"'
check "store: dns not reachable event, with the reason" contains "$ev" '"status":"not reachable","previous_status":"running","reason":"dns 127.0.0.1'
check "store: tcp events" contains "$("$IPL" query 'server.status where server = "web"' --format ndjson)" '"reason":"tcp 127.0.0.1:1: Connection refused"'
curl -sN --max-time 2 -H "Authorization: Bearer $ADM" "$URL/api/v1/tail?kinds=server.status&from=0" > tail.txt
check "SSE tail carries the probe events" contains "$(cat tail.txt)" '"status":"not reachable","previous_status":"running"'
# the API routes
r=$(api "$RD" GET /api/v1/servers)
check "reader lists servers" eq "$(tail -n1 <<<"$r")" 200
check "list has the generated servers" contains "$r" '"name":"dhcp-fra-01.corp.example.com"'
r=$(api "$RD" GET "/api/v1/servers/show?name=core-dns")
check "show via API" contains "$r" '"entry":{"name":"core-dns"'
r=$(api "$RD" GET "/api/v1/servers/health?at=2024-06-01T00:00:00Z")
check "health at a frozen time via API" contains "$r" '"name":"dhcp-new","type":"dhcp","state":"silent"'
r=$(api "$RD" GET "/api/v1/servers/health?at=yesterday-ish")
check "bad at: 400 naming it" contains "$r" '"field":"at"'
r=$(api "$RD" GET "/api/v1/servers/show?name=nope")
check "show unknown: 404" eq "$(tail -n1 <<<"$r")" 404
r=$(api "$RD" POST /api/v1/servers --data '{"name":"x","type":"dns"}')
check "reader may not add: 403" eq "$(tail -n1 <<<"$r")" 403
r=$(api "$ADM" POST /api/v1/servers --data '{"name":"api-dc","type":["dc"],"managed":true,"fields":{"site":"fra"},"groups":["ad"]}')
check "API add: 200 with the event" contains "$r" '"event_seq":'
r=$(api "$ADM" POST /api/v1/servers --data '{"name":"api-dc","type":"dc"}')
check "API add twice: 409" eq "$(tail -n1 <<<"$r")" 409
r=$(api "$ADM" POST /api/v1/servers --data '{"name":"y","type":"dc","managed":"yes"}')
check "API bad field: 400 naming it" contains "$r" '"field":"managed"'
r=$(api "$ADM" POST /api/v1/servers --data '{"name":"y","type":"dc","colour":"red"}')
check "API unknown key: 400 naming it" contains "$r" '"field":"colour"'
r=$(api "$ADM" POST /api/v1/servers --data '{"action":7,"name":{}}')
check "API two bad fields: one answer" eq "$(grep -c '"error"' <<<"$r")" 1
r=$(api "$ADM" POST /api/v1/servers --data 'not json')
check "API body not JSON: 400" eq "$(tail -n1 <<<"$r")" 400
r=$(api "$ADM" DELETE "/api/v1/servers?name=api-dc")
check "API delete" contains "$r" '"removed":"api-dc"'
ev=$("$IPL" query 'config.change where object = "server" and server = "api-dc"' --format ndjson)
check "API changes audited with the token" contains "$ev" '"user":"token:admin"'
kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=""
check "serve stops cleanly" eq "$rc" 0
finish
