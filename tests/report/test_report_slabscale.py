#!/usr/bin/python3
"""The report's "Slab at scale" section (report/sections/slabscale.py) on
tests/fixtures/results-slabscale.json: a real `kmbench run --preset slab-scale --no-profile` on
the 2-core dev VM (3 repetitions), trimmed to the iteration rows of slab, slab-nosheaves, kmalloc,
glibc and tcmalloc at 8 B, 1 KiB and 8 KiB, batch 100 and 1000, 1 and 2 threads (and the
context's backends to those five). Every ratio the page writes is recomputed here from the
fixture's rows (median of real_time x threads at 2 threads over the same at 1), every verdict
from the 1.2x goal; a cell whose runs failed or are absent is named as missing; the section is
reduced to a note for a file with one thread count or without a batch above 1.

Run: /usr/bin/python3 tests/report/test_report_slabscale.py   (KMB_SOURCE_DIR: the repository
root)
"""
import html
import json
import math
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-slabscale.json")
BACKENDS = ["slab", "slab-nosheaves", "kmalloc", "glibc", "tcmalloc"]
GOAL_BACKENDS = ["slab", "kmalloc"]
SIZES = [8, 1024, 8192]
BATCHES = [100, 1000]
GOAL = 1.2
ALT = "churn: 2 threads over 1 thread: ratio against size"


def ratio_text(r):
    """The report's ratio format (kmb_html.fmt_ratio)."""
    return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


def ratio(data, backend, size, batch, threads=2):
    params = {"size": size, "batch": batch}
    n = ru.median_ns(data, backend, "churn", params, threads)
    one = ru.median_ns(data, backend, "churn", params, 1)
    return None if n is None or one is None else n / one


def strip(text):
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def scale_rows(text):
    """{(backend, batch, size, threads): [cell texts]} of the section's table."""
    out = {}
    for b, batch, size, t, body in re.findall(
            r'<tr class="scale [^"]*" data-backend="([^"]+)" data-batch="(\d+)" '
            r'data-size="(\d+)" data-threads="(\d+)">(.*?)</tr>', text, re.S):
        out[(b, int(batch), int(size), int(t))] = [strip(c) for c in
                                                   re.findall(r"<td[^>]*>(.*?)</td>", body)]
    return out


class Section(ru.FixturePage):
    FIXTURE = FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.section = ru.section(self.html, "slab-scale")
        self.assertIsNotNone(self.section)

    def test_linked_with_figure(self):
        self.assertIn('href="#slab-scale"', self.html)
        png = ru.img_src(self.section, ALT)
        self.assertIsNotNone(png)
        self.assertTrue(png.startswith(ru.PNG_MAGIC))

    def test_every_ratio_from_the_fixture(self):
        rows = scale_rows(self.section)
        self.assertEqual(sorted(rows), sorted((b, batch, s, 2) for b in BACKENDS
                                              for batch in BATCHES for s in SIZES))
        for (b, batch, size, t), cells in rows.items():
            r = ratio(self.data, b, size, batch, t)
            self.assertIsNotNone(r)
            self.assertEqual(cells[6], ratio_text(r), (b, batch, size))

    def test_verdicts_follow_the_goal(self):
        rows = scale_rows(self.section)
        verdicts = []
        for (b, batch, size, t), cells in rows.items():
            r = ratio(self.data, b, size, batch, t)
            if b in GOAL_BACKENDS:
                want = "met" if r <= GOAL else "not met"
                self.assertEqual((cells[7], cells[8]), ("<= 1.2x", want), (b, batch, size))
                verdicts.append(want)
            else:
                self.assertEqual((cells[7], cells[8]), ("-", "reference"), (b, batch, size))
        self.assertIn(f"met in {verdicts.count('met')} of {len(verdicts)} cells",
                      strip(self.section))

    def test_sheaves_sentence_per_batch(self):
        items = re.findall(r'<li data-batch="(\d+)" data-threads="2" data-better="([^"]+)" '
                           r'data-on="[^"]*" data-off="[^"]*">(.*?)</li>', self.section)
        self.assertEqual([int(b) for b, _, _ in items], BATCHES)
        for batch, better, text in items:
            on = math.exp(sum(math.log(ratio(self.data, "slab", s, int(batch))) for s in SIZES)
                          / len(SIZES))
            off = math.exp(sum(math.log(ratio(self.data, "slab-nosheaves", s, int(batch)))
                               for s in SIZES) / len(SIZES))
            want = "slab" if on <= off else "slab-nosheaves"
            self.assertEqual(better, want)
            lo, hi = sorted((on, off))
            self.assertIn(f"{want} scales better, {ratio_text(lo)} against", strip(text))
            self.assertIn(f"{ratio_text(hi)}", strip(text))
            self.assertIn(f"{hi / lo:.2f} times less growth", strip(text))


class Variants(ru.FixtureVariants):
    FIXTURE = FIXTURE

    def test_missing_and_failed_cells_named(self):
        self.drop(lambda k, r: k["backend"] == "kmalloc" and k["params"] == {"size": 8,
                                                                            "batch": 100}
                  and r["threads"] == 2)
        for r in self.data["benchmarks"]:
            k = r["kmbench"]
            if k["backend"] == "slab" and k["params"] == {"size": 1024, "batch": 1000} \
                    and r["threads"] == 1:
                r["error_occurred"], r["error_message"] = True, "planted failure"
        rows = scale_rows(ru.section(self.render(), "slab-scale"))
        cells = rows[("kmalloc", 100, 8, 2)]
        self.assertIn("missing: no churn run of kmalloc size:8 batch:100 threads:2", cells[4])
        self.assertEqual(cells[-1], "unknown")
        cells = rows[("slab", 1000, 1024, 2)]
        self.assertIn("missing: only failed churn run of slab size:1024 batch:1000 threads:1",
                      cells[4])
        self.assertEqual(cells[-1], "unknown")
        self.assertEqual(len(rows), len(BACKENDS) * len(BATCHES) * len(SIZES))

    def test_bigsheaves_sentence_per_batch(self):
        """slab against slab-bigsheaves, one sentence per batch: the fixture's tcmalloc rows
        renamed stand in for slab-bigsheaves' (any rows of every cell do)."""
        orig = ru.load(FIXTURE)
        self.data = json.loads(json.dumps(self.data).replace('"tcmalloc"', '"slab-bigsheaves"')
                               .replace("/tcmalloc/", "/slab-bigsheaves/"))
        section = ru.section(self.render(), "slab-scale")
        items = re.findall(r'<li data-against="slab-bigsheaves" data-batch="(\d+)" '
                           r'data-threads="2" data-better="([^"]+)" data-slab="[^"]*" '
                           r'data-big="[^"]*">(.*?)</li>', section)
        self.assertEqual([int(b) for b, _, _ in items], BATCHES)
        for batch, better, text in items:
            on = math.exp(sum(math.log(ratio(orig, "slab", s, int(batch))) for s in SIZES)
                          / len(SIZES))
            big = math.exp(sum(math.log(ratio(orig, "tcmalloc", s, int(batch))) for s in SIZES)
                           / len(SIZES))
            want = "slab" if on <= big else "slab-bigsheaves"
            self.assertEqual(better, want)
            lo, hi = sorted((on, big))
            self.assertIn(f"{want} scales better, {ratio_text(lo)} against", strip(text))
            self.assertIn(f"{hi / lo:.2f} times less growth", strip(text))

    def test_one_thread_count_left_out_with_note(self):
        self.drop(lambda k, r: r["threads"] == 2)
        section = ru.section(self.render(), "slab-scale")
        self.assertIsNotNone(section)
        self.assertIn('id="slab-scale-left-out"', section)
        self.assertIn("1 thread count (1)", strip(section))
        self.assertNotIn("<table", section)
        self.assertIsNone(ru.img_src(section, ALT))

    def test_no_batch_above_one_left_out_with_note(self):
        for r in self.data["benchmarks"]:
            r["kmbench"]["params"]["batch"] = 1
            r["name"] = r["run_name"] = r["name"].replace("batch:100/", "batch:1/").replace(
                "batch:1000/", "batch:1/")
        section = ru.section(self.render(), "slab-scale")
        self.assertIn("no batch above 1", strip(section))
        self.assertNotIn("<table", section)

    def test_absent_without_kernel_style_churn(self):
        self.drop(lambda k, r: k["backend"] not in ("glibc", "tcmalloc"))
        page = self.render()
        self.assertIsNone(ru.section(page, "slab-scale"))
        self.assertNotIn('href="#slab-scale"', page)


if __name__ == "__main__":
    unittest.main()
