"""Section "Page allocator": the buddy page allocator's order sweep (churn of buddy and of the
reference mmap over sizes of a power-of-two number of pages) and its targets (mmap / buddy at
order 0, buddy order 3 / order 0); "" without buddy churn runs.
"""
from dataclasses import dataclass

import kmb_plots
import kmb_results as kr
from kmb_html import (
    esc, num_cell, head_cells, table, verdict_of, verdict_class, badge, not_run_part, fmt_ratio,
    dash)

ANCHOR = "pages"
TITLE = "Page allocator"


def page_order(size):
    """log2(size / PAGE_SIZE) for a size of a power-of-two number of pages, else None."""
    if not isinstance(size, int) or size < kr.PAGE_SIZE or size % kr.PAGE_SIZE:
        return None
    pages = size // kr.PAGE_SIZE
    return pages.bit_length() - 1 if pages & (pages - 1) == 0 else None


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
    TargetSpec("order-0 pair: mmap / buddy", ("mmap", kr.PAGE_SIZE), ("buddy", kr.PAGE_SIZE),
               ">= 200x", lambda r: r >= 200),
    TargetSpec("buddy pair: order 3 / order 0", ("buddy", 8 * kr.PAGE_SIZE),
               ("buddy", kr.PAGE_SIZE), "< 2x", lambda r: r < 2),
]


def with_size(params, size):
    """params (a cell's tuple) with the size parameter set to size."""
    return tuple((k, str(size) if k == "size" else v) for k, v in params)


def target_batch(cells_):
    """The batch the targets use: 1 if buddy has order-0 churn runs at batch 1, else the smallest
    batch it has; None when it has none (or runs without a batch parameter)."""
    batches = {kr.param(c, "batch") for c in cells_ if c.workload == "churn"
               and c.backend == "buddy" and kr.param(c, "size") == kr.PAGE_SIZE}
    batches.discard(None)
    return 1 if 1 in batches else min(batches, default=None)


def page_targets(cells_, specs=PAGE_TARGETS):
    """Check specs on the churn cells (median ns/op over repetitions), one Target per spec and
    thread count of the buddy order-0 runs at target_batch(); a Target with missing set where a
    run needed is absent or failed."""
    batch = target_batch(cells_)
    base = sorted((c for c in cells_ if c.workload == "churn" and c.backend == "buddy"
                   and kr.param(c, "size") == kr.PAGE_SIZE and kr.param(c, "batch") == batch),
                  key=lambda c: c.threads)
    if not base:
        return [Target(s, missing=f"no churn run of buddy with size:{kr.PAGE_SIZE}", not_run=True)
                for s in specs]
    out = []
    for s in specs:
        for c in base:
            t = Target(s, threads=c.threads, batch=batch)
            num = kr.find_sized(cells_, s.num[0], "churn", c.params, s.num[1], c.threads)
            den = kr.find_sized(cells_, s.den[0], "churn", c.params, s.den[1], c.threads)
            t.num_ns, t.den_ns = (num.ns[0] if num and num.ns else None,
                                  den.ns[0] if den and den.ns else None)
            absent = [(b, size, cell) for (b, size), cell in ((s.num, num), (s.den, den))
                      if cell is None or not cell.ns]
            if absent:
                t.not_run = all(cell is None for _, _, cell in absent)
                t.missing = "; ".join(
                    f"{'no' if cell is None else 'only failed'} churn run of {b} "
                    f"{kr.params_text(with_size(c.params, size))} threads:{c.threads}"
                    for b, size, cell in absent)
            elif t.den_ns > 0:
                t.ratio = t.num_ns / t.den_ns
                t.met = bool(s.met(t.ratio))
            out.append(t)
    return out


PAGE_BACKENDS = ("buddy", "mmap")   # the page allocator and its reference, mmap+touch+munmap


def render(run):
    """Order sweep and targets of the buddy page allocator; "" without buddy churn runs. A sweep
    needs two orders or more; targets the file has no runs for are named, folded. Without a
    sweep or a target row to show, one note says what the section needs."""
    cells = run.cells
    if not any(c.workload == "churn" and c.backend == "buddy" for c in cells):
        return ""
    sweeps = {rest: points for rest, points in order_points(cells).items()
              if len({o for pts in points.values() for o, _ in pts}) > 1}
    targets = page_targets(cells)
    out = ['<h2 id="pages">Page allocator</h2>']
    if not sweeps and all(t.not_run for t in targets):
        out.append('<p class="note">No order sweep and no target here: they need churn of buddy '
                   "and of the reference mmap at several sizes of a power-of-two number of "
                   "pages (<code>--preset pages</code>); buddy is in the plots above.</p>")
        out.append(targets_table(targets, heading=False))
        return "\n".join(out)
    out.append('<p class="note">churn of buddy and of the reference mmap (mmap+touch+munmap): '
               "ns per alloc+free pair per thread (real_time x threads, median over repetitions; "
               "error bars min..max) against the order, log2 of the size in 4 KiB pages. One "
               "plot per batch; one line per backend and thread count.</p>")
    if sweeps:
        out.append('<div class="plots">')
        for rest, points in sweeps.items():
            title = f"churn {kr.params_text(rest)}"
            png = kmb_plots.order_sweep(title, points)
            out.append(f'<img alt="{esc(title)}: ns per pair against order" '
                       f'src="data:image/png;base64,{png}">')
        out.append("</div>")
    else:
        out.append('<p class="note">No order sweep: no churn run of buddy or mmap at two or '
                   "more sizes of a power-of-two number of pages.</p>")
    out.append(targets_table(targets))
    return "\n".join(out)


def order_points(cells):
    """{params other than size: {(backend, threads): [(order, ns stats)]}} of the churn cells of
    buddy and mmap whose size is a power-of-two number of pages."""
    out = {}
    for c in cells:
        order = page_order(kr.param(c, "size"))
        if c.workload != "churn" or c.backend not in PAGE_BACKENDS or order is None or not c.ns:
            continue
        out.setdefault(kr.without(c.params, "size"), {}).setdefault(
            (c.backend, c.threads), []).append((order, c.ns))
    return out


TARGET_HEAD = ["target", "threads", "batch", "numerator ns", "denominator ns", "ratio", "goal",
               "verdict"]


def targets_table(targets, heading=True):
    """One row per target and thread count: the two medians, their ratio and met / not met, or
    the failed runs it lacks; the rows this file has no runs for are named below, folded.
    heading: with the heading and its note (else the folded list alone where no row is shown)."""
    rows = []
    for t in targets:
        if t.not_run:
            continue
        ident = (f"<td>{esc(t.spec.name)}</td>{num_cell(esc(t.threads or '-'))}"
                 f"{num_cell(esc(dash(t.batch)))}")
        if t.missing:
            rows.append(f'<tr class="target missing">{ident}<td colspan="3">missing: '
                        f'{esc(t.missing)}</td><td>{esc(t.spec.goal)}</td><td>unknown</td></tr>')
            continue
        verdict = verdict_of(t, unknown="n/a")
        cls = verdict_class(verdict)
        nums = "".join(num_cell(v) for v in (kr.fmt_ns(t.num_ns), kr.fmt_ns(t.den_ns),
                                             fmt_ratio(t.ratio)))
        rows.append(f'<tr class="target {cls}">{ident}{nums}<td>{esc(t.spec.goal)}</td>'
                    f"<td>{badge(cls, verdict)}</td></tr>")
    gone = [f"{t.spec.name}" + (f", threads:{t.threads}" if t.threads else "")
            + f": {t.missing}" for t in targets if t.not_run]
    if not heading and not rows:
        return not_run_part(gone, "pages")
    return ('<h3 id="targets">Targets</h3><p class="note">Ratios of median ns per pair from this '
            "file's churn runs, at the same thread count and batch (batch 1 if buddy ran it, "
            "else its smallest): order 0 is size 4096, order 3 size 32768.</p>"
            + (table("targets-table", head_cells(TARGET_HEAD), rows) if rows else "")
            + not_run_part(gone, "pages"))
