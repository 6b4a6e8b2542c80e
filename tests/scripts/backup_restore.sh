#!/usr/bin/env bash
# backup takes a consistent, verified copy while ingest runs; restore verifies the backup first,
# refuses to replace a store holding events without --yes (and a damaged backup, and a store
# another process has open), swaps the file in one rename and records itself; compact after a
# purge gives space back, keeps every event and records itself; a full disk during compaction
# (a small tmpfs) leaves the original untouched.
source "$(dirname "$0")/lib.bash"
mnt=""
sleeper=""
cleanup_hook() { [ -n "$sleeper" ] && kill "$sleeper"; [ -n "$mnt" ] && umount "$mnt"; }

mklog a.log 30000
mklog b.log 30000 10
"$IPL" ingest --quiet --store st --tz UTC a.log

# a hot backup while ingest runs
"$IPL" ingest --quiet --store st --tz UTC --batch 300 b.log &
ipid=$!
sleep 0.2
out=$("$IPL" backup --store st hot); rc=$?
kill -0 $ipid 2>/dev/null; still=$?       # 0: ingest was still running when the copy was done
wait $ipid
check "hot backup: a clean directory (no lock file)" test ! -e hot/lock.mdb
check "hot backup: exit 0" eq "$rc" 0
check "hot backup: verified" contains "$out" "verified in"
ev=$(stat_of hot events)
bysrc=$("$IPL" sources --store hot --format csv | tr -d '\r' | awk -F, 'NR>1 {s+=$5} END {print s+0}')
check "hot backup: a consistent snapshot (positions account for its $ev events)" eq "$bysrc" "$ev"
if [ $still = 0 ]; then
  check "hot backup: taken while ingest ran (some but not all of b.log)" test "$ev" -ge 30000 -a "$ev" -lt 60000
else
  echo "note: ingest finished before the backup did; the snapshot check still holds"
fi
check "the store got everything" eq "$(stat_of st events)" 60000
rm -f hot/lock.mdb      # made by stat_of
out=$("$IPL" backup --store st hot 2>&1); rc=$?
check "backup over a store: exit 2" eq "$rc" 2
check "backup over a store: says so" contains "$out" "already holds a store"
"$IPL" backup --store st full-bk >/dev/null

# restore into a new directory
out=$("$IPL" restore --store new hot); rc=$?
check "restore into a new directory: exit 0" eq "$rc" 0
check "restore: says verified" contains "$out" "backup verified"
check "restore: every event plus its record" eq "$(stat_of new events)" $((ev + 1))
check "restore: the record" contains "$("$IPL" events --store new --all --format csv | grep config.change | tail -1)" "restore"
check "restore: verifies" eq "$("$IPL" verify --store new >/dev/null; echo $?)" 0
check "restore: the backup is left clean" test ! -e hot/lock.mdb

# over a store holding events: not without --yes
before=$(md5sum st/data.mdb)
out=$("$IPL" restore --store st hot </dev/null 2>&1); rc=$?
check "restore over events without --yes: exit 2" eq "$rc" 2
check "restore over events without --yes: says so" contains "$out" "confirm with --yes"
check "restore over events without --yes: untouched" eq "$(md5sum st/data.mdb)" "$before"
out=$(printf 'no\n' | script -qec "$IPL restore --store st hot" /dev/null 2>&1); rc=$?
check "restore on a terminal, answered no: exit 2" eq "$rc:$(md5sum st/data.mdb)" "2:$before"
check "restore on a terminal asks" contains "$out" "replace store 'st'"

# a damaged backup is refused
cp -r hot damaged
python3 - damaged/data.mdb <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read())
i = b.find(b"HOST-00042.corp.example.com\x00"); assert i > 0
b[i] ^= 0x20; open(p, 'wb').write(b)
PY
out=$("$IPL" restore --store st --yes damaged 2>&1); rc=$?
check "damaged backup: exit 1" eq "$rc" 1
check "damaged backup: says why" contains "$out" "does not verify"
check "damaged backup: the store is untouched" eq "$(md5sum st/data.mdb)" "$before"

# not while another process has the store open
head0=$(stat_of st chain_head)
mkfifo hold.fifo
sleep 30 > hold.fifo & sleeper=$!
"$IPL" ingest --quiet --format mswin-dhcp --store st - < hold.fifo & holder=$!
sleep 0.5
out=$("$IPL" restore --store st --yes hot 2>&1); rc=$?
check "store in use: restore refused (exit 1)" eq "$rc" 1
check "store in use: says so" contains "$out" "is open in another process"
out=$("$IPL" compact --store st 2>&1); rc=$?
check "store in use: compact refused (exit 1)" eq "$rc" 1
check "store in use: compact says so" contains "$out" "is open in another process"
kill "$sleeper"; wait "$holder" 2>/dev/null; sleeper=""
check "store in use: untouched" eq "$(stat_of st chain_head):$(stat_of st events)" "$head0:60000"

out=$("$IPL" restore --store st --yes --reason drill hot); rc=$?
check "restore --yes: exit 0" eq "$rc" 0
check "restore --yes: the backup's events" eq "$(stat_of st events)" $((ev + 1))
check "restore --yes: verifies" eq "$("$IPL" verify --store st >/dev/null; echo $?)" 0
check "restore --yes: the reason is recorded" contains "$("$IPL" events --store st --all --format ndjson | tail -1)" '"reason":"drill"'
check "restore --yes: no temporary copy left" test ! -e st/.restore-tmp

# compact after a purge
"$IPL" restore --store st --yes full-bk >/dev/null
"$IPL" purge --store st --before 2024-05-08 --yes --quiet
evs=$(stat_of st events); size0=$(stat -c %s st/data.mdb)
out=$("$IPL" compact --store st); rc=$?
size1=$(stat -c %s st/data.mdb)
check "compact: exit 0" eq "$rc" 0
check "compact: reports the space reclaimed" contains "$out" "reclaimed"
check "compact: the file shrank ($size0 -> $size1)" test "$size1" -lt "$size0"
check "compact: every event plus its record" eq "$(stat_of st events)" $((evs + 1))
check "compact: verifies" eq "$("$IPL" verify --store st >/dev/null; echo $?)" 0
check "compact: recorded" contains "$("$IPL" events --store st --all --format csv | tail -1)" "compact"

# a full disk during compaction leaves the original untouched
mkdir full
if mount -t tmpfs -o size=16m tmpfs full 2>/dev/null; then
  mnt="$WORK/full"
  "$IPL" ingest --quiet --store full/st --tz UTC a.log
  "$IPL" purge --store full/st --before 2024-05-05 --yes --quiet
  avail=$(df -k --output=avail full | tail -1)
  dd if=/dev/zero of=full/filler bs=1k count=$((avail - 300)) 2>/dev/null
  before=$(md5sum full/st/data.mdb)
  out=$("$IPL" compact --store full/st 2>&1); rc=$?
  check "full disk: compact fails (exit 1)" eq "$rc" 1
  check "full disk: says no space" contains "$out" "no space left on device"
  check "full disk: says the store is untouched" contains "$out" "the store is untouched"
  check "full disk: the original is byte for byte the same" eq "$(md5sum full/st/data.mdb)" "$before"
  check "full disk: no partial copy left" test ! -e full/st/.compact-tmp
  check "full disk: the original verifies" eq "$("$IPL" verify --store full/st >/dev/null; echo $?)" 0
  rm full/filler
  out=$("$IPL" compact --store full/st 2>&1); rc=$?
  check "with room again, compact works" eq "$rc" 0
  umount "$mnt"; mnt=""
else
  echo "note: cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN): full-disk case not run"
fi
finish
