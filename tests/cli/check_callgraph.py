#!/usr/bin/python3
"""The call-graph profiles of `kmbench run --profile` (harness/callgraph.h, results/README.md
"Call graphs") in a run directory.  Usage:

  check_callgraph.py measured RUN_DIR PATTERN FUNCTION...
  check_callgraph.py unavailable RUN_DIR PATTERN REASON

Every row of a cell whose run_name holds PATTERN has kmbench.callgraph (measured: and no other
row has); context.options.callgraph is recorded.  measured: its status is "measured", with
samples > 0, the event and why it was chosen, frequency, the folded stacks and the top functions
as files of the run directory; every line of the folded file is "frame;frame;... count" with a
root and a positive count, and their counts add up to the samples; each FUNCTION is a frame of
some stack, named (not an address); the top file's lists are sorted, and each FUNCTION that is
a leaf somewhere is in its self list (with the stacks' count) or has fewer samples than its
last; the profiled run's ns/op and the overhead against the median are numbers.  unavailable:
status "unavailable" with a reason that holds REASON, and the timed rows are there all the
same.  Prints each failure; exit 1 on any."""
import json
import os
import re
import sys

HEX = re.compile(r"^(0x)?[0-9a-f]{6,}$")


def main(argv):
    mode, run_dir, pattern, rest = argv[1], argv[2], argv[3], argv[4:]
    with open(os.path.join(run_dir, "results.json")) as f:
        data = json.load(f)
    fails = []
    rows = [r for r in data["benchmarks"] if pattern in r.get("run_name", "")]
    others = [r for r in data["benchmarks"] if pattern not in r.get("run_name", "")]
    if not rows:
        fails.append(f"no row's run_name holds {pattern!r}")
    if "callgraph" not in data["context"]["options"]:
        fails.append("context.options.callgraph is missing")
    for r in others if mode == "measured" else []:
        if "callgraph" in r["kmbench"]:
            fails.append(f"{r['name']}: kmbench.callgraph on a cell --profile did not select")
    cgs = [r["kmbench"].get("callgraph") for r in rows]
    if any(cg is None for cg in cgs):
        fails.append(f"a row of {pattern!r} has no kmbench.callgraph")
    cg = cgs[0] if cgs and cgs[0] else {}
    if mode == "unavailable":
        if cg.get("status") != "unavailable":
            fails.append(f"status {cg.get('status')!r}, not 'unavailable'")
        if rest[0] not in (cg.get("reason") or ""):
            fails.append(f"reason {cg.get('reason')!r} does not say {rest[0]!r}")
        if not any(r.get("run_type") == "iteration" and not r.get("error_occurred")
                   for r in rows):
            fails.append("the cell's timed rows are missing")
    else:
        fails += measured(run_dir, cg, rest)
    for f in fails:
        print("FAIL:", f)
    print(f"{pattern}: {mode}: {'ok' if not fails else f'{len(fails)} failures'}")
    return 1 if fails else 0


def measured(run_dir, cg, functions):
    fails = []
    if cg.get("status") != "measured":
        return [f"status {cg.get('status')!r}, reason {cg.get('reason')!r}"]
    for key in ("event", "event_why", "frequency_hz", "folded", "top"):
        if not cg.get(key):
            fails.append(f"kmbench.callgraph.{key} is missing")
    if cg.get("event") not in ("cycles", "cpu-clock"):
        fails.append(f"event {cg.get('event')!r}")
    samples = cg.get("samples") or 0
    if samples <= 0:
        fails.append("no samples")
    for key in ("profiled_ns_per_op", "unprofiled_ns_per_op", "overhead"):
        if not isinstance(cg.get(key), (int, float)) or cg[key] <= 0:
            fails.append(f"{key} {cg.get(key)!r} is not a positive number")
    frames, leaves, total = set(), {}, 0
    with open(os.path.join(run_dir, cg.get("folded", "?"))) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            parts = stack.split(";")
            if not count.isdigit() or int(count) <= 0 or len(parts) < 2 or "" in parts:
                fails.append(f"not a folded line: {line!r}")
                continue
            total += int(count)
            frames.update(parts)
            leaves[parts[-1]] = leaves.get(parts[-1], 0) + int(count)
    if total != samples:
        fails.append(f"the folded counts add up to {total}, not the {samples} samples")
    for fn in functions:
        if fn not in frames:
            fails.append(f"{fn} is in no stack (frames: {sorted(frames)[:30]})")
    named = [fr for fr in frames if HEX.match(fr)]
    if named:
        fails.append(f"frames that are addresses, not names: {named[:5]}")
    with open(os.path.join(run_dir, cg.get("top", "?"))) as f:
        top = json.load(f)
    if top.get("samples") != samples:
        fails.append(f"top.samples {top.get('samples')} != {samples}")
    for key in ("self", "total"):
        counts = [e["samples"] for e in top.get(key, [])]
        if not counts or counts != sorted(counts, reverse=True):
            fails.append(f"top.{key} is empty or not sorted: {counts}")
    self_names = {e["function"]: e["samples"] for e in top.get("self", [])}
    lowest = min(self_names.values()) if self_names else 0
    for fn in functions:
        if fn in leaves and fn not in self_names and leaves[fn] > lowest:
            fails.append(f"{fn}: {leaves[fn]} self samples, not in the top self list")
        if fn in self_names and self_names[fn] != leaves.get(fn):
            fails.append(f"{fn}: top says {self_names[fn]} self samples, the stacks "
                         f"{leaves.get(fn)}")
    return fails


if __name__ == "__main__":
    sys.exit(main(sys.argv))
