#!/usr/bin/env bash
# tools/bench.sh — build the release binaries the benchmark needs (ipledger-bench and the
# generator ipledger-gen, incrementally), then run the benchmark with the given arguments.
#   ./tools/bench.sh                      # ~5M events: generate, ingest (ipledger and SQLite), who
#   ./tools/bench.sh --events 1000000     # smaller
#   ./tools/bench.sh --data DIR --keep    # an existing generated data set; keep the stores
# Figures go to stdout, progress to stderr; see docs/performance.md for what they mean.
# When the default GeoIP databases are installed (tools/geoip-fetch) and no --geoip-db is given,
# they are passed on: the run ends with the GeoIP enrichment figures.
# BUILD_DIR (default build) selects the build directory; it is configured as a Release build when
# it does not exist yet (an existing one keeps its configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! log=$(cmake --build "$build" -j "$jobs" --target ipledger-bench ipledger-gen 2>&1); then
  printf '%s\n' "$log" >&2
  echo "bench.sh: the build failed" >&2
  exit 1
fi
geo=()
if [[ " $* " != *" --geoip-db "* ]] && [ -s tools/.geoip/country.mmdb ] && [ -s tools/.geoip/asn.mmdb ]; then
  geo=(--geoip-db tools/.geoip/country.mmdb --geoip-db tools/.geoip/asn.mmdb)
fi
exec "$build/ipledger-bench" "$@" ${geo[@]+"${geo[@]}"}
