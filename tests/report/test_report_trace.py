#!/usr/bin/python3
"""The report's "Trace replay" section (report/sections/trace.py) on
tests/fixtures/results-trace.json: a real `kmbench run --preset trace` (3 repetitions x 0.05 s,
release build) on the 2-core dev VM under the other sessions' load, replaying the fixture
tests/fixtures/kernel.trace, trimmed to the iteration rows of glibc, jemalloc, buddy, slab,
slab-packed, slab-cpu-rseq, kmalloc and vmalloc (and context.backends to them). The fastest
backend per thread count, the ratios and the counters the page writes are checked against the
fixture's own rows (median of real_time x threads over repetitions); a file whose backends
replayed different counts says so; the section is absent from a file without trace rows.

Run: /usr/bin/python3 tests/report/test_report_trace.py   (KMB_SOURCE_DIR: the repository root)
"""
import html
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

TRACE_FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-trace.json")
BACKENDS = ["glibc", "jemalloc", "buddy", "slab", "slab-packed", "slab-cpu-rseq", "kmalloc",
            "vmalloc"]
THREADS = [1, 2]


def ratio_text(r):
    """The report's ratio format (kmb_html.fmt_ratio)."""
    return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


def text_of(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


class Section(ru.FixturePage):
    FIXTURE = TRACE_FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.section = ru.section(self.html, "trace")
        self.assertIsNotNone(self.section)

    def medians(self, t):
        return {b: ru.median_ns(self.data, b, "trace", {}, t) for b in BACKENDS}

    def test_linked_with_its_figure_and_trace(self):
        self.assertIn('href="#trace"', self.html)
        png = ru.img_src(self.section, "trace replay: time per operation")
        self.assertIsNotNone(png)
        self.assertTrue(png.startswith(ru.PNG_MAGIC))
        source = text_of(re.search(r'<p class="trace-source">(.*?)</p>', self.section).group(1))
        self.assertIn("tests/fixtures/kernel.trace, kernel 6.18", source)
        self.assertIn("5000 events on 2 CPUs", source)

    def test_fastest_per_thread_count_from_the_fixture(self):
        items = dict(re.findall(r'<li class="trace-fastest" data-threads="(\d+)">(.*?)</li>',
                                self.section))
        self.assertEqual(sorted(int(t) for t in items), THREADS)
        for t in THREADS:
            m = self.medians(t)
            best = min(m, key=m.get)
            want = (f"{t} thread{'s' if t > 1 else ''}: fastest {best}, {m[best]:,.2f} ns per "
                    f"op; slab takes {ratio_text(m['slab'] / m[best])} its time")
            self.assertEqual(text_of(items[str(t)]), want)

    def test_every_backend_the_same_count(self):
        counts = {r["ops_replayed"] for r in self.data["benchmarks"]}
        skipped = {r["ops_skipped"] for r in self.data["benchmarks"]}
        self.assertEqual((counts, skipped), ({4997}, {3}))
        self.assertIn("Every backend that ran replayed the same 4,997 operations of 5,000 "
                      "events per replay (3 left out", text_of(self.section))

    def test_table_ratios_and_counters(self):
        rows = ru.table_rows(self.page, "trace-table")
        self.assertEqual(len(rows), len(BACKENDS) * len(THREADS))
        for r in rows:
            t = int(r["threads"])
            m = self.medians(t)
            self.assertEqual(r["/ fastest"], ratio_text(m[r["backend"]] / min(m.values())), r)
            self.assertEqual(r["ops_replayed"], "4,997")
            self.assertEqual(r["remote_frees"], "0" if t == 1 else "72", r)


class Variants(ru.FixtureVariants):
    FIXTURE = TRACE_FIXTURE

    def test_absent_without_trace_rows(self):
        self.data["benchmarks"] = ru.load(ru.FIXTURE)["benchmarks"]   # the quick preset's
        page = self.render()
        self.assertIsNone(ru.section(page, "trace"))
        self.assertNotIn('href="#trace"', page)

    def test_different_counts_are_said(self):
        """One row with another count: the page must not claim they agree."""
        for r in self.data["benchmarks"]:
            if r["kmbench"]["backend"] == "kmalloc":
                r["ops_replayed"] = 4990
        section = text_of(ru.section(self.render(), "trace"))
        self.assertIn("The backends replayed different counts of operations", section)
        self.assertIn("kmalloc 1 thread 4,990", section)
        self.assertNotIn("Every backend that ran replayed the same", section)


if __name__ == "__main__":
    unittest.main(verbosity=2)
