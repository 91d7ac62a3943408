#!/bin/bash
# The profile pass's newer keys from a real run (results/README.md): the latency distributions
# (kmbench.profile.latency) and the page allocator's and slabs' state over the pass (the
# timeline's indices and slabinfo's object counts).  A small run of slab, buddy and glibc on
# churn: check_profile.py --state slab,buddy finds every distribution monotone and ending at 1
# (its last count the samples, its last edge the max), every index in [0, 1] (-1 for a
# fragmentation index while a block is free), active_objs <= num_objs at every point, the slab
# series on slab's rows only, and glibc's reason.  Then the same check must fail on copies with
# a fault planted in each.
# Usage: profile_state.sh KMBENCH SOURCE_DIR
set -u
kmbench=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
check=("/usr/bin/python3" "$src/tests/cli/check_profile.py")

kmb_run run run --backends slab,buddy,glibc --workloads churn --sizes 64 --batch 100 \
	--threads 1,2 --min-time 0.02 --repetitions 1 --quiet --out "$tmp/run"
ok "check_profile.py --state slab,buddy on the run" "${check[@]}" "$tmp/run/results.json" \
	--state slab,buddy
# The slabs hold objects through the pass: num_objs > 0 on slab's rows.
ok "slab's rows count objects in slabs" /usr/bin/python3 - "$tmp/run/results.json" <<'PY'
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["benchmarks"] if r["kmbench"]["backend"] == "slab"]
sys.exit(not rows or not all(max(r["kmbench"]["profile"]["timeline"]["slab_num_objs"]) > 0
                             for r in rows))
PY

# plant FAULT: a copy of the run with one fault, into $tmp/FAULT.json.
plant() {
	/usr/bin/python3 - "$tmp/run/results.json" "$tmp/$1.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fault = sys.argv[3]
rows = {r["kmbench"]["backend"]: r for r in d["benchmarks"]}
prof = rows["slab"]["kmbench"]["profile"]
tl = prof["timeline"]
if fault == "cdf-down":
    c = prof["latency"]["alloc"]["count"]
    c[0], c[1] = c[1] + 1, c[1]
elif fault == "cdf-short":
    prof["latency"]["free"]["count"][-1] -= 1
elif fault == "objs":
    tl["slab_active_objs"][0] = tl["slab_num_objs"][0] + 1
elif fault == "index":
    tl["unusable_index"][-1] = 1.5
elif fault == "no-state":
    del rows["buddy"]["kmbench"]["profile"]["timeline"]["unusable_index"]
json.dump(d, open(sys.argv[2], "w"))
PY
}
for fault in cdf-down cdf-short objs index no-state; do
	plant "$fault"
done
must_fail "a CDF going down" "latency.alloc: the CDF is not monotone" -- \
	"${check[@]}" "$tmp/cdf-down.json" --state slab,buddy
must_fail "a CDF short of 1" "latency.free: the CDF ends at" -- \
	"${check[@]}" "$tmp/cdf-short.json" --state slab,buddy
must_fail "active_objs above num_objs" "slab_active_objs" "above slab_num_objs" -- \
	"${check[@]}" "$tmp/objs.json" --state slab,buddy
must_fail "an index above 1" "timeline unusable_index outside [0, 1]" -- \
	"${check[@]}" "$tmp/index.json" --state slab,buddy
must_fail "buddy without its state" "no state in the timeline" -- \
	"${check[@]}" "$tmp/no-state.json" --state slab,buddy

kmb_test_end
