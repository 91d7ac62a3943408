"""Section "Throughput and time per operation": per workload, the answer of each case (the
fastest backend at the lowest and highest thread count, from the Summary's findings) and its
evidence. A workload's cases that differ only in their size, three sizes or more (the full and
slab presets' size sweeps), share one figure of small multiples, ns/op against size (a row per
backend family, a column per end thread count), with their answers as a table, a row per case;
any other case has its figure of throughput against threads and a table of ns/op per thread at
the lowest and highest thread count (ns_table()). The counter workloads are left to the Per-CPU
caches section, remote-free-matrix (a group per CPU pair) to the Remote frees section.

Why a case's ns/op is a table, not a figure: ns per operation per thread is threads / throughput,
the two ends of the throughput figure's lines, so a second figure repeated them; the table gives
the same numbers exactly (median, min..max over repetitions), each one's ratio to the fastest
backend and the scaling from the lowest to the highest thread count, which a reader had to read
off a log axis before, and says which runs failed.
"""
import kmb_plots
import kmb_results as kr
import kmb_summary as kms
from kmb_html import cell_text, esc, fmt_ratio, head_cells, num_cell, scroll_box, table

ANCHOR = "plots"
TITLE = "Plots"
SWEEP = "size"       # the parameter a workload's cases are swept over in one figure
SWEEP_MIN = 3        # values of it, at least, for the sweep's figure


def sweeps(groups):
    """The groups of one workload ({params: cells}, in order) as [(rest, {params: cells})]:
    the cases whose params differ in SWEEP alone, keyed by their other params (rest), in
    order; a case without SWEEP is a sweep of one."""
    out = {}
    for params, cells_ in groups.items():
        names = [k for k, _ in params]
        rest = kr.without(params, SWEEP) if SWEEP in names else params
        out.setdefault(rest, {})[params] = cells_
    return list(out.items())


def swept(cases):
    """Whether cases ({params: cells}) are drawn as one size sweep: SWEEP_MIN sizes or more."""
    sizes = {kr.param_value(p, SWEEP) for p in cases}
    return None not in sizes and len(sizes) >= SWEEP_MIN


def answers_table(workload, cases, answers):
    """A row per case: its size and, per end thread count, the FASTEST finding's sentence; the
    row's id is the case's group anchor, where the Summary's findings link."""
    threads = sorted({f.threads for p in cases for f in answers.get(kr.group_anchor(workload,
                                                                                    p), [])})
    if not threads:
        return ""
    rows = []
    for p in cases:
        by = {f.threads: f for f in answers.get(kr.group_anchor(workload, p), [])}
        tds = "".join(f"<td>{esc(by[t].text)}</td>" if t in by else '<td class="na">-</td>'
                      for t in threads)
        size = kr.param_value(p, SWEEP)
        rows.append(f'<tr id="{kr.group_anchor(workload, p)}"><td class="nw">'
                    f"{esc(kr.size_text(size) if isinstance(size, int) else size)}</td>{tds}</tr>")
    rest = kr.params_text(kr.without(next(iter(cases)), SWEEP))
    ths = head_cells([SWEEP] + [f"fastest, {kr.threads_text(t)}" for t in threads])
    return table("answers-" + kr.slug(f"{workload} {rest}"), ths, rows, cls="findings")


def render(run):
    """The section's HTML: its parts, joined."""
    return "\n".join(part() for part in parts(run))


def parts(run):
    """The section in parts, each a function of no arguments returning its HTML, to be joined
    in order (kmbench_report renders the parts of every section on several cores): the
    heading, then per workload, each case's answer (the fastest backend at the lowest and
    highest thread count) and its evidence: one figure of small multiples per size sweep
    (sweeps()), else per case its figure of throughput against threads (backends in small
    multiples by family) and its table of ns/op at the lowest and highest thread count. The
    counter workloads are left to the Per-CPU caches section, which compares them."""
    cells, backends, found = run.cells, run.backends, run.found
    head = ['<h2 id="plots">Throughput and time per operation</h2>',
            '<p class="note">Median over repetitions; error bars span min..max over '
            "repetitions. Mops/s counts the operations of all threads together; ns/op is the "
            "wall-clock time one operation takes a thread (real_time x threads: flat across "
            "thread counts means perfect scaling). A case's ns/op at the lowest and highest "
            "thread count is a table under its throughput figure, not a second figure: it is "
            "threads / throughput, the ends of the figure's lines, and the table gives them "
            "exactly, with each one's ratio to the fastest backend and the scaling between the "
            "two thread counts. Backends are grouped by family where there are more than "
            f"{kr.PANEL_LINES}, each group with the best baseline (dotted) for reference; "
            f"axes are logarithmic where the values span more than {kmb_plots.LOG_SPAN:g}x. "
            f"A workload measured at {SWEEP_MIN} sizes or more has one figure against size "
            "(the sizes evenly spaced), its cases' answers in a table above it.</p>"]
    if not cells:
        head.append("<p>No results in this file.</p>")
    out = [lambda: "\n".join(head)]
    answers = {}
    for f in found:
        if f.kind == kms.FASTEST:
            answers.setdefault(f.anchor, []).append(f)
    workloads = {}
    for (workload, params), group in kr.groups(cells).items():
        if workload not in kr.COUNTER_WORKLOADS and workload != kr.RFM:
            workloads.setdefault(workload, {})[params] = group
    for workload, groups in workloads.items():
        for rest, cases in sweeps(groups):
            if swept(cases):
                out.append(lambda w=workload, r=rest, c=cases: sweep(w, r, c, backends,
                                                                     answers))
            else:
                out += [lambda w=workload, p=p, g=group: case(w, p, g, backends, answers)
                        for p, group in cases.items()]
    return out


def sweep(workload, rest, cases, backends, answers):
    """A size sweep's heading, answers table and figure."""
    title = f"{workload} {kr.params_text(rest)}" if rest else workload
    png = kmb_plots.size_panels(title, [c for g in cases.values() for c in g], backends, SWEEP)
    return (f'<h3 id="{"s-" + kr.slug(title)}">{esc(title)}, against {SWEEP}</h3>'
            + answers_table(workload, list(cases), answers)
            + f'<div class="plots"><img alt="{esc(title)}: ns/op against {SWEEP}" '
            f'src="data:image/png;base64,{png}" class="wide"></div>')


def case(workload, params, group, backends, answers):
    """One case's heading, answers, throughput figure and ns/op table."""
    title = f"{workload} {kr.params_text(params)}"
    anchor = kr.group_anchor(workload, params)
    out = [f'<h3 id="{anchor}">{esc(title)}</h3>']
    if anchor in answers:
        out.append('<ul class="answer">' + "".join(
            f"<li><b>{esc(kr.threads_text(f.threads))}:</b> {esc(f.text)}</li>"
            for f in answers[anchor]) + "</ul>")
    png = kmb_plots.throughput(title, group, backends)
    out.append(f'<div class="plots"><img alt="{esc(title)}: throughput" '
               f'src="data:image/png;base64,{png}">{ns_table(anchor, group, backends)}</div>')
    return "\n".join(out)


def ns_table(anchor, cells, backends):
    """A case's ns per operation per thread (table id anchor-ns): a row per backend, in the
    throughput figure's order (kmb_plots.throughput: kr.panels(), a family's first row of class
    first); per end thread count (the lowest and the highest) its median, min..max over
    repetitions and ratio to the fastest backend at that count (1.00x: the fastest; "failed"
    where its runs failed, "-" where it has no run); then the highest count's median over the
    lowest's (1.00x: perfect scaling). "" without any result."""
    threads = sorted({c.threads for c in cells})
    ends = threads[:1] + threads[-1:] if len(threads) > 1 else threads
    shown = [b for b in backends if any(c.backend == b for c in cells)]
    by = {(c.backend, c.threads): c for c in cells}
    fastest = {t: min((c.ns[0] for c in cells if c.threads == t and c.ns), default=None)
               for t in ends}
    if not any(fastest.values()):
        return ""
    rows = []
    for _, members in kr.panels(shown):
        for i, b in enumerate(members):
            tds, ns = [], []
            for t in ends:
                c = by.get((b, t))
                ns.append(kr.ok_ns(c))
                if ns[-1] is None:
                    missing = "failed" if c is not None and c.errors else "-"
                    tds += [f'<td class="{"failed" if missing == "failed" else "na"}">'
                            f"{missing}</td>", '<td class="na">-</td>', '<td class="na">-</td>']
                    continue
                spread = (f"{kr.fmt_ns(c.ns[1])}..{kr.fmt_ns(c.ns[2])}"
                          if c.ns[1] is not None else "n/a")
                tds += [num_cell(esc(kr.fmt_ns(ns[-1]))), num_cell(cell_text(spread)),
                        num_cell(esc(fmt_ratio(ns[-1] / fastest[t])))]
            if len(ends) > 1:
                tds.append(num_cell(esc(fmt_ratio(ns[1] / ns[0]))) if None not in ns
                           else '<td class="na">-</td>')
            cls = ' class="first"' if i == 0 else ""
            rows.append(f'<tr{cls}><td class="nw">{esc(b)}</td>' + "".join(tds) + "</tr>")
    head = ["backend"]
    for t in ends:
        head += [f"ns/op, {kr.threads_text(t)}", "min..max", "/ fastest"]
    if len(ends) > 1:
        head.append(f"{ends[1]} / {kr.threads_text(ends[0])}")
    return scroll_box(table(f"{anchor}-ns", head_cells(head), rows, cls="nsop"))
