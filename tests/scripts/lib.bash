# tests/scripts/lib.bash — shared by the integration scripts (sourced, not a test itself).
# Gives: $IPL (the binary), $WORK (a fresh temp dir, removed on exit), check/fail helpers, and
# mklog: a Windows DHCP audit log (IPv4, CRLF, header block) with N lease rows.
set -u
BUILD=$(cd "$1" && pwd); SRC=$(cd "$2" && pwd)
IPL="$BUILD/ipledger"; GEN="$BUILD/ipledger-gen"
WORK=$(mktemp -d); trap 'cleanup_hook 2>/dev/null; rm -rf "$WORK"' EXIT
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
