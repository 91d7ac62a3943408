#!/usr/bin/python3
"""`kmbench check RUN --baseline BASE [--reference NAME] [--all]`: a run compared with a
baseline run of the same experiment (README.md, docs/experiments.md). `kmbench check` in
harness/main.c runs this file with /usr/bin/python3 (numpy and scipy from Debian).

RUN and BASE are run directories (their results.json) or results.json files.

What is compared. Timings are compared as ratios within each run: each cell's time (a
workload, its parameters and a thread count, on one backend) divided by the reference
backend's time in the same cell of the same run, so that runs from different machines compare;
the reference's own ratio is not checked. Per cell and metric (the experiment's `check` key:
real_time, cpu_time), the repetitions of RUN and of BASE give two samples of ratios:
repetition k's time over the median of the reference cell's repetitions in its own run. The
change is the ratio of the two samples' medians, less 1: (median RUN / median RUN reference) /
(median BASE / median BASE reference) - 1. The two samples are compared with the Mann-Whitney U
test, two-sided, as Google Benchmark's tools/gbench/report.py (calc_utest) compares the
repetitions of two runs (scipy.stats.mannwhitneyu, its default method).

A cell is a regression when it is slower by more than the metric's tolerance AND the U test's
p-value is below alpha: a change within the tolerance is never one, however sure, and a change
the test cannot tell from noise is reported but is not one. The reference's median is taken as
the fixed unit of its run: its own noise moves every ratio of the run alike and is not in the
p-value, which is why a regression also needs the tolerance. A cell that ran in BASE and failed
or is missing in RUN is a regression too.

The U test has a floor: with n and m repetitions its smallest p-value is 2 / C(n+m, n) (0.1 at
3 against 3), so where that is not below alpha the check cannot find anything and says so
(exit 2); below 9 repetitions it warns, as report.py does (UTEST_OPTIMAL_REPETITIONS).

Exit status: 0, no significant regression; 1, at least one (a table names each: cell, metric,
baseline ratio, run ratio, change, p-value, verdict); 2, bad input (one line on stderr: a
missing, truncated or foreign file, runs of different experiments, a reference one of them
lacks, too few repetitions).
"""
import json
import os
import sys

import kmb_experiments

METRICS = kmb_experiments.CHECK_METRICS
# The options that make the matrix: two runs that differ in one are not of one experiment.
# Thread counts may differ (`--threads max` on another machine): the counts of both compare.
MATRIX = ("experiment", "backends", "workloads", "sizes", "batch", "backend_options",
          "workload_options", "numa_policy")
# Options whose difference changes the timings but not the cells: a warning each.
NOTED = ("min_time", "repetitions", "pin", "experiment_hash")
UTEST_OPTIMAL_REPETITIONS = 9   # Google Benchmark's tools/gbench/report.py


class BadInput(Exception):
    """Bad input: one line, exit status 2."""


def _fmt(value):
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


def load(path, which):
    """The results document of RUN or BASE (@which) at @path: a run directory or a
    results.json. BadInput when it cannot be read or is not kmbench's."""
    file = os.path.join(path, "results.json") if os.path.isdir(path) else path
    if not os.path.exists(file):
        raise BadInput(f"{which} {path}: " + ("no results.json in this directory"
                                              if file != path else
                                              "no such run directory or results file") +
                       "; give a run directory or the results.json `kmbench run` wrote")
    try:
        with open(file, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{which} {file}: cannot read it: {getattr(e, 'strerror', None) or e}")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{which} {file}: not JSON ({e.msg} at line {e.lineno} column "
                       f"{e.colno}): a file cut short, or not a results file")
    ctx = doc.get("context") if isinstance(doc, dict) else None
    if not isinstance(ctx, dict) or "kmbench_version" not in ctx or \
            not isinstance(doc.get("benchmarks"), list) or \
            not isinstance(ctx.get("options"), dict):
        raise BadInput(f"{which} {file}: not kmbench results (no context.kmbench_version, "
                       f"context.options and benchmarks); give a run directory or the "
                       f"results.json `kmbench run` wrote")
    doc["_path"] = file
    return doc


def settings(doc):
    """The check settings a run records (context.options.check, written since the check key);
    for older results, its directory's copy of the experiment file, else the defaults."""
    recorded = doc["context"]["options"].get("check")
    if isinstance(recorded, dict) and "tolerance" in recorded:
        return {"reference": recorded.get("reference", "glibc"),
                "alpha": float(recorded.get("alpha", 0.05)),
                "tolerance": {m: float(v) for m, v in recorded["tolerance"].items()
                              if m in METRICS},
                "from": recorded.get("from", "experiment")}
    name = doc["context"]["options"].get("experiment")
    copy = os.path.join(os.path.dirname(doc.get("_path", "")), kmb_experiments.COPY)
    try:
        for exp in kmb_experiments.load(copy) if os.path.exists(copy) else []:
            if exp["name"] == name:
                return kmb_experiments.check_settings(exp.get("check"))
    except (OSError, kmb_experiments.ExperimentError):
        pass
    return kmb_experiments.check_settings(None)


class Cell:
    """One cell of one run: its rows' name, each metric's values over the repetitions that
    did not fail, and the first error of one that did."""

    def __init__(self, name):
        self.name = name
        self.values = {m: [] for m in METRICS}
        self.error = None


def cells(doc, which):
    """{(backend, cell key): Cell} of the iteration rows of @doc."""
    out = {}
    for i, row in enumerate(doc["benchmarks"]):
        if not isinstance(row, dict) or row.get("run_type", "iteration") != "iteration":
            continue
        try:
            k = row["kmbench"]
            params = tuple(sorted((str(p), _fmt(v)) for p, v in k.get("params", {}).items()))
            key = (k["backend"], (k["workload"], params, int(k.get("threads",
                                                                   row["threads"]))))
            cell = out.setdefault(key, Cell(row.get("run_name", row["name"])))
            if row.get("error_occurred"):
                cell.error = cell.error or str(row.get("error_message", "failed"))
                continue
            for m in METRICS:
                cell.values[m].append(float(row[m]))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise BadInput(f"{which} {doc['_path']}: benchmarks[{i}] is not a kmbench row "
                           f"(bad or missing {e}); the file was not written by `kmbench run`")
    return out


def utest(old, new):
    """The two-sided p-value of the Mann-Whitney U test of two samples: Google Benchmark's
    report.py calc_utest, mannwhitneyu(old, new, alternative='two-sided').pvalue.  The check
    and the report's compare mode (kmb_compare.py) both test through this."""
    from scipy.stats import mannwhitneyu
    return float(mannwhitneyu(old, new, alternative="two-sided").pvalue)


def min_pvalue(n, m):
    """The smallest two-sided p-value of the U test at @n against @m values (no ties): two
    samples wholly apart."""
    return utest(list(range(n)), list(range(n, n + m)))


def median(values):
    import numpy
    return float(numpy.median(values))


def compare_cell(run, run_ref, base, base_ref, tolerance, alpha):
    """One metric of one cell: the values of RUN's cell and reference cell, and of BASE's.
    {base_ratio, run_ratio, change, pvalue, verdict, regression} (the ratios are the medians
    of each run's per-repetition ratios)."""
    run_ratios = [v / median(run_ref) for v in run]
    base_ratios = [v / median(base_ref) for v in base]
    base_ratio, run_ratio = median(base_ratios), median(run_ratios)
    change = run_ratio / base_ratio - 1
    pvalue = utest(base_ratios, run_ratios)
    significant = pvalue < alpha
    if abs(change) <= tolerance:
        verdict = "same"
    elif not significant:
        verdict = "not significant"
    else:
        verdict = "SLOWER" if change > 0 else "faster"
    return {"base_ratio": base_ratio, "run_ratio": run_ratio, "change": change,
            "pvalue": pvalue, "verdict": verdict, "regression": verdict == "SLOWER"}


def _same_machine(run, base):
    """One warning line per way the machines (or builds) differ."""
    out = []
    for key, what in (("git_commit", "git commit"), ("host_name", "host"),
                      ("cpu_model", "CPU model")):
        if run.get(key) != base.get(key):
            out.append(f"{what}: RUN {_fmt(run.get(key))}, BASE (recorded) "
                       f"{_fmt(base.get(key))}")
    topo = [{k: (c.get("topology") or {}).get(k) for k in ("packages", "cores", "pus",
                                                          "numa_nodes")}
            for c in (run, base)]
    if topo[0] != topo[1]:
        out.append("topology: RUN " + ", ".join(f"{v} {k}" for k, v in topo[0].items()) +
                   "; BASE (recorded) " + ", ".join(f"{v} {k}" for k, v in topo[1].items()))
    return out


def check(run_doc, base_doc, reference=None):
    """RUN against BASE. {rows, warnings, settings, compared, skipped, regressions};
    BadInput where they cannot be compared."""
    ro, bo = run_doc["context"]["options"], base_doc["context"]["options"]
    warnings = []
    for key in MATRIX:
        if ro.get(key) != bo.get(key):
            raise BadInput(f"RUN and BASE are not runs of one experiment: {key} is "
                           f"{_fmt(ro.get(key))} in RUN and {_fmt(bo.get(key))} in BASE; "
                           f"check a run against a baseline of the same experiment "
                           f"(`kmbench reproduce BASE` makes one)")
    for key in NOTED:
        if ro.get(key) != bo.get(key):
            warnings.append(f"{key}: {_fmt(ro.get(key))} in RUN, {_fmt(bo.get(key))} in BASE")
    warnings += _same_machine(run_doc["context"], base_doc["context"])
    conf = settings(run_doc)
    if {k: v for k, v in settings(base_doc).items() if k != "from"} != \
            {k: v for k, v in conf.items() if k != "from"}:
        warnings.append("the check settings BASE records differ from RUN's; RUN's are used")
    ref = reference or conf["reference"]
    conf = dict(conf, reference=ref)
    rc, bc = cells(run_doc, "RUN"), cells(base_doc, "BASE")
    for which, doc, cs in (("RUN", run_doc, rc), ("BASE", base_doc, bc)):
        if not any(b == ref and not c.error for (b, _), c in cs.items()):
            have = sorted({b for b, _ in rc} & {b for b, _ in bc})
            raise BadInput(f"{which} {doc['_path']}: no cell of the reference backend "
                           f"'{ref}' to divide by; give --reference NAME, one of the backends "
                           f"both runs have: {', '.join(have) or 'none'}")
    threads = [set(d["context"]["options"].get("threads") or []) for d in (run_doc, base_doc)]
    if threads[0] != threads[1]:
        warnings.append(f"threads: {sorted(threads[0])} in RUN, {sorted(threads[1])} in BASE; "
                        f"only the thread counts of both are compared")
    status = [run_doc["context"].get("backends") or {}, base_doc["context"].get("backends")
              or {}]
    skipped = set()
    for which, st in zip(("RUN", "BASE"), status):
        for b, s in st.items():
            if isinstance(s, dict) and s.get("status") == "skipped":
                skipped.add(b)
                warnings.append(f"backend {b} was skipped in {which} ({s.get('reason', '')}); "
                                f"its cells are not checked")
    nrun, nbase = ro.get("repetitions", 0), bo.get("repetitions", 0)
    floor = min_pvalue(nrun, nbase) if min(nrun, nbase) >= 1 else 1.0
    if floor >= conf["alpha"]:
        raise BadInput(f"too few repetitions: {nrun} in RUN and {nbase} in BASE, whose U test "
                       f"cannot give a p-value below {floor:.3g}, not below alpha "
                       f"{conf['alpha']:g}, so no regression could be found; run both with "
                       f"--repetitions 5 or more ({UTEST_OPTIMAL_REPETITIONS} or more "
                       f"recommended)")
    if min(nrun, nbase) < UTEST_OPTIMAL_REPETITIONS:
        warnings.append(f"{nrun} and {nbase} repetitions: the U test is less reliable below "
                        f"{UTEST_OPTIMAL_REPETITIONS} (Google Benchmark's report.py says "
                        f"the same)")
    rows, compared, not_checked, new = [], 0, 0, 0
    for key, base in sorted(bc.items(), key=lambda kv: kv[1].name):
        backend, cell = key
        if backend in skipped or cell[2] not in threads[0] & threads[1] or base.error:
            not_checked += 1
            continue
        run = rc.get(key)
        if run is None or run.error:
            rows.append({"cell": base.name, "metric": "-", "verdict": "MISSING" if run is None
                         else "FAILED", "regression": True,
                         "why": run.error if run else "the cell has no row in RUN"})
            continue
        if backend == ref:
            continue
        rref, bref = rc.get((ref, cell)), bc.get((ref, cell))
        if not rref or not bref or rref.error or bref.error:
            not_checked += 1
            continue
        compared += 1
        for metric, tol in conf["tolerance"].items():
            r = compare_cell(run.values[metric], rref.values[metric], base.values[metric],
                             bref.values[metric], tol, conf["alpha"])
            rows.append(dict(r, cell=base.name, metric=metric, tolerance=tol))
    if not compared and not rows:
        raise BadInput(f"no cell to compare: none of BASE's cells but the reference's has a "
                       f"cell in RUN at a thread count both ran ({sorted(threads[0])} in RUN, "
                       f"{sorted(threads[1])} in BASE) with a reference cell in each")
    new = sum(1 for k in rc if k not in bc)
    return {"rows": rows, "warnings": warnings, "settings": conf, "compared": compared,
            "not_checked": not_checked, "new": new,
            "regressions": sum(1 for r in rows if r["regression"])}


def table(rows):
    """The rows as a table, regressions first."""
    head = ("cell", "metric", "baseline ratio", "run ratio", "change", "p-value", "verdict")
    lines = []
    for r in sorted(rows, key=lambda r: (not r["regression"], r["cell"], r["metric"])):
        if "change" in r:
            lines.append((r["cell"], r["metric"], f"{r['base_ratio']:.4f}",
                          f"{r['run_ratio']:.4f}", f"{100 * r['change']:+.1f}%",
                          f"{r['pvalue']:.4f}", r["verdict"]))
        else:
            lines.append((r["cell"], "-", "-", "-", "-", "-", f"{r['verdict']}: {r['why']}"))
    width = [max(len(x[i]) for x in [head] + lines) for i in range(len(head) - 1)]
    return "\n".join("  ".join(x[i].ljust(width[i]) if i < len(width) else x[i]
                               for i in range(len(head))).rstrip() for x in [head] + lines)


USAGE = ("give RUN --baseline BASE [--reference NAME] [--all] (RUN, BASE: run directories or "
         "results.json files)")


def parse_args(argv):
    """{run, baseline, reference, all} from @argv; BadInput on anything else."""
    out = {"run": None, "baseline": None, "reference": None, "all": False}
    i = 0
    while i < len(argv):
        a = argv[i]
        name, eq, val = a.partition("=")
        if name in ("--baseline", "--reference"):
            if not eq:
                if i + 1 >= len(argv):
                    raise BadInput(f"{name} needs a value; {USAGE}")
                i += 1
                val = argv[i]
            out[name[2:]] = val
        elif a == "--all":
            out["all"] = True
        elif a.startswith("-"):
            raise BadInput(f"unknown option '{a}'; valid: --baseline, --reference, --all")
        elif out["run"] is None:
            out["run"] = a
        else:
            raise BadInput(f"unexpected argument '{a}'; {USAGE}")
        i += 1
    if not out["run"] or not out["baseline"]:
        raise BadInput(f"{'--baseline BASE' if out['run'] else 'RUN'} is missing; {USAGE}")
    return out


def main(argv):
    try:
        import numpy  # noqa: F401
        import scipy.stats  # noqa: F401
    except ImportError as e:
        print(f"kmbench check: needs numpy and scipy in /usr/bin/python3 ({e}); on Debian: "
              f"apt-get install python3-scipy", file=sys.stderr)
        return 2
    try:
        args = parse_args(argv)
        run_doc = load(args["run"], "RUN")
        base_doc = load(args["baseline"], "BASE")
        res = check(run_doc, base_doc, args["reference"])
    except BadInput as e:
        print(f"kmbench check: {e}", file=sys.stderr)
        return 2
    for w in res["warnings"]:
        print(f"kmbench check: warning: {w}", file=sys.stderr)
    conf = res["settings"]
    shown = [r for r in res["rows"] if args["all"] or r["verdict"] != "same"]
    if shown:
        print(table(shown))
    tol = ", ".join(f"{m} {100 * t:g}%" for m, t in conf["tolerance"].items())
    n = res["compared"]
    parts = [f"{n} cell{'s' if n != 1 else ''} compared as ratios to {conf['reference']} "
             f"(tolerance {tol}, alpha {conf['alpha']:g}, from the {conf['from']} settings)"]
    if res["not_checked"]:
        parts.append(f"{res['not_checked']} not checked (no reference cell, skipped or failed "
                     f"in BASE)")
    if res["new"]:
        parts.append(f"{res['new']} new in RUN")
    k = res["regressions"]
    parts.append(f"{k} significant regression{'s' if k != 1 else ''}" if k
                 else "no significant regression")
    print(f"kmbench check: {args['run']} against {args['baseline']}: " + "; ".join(parts))
    return 1 if res["regressions"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
