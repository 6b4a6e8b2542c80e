#!/usr/bin/env bash
# Every bad input gets one clear line naming the thing and the reason, a non-zero exit, and no
# partial batch committed: unreadable paths, unknown formats, an undetectable file, a read-only
# store directory, a full disk, a store of a newer format, an invalid zone, an invalid --at.
source "$(dirname "$0")/lib.bash"
mnt=""
cleanup_hook() { [ -n "$mnt" ] && umount "$mnt"; }

mklog ok.log 30
run() { out=$("$@" 2>&1); rc=$?; }

run "$IPL" ingest --store s /nonexistent/file.log
check "missing path: exit 1" eq "$rc" 1
check "missing path: names it" contains "$out" "cannot read '/nonexistent/file.log': No such file or directory"

run "$IPL" ingest --store s --format nope ok.log
check "unknown format: exit 2" eq "$rc" 2
check "unknown format: lists the known ones" contains "$out" "unknown format 'nope' (known: auto, mswin-dhcp"

printf 'hello\nthis is not a log\n' > text.txt
run "$IPL" ingest --store s text.txt
check "undetectable: exit 1" eq "$rc" 1
check "undetectable: names the file and what was tried" contains "$out" "cannot detect the format of 'text.txt'"
check "undetectable: lists tried formats" contains "$out" "tried mswin-dhcp"

run "$IPL" ingest --store s --tz Mars/Olympus ok.log
check "invalid zone: exit 2" eq "$rc" 2
check "invalid zone: names it" contains "$out" "Mars/Olympus"

"$IPL" ingest --quiet --store s ok.log
run "$IPL" who --store s --ip 10.0.0.1 --at "yesterday at noon"
check "invalid --at: exit 2" eq "$rc" 2
check "invalid --at: names the text" contains "$out" "yesterday at noon"
run "$IPL" who --store s --ip 10.0.0.300 --at 2024-05-01T00:00:00Z
check "invalid --ip: exit 2" eq "$rc" 2
check "invalid --ip: names it" contains "$out" "10.0.0.300"
run "$IPL" events --store s --mac zz:zz
check "invalid --mac: exit 2" eq "$rc" 2
run "$IPL" events --store nostore --ip 10.0.0.1
check "missing store: exit 1" eq "$rc" 1
check "missing store: says so" contains "$out" "store 'nostore' does not exist"

# a read-only store directory (root ignores mode bits: run as nobody then)
mkdir ro && "$IPL" init --store ro/st >/dev/null && chmod -R a+rX "$WORK" && chmod 555 ro/st
if [ "$(id -u)" = 0 ]; then
  run runuser -u nobody -- "$IPL" ingest --store ro/st ok.log
else
  run "$IPL" ingest --store ro/st ok.log
fi
check "read-only store: exit 1" eq "$rc" 1
check "read-only store: says not writable" contains "$out" "is not writable"

# a store written by a newer format is refused, and left as it was; so is one of an older format
# (format 3: DUPSORT indexes, which this build cannot even open: the format is checked first)
"$IPL" ingest --quiet --store newer ok.log
mdb_dump -s meta newer > meta.dump
set_format() {   # dump file, 8 hex digits
python3 - "$1" "$2" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
# keys and values are hex lines; the key "format" is 666f726d6174, value 0000000N
s = re.sub(r' 666f726d6174\n [0-9a-f]{8}\n', ' 666f726d6174\n %s\n' % sys.argv[2], s)
open(sys.argv[1], 'w').write(s)
PY
}
cp -r newer older
fmt=$(stat_of newer format)
set_format meta.dump "$(printf %08x $((fmt + 1)))"
mdb_load -s meta -f meta.dump newer
before=$(md5sum newer/data.mdb)
run "$IPL" ingest --store newer ok.log
check "newer format: exit 1" eq "$rc" 1
check "newer format: says newer" contains "$out" "has format $((fmt + 1)), newer than the format $fmt"
run "$IPL" stats --store newer
check "newer format: stats refuses too" eq "$rc" 1
check "newer format: store untouched" eq "$(md5sum newer/data.mdb)" "$before"

set_format meta.dump 00000003
mdb_load -s meta -f meta.dump older
before=$(md5sum older/data.mdb)
run "$IPL" who --store older --ip 10.0.0.1 --at 2024-05-01T00:00:00Z
check "older format: exit 1" eq "$rc" 1
check "older format: says older" contains "$out" "has format 3, older than the format $fmt"
run "$IPL" ingest --store older ok.log
check "older format: ingest refuses too" eq "$rc" 1
check "older format: store untouched" eq "$(md5sum older/data.mdb)" "$before"

# a full disk: a 1 MiB tmpfs; ingest fails with a clear line, whole batches only are committed
mkdir full
if mount -t tmpfs -o size=1m tmpfs full 2>/dev/null; then
  mnt="$WORK/full"
  mklog big.log 30000
  run "$IPL" ingest --store full/st --batch 500 big.log
  check "full disk: exit 1" eq "$rc" 1
  check "full disk: says no space" contains "$out" "no space left on device"
  ev=$(stat_of full/st events)
  src_ev=$("$IPL" sources --store full/st --format csv | tail -1 | cut -d, -f5 | tr -d '\r')
  check "full disk: committed events ($ev) are whole batches" eq "$((ev % 500))" 0
  check "full disk: position matches what was committed" eq "$src_ev" "$ev"
  umount "$mnt"; mnt=""
else
  echo "note: cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN): full-disk case not run"
fi
finish
