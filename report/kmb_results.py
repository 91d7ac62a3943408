"""Read a kmbench results file (results/README.md) and reduce it to one Cell per measurement.

A cell is one (backend, workload, params, threads) combination. Its statistics are taken over the
repetitions that Google Benchmark reported as iteration runs: median, min and max. Where a file
holds only aggregates (benchmark --benchmark_report_aggregates_only), the "median" aggregate is
used, else the "mean" one, and min/max are unknown. Failed runs (error_occurred) never enter the
statistics; their messages are kept on the cell. Nothing here knows about HTML or plots.
"""
import json
import re
import statistics
from dataclasses import dataclass, field

# Keys Google Benchmark and kmbench define; every other numeric key of a run is a counter.
RUN_KEYS = {
    "name", "run_name", "run_type", "family_index", "per_family_instance_index", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "items_per_second", "bytes_per_second", "aggregate_name", "aggregate_unit", "error_occurred",
    "error_message", "skipped", "skip_message", "label", "kmbench", "big_o", "rms", "complexity",
}
# Counters in the order results/README.md lists them; unknown counters follow, sorted.
KNOWN_COUNTERS = [
    "task_clock_ns", "page_faults", "context_switches", "cpu_migrations", "cycles",
    "instructions", "cache_misses", "l1d_misses", "llc_misses", "dtlb_misses",
    "hw_counted_fraction",
]
# Name segments that are Google Benchmark options, not workload parameters.
NAME_OPTIONS = {"real_time", "process_time", "manual_time", "min_time", "min_warmup_time",
                "repeats", "iterations"}
TIME_SCALE = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# A series counter: the value of <name> after <N> x 1024 steps (workload fragment's checkpoints).
SERIES_RE = re.compile(r"^(?P<name>.+)_at_(?P<k>[0-9]+)k$")
# A per-order backend statistic, e.g. pgalloc_order3 or fragmentation_index_order10.
ORDER_STAT_RE = re.compile(r"^(?P<family>.+?)_?order(?P<order>[0-9]+)$")
PAGE_SIZE = 4096


class ResultsError(Exception):
    """The results file cannot be used; the message is one line for the user."""


def load(path):
    """Return the parsed results file, or raise ResultsError naming the problem."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise ResultsError(f"{path} is not UTF-8 text: {e.reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultsError(f"{path} is not valid JSON: {e.msg} at line {e.lineno} "
                           f"column {e.colno}") from None
    if not isinstance(data, dict) or "benchmarks" not in data:
        raise ResultsError(f'{path} has no "benchmarks" key: not a kmbench/Google Benchmark '
                           f"results file")
    if not isinstance(data["benchmarks"], list):
        raise ResultsError(f'{path}: "benchmarks" is not a list')
    if not isinstance(data.get("context", {}), dict):
        raise ResultsError(f'{path}: "context" is not an object')
    return data


def natural(value):
    """Sort key: numbers by value, before text."""
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


@dataclass
class Cell:
    backend: str
    workload: str
    params: tuple            # ((name, value as text), ...) in the file's order
    threads: int
    reps: int = 0            # repetitions that succeeded (or the aggregate's count)
    planned: int = 0         # repetitions asked for (Google Benchmark's "repetitions")
    source: str = "iteration"  # or "median aggregate" / "mean aggregate"
    ns: tuple = None         # (median, min, max) ns per operation per thread; min/max may be None
                             # (real_time x threads: Google Benchmark's real_time of a
                             # multithreaded run is wall time / the iterations of all threads)
    mops: tuple = None       # (median, min, max) Mops/s, all threads together
    counters: dict = field(default_factory=dict)   # name -> median per operation
    errors: list = field(default_factory=list)     # messages of failed runs

    @property
    def group(self):
        return (self.workload, self.params)

    def sort_key(self):
        return (self.workload, [(k, natural(v)) for k, v in self.params], self.threads)


def identify(run):
    """(backend, workload, params, threads) of a run, from its kmbench key or else its name."""
    kmb = run.get("kmbench") if isinstance(run.get("kmbench"), dict) else {}
    parts = str(run.get("run_name") or run.get("name") or "?").split("/")
    params, threads = [], run.get("threads", kmb.get("threads"))
    for seg in parts[2:]:
        key, sep, value = seg.partition(":")
        if key == "threads" and sep:
            threads = threads or value
        elif sep and key not in NAME_OPTIONS:
            params.append((key, value))
    if isinstance(kmb.get("params"), dict):
        params = [(str(k), str(v)) for k, v in kmb["params"].items()]
    backend = kmb.get("backend") or (parts[1] if len(parts) > 1 else "?")
    workload = kmb.get("workload") or parts[0]
    try:
        threads = int(threads)
    except (TypeError, ValueError):
        threads = 1
    return str(backend), str(workload), tuple(params), threads


def failed(run):
    return bool(run.get("error_occurred") or run.get("skipped"))


def counter_names(run):
    return [k for k, v in run.items() if k not in RUN_KEYS and isinstance(v, (int, float))
            and not isinstance(v, bool)]


def spread(values):
    return (statistics.median(values), min(values), max(values))


def cells(benchmarks):
    """Group the runs into Cells, sorted by workload, params, threads and first appearance."""
    runs = {}
    for run in benchmarks:
        if isinstance(run, dict):
            runs.setdefault(identify(run), []).append(run)
    out = []
    for key, group in runs.items():
        cell = Cell(*key)
        cell.planned = max((r["repetitions"] for r in group
                            if isinstance(r.get("repetitions"), int)), default=0)
        bad = [r for r in group if failed(r)]
        bad = [r for r in bad if r.get("run_type") != "aggregate"] or bad
        cell.errors = [str(r.get("error_message") or r.get("skip_message") or "failed")
                       for r in bad]
        ok = [r for r in group if not failed(r) and r.get("run_type", "iteration") == "iteration"]
        if ok:
            cell.reps = len(ok)
        else:
            aggs = {r.get("aggregate_name"): r for r in group
                    if not failed(r) and r.get("run_type") == "aggregate"}
            name = "median" if "median" in aggs else "mean" if "mean" in aggs else None
            if name:
                ok = [aggs[name]]
                cell.source = f"{name} aggregate"
                cell.reps = int(ok[0].get("repetitions") or ok[0].get("iterations") or 1)
        if ok:
            fill(cell, ok)
        out.append(cell)
    order = {key: i for i, key in enumerate(runs)}
    out.sort(key=lambda c: (c.sort_key(), order[(c.backend, c.workload, c.params, c.threads)]))
    return out


def fill(cell, runs):
    ns = [float(r["real_time"]) * TIME_SCALE.get(r.get("time_unit", "ns"), 1.0) * cell.threads
          for r in runs if isinstance(r.get("real_time"), (int, float))]
    ips = [float(r["items_per_second"]) / 1e6 for r in runs
           if isinstance(r.get("items_per_second"), (int, float))]
    if ns:
        cell.ns = spread(ns)
    if ips:
        cell.mops = spread(ips)
    elif ns and all(ns):   # no items_per_second: one item per iteration, every thread
        cell.mops = tuple(cell.threads * 1e3 / v for v in (cell.ns[0], cell.ns[2], cell.ns[1]))
    if len(runs) == 1 and cell.source != "iteration":
        cell.ns = cell.ns and (cell.ns[0], None, None)
        cell.mops = cell.mops and (cell.mops[0], None, None)
    names = {n for r in runs for n in counter_names(r)}
    for name in names:
        vals = [float(r[name]) for r in runs if name in counter_names(r)]
        cell.counters[name] = statistics.median(vals)


def counter_columns(cells_, counters_ctx):
    """Counter columns for the table: known ones present or listed in the context, then others.

    Series counters (<name>_at_<N>k) are left out: they belong in a plot, not one column each.
    """
    present = {n for c in cells_ for n in c.counters if not series_point(n)}
    listed = set(counters_ctx.get("available") or []) | set(counters_ctx.get("unavailable") or {})
    cols = [n for n in KNOWN_COUNTERS if n in present or n in listed]
    return cols + sorted((present | listed) - set(cols))


def backend_order(context, cells_):
    """Backends in the context's order, then any that only appear in the runs."""
    names = list((context.get("backends") or {}).keys())
    for c in cells_:
        if c.backend not in names:
            names.append(c.backend)
    return names


def groups(cells_):
    """{(workload, params): [cells]} in sorted order."""
    out = {}
    for c in cells_:
        out.setdefault(c.group, []).append(c)
    return out


def params_text(params):
    return " ".join(f"{k}:{v}" for k, v in params) or "-"


def size_text(size):
    """4 KiB, 2 MiB, ...: a size in bytes in the largest binary unit that divides it."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


def case_text(workload, params):
    """A case as a reader says it: "churn, 64 B, batch 1" (other params as name:value)."""
    parts = [workload]
    for k, v in params:
        n = param_value(params, k)
        if k == "size" and isinstance(n, int) and n > 0:
            parts.append(size_text(n))
        elif k == "batch":
            parts.append(f"batch {v}")
        else:
            parts.append(f"{k}:{v}")
    return ", ".join(parts)


def threads_text(threads):
    return f"{threads} thread{'' if threads == 1 else 's'}"


def group_anchor(workload, params):
    """The id of a (workload, params) group's plots in the report."""
    return "g-" + slug(f"{workload} {params_text(params)}")


def fmt_ns(v):
    return "n/a" if v is None else f"{v:,.2f}" if abs(v) < 1000 else f"{v:,.0f}"


def fmt_counter(v):
    if v is None:
        return "n/a"
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def series_point(name):
    """(series name, steps in units of 1024) of a series counter name, else None."""
    m = SERIES_RE.match(name)
    return (m.group("name"), int(m.group("k"))) if m else None


def series(cell):
    """{series name: [(steps / 1024, median value), ...] sorted by steps} of a cell."""
    out = {}
    for name, value in cell.counters.items():
        point = series_point(name)
        if point:
            out.setdefault(point[0], []).append((point[1], value))
    return {name: sorted(points) for name, points in sorted(out.items())}


def param(cell, name):
    """A numeric workload parameter of a cell as int (float if not whole), else None."""
    return param_value(cell.params, name)


def param_value(params, name):
    """A numeric parameter of params (a cell's tuple) as int (float if not whole), else None."""
    value = dict(params).get(name)
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() else f


def page_order(size):
    """log2(size / PAGE_SIZE) for a size of a power-of-two number of pages, else None."""
    if not isinstance(size, int) or size < PAGE_SIZE or size % PAGE_SIZE:
        return None
    pages = size // PAGE_SIZE
    return pages.bit_length() - 1 if pages & (pages - 1) == 0 else None


def without(params, name):
    """params (a cell's tuple) without the parameter name."""
    return tuple((k, v) for k, v in params if k != name)


def find_sized(cells_, backend, workload, params, size, threads):
    """The cell of backend, workload and threads whose params are params but with size as
    the size (compared as numbers), else None."""
    rest = without(params, "size")
    for c in cells_:
        if ((c.backend, c.workload, c.threads) == (backend, workload, threads)
                and without(c.params, "size") == rest and param(c, "size") == size):
            return c
    return None


def backend_stats(context):
    """{backend: stats dict} for the backends whose status carries "stats", in context order."""
    info = context.get("backends") if isinstance(context.get("backends"), dict) else {}
    return {b: d["stats"] for b, d in info.items()
            if isinstance(d, dict) and isinstance(d.get("stats"), dict) and d["stats"]}


def split_stats(stats):
    """Split a backend's stats into (plain [(key, value)], per-order {family: {order: value}},
    text [(key, text)]): multi-line strings are text blocks, keys ending in order<N> per-order."""
    plain, per_order, text = [], {}, []
    for key, value in stats.items():
        m = ORDER_STAT_RE.match(str(key))
        if isinstance(value, str) and "\n" in value:
            text.append((key, value))
        elif m and isinstance(value, (int, float)) and not isinstance(value, bool):
            per_order.setdefault(m.group("family"), {})[int(m.group("order"))] = value
        else:
            plain.append((key, value))
    return plain, per_order, text


@dataclass
class TargetSpec:
    """A goal for the ratio of two churn cells' ns/op: numerator over denominator."""
    name: str
    num: tuple      # (backend, size) of the numerator cell
    den: tuple      # (backend, size) of the denominator cell
    goal: str
    met: object     # ratio -> bool


@dataclass
class Target:
    """One target checked at one thread count and batch; missing names a run that is absent."""
    spec: TargetSpec
    threads: int = None
    batch: object = None
    num_ns: float = None
    den_ns: float = None
    ratio: float = None
    met: bool = None
    missing: str = None
    not_run: bool = False   # missing only runs that are absent, none that failed


PAGE_TARGETS = [
    TargetSpec("order-0 pair: mmap / buddy", ("mmap", PAGE_SIZE), ("buddy", PAGE_SIZE),
               ">= 200x", lambda r: r >= 200),
    TargetSpec("buddy pair: order 3 / order 0", ("buddy", 8 * PAGE_SIZE), ("buddy", PAGE_SIZE),
               "< 2x", lambda r: r < 2),
]


def with_size(params, size):
    """params (a cell's tuple) with the size parameter set to size."""
    return tuple((k, str(size) if k == "size" else v) for k, v in params)


def target_batch(cells_):
    """The batch the targets use: 1 if buddy has order-0 churn runs at batch 1, else the smallest
    batch it has; None when it has none (or runs without a batch parameter)."""
    batches = {param(c, "batch") for c in cells_ if c.workload == "churn"
               and c.backend == "buddy" and param(c, "size") == PAGE_SIZE}
    batches.discard(None)
    return 1 if 1 in batches else min(batches, default=None)


def page_targets(cells_, specs=PAGE_TARGETS):
    """Check specs on the churn cells (median ns/op over repetitions), one Target per spec and
    thread count of the buddy order-0 runs at target_batch(); a Target with missing set where a
    run needed is absent or failed."""
    batch = target_batch(cells_)
    base = sorted((c for c in cells_ if c.workload == "churn" and c.backend == "buddy"
                   and param(c, "size") == PAGE_SIZE and param(c, "batch") == batch),
                  key=lambda c: c.threads)
    if not base:
        return [Target(s, missing=f"no churn run of buddy with size:{PAGE_SIZE}", not_run=True)
                for s in specs]
    out = []
    for s in specs:
        for c in base:
            t = Target(s, threads=c.threads, batch=batch)
            num = find_sized(cells_, s.num[0], "churn", c.params, s.num[1], c.threads)
            den = find_sized(cells_, s.den[0], "churn", c.params, s.den[1], c.threads)
            t.num_ns, t.den_ns = (num.ns[0] if num and num.ns else None,
                                  den.ns[0] if den and den.ns else None)
            absent = [(b, size, cell) for (b, size), cell in ((s.num, num), (s.den, den))
                      if cell is None or not cell.ns]
            if absent:
                t.not_run = all(cell is None for _, _, cell in absent)
                t.missing = "; ".join(
                    f"{'no' if cell is None else 'only failed'} churn run of {b} "
                    f"{params_text(with_size(c.params, size))} threads:{c.threads}"
                    for b, size, cell in absent)
            elif t.den_ns > 0:
                t.ratio = t.num_ns / t.den_ns
                t.met = bool(s.met(t.ratio))
            out.append(t)
    return out


# The slab allocators of this project and the malloc baselines they are measured against.
SLAB_BACKENDS = ("slab", "slab-packed", "slab-colored", "kmalloc")
BASELINES = ("glibc", "jemalloc", "tcmalloc", "mimalloc")


@dataclass
class SlabSpec:
    """A goal for a kernel-style backend's churn ns/op over the fastest baseline's at the same
    size, batch and thread count."""
    backend: str
    goal: str
    met: object     # ratio -> bool


SLAB_TARGETS = [
    SlabSpec("slab", "<= 1.5x", lambda r: r <= 1.5),
    SlabSpec("slab-packed", "<= 1.5x", lambda r: r <= 1.5),
    SlabSpec("slab-colored", "<= 1.5x", lambda r: r <= 1.5),
    SlabSpec("kmalloc", "<= 1.5x", lambda r: r <= 1.5),
]
# The headline cases, (size, batch, label): checked at every thread count of the kernel-style
# churn runs even where the file lacks them (then named as missing), and listed first.
SLAB_HEADLINES = [(64, 1, "64 B hot"), (64, 1000, "64 B, batch 1000")]


@dataclass
class SlabTarget:
    """One SlabSpec checked at one size, other params (batch) and thread count."""
    spec: SlabSpec
    params: tuple           # the churn cell's params, size included
    threads: int
    headline: str = ""      # the SLAB_HEADLINES label of this case, else ""
    ns: float = None        # the backend's median ns per pair
    baseline: str = None    # the fastest baseline that ran here
    baseline_ns: float = None
    ratio: float = None
    met: bool = None
    missing: str = None     # runs needed that are absent or only failed
    absent: str = None      # baselines without a result here while others have one
    lacking: list = field(default_factory=list)   # [(backend, cell or None)] behind missing

    @property
    def not_run(self):
        """Missing only runs that are absent from the file, none that failed."""
        return self.missing is not None and all(c is None for _, c in self.lacking)

    @property
    def size(self):
        return param_value(self.params, "size")

    @property
    def batch(self):
        return param_value(self.params, "batch")


def ok_ns(cell):
    """The median ns/op of a cell with a result, else None."""
    return cell.ns[0] if cell is not None and cell.ns else None


def or_list(names):
    """a; a or b; a, b or c."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def gap_text(workload, found, params, threads):
    """Name the runs of found ([(backend, cell or None)]) without a result: "no churn run of
    a or b size:64 batch:1 threads:1; only failed churn run of c ..." ("" when none)."""
    where = f"{params_text(params)} threads:{threads}"
    parts = []
    for what, names in (("no", [b for b, c in found if c is None]),
                        ("only failed", [b for b, c in found if c is not None and not c.ns])):
        if names:
            parts.append(f"{what} {workload} run of {or_list(names)} {where}")
    return "; ".join(parts)


def with_param(params, name, value):
    """params (a cell's tuple) with parameter name set to value (appended if absent)."""
    if name not in dict(params):
        return params + ((name, str(value)),)
    return tuple((k, str(value) if k == name else v) for k, v in params)


def slab_cases(cells_, backends, headlines):
    """{(size, params without size, threads): params} of the churn cells of backends, plus the
    headline cases at each of their thread counts."""
    cases = {}
    for c in cells_:
        if c.workload == "churn" and c.backend in backends and param(c, "size") is not None:
            cases.setdefault((param(c, "size"), without(c.params, "size"), c.threads), c.params)
    template = min(cases.values(), key=lambda p: [(k, natural(v)) for k, v in p], default=None)
    for size, batch, _ in headlines:
        for t in sorted({key[2] for key in cases}):
            params = with_param(with_param(template, "size", size), "batch", batch)
            cases.setdefault((size, without(params, "size"), t), params)
    return cases


def headline_index(size, batch, headlines):
    """The index of (size, batch) in headlines, else len(headlines)."""
    return next((i for i, (s, b, _) in enumerate(headlines) if (s, b) == (size, batch)),
                len(headlines))


def slab_targets(cells_, specs=SLAB_TARGETS, baselines=BASELINES, headlines=SLAB_HEADLINES):
    """Check specs on the churn cells (median ns/op over repetitions) of each size, batch and
    thread count that a kernel-style backend of specs ran at, plus the headline cases: one
    SlabTarget per case and spec whose backend has churn runs in the file. The headline sizes
    come first (the headline cases in their order), then by size, other params and threads."""
    ran = [s for s in specs if any(c.workload == "churn" and c.backend == s.backend
                                   for c in cells_)]
    cases = slab_cases(cells_, {s.backend for s in ran}, headlines)
    head_sizes = {s for s, _, _ in headlines}

    def case_key(key):
        size, rest, threads = key
        return (size not in head_sizes,
                headline_index(size, param_value(rest, "batch"), headlines), natural(size),
                [(k, natural(v)) for k, v in rest], threads)
    out = []
    for key in sorted(cases, key=case_key):
        out += merge_empty([slab_target(cells_, s, cases[key], key[2], baselines, headlines)
                            for s in ran])
    return out


def merge_empty(targets):
    """The targets of one case; where none of them has any result (the case was not run at
    all), one SlabTarget instead whose spec names every backend and whose missing every run."""
    if len(targets) < 2 or any(t.ns is not None or t.baseline for t in targets):
        return targets
    first = targets[0]
    lacking = [t.lacking[0] for t in targets] + first.lacking[1:]   # own runs, then baselines
    goals = " / ".join(dict.fromkeys(t.spec.goal for t in targets))
    merged = SlabTarget(SlabSpec(", ".join(t.spec.backend for t in targets), goals, None),
                        first.params, first.threads, first.headline, lacking=lacking)
    merged.missing = gap_text("churn", lacking, first.params, first.threads)
    return [merged]


def slab_target(cells_, spec, params, threads, baselines, headlines):
    """One SlabTarget: spec's backend against the fastest of baselines at params and threads."""
    size = param_value(params, "size")
    t = SlabTarget(spec, params, threads)
    i = headline_index(size, t.batch, headlines)
    t.headline = headlines[i][2] if i < len(headlines) else ""
    cell = find_sized(cells_, spec.backend, "churn", params, size, threads)
    base = [(b, find_sized(cells_, b, "churn", params, size, threads)) for b in baselines]
    t.ns = ok_ns(cell)
    have = [(ok_ns(c), b) for b, c in base if ok_ns(c) is not None]
    if have:
        t.baseline_ns, t.baseline = min(have, key=lambda h: h[0])   # ties: the first listed
        t.absent = gap_text("churn", [(b, c) for b, c in base if ok_ns(c) is None], params,
                            threads) or None
    t.lacking = [(spec.backend, cell)] if t.ns is None else []
    t.lacking += [] if have else base
    t.missing = gap_text("churn", t.lacking, params, threads) or None
    if t.missing is None and t.baseline_ns > 0:
        t.ratio = t.ns / t.baseline_ns
        t.met = bool(spec.met(t.ratio))
    return t


# The backend families the report's figures group their backends by (small multiples: one
# axes per family, never more than PANEL_LINES lines in one): (family, ((part, backends), ...)).
# A family with more than PANEL_LINES - 1 backends in a run (one line is kept for the best
# baseline, drawn for reference) gets one axes per part. Backends of no family come last.
FAMILIES = (
    ("baselines", (("baselines", BASELINES),)),
    ("slab family", (("slab family", ("slab", "slab-packed", "slab-colored", "kmalloc",
                                      "mempool")),
                     ("slab per-CPU modes", ("slab-none", "slab-thread", "slab-cpu-lock",
                                             "slab-cpu-rseq")))),
    ("page family", (("page family", ("buddy", "buddy-none", "buddy-thread", "buddy-cpu-lock",
                                      "buddy-cpu-rseq", "mmap", "libnuma")),)),
    ("mapping family", (("mapping family", ("vmalloc",)),)),
)
OTHER_FAMILY = "other backends"
PANEL_LINES = 8


def panels(backends):
    """[(title, [backends])], one axes of a figure each: all of backends in one ("all
    backends") where they fit, PANEL_LINES or fewer; else one per family of FAMILIES that has
    any of them (backends in the family's order), a family split into its parts where it has
    more than PANEL_LINES - 1, then the backends of no family."""
    backends = list(dict.fromkeys(backends))
    if len(backends) <= PANEL_LINES:
        return [("all backends", backends)] if backends else []
    out, known = [], set()
    for family, parts in FAMILIES:
        present = [(title, [b for b in members if b in backends]) for title, members in parts]
        known.update(b for _, members in parts for b in members)
        present = [(title, members) for title, members in present if members]
        if sum(len(m) for _, m in present) <= PANEL_LINES - 1 and present:
            present = [(family, [b for _, m in present for b in m])]
        out += present
    rest = [b for b in backends if b not in known]
    for i in range(0, len(rest), PANEL_LINES - 1):
        out.append((OTHER_FAMILY, rest[i:i + PANEL_LINES - 1]))
    return out


def best_baseline(cells_, baselines=BASELINES):
    """The baseline with the lowest median ns/op at the lowest thread count where any baseline
    has a result, among cells_ (one group's); ties: the first of baselines. None without any."""
    have = [c for c in cells_ if c.backend in baselines and c.ns]
    if not have:
        return None
    low = min(c.threads for c in have)
    return min((c for c in have if c.threads == low),
               key=lambda c: (c.ns[0], baselines.index(c.backend))).backend


# Aligned against packed: each of these over slab-packed, where both ran.
PACKED = "slab-packed"
PACKED_AGAINST = ("slab", "slab-colored")


@dataclass
class PackedRow:
    """slab and slab-colored against slab-packed in one (workload, params, threads) group."""
    workload: str
    params: tuple
    threads: int
    packed_ns: float
    ns: dict        # backend of PACKED_AGAINST -> median ns/op (absent: no result)
    ratio: dict     # backend -> ns / packed_ns


def packed_ratios(cells_, packed=PACKED, against=PACKED_AGAINST):
    """A PackedRow per (workload, params, threads) where packed and against[0] (slab) both have
    a result; churn first, then the other workloads, each by params and threads."""
    by_group = {}
    for c in cells_:
        if ok_ns(c) is not None:
            by_group.setdefault((c.workload, c.params, c.threads), {})[c.backend] = ok_ns(c)
    out = []
    for (workload, params, threads), ns in by_group.items():
        if packed not in ns or against[0] not in ns or not ns[packed]:
            continue
        mine = {b: ns[b] for b in against if b in ns}
        out.append(PackedRow(workload, params, threads, ns[packed], mine,
                             {b: v / ns[packed] for b, v in mine.items()}))
    out.sort(key=lambda r: (r.workload != "churn", r.workload,
                            [(k, natural(v)) for k, v in r.params], r.threads))
    return out


@dataclass
class CtorRow:
    """A ctor cell: whether its objects came from a constructed cache, and the speed-up of a
    cached backend over the fastest backend that constructs on every allocation."""
    cell: Cell
    cached: bool = None     # None: no ctor_cached counter
    calls: float = None     # ctor_calls per operation
    speedup: float = None
    against: str = None


@dataclass
class CtorGroup:
    """The ctor cells of one (params, threads)."""
    params: tuple
    threads: int
    rows: list
    fastest: str = None     # the fastest backend without a cache
    missing: str = None     # why speed-ups are absent


def ctor_groups(cells_):
    """A CtorGroup per (params, threads) of the ctor cells, rows in the cells' order."""
    groups_ = {}
    for c in cells_:
        if c.workload == "ctor":
            groups_.setdefault((c.params, c.threads), []).append(c)
    return [ctor_group(params, threads, group) for (params, threads), group in groups_.items()]


def ctor_group(params, threads, group):
    """A CtorGroup of group's cells: cached from the ctor_cached counter (1: cached), and each
    cached backend's speed-up over the fastest uncached one; missing set where none ran."""
    rows = []
    for c in group:
        flag = c.counters.get("ctor_cached")
        rows.append(CtorRow(c, None if flag is None else flag >= 0.5,
                            c.counters.get("ctor_calls")))
    plain = [(ok_ns(r.cell), r.cell.backend) for r in rows
             if r.cached is False and ok_ns(r.cell) is not None]
    g = CtorGroup(params, threads, rows)
    if not plain:
        g.missing = (f"no ctor run without a cache (ctor_cached 0) at {params_text(params)} "
                     f"threads:{threads}")
        return g
    best_ns, g.fastest = min(plain)
    for r in rows:
        if r.cached and ok_ns(r.cell):
            r.speedup, r.against = best_ns / ok_ns(r.cell), g.fastest
    return g


MIX_KEY = "bytes_per_requested_byte"


def mix_groups(cells_):
    """{(params, threads): [mix cells]} sorted by bytes_per_requested_byte, lowest first; cells
    without it (failed, or an older file) last in the cells' order."""
    out = {}
    for c in cells_:
        if c.workload == "mix":
            out.setdefault((c.params, c.threads), []).append(c)
    for group in out.values():
        group.sort(key=lambda c: (MIX_KEY not in c.counters, c.counters.get(MIX_KEY, 0.0)))
    return out


# Per-CPU caches (issue 5): the backends that force a per-CPU mode, named <layer>-<mode>, the
# remote-free workload and the counter workloads (which run under the pseudo-backend
# no-allocator, results/README.md).
PERCPU_MODES = ("none", "thread", "cpu-lock", "cpu-rseq")
PERCPU_SIZE = {"slab": 64, "buddy": PAGE_SIZE}   # layer -> the churn size its rows are read at
REMOTE_FREE = "remote-free"
COUNTER_WORKLOADS = ("counter-percpu", "counter-atomic", "counter-packed")
NO_ALLOCATOR = "no-allocator"
RSEQ_SCALING = 1.9       # cpu-rseq throughput at 2 threads over 1 thread, at least
RSEQ_OVER_NONE = 0.6     # the slab cpu-rseq pair over the none pair, at most


def percpu_variant(backend):
    """(layer, mode) of a backend named <layer>-<mode> (slab-cpu-rseq: ("slab", "cpu-rseq")),
    else None."""
    for layer in PERCPU_SIZE:
        for mode in PERCPU_MODES:
            if backend == f"{layer}-{mode}":
                return layer, mode
    return None


def variants(layer):
    """The backend names of layer's modes, in PERCPU_MODES order."""
    return [f"{layer}-{mode}" for mode in PERCPU_MODES]


def percpu_options(context):
    """context.options.percpu as {"pcp": {...}, "slab": {...}, "rseq": {...}}, or {} when the
    file does not record it."""
    opts = context.get("options") if isinstance(context.get("options"), dict) else {}
    pc = opts.get("percpu")
    return pc if isinstance(pc, dict) else {}


def rseq_unusable(context):
    """The reason rseq could not be used in this run ("" when it could, or when the file does
    not say): the cpu-rseq backends then ran cpu-lock."""
    rseq = percpu_options(context).get("rseq")
    if isinstance(rseq, dict) and rseq.get("usable") is False:
        return str(rseq.get("reason") or "no reason recorded")
    return ""


# The backend statistics that say which mode a layer ran in, and why not the one asked
# (results/README.md): the page lists' (mm_backend.c); the slab sheaves' by the same pattern.
MODE_STATS = {"buddy": ("pcp_mode", "pcp_mode_why"), "slab": ("slab_mode", "slab_mode_why")}


def ran_as(context, backend):
    """Why a <layer>-<mode> backend did not run in its mode, one line ("" when it did, or when
    nothing says otherwise): its own statistics first (the mode its process ran), then, for a
    cpu-rseq backend, the run's rseq status."""
    v = percpu_variant(backend)
    if not v:
        return ""
    stats = backend_stats(context).get(backend, {})
    key, why_key = MODE_STATS[v[0]]
    ran = stats.get(key)
    if isinstance(ran, str) and ran and ran != v[1]:
        why = stats.get(why_key)
        return f"{backend} ran {ran}" + (f": {why}" if why else "")
    if v[1] == "cpu-rseq" and rseq_unusable(context):   # cannot have run it, whatever it says
        return f"{backend} ran cpu-lock: {rseq_unusable(context)}"
    return ""


def churn_cell(cells_, backend, size, batch, threads):
    """The churn cell of backend at size, batch and threads (compared as numbers), else None."""
    for c in cells_:
        if ((c.backend, c.workload, c.threads) == (backend, "churn", threads)
                and param(c, "size") == size and param(c, "batch") == batch):
            return c
    return None


def pair_batch(cells_, backends, size):
    """The batch churn pairs of backends at size are read at: 1 where one of them ran it,
    else the smallest batch they ran; None without any."""
    batches = {param(c, "batch") for c in cells_ if c.workload == "churn"
               and c.backend in backends and param(c, "size") == size}
    batches.discard(None)
    return 1 if 1 in batches else min(batches, key=natural, default=None)


def percpu_batch(cells_, layer):
    """The batch the layer's churn runs are read at (pair_batch of its mode variants)."""
    return pair_batch(cells_, variants(layer), PERCPU_SIZE[layer])


def scaling_lines(cells_, layer, others=()):
    """(batch, {backend: [(threads, Mops/s stats)]}) of the churn cells with a result of the
    layer's mode variants, then of others (the baselines), at the layer's size and
    percpu_batch(); batch None and {} without any run of the variants."""
    batch = percpu_batch(cells_, layer)
    lines = {}
    for b in variants(layer) + list(others):
        pts = [(c.threads, c.mops) for c in cells_ if c.backend == b and c.workload == "churn"
               and c.mops and param(c, "size") == PERCPU_SIZE[layer]
               and param(c, "batch") == batch]
        if pts and batch is not None:
            lines[b] = sorted(pts, key=lambda p: p[0])
    return batch, lines


@dataclass
class PercpuTarget:
    """One target of the per-CPU caches: a ratio of two cells' medians (ns per pair, or
    throughput), with its goal; met None where a run is missing, rseq was not usable, or the
    row is shown for contrast (goal "-")."""
    name: str
    goal: str
    unit: str               # "ns" (per pair: lower is better) or "Mops/s"
    threads: str            # "1", or "2 / 1" for a scaling ratio
    batch: object = None
    num: str = ""           # what the numerator is, e.g. "slab-cpu-rseq 64 B"
    den: str = ""
    num_value: float = None
    den_value: float = None
    ratio: float = None
    met: bool = None
    missing: str = None     # runs needed that are absent or only failed
    note: str = ""
    not_run: bool = False   # missing only runs that are absent, none that failed


def ratio_target(t, num, den, value, check):
    """Fill t from the cells num and den (value: cell -> number or None); check: ratio -> bool,
    None for a row without a goal. Missing runs are named."""
    t.num_value, t.den_value = value(num), value(den)
    lacking = [(name, cell) for name, cell, v in ((t.num, num, t.num_value),
                                                  (t.den, den, t.den_value)) if v is None]
    if lacking:
        t.not_run = all(cell is None for _, cell in lacking)
        t.missing = "; ".join(f"{'no' if cell is None else 'only failed'} churn run of "
                              f"{name}" for name, cell in lacking)
    elif t.den_value > 0:
        t.ratio = t.num_value / t.den_value
        t.met = None if check is None else bool(check(t.ratio))
    return t


def percpu_targets(cells_, context, baselines=BASELINES):
    """The issue's targets, from this file's churn cells (medians over repetitions): the slab
    cpu-rseq pair over the none pair and over each baseline's pair at 1 thread, at the slab
    size and percpu_batch(); each layer's cpu-rseq throughput at 2 threads over 1 thread, and
    none's for contrast. A row whose backend did not run in its mode (ran_as(): rseq not
    usable, say) says so and is unknown."""
    slab, size = "slab", PERCPU_SIZE["slab"]
    batch = percpu_batch(cells_, slab)
    batch = 1 if batch is None else batch       # no variant ran: name the preset's batch
    out = []

    def pair(backend, b_size, threads, b_batch):
        return churn_cell(cells_, backend, b_size, b_batch, threads)

    def label(backend, b_size, threads):
        return f"{backend} size:{b_size} batch:{batch} threads:{threads}"

    rseq, none = f"{slab}-cpu-rseq", f"{slab}-none"
    t = PercpuTarget(f"{slab} pair: cpu-rseq / none", f"<= {RSEQ_OVER_NONE}x", "ns", "1", batch,
                     label(rseq, size, 1), label(none, size, 1))
    out.append(ratio_target(t, pair(rseq, size, 1, batch), pair(none, size, 1, batch), ok_ns,
                            lambda r: r <= RSEQ_OVER_NONE))
    for b in baselines:
        t = PercpuTarget(f"{slab} pair: cpu-rseq / {b}", "< 1x (faster)", "ns", "1", batch,
                         label(rseq, size, 1), label(b, size, 1))
        out.append(ratio_target(t, pair(rseq, size, 1, batch), pair(b, size, 1, batch), ok_ns,
                                lambda r: r < 1))
    for layer, l_size in PERCPU_SIZE.items():
        l_batch = percpu_batch(cells_, layer)
        l_batch = 1 if l_batch is None else l_batch
        for mode, goal, check in (("cpu-rseq", f">= {RSEQ_SCALING}x",
                                   lambda r: r >= RSEQ_SCALING), ("none", "-", None)):
            b = f"{layer}-{mode}"
            t = PercpuTarget(f"{layer} {mode} throughput: 2 threads / 1 thread", goal, "Mops/s",
                             "2 / 1", l_batch, f"{b} size:{l_size} batch:{l_batch} threads:2",
                             f"{b} size:{l_size} batch:{l_batch} threads:1")
            if check is None:
                t.note = "for contrast: the shared lock's scaling"
            out.append(ratio_target(t, pair(b, l_size, 2, l_batch), pair(b, l_size, 1, l_batch),
                                    lambda c: c.mops[0] if c is not None and c.mops else None,
                                    check))
    for t in out:
        backend = t.num.split()[0]
        why = ran_as(context, backend)
        if why and t.missing is None:
            t.met = None
            t.note = f"not measured in its mode: {why}"
    return out


def dash_text(v):
    return "-" if v is None else str(v)


@dataclass
class RemoteRow:
    """A remote-free cell with its backend's local pair (churn at the same size, 1 thread)."""
    cell: Cell
    kind: str               # "slab cpu-rseq", "baseline", or "" (another backend)
    local: Cell = None
    local_batch: object = None
    note: str = ""          # ran_as(): the backend did not run in its mode

    @property
    def ratio(self):
        ns, local = ok_ns(self.cell), ok_ns(self.local)
        return ns / local if ns is not None and local else None


def remote_rows(cells_, context, baselines=BASELINES):
    """The remote-free cells with a result: the slab variants, then buddy's, then the baselines,
    then any other backend; the variants at their layer's size, the baselines at the slab size,
    other backends at every size; each by size and threads."""
    order = variants("slab") + variants("buddy") + list(baselines)
    rows = []
    for c in cells_:
        if c.workload != REMOTE_FREE or not c.ns:
            continue
        v = percpu_variant(c.backend)
        size = param(c, "size")
        want = PERCPU_SIZE[v[0]] if v else PERCPU_SIZE["slab"] if c.backend in baselines else size
        if size != want:
            continue
        kind = f"{v[0]} {v[1]}" if v else "baseline" if c.backend in baselines else ""
        batch = pair_batch(cells_, [c.backend], size)
        local = churn_cell(cells_, c.backend, size, batch, 1)
        if local is None or not local.ns:
            local, batch = None, None
        rows.append(RemoteRow(c, kind, local, batch, ran_as(context, c.backend)))
    rows.sort(key=lambda r: (order.index(r.cell.backend) if r.cell.backend in order
                             else len(order), r.cell.backend, natural(param(r.cell, "size")),
                             r.cell.threads))
    return rows


def remote_failures(cells_):
    """{thread count: sorted error messages} of the remote-free cells that only failed."""
    out = {}
    for c in cells_:
        if c.workload == REMOTE_FREE and not c.ns and c.errors:
            out.setdefault(c.threads, set()).update(c.errors)
    return {t: sorted(m) for t, m in sorted(out.items())}


def counter_table(cells_):
    """{threads: {counter workload: cell}} of the counter workloads' cells, by threads."""
    out = {}
    for c in cells_:
        if c.workload in COUNTER_WORKLOADS:
            out.setdefault(c.threads, {})[c.workload] = c
    return dict(sorted(out.items()))


# mempool under pressure (issue 6): the mempool-pressure workload runs once per failure rate
# (params "fail", percent: --mempool-fail) on the backends that inject failures into the
# allocator under their reserve (mempool), and once without "fail" on the others: the
# reference, the same operations without a pool (slab). results/README.md has the counters.
PRESSURE = "mempool-pressure"
LATENCY = (("p50", "lat_p50_ns"), ("p90", "lat_p90_ns"), ("p99", "lat_p99_ns"),
           ("p99.9", "lat_p999_ns"), ("max", "lat_max_ns"))


@dataclass
class PressureRow:
    """A mempool-pressure cell; base: the same backend, other params and threads at fail 0."""
    cell: Cell
    fail: object = None         # percent, or None on a backend without fault injection
    base: Cell = None

    @property
    def mops(self):
        return self.cell.mops[0] if self.cell.mops else None

    @property
    def ratio(self):
        """Throughput over the 0% run's (Mops/s, medians); None without both."""
        base = self.base.mops[0] if self.base is not None and self.base.mops else None
        return self.mops / base if self.mops is not None and base else None

    def counter(self, name):
        """A counter's median, None where the run lacks it (failed, an older file)."""
        return self.cell.counters.get(name) if self.cell.ns else None


@dataclass
class PressureGroup:
    """The mempool-pressure rows of one backend and params other than fail, by threads then
    fail; reference: the backend injects no failures (no row has a rate)."""
    backend: str
    params: tuple
    rows: list
    reference: bool = False

    @property
    def threads(self):
        return sorted({r.cell.threads for r in self.rows})

    @property
    def rates(self):
        return sorted({r.fail for r in self.rows if r.fail is not None})

    def lines(self, value):
        """{threads: [(fail, value(row))]} of the rows where value(row) is not None."""
        out = {}
        for r in self.rows:
            v = value(r)
            if r.fail is not None and v is not None:
                out.setdefault(r.cell.threads, []).append((r.fail, v))
        return {t: sorted(pts) for t, pts in sorted(out.items())}

    def missing_base(self):
        """The thread counts with rows at some rate but no 0% run with a result."""
        have = {r.cell.threads for r in self.rows if r.fail == 0 and r.cell.mops}
        return sorted({r.cell.threads for r in self.rows if r.fail is not None} - have)


def pressure_groups(cells_):
    """A PressureGroup per (backend, params without fail) of the mempool-pressure cells: the
    backends with rates first, then the references, each in the cells' order."""
    by_key = {}
    for c in cells_:
        if c.workload == PRESSURE:
            by_key.setdefault((c.backend, without(c.params, "fail")), []).append(c)
    out = []
    for (backend, params), group in by_key.items():
        base = {c.threads: c for c in group if param(c, "fail") == 0}
        rows = [PressureRow(c, param(c, "fail"),
                            base.get(c.threads) if param(c, "fail") is not None else None)
                for c in group]
        rows.sort(key=lambda r: (r.cell.threads, natural(r.fail)))
        out.append(PressureGroup(backend, params, rows,
                                 all(r.fail is None for r in rows)))
    return sorted(out, key=lambda g: g.reference)


def pressure_references(groups_, group):
    """The reference groups (no pool) with group's params (size, batch)."""
    return [g for g in groups_ if g.reference and g.params == group.params]


# vmalloc against kmalloc against __get_free_pages (issue 6). One allocation of a size per
# operation: untouched (alloc + free), first-touch (alloc, a write to every page, free), access
# (a streaming read of an allocation made before the clock); backend buddy is
# __get_free_pages (alloc_pages + page_address). The test_vmalloc patterns are tabulated per
# backend and thread count. workloads/vm_access.c and workloads/vmtest.c have the details.
VM_WORKLOADS = ("untouched", "first-touch", "access")
VM_BACKENDS = ("vmalloc", "kmalloc", "buddy")
VM_AGAINST = ("buddy", "kmalloc")      # the ratios: vmalloc over each
VMTEST_WORKLOADS = ("vmtest-fix-size", "vmtest-full-fit", "vmtest-long-busy",
                    "vmtest-random-size")
VM_TARGET_SIZE = 64 * 1024
VM_TARGET_RATIO = 10.0    # vmalloc untouched over buddy untouched at 64 KiB, at most
VM_STAT_PREFIXES = ("vmalloc", "vmap", "vm_", "kmap", "ioremap")


def vm_cells(cells_):
    """The cells of the three vm workloads of the backends this section compares, with a
    numeric size."""
    return [c for c in cells_ if c.workload in VM_WORKLOADS and c.backend in VM_BACKENDS
            and isinstance(param(c, "size"), (int, float))]


def vm_threads(cells_):
    """The thread counts of the vm workloads' cells, lowest first."""
    return sorted({c.threads for c in vm_cells(cells_)})


def vm_find(cells_, backend, workload, size, threads):
    """The vm cell of backend, workload, size and threads, else None."""
    for c in vm_cells(cells_):
        if ((c.backend, c.workload, c.threads) == (backend, workload, threads)
                and param(c, "size") == size):
            return c
    return None


def vm_points(cells_, workload, threads):
    """{backend: [(size, ns stats)]} of workload's cells with a result at threads."""
    out = {}
    for b in VM_BACKENDS:
        pts = [(param(c, "size"), c.ns) for c in vm_cells(cells_)
               if (c.backend, c.workload, c.threads) == (b, workload, threads) and c.ns]
        if pts:
            out[b] = sorted(pts)
    return out


def page_faults(cell, counters_ctx):
    """(faults per op, None) of a cell; (None, why) where there is no figure: the counter
    unavailable on the machine (its reason), no run, or a run without it."""
    unavailable = (counters_ctx or {}).get("unavailable") or {}
    if "page_faults" in unavailable:
        return None, f"unavailable: {unavailable['page_faults']}"
    if cell is None:
        return None, "no run"
    if not cell.ns:
        return None, "no result"
    v = cell.counters.get("page_faults")
    return (v, None) if v is not None else (None, "not in the results")


@dataclass
class VmRow:
    """One size at one thread count: the cells {(workload, backend): Cell}, and ratios of
    median ns/op {(workload, against): vmalloc over against}."""
    size: int
    threads: int
    cells: dict
    ratios: dict

    def ns(self, workload, backend):
        return ok_ns(self.cells.get((workload, backend)))


def vm_rows(cells_, threads):
    """A VmRow per size of the vm workloads at threads, smallest first."""
    vm = [c for c in vm_cells(cells_) if c.threads == threads]
    out = []
    for size in sorted({param(c, "size") for c in vm}):
        found = {(c.workload, c.backend): c for c in vm if param(c, "size") == size}
        row = VmRow(size, threads, found, {})
        for w in VM_WORKLOADS:
            mine = row.ns(w, "vmalloc")
            for other in VM_AGAINST:
                theirs = row.ns(w, other)
                row.ratios[(w, other)] = mine / theirs if mine is not None and theirs else None
        out.append(row)
    return out


@dataclass
class VmTarget:
    """The issue's target at one thread count: vmalloc untouched over buddy untouched at 64 KiB
    (at most VM_TARGET_RATIO), and vmalloc's first-touch page faults per op there."""
    threads: int
    num_ns: float = None
    den_ns: float = None
    ratio: float = None
    met: bool = None
    missing: str = ""       # what the verdict lacks
    not_run: bool = False   # it lacks only runs that are absent, none that failed
    faults: float = None    # vmalloc first-touch page_faults per op at 64 KiB
    faults_why: str = ""    # why there is no figure

    @property
    def goal(self):
        return f"<= {VM_TARGET_RATIO:g}x"


def vm_targets(cells_, counters_ctx):
    """A VmTarget per thread count of the vm workloads (lowest first); [] without any."""
    out = []
    for t in vm_threads(cells_):
        num = vm_find(cells_, "vmalloc", "untouched", VM_TARGET_SIZE, t)
        den = vm_find(cells_, "buddy", "untouched", VM_TARGET_SIZE, t)
        tgt = VmTarget(t, ok_ns(num), ok_ns(den))
        gaps = [f"{b} untouched size:{VM_TARGET_SIZE} threads:{t}"
                + ("" if c is None else " (failed: " + "; ".join(sorted(set(c.errors))) + ")")
                for b, c in (("vmalloc", num), ("buddy", den)) if ok_ns(c) is None]
        tgt.missing = "; ".join(gaps)
        tgt.not_run = bool(gaps) and all(c is None for c in (num, den) if ok_ns(c) is None)
        if not gaps and tgt.den_ns:
            tgt.ratio = tgt.num_ns / tgt.den_ns
            tgt.met = tgt.ratio <= VM_TARGET_RATIO
        tgt.faults, tgt.faults_why = page_faults(
            vm_find(cells_, "vmalloc", "first-touch", VM_TARGET_SIZE, t), counters_ctx)
        out.append(tgt)
    return out


def vmtest_table(cells_):
    """{(workload, params): {(backend, threads): Cell}} of the test_vmalloc patterns, in the
    cells' order."""
    out = {}
    for c in cells_:
        if c.workload in VMTEST_WORKLOADS:
            out.setdefault((c.workload, c.params), {})[(c.backend, c.threads)] = c
    return out


def vm_stats(context):
    """(stats [(key, value)], vmallocinfo text or None) of the vmalloc backend: its stats that
    belong to the mapping layer (VM_STAT_PREFIXES) but the vmallocinfo text; None when the file
    has no stats for it."""
    st = backend_stats(context).get("vmalloc")
    if st is None:
        return None
    info = st.get("vmallocinfo")
    mine = [(k, v) for k, v in st.items() if str(k).startswith(VM_STAT_PREFIXES)
            and k != "vmallocinfo" and not isinstance(v, str)]
    return mine, info if isinstance(info, str) else None


# --- NUMA: the numa-matrix cells and the placement check (docs/numa.md) ---

MATRIX = "numa-matrix"
MATRIX_POLICIES = ("bind", "preferred", "local", "remote", "interleave")
# bind and preferred measure every (CPU node, memory node) pair; the others one memory node
# (or all of them, interleave) for each CPU node.
MATRIX_GRID = ("bind", "preferred")
PLACEMENT = "placement_ok"
PLACEMENT_GOOD = 0.99      # a result with less of its pages on the intended nodes is flagged


@dataclass
class MatrixCell:
    backend: str
    policy: str
    mem_node: int            # -1: interleaved over every node with memory
    cpu_node: int
    threads: int
    cell: Cell

    @property
    def latency(self):
        """ns per dependent load: the workload's own load_ns, else Google Benchmark's time."""
        v = self.cell.counters.get("load_ns")
        return v if v is not None else ok_ns(self.cell)

    @property
    def bandwidth(self):
        return self.cell.counters.get("read_gbs")

    @property
    def placement(self):
        return self.cell.counters.get(PLACEMENT)

    @property
    def misplaced(self):
        return self.placement is not None and self.placement < PLACEMENT_GOOD


def matrix_cells(cells_):
    """[MatrixCell] of the numa-matrix cells whose params name a policy and both nodes."""
    out = []
    for c in cells_:
        if c.workload != MATRIX:
            continue
        p = dict(c.params)
        mem, cpu = param(c, "mem_node"), param(c, "cpu_node")
        if p.get("policy") not in MATRIX_POLICIES or not isinstance(mem, int) \
                or not isinstance(cpu, int):
            continue
        out.append(MatrixCell(c.backend, p["policy"], mem, cpu, c.threads, c))
    return out


def matrix_groups(cells_, backends):
    """{(policy, threads): {backend: [MatrixCell]}} in policy, thread and backend order."""
    out = {}
    for m in matrix_cells(cells_):
        out.setdefault((m.policy, m.threads), {}).setdefault(m.backend, []).append(m)
    order = {b: i for i, b in enumerate(backends)}
    return {k: dict(sorted(v.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
            for k, v in sorted(out.items(), key=lambda kv: (MATRIX_POLICIES.index(kv[0][0]),
                                                           kv[0][1]))}


def grid(mcells):
    """(CPU nodes, memory nodes, {(cpu, mem): MatrixCell}) of one backend's cells."""
    by = {(m.cpu_node, m.mem_node): m for m in mcells}
    return (sorted({k[0] for k in by}), sorted({k[1] for k in by}), by)


@dataclass
class PlacementRow:
    backend: str
    checked: int = 0         # cells with a placement fraction
    fractions: list = field(default_factory=list)
    flagged: list = field(default_factory=list)       # (cell, fraction) below PLACEMENT_GOOD
    unavailable: dict = field(default_factory=dict)   # reason -> runs

    @property
    def lowest(self):
        return min(self.fractions) if self.fractions else None


def placement_rows(cells_, benchmarks, backends):
    """Per backend with any placement data: the cells checked, their fractions (medians over
    repetitions), the cells flagged, and why runs could not be checked (from each run's
    kmbench.placement, which the cells do not keep)."""
    rows = {}
    for c in cells_:
        v = c.counters.get(PLACEMENT)
        if v is None:
            continue
        r = rows.setdefault(c.backend, PlacementRow(c.backend))
        r.checked += 1
        r.fractions.append(v)
        if v < PLACEMENT_GOOD:
            r.flagged.append((c, v))
    for run in benchmarks:
        kmb = run.get("kmbench") if isinstance(run, dict) else None
        pl = kmb.get("placement") if isinstance(kmb, dict) else None
        if isinstance(pl, dict) and pl.get("status") == "unavailable":
            r = rows.setdefault(str(kmb.get("backend", "?")), PlacementRow(kmb.get("backend")))
            reason = str(pl.get("reason") or "no reason given")
            r.unavailable[reason] = r.unavailable.get(reason, 0) + 1
    order = {b: i for i, b in enumerate(backends)}
    return sorted(rows.values(), key=lambda r: (order.get(r.backend, len(order)), r.backend))


def numa_options(context):
    """(node policy as given, {backend: how it got it}, the matrix options) of the context."""
    opts = context.get("options") if isinstance(context.get("options"), dict) else {}
    info = context.get("backends") if isinstance(context.get("backends"), dict) else {}
    by = {b: d["numa_policy_by"] for b, d in info.items()
          if isinstance(d, dict) and d.get("numa_policy_by")}
    matrix = opts.get("matrix") if isinstance(opts.get("matrix"), dict) else {}
    return str(opts.get("numa_policy") or "default"), by, matrix


@dataclass
class Run:
    """What every section of the report reads: the parsed results file, its context, its cells,
    the backends in order, the counters' context and the Summary's findings."""
    data: dict
    ctx: dict
    cells: list
    backends: list
    counters_ctx: dict
    found: list
