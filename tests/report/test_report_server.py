#!/usr/bin/python3
"""The report's "Server workloads" section (report/sections/server.py) on
tests/fixtures/results-server.json: a real `kmbench run --preset server` (3 x 0.2 s) on the
2-core dev VM (release build), trimmed to the iteration rows of slab, slab-packed, kmalloc,
glibc and tcmalloc. The answers above the figures (the fastest backend at 2 threads, slab's
ratio to it, each backend's 2-thread over 1-thread throughput) and the table's ratios to slab
are checked against the fixture's own rows (median items_per_second over repetitions); the
section is absent from a file without larson or prodcons rows. The Summary's server finding
names the backend whose 2-thread throughput is the largest multiple of its 1-thread one, with
its range, and is left out where the scaling finding already reads that case.

Run: /usr/bin/python3 tests/report/test_report_server.py   (KMB_SOURCE_DIR: the repository
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

SERVER_FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-server.json")
WORKLOADS = {"larson": {"size": 1024, "batch": 5000}, "prodcons": {"size": 1024}}
THREADS = [1, 2]
BACKENDS = ["slab", "slab-packed", "kmalloc", "glibc", "tcmalloc"]


def mobj(data, backend, workload, threads):
    """Median Mobj/s of a cell over its repetitions (items_per_second / 1e6)."""
    vals = [r["items_per_second"] / 1e6 for r in
            ru.ok_runs(data, backend, workload, WORKLOADS[workload], threads)]
    return statistics.median(vals)


def spread(data, backend, workload, threads):
    vals = [r["items_per_second"] / 1e6 for r in
            ru.ok_runs(data, backend, workload, WORKLOADS[workload], threads)]
    return statistics.median(vals), min(vals), max(vals)


def ratio_text(r):
    """The report's ratio format (kmb_html.fmt_ratio)."""
    return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


class Section(ru.FixturePage):
    FIXTURE = SERVER_FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.section = ru.section(self.html, "server")
        self.assertIsNotNone(self.section)

    def answers(self, workload):
        return [html.unescape(t) for t in re.findall(
            r'<li data-workload="' + workload + r'">(.*?)</li>', self.section)]

    def test_linked_and_figures(self):
        self.assertIn('href="#server"', self.html)
        for w in WORKLOADS:
            self.assertIn(f'<h3 id="server-{w}">', self.section)
            png = ru.img_src(self.section, f"{w}: objects per second against threads")
            self.assertIsNotNone(png, w)
            self.assertTrue(png.startswith(ru.PNG_MAGIC))

    def test_fastest_and_slab_from_the_fixture(self):
        for w in WORKLOADS:
            at2 = {b: mobj(self.data, b, w, 2) for b in BACKENDS}
            best = max(at2, key=at2.get)
            first = self.answers(w)[0]
            self.assertIn(f"2 threads: {best} is fastest, {at2[best]:,.2f} Mobj/s", first)
            if best != "slab":
                self.assertIn(f"slab {at2['slab']:,.2f}, "
                              f"{ratio_text(at2['slab'] / at2[best])} of it", first)

    def test_scaling_line_from_the_fixture(self):
        for w in WORKLOADS:
            scal = sorted(((mobj(self.data, b, w, 2) / mobj(self.data, b, w, 1), b)
                           for b in BACKENDS), reverse=True)
            want = "2 threads over 1 thread: " + ", ".join(
                f"{b} {ratio_text(r)}" for r, b in scal) + "."
            self.assertEqual(self.answers(w)[1], want)

    def test_table_every_cell_ratio_and_counters(self):
        rows = ru.table_rows(self.page, "server-table")
        self.assertEqual(len(rows), len(WORKLOADS) * len(THREADS) * len(BACKENDS))
        for r in rows:
            w, t, b = r["workload"], int(r["threads"]), r["backend"]
            m, lo, hi = spread(self.data, b, w, t)
            self.assertEqual(r["Mobj/s"], f"{m:,.2f}", r)
            self.assertEqual(r["min..max"], f"{lo:,.2f}..{hi:,.2f}", r)
            self.assertEqual(r["/ slab"], ratio_text(m / mobj(self.data, "slab", w, t)), r)
            if w == "prodcons":
                self.assertTrue(r["counters"].startswith("producers 1; consumers 1;"), r)
            elif t == 1:
                self.assertTrue(r["counters"].startswith("remote_free_frac 0;"), r)
            else:   # about 1 / larson-rounds (100) of the frees cross threads
                frac = float(r["counters"].split(";")[0].split()[1])
                self.assertTrue(0.002 < frac < 0.05, r)


def server_findings(data):
    return [f for f in kms.findings(kr.cells(data["benchmarks"]), data["context"])
            if f.kind == kms.SERVER]


class Finding(unittest.TestCase):
    def setUp(self):
        self.data = ru.load(SERVER_FIXTURE)

    def expected(self, w):
        """(backend, ratio, lo, hi) of the best 2-thread over 1-thread throughput."""
        out = []
        for b in BACKENDS:
            two, one = spread(self.data, b, w, 2), spread(self.data, b, w, 1)
            out.append((two[0] / one[0], two[1] / one[2], two[2] / one[1], b))
        r, lo, hi, b = max(out)
        return b, r, lo, hi

    def test_best_scaling_with_its_range(self):
        cells = kr.cells(self.data["benchmarks"])
        scaled = kms.scaling(cells)
        found = {f.where.split(",")[0]: f for f in server_findings(self.data)}
        for w in WORKLOADS:
            where = f"{w}, 1 KiB, 1 to 2 threads"   # the batch does not vary: not named
            if scaled is not None and scaled.where == where:
                self.assertNotIn(w, found, "the scaling finding already reads this case")
                continue
            f = found[w]
            self.assertEqual(f.where, where)
            b, r, lo, hi = self.expected(w)
            self.assertTrue(f.text.startswith(
                f"{b} scales best: at 2 threads it moves {r:.2f}x ({lo:.2f}..{hi:.2f}) its "
                "one-thread objects per second"), f.text)
            self.assertEqual(f.anchor, f"server-{w}")
            self.assertEqual(len(f.details), len(BACKENDS))
        self.assertEqual(len(found), 2 - sum(
            scaled is not None and scaled.where.startswith(w + ",") for w in WORKLOADS))

    def test_each_workload_without_the_scaling_finding(self):
        """Alone, each workload's group gets its server finding (no other group to scale)."""
        for w in WORKLOADS:
            alone = dict(self.data, benchmarks=[r for r in self.data["benchmarks"]
                                                if r["kmbench"]["workload"] == w])
            cells = kr.cells(alone["benchmarks"])
            f = kms.server(cells, w)
            b, r, lo, hi = self.expected(w)
            self.assertIn(f"{b} scales best", f.text)
            self.assertIn(f"{r:.2f}x ({lo:.2f}..{hi:.2f})", f.text)

    def test_none_without_two_threads_or_rows(self):
        one = dict(self.data, benchmarks=[r for r in self.data["benchmarks"]
                                          if r["threads"] == 1])
        self.assertEqual(server_findings(one), [])
        self.assertEqual(server_findings(ru.load(ru.FIXTURE)), [])


class Absent(ru.FixtureVariants):
    FIXTURE = SERVER_FIXTURE

    def test_absent_without_server_rows(self):
        self.data["benchmarks"] = ru.load(ru.FIXTURE)["benchmarks"]   # the quick preset's
        page = self.render()
        self.assertIsNone(ru.section(page, "server"))
        self.assertNotIn('href="#server"', page)
        self.assertNotIn("Server workloads", page)


if __name__ == "__main__":
    unittest.main(verbosity=2)
