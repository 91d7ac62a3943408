#!/usr/bin/env python3
"""The false-sharing workloads' addresses, from a results.json of false_share.sh's run (2
threads, sizes 16 and 48 and 64): the counters the workloads set from the addresses of the
objects their threads wrote (workloads/wl_lines.h).

- slab (SLAB_HWCACHE_ALIGN): no line holds bytes of two threads' objects, in any run of either
  workload, at any size;
- slab-packed, false-share-passive, 16 and 48 bytes: the objects handed to the two threads
  share a line (handed_shared_lines >= 1), and so do the objects they hold at the end
  (shared_lines >= 1: the sheaves give a freed object back to the CPU that freed it);
- slab-packed at 64 bytes: no line shared (packed 64-byte objects start on a line too).

--swap reads slab's rows as slab-packed's and the other way round: the check must fail then
(false_share.sh runs it so, to show that it can).  Exit 0 when every check holds, 1 otherwise.
"""
import json
import sys

SWAP = {"slab": "slab-packed", "slab-packed": "slab"}


def main():
    path, swap = sys.argv[1], "--swap" in sys.argv[2:]
    runs = [r for r in json.load(open(path))["benchmarks"] if r.get("run_type") != "aggregate"]
    problems, seen = [], set()
    for r in runs:
        m = r["kmbench"]
        backend = SWAP.get(m["backend"], m["backend"]) if swap else m["backend"]
        wl, size = m["workload"], m["params"]["size"]
        where = f"{wl}/{backend}/size:{size}/threads:{r['threads']}"
        if r.get("error_occurred"):
            problems.append(f"{where}: failed: {r.get('error_message')}")
            continue
        seen.add((wl, backend, size))
        counters = ["shared_lines"] + (["handed_shared_lines"] if wl.endswith("passive") else [])
        for c in counters:
            v = r.get(c)
            if v is None:
                problems.append(f"{where}: no {c}")
            elif backend == "slab" or size == 64:
                if v != 0:
                    problems.append(f"{where}: {c} = {v:g}, objects of two threads on one line")
            elif wl.endswith("passive") and v < 1:
                problems.append(f"{where}: {c} = {v:g}, neighbours on lines of their own")
    for wl in ["false-share-passive", "false-share-active"]:
        for b in ["slab", "slab-packed"]:
            for size in [16, 48, 64]:
                if (wl, b, size) not in seen:
                    problems.append(f"{wl}/{b}/size:{size}: no run with a result")
    for p in problems:
        print(p)
    print(f"{len(runs)} runs, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
