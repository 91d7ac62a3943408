"""Section "Slab and kmalloc": the kernel-style object allocators (kr.SLAB_BACKENDS) against the
malloc baselines: the targets (each backend's churn pair over the fastest baseline's), the size
sweep, aligned against packed, constructor caching (workload ctor) and memory efficiency
(workload mix); "" without any run of them.
"""
import kmb_plots
import kmb_results as kr
from kmb_html import (
    esc, num_cell, head_cells, table, verdict_of, verdict_class, badge, not_run_part, fmt_ratio,
    dash, cell_text, fmt_stat)

ANCHOR = "slab"
TITLE = "Slab and kmalloc"


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
           slab_targets_table(kr.slab_targets(cells)), size_plot(cells, backends),
           packed_table(kr.packed_ratios(cells))]
    ctor = kr.ctor_groups(cells)
    if ctor:
        out.append(ctor_table(ctor))
    mix = kr.mix_groups(cells)
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
    return (intro + '<div class="scroll">'
            f'{table("slab-targets-table", head_cells(SLAB_TARGET_HEAD), rows)}</div>'
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
    h for b in kr.PACKED_AGAINST for h in (f"{b} ns", f"{b} / {kr.PACKED}")]


def packed_table(rows):
    """slab (aligned) and slab-colored against slab-packed, per group where both ran."""
    head = ('<h3 id="slab-packed">Aligned against packed</h3><p class="note">slab aligns its '
            "objects to the cache line, slab-packed packs them at their size, slab-colored "
            "aligns and colours the slabs; a ratio above 1: slower than packed.</p>")
    if not rows:
        return head + (f'<p class="note missing">No group where both {esc(kr.PACKED_AGAINST[0])}'
                       f" and {esc(kr.PACKED)} have a result.</p>")
    body = []
    against = [b for b in kr.PACKED_AGAINST if any(b in r.ns for r in rows)]   # those that ran
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
                cell_text(fmt_bprb(k.get(kr.MIX_KEY))), fmt_stat(k.get("requested_bytes")),
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
