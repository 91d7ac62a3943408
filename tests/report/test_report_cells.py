#!/usr/bin/python3
"""The report's cells (report/kmb_results.py) as the loader builds them once per file: cells()
identifies the runs of a cell once (identity_key()), so rows that share a name but not their
kmbench key must still make cells of their own; its median is statistics.median's value; the
findings' varying() (kmb_summary), computed once per list of cells, answers for the list it is
given, not the last one. Each check is shown to fail against a planted fault where it can.

Run: /usr/bin/python3 tests/report/test_report_cells.py   (KMB_SOURCE_DIR: the repository root)
"""
import copy
import json
import os
import statistics
import sys
import unittest
from unittest import mock

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

sys.path.insert(0, os.path.dirname(ru.REPORT))
import kmb_results as kr  # noqa: E402
import kmb_summary as kms  # noqa: E402


def row(size, rep, ns, name="churn/slab/real_time/threads:1"):
    """An iteration row of slab's churn at size, its name without the size (as a program's
    rows may be named: the params live in the kmbench key alone)."""
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": 3,
            "repetition_index": rep, "threads": 1, "iterations": 1000, "real_time": ns,
            "cpu_time": ns, "time_unit": "ns", "page_faults": float(size),
            "kmbench": {"backend": "slab", "workload": "churn", "params": {"size": size},
                        "threads": 1}}


class Cells(unittest.TestCase):
    def test_same_name_other_params(self):
        """Rows named alike whose kmbench params differ are two cells, each with its own
        repetitions and counters."""
        rows = [row(64, i, 10.0 + i) for i in range(3)] + [row(128, i, 20.0 + i) for i in range(3)]
        got = kr.cells(rows)
        self.assertEqual([(c.params, c.reps, c.ns[0], c.counters["page_faults"]) for c in got],
                         [((("size", "64"),), 3, 11.0, 64.0), ((("size", "128"),), 3, 21.0, 128.0)])

    def test_planted_key_without_params_fails(self):
        """The check above catches an identity key that leaves the params out."""
        def planted(run):
            return (run.get("run_name"), run.get("name"), run.get("threads"))
        rows = [row(64, i, 10.0) for i in range(3)] + [row(128, i, 20.0) for i in range(3)]
        with mock.patch.object(kr, "identity_key", planted):
            self.assertEqual(len(kr.cells(rows)), 1)

    def test_same_as_one_row_at_a_time(self):
        """Every fixture's cells equal those of its rows identified one by one (no row shares
        an identity key with a row of another cell)."""
        for path in (ru.FIXTURE, ru.PAGES_FIXTURE):
            with open(path, encoding="utf-8") as f:
                rows = json.load(f)["benchmarks"]
            with mock.patch.object(kr, "identity_key", lambda run: id(run)):
                want = kr.cells(copy.deepcopy(rows))
            self.assertEqual(kr.cells(rows), want, path)

    def test_median(self):
        for values in ([3.0], [2.0, 1.0], [5.0, 1.0, 3.0], [4.0, 1.0, 3.0, 2.0], [1, 2, 2, 7]):
            self.assertEqual(kr.median(values), statistics.median(values), values)


class Varying(unittest.TestCase):
    def test_per_list(self):
        """varying() answers for the list given: a second list, or the first one grown, is not
        answered from the first one's."""
        one = kr.cells([row(64, 0, 10.0), row(128, 0, 20.0)])
        two = kr.cells([row(64, 0, 10.0)])
        self.assertEqual(kms.varying(one, "churn"), {"size"})
        self.assertEqual(kms.varying(two, "churn"), set())
        self.assertEqual(kms.varying(one, "churn"), {"size"})
        self.assertEqual(kms.varying(two, "churn"), set())
        two += kr.cells([row(256, 0, 30.0)])
        self.assertEqual(kms.varying(two, "churn"), {"size"})
        self.assertEqual(kms.varying(one, "other"), set())


if __name__ == "__main__":
    unittest.main(verbosity=2)
