#!/usr/bin/python3
"""The report's Summary (report/kmb_summary.py): the run's headline findings, on the page and
printed by --summary, checked against numbers recomputed here from the runs of
tests/fixtures/results-quick.json (the quick preset's shape; make_results_quick.py says what it
plants), and what the findings leave out where the data cannot support them.

Run: /usr/bin/python3 tests/report/test_report_summary.py   (KMB_SOURCE_DIR: the repository root)
"""
import copy
import html
import itertools
import math
import os
import re
import shutil
import statistics
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

sys.path.insert(0, os.path.join(ru.SOURCE_DIR, "report"))
import kmb_results as kr  # noqa: E402
import kmb_summary as kms  # noqa: E402

STATED_AT_6 = 4   # fastest findings with p < 0.05 at 6 repetitions a cell (see the test)
MAX_LINES = 15    # what --summary prints, the "report:" line included


def fmt(v):
    """Three significant figures, as the findings write values."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def fmt_ratio(r):
    return f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def values(data, backend, workload, params, threads, mops=False):
    """Every successful repetition's ns/op (real_time x threads) or Mops/s."""
    runs = ru.ok_runs(data, backend, workload, params, threads)
    return [r["items_per_second"] / 1e6 if mops else r["real_time"] * r["threads"] for r in runs]


def stats(data, backend, workload, params, threads, mops=False):
    """(median, min, max) over the successful repetitions: ns/op (real_time x threads) or
    Mops/s; None without any."""
    vals = values(data, backend, workload, params, threads, mops)
    return (statistics.median(vals), min(vals), max(vals)) if vals else None


def exact_p(xs, ys):
    """The two-sided p of the Mann-Whitney U test of xs against ys (no ties), by enumerating
    every way to split the pooled values into samples of their sizes: the share of splits whose
    U is as far from its mean n * m / 2 as the observed one. Independent of scipy."""
    n, m = len(xs), len(ys)
    # U of a sample: the pairs (x, y) with x > y, its ranks' sum (0-based) less n (n - 1) / 2.
    u_obs = sum(1 for x in xs for y in ys if x > y)
    dev = abs(u_obs - n * m / 2)
    splits = list(itertools.combinations(range(n + m), n))
    return sum(abs(sum(c) - n * (n - 1) / 2 - n * m / 2) >= dev - 1e-9
               for c in splits) / len(splits)


def p_text(p):
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.1 else f"= {p:.2g}"


def conf(xs, ys):
    """(text, supported) of the confidence of xs against ys as the findings word it: the U test
    where 2 / C(n + m, n), its least p, is below 0.05; else whether the spreads are apart."""
    n, m = len(xs), len(ys)
    reps = f"{n} vs {m} repetitions"
    if 2 / math.comb(n + m, n) < 0.05:
        p = exact_p(xs, ys)
        return (f"p {p_text(p)}, {reps}", p < 0.05)
    apart = max(xs) < min(ys) or max(ys) < min(xs)
    return (f"min..max spreads {'apart' if apart else 'overlap'}, not tested ({reps}: too few "
            "for p < 0.05)", apart)


def case(size, batch, threads):
    return (f"churn, {'64 B' if size == 64 else '4 KiB'}, batch {batch}, "
            f"{threads} thread{'s' if threads > 1 else ''}")


def churn(size, batch):
    return {"size": size, "batch": batch}


class Findings(unittest.TestCase):
    """kmb_summary.findings() of the quick fixture, in this process."""

    @classmethod
    def setUpClass(cls):
        cls.data = ru.load(ru.FIXTURE)
        cls.cells = kr.cells(cls.data["benchmarks"])
        cls.found = kms.findings(cls.cells, cls.data["context"])

    def of(self, kind):
        return [f for f in self.found if f.kind == kind]

    def test_kinds_in_order(self):
        self.assertEqual([f.kind for f in self.found],
                         [kms.FASTEST] * 8 + [kms.ALIGNED, kms.SHARING, kms.SCALING, kms.PERCPU])

    def test_fastest(self):
        """Each case and end thread count: the lowest median ns/op, its spread, and its ratio
        to the runner-up with the range their spreads allow; overlapping spreads said so."""
        fastest = self.of(kms.FASTEST)
        want = [(s, b, t) for s in ru.QUICK_SIZES for b in ru.QUICK_BATCHES
                for t in ru.QUICK_THREADS]
        self.assertEqual([f.where for f in fastest], [case(*w) for w in want])
        unsupported = 0
        for f, (size, batch, t) in zip(fastest, want):
            ns = {b: stats(self.data, b, "churn", churn(size, batch), t) for b in ru.BACKENDS_OK}
            first, second = sorted(ns, key=lambda b: ns[b][0])[:2]
            w, s = ns[first], ns[second]
            text, ok = conf(*(values(self.data, b, "churn", churn(size, batch), t)
                              for b in (first, second)))
            if ok:
                want_text = (f"{first} is fastest: {fmt(w[0])} ns/op ({fmt(w[1])}..{fmt(w[2])}),"
                             f" {fmt_ratio(s[0] / w[0])} ahead of {second} ({fmt(s[0])}); "
                             f"{text}.")
            else:
                want_text = (f"No significant difference between the fastest two, {first} "
                             f"({fmt(w[0])} ns/op) and {second} ({fmt(s[0])}); {text}.")
            self.assertEqual(f.text, want_text)
            self.assertEqual(f.uncertain, not ok)
            self.assertEqual(f.anchor, f"g-churn-size-{size}-batch-{batch}")
            unsupported += not ok
        self.assertEqual(unsupported, 4, "slab and slab-packed overlap at 4 KiB")

    def test_aligned(self):
        """slab against slab-packed at the most threads, the smallest size, batch 1."""
        f, = self.of(kms.ALIGNED)
        a = stats(self.data, "slab", "churn", churn(64, 1), 2)
        b = stats(self.data, "slab-packed", "churn", churn(64, 1), 2)
        text, ok = conf(values(self.data, "slab", "churn", churn(64, 1), 2),
                        values(self.data, "slab-packed", "churn", churn(64, 1), 2))
        self.assertEqual(f.where, case(64, 1, 2))
        self.assertFalse(ok, "the quick fixture's slab and slab-packed overlap")
        self.assertEqual(f.text, "No significant difference between slab, aligned to the cache "
                         f"line, and slab-packed ({fmt(a[0])} against {fmt(b[0])} ns/op); "
                         f"{text}.")
        self.assertTrue(f.uncertain)
        self.assertEqual(f.anchor, "slab-packed")

    def test_sharing(self):
        """counter-percpu over counter-packed at 2 threads; at 1 thread the packed counters are
        faster, so the difference is the shared line."""
        f, = self.of(kms.SHARING)
        two = [stats(self.data, "no-allocator", w, {}, 2, mops=True) for w in ru.QUICK_COUNTERS]
        one = [stats(self.data, "no-allocator", w, {}, 1, mops=True) for w in ru.QUICK_COUNTERS]
        c2, c1 = (conf(*(values(self.data, "no-allocator", w, {}, t, mops=True)
                         for w in ru.QUICK_COUNTERS))[0] for t in (2, 1))
        self.assertEqual(f.text, f"counter-percpu has {fmt_ratio(two[0][0] / two[1][0])} the "
                         "throughput of counter-packed, whose counters share a cache line "
                         f"({fmt(two[0][0])} against {fmt(two[1][0])} Mops/s; {c2}); at 1 "
                         f"thread {fmt_ratio(one[0][0] / one[1][0])} ({c1}): false sharing.")
        self.assertEqual((f.where, f.anchor), ("counters, 2 threads", "percpu-counters"))

    def test_scaling(self):
        """Throughput at 2 threads over 1 thread of every backend, churn 64 B batch 1."""
        f, = self.of(kms.SCALING)
        r = {}
        for b in ru.BACKENDS_OK:
            two, one = (stats(self.data, b, "churn", churn(64, 1), t, mops=True) for t in (2, 1))
            r[b] = (two[0] / one[0], two[1] / one[2], two[2] / one[1])
        order = sorted(r, key=lambda b: -r[b][0])
        best, worst = order[0], order[-1]
        self.assertEqual((best, worst), ("mimalloc", "slab-none"))
        good = sum(1 for b in r if r[b][0] >= 1.5)
        text = (f"{best} scales most, {fmt_ratio(r[best][0])} ({fmt_ratio(r[best][1])[:-1]}.."
                f"{fmt_ratio(r[best][2])[:-1]}), {worst} least, {fmt_ratio(r[worst][0])} "
                f"({fmt_ratio(r[worst][1])[:-1]}..{fmt_ratio(r[worst][2])[:-1]}); {good} of 9 "
                "backends reach 1.50x (ideal 2x)")
        self.assertTrue(f.text.startswith(text), (f.text, text))
        second = order[1]
        self.assertEqual(f.uncertain, r[second][2] >= r[best][1])
        self.assertEqual(f.where, "churn, 64 B, batch 1, 1 to 2 threads")
        self.assertEqual(len(f.details), 9)

    def test_percpu(self):
        f, = self.of(kms.PERCPU)
        a = stats(self.data, "slab", "churn", churn(64, 1), 2, mops=True)
        b = stats(self.data, "slab-none", "churn", churn(64, 1), 2, mops=True)
        text, ok = conf(*(values(self.data, x, "churn", churn(64, 1), 2, mops=True)
                          for x in ("slab", "slab-none")))
        self.assertTrue(ok)
        self.assertEqual(f.text, f"slab, with per-CPU sheaves (cpu-rseq), has "
                         f"{fmt_ratio(a[0] / b[0])} the throughput of slab-none, which has none "
                         f"({fmt(a[0])} against {fmt(b[0])} Mops/s); {text}.")
        self.assertGreater(a[1] / b[2], 5)


def fixture(name):
    return os.path.join(ru.SOURCE_DIR, "tests", "fixtures", f"results-{name}.json")


def only(data, kind):
    """The one finding of kind of data, through the report's code."""
    found = [f for f in kms.findings(kr.cells(data["benchmarks"]), data["context"])
             if f.kind == kind]
    return found[0] if len(found) == 1 else found


class MoreFindings(unittest.TestCase):
    """The remote-free cost, mmap against buddy, vmalloc against buddy and mempool under
    pressure, each recomputed from its fixture's rows."""

    def test_remote(self):
        data = ru.load(fixture("remotefree"))
        grids = {}
        for r in data["benchmarks"]:
            k = r["kmbench"]
            p = k["params"]
            if r["run_type"] == "iteration" and not r.get("error_occurred"):
                grids.setdefault((k["backend"], p["size"]), {}).setdefault(
                    (p["alloc_cpu"], p["free_cpu"]), []).append(r["object_ns"])
        ratios = []
        for (b, size), grid in grids.items():
            local = [statistics.median(v) for (i, j), v in grid.items() if i == j]
            far = [statistics.median(v) for (i, j), v in grid.items() if i != j]
            ratios.append((statistics.median(far) / statistics.median(local), b, size, local,
                           far))
        r, b, size, local, far = max(ratios)
        text, ok = conf(far, local)
        text = text.replace("repetitions", "CPU pairs")
        f = only(data, kms.REMOTE)
        self.assertTrue(ok)
        self.assertEqual(f.where, f"remote-free-matrix, {'4 KiB' if size == 4096 else '64 B'}")
        self.assertEqual(f.text, f"A remote free costs {b} the most: {fmt_ratio(r)} a local one "
                         f"({fmt(statistics.median(far))} against "
                         f"{fmt(statistics.median(local))} ns per object, medians over the CPU "
                         f"pairs); {text}.")
        self.assertEqual((f.anchor, f.uncertain), ("remotefree", False))
        self.assertEqual(len(f.details), len(grids))

    def pair(self, data, a, b, workload, params, threads, mops=False):
        xs = values(data, a, workload, params, threads, mops)
        ys = values(data, b, workload, params, threads, mops)
        return statistics.median(xs), statistics.median(ys), conf(xs, ys)

    def test_pages(self):
        """mmap over buddy in churn's headline case: 4 KiB, batch 1, the most threads."""
        data = ru.load(fixture("pages"))
        a, b, (text, ok) = self.pair(data, "mmap", "buddy", "churn",
                                     {"size": 4096, "batch": 1}, 2)
        f = only(data, kms.PAGES)
        self.assertTrue(ok)
        self.assertEqual(f.where, "churn, 4 KiB, batch 1, 2 threads")
        self.assertEqual(f.text, f"mmap takes {a / b:,.0f}x the time of buddy, the page "
                         f"allocator ({fmt(a)} against {fmt(b)} ns/op); {text}.")
        self.assertEqual(f.anchor, "pages")

    def test_vmalloc(self):
        """vmalloc over buddy, untouched, at the largest size, one thread."""
        data = ru.load(fixture("vmalloc"))
        size = max(ru.VM_SIZES)
        a, b, (text, ok) = self.pair(data, "vmalloc", "buddy", "untouched", {"size": size}, 1)
        f = only(data, kms.VMALLOC)
        self.assertTrue(ok, "2 vs 2 repetitions, the spreads apart")
        self.assertEqual(f.where, "untouched, 1 MiB, 1 thread")
        self.assertEqual(f.text, f"vmalloc takes {a / b:,.0f}x the time of buddy, the page "
                         f"allocator ({fmt(a)} against {fmt(b)} ns/op); {text}.")
        self.assertEqual(f.anchor, "vmalloc")

    def test_mempool(self):
        """mempool's throughput at the highest failure rate over 0%, at the most threads."""
        data = ru.load(fixture("mempool"))
        t, top = max(ru.MEMPOOL_THREADS), max(ru.MEMPOOL_RATES)
        hi = values(data, "mempool", "mempool-pressure", dict(ru.MEMPOOL_PARAMS, fail=top), t,
                    mops=True)
        zero = values(data, "mempool", "mempool-pressure", dict(ru.MEMPOOL_PARAMS, fail=0), t,
                      mops=True)
        text, ok = conf(hi, zero)
        a, b = statistics.median(hi), statistics.median(zero)
        f = only(data, kms.MEMPOOL)
        self.assertEqual(f.where, "mempool-pressure, 256 B, 2 threads")
        self.assertEqual(f.text, f"At {top}% injected failures mempool keeps {a / b:.2f}x of "
                         f"its throughput at 0% ({fmt(a)} against {fmt(b)} Mops/s); {text}.")
        self.assertEqual((f.anchor, f.uncertain), ("mempool", not ok))

    def test_evidence_links(self):
        """Each finding of these fixtures links to an id of its page."""
        sys.path.insert(0, os.path.join(ru.SOURCE_DIR, "report"))
        import kmbench_report
        for name in ("remotefree", "pages", "vmalloc", "mempool"):
            data = ru.load(fixture(name))
            page = kmbench_report.render(data, fixture(name))
            summary = ru.section(page, "summary")
            found = kms.findings(kr.cells(data["benchmarks"]), data["context"])
            self.assertTrue(found)
            for f in found:
                self.assertIn(f'href="#{f.anchor}"', summary)
                self.assertIn(f'id="{f.anchor}"', page, (name, f.where))

    def test_left_out_without_their_data(self):
        data = ru.load(ru.FIXTURE)
        found = {f.kind for f in kms.findings(kr.cells(data["benchmarks"]), data["context"])}
        self.assertFalse(found & {kms.REMOTE, kms.PAGES, kms.VMALLOC, kms.MEMPOOL}, found)


class Printed(unittest.TestCase):
    """kmbench_report.py --summary: the findings as text, then the page's path."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = os.path.join(tempfile.mkdtemp(prefix="kmb-summary-test-"), "out.html")
        cls.proc = ru.run_report(ru.FIXTURE, "-o", cls.tmp, "--summary")
        data = ru.load(ru.FIXTURE)
        cls.found = kms.findings(kr.cells(data["benchmarks"]), data["context"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(os.path.dirname(cls.tmp), ignore_errors=True)

    def test_block(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        lines = self.proc.stdout.rstrip("\n").split("\n")
        self.assertLessEqual(len(lines), MAX_LINES, self.proc.stdout)
        self.assertEqual(lines[-1], f"report:  {self.tmp}")
        self.assertTrue(os.path.exists(self.tmp))
        self.assertTrue(lines[0].startswith("Medians over 3 repetitions"), lines[0])
        self.assertEqual(lines[-2], "9 of 9 backends have results; 1 failed run; "
                         "6 counters unavailable.")
        body = lines[1:-2]
        self.assertEqual(len(body), len(self.found))
        column = {line.index(f.text) for line, f in zip(body, self.found)}
        self.assertEqual(len(column), 1, "the sentences start in one column")
        col = column.pop()
        for line, f in zip(body, self.found):
            self.assertEqual(line, f"  {f.where}".ljust(col) + f.text)
        self.assertNotIn("\x1b", self.proc.stdout, "plain text, no terminal escapes")


class Page(ru.FixturePage):
    """The Summary section of the page, first after the header."""

    FIXTURE = ru.FIXTURE

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.found = kms.findings(kr.cells(cls.data["benchmarks"]), cls.data["context"])

    def test_first_section(self):
        body = self.html[self.html.index("</header>"):]
        self.assertTrue(re.match(r'</header>\s*<section><h2 id="summary">Summary</h2>', body),
                        body[:200])

    def test_rows_and_links(self):
        rows = self.page.tables["findings-table"]["rows"]
        self.assertEqual(len(rows), len(self.found))
        section = ru.section(self.html, "summary")
        for (cls, cells), f in zip(rows, self.found):
            self.assertEqual(cells[0], f.where)
            self.assertEqual(cells[1][:len(f.text)], f.text)
            self.assertEqual(cells[1][len(f.text):], "".join(f"more{d}" for d in f.details[:1])
                             + "".join(f.details[1:]))
            self.assertEqual(cls, f"finding {f.kind}" + (" uncertain" if f.uncertain else ""))
            self.assertIn(f'href="#{f.anchor}"', section)
            self.assertIn(f'id="{f.anchor}"', self.html, f"evidence of {f.where}")

    def test_answer_above_figures(self):
        """Each plotted case states its fastest backend above its figures."""
        for f in self.found:
            if f.kind != kms.FASTEST:
                continue
            start = self.html.index(f'<h3 id="{f.anchor}">')
            answer = self.html[start:self.html.index("<img ", start)]
            self.assertIn(html.escape(f.text), answer)


class Variants(ru.FixtureVariants):
    """Findings the data cannot support are not made."""

    FIXTURE = ru.FIXTURE

    def found(self):
        return kms.findings(kr.cells(self.data["benchmarks"]), self.data["context"])

    def test_one_thread_count(self):
        self.drop(lambda k, r: r["threads"] != 1)
        found = self.found()
        kinds = [f.kind for f in found]
        self.assertNotIn(kms.SCALING, kinds)
        self.assertNotIn(kms.SHARING, kinds)
        self.assertEqual(kinds.count(kms.FASTEST), ru.GROUPS)
        self.assertTrue(all(f.where.endswith(", 1 thread") for f in found), found)

    def test_without_the_backends_compared(self):
        self.drop(lambda k, r: k["backend"] in ("slab-packed", "slab-none")
                  or k["workload"] == "counter-packed")
        kinds = [f.kind for f in self.found()]
        for kind in (kms.ALIGNED, kms.PERCPU, kms.SHARING):
            self.assertNotIn(kind, kinds)
        self.assertIn(kms.SCALING, kinds)

    def test_one_repetition(self):
        """Without a spread, no order is certain, and the findings say so."""
        self.drop(lambda k, r: r["run_type"] != "iteration" or r["repetition_index"] != 0)
        fastest = [f for f in self.found() if f.kind == kms.FASTEST]
        self.assertTrue(fastest)
        for f in fastest:
            self.assertTrue(f.text.startswith("No significant difference"), f.text)
            self.assertIn("; spread unknown, not tested (1 vs 1 repetitions: too few for "
                          "p < 0.05).", f.text)
            self.assertTrue(f.uncertain)

    def more_repetitions(self, copies=1):
        """Each repetition of the fixture and copies more of it, each copy's time k per mille
        longer (k = 1..copies) and its throughput as much lower: no ties, 3 x (1 + copies)
        repetitions a cell (6: scipy's exact distribution, up to 8 a side, which exact_p
        recomputes)."""
        extra = []
        for r in self.data["benchmarks"]:
            if r["run_type"] != "iteration" or r.get("error_occurred"):
                continue
            for k in range(1, copies + 1):
                r2 = copy.deepcopy(r)
                r2["real_time"] *= 1 + k / 1000
                r2["items_per_second"] /= 1 + k / 1000
                extra.append(r2)
        self.data["benchmarks"] += extra

    def test_u_test_with_more_repetitions(self):
        """With 6 repetitions a cell the U test runs: each fastest finding's p is the exact
        one recomputed here, a difference is stated only where p < 0.05."""
        self.more_repetitions()
        found = [f for f in self.found() if f.kind == kms.FASTEST]
        want = [(s, b, t) for s in ru.QUICK_SIZES for b in ru.QUICK_BATCHES
                for t in ru.QUICK_THREADS]
        self.assertEqual(len(found), len(want))
        stated = 0
        for f, (size, batch, t) in zip(found, want):
            ns = {b: values(self.data, b, "churn", churn(size, batch), t) for b in ru.BACKENDS_OK}
            first, second = sorted(ns, key=lambda b: statistics.median(ns[b]))[:2]
            self.assertEqual(len(ns[first]), 6)
            p = exact_p(ns[first], ns[second])
            self.assertIn(f"p {p_text(p)}, 6 vs 6 "
                          "repetitions.", f.text)
            self.assertEqual(f.text.startswith(f"{first} is fastest"), p < 0.05, f.text)
            self.assertEqual(f.uncertain, p >= 0.05)
            stated += p < 0.05
        # 64 B: mimalloc ahead of slab-packed, apart; 4 KiB: slab and slab-packed overlap.
        self.assertEqual(stated, STATED_AT_6, [f.text for f in found])

    def test_one_backend_one_thread_count(self):
        self.drop(lambda k, r: k["backend"] != "glibc" or r["threads"] != 1)
        page = self.render()
        self.assertTrue("No finding: the results have no two backends to compare." in page)
        self.assertFalse("findings-table" in page)

    def test_many_cases_folded(self):
        """More fastest cases than HEADLINE_FASTEST: the rest folded on the page, counted in
        the text, the printed block still short."""
        extra = []
        for r in self.data["benchmarks"]:
            k = r["kmbench"]
            if k["workload"] == "churn" and k["params"]["size"] == 64:
                r = copy.deepcopy(r)
                r["kmbench"]["params"]["size"] = 256
                for key in ("name", "run_name"):
                    r[key] = r[key].replace("size:64/", "size:256/")
                extra.append(r)
        self.data["benchmarks"] += extra
        page = self.render(self.data)
        parsed = ru.parse(page)
        folded = 3 * 2 * 2 - (kms.HEADLINE_FASTEST - 1)
        self.assertEqual(len(parsed.tables["findings-more"]["rows"]), folded)
        self.assertIn(f"{folded} more cases: the fastest backend</summary>", page)
        path = os.path.join(self.tmp, "in.json")
        proc = ru.run_report(path, "-o", os.path.join(self.tmp, "x.html"), "--summary")
        lines = proc.stdout.rstrip("\n").split("\n")
        self.assertIn(f"  ... and {folded} more cases in the report.", lines)
        self.assertLessEqual(len(lines), MAX_LINES)


if __name__ == "__main__":
    unittest.main(verbosity=2)
