#!/bin/bash
# numa_guest_smoke: `kmbench run --preset smoke --backends buddy` in the 2-node guest of
# scripts/numa-guest, its run directory brought back out, and checked: results.json against the
# schema (tests/cli/check_results.py), then against the guest (check_guest_results.py).
# Usage: guest_smoke.sh KMBENCH SOURCE_DIR.  Exit 77 (skipped) where the guest cannot run.
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$src/scripts/numa-guest" --config 2node --timeout 240 --bin "$kmbench" \
	--run "kmbench run --preset smoke --backends buddy --threads 1,4 --node-mem 32M --quiet --out /work/run" \
	--collect /work/run --out "$tmp/run"
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
/usr/bin/python3 "$src/tests/cli/check_results.py" "$tmp/run/results.json" --threads 1,4 \
	--backends buddy || exit 1
/usr/bin/python3 "$src/tests/numa/check_guest_results.py" "$tmp/run/results.json" || exit 1
echo "guest_smoke: results.json from the 2-node guest: ok"
