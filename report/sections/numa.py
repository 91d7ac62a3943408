"""Section "NUMA" (docs/numa.md): the run's node policy, the numa-matrix latency and bandwidth by
CPU node and memory node per policy and backend (with a heatmap for bind and preferred), and the
placement check of every result; "" when the file has neither a numa-matrix run nor placement
data.
"""
import kmb_plots
import kmb_results as kr
from kmb_html import esc, num_cell, head_cells, table, dash

ANCHOR = "numa"
TITLE = "NUMA"


def render(run):
    """The NUMA section: the run's node policy, the numa-matrix per policy (a CPU node by
    memory node table and heatmap per backend for bind and preferred, one table per policy
    for the others), and the placement check of every result; "" when the file has neither a
    numa-matrix run nor placement data."""
    cells, data, ctx, backends = run.cells, run.data, run.ctx, run.backends
    groups = kr.matrix_groups(cells, backends)
    placement = kr.placement_rows(cells, data.get("benchmarks") or [], backends)
    if not groups and not placement:
        return ""
    policy, by, matrix = kr.numa_options(ctx)
    how = "; ".join(f"{esc(b)}: {esc(v)}" for b, v in by.items())
    out = ['<h2 id="numa">NUMA</h2>',
           f'<p class="note">Node policy of the run (--numa-policy): <b>{esc(policy)}</b>'
           + (f" ({how})" if how else "") + ". The numa-matrix cells place their own memory "
           "and ignore it.</p>"]
    if groups:
        out.append(matrix_intro(matrix))
    for (pol, threads), per_backend in groups.items():
        out.append(matrix_part(pol, threads, per_backend))
    out.append(placement_table(placement))
    return "\n".join(out)


def matrix_intro(matrix):
    """What the numa-matrix measured, and the policies that had no cell on the machine."""
    buf = matrix.get("buffer")
    size = f"{buf / 2**20:g} MiB" if isinstance(buf, (int, float)) and buf else "?"
    skipped = matrix.get("skipped")
    return ('<p class="note">Workload numa-matrix: each thread, on a CPU of the CPU node, '
            f"builds a buffer of {esc(size)} from pages the backend allocates under the "
            "cell's policy (bind: on the memory node with __GFP_THISNODE; preferred: there "
            "first; local: the thread's node; remote: the node farthest from it; interleave: "
            "page by page over every node with memory), links its 64-byte lines into one "
            "random cycle and follows it: ns per dependent load (load_ns, latency; lower is "
            "better), then reads it all: GB/s per thread (read_gbs). Medians over "
            f"repetitions. A cell with less than {kr.PLACEMENT_GOOD:.0%} of its sampled pages "
            "on the intended node is marked <span class=\"misplaced\">misplaced</span>.</p>"
            + (f'<p class="note missing">No cell here: {esc(skipped)}.</p>' if skipped else ""))


def matrix_value(m):
    """One cell's text: latency and bandwidth, "failed", or n/a; a title with the placement."""
    if m is None:
        return "n/a", "", ""
    if m.latency is None:
        return ("failed" if m.cell.errors else "n/a"), "failed" if m.cell.errors else "", \
            "; ".join(sorted(set(m.cell.errors)))
    text = kr.fmt_ns(m.latency) + " ns"
    if m.bandwidth is not None:
        text += f" / {m.bandwidth:.2f} GB/s"
    place = m.placement
    if m.misplaced:
        text += f" (placement {place:.2f})"
    return text, "misplaced" if m.misplaced else "", \
        "" if place is None else f"placement_ok {place:.3f}"


def matrix_td(m):
    text, cls, title = matrix_value(m)
    attrs = (f' class="num {cls}"' if cls else ' class="num"') + \
        (f' title="{esc(title)}"' if title else "")
    return f"<td{attrs}>{esc(text)}</td>"


def matrix_part(pol, threads, per_backend):
    """One policy at one thread count."""
    anchor = f"numa-{kr.slug(pol)}-t{threads}"
    out = [f'<h3 id="{anchor}">{esc(pol)}, {threads} thread{"s" if threads > 1 else ""}</h3>']
    if pol in kr.MATRIX_GRID:
        imgs = []
        for b, mcells in per_backend.items():
            ys, xs, by = kr.grid(mcells)
            head = "<th>CPU node \\ memory node</th>" + "".join(f"<th>{esc(x)}</th>"
                                                                 for x in xs)
            body = [f'<tr class="matrix"><td>{esc(y)}</td>'
                    + "".join(matrix_td(by.get((y, x))) for x in xs) + "</tr>" for y in ys]
            out.append(f"<h4>{esc(b)}</h4>"
                       + table(f"{anchor}-{kr.slug(b)}", head, body, cls="matrix"))
            values = {k: m.latency for k, m in by.items() if m.latency is not None}
            alt = f"numa-matrix {pol} {b} threads:{threads}: ns per load"
            png = kmb_plots.heatmap(f"{b}, {pol}: ns per load", ys, xs, values, "ns per load",
                                    "CPU node", "memory node")
            imgs.append(f'<img alt="{esc(alt)}" src="data:image/png;base64,{png}">')
        out.append('<div class="plots">' + "".join(imgs) + "</div>")
        return "\n".join(out)
    ys = sorted({m.cpu_node for ms in per_backend.values() for m in ms})
    head = "<th>CPU node</th>" + "".join(f"<th>{esc(b)}</th>" for b in per_backend)
    body = []
    for y in ys:
        cells_ = [next((m for m in ms if m.cpu_node == y), None) for ms in per_backend.values()]
        mem = sorted({m.mem_node for m in cells_ if m is not None})
        where = "every node" if mem == [-1] else ", ".join(str(x) for x in mem)
        body.append(f'<tr class="matrix"><td>{esc(y)} (memory: {esc(where)})</td>'
                    + "".join(matrix_td(m) for m in cells_) + "</tr>")
    out.append(table(anchor, head, body, cls="matrix"))
    return "\n".join(out)


PLACEMENT_HEAD = ["backend", "results checked", "lowest placement_ok", "below "
                  f"{kr.PLACEMENT_GOOD:.0%}", "not checked"]


def placement_table(rows):
    """Per backend: how much of each result's memory was on the intended nodes."""
    head = ('<h3 id="numa-placement">Placement</h3><p class="note">After each run (numa-matrix: '
            "on its buffers) the pages of a sample of the backend's memory are looked up with "
            "move_pages(2); placement_ok is the fraction on the nodes the node policy intends "
            "(the thread's own node without one). Medians over repetitions.</p>")
    if not rows:
        return head + '<p class="note missing">No run of this file checked its placement.</p>'
    body = []
    for r in rows:
        flagged = "; ".join(f"{c.workload} {kr.params_text(c.params)} threads:{c.threads}: "
                            f"{v:.2f}" for c, v in r.flagged)
        missing = "; ".join(f"{n} run{'s' if n > 1 else ''}: {why}"
                            for why, n in r.unavailable.items())
        cls = ' class="failed"' if r.flagged else ""
        body.append(f'<tr{cls}><td>{esc(r.backend)}</td>{num_cell(r.checked)}'
                    f"{num_cell(dash(None if r.lowest is None else f'{r.lowest:.2f}'))}"
                    f"<td>{esc(flagged or '-')}</td><td>{esc(missing or '-')}</td></tr>")
    return head + table("numa-placement-table", head_cells(PLACEMENT_HEAD), body)
