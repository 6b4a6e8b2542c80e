#!/usr/bin/env bash
# verify catches one flipped byte in a copy of a store: inside an event record (a unique marker
# string, imported so that it is stored inline in exactly one record) and inside a dictionary
# string (a host name), naming the first broken link with its event number and exiting 1; the
# untouched original still verifies with exit 0 and its figures.
source "$(dirname "$0")/lib.bash"

mklog a.log 3000
"$IPL" ingest --quiet --store st --tz UTC a.log
# one event carrying a marker that occurs nowhere else in the file; 80 bytes of the record follow
# it, so it is never in the chain checkpoint's copy of the SHA-256 block buffer (the last < 64
# bytes hashed), which the flip below would change in step and hide the change until the next one
pad=$(printf '%080d' 0)
printf '{"seq":1,"time":"2024-05-01T12:00:00Z","kind":"config.change","ip":null,"mac":null,"duid":null,"host":null,"user":"CORP\\\\admin","server":"dc1","source":"file:/x","line":1,"attrs":{"message":"MARKER-7f3a9c-retention-verify %s"}}\n' "$pad" > marker.ndjson
"$IPL" import --quiet --store st marker.ndjson
out=$("$IPL" verify --store st); rc=$?
check "the original verifies: exit 0" eq "$rc" 0
check "the original verifies: figures" contains "$out" "OK: 3,002 events"
check "the original verifies: rate" contains "$out" "events/s)"

# flip one byte of the marker in a copy
flip() {   # flip DIR STRING: flips the 5th byte of every occurrence of STRING in DIR/data.mdb
  python3 - "$1/data.mdb" "$2" <<'PY'
import sys
p, s = sys.argv[1], sys.argv[2].encode()
b = bytearray(open(p, 'rb').read())
at = [i for i in range(len(b)) if b.startswith(s, i)]
assert at, "string not found"
for i in at:
    b[i + 4] ^= 0x01
open(p, 'wb').write(b)
print(len(at))
PY
}
cp -r st bad1
# (stale copies of the page may sit in LMDB's free pages too: every copy is flipped)
check "the marker is in the file" test "$(flip bad1 MARKER-7f3a9c-retention-verify)" -ge 1
marker_seq=$(stat_of st last_seq)
out=$("$IPL" verify --store bad1); rc=$?
check "a flipped byte in a record: exit 1" eq "$rc" 1
check "a flipped byte in a record: FAILED" contains "$out" "FAILED: the chain breaks between events"
check "a flipped byte in a record: names where" contains "$out" "first broken link at event"
first=$(sed -n 's/^first broken link at event \([0-9]*\)$/\1/p' <<<"$out")
check "the first broken link is at or before the changed event ($first <= $((marker_seq - 1)))" test "$first" -le "$((marker_seq - 1))"

# a host name in the dictionary (interned once, referenced by three events)
cp -r st bad2
n=$(python3 - bad2/data.mdb <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
s = b"HOST-00123.corp.example.com\x00"          # dict.i holds the string with its NUL
at = [i for i in range(len(b)) if b.startswith(s, i)]
for i in at:
    b[i] ^= 0x20                                # H -> h
open(p, 'wb').write(b)
print(len(at))
PY
)
check "the dictionary string was found" test "$n" -ge 1
out=$("$IPL" verify --store bad2); rc=$?
check "a flipped byte in a dictionary string: exit 1" eq "$rc" 1
check "a flipped byte in a dictionary string: FAILED" contains "$out" "FAILED"

# verify on a store that does not exist
out=$("$IPL" verify --store nothing 2>&1); rc=$?
check "no store: exit 1" eq "$rc" 1
check "the original is untouched" eq "$("$IPL" verify --store st >/dev/null; echo $?)" 0
finish
