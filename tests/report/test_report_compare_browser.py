#!/usr/bin/python3
"""The compare page (report/kmb_compare.py) in a real browser: one headless Chromium
(tests/report/browser_check.py, the DevTools protocol on a pipe) loads the file:// page made from
tests/fixtures/results-quick.json and a copy with one cell 30% slower.

The page must pass Chromium's own check (no console error, exception or logged error, no
<script>, every image decoded and not blank, nothing wider than the window at 1280 and at
800 px); the DOM Chromium built must hold the runs' and hosts' tables, a slower table naming that
cell alone (or none) and no faster one, and the ratio figure decoded as a PNG; and a full-page
screenshot (at 1280 px) must not be blank.  The screenshot is kept in $KMB_SCREENSHOT_DIR
(scripts/test: results/ci/screenshots, which the CI templates keep), else in the test's
temporary directory.  Exits 77 (ctest: skipped) when /usr/bin/chromium is absent.

Run: /usr/bin/python3 tests/report/test_report_compare_browser.py
"""
import json
import os
import random
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_check as bc  # noqa: E402
import report_util as ru  # noqa: E402

SLOW = ("jemalloc", "churn", "size:64 batch:100", 1)   # the fixture's planted cell


class CompareBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="kmb-compare-browser-")
        with open(ru.FIXTURE) as f:
            data = json.load(f)
        rng = random.Random(3)
        for r in data["benchmarks"]:
            k = r.get("kmbench") or {}
            params = " ".join(f"{a}:{b}" for a, b in (k.get("params") or {}).items())
            if isinstance(r.get("real_time"), (int, float)):
                r["real_time"] *= rng.uniform(0.99, 1.01)
                if (k.get("backend"), k.get("workload"), params, k.get("threads")) == SLOW:
                    r["real_time"] *= 1.3
        cls.other = os.path.join(cls.tmp, "other.json")
        with open(cls.other, "w") as f:
            json.dump(data, f)
        out = os.path.join(cls.tmp, "compare.html")
        proc = ru.run_report(ru.FIXTURE, cls.other, "-o", out)
        if proc.returncode:
            raise AssertionError(proc.stderr)
        shots = os.path.abspath(os.environ.get("KMB_SCREENSHOT_DIR") or cls.tmp)
        os.makedirs(shots, exist_ok=True)
        cls.shot = os.path.join(shots, "compare-quick-slower.png")
        with bc.Browser(cls.tmp) as browser:
            cls.problems = browser.check("file://" + out, screenshot=cls.shot)
            cls.out = browser.dom()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_browser(self):
        self.assertEqual(self.problems, [])

    def test_dom(self):
        out = self.out
        dom = ru.parse(out)
        self.assertIn("compare-runs", dom.tables)
        self.assertIn("compare-1-hosts", dom.tables)
        imgs = [s for s in dom.imgs if s.startswith("data:image/png;base64,")]
        self.assertEqual(len(imgs), 1)
        self.assertTrue(ru.png_payloads(out)[0].startswith(ru.PNG_MAGIC))
        # With the fixture's repetitions the planted cell is flagged, or (too few repetitions
        # for the U test) nothing is: never another cell.
        slower = ru.table_rows(dom, "compare-1-slower") if "compare-1-slower" in dom.tables \
            else []
        for row in slower:
            self.assertEqual((row["backend"], row["workload"], row["parameters"],
                              int(row["threads"])), SLOW)
        self.assertNotIn("compare-1-faster", dom.tables)

    def test_screenshot(self):
        with open(self.shot, "rb") as f:
            self.assertTrue(f.read(8).startswith(ru.PNG_MAGIC))
        try:
            from PIL import Image
        except ImportError:
            self.skipTest("PIL not importable: screenshot contents not checked")
        with Image.open(self.shot) as im:
            self.assertEqual(im.size[0], bc.WIDTHS[0])
            colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        self.assertGreater(len(colours), 100, "screenshot has too few colours: blank?")


if __name__ == "__main__":
    if not os.access(bc.CHROMIUM, os.X_OK):
        print(f"skipped: {bc.CHROMIUM} not found (Debian package chromium)")
        sys.exit(77)
    unittest.main(verbosity=2)
