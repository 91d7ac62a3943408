#!/usr/bin/python3
"""The report's layout (report/sections/__init__.py): one module per section, listed by name in
kmbench_report.SECTIONS, each offering ANCHOR, TITLE and render(run); a section imports only the
common modules (kmb_results, kmb_html, kmb_summary, kmb_experiments), kmb_plots and the standard library, never
another section nor the entry point; the common modules import no section. The import rule is
checked from each module's source, and the check is shown to catch a planted import.

Run: /usr/bin/python3 tests/report/test_report_sections.py   (KMB_SOURCE_DIR: the repository root)
"""
import ast
import glob
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

REPORT_DIR = os.path.dirname(ru.REPORT)
SECTIONS_DIR = os.path.join(REPORT_DIR, "sections")
COMMON = ("kmb_results", "kmb_html", "kmb_summary", "kmb_plots", "kmb_experiments")
FIXTURES = sorted(glob.glob(os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-*.json")))

sys.path.insert(0, REPORT_DIR)
import kmbench_report  # noqa: E402
import kmb_results as kr  # noqa: E402
import kmb_summary as kms  # noqa: E402


def imported(source):
    """The top-level names of the modules source imports ("sections" for sections.x)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names.append("." if node.level else node.module.split(".")[0])
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            names.append(str(node.args[0].value).split(".")[0])
    return names


def section_import_faults(source):
    """The imports of a section module's source that break the rule, as text."""
    return [n for n in imported(source)
            if n not in COMMON and (n not in sys.stdlib_module_names or n == "sections")]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def section_files():
    """{module name: path} of report/sections/*.py but __init__."""
    return {os.path.basename(p)[:-3]: p for p in glob.glob(os.path.join(SECTIONS_DIR, "*.py"))
            if os.path.basename(p) != "__init__.py"}


class Registry(unittest.TestCase):
    def test_every_listed_section_has_its_module(self):
        anchors = []
        for name in kmbench_report.SECTIONS:
            m = kmbench_report.section(name)
            self.assertTrue(isinstance(m.ANCHOR, str) and m.ANCHOR, name)
            self.assertTrue(isinstance(m.TITLE, str) and m.TITLE, name)
            self.assertTrue(callable(m.render), name)
            anchors.append(m.ANCHOR)
        self.assertEqual(len(anchors), len(set(anchors)), anchors)
        self.assertNotIn("summary", anchors)

    def test_every_module_is_listed(self):
        """No section module left out of SECTIONS (the Summary, before the links, aside)."""
        self.assertEqual(sorted(section_files()),
                         sorted(kmbench_report.SECTIONS + ["summary"]))
        self.assertEqual(len(kmbench_report.SECTIONS), len(set(kmbench_report.SECTIONS)))


class Imports(unittest.TestCase):
    def test_sections_import_only_the_common_modules(self):
        files = section_files()
        self.assertGreaterEqual(len(files), 14, files)
        for name, path in files.items():
            self.assertEqual(section_import_faults(read(path)), [], path)

    def test_common_modules_import_no_section(self):
        for name in COMMON:
            found = imported(read(os.path.join(REPORT_DIR, f"{name}.py")))
            self.assertFalse({"sections", "kmbench_report"} & set(found), (name, found))

    def test_check_catches_a_planted_import(self):
        """The check flags a section that imports another, or the entry point."""
        for planted in ("from sections import pages", "import sections.slab",
                        "from . import numa", "import kmbench_report",
                        'importlib.import_module("sections.percpu")'):
            source = "import re\nimport kmb_results as kr\n" + planted + "\n"
            self.assertTrue(section_import_faults(source), planted)
        self.assertEqual(section_import_faults("import re\nimport kmb_plots\n"), [])


class Render(unittest.TestCase):
    def test_each_section_opens_with_its_anchor(self):
        """For every fixture, a section that has something to show opens with <h2 id=ANCHOR>,
        the id the links at the top of the page point to, and the page has every one of them."""
        self.assertGreaterEqual(len(FIXTURES), 7)
        shown = set()
        for path in FIXTURES:
            data = kr.load(path)
            ctx = data.get("context") or {}
            cells = kr.cells(data["benchmarks"])
            counters_ctx = ctx.get("counters") if isinstance(ctx.get("counters"), dict) else {}
            run = kr.Run(data, ctx, cells, kr.backend_order(ctx, cells), counters_ctx,
                         kms.findings(cells, ctx))
            for name in kmbench_report.SECTIONS:
                m = kmbench_report.section(name)
                text = m.render(run)
                if text:
                    self.assertTrue(text.startswith(f'<h2 id="{m.ANCHOR}">'),
                                    f"{os.path.basename(path)}: {name}: {text[:80]!r}")
                    shown.add(name)
        self.assertEqual(shown, set(kmbench_report.SECTIONS), "a section no fixture shows")


if __name__ == "__main__":
    unittest.main()
