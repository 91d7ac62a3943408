#!/bin/bash
# Every benchmark once with a tiny time budget (the smoke preset), then the file is checked
# for the profile pass's keys (check_profile.py) and against the schema (check_results.py) and
# read by Google Benchmark's compare.py, which must be
# there: a missing compare.py fails the test, which is skipped (exit 77, check_results.py says
# why) only where dpkg says libbenchmark-tools is not installed.  KMB_COMPARE_PY names another
# compare.py.
set -eu
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$kmbench" run --preset smoke --quiet --out "$tmp/run"
# Latency and memory fields present and consistent in every row, whatever workloads the smoke
# preset has (the profile pass: harness/profile.h).
/usr/bin/python3 "$src/tests/cli/check_profile.py" "$tmp/run/results.json"
# Last: its status (0, 1, or 77) is the test's.
/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/run/results.json" --threads "1,$(nproc)"
