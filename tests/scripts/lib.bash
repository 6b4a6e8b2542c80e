# tests/scripts/lib.bash — shared by the integration scripts (sourced, not a test itself).
# Gives: $IPL (the binary), $WORK (a fresh temp dir, removed on exit), check/fail helpers, and
# mklog: a Windows DHCP audit log (IPv4, CRLF, header block) with N lease rows.
set -u
BUILD=$(cd "$1" && pwd); SRC=$(cd "$2" && pwd)
IPL="$BUILD/ipledger"; GEN="$BUILD/ipledger-gen"
WORK=$(mktemp -d); HELD_PORTS=()
trap 'cleanup_hook 2>/dev/null; rm -rf "$WORK" "${HELD_PORTS[@]}"' EXIT
cd "$WORK"
export TZ=UTC LC_ALL=C
unset IPLEDGER_STORE
failures=0; passes=0
check() { # check "what" cmd...
  local what=$1; shift
  if "$@"; then passes=$((passes+1)); else failures=$((failures+1)); echo "FAIL: $what"; fi
}
eq() { [ "$1" = "$2" ] || { echo "  expected [$2], got [$1]"; return 1; }; }
contains() { case "$1" in *"$2"*) return 0;; *) echo "  [$1] does not contain [$2]"; return 1;; esac; }
finish() { echo "$passes passed, $failures failed"; [ "$failures" = 0 ]; exit $?; }
# ports N: sets P[0..N-1] to N consecutive ports free for TCP and UDP on 127.0.0.1 now, kept below
# the kernel's ephemeral range (where a client connection of any other test may hold them) and
# reserved against the other scripts of this run by a lock directory per port (mkdir is atomic;
# a lock whose owner has exited is taken over), released on exit.
PORT_LOCKS=${TMPDIR:-/tmp}/ipledger-test-ports
ports() {
  local n=$1 lo=20000 hi eph try base i ok lock
  read -r eph _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph=32768
  hi=$eph; [ "$hi" -gt $((lo + 2000)) ] || { lo=1100; hi=$eph; }
  mkdir -p "$PORT_LOCKS" 2>/dev/null
  for try in $(seq 400); do
    base=$((lo + (RANDOM * 32768 + RANDOM + $$) % (hi - lo - n)))
    ok=1; P=()
    for ((i = 0; i < n; i++)); do
      lock="$PORT_LOCKS/$((base + i))"
      if ! mkdir "$lock" 2>/dev/null; then
        local owner; owner=$(cat "$lock/pid" 2>/dev/null)
        if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$lock"; mkdir "$lock" 2>/dev/null || { ok=0; break; }
        else ok=0; break; fi
      fi
      echo $$ > "$lock/pid"; P+=($((base + i)))
    done
    if [ $ok = 1 ] && python3 -c '
import socket, sys
for p in sys.argv[1:]:
    for t in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, t); s.bind(("127.0.0.1", int(p))); s.close()' "${P[@]}" 2>/dev/null; then
      for i in "${P[@]}"; do HELD_PORTS+=("$PORT_LOCKS/$i"); done
      return 0
    fi
    for i in "${P[@]}"; do rm -rf "$PORT_LOCKS/$i"; done
  done
  echo "FAIL: no $n free consecutive ports in $lo-$hi"; exit 1
}
# wait_up URL PID [curl args...]: bounded wait (10 s) until URL/healthz answers; fails at once, with
# the server's log, when the process PID has exited (a port taken, a bad config).
wait_up() {
  local url=$1 pid=$2; shift 2
  for _ in $(seq 100); do
    curl -sf "$@" "$url/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { echo "  the server exited:"; tail -5 serve.log 2>/dev/null; return 1; }
    sleep 0.1
  done
  echo "  no answer from $url/healthz in 10 s"; return 1
}
# need_up URL PID [curl args...]: wait_up, or fail the script there (no cascade of errors from
# requests to a server that is not running).
need_up() { wait_up "$@" || { failures=$((failures+1)); echo "FAIL: the server at $1 did not come up"; finish; }; }
stat_of() { "$IPL" stats --store "$1" --format csv | tr -d '\r' | awk -F, -v k="$2" '$1==k {print $2}'; }

# mklog FILE N [DAY_OFFSET]: header + N rows: assign, renew, release of distinct IPs, one per minute.
mklog() {
  local file=$1 n=$2 off=${3:-0}
  awk -v n="$n" -v off="$off" 'BEGIN {
    printf "\t\tMicrosoft DHCP Service Activity Log\r\n\r\n\r\nEvent ID  Meaning\r\n00\tThe log was started.\r\n10\tA new IP address was leased to a client.\r\n\r\n"
    printf "ID,Date,Time,Description,IP Address,Host Name,MAC Address,User Name, TransactionID, QResult,Probationtime, CorrelationID,Dhcid,VendorClass(Hex),VendorClass(ASCII),UserClass(Hex),UserClass(ASCII),RelayAgentInformation,DnsRegError.\r\n"
    for (i = 0; i < n; i++) {
      kinds[0] = "10,Assign"; kinds[1] = "11,Renew"; kinds[2] = "12,Release"
      k = i % 3; dev = int(i / 3)
      day = 1 + off + int(dev / 1000); m = dev % 1000
      printf "%s,05/%02d/24,%02d:%02d:%02d,%s,10.%d.%d.%d,HOST-%05d.corp.example.com,%012X,,%d,6,,,,,,,,,0\r\n", \
        substr(kinds[k], 1, 2), day, int(m / 60) % 24, m % 60, k * 10, substr(kinds[k], 4), \
        off, int(dev / 250) % 250, dev % 250 + 1, dev, 0x3C5282000000 + dev, 1000 + i
    }
  }' > "$file"
}
