#!/usr/bin/python3
"""The report's "Call graphs" section (report/sections/callgraph.py) on tests/fixtures/callgraph/:
a real `kmbench run --backends slab --workloads churn,false-share-active --sizes 64 --batch 1
--threads 1,2 --min-time 0.05 --repetitions 2 --profile='*/threads:1'` on the 2-core dev VM
(debug build, no PMU: cpu-clock), its results.json and profiles/ as the run wrote them. The flame
graphs are checked against the folded stacks (every frame wide enough is drawn, at its share of
the samples), the top tables against the top files, the answers against the rows; unprofiled
cells are not drawn; a profile that was unavailable (the row of a real run with KMB_PERF naming
a missing file) is listed with its reason; missing files are a note, not a failure; a run
without profiles gets the note alone.

Run: /usr/bin/python3 tests/report/test_report_callgraph.py   (KMB_SOURCE_DIR: the repository
root)
"""
import html
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

FIXTURE_DIR = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "callgraph")
FIXTURE = os.path.join(FIXTURE_DIR, "results.json")
WIDTH = 1000        # callgraph.WIDTH
MIN_SHARE = 0.005   # callgraph.MIN_SHARE
MAX_DEPTH = 64      # callgraph.MAX_DEPTH
NAME_CHARS = 70     # callgraph.NAME_CHARS
# The row of a real run with KMB_PERF=/nonexistent/perf (its kmbench.callgraph).
UNAVAILABLE = {"status": "unavailable",
               "reason": "cannot run /nonexistent/perf: No such file or directory",
               "event": "cpu-clock",
               "event_why": "cycles: ENOENT: not supported on this machine (no hardware PMU?)"}


def profiled(data):
    """{run_name: callgraph} of the fixture's rows with kmbench.callgraph."""
    return {r["run_name"]: r["kmbench"]["callgraph"] for r in data["benchmarks"]
            if "callgraph" in r["kmbench"]}


def folded(rel):
    out = []
    with open(os.path.join(FIXTURE_DIR, rel)) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            out.append((stack.split(";"), int(n)))
    return out


def shown(name):
    """A function's name as the tables show it: cut to NAME_CHARS."""
    return name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "\u2026"


def svgs(section):
    return re.findall(r'<svg class="flame".*?</svg>', section, re.S)


def frames(svg):
    """[(function, width)] of a flame graph's frames."""
    return [(html.unescape(f), float(w)) for f, w in
            re.findall(r'data-function="([^"]*)"><title>.*?</title><rect x="[^"]*" y="[^"]*" '
                       r'width="([^"]*)"', svg)]


def render_variant(data, copy_profiles=True):
    """The report's Call graphs section of data written as results.json in a temporary run
    directory (with the fixture's profiles/ where copy_profiles)."""
    tmp = tempfile.mkdtemp(prefix="kmb-report-test-")
    try:
        path = os.path.join(tmp, "results.json")
        with open(path, "w") as f:
            json.dump(data, f)
        if copy_profiles:
            shutil.copytree(os.path.join(FIXTURE_DIR, "profiles"), os.path.join(tmp, "profiles"))
        proc = ru.run_report(path, "-o", os.path.join(tmp, "index.html"))
        assert proc.returncode == 0, proc.stderr
        return ru.section(ru.read_text(os.path.join(tmp, "index.html")), "callgraph")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Section(ru.FixturePage):
    FIXTURE = FIXTURE

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.section = ru.section(self.html, "callgraph")
        self.assertIsNotNone(self.section)
        self.cgs = profiled(self.data)

    def test_linked(self):
        self.assertIn('href="#callgraph"', self.html)

    def test_the_fixture_is_what_the_test_says(self):
        """Two cells profiled (threads:1), both measured; the threads:2 cells not."""
        self.assertEqual(sorted({n.split("/")[0] for n in self.cgs}),
                         ["churn", "false-share-active"])
        self.assertTrue(all(n.endswith("threads:1") for n in self.cgs), self.cgs)
        self.assertTrue(all(cg["status"] == "measured" for cg in self.cgs.values()))

    def test_a_flame_graph_per_profiled_cell(self):
        self.assertEqual(len(svgs(self.section)), 2)

    def test_flame_graph_draws_the_folded_stacks(self):
        """The graph's frames are the stacks' prefixes (a frame is a function under one chain
        of callers) of at least MIN_SHARE of the samples and at most MAX_DEPTH deep, each as
        wide as its share of the samples (less the half pixel between frames), under "all",
        which spans the whole; the slab fast path's functions are frames of churn's graph."""
        for svg, cg in zip(svgs(self.section), self.cgs.values()):
            stacks = folded(cg["folded"])
            total = sum(n for _, n in stacks)
            self.assertEqual(total, cg["samples"])
            prefixes = {}
            for stack, n in stacks:
                for d in range(1, len(stack) + 1):
                    prefixes[tuple(stack[:d])] = prefixes.get(tuple(stack[:d]), 0) + n
            want = sorted([("all", WIDTH - 0.5)] + [
                (p[-1], n / total * WIDTH - 0.5) for p, n in prefixes.items()
                if n / total >= MIN_SHARE and len(p) <= MAX_DEPTH])
            drawn = sorted(frames(svg))
            self.assertEqual([f for f, _ in drawn], [f for f, _ in want])
            for (f, w), (_, x) in zip(drawn, want):
                self.assertAlmostEqual(w, x, delta=0.006, msg=f)
        churn = frames(svgs(self.section)[0])
        for f in ("kmem_cache_alloc", "kmem_cache_free", "churn_run"):
            self.assertIn(f, {g for g, _ in churn}, f)

    def test_top_tables_are_the_top_files(self):
        for i, cg in enumerate(self.cgs.values()):
            with open(os.path.join(FIXTURE_DIR, cg["top"])) as f:
                top = json.load(f)
            rows = ru.table_rows(self.page, f"callgraph-top-{i}")
            self.assertEqual(len(rows), min(10, max(len(top["self"]), len(top["total"]))))
            for row, want in zip(rows, top["self"]):
                self.assertEqual(row["function (self)"], shown(want["function"]))
            first = rows[0]
            self.assertEqual(first["function (total)"], shown(top["total"][0]["function"]))

    def test_answers_say_samples_event_and_overhead(self):
        answers = [html.unescape(a) for a in
                   re.findall(r'<p class="callgraph-answer">(.*?)</p>', self.section)]
        self.assertEqual(len(answers), 2)
        for text, cg in zip(answers, self.cgs.values()):
            self.assertTrue(text.startswith(f"{cg['samples']} samples of {cg['event']}"), text)
            self.assertIn(f"({cg['overhead']:.2f}x)", text)
            self.assertIn("never mixed", text)

    def test_c2c_said_for_the_false_sharing_cell(self):
        reason = self.cgs["false-share-active/slab/size:64/real_time/threads:1"]["c2c"]["reason"]
        self.assertIn(html.escape(f"perf c2c: unavailable: {reason}"), self.section)


class Variants(unittest.TestCase):
    def test_an_unavailable_profile_is_listed_with_its_reason(self):
        data = ru.load(FIXTURE)
        for r in data["benchmarks"]:
            if r["run_name"].startswith("churn/") and "callgraph" in r["kmbench"]:
                r["kmbench"]["callgraph"] = UNAVAILABLE
        section = render_variant(data)
        self.assertEqual(len(svgs(section)), 1)
        self.assertIn('id="callgraph-unavailable-table"', section)
        self.assertIn(html.escape(UNAVAILABLE["reason"]), section)

    def test_missing_files_are_a_note(self):
        section = render_variant(ru.load(FIXTURE), copy_profiles=False)
        self.assertEqual(len(svgs(section)), 0)
        self.assertEqual(section.count("No flame graph"), 2)
        self.assertEqual(section.count("No top functions"), 2)

    def test_a_run_without_profiles_gets_the_note(self):
        data = ru.load(FIXTURE)
        for r in data["benchmarks"]:
            r["kmbench"].pop("callgraph", None)
        section = render_variant(data)
        self.assertIn("No cell of this run was profiled", section)
        self.assertNotIn("<svg", section)


if __name__ == "__main__":
    unittest.main()
