#!/usr/bin/python3
"""The report's compare mode (report/kmb_compare.py): several results files, each against the
first, through report/kmbench_report.py as a user runs it.

The runs are made here, seeded: 12 cells of 9 repetitions, each repetition its cell's time
times a noise factor within +-3%.  Checked, each number recomputed here without the report's
code (the U test through scipy directly, the medians and the geometric mean by hand):

  - noise alone is not flagged: no cell slower or faster;
  - a 20% slowdown planted in one cell is flagged slower, that cell alone, with its change and
    p-value; a 20% speedup planted in another is flagged faster; slower comes first;
  - the geometric mean of the time ratios in the sentence;
  - rows from two hosts (a merged multi-host run) are grouped by host pair;
  - too few repetitions for the U test to reach 0.05 (3 and 3) flags nothing;
  - a truncated, a foreign and a missing file: one line naming the file, exit 2.

Run: /usr/bin/python3 tests/report/test_report_compare.py   (KMB_SOURCE_DIR: the repository root)
"""
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

try:
    from scipy.stats import mannwhitneyu
except ImportError:   # scripts/test installs python3-scipy
    print("skipped: python3-scipy is not installed")
    sys.exit(77)

BACKENDS = ["glibc", "slab", "kmalloc"]
SIZES = [64, 256]
THREADS = [1, 2]
REPS = 9
SLOW_CELL = ("slab", 256, 2)
FAST_CELL = ("kmalloc", 64, 1)


def base_ns(backend, size, threads):
    return 10.0 + 3 * BACKENDS.index(backend) + size / 64 + threads


def make_run(path, seed, factor=None, reps=REPS, hosts=None, run_id=None):
    """A results file of every cell, REPS repetitions each with +-3% noise; factor: {cell:
    multiplier}; hosts: {cell: host} for rows of another host than the context's."""
    rng = random.Random(seed)
    rows = []
    for b in BACKENDS:
        for s in SIZES:
            for t in THREADS:
                cell = (b, s, t)
                for i in range(reps):
                    ns = base_ns(*cell) * (factor or {}).get(cell, 1.0) * rng.uniform(0.97, 1.03)
                    name = f"churn/{b}/size:{s}/real_time/threads:{t}"
                    rows.append({
                        "name": name, "run_name": name, "run_type": "iteration",
                        "repetitions": reps, "repetition_index": i, "threads": t,
                        "iterations": 1000, "real_time": ns / t, "cpu_time": ns / t,
                        "time_unit": "ns",
                        "kmbench": {"backend": b, "workload": "churn", "params": {"size": s},
                                    "threads": t,
                                    "host": (hosts or {}).get(cell, "hosta")}})
    ctx = {"run_id": run_id or os.path.basename(os.path.dirname(path)), "host_name": "hosta",
           "git_commit": "0123456789ab", "date": "2026-12-07T00:00:00Z"}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"context": ctx, "benchmarks": rows}, f)
    return path


def samples(path):
    """{(backend, size, threads): [ns per op per thread]} read back here."""
    out = {}
    with open(path) as f:
        rows = json.load(f)["benchmarks"]
    for r in rows:
        k = r["kmbench"]
        out.setdefault((k["backend"], k["params"]["size"], k["threads"]), []).append(
            r["real_time"] * r["threads"])
    return out


def table(text, table_id):
    parsed = ru.parse(text)
    return ru.table_rows(parsed, table_id) if table_id in parsed.tables else []


class Compare(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.base = make_run(os.path.join(self.tmp, "base", "results.json"), 1, run_id="base")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def report(self, *paths):
        out = os.path.join(self.tmp, "compare.html")
        p = ru.run_report(*paths, "-o", out, "--summary")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out) as f:
            return f.read(), p.stdout

    def test_noise_is_not_flagged(self):
        other = make_run(os.path.join(self.tmp, "noise", "results.json"), 2, run_id="noise")
        page, out = self.report(self.base, os.path.dirname(other))   # a run directory too
        self.assertEqual(table(page, "compare-1-slower"), [])
        self.assertEqual(table(page, "compare-1-faster"), [])
        self.assertIn("0 significantly slower, 0 significantly faster", out)
        self.assertEqual(len(table(page, "compare-1-rest")), len(BACKENDS) * len(SIZES) * 2)

    def test_planted_regression_is_flagged(self):
        other = make_run(os.path.join(self.tmp, "slow", "results.json"), 3, run_id="slow",
                         factor={SLOW_CELL: 1.2, FAST_CELL: 0.8})
        page, out = self.report(self.base, other)
        slower = table(page, "compare-1-slower")
        faster = table(page, "compare-1-faster")
        self.assertEqual([(r["backend"], r["parameters"], r["threads"]) for r in slower],
                         [("slab", "size:256", "2")])
        self.assertEqual([(r["backend"], r["parameters"], r["threads"]) for r in faster],
                         [("kmalloc", "size:64", "1")])
        a, b = samples(self.base), samples(other)
        for row, cell in ((slower[0], SLOW_CELL), (faster[0], FAST_CELL)):
            change = statistics.median(b[cell]) / statistics.median(a[cell]) - 1
            p = mannwhitneyu(a[cell], b[cell], alternative="two-sided").pvalue
            self.assertEqual(row["change"], f"{change * 100:+.1f}%")
            self.assertEqual(row["p (U test)"], f"{p:.3g}" if p >= 0.001 else f"{p:.1e}")
            self.assertEqual(row["repetitions"], f"{REPS} vs {REPS}")
        # Slower first, in the page and in --summary.
        self.assertLess(page.index('id="compare-1-slower"'), page.index('id="compare-1-faster"'))
        lines = [line.split() for line in out.splitlines() if line.startswith("  ")]
        self.assertEqual([line[0] for line in lines], ["slower", "faster"])
        # The geometric mean of every cell's ratio of medians.
        g = math.exp(statistics.fmean(math.log(statistics.median(b[k]) / statistics.median(a[k]))
                                      for k in a))
        self.assertIn(f"geometric mean of the time ratios {g:.3f}x", out)
        m = re.search(r'id="compare-1-sentence">([^<]*)<', page)
        self.assertIn(f"{g:.3f}x", m.group(1))
        self.assertIn("1 significantly slower, 1 significantly faster", m.group(1))

    def test_hosts_are_grouped(self):
        hosts = {(b, s, t): "hostb" for b in BACKENDS for s in SIZES for t in THREADS if t == 2}
        other = make_run(os.path.join(self.tmp, "merged", "results.json"), 4, hosts=hosts,
                         factor={SLOW_CELL: 1.2})
        page, _ = self.report(self.base, other)
        rows = table(page, "compare-1-hosts")
        self.assertEqual(sorted((r["baseline host"], r["host"], r["cells"], r["slower"])
                                for r in rows),
                         [("hosta", "hosta", "6", "0"), ("hosta", "hostb", "6", "1")])

    def test_too_few_repetitions_flag_nothing(self):
        base = make_run(os.path.join(self.tmp, "few-a", "results.json"), 5, reps=3)
        other = make_run(os.path.join(self.tmp, "few-b", "results.json"), 6, reps=3,
                         factor={SLOW_CELL: 1.5})
        page, out = self.report(base, other)
        self.assertEqual(table(page, "compare-1-slower"), [])
        self.assertIn("12 with too few repetitions to test", out)

    def test_three_runs_each_against_the_first(self):
        b = make_run(os.path.join(self.tmp, "b", "results.json"), 7, factor={SLOW_CELL: 1.2})
        c = make_run(os.path.join(self.tmp, "c", "results.json"), 8)
        page, _ = self.report(self.base, b, c)
        self.assertEqual(len(table(page, "compare-1-slower")), 1)
        self.assertEqual(table(page, "compare-2-slower"), [])

    def test_bad_files(self):
        trunc = os.path.join(self.tmp, "trunc.json")
        with open(self.base) as f, open(trunc, "w") as g:
            g.write(f.read()[:500])
        foreign = os.path.join(self.tmp, "foreign.json")
        with open(foreign, "w") as g:
            json.dump({"name": "not a results file"}, g)
        for bad, what in ((trunc, "not valid JSON"), (foreign, 'no "benchmarks" key'),
                          (os.path.join(self.tmp, "missing.json"), "cannot read")):
            p = ru.run_report(self.base, bad, "-o", os.path.join(self.tmp, "x.html"))
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
            self.assertIn(bad, p.stderr)
            self.assertIn(what, p.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.tmp, "x.html")))


if __name__ == "__main__":
    unittest.main()
