"""check_program.py RESULTS --ok B,... [--failed B=TEXT,...] [--skipped B=TEXT,...] [--plant]:
the program workload's rows (workloads/program.c) on a results.json.  Each --ok backend ran
every program of the run without an error, with sane counters (wall time, peak RSS, minor
faults and output bytes above 0, CPU time and major faults present, exit status 0,
output_same 1, and under libkmbench-preload.so at least one process counted), and every
program printed the same (output_checksum) under each;
each --failed backend's rows failed, their message holding TEXT; each --skipped backend was
skipped, its reason holding TEXT.  --plant changes one row's checksum first, which must make
the check fail (tests/cli/program.sh).  Exit status 0 when all holds, 1 with the problems."""
import argparse
import json
import sys

POSITIVE = ("wall_s", "peak_rss_kib", "minflt", "output_bytes")
PRESENT = ("user_s", "sys_s", "majflt")


def pairs(text):
    return dict(p.split("=", 1) for p in text.split(",")) if text else {}


def problems(d, ok, failed, skipped):
    rows = [r for r in d["benchmarks"] if r.get("run_type") == "iteration"
            and r["kmbench"]["workload"] == "program"]
    status = d["context"]["backends"]
    programs = d["context"]["options"].get("program", {}).get("programs", [])
    if not programs:
        yield "context.options.program.programs is missing"
    sums = {}
    for b in ok:
        mine = [r for r in rows if r["kmbench"]["backend"] == b]
        if len(mine) != len(programs):
            yield f"{b}: {len(mine)} rows, not one per program ({len(programs)})"
        for r in mine:
            if r.get("error_occurred"):
                yield f"{r['name']}: {r.get('error_message')}"
                continue
            for k in POSITIVE:
                if not r.get(k, 0) > 0:
                    yield f"{r['name']}: {k} is {r.get(k)}, not above 0"
            for k in PRESENT:
                if not r.get(k, -1) >= 0:
                    yield f"{r['name']}: {k} is {r.get(k)}"
            if r.get("exit_status") != 0 or r.get("output_same") != 1:
                yield f"{r['name']}: exit_status {r.get('exit_status')}, output_same " \
                      f"{r.get('output_same')}"
            if r["user_s"] + r.get("sys_s", 0) > r["wall_s"] * 64:
                yield f"{r['name']}: CPU time {r['user_s']} s in {r['wall_s']} s of wall time"
            if status[b].get("preload", "").endswith("libkmbench-preload.so") or \
                    b not in ("glibc", "jemalloc", "tcmalloc", "mimalloc"):
                if not r.get("preload_processes", 0) >= 1:
                    yield f"{r['name']}: preload_processes {r.get('preload_processes')}"
            sums.setdefault(r["kmbench"]["params"]["program"], set()).add(r["output_checksum"])
    for prog, s in sorted(sums.items()):
        if len(s) != 1:
            yield f"program {prog}: the outputs differ between backends: {sorted(s)}"
    for b, text in failed.items():
        mine = [r for r in rows if r["kmbench"]["backend"] == b]
        if not mine:
            yield f"{b}: no rows"
        for r in mine:
            if not r.get("error_occurred") or text not in (r.get("error_message") or ""):
                yield f"{r['name']}: wanted a failure saying '{text}', got " \
                      f"{r.get('error_message')}"
    for b, text in skipped.items():
        s = status.get(b, {})
        if s.get("status") != "skipped" or text not in s.get("reason", ""):
            yield f"{b}: wanted skipped saying '{text}', got {s}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--ok", default="")
    ap.add_argument("--failed", default="")
    ap.add_argument("--skipped", default="")
    ap.add_argument("--plant", action="store_true")
    a = ap.parse_args()
    d = json.load(open(a.results))
    if a.plant:
        for r in d["benchmarks"]:
            if r.get("run_type") == "iteration" and "output_checksum" in r:
                r["output_checksum"] += 1
                break
    found = list(problems(d, [b for b in a.ok.split(",") if b], pairs(a.failed),
                          pairs(a.skipped)))
    for p in found:
        print(p)
    if found:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
