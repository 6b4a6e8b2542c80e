#!/usr/bin/env bash
# `ipledger serve --tls-cert C --tls-key K` with a self-signed certificate made here by openssl:
# /healthz and an authenticated request over HTTPS (curl checks the certificate), plain HTTP on
# the TLS port refused, a missing key named. A build without TLS (libevent_openssl not linked,
# IPL_HAVE_TLS unset) must say so and refuse to start: then that is what is checked.
source "$(dirname "$0")/lib.bash"

ports 1; HP=${P[0]}; URL="https://127.0.0.1:$HP"
SRV=""
cleanup_hook() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
"$IPL" init --store st >/dev/null
TOK=$("$IPL" token create --store st --name admin --role Administrator)

out=$(timeout 5 "$IPL" serve --store st --listen "127.0.0.1:$HP" --tls-cert cert.pem --tls-key nokey.pem 2>&1)
if grep -q 'no TLS' <<<"$out"; then
  check "a build without TLS refuses --tls-cert with a message" contains "$out" "terminate TLS in front"
  finish
fi
check "a missing key is named" contains "$out" "nokey.pem"

"$IPL" serve --store st --listen "127.0.0.1:$HP" --tls-cert cert.pem --tls-key key.pem --log serve.log &
SRV=$!
need_up "$URL" "$SRV" --cacert cert.pem
check "healthz over TLS (certificate verified)" eq "$(curl -s --cacert cert.pem "$URL/healthz")" '{"status":"ok"}'
r=$(curl -s --cacert cert.pem -H "Authorization: Bearer $TOK" "$URL/api/v1/stats")
check "authenticated request over TLS" contains "$r" '"events":'
r=$(curl -s --max-time 3 "http://127.0.0.1:$HP/healthz"; echo "rc=$?")
check "plain HTTP on the TLS port gets no answer" test "$(grep -c '"status":"ok"' <<<"$r")" = 0
check "server alive after the plain-HTTP attempt" eq "$(curl -s --cacert cert.pem "$URL/healthz")" '{"status":"ok"}'
kill -TERM "$SRV"; wait "$SRV"; rc=$?; SRV=""
check "SIGTERM exits 0" eq "$rc" 0
finish
