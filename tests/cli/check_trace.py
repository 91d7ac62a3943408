"""check_trace.py RESULTS [--plant]: the trace workload's target (issue 15) on a results.json:
every backend that ran replays the trace without an error, at every thread count of the run,
with ops_replayed + ops_skipped equal to the trace's events (context.options.trace.events)
and the same ops_replayed on every backend. --plant changes one row's ops_replayed first,
which must make the check fail (tests/cli/trace.sh). Exit status 0 when all holds, 1 with the
first problem."""
import json
import sys


def problems(d):
    trace = d["context"]["options"].get("trace")
    if not trace:
        yield "context.options.trace is missing"
        return
    rows = [r for r in d["benchmarks"] if r.get("run_type") == "iteration"
            and r["kmbench"]["workload"] == "trace"]
    ran = {b for b, s in d["context"]["backends"].items() if s.get("status") == "ok"}
    threads = sorted({r["threads"] for r in rows})
    if not rows:
        yield "no trace rows"
    seen = {}
    for r in rows:
        b = r["kmbench"]["backend"]
        if r.get("error_occurred"):
            yield f"{r['name']}: {r.get('error_message')}"
            continue
        ops, skipped = r.get("ops_replayed"), r.get("ops_skipped")
        if ops is None or skipped is None or ops + skipped != trace["events"]:
            yield f"{r['name']}: ops_replayed {ops} + ops_skipped {skipped} != " \
                  f"{trace['events']} events"
        if not r.get("replays", 0) >= 1:
            yield f"{r['name']}: replays {r.get('replays')}"
        seen.setdefault(b, set()).add(r["threads"])
    for b in sorted(ran):
        if seen.get(b) != set(threads):
            yield f"{b}: rows at {sorted(seen.get(b, ()))} threads, not {threads}"
    counts = {r.get("ops_replayed") for r in rows}
    if len(counts) > 1:
        yield f"ops_replayed differs between rows: {sorted(counts, key=str)}"


def main():
    d = json.load(open(sys.argv[1]))
    if "--plant" in sys.argv[2:]:
        for r in d["benchmarks"]:
            if r.get("run_type") == "iteration" and "ops_replayed" in r:
                r["ops_replayed"] -= 1
                break
    for p in problems(d):
        print(p)
        return 1
    n = sum(1 for r in d["benchmarks"] if r.get("run_type") == "iteration")
    print(f"{n} rows: every backend replays {d['context']['options']['trace']['events']} "
          "events with the same count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
