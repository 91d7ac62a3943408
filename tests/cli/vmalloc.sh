#!/bin/bash
# The vmalloc preset end to end, shrunk (sizes 4K and 64K, one thread, a batch of 64 held areas,
# one short repetition): every row the preset asks for is there without an error (but the
# refusals workloads/vmtest.c documents: vmtest-random-size on a backend with a cache per size);
# first-touch on vmalloc at 64K faults at least 15 times per op (a fresh mapping faults once per
# page; the check is skipped, with the reason, where page_faults is unavailable); buddy's
# first-touch faults less than once per op (its linear map was touched before); the access rows
# have a read bandwidth; the vmalloc backend's stats carry the window's counters; the
# vmalloc-floor backend calibrated its runs from vmalloc and its fresh mappings fault too.  kmbench must
# exit 0, and context.backends give each of the preset's backends the status "ok".
set -u
kmbench=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

# 0.02 s per run: buddy's frames fault once each, the first time anything touches them through
# the linear map, then are reused from the per-CPU lists; a run of a few iterations (a fast
# release build at 0.001 s) averages those first faults over too few operations.
"$kmbench" run --preset vmalloc --sizes 4K,64K --threads 1 --min-time 0.02 --repetitions 1 \
	--batch 64 --quiet --out "$tmp/v" > "$tmp/v.log" 2>&1
rc=$?
if [ ! -f "$tmp/v/results.json" ]; then
	echo "FAIL: run wrote no results.json (kmbench exited $rc)"
	tail -5 "$tmp/v.log"
	exit 1
fi
[ "$rc" -eq 0 ] || tail -5 "$tmp/v.log"

"$py" - "$tmp/v/results.json" "$rc" <<'PY'
import json
import sys

d = json.load(open(sys.argv[1]))
rc = int(sys.argv[2])
ctx = d["context"]
o = ctx["options"]
rows = [r for r in d["benchmarks"] if r["run_type"] == "iteration"]
failed = []


def check(what, cond):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failed.append(what)


def row(backend, workload, size):
    found = [r for r in rows if (r["kmbench"]["backend"], r["kmbench"]["workload"],
                                 r["kmbench"]["params"].get("size")) == (backend, workload, size)]
    return found[0] if len(found) == 1 else None


check(f"kmbench exited 0 (exited {rc})", rc == 0)
for b in o["backends"]:
    st = ctx["backends"].get(b) or {}
    check(f"backend {b} status ok: {st.get('status')} {st.get('reason', '')}".rstrip(),
          st.get("status") == "ok")
check("the preset's options", o["preset"] == "vmalloc"
      and o["backends"] == ["vmalloc", "vmalloc-floor", "kmalloc", "buddy"]
      and o["workloads"] == ["untouched", "first-touch", "access", "vmtest-fix-size",
                             "vmtest-full-fit", "vmtest-long-busy", "vmtest-random-size"]
      and o["sizes"] == [4096, 65536] and o["threads"] == [1] and o["batch"] == [64]
      and o["mm"]["node_mem"] == 1 << 30)

# Every (backend, workload, params) the preset asks for, once: the sized workloads at each size,
# full-fit and long-busy at the batch, random-size without params.
want = set()
for b in o["backends"]:
    for w in ("untouched", "first-touch", "access", "vmtest-fix-size"):
        for s in o["sizes"]:
            want.add((b, w, (("size", s),)))
    for w in ("vmtest-full-fit", "vmtest-long-busy"):
        want.add((b, w, (("batch", 64),)))
    want.add((b, "vmtest-random-size", ()))
have = [(r["kmbench"]["backend"], r["kmbench"]["workload"],
         tuple(sorted(r["kmbench"]["params"].items()))) for r in rows]
check(f"every row present once ({len(want)})", sorted(have) == sorted(want))

errors = [(r["name"], r.get("error_message")) for r in rows if r.get("error_occurred")]
refusals = [e for e in errors if e[0].startswith("vmtest-random-size/")
            and "not suited to" in (e[1] or "")]
check(f"no row failed but documented refusals: {errors}", errors == refusals)
check("no refusal on the vmalloc preset's backends", not refusals)

faults = ctx["counters"].get("unavailable", {}).get("page_faults")
if faults is not None:
    print(f"skipped: page faults per op: page_faults unavailable here ({faults})")
else:
    v = row("vmalloc", "first-touch", 65536)
    check(f"vmalloc first-touch 64K faults once per page: {v and v.get('page_faults')}",
          v is not None and v.get("page_faults", 0) >= 15)
    v = row("buddy", "first-touch", 65536)
    check(f"buddy first-touch 64K does not fault: {v and v.get('page_faults')}",
          v is not None and v.get("page_faults", 1) < 1)

access = [r for r in rows if r["kmbench"]["workload"] == "access"]
check("access rows have bytes_per_second > 0",
      len(access) == 8 and all(r.get("bytes_per_second", 0) > 0 for r in access))

st = ctx["backends"]["vmalloc"].get("stats") or {}
check("the vmalloc backend's window stats",
      st.get("vmalloc_map_calls", 0) > 0 and st.get("vmalloc_fail") == 0
      and isinstance(st.get("vmallocinfo"), str))

fs = ctx["backends"]["vmalloc-floor"].get("stats") or {}
check("the floor's calls and the runs it calibrated from vmalloc: "
      f"{fs.get('floor_shapes', '').splitlines()}",
      fs.get("floor_map_calls", 0) >= fs.get("floor_areas", 0) > 0
      and "pages=16 runs=" in fs.get("floor_shapes", ""))
if faults is None:
    v = row("vmalloc-floor", "first-touch", 65536)
    check(f"vmalloc-floor first-touch 64K faults once per page: {v and v.get('page_faults')}",
          v is not None and v.get("page_faults", 0) >= 15)

print(f"{len(failed)} failed")
sys.exit(1 if failed else 0)
PY
