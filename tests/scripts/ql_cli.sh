#!/usr/bin/env bash
# `ipledger query` as a command: the query as arguments, from --file (errors name the file), from
# standard input, --param, --fields, every output format, exit statuses, and the option errors.
# (The language itself: tests/unit/queries/ql_*_test.c and docs/query-language.md via ql_docs.sh.)
source "$(dirname "$0")/lib.bash"
"$BUILD/test_queries_ql_exec" --make-store "$WORK/st" || { echo "cannot build the example store"; exit 1; }
Q=("$IPL" query --store "$WORK/st" --now 2024-05-08T12:00:00Z)

out=$("${Q[@]}" --format csv 'leases where ip in 10.72.144.0/22 | count' | tr -d '\r'); rc=$?
check "a query as one argument" eq "$out" $'count\n13'
check "exit 0" eq "$rc" 0
out=$("${Q[@]}" --format csv leases where ip in 10.72.144.0/22 '|' count | tr -d '\r')
check "a query as several arguments" eq "$out" $'count\n13'
out=$("${Q[@]}" --format csv -- -7d 2>&1); rc=$?
check "-- before a query starting with '-': parsed as a query" contains "$out" "unknown source '-7d'"
check "a wrong query exits 2" eq "$rc" 2

printf 'logons\n  where user like "CONTOSO\\adm*"\n| count by host\n' > report.iql
out=$("${Q[@]}" --format csv --file report.iql | tr -d '\r')
check "--file" eq "$out" $'host,count\n,3\nDESKTOP-CAROL,1'
out=$("${Q[@]}" --format csv < report.iql | tr -d '\r')
check "standard input" eq "$out" $'host,count\n,3\nDESKTOP-CAROL,1'
out=$("${Q[@]}" --format csv --file - < report.iql | tr -d '\r')
check "--file -" eq "$out" $'host,count\n,3\nDESKTOP-CAROL,1'
printf 'logons\n  where usr = "x"\n' > bad.iql
out=$("${Q[@]}" --file bad.iql 2>&1); rc=$?
check "errors in a file name it, with line and column" eq "$out" \
"ipledger query: bad.iql:2:9: unknown field 'usr' (did you mean 'user'?); fields: seq, time, kind, ip, mac, duid, host, user, server, source, line, attrs and the attributes ('ipledger query --fields')
    where usr = \"x\"
          ^"
check "exit 2" eq "$rc" 2
head -c 20000 /dev/zero | tr '\0' ' ' > long.iql
out=$("${Q[@]}" --file long.iql 2>&1); rc=$?
check "an over-long query file" eq "$out" "ipledger query: long.iql: the query is 16385 bytes long; the limit is 16384 bytes"
check "exit 2" eq "$rc" 2
out=$("${Q[@]}" --file missing.iql 2>&1); rc=$?
check "a missing file" eq "$out" "ipledger query: cannot read 'missing.iql': cannot open it"
out=$("${Q[@]}" --file report.iql 'events' 2>&1); rc=$?
check "a file and an argument" eq "$rc" 2

out=$("${Q[@]}" --format csv --param ip=10.72.145.36 --param n=1 'events where ip = $ip | limit $n | fields kind' | tr -d '\r')
check "--param: a limit is a parameter too" eq "$out" $'kind\nlease.assign'
out=$("${Q[@]}" --format csv --param ip=10.72.145.36 'events where ip = $ip | count' | tr -d '\r')
check "--param" eq "$out" $'count\n5'
out=$("${Q[@]}" --param ip 'events' 2>&1); rc=$?
check "--param without =" eq "$out" "ipledger query: --param: 'ip' is not NAME=VALUE"
check "exit 2" eq "$rc" 2
out=$("${Q[@]}" --param x=1 'events | count' 2>&1); rc=$?
check "an unused parameter" eq "$out" "ipledger query: query: parameter \$x was given but the query does not use it"

out=$("${Q[@]}" --format json 'changes | fields time, option, attrs')
check "json: an array of objects, attrs as an object" eq "$out" '[
{"time":"2024-05-07T10:00:00Z","option":"lease duration","attrs":{"object":"scope 10.72.144.0","action":"set","option":"lease duration","old":"8h","new":"1d"}},
{"time":"2024-05-07T10:05:00Z","option":"exclusion","attrs":{"object":"scope 10.72.144.0","action":"add","option":"exclusion","new":"10.72.144.200-10.72.144.250"}}
]'
out=$("${Q[@]}" --format ndjson 'events | count by server | limit 2')
check "ndjson: numbers unquoted" eq "$out" $'{"server":"dhcp1.contoso.com","count":20}\n{"server":"dc1.contoso.com","count":10}'
out=$("${Q[@]}" --format csv 'changes | fields option, new')
check "csv: RFC 4180 line ends" eq "$out" $'option,new\r\nlease duration,1d\r\nexclusion,10.72.144.200-10.72.144.250\r'
out=$("${Q[@]}" 'events | count' < /dev/null)
check "not a terminal: ndjson by default" eq "$out" '{"count":33}'
out=$("${Q[@]}" --format json --max-memory 1K 'events | sort host' 2>&1); rc=$?
check "a run-time limit: exit 1, the output not closed as if complete" eq "$out" "ipledger query: query:1:10: sort: the rows to sort need more than 1024 bytes (the query's memory limit); narrow the query or sort fewer rows (limit before sort)
  events | sort host
           ^"
check "exit 1" eq "$rc" 1
out=$("${Q[@]}" --max-memory lots 'events' 2>&1); rc=$?
check "--max-memory: a size" eq "$out" "ipledger query: --max-memory: 'lots' is not a size like 512M or 2G"
out=$("${Q[@]}" --tz Mars/Olympus 'events' 2>&1); rc=$?
check "--tz: a zone" contains "$out" "ipledger query: --tz: unknown time zone 'Mars/Olympus'"
out=$("$IPL" query --store "$WORK/nope" 'events' 2>&1); rc=$?
check "a missing store: exit 1" eq "$rc" 1
out=$("$IPL" query --store "$WORK/st" 2>&1 < /dev/null); rc=$?
check "an empty query" contains "$out" "the query is empty"

out=$("$IPL" query --fields)
check "--fields: sources" contains "$out" "  leases               lease.*"
check "--fields: core fields" contains "$out" "  ip                   address"
check "--fields: attributes" contains "$out" "  geo.country          attribute"
check "--fields: track fields" contains "$out" "  other_addresses      string"
out=$("$IPL" query -h)
check "-h" contains "$out" "usage: ipledger query"
finish
