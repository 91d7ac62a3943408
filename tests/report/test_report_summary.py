#!/usr/bin/python3
"""The report's Summary (report/kmb_summary.py): the run's headline findings, on the page and
printed by --summary, checked against numbers recomputed here from the runs of
tests/fixtures/results-quick.json (the quick preset's shape; make_results_quick.py says what it
plants), and what the findings leave out where the data cannot support them.

Run: /usr/bin/python3 tests/report/test_report_summary.py   (KMB_SOURCE_DIR: the repository root)
"""
import copy
import html
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

MAX_LINES = 15    # what --summary prints, the "report:" line included


def fmt(v):
    """Three significant figures, as the findings write values."""
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def fmt_ratio(r):
    return f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def stats(data, backend, workload, params, threads, mops=False):
    """(median, min, max) over the successful repetitions: ns/op (real_time x threads) or
    Mops/s; None without any."""
    runs = ru.ok_runs(data, backend, workload, params, threads)
    vals = [r["items_per_second"] / 1e6 if mops else r["real_time"] * r["threads"] for r in runs]
    return (statistics.median(vals), min(vals), max(vals)) if vals else None


def ratio_text(a, b):
    """"1.06x (1.04..1.08)" of a / b, the range from the spreads; and whether they overlap."""
    lo, hi = a[1] / b[2], a[2] / b[1]
    return (f"{fmt_ratio(a[0] / b[0])} ({fmt_ratio(lo)[:-1]}..{fmt_ratio(hi)[:-1]})",
            lo <= 1 <= hi)


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
        overlaps = 0
        for f, (size, batch, t) in zip(fastest, want):
            ns = {b: stats(self.data, b, "churn", churn(size, batch), t) for b in ru.BACKENDS_OK}
            first, second = sorted(ns, key=lambda b: ns[b][0])[:2]
            w = ns[first]
            text, overlap = ratio_text(ns[second], w)
            self.assertEqual(f.text, f"{first} is fastest: {fmt(w[0])} ns/op ({fmt(w[1])}.."
                             f"{fmt(w[2])}), {text} ahead of {second} ({fmt(ns[second][0])})"
                             + ("; the spreads overlap: order not certain" if overlap else "")
                             + ".")
            self.assertEqual(f.uncertain, overlap)
            self.assertEqual(f.anchor, f"g-churn-size-{size}-batch-{batch}")
            overlaps += overlap
        self.assertEqual(overlaps, 4, "slab and slab-packed overlap at 4 KiB")

    def test_aligned(self):
        """slab against slab-packed at the most threads, the smallest size, batch 1."""
        f, = self.of(kms.ALIGNED)
        a = stats(self.data, "slab", "churn", churn(64, 1), 2)
        b = stats(self.data, "slab-packed", "churn", churn(64, 1), 2)
        text, overlap = ratio_text(a, b)
        self.assertEqual(f.where, case(64, 1, 2))
        self.assertTrue(f.text.startswith(f"slab, aligned to the cache line, takes {text} the "
                                          f"time of slab-packed ({fmt(a[0])} against "
                                          f"{fmt(b[0])} ns/op)"), f.text)
        self.assertEqual(overlap, "order not certain" in f.text)
        self.assertEqual(f.anchor, "slab-packed")

    def test_sharing(self):
        """counter-percpu over counter-packed at 2 threads; at 1 thread the packed counters are
        faster, so the difference is the shared line."""
        f, = self.of(kms.SHARING)
        two = [stats(self.data, "no-allocator", w, {}, 2, mops=True) for w in ru.QUICK_COUNTERS]
        one = [stats(self.data, "no-allocator", w, {}, 1, mops=True) for w in ru.QUICK_COUNTERS]
        self.assertEqual(f.text, f"counter-percpu has {ratio_text(*two)[0]} the throughput of "
                         "counter-packed, whose counters share a cache line "
                         f"({fmt(two[0][0])} against {fmt(two[1][0])} Mops/s); at 1 thread "
                         f"{ratio_text(*one)[0]}: false sharing.")
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
        self.assertEqual(f.text, f"slab, with per-CPU sheaves (cpu-rseq), has "
                         f"{ratio_text(a, b)[0]} the throughput of slab-none, which has none "
                         f"({fmt(a[0])} against {fmt(b[0])} Mops/s).")
        self.assertGreater(a[1] / b[2], 5)


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
            self.assertIn("(spread unknown)", f.text)
            self.assertIn("no spread over repetitions: order not certain", f.text)
            self.assertTrue(f.uncertain)

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
