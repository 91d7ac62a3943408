#!/usr/bin/python3
"""The report's Machine section (report/sections/machine.py): the topology drawn from the hwloc
XML in context.topology.hwloc_xml with the PUs the threads ran on filled, the CPUs per thread
count, the environment checks with their warnings, and the counters' line.

Fixtures: tests/fixtures/hwloc-2cpu.xml (`lstopo --of xml` of a 2-CPU KVM guest),
tests/fixtures/hwloc-synthetic-big.xml (`lstopo --input "pack:2 numa:2 core:8 pu:2" --of xml`:
2 packages, 4 NUMA nodes, 32 cores, 64 PUs) and tests/fixtures/environment-vm.json (the
context.environment of a real kmbench run on that guest), set into copies of the quick
fixture. The expected counts are read from the XML here with a plain walk of its elements.

Run: /usr/bin/python3 tests/report/test_report_machine.py   (KMB_SOURCE_DIR: the repository root)
"""
import os
import re
import sys
import unittest
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

sys.path.insert(0, os.path.join(ru.SOURCE_DIR, "report"))
import kmb_results as kr  # noqa: E402
from sections import machine  # noqa: E402

FIXTURES = os.path.join(ru.SOURCE_DIR, "tests", "fixtures")
SMALL = os.path.join(FIXTURES, "hwloc-2cpu.xml")
BIG = os.path.join(FIXTURES, "hwloc-synthetic-big.xml")
ENVIRONMENT = os.path.join(FIXTURES, "environment-vm.json")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def counts(xml_text):
    """{type: number of objects} of an hwloc XML."""
    out = {}
    for o in ET.fromstring(xml_text).iter("object"):
        out[o.get("type")] = out.get(o.get("type"), 0) + 1
    return out


def drawn(page):
    """{cpu: filled} of the PUs of the page's topology drawing."""
    svg = re.search(r'<svg id="topology".*?</svg>', page, re.S)
    assert svg, "no topology drawing"
    return {int(m.group(2)): bool(m.group(1)) for m in
            re.finditer(r'<g class="pu( used)?" data-cpu="([0-9]+)">', svg.group(0))}


class Machine(ru.FixtureVariants):
    """The section rendered in this process from a changed copy of the quick fixture (the
    whole page's plots would take a minute; test_report_browser renders whole pages)."""

    FIXTURE = ru.FIXTURE

    def render(self):
        ctx = self.data["context"]
        cells = kr.cells(self.data["benchmarks"])
        run = kr.Run(self.data, ctx, cells, kr.backend_order(ctx, cells), ctx["counters"], [],
                     "")
        return machine.render(run)

    def with_topology(self, xml_path):
        self.data["context"]["topology"]["hwloc_xml"] = read(xml_path)
        self.data["context"]["environment"] = ru.load(ENVIRONMENT)

    def test_small_machine(self):
        """The 2-CPU guest: both PUs drawn, both filled (the quick preset ran at 1 and 2
        threads, compact), one row per thread count of the CPUs the rows name."""
        self.with_topology(SMALL)
        section = ru.section(self.render(), "machine")
        self.assertIsNotNone(section)
        n = counts(read(SMALL))
        pus = drawn(section)
        self.assertEqual(len(pus), n["PU"])
        want = {}
        for r in self.data["benchmarks"]:
            want.setdefault(r["threads"], set()).update(r["kmbench"].get("cpus", []))
        self.assertEqual({c for c, used in pus.items() if used}, set().union(*want.values()))
        rows = ru.table_rows(ru.parse(section), "pin-table")
        self.assertEqual([(int(r["threads"]), r["CPUs the threads ran on"]) for r in rows],
                         [(t, ", ".join(map(str, sorted(c)))) for t, c in sorted(want.items())])
        self.assertEqual(section.count("NUMA node 0 ("), n["NUMANode"])

    def test_big_machine(self):
        """The synthetic 64-PU machine: every package, NUMA node and PU drawn, exactly the CPUs
        the runs name filled (here set to 0, 1 and 17: node 0 and node 1), and the drawing
        scales down to the page's width rather than widening it."""
        self.with_topology(BIG)
        plan = {1: [17], 2: [0, 1]}
        for r in self.data["benchmarks"]:
            r["kmbench"]["cpus"] = plan[r["threads"]]
        section = ru.section(self.render(), "machine")
        n = counts(read(BIG))
        self.assertEqual((n["Package"], n["NUMANode"], n["Core"], n["PU"]), (2, 4, 32, 64))
        pus = drawn(section)
        self.assertEqual(sorted(pus), list(range(64)))
        self.assertEqual(sorted(c for c, used in pus.items() if used), [0, 1, 17])
        for k in range(2):
            self.assertIn(f">Package {k}</text>", section)
        for k in range(4):
            self.assertIn(f">NUMA node {k} (1.0 GiB)</text>", section)
        self.assertIn("max-width:100%", section)
        rows = ru.table_rows(ru.parse(section), "pin-table")
        self.assertEqual([r["CPUs the threads ran on"] for r in rows], ["17", "0, 1"])

    def test_environment(self):
        """Every check of context.environment, warnings first, and the warnings named."""
        self.with_topology(SMALL)
        env = ru.load(ENVIRONMENT)
        section = ru.section(self.render(), "machine")
        rows = ru.table_rows(ru.parse(section), "environment-table")
        self.assertEqual(sorted(r["check"] for r in rows), sorted(c["name"] for c in env))
        warned = [c["name"] for c in env if c["status"] == "warning"]
        self.assertEqual([r["check"] for r in rows[:len(warned)]], warned)
        self.assertTrue(all(r["status"] != "warning" for r in rows[len(warned):]))
        self.assertIn(f"{len(warned)} of {len(env)} checks warn: {', '.join(warned)}.",
                      section)

    def test_counters_line(self):
        """The counters' numbers and the link to the Counters section, which has the reasons."""
        section = ru.section(self.render(), "machine")
        c = self.data["context"]["counters"]
        self.assertIn(f"Counters: {len(c['available'])} available, {len(c['unavailable'])} "
                      'unavailable (the reasons in <a href="#counters">Counters</a>).', section)

    def test_left_out_with_a_note(self):
        """A file without hwloc XML or environment (the committed fixtures): the counts and a
        note for each, no drawing."""
        section = ru.section(self.render(), "machine")
        t = self.data["context"]["topology"]
        self.assertIn(f"{t['packages']} packages, {t['cores']} cores, {t['pus']} pus", section)
        self.assertIn("No drawing: this results file has no hwloc XML", section)
        self.assertNotIn("<svg", section)
        self.assertIn("Not in this results file (context.environment", section)

    def test_broken_xml(self):
        self.data["context"]["topology"]["hwloc_xml"] = "<topology><object"
        section = ru.section(self.render(), "machine")
        self.assertIn("The topology cannot be drawn: hwloc XML does not parse", section)


if __name__ == "__main__":
    unittest.main(verbosity=2)
