#!/usr/bin/env bash
# `ipledger serve` file follow: a followed directory of Windows DHCP logs grows (only new lines
# read), gets its weekday file overwritten (a new generation, read from the start), a file is
# truncated, and a followed single file is rotated by rename; a restart resumes exactly where
# the committed positions say (no event lost or doubled).
source "$(dirname "$0")/lib.bash"

ports 1; HP=${P[0]}
SRV=""
cleanup_hook() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; }
printf '{"listen": "127.0.0.1:%d", "follow_ms": 100, "follow": [{"path": "%s/logs", "format": "mswin-dhcp"}, {"path": "%s/app/dhcp.log", "format": "mswin-dhcp"}]}\n' \
  "$HP" "$WORK" "$WORK" > conf.json
start() { "$IPL" serve --store st --config conf.json --log serve.log & SRV=$!
  wait_up "http://127.0.0.1:$HP" "$SRV" && return 0
  echo "server did not start"; cat serve.log; return 1; }
stop() { kill -TERM "$SRV"; wait "$SRV"; local rc=$?; SRV=""; return $rc; }
leases() { "$IPL" events --store st --ip "$1" --format csv | tail -n +2 | wc -l; }
wait_for() { # wait_for PREFIX N: until the store holds N events of PREFIX (bounded: 5 s)
  for _ in $(seq 50); do [ "$(leases "$1")" -ge "$2" ] && break; sleep 0.1; done; leases "$1"; }

mkdir logs app
mklog logs/DhcpSrvLog-Wed.log 300
mklog app/dhcp.log 30 5
"$IPL" init --store st >/dev/null
start || finish
check "initial directory read" eq "$(wait_for 10.0.0.0/16 300)" 300
check "initial single file read" eq "$(wait_for 10.5.0.0/16 30)" 30

# growth: only the new lines
mklog big.log 450; tail -n 150 big.log >> logs/DhcpSrvLog-Wed.log
check "growth adds only the new lines" eq "$(wait_for 10.0.0.0/16 450)" 450
sleep 0.3
check "nothing doubled" eq "$(leases 10.0.0.0/16)" 450

# Windows' weekday overwrite: same name, new content a week later
mklog logs/DhcpSrvLog-Wed.log 90 7
check "weekday overwrite read as a new generation" eq "$(wait_for 10.7.0.0/16 90)" 90
check "old week kept" eq "$(leases 10.0.0.0/16)" 450

# truncation, then new content
: > logs/DhcpSrvLog-Wed.log; sleep 0.3
mklog logs/DhcpSrvLog-Wed.log 60 8
check "truncated file read again from the start" eq "$(wait_for 10.8.0.0/16 60)" 60

# rotation by rename of a followed file: the new file is read from the start
mv app/dhcp.log app/dhcp.log.1
mklog app/dhcp.log 45 6
check "rotated file: the new one read" eq "$(wait_for 10.6.0.0/16 45)" 45
check "rotated file: the old one not reread" eq "$(leases 10.5.0.0/16)" 30

# restart: positions were committed with the events
stop; check "SIGTERM exits 0" eq "$?" 0
mklog big.log 120 8; tail -n 60 big.log >> logs/DhcpSrvLog-Wed.log
start || finish
check "restart resumes exactly" eq "$(wait_for 10.8.0.0/16 120)" 120
sleep 0.3
check "restart doubles nothing" eq "$(leases 10.8.0.0/16)" 120
m=$(curl -s "http://127.0.0.1:$HP/healthz")
check "healthy" eq "$m" '{"status":"ok"}'
stop
finish
