#!/bin/bash
# Memory exhaustion inside a run (issue 20, "Faults"): the physical model made small (8 MiB,
# no DMA zone) so that slab's 64 KiB objects at batch 1000 cannot all be had.  That cell fails
# with a clear message in its results (the allocation that returned NULL and how many objects
# were live), the page allocator's failure report (mm/page_alloc.c warn_alloc's format) is on
# stderr, and the run goes on: every other cell has its result, the run exits 0 and its file
# is whole.
#   exhaustion.sh KMBENCH
set -u
kmbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

"$kmbench" run --backends slab,glibc --workloads churn --sizes 64,65536 --batch 1000 \
	--threads 1 --min-time 0.01 --repetitions 2 -O node-mem=8M -O dma-zone=none \
	--no-profile --quiet --out "$tmp/run" > "$tmp/run.log" 2>&1
rc=$?
ok "the run went on and exited 0 (got $rc): $(tail -n 2 "$tmp/run.log")" test "$rc" -eq 0
ok "the page allocator's failure report is on stderr" \
	grep -q "page allocation failure: order:4, mode:0xcc0(GFP_KERNEL)" "$tmp/run.log"
/usr/bin/python3 - "$tmp/run/results.json" > "$tmp/check.log" 2>&1 <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["benchmarks"]
bad = {r["run_name"]: r.get("error_message", "") for r in rows if r.get("error_occurred")}
good = {r["run_name"] for r in rows if not r.get("error_occurred")}
want_bad = "churn/slab/size:65536/batch:1000/real_time/threads:1"
assert set(bad) == {want_bad}, f"failed cells: {sorted(bad)}"
assert "slab alloc of 65536 bytes returned NULL with" in bad[want_bad], bad[want_bad]
assert "objects live" in bad[want_bad], bad[want_bad]
assert good == {"churn/slab/size:64/batch:1000/real_time/threads:1",
                "churn/glibc/size:64/batch:1000/real_time/threads:1",
                "churn/glibc/size:65536/batch:1000/real_time/threads:1"}, sorted(good)
print("ok")
PY
ok "only the 64 KiB slab cell failed, with the allocation and the live objects in its message; every other cell has a result: $(tail -n 1 "$tmp/check.log")" \
	grep -qx ok "$tmp/check.log"
kmb_test_end
