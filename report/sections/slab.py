"""Section "Slab and kmalloc": the kernel-style object allocators (kr.SLAB_BACKENDS) against the
malloc baselines: the targets (each backend's churn pair over the fastest baseline's), the size
sweep, aligned against packed, constructor caching (workload ctor) and memory efficiency
(workload mix); "" without any run of them.
"""
from dataclasses import dataclass, field

import kmb_plots
import kmb_results as kr
from kmb_html import (
    esc, num_cell, head_cells, table, verdict_of, verdict_class, badge, not_run_part, fmt_ratio,
    dash, cell_text, fmt_stat, scroll_box)

ANCHOR = "slab"
TITLE = "Slab and kmalloc"


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
        return kr.param_value(self.params, "size")

    @property
    def batch(self):
        return kr.param_value(self.params, "batch")


def gap_text(workload, found, params, threads):
    """Name the runs of found ([(backend, cell or None)]) without a result: "no churn run of
    a or b size:64 batch:1 threads:1; only failed churn run of c ..." ("" when none)."""
    where = f"{kr.params_text(params)} threads:{threads}"
    parts = []
    for what, names in (("no", [b for b, c in found if c is None]),
                        ("only failed", [b for b, c in found if c is not None and not c.ns])):
        if names:
            parts.append(f"{what} {workload} run of {kr.or_list(names)} {where}")
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
        if c.workload == "churn" and c.backend in backends and kr.param(c, "size") is not None:
            cases.setdefault((kr.param(c, "size"), kr.without(c.params, "size"), c.threads),
                             c.params)
    template = min(cases.values(), key=lambda p: [(k, kr.natural(v)) for k, v in p], default=None)
    for size, batch, _ in headlines:
        for t in sorted({key[2] for key in cases}):
            params = with_param(with_param(template, "size", size), "batch", batch)
            cases.setdefault((size, kr.without(params, "size"), t), params)
    return cases


def headline_index(size, batch, headlines):
    """The index of (size, batch) in headlines, else len(headlines)."""
    return next((i for i, (s, b, _) in enumerate(headlines) if (s, b) == (size, batch)),
                len(headlines))


def slab_targets(cells_, specs=SLAB_TARGETS, baselines=kr.BASELINES, headlines=SLAB_HEADLINES):
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
                headline_index(size, kr.param_value(rest, "batch"), headlines), kr.natural(size),
                [(k, kr.natural(v)) for k, v in rest], threads)
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
    size = kr.param_value(params, "size")
    t = SlabTarget(spec, params, threads)
    i = headline_index(size, t.batch, headlines)
    t.headline = headlines[i][2] if i < len(headlines) else ""
    cell = kr.find_sized(cells_, spec.backend, "churn", params, size, threads)
    base = [(b, kr.find_sized(cells_, b, "churn", params, size, threads)) for b in baselines]
    t.ns = kr.ok_ns(cell)
    have = [(kr.ok_ns(c), b) for b, c in base if kr.ok_ns(c) is not None]
    if have:
        t.baseline_ns, t.baseline = min(have, key=lambda h: h[0])   # ties: the first listed
        t.absent = gap_text("churn", [(b, c) for b, c in base if kr.ok_ns(c) is None], params,
                            threads) or None
    t.lacking = [(spec.backend, cell)] if t.ns is None else []
    t.lacking += [] if have else base
    t.missing = gap_text("churn", t.lacking, params, threads) or None
    if t.missing is None and t.baseline_ns > 0:
        t.ratio = t.ns / t.baseline_ns
        t.met = bool(spec.met(t.ratio))
    return t


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


def packed_ratios(cells_, packed=kr.PACKED, against=PACKED_AGAINST):
    """A PackedRow per (workload, params, threads) where packed and against[0] (slab) both have
    a result; churn first, then the other workloads, each by params and threads."""
    by_group = {}
    for c in cells_:
        if kr.ok_ns(c) is not None:
            by_group.setdefault((c.workload, c.params, c.threads), {})[c.backend] = kr.ok_ns(c)
    out = []
    for (workload, params, threads), ns in by_group.items():
        if packed not in ns or against[0] not in ns or not ns[packed]:
            continue
        mine = {b: ns[b] for b in against if b in ns}
        out.append(PackedRow(workload, params, threads, ns[packed], mine,
                             {b: v / ns[packed] for b, v in mine.items()}))
    out.sort(key=lambda r: (r.workload != "churn", r.workload,
                            [(k, kr.natural(v)) for k, v in r.params], r.threads))
    return out


@dataclass
class CtorRow:
    """A ctor cell: whether its objects came from a constructed cache, and the speed-up of a
    cached backend over the fastest backend that constructs on every allocation."""
    cell: kr.Cell
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
    plain = [(kr.ok_ns(r.cell), r.cell.backend) for r in rows
             if r.cached is False and kr.ok_ns(r.cell) is not None]
    g = CtorGroup(params, threads, rows)
    if not plain:
        g.missing = (f"no ctor run without a cache (ctor_cached 0) at {kr.params_text(params)} "
                     f"threads:{threads}")
        return g
    best_ns, g.fastest = min(plain)
    for r in rows:
        if r.cached and kr.ok_ns(r.cell):
            r.speedup, r.against = best_ns / kr.ok_ns(r.cell), g.fastest
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


def render(run):
    """Targets, size sweep, aligned against packed, constructor caching and memory efficiency
    of the kernel-style backends (kr.SLAB_BACKENDS); "" without any run of them."""
    cells, backends = run.cells, run.backends
    if not any(c.backend in kr.SLAB_BACKENDS for c in cells):
        return ""
    out = ['<h2 id="slab">Slab and kmalloc</h2>',
           f'<p class="note">The kernel-style object allocators '
           f"({esc(', '.join(kr.SLAB_BACKENDS))}) against the malloc baselines "
           f"({esc(', '.join(kr.BASELINES))}): median ns per operation per thread over "
           "repetitions (real_time x threads), compared at the same size, batch and thread "
           "count.</p>",
           slab_targets_table(slab_targets(cells)), size_plot(cells, backends),
           packed_table(packed_ratios(cells))]
    ctor = ctor_groups(cells)
    if ctor:
        out.append(ctor_table(ctor))
    mix = mix_groups(cells)
    if mix:
        out.append(mix_table(mix))
    return "\n".join(out)


SLAB_TARGET_HEAD = ["case", "size", "batch", "threads", "backend", "backend ns",
                    "fastest baseline", "baseline ns", "ratio", "goal", "verdict", "note"]


def slab_targets_table(targets):
    """One row per kernel-style backend and case: its median against the fastest baseline's, or
    the failed runs it lacks; the cases this file has no runs for are named below, folded."""
    if not targets:
        return ('<h3 id="slab-targets">Targets</h3><p class="note missing">No churn run of '
                f"{esc(kr.or_list(kr.SLAB_BACKENDS))}: the targets need them.</p>")
    shown = [t for t in targets if not t.not_run]
    gone = [(f"{t.headline}: " if t.headline else "") + f"{t.spec.backend}: {t.missing}"
            for t in targets if t.not_run]
    verdicts = [verdict_of(t) for t in shown]
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in ("met", "not met", "unknown")
                       if verdicts.count(v))
    intro = ('<h3 id="slab-targets">Targets</h3><p class="note">Each kernel-style backend\'s '
             "churn pair (one kmalloc+kfree or cache alloc+free) over the fastest of the four "
             "baselines at the same size, batch and thread count, from this file's runs. The "
             "headline cases come first: 64 bytes hot (batch 1) and in batches of 1000"
             + (f". {esc(counts)} of {len(shown)}." if shown else ".") + "</p>")
    if not shown:
        return intro + not_run_part(gone, "slab")
    rows = [slab_target_row(t) for t in shown]
    return (intro + scroll_box(table("slab-targets-table", head_cells(SLAB_TARGET_HEAD), rows))
            + not_run_part(gone, "slab"))


def slab_target_row(t):
    head = " headline" if t.headline else ""
    ident = (f"<td>{esc(t.headline)}</td>{num_cell(esc(dash(t.size)))}"
             f"{num_cell(esc(dash(t.batch)))}{num_cell(t.threads)}<td>{esc(t.spec.backend)}</td>")
    if t.missing:
        return (f'<tr class="target missing{head}">{ident}<td colspan="4">missing: '
                f'{esc(t.missing)}</td><td class="nw">{esc(t.spec.goal)}</td><td>unknown</td>'
                "<td></td></tr>")
    verdict = verdict_of(t)
    cls = verdict_class(verdict)
    note = f"no result: {t.absent}" if t.absent else ""
    return (f'<tr class="target {cls}{head}">{ident}{num_cell(kr.fmt_ns(t.ns))}'
            f"<td>{esc(t.baseline)}</td>{num_cell(kr.fmt_ns(t.baseline_ns))}"
            f'{num_cell(fmt_ratio(t.ratio))}<td class="nw">{esc(t.spec.goal)}</td>'
            f'<td class="nw">{badge(cls, verdict)}</td><td>{esc(note)}</td></tr>')


def size_points(cells, backends):
    """(batch, threads, {backend: [(size, ns stats)]}) of the churn cells of the kernel-style
    backends and the baselines at batch 1 (else the smallest batch the kernel-style backends
    ran) and the smallest thread count of the kernel-style backends there; None without any."""
    shown = [b for b in backends if b in kr.SLAB_BACKENDS or b in kr.BASELINES]
    churn = [c for c in cells if c.workload == "churn" and c.backend in shown and c.ns
             and isinstance(kr.param(c, "size"), (int, float)) and kr.param(c, "size") > 0]
    kernel = [c for c in churn if c.backend in kr.SLAB_BACKENDS]
    if not kernel:
        return None
    batches = {kr.param(c, "batch") for c in kernel}
    batch = 1 if 1 in batches else min(batches, key=kr.natural)
    threads = min(c.threads for c in kernel if kr.param(c, "batch") == batch)
    points = {}
    for b in shown:
        pts = [(kr.param(c, "size"), c.ns) for c in churn if c.backend == b
               and kr.param(c, "batch") == batch and c.threads == threads]
        if pts:
            points[b] = pts
    return batch, threads, points


def size_plot(cells, backends):
    """The size sweep at one batch and thread count (one figure), or a note why there is none."""
    found = size_points(cells, backends)
    if found is None:
        return ""
    batch, threads, points = found
    sizes = {s for pts in points.values() for s, _ in pts}
    where = f"churn batch:{dash(batch)} threads:{threads}"
    if len(sizes) < 2:
        return (f'<p class="note">No size plot: the churn runs at {esc(where)} have '
                f"{len(sizes)} size; the plot needs two or more.</p>")
    png = kmb_plots.size_sweep(where, points)
    return ('<p class="note">Median ns per pair against the object size (error bars '
            f"min..max over repetitions) at {esc(where)}: batch 1 where the kernel-style "
            "backends ran it, and their smallest thread count.</p>"
            f'<div class="plots"><img alt="{esc(where)}: ns per pair against size" '
            f'src="data:image/png;base64,{png}"></div>')


PACKED_HEAD = ["workload", "params", "threads", f"{kr.PACKED} ns"] + [
    h for b in PACKED_AGAINST for h in (f"{b} ns", f"{b} / {kr.PACKED}")]


def packed_table(rows):
    """slab (aligned) and slab-colored against slab-packed, per group where both ran."""
    head = ('<h3 id="slab-packed">Aligned against packed</h3><p class="note">slab aligns its '
            "objects to the cache line, slab-packed packs them at their size, slab-colored "
            "aligns and colours the slabs; a ratio above 1: slower than packed.</p>")
    if not rows:
        return head + (f'<p class="note missing">No group where both {esc(PACKED_AGAINST[0])}'
                       f" and {esc(kr.PACKED)} have a result.</p>")
    body = []
    against = [b for b in PACKED_AGAINST if any(b in r.ns for r in rows)]   # those that ran
    for r in rows:
        tds = "".join(num_cell(kr.fmt_ns(r.ns.get(b))) + num_cell(fmt_ratio(r.ratio.get(b)))
                      for b in against)
        body.append(f"<tr><td>{esc(r.workload)}</td><td class=\"nw\">"
                    f"{esc(kr.params_text(r.params))}</td>{num_cell(r.threads)}"
                    f"{num_cell(kr.fmt_ns(r.packed_ns))}{tds}</tr>")
    heads = PACKED_HEAD[:4] + [h for b in against for h in (f"{b} ns", f"{b} / {kr.PACKED}")]
    return head + table("slab-packed-table", head_cells(heads), body)


CTOR_HEAD = ["params", "threads", "backend", "ns/op", "ctor_calls per op", "cached",
             "speed-up", "against"]


def ctor_table(groups):
    """Per ctor group: each backend's ns/op, constructor calls and the cached backends'
    speed-up over the fastest backend that constructs on every allocation."""
    body, notes = [], []
    for g in groups:
        for i, r in enumerate(g.rows):
            c = r.cell
            cached = "unknown" if r.cached is None else "yes" if r.cached else "no"
            ns = kr.fmt_ns(kr.ok_ns(c)) if c.ns else "failed" if c.errors else "n/a"
            body.append(f'<tr class="ctor{" first" if i == 0 else ""}">'
                        f'<td class="nw">{esc(kr.params_text(g.params))}</td>'
                        f"{num_cell(g.threads)}<td>{esc(c.backend)}</td>"
                        f"{num_cell(cell_text(ns))}{num_cell(cell_text(kr.fmt_counter(r.calls)))}"
                        f"<td>{cached}</td>{num_cell(cell_text(fmt_ratio(r.speedup)))}"
                        f"<td>{esc(r.against or '')}</td></tr>")
        if g.missing:
            notes.append(f'<p class="note missing">No speed-up: {esc(g.missing)}.</p>')
    return ('<h3 id="slab-ctor">Constructor caching</h3><p class="note">Workload ctor: one '
            "allocation of a constructed object plus its free. Cached: the objects come from "
            "a cache created with the constructor, which runs only when a slab is populated "
            "(ctor_calls per op near 0); the other backends construct on every allocation. "
            "Speed-up: the fastest backend without a cache over the cached backend "
            "(Bonwick measured 1.3-5.1x).</p>"
            + table("slab-ctor-table", head_cells(CTOR_HEAD), body) + "".join(notes))


MIX_HEAD = ["params", "threads", "rank", "backend", "bytes per requested byte",
            "requested bytes", "RSS growth bytes", "ns/op"]


def mix_table(groups):
    """Per mix group: the backends by bytes_per_requested_byte, best first."""
    body = []
    for (params, threads), group in groups.items():
        for i, c in enumerate(group):
            k = c.counters
            nums = "".join(num_cell(v) for v in (
                cell_text(fmt_bprb(k.get(MIX_KEY))), fmt_stat(k.get("requested_bytes")),
                fmt_stat(k.get("rss_delta_bytes")), cell_text(kr.fmt_ns(kr.ok_ns(c)))))
            body.append(f'<tr class="mix{" first" if i == 0 else ""}">'
                        f'<td class="nw">{esc(kr.params_text(params))}</td>'
                        f"{num_cell(threads)}{num_cell(i + 1)}<td>{esc(c.backend)}</td>{nums}"
                        "</tr>")
    return ('<h3 id="slab-mix">Memory efficiency</h3><p class="note">Workload mix: resident '
            "memory the live sets grew the process by over the bytes they asked for "
            "(bytes_per_requested_byte; 1 is perfect, Bonwick reports 1.11-1.14 for his slab "
            "allocator), lowest first. Clean only for a process's first mix family "
            "(results/README.md).</p>"
            + table("slab-mix-table", head_cells(MIX_HEAD), body))


def fmt_bprb(v):
    return "n/a" if v is None else f"{v:.3f}"
