"""Read a kmbench results file (results/README.md) and reduce it to one Cell per measurement.

A cell is one (backend, workload, params, threads) combination. Its statistics are taken over the
repetitions that Google Benchmark reported as iteration runs: median, min and max. Where a file
holds only aggregates (benchmark --benchmark_report_aggregates_only), the "median" aggregate is
used, else the "mean" one, and min/max are unknown. Failed runs (error_occurred) never enter the
statistics; their messages are kept on the cell. Nothing here knows about HTML or plots.

This is the report's common data module: what more than one section reads (cells, medians,
parameters, names, the backend families of the figures, number formatting) and Run, what each
section is given. What one section alone extracts lives in that section's module
(report/sections/).
"""
import gc
import json
import re
from dataclasses import dataclass, field

# Keys Google Benchmark and kmbench define; every other numeric key of a run is a counter.
RUN_KEYS = {
    "name", "run_name", "run_type", "family_index", "per_family_instance_index", "repetitions",
    "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
    "items_per_second", "bytes_per_second", "aggregate_name", "aggregate_unit", "error_occurred",
    "error_message", "skipped", "skip_message", "label", "kmbench", "big_o", "rms", "complexity",
}
# Name segments that are Google Benchmark options, not workload parameters.
NAME_OPTIONS = {"real_time", "process_time", "manual_time", "min_time", "min_warmup_time",
                "repeats", "iterations"}
TIME_SCALE = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# A series counter: the value of <name> after <N> x 1024 steps (workload fragment's checkpoints).
SERIES_RE = re.compile(r"^(?P<name>.+)_at_(?P<k>[0-9]+)k$")
PAGE_SIZE = 4096
# The profile pass's keys at a row's top level (results/README.md, harness/profile.h): alloc and
# free latency percentiles, samples, and the memory peaks. Read by the latency and memory
# sections, not the results table.
PROFILE_OPS = ("alloc", "free")
PROFILE_PCTS = ("p50", "p90", "p99", "p999", "max")
PROFILE_PEAKS = ("peak_rss_bytes", "held_peak_bytes", "live_peak_bytes")


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
    # isspace() stops at the first other character; strip() would copy the whole text.
    if not text or text.isspace():
        raise ResultsError(f"{path} is empty: not a kmbench results file")
    # The collector would walk the growing tree of a big file's million objects again and again
    # while they are built (7.0 s of the full preset's 158 MB with it, 5.0 s without); none of
    # them can be garbage yet.
    collecting = gc.isenabled()
    gc.disable()
    try:
        data = decode_shared(text)
    except json.JSONDecodeError as e:
        # A file cut short (a run killed while writing it by hand, a copy interrupted) fails
        # at its very end; say so, since the fix is to re-copy or re-merge, not to edit.
        cut = " (the file ends there: truncated?)" if not text[e.pos:].strip() else ""
        raise ResultsError(f"{path} is not valid JSON: {e.msg} at line {e.lineno} "
                           f"column {e.colno}{cut}") from None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(data, dict) or "benchmarks" not in data:
        raise ResultsError(f'{path} has no "benchmarks" key: not a kmbench/Google Benchmark '
                           f"results file")
    if not isinstance(data["benchmarks"], list):
        raise ResultsError(f'{path}: "benchmarks" is not a list')
    if not isinstance(data.get("context", {}), dict):
        raise ResultsError(f'{path}: "context" is not an object')
    ctx = data.get("context") or {}
    if not (ctx.get("kmbench_version") or ctx.get("run_id")
            or any(isinstance(r, dict) and isinstance(r.get("kmbench"), dict)
                   for r in data["benchmarks"])):
        # results/README.md: kmbench writes context.kmbench_version and run_id, and a kmbench
        # key in every run; a file with none is some other program's (Google Benchmark's own).
        raise ResultsError(f"{path} is a Google Benchmark file without kmbench's keys "
                           "(context.kmbench_version, run_id, benchmarks[].kmbench): not a "
                           "kmbench results file")
    return data


# decode_shared(): where a row's kmbench object ends in its profile pass, PROFILE_AT begins
# the members (the profile, and the call graph after it) that every repetition's row of the
# cell repeats; SHARED_AT stands for them in the text decoded. Its key holds a character no
# kmbench key has, and a file that holds it anyway is decoded as it is.
ROWS_AT = '\n  "benchmarks": [\n'
PROFILE_AT = '"profile":'     # then "{" (kmbench's writer) or " {" (json.dumps')
SHARED_AT = '"\\u0001kmb-shared": '
SHARED_KEY = "\x01kmb-shared"


def decode_shared(text):
    """json.loads(text), the same value, in a third of the time on a file with the profile
    pass: the pass's object (and the call graph) is the same on each repetition's row of a cell
    (results/README.md, "the profile pass"), two thirds of such a file's bytes. kmbench writes a
    row per line, a cell's rows one after another; where a row's line ends in the same members
    from PROFILE_AT on as the line before, and they close its kmbench object and the row
    ("}}"), they are decoded once and the rows share them. Any other layout, and any text that
    is not JSON (json.loads gives its error and position), is decoded as it is."""
    start = text.find(ROWS_AT)
    end = text.rfind("\n  ]")
    if start < 0 or end < start or SHARED_AT in text:
        return json.loads(text)
    start += len(ROWS_AT)
    shared, refs, parts, rows, last = [], [], [], 0, None
    pos, taken = start, 0     # the next line's start; parts hold the text up to taken
    while pos < end:
        eol = text.find("\n", pos, end)
        eol = end if eol < 0 else eol
        at = text.find(PROFILE_AT, pos, eol)
        # The members run from at to the line's "}}" (and its comma between rows), compared
        # in place with the line before's: a copy of each line took as long as the rest.
        close = eol - 1 if text[eol - 1] == "," else eol
        if (at > pos and text[at - 1] != "\\" and text.startswith("}}", close - 2)
                and text[at + len(PROFILE_AT):at + len(PROFILE_AT) + 2].lstrip(" ")[:1] == "{"):
            if last is None or close - at != len(last) or not text.startswith(last, at):
                last = text[at:close]
                try:
                    shared.append(json.loads("{" + last[:-2] + "}"))
                except json.JSONDecodeError:
                    return json.loads(text)
            parts += [text[taken:at], SHARED_AT, str(len(shared) - 1)]
            taken = close - 2
            refs.append(rows)
        rows += 1
        pos = eol + 1
    if not refs:
        return json.loads(text)
    try:
        parts.append(text[taken:])
        data = json.loads("".join(parts))
    except json.JSONDecodeError:
        return json.loads(text)     # the error at its place in the file's own text
    lines, rows = rows, data.get("benchmarks") if isinstance(data, dict) else None
    if not isinstance(rows, list) or len(rows) != lines:
        return json.loads(text)
    for i in refs:
        # The stand-in must be the last member of the row's kmbench object, the row's last
        # key: then the line's own members were the kmbench object's last.
        row = rows[i]
        kmb = row.get("kmbench") if isinstance(row, dict) else None
        if (not isinstance(kmb, dict) or next(reversed(row)) != "kmbench"
                or next(reversed(kmb)) != SHARED_KEY):
            return json.loads(text)
    for i in refs:
        kmb = rows[i]["kmbench"]
        kmb.update(shared[kmb.pop(SHARED_KEY)])
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
    ns_reps: tuple = ()      # every repetition's ns/op, for the findings' U test (kmb_summary);
    mops_reps: tuple = ()    # () from aggregates, which are not repetitions
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
    return (median(values), min(values), max(values))


def median(values):
    """statistics.median() (the same value) without its checks: cells() takes a quarter of a
    million medians of three values in the full preset's file."""
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def identity_key(run):
    """What identify() reads of a run, hashable: the runs of a cell (its repetitions and
    aggregates) share it, so cells() identifies each cell once, not each of its runs."""
    kmb = run.get("kmbench")
    if isinstance(kmb, dict):
        params = kmb.get("params")
        kmb = (kmb.get("backend"), kmb.get("workload"), kmb.get("threads"),
               repr(params) if isinstance(params, dict) else None)
    else:
        kmb = None
    return (run.get("run_name"), run.get("name"), run.get("threads"), kmb)


def cells(benchmarks):
    """Group the runs into Cells, sorted by workload, params, threads and first appearance.
    Callers that need the cells of one file more than once compute them once (a run of the
    full preset has 67,000 rows)."""
    runs, ids = {}, {}
    for run in benchmarks:
        if isinstance(run, dict):
            key = identity_key(run)
            ident = ids.get(key)
            if ident is None:
                ident = ids[key] = identify(run)
            runs.setdefault(ident, []).append(run)
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
        ips = [cell.threads * 1e3 / v for v in ns]
    if cell.source == "iteration":
        cell.ns_reps, cell.mops_reps = tuple(ns), tuple(ips)
    if len(runs) == 1 and cell.source != "iteration":
        cell.ns = cell.ns and (cell.ns[0], None, None)
        cell.mops = cell.mops and (cell.mops[0], None, None)
    vals = {}
    for r in runs:     # each run's counters once: counter_names() per name per run was quadratic
        for name in counter_names(r):
            vals.setdefault(name, []).append(float(r[name]))
    for name, v in vals.items():
        cell.counters[name] = median(v)


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


def profile_counter(name):
    """Is name a key of the profile pass (PROFILE_OPS latencies, PROFILE_PEAKS)?"""
    return name.startswith(tuple(op + "_lat_" for op in PROFILE_OPS)) or name in PROFILE_PEAKS


def lat_key(op, pct):
    """The key of a percentile: lat_key("alloc", "p99") is "alloc_lat_p99_ns"."""
    return f"{op}_lat_{pct}_ns"


_PROFILES = [None, {}]   # the last data given and its {cell identity: kmbench.profile}


def profile_of(data, cell):
    """kmbench.profile of the cell's first iteration row that did not fail, measured; None
    where it has none (the pass's object is the same on every row of a cell). The rows are
    indexed once per data: the sections ask for thousands of cells, and a scan of the rows
    per cell made the full preset's report spend minutes here. Only the last file's index is
    kept: a process that reads many files (the tests) does not hold them all."""
    if _PROFILES[0] is not data:
        index = {}
        for r in data.get("benchmarks", []):
            if (isinstance(r, dict) and r.get("run_type", "iteration") == "iteration"
                    and not failed(r)):
                prof = (r.get("kmbench") or {}).get("profile")
                if isinstance(prof, dict) and prof.get("status") == "measured":
                    index.setdefault(identify(r), prof)
        _PROFILES[:] = [data, index]
    return _PROFILES[1].get((cell.backend, cell.workload, cell.params, cell.threads))


def profile_cells(cells_, *keys):
    """The cells with any of the counter keys, in order."""
    return [c for c in cells_ if any(c.counters.get(k) is not None for k in keys)]


def first_group(cells_):
    """(workload, params, threads) of each workload's figure: its first params group (natural
    order) at the most threads any of its cells ran; {workload: (params, threads)}."""
    out = {}
    for c in sorted(cells_, key=Cell.sort_key):
        params, threads = out.get(c.workload, (c.params, c.threads))
        if c.params == params:
            threads = max(threads, c.threads)
        out[c.workload] = (params, threads)
    return out


def figure_picks(cells_, backends):
    """Per workload of cells_ (first_group): (workload, params, threads, its cells there, their
    backends in the report's order)."""
    groups = {}     # one pass over the cells, not one per workload: thousands on the full preset
    for c in cells_:
        groups.setdefault((c.workload, c.params, c.threads), []).append(c)
    out = []
    for w, (params, threads) in first_group(cells_).items():
        pick = groups[(w, params, threads)]
        order = [b for b in backends if any(c.backend == b for c in pick)]
        order += [c.backend for c in pick if c.backend not in order]
        out.append((w, params, threads, pick, order))
    return out


def by_case(cells_, backends):
    """cells_ by workload, params and threads, then in the backends' order."""
    order = {b: i for i, b in enumerate(backends)}
    return sorted(cells_, key=lambda c: (c.sort_key(), order.get(c.backend, len(order))))


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


# The slab allocators of this project and the malloc baselines they are measured against.
SLAB_BACKENDS = ("slab", "slab-packed", "slab-colored", "kmalloc")
BASELINES = ("glibc", "jemalloc", "tcmalloc", "mimalloc")


def ok_ns(cell):
    """The median ns/op of a cell with a result, else None."""
    return cell.ns[0] if cell is not None and cell.ns else None


def or_list(names):
    """a; a or b; a, b or c."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


# The backend families the report's figures group their backends by (small multiples: one
# axes per family, never more than PANEL_LINES lines in one): (family, ((part, backends), ...)).
# A family with more than PANEL_LINES - 1 backends in a run (one line is kept for the best
# baseline, drawn for reference) gets one axes per part. Backends of no family come last.
FAMILIES = (
    ("baselines", (("baselines", BASELINES),)),
    ("slab family", (("slab family", ("slab", "slab-packed", "slab-colored", "kmalloc",
                                      "mempool", "slab-nosheaves", "slab-bigsheaves")),
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


def family_of(backend):
    """The family of FAMILIES a backend belongs to; OTHER_FAMILY where none."""
    return next((family for family, parts in FAMILIES
                 if any(backend in members for _, members in parts)), OTHER_FAMILY)


def representatives(backends, score, most=PANEL_LINES):
    """The backends one line each (or more) in an axes of many workloads' small multiples: all
    of them (in their order) where they fit, most or fewer; else per family (family_of) the one
    of the lowest score(backend) (None: last; ties: the first), in the backends' order."""
    backends = list(dict.fromkeys(backends))
    if len(backends) <= most:
        return backends
    best = {}
    for i, b in enumerate(backends):
        s = score(b)
        key = (s is None, 0 if s is None else s, i)
        if family_of(b) not in best or key < best[family_of(b)][0]:
            best[family_of(b)] = (key, b)
    chosen = {b for _, b in best.values()}
    return [b for b in backends if b in chosen]


def best_baseline(cells_, baselines=BASELINES):
    """The baseline with the lowest median ns/op at the lowest thread count where any baseline
    has a result, among cells_ (one group's); ties: the first of baselines. None without any."""
    have = [c for c in cells_ if c.backend in baselines and c.ns]
    if not have:
        return None
    low = min(c.threads for c in have)
    return min((c for c in have if c.threads == low),
               key=lambda c: (c.ns[0], baselines.index(c.backend))).backend


# The workloads and backends that the Summary (kmb_summary) or the page's counts name as well
# as the section that owns them (report/sections/); every other name a section uses is its own.
PACKED = "slab-packed"          # slab and slab-colored against it: sections/slab.py
REMOTE_FREE = "remote-free"     # producer-consumer thread pairs: sections/percpu.py
COUNTER_WORKLOADS = ("counter-percpu", "counter-atomic", "counter-packed")
NO_ALLOCATOR = "no-allocator"   # the counter workloads' pseudo-backend (results/README.md)
PRESSURE = "mempool-pressure"   # sections/mempool.py
MATRIX = "numa-matrix"          # sections/numa.py (docs/numa.md)
RFM = "remote-free-matrix"      # a cell per CPU pair: sections/remotefree.py


def percpu_options(context):
    """context.options.percpu as {"pcp": {...}, "slab": {...}, "rseq": {...}}, or {} when the
    file does not record it."""
    opts = context.get("options") if isinstance(context.get("options"), dict) else {}
    pc = opts.get("percpu")
    return pc if isinstance(pc, dict) else {}


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
    path: str = ""      # the results file, "" where it has none (its directory: the run's)


def weigh(cost, part):
    """part (a function of no arguments, of a section's parts(): report/sections/__init__.py)
    with its drawing time: cost, in the units of a section's COST (0: text alone)."""
    part.cost = cost
    return part
