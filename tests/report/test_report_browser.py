#!/usr/bin/python3
"""The report in a real browser: headless Chromium loads the file:// page.

Checks the DOM Chromium built (the Summary's findings, results rows, failed row, embedded
images) and a screenshot of the page's top (not blank; the baselines' colours drawn). Exits 77
(ctest: skipped) when /usr/bin/chromium is absent.

Run: /usr/bin/python3 tests/report/test_report_browser.py
"""
import os
import signal
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 60
WINDOW = (1280, 2400)
# The Okabe-Ito colours the report gives the baselines, in every report (kmb_plots.LOOKS).
BACKEND_RGB = {"glibc": (0, 114, 178), "jemalloc": (230, 159, 0), "tcmalloc": (0, 158, 115),
               "mimalloc": (213, 94, 0)}


def chromium(args, workdir):
    """Run headless Chromium with a fresh profile; kill its process group after TIMEOUT_S."""
    profile = tempfile.mkdtemp(prefix="profile-", dir=workdir)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", *args]
    env = dict(os.environ, HOME=workdir)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"chromium did not finish in {TIMEOUT_S} s: {' '.join(cmd)}")
    return proc.returncode, out, err


class RenderedFixture(ru.FixturePage):
    """Renders FIXTURE into a temporary directory once per class (ru.FixturePage), which must
    succeed; subclasses hold the tests."""

    TMP_PREFIX = "kmb-report-browser-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.proc.returncode != 0:
            raise AssertionError(f"report failed: {cls.proc.stderr}")
        cls.url = "file://" + cls.out

    def dump_dom(self):
        """The DOM Chromium built from the page: (its HTML, its tables parsed)."""
        rc, out, err = chromium(["--dump-dom", self.url], self.tmp)
        self.assertEqual(rc, 0, err[-2000:])
        return out, ru.parse(out)


class Browser(RenderedFixture):

    FIXTURE = ru.FIXTURE

    def test_dom(self):
        out, dom = self.dump_dom()
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
        shot = os.path.join(self.tmp, "shot.png")
        rc, _, err = chromium([f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                               "--hide-scrollbars", self.url], self.tmp)
        self.assertEqual(rc, 0, err[-2000:])
        with open(shot, "rb") as f:
            self.assertTrue(f.read(8).startswith(ru.PNG_MAGIC))
        try:
            from PIL import Image
        except ImportError:
            self.skipTest("PIL not importable: screenshot contents not checked")
        with Image.open(shot) as im:
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


class BrowserPages(RenderedFixture):
    """The page-allocator sections of tests/fixtures/results-pages.json as Chromium builds them."""

    FIXTURE = ru.PAGES_FIXTURE

    def test_dom(self):
        out, dom = self.dump_dom()
        targets = dom.tables["targets-table"]["rows"]
        self.assertEqual(len(targets), 4)
        self.assertEqual({cls for cls, _ in targets}, {"target met", "target not-met"})
        self.assertEqual(len(dom.tables["orders-buddy"]["rows"]), 2)
        self.assertIn("<figcaption>buddyinfo</figcaption><pre>Node 0, zone", out)
        self.assertIsNotNone(ru.img_src(out, ru.FRAG_ALT))
        self.assertEqual([h for h in dom.tables["results-table"]["header"] if "_at_" in h], [])



class BrowserSlab(RenderedFixture):
    """The slab targets table of tests/fixtures/results-slab.json as Chromium builds it."""

    FIXTURE = ru.SLAB_FIXTURE

    def test_dom(self):
        out, dom = self.dump_dom()
        rows = ru.table_rows(dom, "slab-targets-table")
        self.assertEqual(len(rows), ru.SLAB_TARGET_ROWS)
        self.assertEqual({r["class"].replace(" headline", "") for r in rows},
                         {"target met", "target not-met"})
        self.assertEqual((rows[0]["case"], rows[0]["size"], rows[0]["batch"]),
                         ("64 B hot", "64", "1"))
        self.assertIsNotNone(ru.img_src(out, ru.SLAB_PLOT_ALT))


class BrowserPercpu(RenderedFixture):
    """The Per-CPU caches section of tests/fixtures/results-percpu.json as Chromium builds it."""

    FIXTURE = ru.PERCPU_FIXTURE

    def test_dom(self):
        out, dom = self.dump_dom()
        rows = ru.table_rows(dom, "percpu-targets-table")
        self.assertEqual(len(rows), ru.PERCPU_TARGET_ROWS)
        self.assertEqual({r["class"] for r in rows},
                         {"target met", "target not-met", "target info"})
        self.assertEqual(len(dom.tables["percpu-remote-table"]["rows"]), 12)
        self.assertEqual(len(dom.tables["percpu-counters-table"]["rows"]), 2)
        for alt in ru.PERCPU_ALTS:
            self.assertIsNotNone(ru.img_src(out, alt), alt)


class BrowserMempool(RenderedFixture):
    """The mempool section of tests/fixtures/results-mempool.json as Chromium builds it."""

    FIXTURE = ru.MEMPOOL_FIXTURE

    def test_dom(self):
        out, dom = self.dump_dom()
        rows = ru.table_rows(dom, "mempool-table")
        self.assertEqual(len(rows), ru.MEMPOOL_ROWS)
        self.assertEqual([r["fail"] for r in rows[:4]], ["0%", "10%", "50%", "100%"])
        self.assertEqual({r["fail"] for r in rows if "reference" in r["class"]}, {"no pool"})
        for alt in ru.MEMPOOL_ALTS:
            self.assertIsNotNone(ru.img_src(out, alt), alt)


class BrowserVmalloc(RenderedFixture):
    """The vmalloc section of tests/fixtures/results-vmalloc.json as Chromium builds it."""

    FIXTURE = ru.VMALLOC_FIXTURE

    def test_dom(self):
        out, dom = self.dump_dom()
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
                self.assertIsNotNone(ru.img_src(out, alt), alt)


if __name__ == "__main__":
    if not os.access(CHROMIUM, os.X_OK):
        print(f"skipped: {CHROMIUM} not found (Debian package chromium)")
        sys.exit(77)
    unittest.main(verbosity=2)
