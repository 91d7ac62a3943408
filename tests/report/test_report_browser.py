#!/usr/bin/python3
"""The report in a real browser: one headless Chromium (tests/report/browser_check.py, the
DevTools protocol on a pipe) loads the file:// pages of six fixtures.

Each page must pass Chromium's own check (no console error, exception or logged error, no
<script>, every image decoded and not blank, nothing wider than the window at 1280 and at
800 px); the DOM Chromium built must hold what the fixture makes (the Summary's findings,
results rows, the failed row, embedded images; each section's tables and figures); and a
screenshot of the quick fixture's page top (1280 x 2400 px) must not be blank, with the
baselines' colours drawn.  The screenshot is kept in $KMB_SCREENSHOT_DIR (scripts/test:
results/ci/screenshots, which the CI templates keep), else in the test's temporary directory.

The six pages render two at a time (one per CPU) while Chromium checks those that are ready.
Exits 77 (ctest: skipped) when /usr/bin/chromium is absent.

Run: /usr/bin/python3 tests/report/test_report_browser.py
"""
import concurrent.futures
import os
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser_check as bc  # noqa: E402
import report_util as ru  # noqa: E402

WINDOW = (1280, 2400)     # the screenshot: the page's top at the laptop width
# The Okabe-Ito colours the report gives the baselines, in every report (kmb_plots.LOOKS).
BACKEND_RGB = {"glibc": (0, 114, 178), "jemalloc": (230, 159, 0), "tcmalloc": (0, 158, 115),
               "mimalloc": (213, 94, 0)}
BROWSER = None            # the module's one Chromium (setUpModule)
TMP = None
POOL = None
RENDERS = {}              # fixture -> future of (its page's path, the report's CompletedProcess)


def render(fixture):
    out = os.path.join(TMP, os.path.basename(fixture)[:-5] + ".html")
    return out, ru.run_report(fixture, "-o", out)


def setUpModule():
    global BROWSER, TMP, POOL
    TMP = tempfile.mkdtemp(prefix="kmb-report-browser-")
    POOL = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2)
    for cls in RenderedFixture.__subclasses__():
        RENDERS[cls.FIXTURE] = POOL.submit(render, cls.FIXTURE)
    BROWSER = bc.Browser(TMP).__enter__()


def tearDownModule():
    if BROWSER:
        BROWSER.__exit__(None, None, None)
    POOL.shutdown(cancel_futures=True)
    shutil.rmtree(TMP, ignore_errors=True)


class RenderedFixture:
    """FIXTURE's page, which must render, checked by Chromium once per class: cls.problems its
    problems, cls.out the DOM Chromium built and cls.dom its tables parsed.  SCREENSHOT: the
    page's top kept as cls.shot.  A mixin (not a TestCase itself, so that unittest does not run
    it without a fixture); each subclass, also a TestCase, holds a fixture's tests."""

    FIXTURE = None
    SCREENSHOT = False

    @classmethod
    def setUpClass(cls):
        page, proc = RENDERS[cls.FIXTURE].result()
        if proc.returncode != 0:
            raise AssertionError(f"report failed: {proc.stderr}")
        cls.shot = None
        if cls.SCREENSHOT:
            shots = os.path.abspath(os.environ.get("KMB_SCREENSHOT_DIR") or TMP)
            os.makedirs(shots, exist_ok=True)
            cls.shot = os.path.join(shots, "top-" + os.path.basename(page)[:-5] + ".png")
        cls.problems = BROWSER.check("file://" + page, screenshot=cls.shot, height=WINDOW[1])
        cls.out = BROWSER.dom()
        cls.dom = ru.parse(cls.out)

    def test_browser(self):
        self.assertEqual(self.problems, [])


class Browser(RenderedFixture, unittest.TestCase):

    FIXTURE = ru.FIXTURE
    SCREENSHOT = True

    def test_dom(self):
        out, dom = self.out, self.dom
        rows = ru.result_rows(dom)
        self.assertEqual(len([r for r in rows if "failed" not in r["class"]]), ru.OK_ROWS)
        failed = [r for r in rows if "failed" in r["class"]]
        self.assertEqual(len(failed), 1)
        self.assertIn(ru.ERROR_MESSAGE, " ".join(failed[0].values()))
        imgs = [s for s in dom.imgs if s.startswith("data:image/png;base64,")]
        self.assertGreaterEqual(len(imgs), 2 * ru.GROUPS)
        self.assertEqual(len(dom.tables["findings-table"]["rows"]), 12)
        self.assertLess(out.index('id="summary"'), out.index('id="plots"'))

    def test_screenshot(self):
        with open(self.shot, "rb") as f:
            self.assertTrue(f.read(8).startswith(ru.PNG_MAGIC))
        try:
            from PIL import Image
        except ImportError:
            self.skipTest("PIL not importable: screenshot contents not checked")
        with Image.open(self.shot) as im:
            im = im.convert("RGB")
            self.assertEqual(im.size, WINDOW)
            colours = im.getcolors(maxcolors=1 << 20)
        self.assertGreater(len(colours), 500, "screenshot has too few colours: blank?")
        total = WINDOW[0] * WINDOW[1]
        white = sum(n for n, rgb in colours if min(rgb) >= 250)
        self.assertLess(white, 0.97 * total, "screenshot is almost all white")
        for backend, rgb in BACKEND_RGB.items():   # lines and dots, their edges blended
            near = sum(n for n, c in colours if sum((a - b) ** 2 for a, b in zip(c, rgb)) <= 900)
            self.assertGreater(near, 400, f"{backend}'s colour {rgb} not drawn")


class BrowserPages(RenderedFixture, unittest.TestCase):
    """The page-allocator sections of tests/fixtures/results-pages.json as Chromium builds them."""

    FIXTURE = ru.PAGES_FIXTURE

    def test_dom(self):
        out, dom = self.out, self.dom
        targets = dom.tables["targets-table"]["rows"]
        self.assertEqual(len(targets), 4)
        self.assertEqual({cls for cls, _ in targets}, {"target met", "target not-met"})
        self.assertEqual(len(dom.tables["orders-buddy"]["rows"]), 2)
        self.assertIn("<figcaption>buddyinfo</figcaption><pre>Node 0, zone", out)
        self.assertIsNotNone(ru.img_src(out, ru.FRAG_ALT))
        self.assertEqual([h for h in dom.tables["results-table"]["header"] if "_at_" in h], [])


class BrowserSlab(RenderedFixture, unittest.TestCase):
    """The slab targets table of tests/fixtures/results-slab.json as Chromium builds it."""

    FIXTURE = ru.SLAB_FIXTURE

    def test_dom(self):
        rows = ru.table_rows(self.dom, "slab-targets-table")
        self.assertEqual(len(rows), ru.SLAB_TARGET_ROWS)
        self.assertEqual({r["class"].replace(" headline", "") for r in rows},
                         {"target met", "target not-met"})
        self.assertEqual((rows[0]["case"], rows[0]["size"], rows[0]["batch"]),
                         ("64 B hot", "64", "1"))
        self.assertIsNotNone(ru.img_src(self.out, ru.SLAB_PLOT_ALT))


class BrowserPercpu(RenderedFixture, unittest.TestCase):
    """The Per-CPU caches section of tests/fixtures/results-percpu.json as Chromium builds it."""

    FIXTURE = ru.PERCPU_FIXTURE

    def test_dom(self):
        dom = self.dom
        rows = ru.table_rows(dom, "percpu-targets-table")
        self.assertEqual(len(rows), ru.PERCPU_TARGET_ROWS)
        self.assertEqual({r["class"] for r in rows},
                         {"target met", "target not-met", "target info"})
        self.assertEqual(len(dom.tables["percpu-remote-table"]["rows"]), 12)
        self.assertEqual(len(dom.tables["percpu-counters-table"]["rows"]), 2)
        for alt in ru.PERCPU_ALTS:
            self.assertIsNotNone(ru.img_src(self.out, alt), alt)


class BrowserMempool(RenderedFixture, unittest.TestCase):
    """The mempool section of tests/fixtures/results-mempool.json as Chromium builds it."""

    FIXTURE = ru.MEMPOOL_FIXTURE

    def test_dom(self):
        rows = ru.table_rows(self.dom, "mempool-table")
        self.assertEqual(len(rows), ru.MEMPOOL_ROWS)
        self.assertEqual([r["fail"] for r in rows[:4]], ["0%", "10%", "50%", "100%"])
        self.assertEqual({r["fail"] for r in rows if "reference" in r["class"]}, {"no pool"})
        for alt in ru.MEMPOOL_ALTS:
            self.assertIsNotNone(ru.img_src(self.out, alt), alt)


class BrowserVmalloc(RenderedFixture, unittest.TestCase):
    """The vmalloc section of tests/fixtures/results-vmalloc.json as Chromium builds it."""

    FIXTURE = ru.VMALLOC_FIXTURE

    def test_dom(self):
        dom = self.dom
        rows = ru.table_rows(dom, "vmalloc-targets-table")
        self.assertEqual([r["threads"] for r in rows], [str(t) for t in ru.VM_THREADS])
        self.assertTrue({r["class"] for r in rows} <= {"target met", "target not-met"})
        self.assertEqual(len(dom.tables["vmalloc-table"]["rows"]),
                         len(ru.VM_SIZES) * len(ru.VM_THREADS) * len(ru.VM_WORKLOADS))
        self.assertEqual({r["workload"] for r in ru.table_rows(dom, "vmtest-table")},
                         set(ru.VMTEST_WORKLOADS))
        for t in ru.VM_THREADS:
            for w in ru.VM_WORKLOADS:
                alt = f"{w} threads:{t}: ns/op against size"
                self.assertIsNotNone(ru.img_src(self.out, alt), alt)


if __name__ == "__main__":
    if not os.access(bc.CHROMIUM, os.X_OK):
        print(f"skipped: {bc.CHROMIUM} not found (Debian package chromium)")
        sys.exit(77)
    unittest.main(verbosity=2)
