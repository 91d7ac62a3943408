#!/usr/bin/python3
"""The report's "False sharing" section (report/sections/falseshare.py) on
tests/fixtures/results-falseshare.json: a real `kmbench run --preset falseshare --repetitions 3
--min-time 0.05` on the 2-core dev VM (release build), trimmed to the iteration rows of slab,
slab-packed, glibc and jemalloc. The ratios the page writes are checked against the fixture's
own rows (median of real_time x threads over repetitions), the range against its fastest and
slowest repetitions; the section is absent from a file without false-sharing rows. The Summary's
falseshare finding names the worst size of false-share-passive at 2 threads with its ratio.

Run: /usr/bin/python3 tests/report/test_report_falseshare.py   (KMB_SOURCE_DIR: the repository
root)
"""
import html
import os
import re
import statistics
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

sys.path.insert(0, os.path.dirname(ru.REPORT))
import kmb_results as kr  # noqa: E402
import kmb_summary as kms  # noqa: E402

FALSESHARE_FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-falseshare.json")
WORKLOADS = ["false-share-passive", "false-share-active"]
SIZES = [16, 48, 64]
THREADS = [1, 2]
BACKENDS = ["slab", "slab-packed", "glibc", "jemalloc"]


def ns_values(data, backend, workload, size, threads):
    return [r["real_time"] * r["threads"]
            for r in ru.ok_runs(data, backend, workload, {"size": size}, threads)]


def ratio_text(r):
    """The report's ratio format (kmb_html.fmt_ratio)."""
    return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


class Section(ru.FixturePage):
    FIXTURE = FALSESHARE_FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.section = ru.section(self.html, "falseshare")
        self.assertIsNotNone(self.section)

    def ratio_items(self):
        """{(workload, size): the text of its ratio line}."""
        return {(w, int(s)): html.unescape(re.sub(r"<[^>]+>", "", text)) for w, s, text in
                re.findall(r'<li class="fs-ratio" data-workload="([^"]+)" data-size="(\d+)">'
                           r"(.*?)</li>", self.section)}

    def test_linked_and_figures(self):
        self.assertIn('href="#falseshare"', self.html)
        for w in WORKLOADS:
            self.assertIn(f'<h3 id="falseshare-{w}">', self.section)
            png = ru.img_src(self.section, f"{w}: slab against slab-packed")
            self.assertIsNotNone(png, w)
            self.assertTrue(png.startswith(ru.PNG_MAGIC))

    def test_ratio_and_spread_from_the_fixture(self):
        items = self.ratio_items()
        self.assertEqual(sorted(items), sorted((w, s) for w in WORKLOADS for s in SIZES))
        for (w, size), text in items.items():
            for t in THREADS:
                aligned = ns_values(self.data, "slab", w, size, t)
                packed = ns_values(self.data, "slab-packed", w, size, t)
                self.assertEqual((len(aligned), len(packed)), (3, 3))
                r = statistics.median(packed) / statistics.median(aligned)
                lo, hi = min(packed) / max(aligned), max(packed) / min(aligned)
                way = "slower than slab" if r >= 1 else "the time of slab, faster"
                want = (f"{t} thread{'s' if t > 1 else ''}: slab-packed {ratio_text(r)} {way} "
                        f"({lo:.2f}-{hi:.2f} over 3 repetitions)")
                self.assertIn(want, text, (w, size, t))

    def test_passive_16_bytes_shares_a_line_at_two_threads(self):
        """The measured shape: handed 16-byte neighbours of slab-packed share a line and run
        several times slower; slab's never share one."""
        rows = ru.table_rows(self.page, "falseshare-table")
        self.assertEqual(len(rows), len(WORKLOADS) * len(SIZES) * len(THREADS) * len(BACKENDS))
        at = {(r["workload"], r["size"], r["threads"], r["backend"]): r for r in rows}
        packed = at[("false-share-passive", "16", "2", "slab-packed")]
        slab = at[("false-share-passive", "16", "2", "slab")]
        self.assertEqual((packed["handed_shared_lines"], packed["shared_lines"]), ("1", "1"))
        self.assertEqual((slab["handed_shared_lines"], slab["shared_lines"]), ("0", "0"))
        self.assertGreater(float(packed["/ slab"].rstrip("x")), 3)
        for r in rows:
            if r["backend"] == "slab":
                self.assertEqual(r["/ slab"], "1.00x")
                self.assertEqual(r["shared_lines"], "0")

    def test_table_ratio_of_a_baseline(self):
        rows = ru.table_rows(self.page, "falseshare-table")
        for r in rows:
            w, size, t = r["workload"], int(r["size"]), int(r["threads"])
            want = (ru.median_ns(self.data, r["backend"], w, {"size": size}, t)
                    / ru.median_ns(self.data, "slab", w, {"size": size}, t))
            self.assertEqual(r["/ slab"], ratio_text(want), r)


def falseshare_findings(data):
    return [f for f in kms.findings(kr.cells(data["benchmarks"]), data["context"])
            if f.kind == kms.FALSESHARE]


class Finding(unittest.TestCase):
    def setUp(self):
        self.data = ru.load(FALSESHARE_FIXTURE)

    def test_worst_size_with_its_ratio_and_range(self):
        w = "false-share-passive"
        ratios = {}
        for size in SIZES:
            aligned = ns_values(self.data, "slab", w, size, 2)
            packed = ns_values(self.data, "slab-packed", w, size, 2)
            ratios[size] = (statistics.median(packed) / statistics.median(aligned),
                            min(packed) / max(aligned), max(packed) / min(aligned))
        worst = max(ratios, key=lambda s: ratios[s][0])
        self.assertEqual(worst, 16)
        f, = falseshare_findings(self.data)
        self.assertEqual(f.where, f"{w}, 16 B, 2 threads")
        r, lo, hi = ratios[worst]
        self.assertGreater(lo, 1, "the min..max spreads are apart")
        self.assertIn(f"takes {r:.2f}x the time of slab", f.text)
        self.assertTrue(f.text.endswith("; min..max spreads apart, not tested (3 vs 3 "
                                        "repetitions: too few for p < 0.05)."), f.text)
        self.assertFalse(f.uncertain)
        self.assertEqual(f.anchor, "falseshare")
        self.assertIn(f"64 B {ratios[64][0]:.2f}x", f.details[0])

    def test_none_without_two_threads_or_rows(self):
        one = dict(self.data, benchmarks=[r for r in self.data["benchmarks"]
                                          if r["threads"] == 1])
        self.assertEqual(falseshare_findings(one), [])
        self.assertEqual(falseshare_findings(ru.load(ru.FIXTURE)), [])


class Absent(ru.FixtureVariants):
    FIXTURE = FALSESHARE_FIXTURE

    def test_absent_without_false_sharing_rows(self):
        self.data["benchmarks"] = ru.load(ru.FIXTURE)["benchmarks"]   # the quick preset's
        page = self.render()
        self.assertIsNone(ru.section(page, "falseshare"))
        self.assertNotIn('href="#falseshare"', page)
        self.assertNotIn("False sharing", page)

    def test_no_ratio_without_slab(self):
        """Without slab's rows the pair has no ratio, and the page says so."""
        self.drop(lambda k, r: k["backend"] == "slab")
        section = ru.section(self.render(), "falseshare")
        self.assertIn("2 threads: no result of both slab and slab-packed", section)
        self.assertNotIn("slower than slab", section)


if __name__ == "__main__":
    unittest.main(verbosity=2)
