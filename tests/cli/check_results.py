#!/usr/bin/python3
"""Check a kmbench results.json against results/README.md, and that Google Benchmark's own
compare.py reads it.  Usage: check_results.py FILE [--threads 1,2] [--backends a,b]
[--compare PATH | --no-compare]
Exit 0 when every check passes; prints each failure and exits 1 otherwise.

compare.py is --compare's, else $KMB_COMPARE_PY's, else Debian's (libbenchmark-tools).  It
always runs: a missing compare.py is a failure, except Debian's where dpkg says
libbenchmark-tools is not installed: then, every other check passed, the script says why and
exits 77 (skipped; smoke.sh passes that on, the other callers count it as a failure).
--no-compare leaves compare.py out (2 s a file): for a caller whose other files it reads."""
import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

GB_CONTEXT = ["date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
              "caches", "load_avg", "library_build_type"]
KMB_CONTEXT = ["kmbench_version", "run_id", "interleave_seed", "build_type", "compiler", "cflags",
               "git_commit", "kernel", "cpu_model", "cache_line_size", "topology", "pin_policy",
               "libraries", "counters", "environment", "options", "backends"]
RUN_KEYS = ["name", "family_index", "per_family_instance_index", "run_name", "run_type",
            "repetitions", "threads", "iterations", "real_time", "cpu_time", "time_unit"]
SANITIZER_SKIP = "sanitizer build"
COMPARE = "/usr/share/benchmark/compare.py"
COMPARE_PACKAGE = "libbenchmark-tools"
SKIPPED = 77
# Workloads that do not allocate: they run once per thread count under this pseudo-backend, and
# a backend left without any other workload is skipped with this reason (results/README.md).
NO_ALLOCATOR = "no-allocator"
NO_ALLOCATOR_WORKLOADS = {"counter-percpu", "counter-atomic", "counter-packed"}
NO_FAMILY_SKIP = "no selected workload allocates"
# remote-free pairs its threads: an odd thread count fails every repetition with this message.
PAIRS_ERROR = "remote-free: needs an even number of threads"
SIZE_CACHES_ERROR = "vmtest-random-size: not suited to"
MODES = {"default", "none", "thread", "cpu-lock", "cpu-rseq"}
# mempool-pressure runs once per --mempool-fail rate (params "fail") on the backends that inject
# failures, once without the parameter on the others (results/README.md).
FAIL_WORKLOADS = {"mempool-pressure"}
FAIL_BACKENDS = {"mempool"}
LATENCY = ["lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_max_ns"]
# numa-matrix runs on the backends that take a node only, one cell per (policy, memory node,
# CPU node) of context.options.matrix, and checks where its own pages are.
MATRIX = "numa-matrix"
MATRIX_POLICIES = {"bind", "preferred", "local", "remote", "interleave"}
# remote-free-matrix: a cell per ordered pair of context.options.rfm.cpus on every backend that
# allocates, each at 2 threads on its own two CPUs, whatever --threads and --pin say.
RFM = "remote-free-matrix"
# trace replays the trace of context.options.trace; without one (no --trace, and the fixture not
# found: a kmbench away from its source tree) it has no family (docs/workloads.md).
TRACE = "trace"
# program runs the programs of context.options.program; without --program it has no family
# (docs/workloads.md), as in the smoke preset.
PROGRAM = "program"
# Its rows' counters (workloads/program.c, results/README.md); a backend it cannot serve is
# skipped with a reason of its own ("program: ..."), and a failed cell (the program failed,
# timed out, or printed another output) is a finding, not a fault of the run: it must say why.
PROGRAM_SKIP = "program: "
PROGRAM_COUNTERS = ["wall_s", "user_s", "sys_s", "peak_rss_kib", "minflt", "majflt",
                    "exit_status", "output_bytes", "output_checksum", "output_same",
                    "preload_processes"]
BASELINES = {"glibc", "jemalloc", "tcmalloc", "mimalloc"}
# context.environment: the checks of harness/env.h, in this order, each with these statuses.
ENV_CHECKS = ["governor", "turbo", "load", "thp", "smt", "rseq", "perf_event_paranoid",
              "counters", "aslr", "numa_balancing", "isolation", "swap", "nmi_watchdog"]
ENV_STATUSES = {"ok", "warning", "info", "unavailable"}


def takes_node(backend):
    return backend in ("libnuma", "kmalloc", "vmalloc") or backend.split("-")[0] in ("buddy", "slab")


def single_node():
    nodes = [d for d in os.listdir("/sys/devices/system/node") if d.startswith("node")
             and d[4:].isdigit()] if os.path.isdir("/sys/devices/system/node") else []
    return len(nodes) <= 1


def check_placement(r, where):
    """kmbench.placement on every allocating iteration run that did not fail; the counter
    placement_ok exactly when it was checked; 1.0 everywhere on a one-node machine."""
    pl = r["kmbench"].get("placement")
    if not check(isinstance(pl, dict) and pl.get("status") in ("checked", "unavailable"),
                 f"{where}: placement {pl}"):
        return
    if pl["status"] == "unavailable":
        check(pl.get("reason") and "placement_ok" not in r, f"{where}: placement {pl}")
        return
    ok = r.get("placement_ok")
    check(isinstance(ok, (int, float)) and 0 <= ok <= 1, f"{where}: placement_ok {ok}")
    check(r.get("placement_pages") == pl.get("pages") == sum(pl["pages_per_node"].values())
          and pl["pages"] > 0, f"{where}: placement pages {pl}")
    check(abs(ok - pl["on_intended"] / pl["pages"]) < 1e-9, f"{where}: placement_ok {ok} {pl}")
    if single_node():
        check(ok == 1, f"{where}: placement_ok {ok} on a one-node machine")
    if r["kmbench"]["workload"] == MATRIX and pl["intended"] != "":
        # Node selection never misses: every page of a cell is where the cell asked.
        check(ok == 1, f"{where}: numa-matrix placement_ok {ok}: {pl}")

failures = []


def check_program(where, r, ncpus):
    """A program row (workloads/program.c): a failed one says why in one line and has no
    counters; another has every counter, each of its type and range: times in seconds, the CPU
    time at most what the copy's wall time allows on every CPU, a peak RSS, an exit status 0,
    the output the bare run's."""
    if r.get("error_occurred"):
        msg = r.get("error_message")
        check(isinstance(msg, str) and msg.strip() and "\n" not in msg,
              f"{where}: a failed cell without a one-line reason: {msg!r}")
        check("wall_s" not in r, f"{where}: a failed cell with counters")
        return False
    for k in PROGRAM_COUNTERS:
        if not check(isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool),
                     f"{where}: {k} {r.get(k)!r}, not a number"):
            return True
    check(r["wall_s"] > 0 and r["user_s"] >= 0 and r["sys_s"] >= 0 and r["minflt"] > 0 and
          r["majflt"] >= 0 and r["output_bytes"] >= 0 and r["preload_processes"] >= 0,
          f"{where}: wall_s {r['wall_s']}, user_s {r['user_s']}, sys_s {r['sys_s']}, minflt "
          f"{r['minflt']}, majflt {r['majflt']}, output_bytes {r['output_bytes']}, "
          f"preload_processes {r['preload_processes']}: out of range")
    # rusage's CPU times are the kernel's accounting, a tick off at most, and a copy's
    # processes may use every CPU (xz -T2)
    check(r["user_s"] + r["sys_s"] <= r["wall_s"] * ncpus * 1.05 + 0.02,
          f"{where}: CPU time {r['user_s']} + {r['sys_s']} s in {r['wall_s']} s of wall time "
          f"on {ncpus} CPUs")
    # the wall time is one run of the program, fork to wait4; an iteration of a copy holds one
    # run and its checks, and Google Benchmark's real_time is the copies' time over all their
    # iterations (the row's iterations count every thread's)
    check(r["wall_s"] * 1e9 <= r["real_time"] * r["threads"] * 1.01,
          f"{where}: wall_s {r['wall_s']} above real_time {r['real_time']} ns x "
          f"{r['threads']} threads")
    check(r["peak_rss_kib"] > 0 and r["peak_rss_kib"] == int(r["peak_rss_kib"]),
          f"{where}: peak_rss_kib {r['peak_rss_kib']}")
    check(r["exit_status"] == 0 and r["output_same"] == 1, f"{where}: exit_status "
          f"{r['exit_status']}, output_same {r['output_same']} in a cell that passed")
    check(r["output_checksum"] == int(r["output_checksum"]) and
          0 <= r["output_checksum"] < 1 << 32, f"{where}: output_checksum {r['output_checksum']}")
    if r["kmbench"]["backend"] in BASELINES:
        check(r["preload_processes"] == 0, f"{where}: preload_processes "
              f"{r['preload_processes']} outside libkmbench-preload.so")
    return True


def check_rfm(b, runs, rfm, reps):
    """@b's remote-free-matrix runs (iteration runs) cover every ordered pair (i, j) of
    rfm.cpus, each in @reps runs, and no other pair; each ran thread 0 on CPU i and thread 1 on
    CPU j (kmbench.cpus, as the threads found themselves) and carries the node pair on a
    machine whose CPUs span several nodes; object_ns = alloc_ns + free_ns."""
    cpus = rfm.get("cpus") if isinstance(rfm, dict) else None
    nodes = rfm.get("nodes") if isinstance(rfm, dict) else None
    if not check(isinstance(cpus, list) and cpus and len(set(cpus)) == len(cpus) and
                 isinstance(nodes, list) and len(nodes) == len(cpus) and
                 rfm.get("cells") == len(cpus) ** 2, f"options.rfm {rfm}"):
        return
    node_of = dict(zip(cpus, nodes))
    spans = len(set(nodes)) > 1
    want = {(i, j) for i in cpus for j in cpus}
    got = {}
    for r in runs:
        where, m = r.get("name", "?"), r["kmbench"]
        p = m["params"]
        i, j = p.get("alloc_cpu"), p.get("free_cpu")
        got[(i, j)] = got.get((i, j), 0) + 1
        check(r["threads"] == 2 and m["cpus"] == [i, j] and m["pin"] == f"cpus:{i},{j}",
              f"{where}: threads {r['threads']} on CPUs {m['cpus']} (pin {m['pin']}), want 2 "
              f"on [{i}, {j}]")
        check(m["nodes"] == [node_of.get(i), node_of.get(j)], f"{where}: nodes {m['nodes']}")
        check((p.get("alloc_node"), p.get("free_node")) ==
              ((node_of.get(i), node_of.get(j)) if spans else (None, None)),
              f"{where}: params {p}: the node pair only when the CPUs span several nodes")
        obj, a, f = r.get("object_ns", 0), r.get("alloc_ns", 0), r.get("free_ns", 0)
        check(a > 0 and f > 0 and abs(obj - a - f) <= 1e-6 * obj,
              f"{where}: object_ns {obj} != alloc_ns {a} + free_ns {f}")
    missing, extra = sorted(want - set(got), key=str), sorted(set(got) - want, key=str)
    check(not missing, f"{b}/{RFM}: no cell for the (alloc_cpu, free_cpu) pairs {missing}")
    check(not extra, f"{b}/{RFM}: cells outside options.rfm.cpus {cpus}: {extra}")
    for pair, n in sorted(got.items(), key=str):
        check(n == reps, f"{b}/{RFM}/{pair}: {n} runs, want {reps}")


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def check_environment(env):
    """context.environment: every check of ENV_CHECKS once, in order, each {name, value,
    status, message} with a known status, a one-line message, and a value unless it is
    unavailable (then "")."""
    if not check(isinstance(env, list) and all(isinstance(c, dict) for c in env),
                 f"context.environment is not a list of objects: {env!r:.200}"):
        return
    names = [c.get("name") for c in env]
    check(names == ENV_CHECKS, f"context.environment names {names}, want {ENV_CHECKS}")
    for c in env:
        where = f"context.environment.{c.get('name')}"
        check(sorted(c) == ["message", "name", "status", "value"], f"{where}: keys {sorted(c)}")
        check(c.get("status") in ENV_STATUSES, f"{where}: status {c.get('status')!r}")
        msg, value = c.get("message"), c.get("value")
        check(isinstance(msg, str) and msg and "\n" not in msg, f"{where}: message {msg!r}")
        check(isinstance(value, str) and (value == "") == (c.get("status") == "unavailable"),
              f"{where}: value {value!r} with status {c.get('status')!r}")


def check_topology(t):
    """context.topology.hwloc_xml: the hwloc XML of the machine (the report draws it), with as
    many PU objects as topology.pus counts."""
    xml = t.get("hwloc_xml") if isinstance(t, dict) else None
    check(isinstance(xml, str) and xml.lstrip().startswith("<?xml"),
          "context.topology.hwloc_xml missing or not XML")
    if not isinstance(xml, str):
        return
    try:
        pus = sum(1 for o in ET.fromstring(xml).iter("object") if o.get("type") == "PU")
    except ET.ParseError as e:
        check(False, f"context.topology.hwloc_xml does not parse: {e}")
        return
    check(pus == t.get("pus"), f"hwloc_xml has {pus} PUs, topology.pus {t.get('pus')}")


def check_percpu(pc, mm):
    """options.percpu: each layer's requested and effective mode, and the rseq status."""
    if not check(isinstance(pc, dict), "options lacks percpu"):
        return
    rseq = pc.get("rseq")
    if not check(isinstance(rseq, dict) and isinstance(rseq.get("usable"), bool),
                 f"options.percpu.rseq: {rseq}"):
        return
    check(rseq["usable"] or rseq.get("reason"), "rseq unusable without a reason")
    check(isinstance(rseq.get("asked_by"), list), "options.percpu.rseq lacks asked_by")
    for layer in ("pcp", "slab"):
        m = pc.get(layer)
        if not check(isinstance(m, dict), f"options.percpu lacks {layer}"):
            continue
        want, got = m.get("requested"), m.get("effective")
        check(want in MODES and got in MODES - {"default"},
              f"options.percpu.{layer}: {want} -> {got}")
        if want in ("default", "cpu-rseq"):
            check(got == ("cpu-rseq" if rseq["usable"] else "cpu-lock"),
                  f"options.percpu.{layer}: {want} -> {got} with rseq usable {rseq['usable']}")
        else:
            check(got == want, f"options.percpu.{layer}: {want} -> {got}")
        check(("reason" in m) == (want == "cpu-rseq" and got != want),
              f"options.percpu.{layer}: reason {m.get('reason')}")
    if isinstance(pc.get("pcp"), dict):
        want = pc["pcp"].get("requested")
        check(mm.get("pcp") == ("off" if want == "none" else "on" if want != "default"
                                else mm.get("pcp")), f"options.mm.pcp {mm.get('pcp')} "
              f"against options.percpu.pcp {want}")


def check_pressure(where, r, params):
    """A mempool-pressure run: sampled latencies in order, shares within 0..1, and what the
    failure rate fixes exactly: nothing from the reserve and nobody waiting at 0%, every
    allocation from the reserve at 100%."""
    for k in LATENCY + ["lat_samples", "lat_clock_ns", "atomic_nulls", "atomic_null_frac",
                        "punts"]:
        check(k in r, f"{where}: lacks {k}")
    lat = [r.get(k, 0) for k in LATENCY]
    check(lat == sorted(lat) and lat[0] > 0, f"{where}: latency percentiles {lat}")
    check(r.get("lat_samples", 0) > 0, f"{where}: no latency samples")
    check(0 <= r.get("atomic_null_frac", -1) <= 1, f"{where}: atomic_null_frac")
    fail = params.get("fail")
    reserve = ["reserve_frac", "kernel_waits", "kernel_wait_frac", "kernel_wait_ns",
               "kernel_wait_mean_ns", "kernel_wait_max_ns"]
    if fail is None:
        for k in reserve:
            check(k not in r, f"{where}: {k} without a reserve")
        return
    for k in reserve:
        check(k in r, f"{where}: lacks {k}")
    check(0 <= r.get("reserve_frac", -1) <= 1, f"{where}: reserve_frac {r.get('reserve_frac')}")
    if fail == 0:
        for k in ["reserve_frac", "kernel_waits", "punts", "atomic_nulls"]:
            check(r.get(k) == 0, f"{where}: {k} {r.get(k)} at 0% failure")
    if fail == 100:
        check(r.get("reserve_frac") == 1, f"{where}: reserve_frac {r.get('reserve_frac')} at "
              "100% failure: every allocation must come from the reserve")
    check(r.get("kernel_wait_max_ns", 0) <= r.get("kernel_wait_ns", 0),
          f"{where}: the longest wait above the total")


def package_installed(name):
    """dpkg's word on package @name: True, False, or None where dpkg-query cannot say."""
    try:
        p = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}", name],
                           capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return p.returncode == 0 and p.stdout.strip() == "installed"


def check_compare(path, file, runs):
    """compare.py at @path reads @file (compared with itself) and prints its rows.  Returns
    the reason to skip where it cannot run because its package is not installed, else None."""
    if not os.path.exists(path):
        if path != COMPARE:
            check(False, f"compare.py: {path} is missing (--compare or $KMB_COMPARE_PY)")
            return None
        installed = package_installed(COMPARE_PACKAGE)
        if installed is False:
            return (f"{path} is missing: {COMPARE_PACKAGE} is not installed "
                    f"(apt-get install {COMPARE_PACKAGE})")
        check(False, f"compare.py: {path} is missing though {COMPARE_PACKAGE} is installed"
              if installed else f"compare.py: {path} is missing, and dpkg-query cannot say "
              f"whether {COMPARE_PACKAGE} is installed")
        return None
    p = subprocess.run([sys.executable, path, "benchmarks", file, file],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"compare.py failed: {p.stderr[-500:]}")
    if check(runs and runs[0]["name"].split("/")[0] in p.stdout, "compare.py printed no rows"):
        print(f"check_results: {path} read the file")
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--threads", default=None)
    ap.add_argument("--backends", default=None)
    ap.add_argument("--compare", default=os.environ.get("KMB_COMPARE_PY") or COMPARE,
                    help=f"Google Benchmark's compare.py (default: $KMB_COMPARE_PY, else "
                    f"{COMPARE})")
    ap.add_argument("--no-compare", action="store_true", help="do not run compare.py")
    a = ap.parse_args()
    with open(a.file) as f:
        doc = json.load(f)
    ctx, runs = doc["context"], doc["benchmarks"]
    for k in GB_CONTEXT + KMB_CONTEXT:
        check(k in ctx, f"context lacks {k}")
    opts = ctx["options"]
    want_backends = a.backends.split(",") if a.backends else opts["backends"]
    check(sorted(want_backends) == sorted(opts["backends"]),
          f"options.backends {opts['backends']} != {want_backends}")
    threads = [int(t) for t in a.threads.split(",")] if a.threads else opts["threads"]
    check(sorted(set(threads)) == opts["threads"], f"threads {opts['threads']} != {threads}")
    avail = set(ctx["counters"]["available"])
    unavail = ctx["counters"]["unavailable"]
    check(not (avail & set(unavail)), "a counter is both available and unavailable")
    for name, why in unavail.items():
        check(isinstance(why, str) and why, f"counter {name} unavailable without a reason")

    chk = opts.get("check")     # the experiment's check key, defaults filled in
    check(isinstance(chk, dict) and isinstance(chk.get("reference"), str) and
          chk["reference"] and 0 < chk.get("alpha", 0) < 1 and chk.get("tolerance") and
          all(m in ("real_time", "cpu_time") and 0 < v <= 10
              for m, v in chk["tolerance"].items()) and
          chk.get("from") in ("experiment", "default"), f"options.check {chk}")
    check_environment(ctx.get("environment"))
    check_topology(ctx.get("topology"))
    check_percpu(opts.get("percpu"), opts.get("mm", {}))
    fails = opts.get("mempool_fail")
    check(isinstance(fails, list) and fails and all(isinstance(f, int) and 0 <= f <= 100
                                                    for f in fails),
          f"options.mempool_fail: {fails}")
    merged = ctx.get("merged")
    run_ids = {ctx["run_id"]} | {m["run_id"] for m in (merged or {}).get("runs", [])}
    if merged is not None:
        check(not ctx.get("shard"), "a merged file with context.shard")
        check(merged.get("hosts") and all(isinstance(h, str) for h in merged["hosts"]),
              f"context.merged.hosts {merged.get('hosts')}")
        for m in merged.get("runs", []):
            check(m.get("host") in merged.get("hosts", []) and m.get("run_id"),
                  f"context.merged.runs: {m}")
    families = {}
    sums = {}   # program: {backend: output_checksum}
    allocating = [w for w in opts["workloads"] if w not in NO_ALLOCATOR_WORKLOADS]
    matrix = opts.get("matrix", {})
    check(isinstance(opts.get("numa_policy"), str), f"options.numa_policy {opts.get('numa_policy')}")
    check(set(matrix.get("policies", [])) <= MATRIX_POLICIES and matrix.get("buffer", 0) > 0,
          f"options.matrix {matrix}")
    counting = [w for w in opts["workloads"] if w in NO_ALLOCATOR_WORKLOADS]
    if counting:
        want_backends = want_backends + [NO_ALLOCATOR]
    else:
        check(NO_ALLOCATOR not in ctx["backends"], f"{NO_ALLOCATOR} without its workloads")
    for b in want_backends:
        st = ctx["backends"].get(b)
        if not check(st is not None, f"no status for backend {b}"):
            continue
        status = st.get("status")
        if status == "skipped":
            # Only a sanitizer build may skip a backend that is installed here, or a run
            # whose every workload does without an allocator.
            reason = st.get("reason", "")
            check(SANITIZER_SKIP in reason or (NO_FAMILY_SKIP in reason and not allocating) or
                  (reason.startswith(PROGRAM_SKIP) and allocating == [PROGRAM]),
                  f"backend {b} skipped: {reason}")
            check(not [r for r in runs if r["kmbench"]["backend"] == b],
                  f"skipped backend {b} has runs")
            continue
        if not check(status == "ok", f"backend {b}: status {status}: {st.get('reason')}"):
            continue
        check(st.get("free"), f"backend {b} status lacks 'free'")
        mine = [r for r in runs if r["kmbench"]["backend"] == b and r["run_type"] == "iteration"]
        for r in mine:
            w = r["kmbench"]["workload"]
            check((b == NO_ALLOCATOR) == (w in NO_ALLOCATOR_WORKLOADS),
                  f"{r.get('name')}: workload {w} under backend {b}")
        for w in counting if b == NO_ALLOCATOR else allocating:
            if w == RFM:
                check_rfm(b, [r for r in mine if r["kmbench"]["workload"] == w],
                          opts.get("rfm"), opts["repetitions"])
                continue
            if w == MATRIX:
                cells = [r for r in mine if r["kmbench"]["workload"] == w]
                want = matrix.get("cells", 0) if takes_node(b) else 0
                for t in threads:
                    got = {json.dumps(r["kmbench"]["params"], sort_keys=True) for r in cells
                           if r["threads"] == t}
                    check(len(got) == want and len([r for r in cells if r["threads"] == t])
                          == want * opts["repetitions"],
                          f"{b}/{w}/threads:{t}: {len(got)} cells, want {want}")
                for r in cells:
                    p = r["kmbench"]["params"]
                    check(p.get("policy") in MATRIX_POLICIES and p.get("buffer") ==
                          matrix.get("buffer") and isinstance(p.get("cpu_node"), int) and
                          (p.get("mem_node", -1) >= 0) != (p["policy"] == "interleave"),
                          f"{r.get('name')}: matrix params {p}")
                    check(r["kmbench"]["pin"] == f"node:{p.get('cpu_node')}",
                          f"{r.get('name')}: pin {r['kmbench']['pin']}")
                continue
            if w == TRACE and "trace" not in opts:
                check(not [r for r in mine if r["kmbench"]["workload"] == w],
                      f"{b}/{w}: runs without context.options.trace")
                continue
            if w == PROGRAM and "program" not in opts:
                check(not [r for r in mine if r["kmbench"]["workload"] == w],
                      f"{b}/{w}: runs without context.options.program")
                continue
            if w == PROGRAM:
                tmo = opts["program"].get("timeout_ms")
                check(isinstance(tmo, int) and tmo > 0, f"options.program.timeout_ms {tmo!r}")
                # a cell per program (options.program.programs) and thread count
                cells = [r for r in mine if r["kmbench"]["workload"] == w]
                names = {r["kmbench"]["params"].get("program") for r in cells}
                check(len(names) == len(opts["program"].get("programs", [])),
                      f"{b}/{w}: programs {sorted(names, key=str)}, want one a program of "
                      f"options.program.programs {opts['program'].get('programs')}")
                for name in names:
                    for t in threads:
                        n = len([r for r in cells if r["threads"] == t and
                                 r["kmbench"]["params"].get("program") == name])
                        check(n == opts["repetitions"], f"{b}/{w}/program:{name}/threads:{t}: "
                              f"{n} runs, want {opts['repetitions']}")
                continue
            # A workload without a size parameter (mix) has one cell per thread count.
            sized = any("size" in r["kmbench"]["params"] for r in mine
                        if r["kmbench"]["workload"] == w)
            # The failure rates: one cell each where the backend injects failures.
            rates = fails if w in FAIL_WORKLOADS and b in FAIL_BACKENDS else [None]
            for size in opts["sizes"] if sized else [None]:
                for fail in rates:
                    for t in threads:
                        cell = [r for r in mine if r["kmbench"]["workload"] == w and
                                r["kmbench"]["params"].get("size") == size and
                                r["kmbench"]["params"].get("fail") == fail and r["threads"] == t]
                        check(len(cell) == opts["repetitions"],
                              f"{b}/{w}/size:{size}/fail:{fail}/threads:{t}: {len(cell)} runs, "
                              f"want {opts['repetitions']}")
        for r in mine:
            where = r.get("name", "?")
            for k in RUN_KEYS:
                check(k in r, f"{where}: lacks {k}")
            m = r["kmbench"]
            if m["workload"] == "remote-free" and r["threads"] % 2:
                check(PAIRS_ERROR in str(r.get("error_message")),
                      f"{where}: an odd thread count must fail with '{PAIRS_ERROR}'")
                continue
            if m["workload"] == "vmtest-random-size" and m["backend"].startswith("slab"):
                check(SIZE_CACHES_ERROR in str(r.get("error_message")),
                      f"{where}: a backend with a cache per size must fail with "
                      f"'{SIZE_CACHES_ERROR}'")
                continue
            if m["workload"] == MATRIX and "threads but node" in str(r.get("error_message")):
                continue    # more threads than the cell's CPU node has CPUs: its plan says so
            if m["workload"] == PROGRAM:
                if not check_program(where, r, ctx["num_cpus"]):
                    continue
                sums.setdefault(m["params"].get("program"), {})[m["backend"]] = \
                    r["output_checksum"]
            check(not r.get("error_occurred"), f"{where}: failed: {r.get('error_message')}")
            check(r["time_unit"] == "ns" and r["real_time"] > 0, f"{where}: real_time")
            check(r.get("items_per_second", 0) > 0, f"{where}: items_per_second")
            if m["workload"] in NO_ALLOCATOR_WORKLOADS:
                check(m["params"] == {}, f"{where}: params {m['params']}, want {{}}")
                check("placement" not in m and "placement_ok" not in r,
                      f"{where}: placement of a workload that does not allocate")
            else:
                check_placement(r, where)
            if m["workload"] == MATRIX:
                check(r.get("load_ns", 0) > 0 and r.get("read_gbs", 0) > 0,
                      f"{where}: load_ns {r.get('load_ns')} read_gbs {r.get('read_gbs')}")
            if m["workload"] == "counter-percpu":
                check(r.get("percpu_rseq") in (0, 1), f"{where}: percpu_rseq")
            if m["workload"] in FAIL_WORKLOADS:
                check_pressure(where, r, m["params"])
                check(("fail" in m["params"]) == (b in FAIL_BACKENDS),
                      f"{where}: params {m['params']}: fail only on {sorted(FAIL_BACKENDS)}")
                check(f"/fail:{m['params']['fail']}/" in where if "fail" in m["params"]
                      else "/fail:" not in where, f"{where}: the name and params differ")
            else:
                check("fail" not in m["params"], f"{where}: fail on workload {m['workload']}")
            for k in ["backend", "workload", "params", "threads", "pin", "cpus", "nodes",
                      "host", "run_id"]:
                check(k in m, f"{where}: kmbench lacks {k}")
            # A merged file (kmbench merge) holds the rows of several runs, each its own.
            check(m["run_id"] in run_ids, f"{where}: run_id {m['run_id']} is not the "
                  f"context's, nor a merged run's")
            check(len(m["cpus"]) == r["threads"] == len(m["nodes"]), f"{where}: cpus/nodes")
            if m["pin"] != "none" and m["workload"] != RFM:    # its diagonal shares a CPU
                check(len(set(m["cpus"])) == len(m["cpus"]), f"{where}: two threads on one CPU")
            for c in avail:
                check(c in r, f"{where}: available counter {c} missing")
            for c in unavail:
                check(c not in r, f"{where}: unavailable counter {c} written")
            if "task_clock_ns" in r:
                check(r["task_clock_ns"] > 0, f"{where}: task_clock_ns not positive")
            key = (b, m["workload"], json.dumps(m["params"], sort_keys=True))
            families.setdefault(key, set()).add(r["family_index"])
    for name, by in sorted(sums.items()):
        check(len(set(by.values())) == 1, f"{PROGRAM}/program:{name}: the output checksums "
              f"differ between backends: {by}")
    # Nothing twice (a cell written twice, a --resume that ran a kept cell again): one row per
    # name and repetition, and per backend one repetition per place in its run order.
    seen, order = {}, {}
    for r in runs:
        key = (r.get("name"), r.get("repetition_index"))
        seen[key] = seen.get(key, 0) + 1
        if r["run_type"] == "iteration":
            seq = (r["kmbench"]["run_id"], r["kmbench"]["backend"], r["kmbench"].get("sequence"))
            check(seq[2] is not None and seq not in order,
                  f"{key}: kmbench.sequence {seq[2]} missing or also {order.get(seq)}")
            order[seq] = key
    for key, n in seen.items():
        check(n == 1, f"{key[0]} repetition {key[1]}: {n} rows")
    check(isinstance(ctx.get("interleave_seed"), int) and
          isinstance(opts.get("interleave"), bool),
          f"interleave_seed {ctx.get('interleave_seed')}, options.interleave "
          f"{opts.get('interleave')}")
    for key, idx in families.items():
        check(len(idx) == 1, f"family {key} has several family_index values {idx}")
    all_idx = [next(iter(v)) for v in families.values()]
    check(len(all_idx) == len(set(all_idx)), "two families share a family_index")

    skip = None if a.no_compare else check_compare(a.compare, a.file, runs)

    for f in failures:
        print("FAIL:", f)
    print(f"check_results: {len(failures)} problem(s) in {len(runs)} runs")
    if skip:
        print(f"SKIPPED: compare.py did not run: {skip}")
    return 1 if failures else SKIPPED if skip else 0


if __name__ == "__main__":
    sys.exit(main())
