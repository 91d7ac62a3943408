#!/usr/bin/python3
"""Tests of report/kmbench_report.py against tests/fixtures/results-quick.json.

Run: /usr/bin/python3 tests/report/test_report.py   (KMB_SOURCE_DIR: the repository root, if set)
"""
import copy
import glob
import json
import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402


class FixtureFormat(unittest.TestCase):
    """The fixture itself follows results/README.md, so the other tests test something real."""

    def test_fixture_keys(self):
        with open(ru.FIXTURE, encoding="utf-8") as f:
            data = json.load(f)
        ctx = data["context"]
        for key in ("date", "host_name", "run_id", "build_type", "git_commit", "kernel",
                    "cpu_model", "topology", "libraries", "counters", "options", "backends"):
            self.assertIn(key, ctx)
        self.assertEqual(set(ctx["counters"]["unavailable"]), set(ru.HW_COUNTERS))
        self.assertEqual(ctx["backends"][ru.SKIPPED[0]]["status"], "skipped")
        runs = data["benchmarks"]
        self.assertTrue(any(r.get("error_occurred") for r in runs))
        for r in runs:
            for key in ("name", "run_name", "run_type", "family_index", "threads",
                        "real_time", "time_unit", "kmbench"):
                self.assertIn(key, r)
            for hw in ru.HW_COUNTERS:
                self.assertNotIn(hw, r, "unavailable counters are absent, never zero")
            if r["run_type"] == "aggregate":
                self.assertIn(r["aggregate_name"], ("mean", "median", "stddev", "cv"))
                self.assertTrue(r["name"].endswith("_" + r["aggregate_name"]))


class RenderFixture(unittest.TestCase):
    """Render the fixture once (default output: index.html beside it) and inspect the page."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kmb-report-test-")
        cls.results = os.path.join(cls.tmp, "results.json")
        shutil.copy(ru.FIXTURE, cls.results)
        cls.proc = ru.run_report(cls.results)
        cls.out = os.path.join(cls.tmp, "index.html")
        cls.html = ""
        if os.path.exists(cls.out):
            with open(cls.out, encoding="utf-8") as f:
                cls.html = f.read()
        cls.page = ru.parse(cls.html)
        cls.rows = ru.result_rows(cls.page) if "results-table" in cls.page.tables else []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def row(self, backend, params, threads, failed=False):
        found = [r for r in self.rows if r["backend"] == backend and r["params"] == params
                 and r["threads"] == str(threads) and ("failed" in r["class"]) == failed]
        self.assertEqual(len(found), 1, f"one row for {backend} {params} {threads}: {found}")
        return found[0]

    def test_exit_status_and_path(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stdout.strip(), self.out)
        self.assertTrue(self.html.startswith("<!DOCTYPE html>"))
        self.assertEqual(glob.glob(os.path.join(self.tmp, ".*tmp")), [], "temp file left")

    def test_planted_median(self):
        r = self.row("jemalloc", "size:64 batch:100", 1)
        self.assertEqual(r["ns/op"], ru.PLANTED_NS)
        self.assertEqual(r["Mops/s"], ru.PLANTED_MOPS)
        self.assertEqual(r["reps"], "3")

    def test_row_count(self):
        ok = [r for r in self.rows if "failed" not in r["class"]]
        failed = [r for r in self.rows if "failed" in r["class"]]
        self.assertEqual(len(ok), ru.OK_ROWS)
        self.assertEqual(len(failed), 1)

    def test_every_backend_and_skip_reason(self):
        for b in ru.BACKENDS_OK + [ru.SKIPPED[0]]:
            self.assertIn(b, self.html)
        rows = {cells[0]: cells for _, cells in self.page.tables["backends-table"]["rows"]}
        self.assertEqual(set(rows), set(ru.BACKENDS_OK) | {ru.SKIPPED[0]})
        self.assertEqual(rows[ru.SKIPPED[0]][1], "skipped")
        self.assertIn(ru.SKIPPED[1], rows[ru.SKIPPED[0]][2])
        for b in ru.BACKENDS_OK:
            self.assertEqual(rows[b][1], "ok")

    def test_error_row(self):
        r = self.row("tcmalloc", "size:1024 batch:100", 2, failed=True)
        self.assertIn(ru.ERROR_MESSAGE, " ".join(r.values()))
        good = self.row("tcmalloc", "size:1024 batch:100", 2)
        self.assertEqual(good["reps"], "2 of 3")

    def test_counters_in_table(self):
        ok = [r for r in self.rows if "failed" not in r["class"]]
        for r in ok:
            for hw in ru.HW_COUNTERS:
                self.assertEqual(r.get(hw), "n/a", f"{hw} in {r}")
            for sw in ru.SW_COUNTERS:
                self.assertNotEqual(r.get(sw, "n/a"), "n/a", f"{sw} in {r}")
                float(r[sw])

    def test_unavailable_reasons(self):
        rows = dict(cells for _, cells in self.page.tables["unavailable-table"]["rows"])
        self.assertEqual(set(rows), set(ru.HW_COUNTERS))
        for reason in rows.values():
            self.assertEqual(reason, ru.NO_PMU)

    def test_header(self):
        with open(ru.FIXTURE, encoding="utf-8") as f:
            ctx = json.load(f)["context"]
        head = self.html.split("</header>")[0]
        for key in ("run_id", "date", "host_name", "cpu_model", "kernel", "build_type",
                    "git_commit"):
            self.assertIn(str(ctx[key]), head, key)

    def test_images_are_pngs(self):
        self.assertGreaterEqual(self.html.count("data:image/png;base64,"), 2 * ru.GROUPS)
        pngs = ru.png_payloads(self.html)
        self.assertGreaterEqual(len(pngs), 2 * ru.GROUPS)
        for data in pngs:
            self.assertTrue(data.startswith(ru.PNG_MAGIC))
            self.assertGreater(len(data), 10_000)
            self.assertLess(len(data), 2_000_000)
            w, h = ru.png_size(data)
            self.assertTrue(400 <= w <= 2000 and 250 <= h <= 2000, (w, h))
        self.assertEqual(len(self.page.imgs), len(pngs))

    def test_self_contained(self):
        lower = self.html.lower()
        self.assertNotIn("http://", lower)
        self.assertNotIn("https://", lower)
        self.assertNotIn("<script", lower)
        self.assertNotIn("<link", lower)
        for src in self.page.imgs:
            self.assertTrue(src.startswith("data:image/png;base64,"), src[:40])

    def test_context_rendered(self):
        for text in ("topology", "libraries", "options", "gperftools 2.10", "33658585088"):
            self.assertIn(text, self.html)


class Variants(unittest.TestCase):
    """Options and unusual but valid inputs."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kmb-report-test-")
        with open(ru.FIXTURE, encoding="utf-8") as f:
            self.data = json.load(f)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def render(self, data, *args):
        path = os.path.join(self.tmp, "in.json")
        out = os.path.join(self.tmp, "out.html")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
        proc = ru.run_report(path, "-o", out, *args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), out)
        with open(out, encoding="utf-8") as f:
            return f.read()

    def test_title_and_escaping(self):
        data = copy.deepcopy(self.data)
        data["context"]["cpu_model"] = "<b>evil</b> see https://example.org"
        page = self.render(data, "--title", "A & B <i>")
        self.assertIn("<title>A &amp; B &lt;i&gt;</title>", page)
        self.assertIn("&lt;b&gt;evil&lt;/b&gt;", page)
        self.assertNotIn("<b>evil", page)
        self.assertNotIn("https://", page)

    def test_aggregates_only(self):
        data = copy.deepcopy(self.data)
        data["benchmarks"] = [r for r in data["benchmarks"] if r["run_type"] == "aggregate"]
        page = self.render(data)
        rows = ru.result_rows(ru.parse(page))
        self.assertEqual(len(rows), ru.OK_ROWS)
        r = [r for r in rows if r["backend"] == "jemalloc" and r["params"] == "size:64 batch:100"
             and r["threads"] == "1"][0]
        self.assertEqual(r["ns/op"], ru.PLANTED_NS)
        self.assertIn("median aggregate", r["reps"])

    def test_one_thread_count(self):
        data = copy.deepcopy(self.data)
        data["benchmarks"] = [r for r in data["benchmarks"] if r["threads"] == 1]
        page = self.render(data)
        self.assertEqual(len(ru.result_rows(ru.parse(page))), ru.OK_ROWS // 2)
        self.assertEqual(len(ru.png_payloads(page)), 2 * ru.GROUPS)

    def test_whole_cell_failed(self):
        data = copy.deepcopy(self.data)
        data["benchmarks"] = [r for r in data["benchmarks"] if r["run_type"] == "iteration"]
        for r in data["benchmarks"]:
            if r["kmbench"]["backend"] == "glibc" and r["threads"] == 2:
                r.update(error_occurred=True, error_message="pinning failed: EINVAL")
                r.pop("items_per_second", None)
        rows = ru.result_rows(ru.parse(self.render(data)))
        glibc2 = [r for r in rows if r["backend"] == "glibc" and r["threads"] == "2"]
        self.assertEqual(len(glibc2), 2)
        for r in glibc2:
            self.assertIn("failed", r["class"])
            self.assertIn("pinning failed: EINVAL", " ".join(r.values()))

    def test_plain_google_benchmark(self):
        data = copy.deepcopy(self.data)
        del data["context"]
        for r in data["benchmarks"]:
            r.pop("kmbench")
            for c in ru.SW_COUNTERS:
                r.pop(c, None)
        rows = ru.result_rows(ru.parse(self.render(data)))
        self.assertEqual({r["backend"] for r in rows}, set(ru.BACKENDS_OK))
        self.assertIn("size:64 batch:100", {r["params"] for r in rows})

    def test_empty_benchmarks(self):
        page = self.render({"context": {}, "benchmarks": []})
        self.assertIn("No results", page)
        self.assertEqual(ru.png_payloads(page), [])

    def test_output_replaced(self):
        out = os.path.join(self.tmp, "out.html")
        with open(out, "w", encoding="utf-8") as f:
            f.write("old")
        page = self.render(self.data)
        self.assertNotEqual(page, "old")
        self.assertEqual(sorted(os.listdir(self.tmp)), ["in.json", "out.html"])


class AtomicWrite(unittest.TestCase):
    """The page appears whole or not at all: temp file in the same directory, then os.replace."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kmb-report-test-")
        self.out = os.path.join(self.tmp, "index.html")
        with open(self.out, "w", encoding="utf-8") as f:
            f.write("old")
        sys.path.insert(0, os.path.dirname(ru.REPORT))
        import kmbench_report
        self.mod = kmbench_report

    def tearDown(self):
        sys.path.remove(os.path.dirname(ru.REPORT))
        shutil.rmtree(self.tmp, ignore_errors=True)

    def content(self):
        with open(self.out, encoding="utf-8") as f:
            return f.read()

    def test_replace_from_same_directory(self):
        real, seen = os.replace, []

        def spy(src, dst):
            seen.append((os.path.dirname(os.path.abspath(src)), self.content()))
            real(src, dst)
        with mock.patch.object(self.mod.os, "replace", spy):
            self.mod.write_atomic(self.out, "new page")
        self.assertEqual(seen, [(self.tmp, "old")], "old page must stay until the rename")
        self.assertEqual(self.content(), "new page")
        self.assertEqual(os.listdir(self.tmp), ["index.html"])

    def test_failure_keeps_old_page(self):
        with mock.patch.object(self.mod.os, "replace", side_effect=OSError(28, "No space")):
            with self.assertRaises(OSError):
                self.mod.write_atomic(self.out, "new page")
        self.assertEqual(self.content(), "old")
        self.assertEqual(os.listdir(self.tmp), ["index.html"], "temp file left behind")

    def test_unwritable_output(self):
        proc = ru.run_report(ru.FIXTURE, "-o", os.path.join(self.tmp, "no", "such", "x.html"))
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("cannot write", proc.stderr)


class BadInput(unittest.TestCase):
    """Exit status 2, one line on stderr naming the problem, no output file."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kmb-report-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check(self, path, *needles):
        out = os.path.join(self.tmp, "out.html")
        for args in ((path, "-o", out), (path,)):
            proc = ru.run_report(*args)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            lines = proc.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, proc.stderr)
            for needle in needles:
                self.assertIn(needle, lines[0])
            self.assertEqual(proc.stdout, "")
        self.assertFalse(os.path.exists(out))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "index.html")))

    def write(self, text):
        path = os.path.join(self.tmp, "in.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_missing_file(self):
        self.check(os.path.join(self.tmp, "nope.json"), "nope.json", "No such file")

    def test_invalid_json(self):
        self.check(self.write('{"benchmarks": [1, 2,'), "in.json", "not valid JSON")

    def test_no_benchmarks_key(self):
        self.check(self.write('{"context": {}}'), "in.json", '"benchmarks"')

    def test_not_an_object(self):
        self.check(self.write("[1, 2, 3]"), "in.json", '"benchmarks"')


if __name__ == "__main__":
    unittest.main(verbosity=2)
