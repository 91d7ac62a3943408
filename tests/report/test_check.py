#!/usr/bin/python3
"""The statistics of `kmbench check` (report/kmb_check.py) on results built here, where every
number is known: the ratios and the change recomputed independently (statistics.median, by
hand), the p-value against scipy.stats.mannwhitneyu called directly and, for samples wholly
apart, against the exact value 2 / C(n+m, n); the verdicts (a change within the tolerance, a
change the test cannot tell from noise, slower, faster); what is not checked (the reference,
cells without a reference cell) and what fails (a cell failed or missing in RUN); bad input.
The check key of experiment files, read by report/kmb_experiments.py: defaults, and each error
naming its file, line and the valid choices.

Run: /usr/bin/python3 tests/report/test_check.py   (77 without scipy)
"""
import copy
import math
import os
import statistics
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

sys.path.insert(0, os.path.dirname(ru.REPORT))
try:
    from scipy.stats import mannwhitneyu
except ImportError:
    print("no scipy for this python: skipped")
    sys.exit(77)
import kmb_check as kc  # noqa: E402
import kmb_experiments as kx  # noqa: E402


def doc(times, repetitions=None, threads=(1,), check=None, errors=()):
    """Results of one churn cell per backend and thread count: @times {backend: [real_time
    of each repetition]} (cpu_time the same less 1 ns); @errors: backends whose rows failed."""
    reps = repetitions or max(len(v) for v in times.values())
    rows = []
    for backend, values in times.items():
        for t in threads:
            for i, v in enumerate(values):
                name = f"churn/{backend}/size:64/batch:1/real_time/threads:{t}"
                row = {"name": name, "run_name": name, "run_type": "iteration",
                       "repetition_index": i, "threads": t, "real_time": v,
                       "cpu_time": v - 1,
                       "kmbench": {"backend": backend, "workload": "churn",
                                   "params": {"size": 64, "batch": 1}, "threads": t}}
                if backend in errors:
                    row.update(error_occurred=True, error_message=f"{backend} broke")
                rows.append(row)
    options = {"experiment": "t", "backends": list(times), "workloads": ["churn"],
               "sizes": [64], "batch": [1], "threads": list(threads), "repetitions": reps,
               "backend_options": {}, "workload_options": {}, "numa_policy": "default"}
    if check:
        options["check"] = check
    return {"context": {"kmbench_version": "0.1.0", "git_commit": "abc", "host_name": "h",
                        "cpu_model": "c", "topology": {"pus": 2}, "options": options,
                        "backends": {b: {"status": "ok"} for b in times}},
            "benchmarks": rows, "_path": "mem"}


GLIBC = [10.0, 10.2, 9.9, 10.1, 10.3, 9.8, 10.0, 10.05, 9.95]
SLAB = [20.0, 21.0, 19.5, 20.5, 20.2, 19.8, 20.1, 20.3, 19.9]


def scaled(values, f):
    return [v * f for v in values]


def row_of(res, backend="slab", metric="real_time"):
    return next(r for r in res["rows"] if f"/{backend}/" in r["cell"] and r["metric"] == metric)


class Ratios(unittest.TestCase):
    def test_recomputed_by_hand(self):
        base = doc({"glibc": GLIBC, "slab": SLAB})
        run_glibc, run_slab = scaled(GLIBC, 2.0), scaled(SLAB, 2.3)   # another machine
        res = kc.check(doc({"glibc": run_glibc, "slab": run_slab}), base)
        got = row_of(res)
        base_ratios = [v / statistics.median(GLIBC) for v in SLAB]
        run_ratios = [v / statistics.median(run_glibc) for v in run_slab]
        self.assertAlmostEqual(got["base_ratio"], statistics.median(base_ratios), places=12)
        self.assertAlmostEqual(got["run_ratio"], statistics.median(run_ratios), places=12)
        # 2.3 / 2.0: the machine's factor cancels, the slab's own 15% stays
        self.assertAlmostEqual(got["change"], 0.15, places=12)
        self.assertAlmostEqual(got["pvalue"], mannwhitneyu(base_ratios, run_ratios,
                                                           alternative="two-sided").pvalue)
        self.assertEqual(got["verdict"], "SLOWER")
        self.assertEqual(res["regressions"], 1)     # real_time, the one metric by default
        self.assertEqual(res["compared"], 1)

    def test_reference_not_checked(self):
        res = kc.check(doc({"glibc": GLIBC, "slab": SLAB}), doc({"glibc": GLIBC, "slab": SLAB}))
        self.assertEqual([r["cell"].split("/")[1] for r in res["rows"]], ["slab"])

    def test_cpu_time_checked_when_the_experiment_asks(self):
        check = {"reference": "glibc", "alpha": 0.05, "tolerance": {"cpu_time": 0.05}}
        res = kc.check(doc({"glibc": GLIBC, "slab": SLAB}, check=check),
                       doc({"glibc": GLIBC, "slab": SLAB}, check=check))
        self.assertEqual([r["metric"] for r in res["rows"]], ["cpu_time"])


class UTest(unittest.TestCase):
    def test_pvalue_is_scipys(self):
        for f in (0.9, 1.0, 1.03, 1.1, 1.5):
            run = scaled(SLAB[::-1], f)
            got = kc.compare_cell(run, GLIBC, SLAB, GLIBC, 0.1, 0.05)
            want = mannwhitneyu([v / statistics.median(GLIBC) for v in SLAB],
                                [v / statistics.median(GLIBC) for v in run],
                                alternative="two-sided").pvalue
            self.assertAlmostEqual(got["pvalue"], want, places=15)

    def test_exact_for_samples_apart(self):
        """8 against 8 wholly apart: the exact two-sided p-value is 2 / C(16, 8) (scipy's
        default method is exact up to 8 values a sample without ties, as report.py has it;
        from 9 on the normal approximation, which min_pvalue follows)."""
        got = kc.compare_cell(scaled(SLAB[:8], 2), GLIBC, SLAB[:8], GLIBC, 0.1, 0.05)
        self.assertAlmostEqual(got["pvalue"], 2 / math.comb(16, 8), places=12)
        self.assertAlmostEqual(kc.min_pvalue(8, 8), 2 / math.comb(16, 8), places=12)
        self.assertAlmostEqual(kc.min_pvalue(3, 3), 0.1, places=12)
        self.assertAlmostEqual(kc.min_pvalue(9, 9), mannwhitneyu(
            range(9), range(9, 18), alternative="two-sided").pvalue, places=15)

    def test_identical(self):
        got = kc.compare_cell(SLAB, GLIBC, SLAB, GLIBC, 0.1, 0.05)
        self.assertEqual((got["change"], got["pvalue"], got["verdict"]), (0.0, 1.0, "same"))


class Verdicts(unittest.TestCase):
    def verdict(self, run, tol=0.1, alpha=0.05):
        return kc.compare_cell(run, GLIBC, SLAB, GLIBC, tol, alpha)["verdict"]

    def test_each(self):
        self.assertEqual(self.verdict(scaled(SLAB, 1.2)), "SLOWER")
        self.assertEqual(self.verdict(scaled(SLAB, 0.8)), "faster")
        self.assertEqual(self.verdict(scaled(SLAB, 1.05)), "same")   # significant, but small
        self.assertEqual(self.verdict(scaled(SLAB, 1.2), tol=0.25), "same")
        # 20% slower in the median, but one sample in the other's range: not sure enough
        noisy = scaled(SLAB, 1.2)
        noisy[:4] = [15.0, 16.0, 17.0, 18.0]
        got = kc.compare_cell(noisy, GLIBC, SLAB, GLIBC, 0.1, 0.001)
        self.assertGreater(got["change"], 0.1)
        self.assertEqual(got["verdict"], "not significant")

    def test_noise_within_tolerance(self):
        import random
        rnd = random.Random(1)
        for _ in range(20):
            run = {b: [v * rnd.uniform(0.97, 1.03) for v in vals]
                   for b, vals in (("glibc", GLIBC), ("slab", SLAB))}
            res = kc.check(doc(run), doc({"glibc": GLIBC, "slab": SLAB}))
            self.assertEqual(res["regressions"], 0)

    def test_slower_reference_is_no_regression(self):
        res = kc.check(doc({"glibc": scaled(GLIBC, 1.3), "slab": SLAB}),
                       doc({"glibc": GLIBC, "slab": SLAB}))
        self.assertEqual(res["regressions"], 0)
        self.assertEqual(row_of(res)["verdict"], "faster")


class Cells(unittest.TestCase):
    def test_failed_and_missing(self):
        base = doc({"glibc": GLIBC, "slab": SLAB, "kmalloc": SLAB})
        res = kc.check(doc({"glibc": GLIBC, "slab": SLAB, "kmalloc": SLAB},
                           errors=("kmalloc",)), base)
        self.assertEqual([(r["verdict"], r["why"]) for r in res["rows"] if r["regression"]],
                         [("FAILED", "kmalloc broke")])
        run = doc({"glibc": GLIBC, "slab": SLAB, "kmalloc": SLAB})
        run["benchmarks"] = [r for r in run["benchmarks"] if r["kmbench"]["backend"] != "slab"]
        res = kc.check(run, base)
        self.assertEqual([r["verdict"] for r in res["rows"] if r["regression"]], ["MISSING"])

    def test_no_reference_cell(self):
        run = doc({"glibc": GLIBC, "slab": SLAB})
        extra = copy.deepcopy(run["benchmarks"][0])
        extra["kmbench"].update(backend="no-allocator", workload="counter-percpu", params={})
        run["benchmarks"].append(extra)
        res = kc.check(run, copy.deepcopy(run))
        self.assertEqual((res["compared"], res["not_checked"]), (1, 1))

    def test_thread_counts_of_both(self):
        res = kc.check(doc({"glibc": GLIBC, "slab": SLAB}, threads=(1, 2)),
                       doc({"glibc": GLIBC, "slab": SLAB}, threads=(1, 4)))
        self.assertEqual(res["compared"], 1)
        self.assertTrue(any(w.startswith("threads:") for w in res["warnings"]))


class Bad(unittest.TestCase):
    def test_each(self):
        good = doc({"glibc": GLIBC, "slab": SLAB})
        other = doc({"glibc": GLIBC, "slab": SLAB})
        other["context"]["options"]["sizes"] = [128]
        for run, base, ref, want in (
                (other, good, None, "not runs of one experiment: sizes"),
                (good, good, "jemalloc", "reference backend 'jemalloc'"),
                (doc({"glibc": GLIBC[:3], "slab": SLAB[:3]}),
                 doc({"glibc": GLIBC[:3], "slab": SLAB[:3]}), None, "too few repetitions"),
                (doc({"glibc": GLIBC, "slab": SLAB}, errors=("glibc",)), good, None,
                 "no cell of the reference backend 'glibc'")):
            with self.assertRaisesRegex(kc.BadInput, want):
                kc.check(run, base, ref)

    def test_nothing_to_compare(self):
        with self.assertRaisesRegex(kc.BadInput, r"no cell to compare: .*\[2\] in RUN, \[4\]"):
            kc.check(doc({"glibc": GLIBC, "slab": SLAB}, threads=(2,)),
                     doc({"glibc": GLIBC, "slab": SLAB}, threads=(4,)))

    def test_args(self):
        self.assertEqual(kc.parse_args(["r", "--baseline=b", "--reference", "slab"]),
                         {"run": "r", "baseline": "b", "reference": "slab", "all": False})
        for argv, want in ((["r"], "--baseline BASE is missing"),
                           (["r", "--baseline"], "--baseline needs a value"),
                           (["r", "--x"], "unknown option '--x'"),
                           (["r", "s", "--baseline", "b"], "unexpected argument 's'")):
            with self.assertRaisesRegex(kc.BadInput, want):
                kc.parse_args(argv)


EXP = "experiments:\n  - name: t\n    backends: [glibc, slab]\n"


class CheckKey(unittest.TestCase):
    def test_defaults(self):
        self.assertNotIn("check", kx.parse(EXP)[0])
        self.assertEqual(kx.check_settings(None), {"reference": "glibc", "alpha": 0.05,
                                                   "tolerance": {"real_time": 0.1},
                                                   "from": "default"})
        got = kx.parse(EXP + "    check: {tolerance: {cpu_time: 2.5%}}\n")[0]["check"]
        self.assertEqual(got, {"tolerance": {"cpu_time": "2.5%"}})
        self.assertEqual(kx.check_settings(got), {"reference": "glibc", "alpha": 0.05,
                                                  "tolerance": {"cpu_time": 0.025},
                                                  "from": "experiment"})

    def test_errors(self):
        for text, want in (
                ("    check: {referenc: glibc}\n", "x.yaml:4: check: unknown key 'referenc' "
                 "in experiment 't'; valid: reference, alpha, tolerance"),
                ("    check:\n      alpha: 1.5\n", "x.yaml:5: check: alpha: '1.5' is not a "
                 "significance level"),
                ("    check:\n      tolerance:\n        wall: 10%\n", "x.yaml:6: check: "
                 "tolerance: unknown metric 'wall' in experiment 't'; valid: real_time, "
                 "cpu_time"),
                ("    check:\n      tolerance:\n        real_time: 10\n", "x.yaml:6: check: "
                 "tolerance: real_time: '10' is not a percentage"),
                ("    check: [1]\n", "x.yaml:4: check: a list where a mapping")):
            with self.assertRaisesRegex(kx.ExperimentError, "^" + want.replace("[", r"\[")):
                kx.parse(EXP + text, "x.yaml")


if __name__ == "__main__":
    unittest.main()
