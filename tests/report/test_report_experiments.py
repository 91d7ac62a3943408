#!/usr/bin/python3
"""The report's experiment loader (report/kmb_experiments.py) against the C one
(harness/experiment.c): on every shipped preset file, and on a file written to hold what YAML
could read two ways (unquoted off, 0.10, 1K, flow and block lists, option maps), both give the
same names, descriptions and run arguments (`kmbench list --presets --json`). And the Context
section names the experiment of a run and its description: from the results, from the run
directory's copy, from the shipped preset.

Run: /usr/bin/python3 tests/report/test_report_experiments.py   (KMB_SOURCE_DIR: the repository
root; KMB_BINARY_DIR: the build, whose harness/kmbench is compared; 77 without it)
"""
import glob
import json
import os
import subprocess
import sys
import tempfile
import types
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

sys.path.insert(0, os.path.dirname(ru.REPORT))
import kmb_experiments as kx  # noqa: E402
from sections import context  # noqa: E402

KMBENCH = os.path.join(os.environ.get("KMB_BINARY_DIR", ""), "harness", "kmbench")

QUIRKS = """\
# Values YAML 1.1 would type (off, 0.10, 1e3) stay text on both sides.
experiments:
  - name: one
    description: 'quoted: with a colon'
    backends:
      - glibc
      - slab
    sizes: [8, 0x40, 1K]
    min_time: 0.10
    batch: 1e3
    threads: 1-max
    backend_options: {sheaves: off, cpu-partial: 30}
    workload_options:
      mempool-fail: [0, 100]
    check:
      reference: slab
      alpha: 0.010
      tolerance: {real_time: 5%, cpu_time: 12.5%}
  - name: two
    workloads: all
    check: {tolerance: {cpu_time: 1e1%}}
"""


def c_side(*args):
    out = subprocess.run([KMBENCH, "list", "--presets", "--json", *args], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


@unittest.skipUnless(os.access(KMBENCH, os.X_OK), f"no kmbench at {KMBENCH}")
class Agree(unittest.TestCase):
    def test_every_shipped_file(self):
        c = c_side()
        files = sorted(glob.glob(os.path.join(kx.PRESET_DIR, "*.yaml")))
        self.assertEqual(sorted(os.path.basename(f)[:-5] for f in files), sorted(c))
        self.assertGreaterEqual(len(c), 17)
        for path in files:
            name = os.path.basename(path)[:-5]
            self.assertEqual(kx.load(path), c[name], path)
            self.assertEqual([e["name"] for e in c[name]], [name], path)

    def test_values_stay_text(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "quirks.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(QUIRKS)
            py = kx.load(path)
            self.assertEqual(py, c_side("--matrix", path)[path])
        self.assertIn("-Osheaves=off", py[0]["args"])
        self.assertEqual(py[0]["check"], {"reference": "slab", "alpha": "0.010",
                                          "tolerance": {"real_time": "5%", "cpu_time": "12.5%"}})
        self.assertEqual(kx.check_settings(py[1]["check"])["tolerance"], {"cpu_time": 0.1})
        self.assertIn("--min-time=0.10", py[0]["args"])
        self.assertIn("--sizes=8,0x40,1K", py[0]["args"])

    def test_repeated_key_refused(self):
        with self.assertRaisesRegex(kx.ExperimentError, "key 'sizes' given twice"):
            kx.parse("experiments:\n  - name: a\n    sizes: 8\n    sizes: 16\n")


class ContextSection(unittest.TestCase):
    def line(self, options, path=""):
        return context.experiment(types.SimpleNamespace(ctx={"options": options}, path=path))

    def test_from_the_results(self):
        got = self.line({"preset": "", "experiment_file": "exp.yaml", "experiment": "scale",
                         "experiment_description": "sheaves <on> and off"})
        self.assertEqual(got, '<p class="experiment">Experiment <b>scale</b> (exp.yaml): '
                              'sheaves &lt;on&gt; and off</p>')

    def test_from_the_shipped_preset(self):
        """Results written before the files record only the preset: its file describes it."""
        got = self.line({"preset": "slab-scale"})
        self.assertIn("Experiment <b>slab-scale</b> (preset slab-scale): slab and kmalloc at "
                      "scale", got)

    def test_from_the_run_directory_copy(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, kx.COPY), "w", encoding="utf-8") as f:
                f.write(QUIRKS)
            got = self.line({"experiment_file": "q.yaml", "experiment": "one"},
                            os.path.join(tmp, "results.json"))
        self.assertIn("Experiment <b>one</b> (q.yaml): quoted: with a colon", got)

    def test_none(self):
        self.assertEqual(self.line({}), "")


if __name__ == "__main__":
    unittest.main()
