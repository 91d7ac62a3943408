"""Section "NUMA" (docs/numa.md): the run's node policy, the numa-matrix latency and bandwidth by
CPU node and memory node per policy and backend (with a heatmap for bind and preferred), and the
placement check of every result; "" when the file has neither a numa-matrix run nor placement
data.
"""
from dataclasses import dataclass, field

import kmb_plots
import kmb_results as kr
from kmb_html import esc, num_cell, head_cells, table, dash

ANCHOR = "numa"
TITLE = "NUMA"

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
    cell: kr.Cell

    @property
    def latency(self):
        """ns per dependent load: the workload's own load_ns, else Google Benchmark's time."""
        v = self.cell.counters.get("load_ns")
        return v if v is not None else kr.ok_ns(self.cell)

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
        if c.workload != kr.MATRIX:
            continue
        p = dict(c.params)
        mem, cpu = kr.param(c, "mem_node"), kr.param(c, "cpu_node")
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


def render(run):
    """The NUMA section: the run's node policy, the numa-matrix per policy (a CPU node by
    memory node table and heatmap per backend for bind and preferred, one table per policy
    for the others), and the placement check of every result; "" when the file has neither a
    numa-matrix run nor placement data."""
    cells, data, ctx, backends = run.cells, run.data, run.ctx, run.backends
    groups = matrix_groups(cells, backends)
    placement = placement_rows(cells, data.get("benchmarks") or [], backends)
    if not groups and not placement:
        return ""
    policy, by, matrix = numa_options(ctx)
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
            f"repetitions. A cell with less than {PLACEMENT_GOOD:.0%} of its sampled pages "
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
    if pol in MATRIX_GRID:
        imgs = []
        for b, mcells in per_backend.items():
            ys, xs, by = grid(mcells)
            head = "<th>CPU node \\ memory node</th>" + "".join(f"<th>{esc(x)}</th>"
                                                                 for x in xs)
            body = [f'<tr class="matrix"><td>{esc(y)}</td>'
                    + "".join(matrix_td(by.get((y, x))) for x in xs) + "</tr>" for y in ys]
            out.append(f"<h4>{esc(b)}</h4>"
                       + table(f"{anchor}-{kr.slug(b)}", head, body, cls="matrix"))
            if len(ys) * len(xs) < 2:   # one node: the table's one square says it all
                continue
            values = {k: m.latency for k, m in by.items() if m.latency is not None}
            alt = f"numa-matrix {pol} {b} threads:{threads}: ns per load"
            png = kmb_plots.heatmap(f"{b}, {pol}: ns per load", ys, xs, values, "ns per load",
                                    "CPU node", "memory node")
            imgs.append(f'<img alt="{esc(alt)}" src="data:image/png;base64,{png}">')
        if imgs:
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
                  f"{PLACEMENT_GOOD:.0%}", "not checked"]


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
