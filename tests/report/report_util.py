"""Shared helpers of the report tests: paths, running the report, reading its HTML tables,
recomputing medians from a results file, and base classes that render a fixture.

Not a test module itself (ctest runs tests/report/test_*.py only).
"""
import base64
import html
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import unittest
from html.parser import HTMLParser

SOURCE_DIR = os.environ.get("KMB_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(SOURCE_DIR, "report", "kmbench_report.py")
FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "results-quick.json")
PYTHON = sys.executable or "/usr/bin/python3"

# What tests/fixtures/results-quick.json holds (see tests/fixtures/make_results_quick.py):
# the quick preset's shape on 2 CPUs.
BACKENDS_OK = ["glibc", "jemalloc", "tcmalloc", "mimalloc", "slab", "slab-packed", "slab-none",
               "kmalloc", "buddy"]
NO_ALLOCATOR = "no-allocator"                 # the counters' pseudo-backend
QUICK_SIZES, QUICK_BATCHES, QUICK_THREADS = [64, 4096], [1, 100], [1, 2]
QUICK_COUNTERS = ["counter-percpu", "counter-packed"]
HW_COUNTERS = ["cycles", "instructions", "cache_misses", "l1d_misses", "llc_misses",
               "dtlb_misses"]
SW_COUNTERS = ["task_clock_ns", "page_faults", "context_switches", "cpu_migrations"]
NO_PMU = "ENOENT: not supported on this machine (no hardware PMU?)"
ERROR_MESSAGE = "malloc returned NULL after 1048576 operations (ENOMEM)"
ERROR_CELL = ("tcmalloc", "size:4096 batch:100", 2)
PLANTED_NS, PLANTED_MOPS = "12.35", "81.00"   # jemalloc churn size:64 batch:100 threads 1
GROUPS = len(QUICK_SIZES) * len(QUICK_BATCHES)   # the churn groups the Plots section draws
OK_ROWS = (len(BACKENDS_OK) * GROUPS + len(QUICK_COUNTERS)) * len(QUICK_THREADS)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# What tests/fixtures/results-pages.json holds (see tests/fixtures/make_results_pages.py).
PAGES_FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "results-pages.json")
PAGES_TEXT_STATS = ["buddyinfo", "zoneinfo", "extfrag_index", "unusable_index"]
PAGES_TARGET_BATCH = 1                        # buddy ran churn at batch 1 (and 8)
FRAG_ALT = "fragment: fragmentation over time"


def run_report(*args, cwd=None):
    """Run the report script; return the CompletedProcess (text mode)."""
    return subprocess.run([PYTHON, REPORT, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=240)


class TableParser(HTMLParser):
    """Collect every <table id=...> as {"header": [...], "rows": [(classes, [cells])]}."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.stack, self.imgs = {}, [], []
        self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs.get("src", ""))
        elif tag == "table":
            self.stack.append(attrs.get("id"))
            if attrs.get("id"):
                self.tables[attrs["id"]] = {"header": [], "rows": []}
        elif tag == "tr" and self.stack and self.stack[-1]:
            self.row = (attrs.get("class") or "", [])
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.stack:
            self.stack.pop()
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row[1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            table = self.tables[self.stack[-1]]
            if not table["header"] and not self.row[0] and self.row[1] and not table["rows"]:
                table["header"] = self.row[1]
            else:
                table["rows"].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def parse(text):
    p = TableParser()
    p.feed(text)
    p.close()
    return p


def table_rows(parsed, table_id):
    """Rows of a table as dicts keyed by header, with "class" added."""
    table = parsed.tables[table_id]
    return [dict(zip(table["header"], cells), **{"class": cls}) for cls, cells in table["rows"]]


def result_rows(parsed):
    """Rows of the results table as dicts keyed by header, with "class" added."""
    return table_rows(parsed, "results-table")


def png_payloads(text):
    """The decoded bytes of every data:image/png;base64 payload in text."""
    return [base64.b64decode(m) for m in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)",
                                                     text)]


def png_size(data):
    """(width, height) from a PNG's IHDR chunk."""
    return struct.unpack(">II", data[16:24])


def ok_runs(data, backend, workload, params, threads):
    """The successful iteration runs of one cell; params: {name: value} as in kmbench.params."""
    return [r for r in data["benchmarks"]
            if r["run_type"] == "iteration" and not r.get("error_occurred")
            and r["kmbench"]["backend"] == backend and r["kmbench"]["workload"] == workload
            and r["kmbench"]["params"] == params and r["threads"] == threads]


def median_ns(data, backend, workload, params, threads):
    """Median over the successful iteration runs of real_time x threads (the report's ns/op)."""
    vals = [r["real_time"] * r["threads"]
            for r in ok_runs(data, backend, workload, params, threads)]
    return statistics.median(vals) if vals else None


def img_src(text, alt):
    """The decoded PNG of the <img> whose alt text is alt, else None."""
    m = re.search(r'<img alt="' + re.escape(alt) + r'" src="data:image/png;base64,'
                  r'([A-Za-z0-9+/=]+)"', text)
    return base64.b64decode(m.group(1)) if m else None


def not_run(text):
    """The items of every folded "Not in this run" list of a page, unescaped, in page order."""
    out = []
    for block in re.findall(r'<details class="notrun">(.*?)</details>', text, re.S):
        out += [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
    return out


def section(text, anchor):
    """The HTML from the <h2 id=anchor> to the next <h2 (or the end), else None."""
    start = text.find(f'<h2 id="{anchor}">')
    if start < 0:
        return None
    end = text.find("<h2 ", start + 1)
    return text[start:end if end >= 0 else len(text)]

# What tests/fixtures/results-slab.json holds (see tests/fixtures/make_results_slab.py).
SLAB_FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "results-slab.json")
SLAB_KERNEL = ["slab", "slab-packed", "slab-colored", "kmalloc"]
SLAB_BASELINES = ["glibc", "jemalloc", "tcmalloc", "mimalloc"]
SLAB_GOAL = 1.5                               # kernel-style pair <= 1.5x the fastest baseline's
SLAB_HEADLINES = [(64, 1, "64 B hot"), (64, 1000, "64 B, batch 1000")]
SLAB_TARGET_ROWS = 5 * 4                      # 5 churn cases x 4 backends (64 B hot at 2
                                              # threads is not in the file: a folded note)
SLAB_PLOT_ALT = "churn batch:1 threads:1: ns per pair against size"


def median_counter(data, backend, workload, params, threads, name):
    """Median over the successful iteration runs of counter name."""
    vals = [r[name] for r in ok_runs(data, backend, workload, params, threads) if name in r]
    return statistics.median(vals) if vals else None


def cases(data, workload, backends):
    """Sorted distinct (params as a sorted item tuple, threads) of the runs of backends."""
    return sorted({(tuple(sorted(r["kmbench"]["params"].items())), r["threads"])
                   for r in data["benchmarks"] if r["kmbench"]["workload"] == workload
                   and r["kmbench"]["backend"] in backends})


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_text(path):
    """The text of path; "" if it does not exist."""
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


class FixturePage(unittest.TestCase):
    """Renders FIXTURE once per class into a temporary directory, cls.tmp; subclasses hold the
    tests. COPY: render a copy there, cls.results, to its default output (index.html beside
    it); else FIXTURE itself with -o. cls.out is the page's path, cls.proc the report's
    CompletedProcess, cls.data the fixture, cls.html the page ("" if none) and cls.page its
    tables parsed."""

    FIXTURE = None
    COPY = False
    TMP_PREFIX = "kmb-report-test-"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix=cls.TMP_PREFIX)
        cls.out = os.path.join(cls.tmp, "index.html")
        cls.data = load(cls.FIXTURE)
        if cls.COPY:
            cls.results = os.path.join(cls.tmp, "results.json")
            shutil.copy(cls.FIXTURE, cls.results)
            cls.proc = run_report(cls.results)
        else:
            cls.proc = run_report(cls.FIXTURE, "-o", cls.out)
        cls.html = read_text(cls.out)
        cls.page = parse(cls.html)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)


class FixtureVariants(unittest.TestCase):
    """Each test changes self.data, a fresh copy of FIXTURE, and renders it in self.tmp."""

    FIXTURE = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kmb-report-test-")
        self.data = load(self.FIXTURE)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def render(self, data=None, *args):
        """The page of data (default: self.data) written to in.json and rendered to out.html
        with args; the report must succeed and print the output path."""
        path = os.path.join(self.tmp, "in.json")
        out = os.path.join(self.tmp, "out.html")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.data if data is None else data, f)
        proc = run_report(path, "-o", out, *args)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), out)
        with open(out, encoding="utf-8") as f:
            return f.read()

    def drop(self, pred):
        """Remove the runs r with pred(r["kmbench"], r) from self.data."""
        self.data["benchmarks"] = [r for r in self.data["benchmarks"] if not pred(r["kmbench"], r)]

# What tests/fixtures/results-percpu.json holds (see tests/fixtures/make_results_percpu.py).
PERCPU_FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "results-percpu.json")
PERCPU_MODES = ["none", "thread", "cpu-lock", "cpu-rseq"]
PERCPU_SLAB = [f"slab-{m}" for m in PERCPU_MODES]
PERCPU_BUDDY = [f"buddy-{m}" for m in PERCPU_MODES]
PERCPU_SIZE = {"slab": 64, "buddy": 4096}
PERCPU_COUNTERS = ["counter-percpu", "counter-atomic", "counter-packed"]
PERCPU_TARGET_ROWS = 1 + 4 + 2 * 2    # rseq/none, rseq/each baseline, 2T/1T of 2 modes x 2 layers
PERCPU_ALTS = ["slab churn size:64 batch:1: throughput against threads",
               "buddy churn size:4096 batch:1: throughput against threads",
               "counters: throughput against threads"]
PAIRS_ERROR = "remote-free: needs an even number of threads"


def median_mops(data, backend, workload, params, threads):
    """Median over the successful iteration runs of items_per_second, in millions (Mops/s)."""
    vals = [r["items_per_second"] / 1e6
            for r in ok_runs(data, backend, workload, params, threads)]
    return statistics.median(vals) if vals else None

# What tests/fixtures/results-mempool.json holds (see tests/fixtures/make_results_mempool.py).
MEMPOOL_FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "results-mempool.json")
MEMPOOL_RATES = [0, 10, 50, 100]
MEMPOOL_THREADS = [1, 2]
MEMPOOL_REFERENCE = "slab"
MEMPOOL_PARAMS = {"size": 256, "batch": 100}
MEMPOOL_ROWS = len(MEMPOOL_RATES) * len(MEMPOOL_THREADS) + len(MEMPOOL_THREADS)
MEMPOOL_ALTS = ["mempool size:256 batch:100: throughput against failure rate",
                "mempool size:256 batch:100: latency percentiles against failure rate"]
MEMPOOL_LATENCY = [("p50 ns", "lat_p50_ns"), ("p90 ns", "lat_p90_ns"), ("p99 ns", "lat_p99_ns"),
                   ("p99.9 ns", "lat_p999_ns"), ("max ns", "lat_max_ns")]

# What tests/fixtures/results-vmalloc.json holds (see tests/fixtures/make_results_vmalloc.py):
# a real, shrunk run of the vmalloc preset, so the tests recompute every number they check.
VMALLOC_FIXTURE = os.path.join(SOURCE_DIR, "tests", "fixtures", "results-vmalloc.json")
VM_BACKENDS = ["vmalloc", "kmalloc", "buddy"]     # the size table's
VM_PRESET_BACKENDS = ["vmalloc", "vmalloc-floor", "kmalloc", "buddy"]
VM_FLOOR = "vmalloc-floor"
VM_FLOOR_GOAL = 1.5
VM_WORKLOADS = ["untouched", "first-touch", "access"]
VMTEST_WORKLOADS = ["vmtest-fix-size", "vmtest-full-fit", "vmtest-long-busy",
                    "vmtest-random-size"]
VM_SIZES = [4096, 65536, 1048576]
VM_THREADS = [1, 2]
VM_TARGET_SIZE, VM_GOAL = 65536, 10.0
