#!/bin/bash
# The false-sharing workloads' addresses (check_false_share.py): objects handed to different
# threads share a cache line under slab-packed and never under slab.  One run of both
# workloads on both layouts at 2 threads, 16, 48 and 64 bytes, 2 repetitions; then the check
# once more with the two backends' rows swapped, which must fail (the check can fail).
set -euo pipefail
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$kmbench" run --backends slab,slab-packed --workloads false-share-passive,false-share-active \
	--threads 2 --sizes 16,48,64 --min-time 0.01 --repetitions 2 --quiet --out "$tmp/run"
check="$src/tests/cli/check_false_share.py"
/usr/bin/python3 "$check" "$tmp/run/results.json"
if /usr/bin/python3 "$check" "$tmp/run/results.json" --swap >"$tmp/swapped"; then
	echo "check_false_share.py passed with slab and slab-packed swapped:"
	cat "$tmp/swapped"
	exit 1
fi
echo "with the backends swapped the check fails, as it must: $(tail -1 "$tmp/swapped")"
