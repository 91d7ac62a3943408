#!/usr/bin/python3
"""The report's "Latency percentiles" and "Memory over time" sections (report/sections/latency.py,
memory.py) on tests/fixtures/results-profile.json: a real `kmbench run --backends
glibc,jemalloc,mimalloc,slab,buddy --workloads churn,mix,counter-percpu --threads 1,2 --sizes 64
--batch 100 --min-time 0.05 --repetitions 2` on the 2-core dev VM (release build), trimmed to
its iteration rows and the backends' numeric stats. The figures' answers and the tables are
checked against the fixture's own rows (the profile pass's keys, results/README.md); the sections
are absent from a file without them, and their keys stay out of the results table. That file,
from before the latency distributions and the page allocator's and slabs' state, has their views
left out with a note; tests/fixtures/results-state.json (make_results_state.py) has them drawn:
one figure per view, a panel (two panels: the state) per workload (whose series move),
checked on the figures as drawn (kmb_plots.OBSERVER), the answers and the buddy zones' table
recomputed from its raw rows.

Run: /usr/bin/python3 tests/report/test_report_profile.py   (KMB_SOURCE_DIR: the repository
root)
"""
import html
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

PROFILE_FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-profile.json")
WORKLOADS = ["churn", "mix"]
BACKENDS = ["glibc", "jemalloc", "mimalloc", "slab", "buddy"]
PCTS = ["p50", "p90", "p99", "p999", "max"]
FIGURE_THREADS = 2                    # each workload's figure: its most threads
STATE_FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-state.json")
STATE_WORKLOADS = {"churn": "churn, 64 B, batch 100", "mix": "mix, batch 100"}
STATE_BACKENDS = ["glibc", "slab", "kmalloc", "buddy"]


def fmt_ns(v):
    """The report's ns format (kmb_results.fmt_ns)."""
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def params_of(workload):
    return {"churn": {"size": 64, "batch": 100}, "mix": {"batch": 100}}[workload]


def counter(data, backend, workload, threads, name):
    return ru.median_counter(data, backend, workload, params_of(workload), threads, name)


CDF_ALT = "latency CDF, a panel per workload"
STATE_ALT = "page allocator and slab state over time, two panels per workload"


def panels(section, alt):
    """The workloads of a view's figure, in the order of its panels (its data-panels)."""
    m = re.search(r'<img alt="' + re.escape(alt) + r'" src="[^"]*" class="wide" '
                  r'data-panels="([^"]*)"', section)
    return html.unescape(m.group(1)).split() if m else None


def answers(section, cls):
    return {w: html.unescape(text) for w, text in
            re.findall(rf'<p class="{cls}" data-workload="([^"]+)">(.*?)</p>', section)}


class ProfilePage(ru.FixturePage):
    """A fixture's page with both sections."""

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.latency = ru.section(self.html, "latency")
        self.memory = ru.section(self.html, "memory")
        self.assertIsNotNone(self.latency)
        self.assertIsNotNone(self.memory)


class Sections(ProfilePage):
    FIXTURE = PROFILE_FIXTURE

    def test_linked_with_a_figure_per_view(self):
        """One figure per view, a panel per workload (data-panels; the panels themselves:
        Drawn below)."""
        for anchor in ("latency", "memory"):
            self.assertIn(f'href="#{anchor}"', self.html)
        for sec, alt in ((self.latency, "latency percentiles"),
                         (self.memory, "memory over time")):
            alt += ", a panel per workload"
            png = ru.img_src(sec, alt)
            self.assertIsNotNone(png, alt)
            self.assertTrue(png.startswith(ru.PNG_MAGIC))
            self.assertEqual(panels(sec, alt), WORKLOADS)
            self.assertEqual(sec.count("<img "), 1, alt)
        self.assertNotIn("counter-percpu", self.latency + self.memory)   # does not allocate

    def test_p99_answer_from_the_fixture(self):
        got = answers(self.latency, "latency-answer")
        self.assertEqual(sorted(got), WORKLOADS)
        for w in WORKLOADS:
            p99 = sorted((counter(self.data, b, w, FIGURE_THREADS, "alloc_lat_p99_ns"),
                          BACKENDS.index(b), b) for b in BACKENDS)
            lo, hi = p99[0], p99[-1]
            self.assertTrue(got[w].startswith(
                f"alloc p99 lowest: {lo[2]} {fmt_ns(lo[0])} ns; highest: {hi[2]} "
                f"{fmt_ns(hi[0])} ns, {hi[0] / lo[0]:.1f}x the lowest"), (w, got[w]))
            self.assertIn(f"{FIGURE_THREADS} threads", got[w])

    def test_latency_table_is_the_fixture(self):
        rows = ru.table_rows(self.page, "latency-table")
        self.assertEqual(len(rows), len(WORKLOADS) * len(BACKENDS) * 2)
        labels = dict(zip(PCTS, ["p50", "p90", "p99", "p99.9", "max"]))
        for r in rows:
            for op in ("alloc", "free"):
                for p in PCTS:
                    want = counter(self.data, r["backend"], r["workload"], int(r["threads"]),
                                   f"{op}_lat_{p}_ns")
                    self.assertEqual(r[f"{op} {labels[p]}"], fmt_ns(want), (r, op, p))
                vals = [float(r[f"{op} {labels[p]}"].replace(",", "")) for p in PCTS]
                self.assertEqual(vals, sorted(vals), r)

    def test_memory_answer_and_table_from_the_fixture(self):
        got = answers(self.memory, "memory-answer")
        self.assertEqual(sorted(got), WORKLOADS)
        for w in WORKLOADS:
            peaks = sorted((counter(self.data, b, w, FIGURE_THREADS, "peak_rss_bytes"), b)
                           for b in BACKENDS)
            self.assertTrue(got[w].startswith(
                f"peak RSS lowest: {peaks[0][1]} {peaks[0][0] / 2**20:,.2f} MiB; highest: "
                f"{peaks[-1][1]} {peaks[-1][0] / 2**20:,.2f} MiB"), got[w])
        rows = ru.table_rows(self.page, "memory-table")
        self.assertEqual(len(rows), len(WORKLOADS) * len(BACKENDS) * 2)
        for r in rows:
            args = (self.data, r["backend"], r["workload"], int(r["threads"]))
            self.assertEqual(r["peak RSS MiB"],
                             f"{counter(*args, 'peak_rss_bytes') / 2**20:,.2f}", r)
            held, live = counter(*args, "held_peak_bytes"), counter(*args, "live_peak_bytes")
            self.assertEqual(r["held peak MiB"], f"{held / 2**20:,.2f}", r)
            if r["backend"] == "mimalloc":      # mimalloc cannot say which bytes are live
                self.assertIsNone(live)
                self.assertEqual((r["live peak MiB"], r["held / live"]), ("n/a", "n/a"))
            else:
                self.assertEqual(r["held / live"], f"{held / live:.2f}", r)
                self.assertGreaterEqual(held, live, r)

    def test_cdfs_and_state_left_out_with_a_note(self):
        """A file from before the distributions and the state: their views are left out, each
        with a note, the percentiles and RSS still drawn."""
        self.assertTrue('id="latency-cdf-left-out"' in self.latency, "no note on the CDFs")
        self.assertTrue('id="memory-state-left-out"' in self.memory, "no note on the state")
        self.assertIsNone(ru.img_src(self.latency, CDF_ALT))
        self.assertIsNone(ru.img_src(self.memory, STATE_ALT))
        self.assertNotIn("memory-zones-table", self.memory)

    def test_profile_keys_not_in_the_results_table(self):
        header = self.page.tables["results-table"]["header"]
        self.assertFalse([h for h in header if h.startswith(("alloc_lat", "free_lat"))
                          or h.endswith("peak_bytes") or h == "peak_rss_bytes"], header)


class Absent(ru.FixturePage):
    FIXTURE = ru.FIXTURE   # results-quick.json: from before the profile pass

    def test_no_sections_without_the_keys(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertIsNone(ru.section(self.html, "latency"))
        self.assertIsNone(ru.section(self.html, "memory"))
        self.assertNotIn('href="#latency"', self.html)


def profile(data, backend, workload):
    """kmbench.profile of the first iteration row of (backend, workload) at FIGURE_THREADS."""
    for r in data["benchmarks"]:
        k = r["kmbench"]
        if (k["backend"], k["workload"], r["threads"]) == (backend, workload, FIGURE_THREADS):
            return k["profile"]
    raise KeyError((backend, workload))


def nearest_rank(dist, q):
    """The q-quantile of a {le_ns, count} distribution: the first edge holding q of the
    samples, counted in whole samples (not shares), as a nearest rank is."""
    total = dist["count"][-1]
    rank = max(1, -(-q * total // 1))
    return next(le for le, n in zip(dist["le_ns"], dist["count"]) if n >= rank)


class Newer(ProfilePage):
    """tests/fixtures/results-state.json (make_results_state.py): the latency distributions
    and the page allocator's and slabs' state; the answers recomputed from its raw rows."""
    FIXTURE = STATE_FIXTURE

    def flat(self, w):
        """Whether every state series of w's figure cells moves at most 0.005 (indices; the
        occupancy as a share) over the pass: the report then draws no state figure."""
        series = []
        for b in STATE_BACKENDS:
            tl = profile(self.data, b, w)["timeline"]
            series += [tl.get("unusable_index") or [], tl.get("extfrag_index") or []]
            if "slab_num_objs" in tl:
                series.append([a / n for a, n in zip(tl["slab_active_objs"],
                                                      tl["slab_num_objs"])])
        return all(max(v) - min(v) <= 0.005 for v in series if v)

    def test_a_figure_per_view_and_no_note(self):
        self.assertEqual([self.flat(w) for w in STATE_WORKLOADS], [False, True])  # both cases
        for sec, alt, want in ((self.latency, CDF_ALT, list(STATE_WORKLOADS)),
                               (self.memory, STATE_ALT,
                                [w for w in STATE_WORKLOADS if not self.flat(w)])):
            png = ru.img_src(sec, alt)
            self.assertIsNotNone(png, alt)
            self.assertTrue(png.startswith(ru.PNG_MAGIC))
            self.assertEqual(panels(sec, alt), want, alt)
        self.assertNotIn("latency-cdf-left-out", self.html)
        self.assertNotIn("memory-state-left-out", self.html)

    def test_zone_table_from_the_rows(self):
        """Each figure cell's buddy zones, their lowest and highest free pages and indices."""
        rows = ru.table_rows(self.page, "memory-zones-table")
        want = []
        for w in STATE_WORKLOADS:
            for b in STATE_BACKENDS:
                for z in profile(self.data, b, w)["timeline"].get("zones", []):
                    want.append([w, b, str(FIGURE_THREADS), str(z["node"]), z["zone"]]
                                + [f"{f(z['free_pages']):,}" for f in (min, max)]
                                + [f"{f(z[k]):.3f}" for k in ("unusable_index", "extfrag_index")
                                   for f in (min, max)])
        got = [[r[k] for k in ("workload", "backend", "threads", "node", "zone",
                               "free pages lowest", "free pages highest",
                               "unusable index lowest", "unusable index highest",
                               "fragmentation index lowest", "fragmentation index highest")]
               for r in rows]
        self.assertEqual(sorted(got), sorted(want))
        self.assertEqual(len(got), 2 * 3 * len(STATE_WORKLOADS))   # DMA, Normal; not glibc

    def test_cdf_answer_from_the_rows(self):
        got = answers(self.latency, "latency-cdf-answer")
        self.assertEqual(sorted(got), sorted(STATE_WORKLOADS))
        for w, case in STATE_WORKLOADS.items():
            dists = {b: profile(self.data, b, w)["latency"]["alloc"] for b in STATE_BACKENDS}
            rank = STATE_BACKENDS.index
            med = sorted((nearest_rank(d, 0.5), rank(b), b) for b, d in dists.items())
            wide = max((nearest_rank(d, 0.99) / nearest_rank(d, 0.5), rank(b), b)
                       for b, d in dists.items())
            want = (f"alloc median lowest: {med[0][2]} {fmt_ns(med[0][0])} ns; highest: "
                    f"{med[-1][2]} {fmt_ns(med[-1][0])} ns; widest (p99 / p50): {wide[2]} "
                    f"{wide[0]:.1f}x ({case}, {FIGURE_THREADS} threads)")
            self.assertEqual(got[w], want)

    def test_state_answer_from_the_rows(self):
        got = answers(self.memory, "memory-state-answer")
        self.assertEqual(sorted(got), sorted(STATE_WORKLOADS))
        for w, case in STATE_WORKLOADS.items():
            peaks, occ = [], []
            for b in STATE_BACKENDS:
                tl = profile(self.data, b, w)["timeline"]
                if "unusable_index" not in tl:
                    self.assertEqual(b, "glibc")    # no state operation
                    continue
                i = max(range(len(tl["t_ms"])), key=lambda i: (tl["unusable_index"][i], -i))
                peaks.append((tl["unusable_index"][i], b, tl["t_ms"][i]))
                if "slab_num_objs" in tl:
                    shares = [a / n for a, n in zip(tl["slab_active_objs"], tl["slab_num_objs"])]
                    j = min(range(len(shares)), key=lambda j: (shares[j], j))
                    occ.append((shares[j], b, tl["t_ms"][j]))
            hi, lo, low = max(peaks), min(peaks), min(occ)
            want = (f"unusable free space index (order 3) highest: {hi[1]} {hi[0]:.3f} at "
                    f"{hi[2]:,.0f} ms; lowest peak: {lo[1]} {lo[0]:.3f}; slab occupancy "
                    f"(objects in use / in slabs) lowest: {low[1]} {100 * low[0]:.1f}% at "
                    f"{low[2]:,.0f} ms ({case}, {FIGURE_THREADS} threads)")
            if self.flat(w):
                want += (". Every series stayed within 0.005 (0.5% of occupancy) over the "
                         "pass: no panel.")
            self.assertEqual(got[w], want)


class Drawn(unittest.TestCase):
    """The views' figures of results-state.json as drawn (kmb_plots.OBSERVER, in this
    process): a panel per workload titled with its case, a line per backend (all fit in
    kr.PANEL_LINES); the state figure two panels for churn alone (mix's series are flat): its
    indices' panel two lines a backend, its occupancy panel of the backends with slabs."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(ru.SOURCE_DIR, "report"))
        import kmb_plots
        import kmb_results as kr
        import kmbench_report
        cls.kr = kr
        cls.figures, cls.drawn = {}, {}

        def observe(fig):
            axes = [(ax.get_title(), [ln.get_label() for ln in ax.get_lines()
                                      if not ln.get_label().startswith("_")])
                    for ax in fig.axes if ax.get_visible()]
            if fig._suptitle is not None:
                cls.figures[fig._suptitle.get_text().split(":")[0]] = axes
                cls.drawn[fig._suptitle.get_text().split(":")[0]] = [
                    len(ax.get_lines()) for ax in fig.axes if ax.get_visible()]
        kmb_plots.OBSERVER = observe
        try:
            cls.page = kmbench_report.render(kr.load(STATE_FIXTURE), STATE_FIXTURE, jobs=1)
        finally:
            kmb_plots.OBSERVER = None

    def test_a_panel_per_workload(self):
        titles = [f"{w}\n{FIGURE_THREADS} threads{case[len(w):]}"
                  for w, case in STATE_WORKLOADS.items()]
        for view in ("Latency per call (alloc), CDF", "RSS over the profile pass"):
            axes = self.figures[view]
            self.assertEqual([t for t, _ in axes], titles, view)
            for _, lines in axes:
                self.assertEqual(lines, STATE_BACKENDS, view)

    def test_state_two_panels_per_workload_that_moves(self):
        axes = self.figures["Page allocator and slabs over the profile pass"]
        self.assertEqual([t for t, _ in axes], [f"churn: {view}\n{FIGURE_THREADS} threads, 64 B, "
                                                "batch 100" for view in ("indices, order 3",
                                                                         "slab occupancy")])
        self.assertEqual([lines for _, lines in axes],
                         [["slab", "kmalloc", "buddy"], ["slab", "kmalloc"]])
        self.assertEqual(self.drawn["Page allocator and slabs over the profile pass"],
                         [6, 2])   # both indices (solid, dotted) of each backend

    def test_two_processes_draw_the_same_page(self):
        """The views drawn by forked processes (--jobs 2) give the page of --jobs 1."""
        import kmbench_report
        two = kmbench_report.render(self.kr.load(STATE_FIXTURE), STATE_FIXTURE, jobs=2)
        one, two = (re.sub(r"Generated by report/kmbench_report\.py on [^<]*", "", page)
                    for page in (self.page, two))
        self.assertEqual(one, two)
        self.assertIn(STATE_ALT, two)

    def test_representatives(self):
        """Past kr.PANEL_LINES backends, one per family: the lowest score, ties the first."""
        kr = self.kr
        some = ["glibc", "jemalloc", "slab", "kmalloc", "slab-none"]
        self.assertEqual(kr.representatives(some, len), some)
        many = ["glibc", "jemalloc", "tcmalloc", "slab", "kmalloc", "slab-none", "buddy",
                "buddy-none", "mmap", "vmalloc", "other"]
        score = {"glibc": 3, "jemalloc": 2, "tcmalloc": 2, "slab": None, "kmalloc": 9,
                 "slab-none": 1, "buddy": 5, "buddy-none": 4, "mmap": 4, "vmalloc": None,
                 "other": 0}
        self.assertEqual(kr.representatives(many, score.get),
                         ["jemalloc", "slab-none", "buddy-none", "vmalloc", "other"])


if __name__ == "__main__":
    unittest.main()
