#!/usr/bin/env python3
"""The shards of a run against the unsharded run (issue 17, kmbench run --shard I/N).

    check_shards.py FULL SHARD...       every shard of one split, in any order
    check_shards.py --merged FULL MERGED

The union of the shards' cells equals the unsharded run's cell for cell: the same cells (a
cell: its run_name, backend, workload and params, at one thread count), each in exactly one
shard, with the same rows (names, repetitions, aggregates).  Each shard ran the cells its
context.shard lists, and the split is even by estimated cost: no shard's estimate above the
ideal (total / N) plus the costliest cell (Graham's bound for longest-processing-time first).
With --merged: the merged file has the full run's cells, each once, and its context says which
runs it merged.  Exit 1 on any problem, each said on one line."""
import json
import sys

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def load(path):
    with open(path) as f:
        return json.load(f)


def cell_of(r):
    m = r["kmbench"]
    return (r["run_name"], m["backend"], m["workload"], json.dumps(m["params"], sort_keys=True),
            r["threads"])


def cells(doc):
    """{cell: sorted row keys} of a results file."""
    out = {}
    for r in doc["benchmarks"]:
        out.setdefault(cell_of(r), []).append((r["name"], r.get("repetition_index"),
                                               r.get("aggregate_name")))
    return {c: sorted(v) for c, v in out.items()}


def check_split(full, shards):
    want = cells(full)
    seen = {}
    n = len(shards)
    costs = {}
    for path, doc in shards:
        sh = doc["context"].get("shard")
        if not check(sh, f"{path}: no context.shard"):
            continue
        check(sh["count"] == n, f"{path}: shard {sh['index']}/{sh['count']}, want /{n}")
        costs[sh["index"]] = sh["estimated_s"]
        check(sh["matrix_cells"] == len(want),
              f"{path}: matrix_cells {sh['matrix_cells']}, the full run has {len(want)}")
        got = cells(doc)
        check(sorted(sh["cells"]) == sorted({c[0] for c in got}),
              f"{path}: context.shard.cells ({len(sh['cells'])}) are not the cells it ran "
              f"({len(got)})")
        for c, rows in got.items():
            check(c not in seen, f"{c[0]}: in {seen.get(c)} and {path}")
            seen[c] = path
            check(want.get(c) == rows, f"{path}: {c[0]}: rows {rows}, the full run's "
                  f"{want.get(c)}")
    check(set(seen) == set(want), f"cells missing from every shard: "
          f"{sorted(c[0] for c in set(want) - set(seen))[:5]}; in no full run: "
          f"{sorted(c[0] for c in set(seen) - set(want))[:5]}")
    check(sorted(costs) == list(range(1, n + 1)), f"shards {sorted(costs)}, want 1..{n}")
    if shards and costs:
        sh = shards[0][1]["context"]["shard"]
        ideal = sh["matrix_estimated_s"] / n
        check(abs(sum(sh["shards_estimated_s"]) - sh["matrix_estimated_s"]) < 1e-6,
              f"the shards' estimates {sh['shards_estimated_s']} do not add up to "
              f"{sh['matrix_estimated_s']}")
        for i, c in costs.items():
            check(abs(c - sh["shards_estimated_s"][i - 1]) < 1e-6,
                  f"shard {i}: estimated_s {c}, shards_estimated_s says "
                  f"{sh['shards_estimated_s'][i - 1]}")
            check(c <= ideal + sh["largest_cell_s"] + 1e-9,
                  f"shard {i}/{n}: estimated {c} s, above the ideal {ideal} s plus the "
                  f"largest cell {sh['largest_cell_s']} s")


def check_merged(full, merged, path):
    want, got = cells(full), cells(merged)
    check(set(want) == set(got), f"{path}: cells {len(got)}, the full run has {len(want)}")
    for c in want:
        check(got.get(c) == want[c], f"{path}: {c[0]}: rows {got.get(c)}, want {want[c]}")
    names = [(r["name"], r.get("repetition_index")) for r in merged["benchmarks"]]
    check(len(names) == len(set(names)), f"{path}: a row twice")
    m = merged["context"].get("merged")
    if check(m, f"{path}: no context.merged"):
        ids = {r["run_id"] for r in m["runs"]}
        check({r["kmbench"]["run_id"] for r in merged["benchmarks"]} <= ids,
              f"{path}: rows of runs not in context.merged.runs")
        check(all(r["kmbench"]["host"] in m["hosts"] for r in merged["benchmarks"]),
              f"{path}: a row's host is not in context.merged.hosts")
        check(m.get("missing", 0) == 0 and not m.get("missing_shards"),
              f"{path}: missing {m.get('missing')}, shards {m.get('missing_shards')}")


def main():
    args = sys.argv[1:]
    if args and args[0] == "--merged":
        check_merged(load(args[1]), load(args[2]), args[2])
    else:
        check_split(load(args[0]), [(p, load(p)) for p in args[1:]])
    for f in failures:
        print("FAIL:", f)
    print(f"check_shards: {len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
