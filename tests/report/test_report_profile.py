#!/usr/bin/python3
"""The report's "Latency percentiles" and "Memory over time" sections (report/sections/latency.py,
memory.py) on tests/fixtures/results-profile.json: a real `kmbench run --backends
glibc,jemalloc,mimalloc,slab,buddy --workloads churn,mix,counter-percpu --threads 1,2 --sizes 64
--batch 100 --min-time 0.05 --repetitions 2` on the 2-core dev VM (release build), trimmed to
its iteration rows and the backends' numeric stats. The figures' answers and the tables are
checked against the fixture's own rows (the profile pass's keys, results/README.md); the sections
are absent from a file without them, and their keys stay out of the results table.

Run: /usr/bin/python3 tests/report/test_report_profile.py   (KMB_SOURCE_DIR: the repository
root)
"""
import html
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

PROFILE_FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-profile.json")
WORKLOADS = ["churn", "mix"]
BACKENDS = ["glibc", "jemalloc", "mimalloc", "slab", "buddy"]
PCTS = ["p50", "p90", "p99", "p999", "max"]
FIGURE_THREADS = 2                    # each workload's figure: its most threads


def fmt_ns(v):
    """The report's ns format (kmb_results.fmt_ns)."""
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def params_of(workload):
    return {"churn": {"size": 64, "batch": 100}, "mix": {"batch": 100}}[workload]


def counter(data, backend, workload, threads, name):
    return ru.median_counter(data, backend, workload, params_of(workload), threads, name)


def answers(section, cls):
    return {w: html.unescape(text) for w, text in
            re.findall(rf'<p class="{cls}" data-workload="([^"]+)">(.*?)</p>', section)}


class Sections(ru.FixturePage):
    FIXTURE = PROFILE_FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.latency = ru.section(self.html, "latency")
        self.memory = ru.section(self.html, "memory")
        self.assertIsNotNone(self.latency)
        self.assertIsNotNone(self.memory)

    def test_linked_with_a_figure_per_workload(self):
        for anchor in ("latency", "memory"):
            self.assertIn(f'href="#{anchor}"', self.html)
        for w in WORKLOADS:
            for sec, alt in ((self.latency, "latency percentiles"),
                             (self.memory, "memory over time")):
                png = ru.img_src(sec, f"{w}: {alt}")
                self.assertIsNotNone(png, (w, alt))
                self.assertTrue(png.startswith(ru.PNG_MAGIC))
        self.assertNotIn("counter-percpu", self.latency + self.memory)   # does not allocate

    def test_p99_answer_from_the_fixture(self):
        got = answers(self.latency, "latency-answer")
        self.assertEqual(sorted(got), WORKLOADS)
        for w in WORKLOADS:
            p99 = sorted((counter(self.data, b, w, FIGURE_THREADS, "alloc_lat_p99_ns"),
                          BACKENDS.index(b), b) for b in BACKENDS)
            lo, hi = p99[0], p99[-1]
            self.assertTrue(got[w].startswith(
                f"alloc p99 lowest: {lo[2]} {fmt_ns(lo[0])} ns; highest: {hi[2]} "
                f"{fmt_ns(hi[0])} ns, {hi[0] / lo[0]:.1f}x the lowest"), (w, got[w]))
            self.assertIn(f"{FIGURE_THREADS} threads", got[w])

    def test_latency_table_is_the_fixture(self):
        rows = ru.table_rows(self.page, "latency-table")
        self.assertEqual(len(rows), len(WORKLOADS) * len(BACKENDS) * 2)
        labels = dict(zip(PCTS, ["p50", "p90", "p99", "p99.9", "max"]))
        for r in rows:
            for op in ("alloc", "free"):
                for p in PCTS:
                    want = counter(self.data, r["backend"], r["workload"], int(r["threads"]),
                                   f"{op}_lat_{p}_ns")
                    self.assertEqual(r[f"{op} {labels[p]}"], fmt_ns(want), (r, op, p))
                vals = [float(r[f"{op} {labels[p]}"].replace(",", "")) for p in PCTS]
                self.assertEqual(vals, sorted(vals), r)

    def test_memory_answer_and_table_from_the_fixture(self):
        got = answers(self.memory, "memory-answer")
        self.assertEqual(sorted(got), WORKLOADS)
        for w in WORKLOADS:
            peaks = sorted((counter(self.data, b, w, FIGURE_THREADS, "peak_rss_bytes"), b)
                           for b in BACKENDS)
            self.assertTrue(got[w].startswith(
                f"peak RSS lowest: {peaks[0][1]} {peaks[0][0] / 2**20:,.2f} MiB; highest: "
                f"{peaks[-1][1]} {peaks[-1][0] / 2**20:,.2f} MiB"), got[w])
        rows = ru.table_rows(self.page, "memory-table")
        self.assertEqual(len(rows), len(WORKLOADS) * len(BACKENDS) * 2)
        for r in rows:
            args = (self.data, r["backend"], r["workload"], int(r["threads"]))
            self.assertEqual(r["peak RSS MiB"],
                             f"{counter(*args, 'peak_rss_bytes') / 2**20:,.2f}", r)
            held, live = counter(*args, "held_peak_bytes"), counter(*args, "live_peak_bytes")
            self.assertEqual(r["held peak MiB"], f"{held / 2**20:,.2f}", r)
            if r["backend"] == "mimalloc":      # mimalloc cannot say which bytes are live
                self.assertIsNone(live)
                self.assertEqual((r["live peak MiB"], r["held / live"]), ("n/a", "n/a"))
            else:
                self.assertEqual(r["held / live"], f"{held / live:.2f}", r)
                self.assertGreaterEqual(held, live, r)

    def test_profile_keys_not_in_the_results_table(self):
        header = self.page.tables["results-table"]["header"]
        self.assertFalse([h for h in header if h.startswith(("alloc_lat", "free_lat"))
                          or h.endswith("peak_bytes") or h == "peak_rss_bytes"], header)


class Absent(ru.FixturePage):
    FIXTURE = ru.FIXTURE   # results-quick.json: from before the profile pass

    def test_no_sections_without_the_keys(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertIsNone(ru.section(self.html, "latency"))
        self.assertIsNone(ru.section(self.html, "memory"))
        self.assertNotIn('href="#latency"', self.html)


if __name__ == "__main__":
    unittest.main()
