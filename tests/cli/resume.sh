#!/bin/bash
# An interrupted run (one backend's part missing) is completed by --resume: the finished
# backend is kept as it was, the missing one runs, and the merged file holds both.
set -eu
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$kmbench" run --preset smoke --backends glibc,jemalloc --threads 1 --quiet --out "$tmp/run"
before=$(md5sum < "$tmp/run/parts/glibc.jsonl")
rm "$tmp/run/parts/jemalloc.jsonl"          # as if the run had died during jemalloc
out=$("$kmbench" run --resume "$tmp/run" --quiet)
echo "$out"
grep -q "glibc: done in an earlier attempt, kept" <<< "$out"
[ "$(md5sum < "$tmp/run/parts/glibc.jsonl")" = "$before" ]
[ -f "$tmp/run/parts/jemalloc.jsonl" ]
/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/run/results.json" --threads 1 \
	--backends glibc,jemalloc
echo "1 passed, 0 failed"
