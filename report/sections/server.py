"""Section "Server workloads": larson (Larson and Krishnan's server: random objects replaced in
arrays handed between threads) and prodcons (xmalloc-test's producers and consumers), objects
per second against threads (docs/workloads.md). Per workload one line plot of the figure
backends at its largest size, the answer above it (the fastest backend at the most threads,
slab's ratio to it, each figure backend's scaling), then one table of every backend, size and
thread count with its ratio to slab and the workload's counters; "" without any run of them.
"""
import kmb_plots
import kmb_results as kr
from kmb_html import esc, num_cell, head_cells, table, fmt_ratio, cell_text, scroll_box

ANCHOR = "server"
TITLE = "Server workloads"

WORKLOADS = ("larson", "prodcons")
REFERENCE = "slab"
# The lines of a figure (the server preset's backends); the table has every backend.
FIGURE_BACKENDS = ("slab", "slab-packed", "kmalloc") + kr.BASELINES
COUNTERS = {"larson": ("remote_free_frac", "rounds"),
            "prodcons": ("producers", "consumers", "ring_slots")}


def server_cells(cells_):
    """{(workload, params): [cells with a throughput or an error]} of the server workloads, in
    WORKLOADS order, then params in numeric order."""
    out = {}
    for c in cells_:
        if c.workload in WORKLOADS:
            out.setdefault((c.workload, c.params), []).append(c)
    return dict(sorted(out.items(), key=lambda kv: (
        WORKLOADS.index(kv[0][0]), [(k, kr.natural(v)) for k, v in kv[0][1]])))


def figure_group(groups, workload):
    """The (params, cells) of workload's figure: its largest size (then batch) with a
    throughput; None without any."""
    mine = [(p, cs) for (w, p), cs in groups.items() if w == workload
            and any(c.mops for c in cs)]
    if not mine:
        return None
    return max(mine, key=lambda pc: (kr.natural(kr.param_value(pc[0], "size")),
                                     kr.natural(kr.param_value(pc[0], "batch"))))


def find(cells_, backend, threads):
    for c in cells_:
        if (c.backend, c.threads) == (backend, threads) and c.mops:
            return c
    return None


def lines_of(cells_, backends):
    """{backend: [(threads, Mobj/s stats)]} of the figure backends with a throughput."""
    out = {}
    for b in backends:
        pts = sorted((c.threads, c.mops) for c in cells_ if c.backend == b and c.mops)
        if pts:
            out[b] = pts
    return out


def answer(workload, params, cells_, backends):
    """The lines above a figure: the fastest at the most threads and slab's ratio to it; each
    backend's throughput at the most threads over one thread, best first."""
    threads = sorted({c.threads for c in cells_ if c.mops})
    top = threads[-1]
    at_top = sorted((c for c in cells_ if c.threads == top and c.mops and c.backend in backends),
                    key=lambda c: -c.mops[0])
    case = kr.case_text(workload, params)
    best = at_top[0]
    ref = find(cells_, REFERENCE, top)
    head = (f"{case}, {kr.threads_text(top)}: {best.backend} is fastest, "
            f"{best.mops[0]:,.2f} Mobj/s")
    if ref is not None and ref is not best:
        head += (f"; {REFERENCE} {ref.mops[0]:,.2f}, {fmt_ratio(ref.mops[0] / best.mops[0])} "
                 f"of it")
    out = [head + "."]
    if len(threads) > 1:
        scal = []
        for c in at_top:
            one = find(cells_, c.backend, threads[0])
            if one is not None:
                scal.append((c.mops[0] / one.mops[0], c.backend))
        if scal:
            out.append(f"{kr.threads_text(top)} over {kr.threads_text(threads[0])}: " + ", ".join(
                f"{b} {fmt_ratio(r)}" for r, b in sorted(scal, reverse=True)) + ".")
    return out


def render(run):
    """Per workload: its answer, one figure, then one table of every backend; "" without a
    larson or prodcons run."""
    groups = server_cells(run.cells)
    if not groups:
        return ""
    out = [f'<h2 id="{ANCHOR}">{TITLE}</h2>',
           '<p class="note">Workloads larson (Larson and Krishnan\'s server benchmark, as '
           "mimalloc-bench's larsonN: each thread replaces random objects of 8 bytes to the "
           "size in an array of batch slots, and every larson-rounds x batch replacements the "
           "arrays pass to the next thread, which frees its predecessors' objects; one op is a "
           "free and an allocation) and prodcons (xmalloc-test: producers allocate, consumers "
           "free any producer's objects, a ring per pair). Throughput in millions of objects "
           "per second, all threads together, median over repetitions, bars min..max. The "
           f"figure draws {esc(', '.join(FIGURE_BACKENDS))} at the workload's largest size; "
           "the table has every backend and size (docs/workloads.md).</p>"]
    for w in WORKLOADS:
        found = figure_group(groups, w)
        if found is None:
            continue
        params, cs = found
        backends = ([b for b in FIGURE_BACKENDS if any(c.backend == b and c.mops for c in cs)]
                    or list(dict.fromkeys(c.backend for c in cs if c.mops)))
        out.append(f'<h3 id="{ANCHOR}-{kr.slug(w)}">{esc(w)}</h3>')
        out.append('<ul class="server-answer">' + "".join(
            f'<li data-workload="{esc(w)}">{esc(line)}</li>'
            for line in answer(w, params, cs, backends)) + "</ul>")
        png = kmb_plots.scaling(kr.case_text(w, params), lines_of(cs, backends),
                                unit="millions of objects/s")
        out.append(f'<div class="plots"><img alt="{esc(w)}: objects per second against '
                   f'threads" src="data:image/png;base64,{png}"></div>')
    out.append(every_backend(groups, run.backends))
    return "\n".join(out)


TABLE_HEAD = ["workload", "params", "threads", "backend", "Mobj/s", "min..max",
              f"/ {REFERENCE}", "counters"]


def every_backend(groups, backends):
    """Every cell: its throughput, spread, ratio to slab's at the same point, its counters."""
    order = {b: i for i, b in enumerate(backends)}
    rows = []
    for (w, params), cs in groups.items():
        for c in sorted(cs, key=lambda c: (c.threads, order.get(c.backend, len(order)),
                                           c.backend)):
            ref = find(cs, REFERENCE, c.threads)
            if c.mops:
                value = f"{c.mops[0]:,.2f}"
                spread = (f"{c.mops[1]:,.2f}..{c.mops[2]:,.2f}" if c.mops[1] is not None
                          else "n/a")
                ratio = fmt_ratio(c.mops[0] / ref.mops[0]) if ref else "n/a"
            else:
                value, spread, ratio = "n/a", "n/a", "failed" if c.errors else "n/a"
            counters = "; ".join(f"{k} {kr.fmt_counter(c.counters[k])}"
                                 for k in COUNTERS[w] if k in c.counters) or "n/a"
            rows.append(f'<tr class="server"><td>{esc(w)}</td><td>{esc(kr.params_text(params))}'
                        f"</td>{num_cell(esc(c.threads))}<td>{esc(c.backend)}</td>"
                        + "".join(num_cell(cell_text(v)) for v in (value, spread, ratio))
                        + f"<td>{cell_text(counters)}</td></tr>")
    return (f'<h3 id="{ANCHOR}-table">Every backend</h3>'
            + scroll_box(table(f"{ANCHOR}-table", head_cells(TABLE_HEAD), rows)))
