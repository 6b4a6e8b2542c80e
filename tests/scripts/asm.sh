#!/usr/bin/env bash
# tests/scripts/asm.sh — `ipledger asm` end to end: help for every subcommand, objects and their
# errors (exit 2, objects named, nothing half-applied), ranges discovered from generated Windows/ISC
# DHCP traffic, utilization against `who`, trend, conflicts, concurrent allocation from two
# processes, CSV import/export, reclaim, alerts, and rebuild --check after all of it.
source "$(dirname "$0")/lib.bash" "$@"
S=$WORK/s; export IPLEDGER_STORE=$S
"$IPL" init >/dev/null

# -h everywhere
for sub in "" space block subnet range address free allocate reclaim import export util trend \
           thresholds alerts conflicts discover rebuild; do
  out=$("$IPL" asm $sub -h 2>&1); rc=$?
  check "asm $sub -h exits 0" eq "$rc" 0
  check "asm $sub -h prints usage" contains "$out" "usage:"
done

# objects and errors
check "block create" contains "$("$IPL" asm block create 10.0.0.0/8 description=corp)" "created"
check "subnet create" contains "$("$IPL" asm subnet create 10.72.144.0/22 name=office vlan=12)" "created"
check "range create" contains "$("$IPL" asm range create 10.72.144.10-10.72.147.200 managed_by=dhcp1 exclude=10.72.144.20-10.72.144.30)" "created"
err=$("$IPL" asm range create 10.72.144.100-10.72.144.120 2>&1); rc=$?
check "overlap refused (exit 2)" eq "$rc" 2
check "overlap names both ranges" contains "$err" "'10.72.144.100-10.72.144.120' overlaps range '10.72.144.10-10.72.147.200'"
err=$("$IPL" asm range create 10.72.150.1-10.72.150.9 2>&1)
check "range outside subnet" contains "$err" "outside every subnet"
err=$("$IPL" asm subnet create 10.99.0.0/24 --set block=192.168.0.0/16 2>&1)
check "missing block named" contains "$err" "block '192.168.0.0/16' does not exist"
err=$("$IPL" asm block create 10.0.0.0/33 2>&1); rc=$?
check "invalid prefix (exit 2)" eq "$rc" 2
check "invalid prefix named" contains "$err" "'10.0.0.0/33'"
err=$("$IPL" asm block delete 10.0.0.0/8 2>&1); rc=$?
check "delete with children refused" eq "$rc" 2
check "children named" contains "$err" "subnet '10.72.144.0/22' (use --cascade)"
n_before=$(stat_of "$S" events)
"$IPL" asm address create 10.72.144.11 state=bogus >/dev/null 2>&1
check "failed mutation writes no event" eq "$(stat_of "$S" events)" "$n_before"
"$IPL" asm address create 10.72.144.10 assignment=static mac=aa:bb:cc:dd:ee:ff device=printer >/dev/null
check "edit" contains "$("$IPL" asm address edit 10.72.144.10 custom.rack=r1 custom.rack=r2 owner=ops)" "edited"
check "show" contains "$("$IPL" asm address show 10.72.144.10)" '"custom":{"rack":["r1","r2"]}'
# logical groups from custom fields: a multi-valued field puts the object under each value
check "group create" eq "$("$IPL" asm group create racks --type address --by custom.rack)" "logical group 'racks' created"
check "group show" contains "$("$IPL" asm group show racks --format csv)" "r2,1,1,1"
check "group is audited" contains "$("$IPL" query 'changes where object = "asm.group"' --format csv)" "logical group 'racks' created"
ev=$("$IPL" events --ip 10.72.144.10 --format ndjson | tail -1)
check "change is a config.change event" contains "$ev" '"kind":"config.change"'
check "with the principal" contains "$ev" "\"user\":\"os:$(id -un)\""
check "and the full new object" contains "$ev" '\"owner\":\"ops\"'

# free and allocation (two processes at once never share an address)
check "free skips the static address" eq "$("$IPL" asm free 10.72.144.10-10.72.147.200 --count 2 | tr '\n' ' ')" "10.72.144.11 10.72.144.12 "
check "free skips exclusions" eq "$("$IPL" asm free 10.72.144.10-10.72.147.200 --count 10 | tail -1)" "10.72.144.31"
"$IPL" asm allocate 10.72.144.10-10.72.147.200 --count 40 > a1 2>&1 &
p1=$!
"$IPL" asm allocate 10.72.144.10-10.72.147.200 --count 40 > a2 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "both allocations succeed" eq "$r1$r2" "00"
check "80 distinct addresses" eq "$(cat a1 a2 | sort -u | wc -l)" 80
check "free subnets" eq "$("$IPL" asm free 10.0.0.0/8 --prefix-len 22 --count 2 | tr '\n' ' ')" "10.0.0.0/22 10.0.4.0/22 "
check "free ranges" eq "$("$IPL" asm free 10.72.144.0/22 --size 50)" "10.72.147.201-10.72.147.250"

# CSV
cat > imp.csv <<'EOF'
IP address,Assignment type,IP address state,MAC address,Device name
10.72.146.1,Static,In-Use,00-11-22-33-44-55,srv1
10.72.146.2,Bogus,In-Use,,srv2
10.72.146.3,Reserved,Reserved,,"srv, three"
EOF
out=$("$IPL" asm import imp.csv --type address 2>&1); rc=$?
check "import reports bad rows (exit 1)" eq "$rc" 1
check "row number and object named" contains "$out" "row 3: address '10.72.146.2': assignment 'bogus'"
check "valid rows applied" contains "$out" "2 rows applied, 1 rejected"
check "export with IPAM names" contains "$("$IPL" asm export --type address --ipam | head -1)" "IP address,Address space,Assignment type,IP address state,MAC address"
check "export quotes" contains "$("$IPL" asm export --type address)" '"srv, three"'

# lease traffic: generated Windows + ISC servers
"$GEN" --out g --days 3 --devices 400 --sites 2 >/dev/null
head -2 g/sources.tsv | while IFS=$'\t' read -r p f tz srv; do
  "$IPL" ingest --format "$f" --tz "$tz" --server "$srv" "g/$p" >/dev/null 2>&1
done
check "discover" contains "$("$IPL" asm discover)" "ranges discovered"
check "discovered range managed by its server" contains "$("$IPL" asm range list --format csv)" "managed_by=dhcp-fra-01.corp.example.com origin=discovered"
check "discover again adds nothing" eq "$("$IPL" asm discover)" "0 ranges discovered"
# scopes named by Windows DHCP configuration events are discovered before any lease
"$IPL" ingest --quiet --store scopes "$SRC/tests/data/mswin-dhcp-events/operational.ndjson"
check "scopes from config events" eq "$("$IPL" asm discover --store scopes)" "3 ranges discovered"
check "scope range managed by its server" contains "$("$IPL" asm range list --store scopes --format csv)" "range,default,10.20.40.1-10.20.40.254,10.20.40.0/24,managed_by=DHCP01.corp.example.com origin=discovered"
# utilization == number of addresses `who` says are held, at an instant in the past
AT=2024-05-07T12:00:00Z
R=$("$IPL" asm range list --format csv | awk -F, '$3 ~ /^10\.1\.0\./ {print $3}')
leased=$("$IPL" asm util "$R" --at $AT --format csv | tail -1 | cut -d, -f6)
who_json() { "$IPL" who --ip "$1" --at $AT --format json 2>/dev/null; }
held=0
for i in $(seq 1 254); do
  who_json 10.1.0.$i | grep -q '"state":"held"' && held=$((held+1))
done
check "utilization at T equals who's holders ($leased)" eq "$leased" "$held"
tr=$("$IPL" asm trend "$R" --since 2024-05-06 --until 2024-05-09 --step 1d --format csv)
check "trend has 4 points" eq "$(echo "$tr" | tail -n +2 | wc -l)" 4
at_t=$("$IPL" asm util "$R" --at 2024-05-08T00:00:00Z --format csv | tail -1 | cut -d, -f6)
check "trend point equals util at that instant" eq "$(echo "$tr" | grep '2024-05-08T00:00:00Z' | cut -d, -f2)" "$at_t"
check "conflicts list DHCP address-in-use events" contains "$("$IPL" asm conflicts --format csv)" "dhcp.conflict"
rec=$("$IPL" asm conflicts --record); nrec=${rec%% *}
check "conflicts recorded as events ($rec)" test "$nrec" -gt 0
check "conflicts recorded once" eq "$("$IPL" asm conflicts --record)" "0 conflicts recorded, 0 resolved"
check "recorded conflicts are queryable" eq "$("$IPL" query 'conflicts where status = "open" | count' --format csv | tail -1 | tr -d '\r')" "$nrec"
check "thresholds set" contains "$("$IPL" asm thresholds "$R" --low 1 --high 2)" "thresholds set"
check "alerts recorded" contains "$("$IPL" asm alerts)" "alert events recorded"
check "alerts not repeated" eq "$("$IPL" asm alerts)" "0 alert events recorded"
check "alert is an event" contains "$("$IPL" events --ip "${R%%-*}" --format ndjson | grep '"kind":"alert"' | head -1)" "over the high threshold"

# reclaim: the imported statics have no activity but their own creation (today)
check "nothing idle for 1 day" eq "$("$IPL" asm reclaim --days 1 --format csv | wc -l)" 1
"$IPL" asm address create 10.1.0.250 assignment=static >/dev/null

# cascade delete, then the view rebuilt from the log must be identical
check "cascade" contains "$("$IPL" asm block delete 10.0.0.0/8 --cascade)" "deleted"
check "nothing left below" eq "$("$IPL" asm subnet list --format csv | grep -c '^subnet,default,10.72')" 0
check "rebuild --check" contains "$("$IPL" asm rebuild --check)" "identical"
finish
