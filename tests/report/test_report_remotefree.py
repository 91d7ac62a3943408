#!/usr/bin/python3
"""The report's "Remote frees" section (report/sections/remotefree.py) on
tests/fixtures/results-remotefree.json: a real `kmbench run --preset remotefree` (3 x 0.1 s,
release build) on the 2-core dev VM, every ordered pair of CPUs 0 and 1 at 64 B and 4 KiB,
trimmed to the iteration rows of slab, slab-packed, buddy and glibc. The ratio lines and the
table are checked against the fixture's own rows (per cell the median of object_ns over
repetitions; remote / local the median off-diagonal cell over the median diagonal one), the
heatmaps' presence and sizes (buddy at 4 KiB, the others at 64 B), the node columns on a copy
whose CPUs are put on two nodes, and the section's absence from a file without the workload;
the Plots section draws no group of it.

Run: /usr/bin/python3 tests/report/test_report_remotefree.py   (KMB_SOURCE_DIR: the repository
root)
"""
import html
import os
import re
import statistics
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-remotefree.json")
WORKLOAD = "remote-free-matrix"
BACKENDS = ["slab", "slab-packed", "buddy", "glibc"]
SIZES = [64, 4096]
CPUS = [0, 1]
SHOWN = {"slab": 64, "slab-packed": 64, "buddy": 4096, "glibc": 64}


def ratio_text(r):
    """The report's ratio format (kmb_html.fmt_ratio)."""
    return f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


def ns_text(v):
    """The report's ns format (kmb_results.fmt_ns)."""
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def cell_ns(data, backend, size, i, j):
    """The median object_ns over the repetitions of one cell."""
    vals = [r["object_ns"] for r in ru.ok_runs(data, backend, WORKLOAD,
                                                {"size": size, "alloc_cpu": i, "free_cpu": j}, 2)]
    assert len(vals) == 3, (backend, size, i, j, len(vals))
    return statistics.median(vals)


def expected(data, backend, size):
    """(local, remote, ratio, lo, hi) as the section must compute them from the rows."""
    local = [cell_ns(data, backend, size, i, i) for i in CPUS]
    remote = [cell_ns(data, backend, size, i, j) for i in CPUS for j in CPUS if i != j]
    lm, rm = statistics.median(local), statistics.median(remote)
    return lm, rm, rm / lm, min(remote) / max(local), max(remote) / min(local)


class Section(ru.FixturePage):
    FIXTURE = FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.section = ru.section(self.html, "remotefree")
        self.assertIsNotNone(self.section)

    def test_linked_with_a_heatmap_per_backend(self):
        self.assertIn('href="#remotefree"', self.html)
        for b in BACKENDS:
            png = ru.img_src(self.section, f"{WORKLOAD} {b} size:{SHOWN[b]}: ns per object")
            self.assertIsNotNone(png, b)
            self.assertTrue(png.startswith(ru.PNG_MAGIC))
        self.assertEqual(self.section.count("<img "), len(BACKENDS))

    def test_ratio_lines_from_the_fixture(self):
        items = {(b, int(s)): html.unescape(t) for b, s, t in re.findall(
            r'<li class="rf-ratio" data-backend="([^"]+)" data-size="(\d+)">(.*?)</li>',
            self.section)}
        self.assertEqual(sorted(items), sorted((b, SHOWN[b]) for b in BACKENDS))
        for (b, size), text in items.items():
            lm, rm, r, lo, hi = expected(self.data, b, size)
            size_text = "4 KiB" if size == 4096 else f"{size} B"
            self.assertEqual(text, f"{b}, {size_text}: remote {ratio_text(r)} local "
                             f"({ns_text(rm)} against {ns_text(lm)} ns per object; pairs "
                             f"{ratio_text(lo)}..{ratio_text(hi)})")

    def test_table_every_backend_and_size(self):
        rows = ru.table_rows(self.page, "remotefree-table")
        self.assertEqual(sorted((r["backend"], int(r["size"])) for r in rows),
                         sorted((b, s) for b in BACKENDS for s in SIZES))
        for row in rows:
            lm, rm, r, lo, hi = expected(self.data, row["backend"], int(row["size"]))
            self.assertEqual(row["local ns per object"], ns_text(lm), row)
            self.assertEqual(row["remote ns per object"], ns_text(rm), row)
            self.assertEqual(row["remote / local"], ratio_text(r), row)
            self.assertEqual(row["pairs (cheapest..dearest)"],
                             f"{ratio_text(lo)}..{ratio_text(hi)}", row)
            self.assertNotIn("across nodes / local", row)     # one node here

    def test_remote_dearer_than_local(self):
        """The measured shape on this machine: every backend pays for a remote free."""
        for b in BACKENDS:
            for s in SIZES:
                self.assertGreater(expected(self.data, b, s)[2], 1.5, (b, s))

    def test_no_plots_group(self):
        plots = ru.section(self.html, "plots")
        self.assertNotIn(WORKLOAD, plots)


class Variants(ru.FixtureVariants):
    FIXTURE = FIXTURE

    def test_absent_without_the_workload(self):
        self.data["benchmarks"] = ru.load(ru.FIXTURE)["benchmarks"]   # the quick preset's
        page = self.render()
        self.assertIsNone(ru.section(page, "remotefree"))
        self.assertNotIn('href="#remotefree"', page)

    def test_node_pair_columns(self):
        """CPU c on node c (as a two-node machine records it): the heatmap labels carry the
        node, and the table splits the remote pairs, all across nodes here."""
        want = {(b, s): expected(self.data, b, s)[2] for b in BACKENDS for s in SIZES}
        for r in self.data["benchmarks"]:
            p = r["kmbench"]["params"]
            p["alloc_node"], p["free_node"] = p["alloc_cpu"], p["free_cpu"]
        page = self.render()
        section = ru.section(page, "remotefree")
        self.assertIn("across nodes", section)
        rows = ru.table_rows(ru.parse(page), "remotefree-table")
        self.assertEqual(len(rows), len(want))
        for row in rows:
            r = want[(row["backend"], int(row["size"]))]
            self.assertEqual(row["across nodes / local"], ratio_text(r), row)
            self.assertEqual(row["within a node / local"], "n/a", row)

    def test_one_cpu_has_no_remote_pair(self):
        self.drop(lambda k, r: r["kmbench"]["params"].get("alloc_cpu") == 1 or
                  r["kmbench"]["params"].get("free_cpu") == 1)
        section = ru.section(self.render(), "remotefree")
        self.assertIn("slab, 64 B: no remote pair (one CPU)", html.unescape(section))


class HeatmapScale(unittest.TestCase):
    """kmb_plots.heatmap's colour scale: logarithmic where the values span 10x or more (one
    remote outlier must not leave the rest one pale colour), linear otherwise, and the colour
    bar says which. The figure is caught through kmb_plots.OBSERVER as it is drawn."""

    def draw(self, values):
        sys.path.insert(0, os.path.join(ru.SOURCE_DIR, "report"))
        import kmb_plots
        from matplotlib.colors import LogNorm
        seen = []
        kmb_plots.OBSERVER = seen.append
        try:
            kmb_plots.heatmap("t", [0, 1], [0, 1], values, "ns per object", "alloc", "free")
        finally:
            kmb_plots.OBSERVER = None
        self.assertEqual(len(seen), 1)
        image = seen[0].axes[0].images[0]
        bar = [a for a in seen[0].axes if a is not seen[0].axes[0]][0]
        return isinstance(image.norm, LogNorm), bar.get_ylabel()

    def test_wide_range_is_log(self):
        self.assertEqual(self.draw({(0, 0): 18.0, (0, 1): 900.0, (1, 0): 40.0, (1, 1): 17.0}),
                         (True, "ns per object (log scale)"))

    def test_narrow_range_is_linear(self):
        self.assertEqual(self.draw({(0, 0): 18.0, (0, 1): 43.0, (1, 0): 40.0, (1, 1): 17.0}),
                         (False, "ns per object"))

    def test_zero_is_linear(self):
        self.assertEqual(self.draw({(0, 0): 0.0, (0, 1): 43.0, (1, 1): 17.0})[0], False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
