#!/usr/bin/env bash
# tests/run_case.sh CASE_DIR BUILD_DIR — runs one integration case.
# A case is a folder: `cmd` (a bash script; $IPLEDGER is the binary, $GEN the generator,
# $CASE the case folder, the working directory a fresh temporary one) and `expected` (its exact
# stdout). The case passes when cmd exits 0 and its stdout equals expected.
set -u
case_dir=$(cd "$1" && pwd); build=$(cd "$2" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export IPLEDGER="$build/ipledger" GEN="$build/ipledger-gen" CASE="$case_dir" IPLEDGER_STORE="$work/store"
export TZ=UTC LC_ALL=C
cd "$work"
if ! bash "$case_dir/cmd" > "$work/.out" 2> "$work/.err"; then
  echo "case $(basename "$case_dir"): cmd failed"; cat "$work/.err"; cat "$work/.out"; exit 1
fi
if ! diff -u "$case_dir/expected" "$work/.out"; then
  echo "case $(basename "$case_dir"): output differs (stderr follows)"; cat "$work/.err"; exit 1
fi
echo "case $(basename "$case_dir"): ok"
