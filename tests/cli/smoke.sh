#!/bin/bash
# Every benchmark once with a tiny time budget (the smoke preset), then the file is checked
# against the schema (check_results.py) and read by Google Benchmark's compare.py.
set -eu
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$kmbench" run --preset smoke --quiet --out "$tmp/run"
/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/run/results.json" --threads 1,$(nproc)
