"""Experiment files (docs/experiments.md), as the C side reads them (harness/experiment.c).

A file is YAML: `experiments:`, a list of experiments, each a mapping of keys that map onto
`kmbench run` options. load() gives each experiment's name, description and the run arguments
its keys map onto, the same strings as `kmbench list --presets --json` (the test
tests/report/test_report_experiments.py checks that on every shipped file).

The loader is yaml.SafeLoader with no implicit types: every value stays the text it was written
as, as libyaml gives it to the C side ("off" stays off, not YAML 1.1's False; 0.10 stays 0.10),
since each value is read by its option's own parser, in C. A repeated key is refused, as in C.
The report uses it to name and describe the experiment a run came from (describe()).

The `check` key is not a run option: it says how `kmbench check` (kmb_check.py) compares a run
of the experiment with a baseline. parse() checks it as the C loader does (the same keys,
metrics and ranges, the message naming the file and line) and gives it as written, under
"check", only where the experiment has one; check_settings() gives the values it stands for.
"""
import os

import yaml

# The keys of an experiment, in the C table's order (harness/experiment.c keys[]): the run
# option each maps onto, or "-O"/"-W" for the option maps; None for name and description.
KEYS = {
    "name": None, "description": None,
    "backends": "--backends", "workloads": "--workloads", "sizes": "--sizes",
    "batch": "--batch", "threads": "--threads", "min_time": "--min-time",
    "repetitions": "--repetitions", "pin": "--pin", "numa_policy": "--numa-policy",
    "backend_options": "-O", "workload_options": "-W", "check": None,
}
LISTS = {"backends", "workloads", "sizes", "batch", "threads"}

# The shipped presets, beside the report in the source tree.
PRESET_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "harness", "experiments")
COPY = "experiment.yaml"    # a run directory's copy of its file (harness/options.h KMB_EXP_COPY)


class ExperimentError(ValueError):
    """A file that is not an experiment file; the message names the file."""


# The check key (harness/experiment.h): its keys, its metrics and the defaults of what a file
# leaves out.
CHECK_KEYS = ("reference", "alpha", "tolerance")
CHECK_METRICS = ("real_time", "cpu_time")
CHECK_DEFAULTS = {"reference": "glibc", "alpha": 0.05, "tolerance": {"real_time": 0.10}}


class _Mapping(dict):
    """A mapping as read, with the line of each key and value (1-based) and its own."""
    line = 0
    key_lines = None
    value_lines = None


class _TextLoader(yaml.SafeLoader):
    """SafeLoader whose scalars are all strings, and whose mappings refuse a repeated key."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ExperimentError(f"line {key_node.start_mark.line + 1}: key '{key}' "
                                      f"given twice")
            seen.add(key)
        out = _Mapping(super().construct_mapping(node, deep=deep))
        out.line = node.start_mark.line + 1
        out.key_lines = {self.construct_object(k, deep=deep) if k.id == "scalar" else None:
                         k.start_mark.line + 1 for k, _ in node.value}
        out.value_lines = {self.construct_object(k, deep=deep) if k.id == "scalar" else None:
                           v.start_mark.line + 1 for k, v in node.value}
        return out


_TextLoader.yaml_implicit_resolvers = {}
_TextLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            _TextLoader.construct_mapping)


def _text(value, what, allow_list):
    if isinstance(value, str):
        return value
    if allow_list and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    raise ExperimentError(f"{what}: {type(value).__name__} where "
                          f"{'a value or a list of values' if allow_list else 'a value'} "
                          f"is wanted")


def _kind(value):
    return "a mapping" if isinstance(value, dict) else "a list" if isinstance(value, list) \
        else "a value"


def _number(text):
    """The float that is the whole of @text, decimal digits, point and exponent only (as the
    C side's whole_number), or None."""
    if not text or text.strip("0123456789.eE+-"):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def _check(check, owner, shown, name):
    """The check key of experiment @name as written, checked as harness/experiment.c does."""
    def fail(line, msg):
        raise ExperimentError(f"{shown}:{line}: check: {msg}")

    line = owner.value_lines.get("check", 0)
    if not isinstance(check, dict):
        fail(line, f"{_kind(check)} where a mapping (reference, alpha, tolerance) is wanted "
             f"in experiment '{name}'")
    out = {}
    for key, value in check.items():
        kline, vline = check.key_lines.get(key, line), check.value_lines.get(key, line)
        if key not in CHECK_KEYS:
            fail(kline, f"unknown key '{key}' in experiment '{name}'; valid: "
                 f"{', '.join(CHECK_KEYS)}")
        if key == "tolerance":
            if not isinstance(value, dict):
                fail(vline, f"tolerance: {_kind(value)} where a mapping (METRIC: PERCENT, e.g. "
                     f"real_time: 10%) is wanted in experiment '{name}'")
            for metric, pct in value.items():
                if metric not in CHECK_METRICS:
                    fail(value.key_lines.get(metric, vline), f"tolerance: unknown metric "
                         f"'{metric}' in experiment '{name}'; valid: {', '.join(CHECK_METRICS)}")
                num = _number(pct[:-1]) if isinstance(pct, str) and len(pct) > 1 and \
                    pct.endswith("%") else None
                if num is None or not 0 < num <= 1000:
                    fail(value.value_lines.get(metric, vline), f"tolerance: {metric}: "
                         f"'{pct if isinstance(pct, str) else _kind(pct)}' is not a "
                         f"percentage; give one above 0% and at most 1000%, e.g. 10%")
            if not value:
                fail(vline, f"tolerance: an empty mapping in experiment '{name}'; give at "
                     f"least one metric, e.g. real_time: 10%")
            out[key] = dict(value)
            continue
        if not isinstance(value, str):
            fail(vline, f"{key}: {_kind(value)} where a single value is wanted in "
                 f"experiment '{name}'")
        if key == "alpha" and not 0 < (_number(value) or 0) < 1:
            fail(vline, f"alpha: '{value}' is not a significance level; give a number between "
                 f"0 and 1, e.g. 0.05")
        if key == "reference" and not value:
            fail(vline, f"reference: '{value}' is not a backend's name")
        out[key] = value
    return out


def check_settings(check):
    """What the check key @check (as parse() gives it, or None) stands for: {reference, alpha,
    tolerance: {metric: fraction}}, the defaults filled in as the C side records them in a
    run's context.options.check."""
    given = check or {}
    tol = given.get("tolerance")
    return {"reference": given.get("reference", CHECK_DEFAULTS["reference"]),
            "alpha": float(given.get("alpha", CHECK_DEFAULTS["alpha"])),
            "tolerance": ({m: float(v[:-1]) / 100 for m, v in tol.items()} if tol
                          else dict(CHECK_DEFAULTS["tolerance"])),
            "from": "default" if check is None else "experiment"}


def parse(text, shown="<text>"):
    """The experiments of @text: [{"name", "description", "args"}], in the file's order."""
    try:
        doc = yaml.load(text, Loader=_TextLoader)
    except yaml.YAMLError as e:
        raise ExperimentError(f"{shown}: YAML syntax error: {e}") from e
    except ExperimentError as e:
        raise ExperimentError(f"{shown}: {e}") from e
    if doc is None:
        raise ExperimentError(f"{shown}: empty file")
    if not isinstance(doc, dict) or set(doc) != {"experiments"} or \
            not isinstance(doc["experiments"], list) or not doc["experiments"]:
        raise ExperimentError(f"{shown}: give 'experiments:' and a list of experiments")
    out = []
    for exp in doc["experiments"]:
        if not isinstance(exp, dict) or not isinstance(exp.get("name"), str):
            raise ExperimentError(f"{shown}: an experiment without a name")
        name, args, check = exp["name"], [], None
        for key, value in exp.items():
            if key not in KEYS:
                raise ExperimentError(f"{shown}: unknown key '{key}' in experiment '{name}'")
            opt = KEYS[key]
            if key == "check":
                check = _check(value, exp, shown, name)
            elif opt in ("-O", "-W"):
                if not isinstance(value, dict):
                    raise ExperimentError(f"{shown}: {key}: a mapping is wanted")
                args += [f"{opt}{k}={_text(v, f'{key}: {k}', True)}" for k, v in value.items()]
            elif opt:
                args.append(f"{opt}={_text(value, key, key in LISTS)}")
        if name in (e["name"] for e in out):
            raise ExperimentError(f"{shown}: experiment '{name}' is defined twice")
        out.append({"name": name, "description": _text(exp.get("description", ""),
                                                        "description", False),
                    "args": args})
        if check is not None:
            out[-1]["check"] = check
    return out


def load(path):
    """The experiments of the file @path (parse())."""
    with open(path, encoding="utf-8") as f:
        return parse(f.read(), path)


def preset(name):
    """The shipped preset @name's experiment, or None where this tree has no such file."""
    path = os.path.join(PRESET_DIR, f"{name}.yaml")
    return load(path)[0] if os.path.exists(path) else None


def describe(options, run_dir=None):
    """(name, description, where) of the experiment a run came from, from its context's
    options; a description the results lack (runs before the files, or a file without one) is
    read from the run directory's copy, else from the shipped preset. None for no experiment."""
    options = options or {}
    name = options.get("experiment") or options.get("preset")
    if not name:
        return None
    where = options.get("experiment_file") or (f"preset {options['preset']}"
                                               if options.get("preset") else "")
    desc = options.get("experiment_description") or ""
    if not desc:
        found = None
        try:
            copy = os.path.join(run_dir, COPY) if run_dir else None
            if copy and os.path.exists(copy):
                found = next((e for e in load(copy) if e["name"] == name), None)
            elif options.get("preset"):
                found = preset(options["preset"])
        except (OSError, ExperimentError):
            found = None
        desc = found["description"] if found else ""
    return name, desc, where
