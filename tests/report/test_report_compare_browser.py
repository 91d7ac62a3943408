#!/usr/bin/python3
"""The compare page (report/kmb_compare.py) in a real browser: headless Chromium loads the
file:// page made from tests/fixtures/results-quick.json and a copy with one cell 30% slower.

Checks the DOM Chromium built (the slower table names that cell alone, the sentence, the ratio
figure decoded as a PNG) and a screenshot (not blank).  Exits 77 (ctest: skipped) when
/usr/bin/chromium is absent.

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
import report_util as ru  # noqa: E402
from test_report_browser import CHROMIUM, chromium  # noqa: E402

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
        cls.out = os.path.join(cls.tmp, "compare.html")
        proc = ru.run_report(ru.FIXTURE, cls.other, "-o", cls.out)
        if proc.returncode:
            raise AssertionError(proc.stderr)
        cls.url = "file://" + cls.out

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_dom(self):
        rc, out, err = chromium(["--dump-dom", self.url], self.tmp)
        self.assertEqual(rc, 0, err[-2000:])
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
        shot = os.path.join(self.tmp, "shot.png")
        rc, _, err = chromium([f"--screenshot={shot}", "--window-size=1280,1600",
                               "--hide-scrollbars", self.url], self.tmp)
        self.assertEqual(rc, 0, err[-2000:])
        try:
            from PIL import Image
        except ImportError:
            self.skipTest("PIL not importable: screenshot contents not checked")
        with Image.open(shot) as im:
            colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        self.assertGreater(len(colours), 100, "screenshot has too few colours: blank?")


if __name__ == "__main__":
    if not os.access(CHROMIUM, os.X_OK):
        print(f"skipped: {CHROMIUM} is not installed")
        sys.exit(77)
    unittest.main()
