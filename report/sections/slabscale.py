"""Section "Slab at scale" (issue 16): how much dearer a churn pair is at N threads than at 1,
per backend, size and batch, for the kernel-style slab backends (slab, slab-nosheaves, kmalloc
and every slab* variant) and the malloc baselines beside them; what --preset slab-scale runs.

ratio = median ns/op at N threads / median ns/op at 1 thread, each the Cell's median over
repetitions of real_time x threads (kmb_results.ok_ns: the per-thread cost of a pair the rest of
the report uses). The goal, for slab and kmalloc at batch 100 and 1000 and 8 B to 8 KiB: at most
1.2x (1.5x from 16 threads). The baselines get no verdict: they are the reference.

"" without any churn run of a kernel-style backend; the heading and a note alone where those runs
lack 1 thread and another thread count, or any batch above 1.
"""
import math
from dataclasses import dataclass

import kmb_plots
import kmb_results as kr
from kmb_html import (esc, num_cell, head_cells, table, verdict_class, badge, fmt_ratio,
                      scroll_box)

ANCHOR = "slab-scale"
TITLE = "Slab at scale"

GOAL_BACKENDS = ("slab", "kmalloc")
GOAL_BATCHES = (100, 1000)
GOAL_SIZES = (8, 8192)          # inclusive range of object sizes the goal covers
SHEAVES, NOSHEAVES, BIGSHEAVES = "slab", "slab-nosheaves", "slab-bigsheaves"
PRESET = "slab-scale"


def goal_of(backend, size, batch, threads):
    """The goal ratio of one cell (1.2, or 1.5 from 16 threads), None where the goal does not
    apply (a baseline or other backend, another batch, a size outside 8 B..8 KiB)."""
    if (backend not in GOAL_BACKENDS or batch not in GOAL_BATCHES or size is None
            or not GOAL_SIZES[0] <= size <= GOAL_SIZES[1]):
        return None
    return 1.5 if threads >= 16 else 1.2


def scale_backend(name):
    """A kernel-style slab backend of this view: kmalloc and every slab* name."""
    return name == "kmalloc" or name.startswith("slab")


@dataclass
class ScaleRow:
    """One backend at one batch, size and thread count N > 1 against itself at 1 thread."""
    backend: str
    batch: object
    size: int
    threads: int
    one_ns: float = None
    n_ns: float = None
    ratio: float = None
    goal: float = None
    met: bool = None
    missing: str = None     # the runs without a result behind a missing ratio


def runs_gap(backend, found, batch, size):
    """"no churn run of b size:S batch:B threads:T; only failed ..." for found [(threads, cell
    or None)] without a result ("" when none)."""
    parts = []
    for t, c in found:
        if c is None:
            parts.append(f"no churn run of {backend} size:{size} batch:{batch} threads:{t}")
        elif not c.ns:
            parts.append(f"only failed churn run of {backend} size:{size} batch:{batch} "
                         f"threads:{t}")
    return "; ".join(parts)


def churn(cells_):
    """The churn cells with a numeric size and batch."""
    return [c for c in cells_ if c.workload == "churn" and kr.param(c, "size") is not None
            and kr.param(c, "batch") is not None]


def layout(cells_, backends):
    """(backends, batches > 1, sizes by batch, thread counts > 1) of the view, or a str: why it
    is left out; None without any churn run of a kernel-style backend."""
    runs = churn(cells_)
    kernel = [c for c in runs if scale_backend(c.backend)]
    if not kernel:
        return None
    threads = sorted({c.threads for c in kernel})
    batches = sorted({kr.param(c, "batch") for c in kernel if kr.param(c, "batch") > 1})
    names = ", ".join(sorted({c.backend for c in kernel}))
    if 1 not in threads or len(threads) < 2:
        return (f"the churn runs of {names} have {len(threads)} thread count"
                f"{'' if len(threads) == 1 else 's'} ({', '.join(map(str, threads))}): the "
                "view needs 1 thread and at least one more")
    if not batches:
        return (f"the churn runs of {names} have no batch above 1: the view compares batched "
                "pairs")
    ran = {c.backend for c in runs}
    order = [b for b in backends if scale_backend(b) and b in ran]
    order += [b for b in kr.BASELINES if b in ran and b not in order]
    sizes = {b: sorted({kr.param(c, "size") for c in kernel if kr.param(c, "batch") == b})
             for b in batches}
    return order, batches, sizes, [t for t in threads if t > 1]


def find(cells_, backend, size, batch, threads):
    for c in cells_:
        if ((c.backend, c.threads) == (backend, threads) and kr.param(c, "size") == size
                and kr.param(c, "batch") == batch):
            return c
    return None


def scale_rows(cells_, order, batches, sizes, many):
    """A ScaleRow per batch, size, thread count of many and backend of order, in that order."""
    runs = churn(cells_)
    out = []
    for batch in batches:
        for size in sizes[batch]:
            for t in many:
                for b in order:
                    one, n = find(runs, b, size, batch, 1), find(runs, b, size, batch, t)
                    r = ScaleRow(b, batch, size, t, kr.ok_ns(one), kr.ok_ns(n),
                                 goal=goal_of(b, size, batch, t))
                    r.missing = runs_gap(b, [(1, one), (t, n)], batch, size) or None
                    if r.missing is None and r.one_ns:
                        r.ratio = r.n_ns / r.one_ns
                        if r.goal is not None:
                            r.met = r.ratio <= r.goal
                    out.append(r)
    return out


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def sheaves_sentences(rows, batches, many, other=NOSHEAVES):
    """One sentence per batch (and thread count) comparing slab with @other (slab-nosheaves,
    or slab-bigsheaves) over the sizes where both have a ratio: which grows less, the geometric
    means and how many sizes each wins; [] when either did not run."""
    out = []
    for batch in batches:
        for t in many:
            at = {(r.backend, r.size): r.ratio for r in rows
                  if (r.batch, r.threads) == (batch, t) and r.ratio}
            sizes = sorted(s for b, s in at if b == SHEAVES and (other, s) in at)
            if not sizes:
                continue
            on = geomean([at[(SHEAVES, s)] for s in sizes])
            off = geomean([at[(other, s)] for s in sizes])
            wins = sum(at[(SHEAVES, s)] < at[(other, s)] for s in sizes)
            better, worse, g_b, g_w = ((SHEAVES, other, on, off) if on <= off
                                       else (other, SHEAVES, off, on))
            w_b = wins if better == SHEAVES else len(sizes) - wins
            out.append((batch, t, better, on, off,
                        f"Batch {batch}, {kr.threads_text(t)}: {better} scales better, "
                        f"{fmt_ratio(g_b)} against {worse}'s {fmt_ratio(g_w)} (geometric mean "
                        f"of the {t}-thread/1-thread ratios over {len(sizes)} size"
                        f"{'' if len(sizes) == 1 else 's'}, {g_w / g_b:.2f} times less growth; "
                        f"lower at {w_b} of {len(sizes)} sizes)."))
    return out


def render(run):
    found = layout(run.cells, run.backends)
    if found is None:
        return ""
    head = f'<h2 id="{ANCHOR}">{TITLE}</h2>'
    if isinstance(found, str):
        return (head + f'<p class="note missing" id="slab-scale-left-out">Left out: '
                f"{esc(found)} (<code>--preset {PRESET}</code> runs them).</p>")
    order, batches, sizes, many = found
    rows = scale_rows(run.cells, order, batches, sizes, many)
    judged = [r for r in rows if r.goal is not None]
    met = sum(r.met is True for r in judged)
    intro = (f"{head}<p class=\"note\">How much dearer a churn pair (one alloc+free) is at N "
             "threads than at 1: the median ns per pair per thread (real_time x threads, over "
             "repetitions) at N over the same at 1 thread, per backend, size and batch. Goal "
             "(issue 16) for slab and kmalloc at batch 100 and 1000, 8 B to 8 KiB: at most 1.2x "
             "(1.5x from 16 threads)"
             + (f"; met in {met} of {len(judged)} cells" if judged else "")
             + ". The baselines and the other kernel-style backends are shown for reference: on "
             "a noisy machine they do not stay at 1.0x either.</p>")
    sentences = sheaves_sentences(rows, batches, many)
    big = sheaves_sentences(rows, batches, many, BIGSHEAVES)
    sheaves = ("<ul class=\"slab-scale-sheaves\">" + "".join(
        f'<li data-batch="{esc(b)}" data-threads="{t}" data-better="{esc(better)}" '
        f'data-on="{on:.6g}" data-off="{off:.6g}">{esc(s)}</li>'
        for b, t, better, on, off, s in sentences) + "".join(
        f'<li data-against="{BIGSHEAVES}" data-batch="{esc(b)}" data-threads="{t}" '
        f'data-better="{esc(better)}" data-slab="{on:.6g}" data-big="{off:.6g}">{esc(s)}</li>'
        for b, t, better, on, off, s in big) + "</ul>") if sentences or big else ""
    return "\n".join([intro, sheaves, scale_plot(rows, order, batches, many),
                      scale_table(rows)])


def scale_plot(rows, order, batches, many):
    """Small multiples, one axes per batch, at the most threads: ratio against size."""
    t = many[-1]
    panels = []
    for batch in batches:
        lines = {}
        for b in order:
            pts = [(r.size, r.ratio) for r in rows
                   if (r.backend, r.batch, r.threads) == (b, batch, t) and r.ratio]
            if pts:
                lines[b] = pts
        panels.append((f"batch {batch}", lines))
    goal = 1.5 if t >= 16 else 1.2
    title = f"churn: {t} threads over 1 thread"
    png = kmb_plots.scale_ratios(title, panels, goal, t)
    return (f'<div class="plots"><img alt="{esc(title)}: ratio against size" '
            f'src="data:image/png;base64,{png}"></div>')


SCALE_HEAD = ["batch", "size", "threads", "backend", "1-thread ns", "N-thread ns",
              "N/1 ratio", "goal", "verdict"]


def scale_table(rows):
    body = []
    for r in rows:
        ident = (f'<tr class="scale CLS" data-backend="{esc(r.backend)}" '
                 f'data-batch="{esc(r.batch)}" data-size="{r.size}" data-threads="{r.threads}">'
                 f"{num_cell(esc(r.batch))}{num_cell(esc(kr.size_text(r.size)))}"
                 f"{num_cell(r.threads)}<td>{esc(r.backend)}</td>")
        goal = "-" if r.goal is None else f"<= {r.goal:g}x"
        if r.missing:
            verdict = "unknown" if r.goal is not None else "reference"
            body.append(ident.replace("CLS", "missing", 1) + f'<td colspan="3">missing: '
                        f'{esc(r.missing)}</td><td class="nw">{esc(goal)}</td>'
                        f"<td>{verdict}</td></tr>")
            continue
        if r.goal is None:
            cls, cell = "reference", "reference"
        else:
            verdict = "met" if r.met else "not met"
            cls = verdict_class(verdict)
            cell = badge(cls, verdict)
        body.append(ident.replace("CLS", cls, 1) + num_cell(kr.fmt_ns(r.one_ns))
                    + num_cell(kr.fmt_ns(r.n_ns)) + num_cell(fmt_ratio(r.ratio))
                    + f'<td class="nw">{esc(goal)}</td><td class="nw">{cell}</td></tr>')
    return scroll_box(table("slab-scale-table", head_cells(SCALE_HEAD), body))
