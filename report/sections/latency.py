"""Section "Latency percentiles": the profile pass's sampled alloc and free latencies
(results/README.md, harness/profile.h) of every workload that allocates, for its first
parameters at its most threads: per workload the lowest and highest p99 stated and, where the
rows carry the distributions (kmbench.profile.latency), the lowest and highest median and the
widest spread (p99 / p50); then one figure, a panel per workload, of the alloc CDFs (free where
a workload samples no alloc); else of the backends' p50, p90, p99, p99.9 and max (log ns) and a
note that the file has no distributions. A panel draws every backend where they fit in
kr.PANEL_LINES, else the lowest-median backend of each family (kr.representatives); the table
under it has every cell. "" where no row has them (a file from before the pass, or a run with
--no-profile).
"""
import kmb_plots
import kmb_results as kr
from kmb_html import answer_rows, case_row, head_cells, scroll_box, table, view_figure

ANCHOR = "latency"
TITLE = "Latency percentiles"

LABELS = ("p50", "p90", "p99", "p99.9", "max")   # kr.PROFILE_PCTS as a reader says them


def values(cell, op):
    """[ns or None] of cell's op at each percentile."""
    return [cell.counters.get(kr.lat_key(op, p)) for p in kr.PROFILE_PCTS]


def p99_line(workload, params, threads, cells_, backends):
    """"alloc p99 lowest: slab 41 ns; highest: buddy 131 ns (churn, 64 B, 2 threads)"."""
    have = [(c.counters[kr.lat_key("alloc", "p99")], backends.index(c.backend)
             if c.backend in backends else len(backends), c.backend) for c in cells_
            if c.counters.get(kr.lat_key("alloc", "p99")) is not None]
    if not have:
        return "no alloc latency sampled"
    lo, hi = min(have), max(have)
    where = f"({kr.case_text(workload, params)}, {kr.threads_text(threads)})"
    if len(have) == 1:
        return f"alloc p99: {lo[2]} {kr.fmt_ns(lo[0])} ns {where}"
    ratio = f", {hi[0] / lo[0]:.1f}x the lowest" if lo[0] else ""
    return (f"alloc p99 lowest: {lo[2]} {kr.fmt_ns(lo[0])} ns; highest: {hi[2]} "
            f"{kr.fmt_ns(hi[0])} ns{ratio} {where}")


def render(run):
    return "\n".join(part() for part in parts(run))


def parts(run):
    """The section in parts (sections/__init__.py): the heading, its figure with the answers
    above it, then the notes and the table; [] without latency data."""
    cells_ = kr.profile_cells(run.cells, *(kr.lat_key(op, "p50") for op in kr.PROFILE_OPS))
    if not cells_:
        return []
    out = [f'<h2 id="{ANCHOR}">{TITLE}</h2>',
           '<p class="note">The profile pass (results/README.md): after a cell\'s timed runs, '
           "the workload runs once more, for about 1/8 of --min-time, through a wrapped "
           "backend whose alloc and free time about one call in 64 at random intervals "
           "(every call where an operation takes 2 us or more), so nothing is added to the "
           "timed runs. ns per call, all threads' samples together, each including about one "
           "clock read (clock_ns in the table's rows); percentiles are histogram buckets at "
           "most 3.1% above the sample, max exact. Per workload, its first parameters at its "
           f"most threads: a panel each, with every backend where there are "
           f"{kr.PANEL_LINES} or fewer, else the one of each family with the lowest median "
           "(alloc); every cell and both operations in the table.</p>"]
    picks = kr.figure_picks(cells_, run.backends)
    have = any(distribution(kr.profile_of(run.data, c), op) for c in cells_
               for op in kr.PROFILE_OPS)
    tail = []
    if not have:
        tail.append('<p class="note missing" id="latency-cdf-left-out">Left out: the latency '
                   "CDFs. This file's rows carry the percentiles only, not the distributions "
                   "behind them (kmbench.profile.latency, results/README.md: written by "
                   "kmbench since the profile pass recorded them).</p>")
    tail.append(cell_table(cells_, run))
    return [kr.weigh(0, lambda: "\n".join(out)), lambda: view(run, picks, have),
            kr.weigh(0, lambda: "\n".join(tail))]


def view(run, picks, cdfs):
    """Each workload's answers, then the figure of every workload's CDFs (cdfs) or percentiles
    (the CDF holds every percentile that figure would draw, so it is left out where the CDFs
    are drawn)."""
    rows, panels, names = [], [], []
    for w, params, threads, pick, order in picks:
        answers = [("latency-answer", p99_line(w, params, threads, pick, run.backends))]
        rows.append((w, answers))
        if not cdfs:
            lines = {c.backend: values(c, "alloc") for c in pick}
            shown = kr.representatives([b for b in order if any(lines.get(b, []))],
                                       lambda b: lines[b][0])
            panels.append((kmb_plots.case_title(w, params, threads),
                           {b: lines[b] for b in shown}))
            names.append(w)
            continue
        dists = dists_of(run, pick)
        if not dists:
            continue
        answers.append(("latency-cdf-answer",
                        cdf_answer(w, params, threads, dists, run.backends)))
        op = "alloc" if any(o == "alloc" for _, o in dists) else "free"
        have = {b: d for (b, o), d in dists.items() if o == op}
        shown = kr.representatives([b for b in order if b in have],
                                   lambda b: quantile(have[b], 0.5))
        what = "free" if op == "free" else ""
        panels.append((kmb_plots.case_title(w, params, threads, what),
                       {b: have[b] for b in shown}))
        names.append(w)
    if cdfs:
        png = kmb_plots.cdf_panels("Latency per call (alloc), CDF: a panel per workload", panels)
        alt = "latency CDF, a panel per workload"
    else:
        png = kmb_plots.percentile_panels("Latency per call (alloc): a panel per workload",
                                          panels, LABELS)
        alt = "latency percentiles, a panel per workload"
    return "\n".join(['<h3 id="latency-view">Per workload</h3>',
                      answer_rows("latency-answers", rows), view_figure(alt, png, names)])


TABLE_HEAD = ["workload", "params", "threads", "backend",
              *(f"alloc {p}" for p in LABELS), "alloc samples",
              *(f"free {p}" for p in LABELS), "free samples"]


def cell_table(cells_, run):
    rows = []
    for c in kr.by_case(cells_, run.backends):
        vals = []
        for op in kr.PROFILE_OPS:
            vals += [kr.fmt_ns(v) for v in values(c, op)]
            vals.append(kr.fmt_counter(c.counters.get(f"{op}_lat_samples")))
        rows.append(case_row("lat", c, vals))
    return ('<h3 id="latency-table">Every cell (ns per call)</h3>'
            + scroll_box(table("latency-table", head_cells(TABLE_HEAD), rows)))


def distribution(prof, op):
    """([le ns], [share of samples at or under it]) of op's distribution in a cell's
    kmbench.profile (results/README.md: latency.<op>.le_ns, count), None where it has none or
    it is malformed (not increasing, lengths apart)."""
    d = ((prof or {}).get("latency") or {}).get(op)
    if not isinstance(d, dict):
        return None
    le, count = d.get("le_ns"), d.get("count")
    if (not isinstance(le, list) or not isinstance(count, list) or not le
            or len(le) != len(count) or not count[-1]
            or any(b <= a for a, b in zip(le, le[1:]))
            or any(b < a for a, b in zip(count, count[1:]))):
        return None
    return le, [n / count[-1] for n in count]


def quantile(dist, q):
    """The nearest-rank q-quantile of a distribution: the first le whose share reaches q."""
    le, share = dist
    return next(x for x, f in zip(le, share) if f >= q - 1e-12)


def cdf_answer(workload, params, threads, dists, backends):
    """"alloc median lowest: slab 41 ns; highest: buddy 131 ns; widest (p99 / p50): glibc
    5.2x (churn, 64 B, 2 threads)", of the alloc distributions (the free ones where no alloc)."""
    op = "alloc" if any(k[1] == "alloc" for k in dists) else "free"
    rank = {b: i for i, b in enumerate(backends)}
    med = sorted((quantile(d, 0.5), rank.get(b, len(rank)), b) for (b, o), d in dists.items()
                 if o == op)
    wide = sorted((quantile(d, 0.99) / quantile(d, 0.5), rank.get(b, len(rank)), b)
                  for (b, o), d in dists.items() if o == op and quantile(d, 0.5))
    where = f"({kr.case_text(workload, params)}, {kr.threads_text(threads)})"
    text = f"{op} median lowest: {med[0][2]} {kr.fmt_ns(med[0][0])} ns"
    if len(med) > 1:
        text += f"; highest: {med[-1][2]} {kr.fmt_ns(med[-1][0])} ns"
    if wide:
        text += f"; widest (p99 / p50): {wide[-1][2]} {wide[-1][0]:.1f}x"
    return f"{text} {where}"


def dists_of(run, pick):
    """{(backend, op): distribution} of a workload's figure cells that have one."""
    dists = {}
    for c in pick:
        prof = kr.profile_of(run.data, c)
        for op in kr.PROFILE_OPS:
            d = distribution(prof, op)
            if d:
                dists[(c.backend, op)] = d
    return dists
