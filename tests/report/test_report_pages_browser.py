#!/usr/bin/python3
"""Every page the report makes from the committed fixtures, checked by headless Chromium itself
(tests/report/browser_check.py, the DevTools protocol on a pipe): the report of every
tests/fixtures/results-*.json, and the compare page of two of them from different hosts.  Each
page must have no console error, exception or logged error, no <script>, every image decoded
and not blank, and nothing wider than the window at 1280 and at 800 px.  A full-page
screenshot of each (at 1280 px) goes to $KMB_SCREENSHOT_DIR (scripts/test: results/ci/
screenshots, which the CI templates keep), else to the test's temporary directory.

The checker itself is tested on small planted pages: a console error, an exception, a broken
image, a blank image, a blank inline SVG, a missing file and an element 3000 px wide are each
caught, the last also inside a folded <details>; a clean page, and a wide element inside a
scrolling box, pass.

One Chromium serves every page; the reports render two at a time (one per CPU) while it
checks those that are ready.  Exits 77 (ctest: skipped) when /usr/bin/chromium is absent.

Run: /usr/bin/python3 tests/report/test_report_pages_browser.py
"""
import base64
import concurrent.futures
import glob
import os
import shutil
import struct
import sys
import tempfile
import unittest
import zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_check as bc  # noqa: E402
import report_util as ru  # noqa: E402

FIXTURES = sorted(glob.glob(os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-*.json")))
COMPARE = ("results-quick.json", "results-profile.json")   # hosts ci-runner-07 and vm
BROWSER = None        # the module's one Chromium (setUpModule)
TMP = None


def setUpModule():
    global BROWSER, TMP
    TMP = tempfile.mkdtemp(prefix="kmb-pages-browser-")
    BROWSER = bc.Browser(TMP).__enter__()


def tearDownModule():
    BROWSER.__exit__(None, None, None)
    shutil.rmtree(TMP, ignore_errors=True)


def png(rows):
    """A PNG (bytes) of rows: a list of rows, each a list of (r, g, b)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    raw = b"".join(b"\0" + bytes(v for px in row for v in px) for row in rows)
    ihdr = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 2, 0, 0, 0)
    return ru.PNG_MAGIC + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) \
        + chunk(b"IEND", b"")


def data_uri(data):
    return "data:image/png;base64," + base64.b64encode(data).decode()


STRIPES = data_uri(png([[(0, 114, 178) if (x // 8) % 2 else (255, 255, 255) for x in range(64)]
                        for _ in range(32)]))
WHITE = data_uri(png([[(255, 255, 255)] * 64 for _ in range(32)]))
DRAWN_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60">'
             '<rect x="10" y="10" width="120" height="30" fill="#0072b2"/></svg>')
EMPTY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"></svg>'
WIDE = '<div id="planted" class="wide" style="width: 3000px">wide</div>'


class Planted(unittest.TestCase):
    """The checker on small pages, each clean but for one planted fault: it must find that
    fault and nothing else."""

    def problems(self, body):
        path = os.path.join(TMP, f"{self.id().rsplit('.', 1)[1]}.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                    f'<p>planted</p><img alt="stripes" src="{STRIPES}">{DRAWN_SVG}{body}'
                    "</body></html>")
        return BROWSER.check("file://" + path)

    def assert_found(self, body, *expected):
        """The problems of the page with body planted: each contains one of expected, in
        order, and there are as many."""
        problems = self.problems(body)
        self.assertEqual(len(problems), len(expected), problems)
        for problem, text in zip(problems, expected):
            self.assertIn(text, problem)

    def test_clean(self):
        self.assertEqual(self.problems('<div style="overflow-x: auto">' + WIDE + "</div>"), [])

    def test_console_error(self):
        self.assert_found('<script>console.error("planted", 42)</script>',
                          "console.error: planted 42", "1 <script> element(s)")

    def test_exception(self):
        self.assert_found('<script>null.x</script>', "exception: TypeError: Cannot read "
                          "properties of null", "1 <script> element(s)")

    def test_broken_image(self):
        # Cut at a multiple of 4 characters: valid base64 of a PNG cut short (else the URL
        # itself is invalid, which Chromium logs as a network error).
        cut = STRIPES[:len(STRIPES) // 8 * 4]
        self.assert_found(f'<img alt="truncated" src="{cut}">',
                          "img 1 'truncated': its PNG data is cut short")

    def test_missing_image(self):
        self.assert_found('<img alt="gone" src="no-such-file.png">',
                          "error logged (network): Failed to load resource",
                          "img 1 'gone': not decoded")

    def test_blank_image(self):
        self.assert_found(f'<img alt="white" src="{WHITE}">',
                          "img 1 'white': blank (100.00% of it one colour)")

    def test_blank_svg(self):
        self.assert_found(EMPTY_SVG, "svg 1: blank")

    def test_wide_folded(self):
        self.assert_found("<details><summary>more</summary>" + WIDE + "</details>",
                          "div#planted.wide (3000 px)", "div#planted.wide (3000 px)")

    def test_wide(self):
        self.assert_found(WIDE, "at 1280 px the page is 3008 px wide; too wide: "
                          "div#planted.wide (3000 px)", "at 800 px the page is 3008 px wide")


class EveryPage(unittest.TestCase):
    """Every fixture's report, and a compare page, in the browser."""

    def test_every_page(self):
        shots = os.path.abspath(os.environ.get("KMB_SCREENSHOT_DIR") or TMP)
        os.makedirs(shots, exist_ok=True)
        jobs = {os.path.basename(f)[:-5]: [f] for f in FIXTURES}
        jobs["compare-" + "-".join(c[8:-5] for c in COMPARE)] = [
            os.path.join(ru.SOURCE_DIR, "tests", "fixtures", c) for c in COMPARE]
        self.assertGreaterEqual(len(jobs), 14)

        def render(name):
            out = os.path.join(TMP, name + ".html")
            return name, out, ru.run_report(*jobs[name], "-o", out)

        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            for done in concurrent.futures.as_completed([pool.submit(render, n) for n in jobs]):
                name, out, proc = done.result()
                with self.subTest(page=name):
                    self.assertEqual(proc.returncode, 0, proc.stderr)
                    shot = os.path.join(shots, name + ".png")
                    self.assertEqual(BROWSER.check("file://" + out, screenshot=shot), [])
                    with open(shot, "rb") as f:
                        self.assertEqual(f.read(8), ru.PNG_MAGIC)


if __name__ == "__main__":
    if not os.access(bc.CHROMIUM, os.X_OK):
        print(f"skipped: {bc.CHROMIUM} not found (Debian package chromium)")
        sys.exit(77)
    unittest.main(verbosity=2)
