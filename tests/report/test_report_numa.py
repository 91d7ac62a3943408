#!/usr/bin/python3
"""Tests of the report's NUMA section against tests/fixtures/results-numa.json (see
tests/fixtures/make_results_numa.py for what it holds and what is planted in it).

Run: /usr/bin/python3 tests/report/test_report_numa.py   (KMB_SOURCE_DIR: the repository root)
"""
import os
import statistics
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

NUMA_FIXTURE = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-numa.json")
MATRIX = ["libnuma", "buddy", "slab", "kmalloc"]
CPU_NODES, MEM_NODES = ["0", "1"], ["0", "1", "2"]
REMOTE = {"0": "2", "1": "0"}
MISPLACED = ("slab", "2", "1")          # bind: backend, memory node, CPU node
FAILED = ("kmalloc", "1")               # remote: backend, CPU node
FAIL_MSG = "numa-matrix: kmalloc returned NULL for page 0 of 16384 on node 0 (remote)"
NO_CHECK = "move_pages: not permitted here"


def fmt(v):
    return f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


class NumaFixture(ru.FixturePage):
    """Render the fixture and check every matrix cell against medians recomputed here."""

    FIXTURE = NUMA_FIXTURE

    def runs(self, backend, policy, mem, cpu):
        return [r for r in self.data["benchmarks"] if r["run_type"] == "iteration"
                and r["kmbench"]["backend"] == backend
                and r["kmbench"]["workload"] == "numa-matrix"
                and r["kmbench"]["params"]["policy"] == policy
                and str(r["kmbench"]["params"]["mem_node"]) == mem
                and str(r["kmbench"]["params"]["cpu_node"]) == cpu]

    def expected(self, backend, policy, mem, cpu):
        """The cell's text as the report must write it, from the fixture's runs."""
        runs = [r for r in self.runs(backend, policy, mem, cpu) if not r.get("error_occurred")]
        if not runs:
            return "failed"
        med = lambda k: statistics.median(r[k] for r in runs)  # noqa: E731
        text = f"{fmt(med('load_ns'))} ns / {med('read_gbs'):.2f} GB/s"
        if med("placement_ok") < 0.99:
            text += f" (placement {med('placement_ok'):.2f})"
        return text

    def test_fixture_format(self):
        ctx = self.data["context"]
        self.assertEqual(ctx["options"]["numa_policy"], "local")
        self.assertEqual(ctx["options"]["matrix"]["cells"], 12)
        for b in MATRIX:
            self.assertEqual(len([r for r in self.data["benchmarks"]
                                  if r["kmbench"]["backend"] == b
                                  and r["kmbench"]["workload"] == "numa-matrix"]), 12 * 3)
        for r in self.data["benchmarks"]:
            pl = r["kmbench"].get("placement")
            if r.get("error_occurred"):
                self.assertIsNone(pl)
            elif "placement_ok" in r:
                self.assertEqual(pl["status"], "checked")
                self.assertAlmostEqual(r["placement_ok"], pl["on_intended"] / pl["pages"])
            else:
                self.assertEqual(pl["status"], "unavailable")

    def test_section_and_nav(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertIn('href="#numa"', self.html)
        section = ru.section(self.html, "numa")
        self.assertIsNotNone(section)
        for anchor in ("numa-bind-t1", "numa-local-t1", "numa-remote-t1", "numa-interleave-t1",
                       "numa-placement"):
            self.assertIn(f'<h3 id="{anchor}">', section)
        self.assertNotIn("numa-preferred", section)     # not in the run
        self.assertIn("(--numa-policy): <b>local</b> (glibc: set_mempolicy; libnuma: node "
                      "argument", section)
        self.assertIn("buffer of 64 MiB", section)

    def test_bind_grids(self):
        for b in MATRIX:
            table = self.page.tables[f"numa-bind-t1-{b}"]
            self.assertEqual(table["header"], ["CPU node \\ memory node"] + MEM_NODES)
            self.assertEqual([cells[0] for _, cells in table["rows"]], CPU_NODES)
            for _, cells in table["rows"]:
                y = cells[0]
                for x, text in zip(MEM_NODES, cells[1:]):
                    self.assertEqual(text, self.expected(b, "bind", x, y), (b, x, y))

    def test_misplaced_marked(self):
        b, x, y = MISPLACED
        section = ru.section(self.html, "numa")
        self.assertIn('<td class="num misplaced" title="placement_ok 0.500">', section)
        self.assertEqual(section.count("num misplaced"), 1)
        self.assertTrue(self.expected(b, "bind", x, y).endswith("(placement 0.50)"))
        rows = {r["backend"]: r for r in ru.table_rows(self.page, "numa-placement-table")}
        self.assertEqual(rows[b]["lowest placement_ok"], "0.50")
        self.assertEqual(rows[b]["class"], "failed")
        self.assertIn(f"policy:bind mem_node:{x} cpu_node:{y}", rows[b]["below 99%"])

    def test_one_per_cpu_node(self):
        for policy in ("local", "remote", "interleave"):
            rows = ru.table_rows(self.page, f"numa-{policy}-t1")
            self.assertEqual([r["CPU node"] for r in rows], [
                f"{y} (memory: {y if policy == 'local' else REMOTE[y] if policy == 'remote' else 'every node'})"
                for y in CPU_NODES])
            for r in rows:
                y = r["CPU node"].split()[0]
                mem = y if policy == "local" else REMOTE[y] if policy == "remote" else "-1"
                for b in MATRIX:
                    self.assertEqual(r[b], self.expected(b, policy, mem, y), (policy, b, y))

    def test_failed_cell(self):
        b, y = FAILED
        rows = ru.table_rows(self.page, "numa-remote-t1")
        row = next(r for r in rows if r["CPU node"].startswith(y))
        self.assertEqual(row[b], "failed")
        section = ru.section(self.html, "numa")
        self.assertIn(f'class="num failed" title="{FAIL_MSG}"', section)
        placement = {r["backend"]: r for r in ru.table_rows(self.page, "numa-placement-table")}
        self.assertEqual(placement[b]["results checked"], "11")   # the failed cell has none

    def test_heatmaps(self):
        section = ru.section(self.html, "numa")
        for b in MATRIX:
            png = ru.img_src(section, f"numa-matrix bind {b} threads:1: ns per load")
            self.assertIsNotNone(png, b)
            self.assertTrue(png.startswith(ru.PNG_MAGIC))
            w, h = ru.png_size(png)
            self.assertTrue(300 <= w <= 1200 and 200 <= h <= 900, (w, h))
        self.assertEqual(section.count("<img "), len(MATRIX))

    def test_placement_table(self):
        rows = {r["backend"]: r for r in ru.table_rows(self.page, "numa-placement-table")}
        self.assertEqual(list(rows), ["glibc"] + MATRIX)
        self.assertEqual(rows["glibc"]["results checked"], "1")
        self.assertEqual(rows["glibc"]["lowest placement_ok"], "1.00")
        self.assertIn(f"3 runs: {NO_CHECK}", rows["buddy"]["not checked"])
        self.assertEqual(rows["buddy"]["results checked"], "12")
        for b in ("glibc", "libnuma", "buddy", "kmalloc"):
            self.assertEqual(rows[b]["below 99%"], "-")
            self.assertEqual(rows[b]["class"], "")

    def test_counters_in_results_table(self):
        header = self.page.tables["results-table"]["header"]
        for name in ("load_ns", "read_gbs", "placement_ok"):
            self.assertTrue(any(h.startswith(name) for h in header), name)


class NumaVariants(ru.FixtureVariants):
    """What the section does with less."""

    FIXTURE = NUMA_FIXTURE

    def test_absent_without_numa_data(self):
        data = ru.load(ru.FIXTURE)       # the quick preset's runs, without their placement
        for r in data["benchmarks"]:
            for key in ("placement_ok", "placement_pages"):
                r.pop(key, None)
            r["kmbench"].pop("placement", None)
        html = self.render(data)
        self.assertIsNone(ru.section(html, "numa"))
        self.assertNotIn('href="#numa"', html)

    def test_placement_only(self):
        """churn runs with placement, no numa-matrix: the placement table alone."""
        self.drop(lambda k, r: k["workload"] == "numa-matrix")
        html = self.render()
        section = ru.section(html, "numa")
        self.assertIsNotNone(section)
        self.assertIn('<h3 id="numa-placement">', section)
        self.assertNotIn("numa-bind", section)
        self.assertNotIn("<img ", section)
        page = ru.parse(html)
        self.assertEqual([r["backend"] for r in ru.table_rows(page, "numa-placement-table")],
                         ["glibc", "buddy"])

    def test_policy_skipped_here(self):
        self.data["context"]["options"]["matrix"]["skipped"] = (
            "remote: needs two nodes with memory; this machine has one")
        self.drop(lambda k, r: k["params"].get("policy") == "remote")
        section = ru.section(self.render(), "numa")
        self.assertIn("No cell here: remote: needs two nodes with memory", section)
        self.assertNotIn("numa-remote-t1", section)

    def test_escaping(self):
        for r in self.data["benchmarks"]:
            if r["kmbench"]["backend"] == "slab":
                r["kmbench"]["backend"] = "<slab&co>"
        section = ru.section(self.render(), "numa")
        self.assertIn("&lt;slab&amp;co&gt;", section)
        self.assertNotIn("<slab&co>", section)

    def test_one_node_machine(self):
        """A 1x1 matrix, as on a one-node machine: one cell per backend, still a table."""
        self.drop(lambda k, r: k["workload"] == "numa-matrix" and (
            k["params"]["cpu_node"] != 0 or k["params"]["mem_node"] not in (0, -1)))
        html = self.render()
        page = ru.parse(html)
        for b in MATRIX:
            table = page.tables[f"numa-bind-t1-{b}"]
            self.assertEqual(table["header"], ["CPU node \\ memory node", "0"])
            self.assertEqual(len(table["rows"]), 1)


if __name__ == "__main__":
    unittest.main()
