#!/usr/bin/python3
"""The report's "Programs" section (report/sections/programs.py) on
tests/fixtures/results-programs.json (tests/fixtures/make_results_programs.py): python, sqlite
and git under glibc, jemalloc, kmalloc and slab-packed, slab-packed's git failed. Per program
a figure of wall time, CPU time and peak RSS against glibc's and a table whose medians and ratios are
recomputed here from the fixture's rows; the outputs' identity stated, the failure named; the
findings sentence's geometric means recomputed; a variant whose outputs differ says so; the
section is absent from a file without program rows.

Run: /usr/bin/python3 tests/report/test_report_programs.py   (KMB_SOURCE_DIR: the repository root)
"""
import html
import math
import os
import re
import statistics
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-programs.json")
PROGRAMS = ["python", "sqlite", "git"]


def text_of(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def ratio_text(r):
    return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


def values(data, backend, program, key):
    if key == "cpu_s":
        return [u + s for u, s in zip(values(data, backend, program, "user_s"),
                                      values(data, backend, program, "sys_s"))]
    return [r[key] for r in data["benchmarks"] if r.get("run_type") == "iteration"
            and r["kmbench"]["workload"] == "program" and r["kmbench"]["backend"] == backend
            and r["kmbench"]["params"]["program"] == program and not r.get("error_occurred")]


def ratio(data, backend, program, key):
    ref = statistics.median(values(data, "glibc", program, key))
    return statistics.median(v / ref for v in values(data, backend, program, key))


class Section(ru.FixturePage):
    FIXTURE = FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.section = ru.section(self.html, "programs")
        self.assertIsNotNone(self.section)

    def test_linked_with_a_figure_per_program(self):
        self.assertIn('href="#programs"', self.html)
        for p in PROGRAMS:
            png = ru.img_src(self.section,
                             f"program {p}: wall time, CPU time and peak RSS against glibc")
            self.assertIsNotNone(png, p)
            self.assertTrue(png.startswith(ru.PNG_MAGIC))

    def test_tables_from_the_fixture(self):
        for p in PROGRAMS:
            rows = {r["backend"]: r for r in ru.table_rows(self.page, f"program-{p}")}
            for b in ("glibc", "jemalloc", "kmalloc"):
                wall = statistics.median(values(self.data, b, p, "wall_s"))
                rss = statistics.median(values(self.data, b, p, "peak_rss_kib")) / 1024
                self.assertEqual(rows[b]["wall s"], f"{wall:,.2f}", (p, b))
                self.assertEqual(rows[b]["wall / glibc"],
                                 ratio_text(ratio(self.data, b, p, "wall_s")), (p, b))
                self.assertEqual(rows[b]["peak RSS MiB"], f"{rss:,.1f}", (p, b))
                self.assertEqual(rows[b]["CPU / glibc"],
                                 ratio_text(ratio(self.data, b, p, "cpu_s")), (p, b))
                self.assertEqual(rows[b]["RSS / glibc"],
                                 ratio_text(ratio(self.data, b, p, "peak_rss_kib")), (p, b))
            self.assertEqual(rows["glibc"]["processes under the shim"], "-")
            self.assertNotEqual(rows["kmalloc"]["processes under the shim"], "-")
        git = {r["backend"]: r for r in ru.table_rows(self.page, "program-git")}
        self.assertIn("exit status 128", git["slab-packed"]["wall s"])

    def test_identity_stated(self):
        said = {p: text_of(t) for p, t in re.findall(
            r'<p class="program-identity" data-program="(\w+)">(.*?)</p>', self.section)}
        self.assertEqual(sorted(said), sorted(PROGRAMS))
        self.assertIn("Output identical under every backend that ran it (4:", said["python"])
        self.assertIn("Failed under slab-packed (program git on slab-packed: exit status 128",
                      said["git"])

    def test_findings(self):
        found = [text_of(f) for f in re.findall(r"<li>(.*?)</li>", re.search(
            r'<ul class="program-findings">(.*?)</ul>', self.section, re.S).group(1))]
        gm = {k: math.exp(statistics.fmean(math.log(ratio(self.data, "kmalloc", p, k))
                                           for p in PROGRAMS))
              for k in ("wall_s", "cpu_s", "peak_rss_kib")}
        kmalloc = next(f for f in found if f.startswith("kmalloc:"))
        self.assertIn(f"wall time {ratio_text(gm['wall_s'])} glibc's, CPU time "
                      f"{ratio_text(gm['cpu_s'])} and peak RSS "
                      f"{ratio_text(gm['peak_rss_kib'])}", kmalloc)
        self.assertIn("in 3 of 3 programs for wall time, 3 of 3 for CPU time and 3 of 3 for "
                      "peak RSS", kmalloc)
        self.assertIn("slab-packed: left out, it did not run git.", found)


class Variants(ru.FixtureVariants):
    FIXTURE = FIXTURE

    def test_outputs_that_differ_are_said(self):
        for r in self.data["benchmarks"]:
            if (r["kmbench"]["backend"], r["kmbench"]["params"].get("program")) == \
                    ("jemalloc", "sqlite") and r.get("run_type") == "iteration":
                r["output_checksum"] = 1.0
        said = text_of(re.search(r'data-program="sqlite">(.*?)</p>',
                                 ru.section(self.render(), "programs")).group(1))
        self.assertIn("Outputs differ between backends", said)

    def test_absent_without_program_rows(self):
        self.drop(lambda kmb, r: kmb["workload"] == "program")
        self.data["benchmarks"] += ru.load(os.path.join(
            ru.SOURCE_DIR, "tests", "fixtures", "results-quick.json"))["benchmarks"]
        page = self.render()
        self.assertIsNone(ru.section(page, "programs"))
        self.assertNotIn('href="#programs"', page)


if __name__ == "__main__":
    unittest.main()
