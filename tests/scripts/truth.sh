#!/usr/bin/env bash
# Ground truth: the generator's enterprise (several servers and time zones, address reuse across
# devices, IPv4 and IPv6) is ingested, and `who` must answer every probe of probes.tsv exactly:
# the holder's MAC (and host when the truth names one), or nobody. Windows DHCP logs only
# (--mix mswin): the host names there are the FQDNs the truth names; tests/scripts/track_truth.sh
# asks `track` about the enterprise with every format.
source "$(dirname "$0")/lib.bash"

# probe_all DATA STORE: ingest DATA, then ask every probe
probe_all() {
local data=$1 st=$2
while IFS=$'\t' read -r path format tz server; do
  [ -z "$path" ] && continue
  "$IPL" ingest --quiet --store "$st" --format "$format" --tz "$tz" --server "$server" "$data/$path" \
    || { echo "ingest of $path failed"; exit 1; }
done < "$data/sources.tsv"
check "nothing quarantined from generated logs ($data)" eq "$(stat_of "$st" quarantined)" 0

# ask every probe; compare mac (column 4 of who's CSV) and host (column 6)
total=0; bad=0; held=0; nobody=0
while IFS=$'\t' read -r ip at mac host; do
  [ "$ip" = "ip" ] && continue
  total=$((total + 1))
  row=$("$IPL" who --store "$st" --ip "$ip" --at "$at" --format csv | tail -1 | tr -d '\r')
  state=$(cut -d, -f3 <<<"$row"); gotmac=$(cut -d, -f4 <<<"$row"); gothost=$(cut -d, -f6 <<<"$row")
  if [ "$mac" = "-" ]; then
    nobody=$((nobody + 1))
    [ "$state" = "nobody" ] || { bad=$((bad + 1)); [ $bad -le 10 ] && echo "  $ip at $at: expected nobody, got $row"; }
  else
    held=$((held + 1))
    if [ "$state" != "held" ] || [ "$gotmac" != "$mac" ] || { [ "$host" != "-" ] && [ "${gothost,,}" != "${host,,}" ]; }; then
      bad=$((bad + 1)); [ $bad -le 10 ] && echo "  $ip at $at: expected $mac $host, got $row"
    fi
  fi
done < "$data/probes.tsv"
echo "probes of $data: $total ($held held, $nobody nobody), wrong: $bad"
check "there are probes of both kinds ($data)" test "$held" -gt 100 -a "$nobody" -gt 20
check "every probe answered as the truth says ($data)" eq "$bad" 0
}

"$GEN" --out data --mix mswin --seed 7 --days 4 --devices 400 --sites 3 > gen.out || { echo "generator failed"; cat gen.out; exit 1; }
probe_all data st
# across the October fall-back (repeated local hour) in six zones of both hemispheres
"$GEN" --out dst --mix mswin --seed 11 --start 2024-10-25 --days 4 --devices 300 --sites 6 > gen.out || { echo "generator failed"; cat gen.out; exit 1; }
probe_all dst dstst

# the same data ingested again adds nothing
before=$(stat_of st events)
while IFS=$'\t' read -r path format tz server; do
  "$IPL" ingest --quiet --store st --format "$format" --tz "$tz" --server "$server" "data/$path"
done < data/sources.tsv
check "re-ingest of the generated set adds nothing" eq "$(stat_of st events)" "$before"
finish
