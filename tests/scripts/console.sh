#!/usr/bin/env bash
# tests/scripts/console.sh BUILD SRC — the web console in a real browser: headless Debian Chromium
# driven by playwright-core (tests/browser/console.test.mjs) against a real `ipledger serve`.
# The store: one generated enterprise (ipledger-gen) ingested source by source, its ranges
# discovered, an Administrator token. The browser test enters the token, searches probe
# addresses of probes.tsv at their instants and checks device and users against the truth, runs a
# query (row count = the API's), exports its CSV (= the API's CSV), shows the address space and a
# trend, and sees config changes (CLI and API, and one made while the server was down) appear in
# the live feed. Screenshots: $BUILD/artifacts/console/*.png (listed in the output).
# Needs node (>= 18), npm and /usr/bin/chromium (tools/setup installs them): missing ones FAIL.
# npm ci runs in $BUILD/console-browser (the npm registry or the local npm cache).
source "$(dirname "$0")/lib.bash"

CHROMIUM=${IPLEDGER_CHROMIUM:-/usr/bin/chromium}
ART="$BUILD/artifacts/console"
missing=""
command -v node >/dev/null || missing="$missing node"
command -v npm >/dev/null || missing="$missing npm"
[ -x "$CHROMIUM" ] || missing="$missing $CHROMIUM"
if [ -n "$missing" ]; then
  check "the browser test needs:$missing (install with tools/setup: apt-get install nodejs npm chromium)" false
  finish
fi
check "node is 18 or newer ($(node --version))" test "$(node -p 'process.versions.node.split(".")[0]')" -ge 18

# playwright-core, installed from the lock file next to the test (outside the source tree)
NB="$BUILD/console-browser"
mkdir -p "$NB"
cp "$SRC/tests/browser/package.json" "$SRC/tests/browser/package-lock.json" "$SRC/tests/browser/console.test.mjs" "$NB/"
if ! cmp -s "$NB/package-lock.json" "$NB/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$NB" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error >npm.log 2>&1) \
    || { cat "$NB/npm.log"; check "npm ci in $NB (playwright-core)" false; finish; }
  cp "$NB/package-lock.json" "$NB/node_modules/.installed-lock"
fi

# the store
"$GEN" --out data --sites 2 --devices 60 --days 2 --seed 5 > gen.out \
  || { echo "generator failed"; cat gen.out; exit 1; }
while IFS=$'\t' read -r path format tz server; do
  [ -z "$path" ] && continue
  "$IPL" ingest --quiet --store st --format "$format" --tz "$tz" --server "$server" "data/$path" \
    || check "ingest of $path ($format)" false
done < data/sources.tsv
check "the ranges are discovered" contains "$("$IPL" asm discover --store st --from 2024-01-01 --to 2025-01-01)" "discovered"
TOKEN=$("$IPL" token create --store st --name console --role Administrator)
check "token create" contains "$TOKEN" "ipl_"

ports 1; PORT=${P[0]}
rm -rf "$ART"
mkdir -p "$ART"
out=$(IPL="$IPL" STORE="$WORK/st" PORT="$PORT" TOKEN="$TOKEN" PROBES_TSV="$WORK/data/probes.tsv" ARTIFACTS="$ART" \
      CHROMIUM="$CHROMIUM" timeout 300 node "$NB/console.test.mjs" 2>&1)
rc=$?
echo "$out"
check "the browser test passes (rc $rc)" eq "$rc" 0
check "the browser test ran every step" contains "$out" "0 failed"
for f in 01-start 02-search 03-query 04-asm 05-feed 06-feed-resumed; do
  check "screenshot $f.png kept" test -s "$ART/$f.png"
done
finish
