"""Section "Remote frees": the remote-free cost matrix (workload remote-free-matrix,
docs/workloads.md). Per backend, a heatmap of ns per object (object_ns: the producer's
alloc_ns on the allocating CPU plus the consumer's free_ns on the freeing CPU, each by its own
clock, median over repetitions), allocating CPU by row and freeing CPU by column, the diagonal
the local reference; above the figures each backend's remote/local ratio; then a table of
every backend and size with the ratio, its spread over the pairs and, where the CPUs span
several nodes, the remote pairs within a node and across nodes apart. "" without a
remote-free-matrix run.

The ratio is the median object_ns of the off-diagonal cells over the median of the diagonal
ones; its spread, the cheapest remote pair over the dearest local one to the dearest remote
pair over the cheapest local one. A backend's heatmap is drawn at 4 KiB for the page
allocator (buddy*: its smallest block) and at 64 B for the others, else at its smallest size.
"""
import statistics

import kmb_plots
import kmb_results as kr
from kmb_html import esc, num_cell, head_cells, table, fmt_ratio, cell_text, scroll_box

ANCHOR = "remotefree"
TITLE = "Remote frees"
COST = 2     # its drawing time, about two figures' (sections/__init__.py)

WORKLOAD = kr.RFM
COUNTER = "object_ns"
SIDES = ("alloc_ns", "free_ns")
SHOWN_SIZE = 64              # the size a heatmap is drawn at, but for the page allocator


def matrices(cells_, backends):
    """{(backend, size): {(alloc_cpu, free_cpu): Cell}} of the remote-free-matrix cells, in
    backend order, then size; and {cpu: node} where the cells carry the node pair."""
    out, nodes = {}, {}
    for c in cells_:
        if c.workload != WORKLOAD:
            continue
        i, j, size = kr.param(c, "alloc_cpu"), kr.param(c, "free_cpu"), kr.param(c, "size")
        if not all(isinstance(v, int) for v in (i, j, size)):
            continue
        out.setdefault((c.backend, size), {})[(i, j)] = c
        for cpu, key in ((i, "alloc_node"), (j, "free_node")):
            if isinstance(kr.param(c, key), int):
                nodes[cpu] = kr.param(c, key)
    order = {b: k for k, b in enumerate(backends)}
    return dict(sorted(out.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0][0],
                                                    kv[0][1]))), nodes


def value(cell):
    """ns per object of one cell (object_ns), None when it has none (failed)."""
    return cell.counters.get(COUNTER) if cell is not None else None


def ratio(grid, nodes):
    """{local, remote, ratio, lo, hi, same, cross} of one backend's matrix at one size: the
    medians of the diagonal and off-diagonal cells, their ratio, its spread over the pairs, and
    the remote pairs within a node and across nodes over local (None where there are none)."""
    local = [value(c) for (i, j), c in grid.items() if i == j and value(c) is not None]
    remote = [value(c) for (i, j), c in grid.items() if i != j and value(c) is not None]
    same = [value(c) for (i, j), c in grid.items() if i != j and value(c) is not None
            and i in nodes and nodes.get(i) == nodes.get(j)]
    cross = [value(c) for (i, j), c in grid.items() if i != j and value(c) is not None
             and i in nodes and j in nodes and nodes[i] != nodes[j]]
    r = {"local": statistics.median(local) if local else None,
         "remote": statistics.median(remote) if remote else None,
         "ratio": None, "lo": None, "hi": None, "same": None, "cross": None,
         "pairs": len(remote)}
    if local and remote and min(local) > 0:
        r["ratio"] = r["remote"] / r["local"]
        r["lo"], r["hi"] = min(remote) / max(local), max(remote) / min(local)
        if same:
            r["same"] = statistics.median(same) / r["local"]
        if cross:
            r["cross"] = statistics.median(cross) / r["local"]
    return r


def shown_size(backend, sizes):
    """The size a backend's heatmap is drawn at (see the module's docstring)."""
    want = kr.PAGE_SIZE if backend.startswith("buddy") else SHOWN_SIZE
    return want if want in sizes else min(sizes)


def cpu_label(cpu, nodes):
    return f"{cpu} (node {nodes[cpu]})" if cpu in nodes else str(cpu)


def axis_cpus(grid, ctx):
    """The CPUs of the axes: context.options.rfm.cpus's order where it records them all, else
    ascending."""
    have = sorted({i for i, _ in grid} | {j for _, j in grid})
    opts = ctx.get("options") if isinstance(ctx.get("options"), dict) else {}
    rfm = opts.get("rfm") if isinstance(opts.get("rfm"), dict) else {}
    order = rfm.get("cpus") if isinstance(rfm.get("cpus"), list) else []
    return order if sorted(order) == have else have


def ratio_line(backend, size, r):
    """"slab, 64 B: remote 4.91x local (105 against 21.5 ns per object; pairs 3.40x..5.81x)"."""
    head = f"{backend}, {kr.size_text(size)}: "
    if r["ratio"] is None:
        return head + ("no remote pair (one CPU)" if r["local"] is not None and not r["pairs"]
                       else "no result of both a local and a remote pair")
    text = (f"remote {fmt_ratio(r['ratio'])} local ({kr.fmt_ns(r['remote'])} against "
            f"{kr.fmt_ns(r['local'])} ns per object; pairs {fmt_ratio(r['lo'])}.."
            f"{fmt_ratio(r['hi'])})")
    if r["cross"] is not None:
        text += (f"; within a node {fmt_ratio(r['same'])}, across nodes "
                 f"{fmt_ratio(r['cross'])}")
    return head + text


def render(run):
    """The intro, each backend's ratio at its shown size, its heatmap, and the table."""
    groups, nodes = matrices(run.cells, run.backends)
    if not groups:
        return ""
    out = ['<h2 id="remotefree">Remote frees</h2>',
           '<p class="note">Workload remote-free-matrix: for every ordered pair of CPUs '
           "(i, j), a producer pinned on CPU i allocates objects and hands them through a "
           "ring to a consumer pinned on CPU j, which frees them. ns per object: the "
           "producer's allocation time (alloc_ns) plus the consumer's free time (free_ns), "
           "each by its own clock over batches of 64, without the ring or the waits (lower "
           "is better); median over repetitions. The diagonal is the local reference: the "
           "same pair with both threads on CPU i, taking turns. remote / local: the median "
           "off-diagonal cell over the median diagonal one; its spread runs from the "
           "cheapest remote pair over the dearest local one to the dearest over the "
           "cheapest.</p>"]
    sizes = {}
    for b, size in groups:
        sizes.setdefault(b, []).append(size)
    lines, imgs = [], []
    for b, have in sizes.items():
        size = shown_size(b, have)
        grid = groups[(b, size)]
        r = ratio(grid, nodes)
        lines.append(f'<li class="rf-ratio" data-backend="{esc(b)}" data-size="{size}">'
                     f"{esc(ratio_line(b, size, r))}</li>")
        cpus = axis_cpus(grid, run.ctx)
        labels = [cpu_label(c, nodes) for c in cpus]
        values = {(cpu_label(i, nodes), cpu_label(j, nodes)): value(c)
                  for (i, j), c in grid.items() if value(c) is not None}
        title = f"{b}, {kr.size_text(size)}: ns per object"
        if r["ratio"] is not None:
            title += f" (remote / local {fmt_ratio(r['ratio'])})"
        png = kmb_plots.heatmap(title, labels, labels, values, "ns per object",
                                "allocating CPU", "freeing CPU")
        imgs.append(f'<img alt="remote-free-matrix {esc(b)} size:{size}: ns per object" '
                    f'src="data:image/png;base64,{png}">')
    out.append(f'<ul class="rf-ratios">{"".join(lines)}</ul>')
    out.append('<div class="plots">' + "".join(imgs) + "</div>")
    out.append(ratio_table(groups, nodes))
    return "\n".join(out)


def ratio_table(groups, nodes):
    """Every backend and size: local and remote ns per object, the ratio and its spread, the
    two sides of a remote object, and within / across nodes where there are several."""
    several = len(set(nodes.values())) > 1
    head = ["backend", "size", "local ns per object", "remote ns per object", "remote / local",
            "pairs (cheapest..dearest)", "remote alloc_ns", "remote free_ns"]
    if several:
        head += ["within a node / local", "across nodes / local"]
    rows = []
    for (b, size), grid in groups.items():
        r = ratio(grid, nodes)
        remote = [c for (i, j), c in grid.items() if i != j]
        sides = [statistics.median(v) if v else None for v in
                 ([c.counters[k] for c in remote if k in c.counters] for k in SIDES)]
        failed = any(c.errors and value(c) is None for c in grid.values())
        vals = [kr.fmt_ns(r["local"]), kr.fmt_ns(r["remote"]),
                "failed" if r["ratio"] is None and failed else fmt_ratio(r["ratio"]),
                "n/a" if r["lo"] is None else f"{fmt_ratio(r['lo'])}..{fmt_ratio(r['hi'])}",
                kr.fmt_ns(sides[0]), kr.fmt_ns(sides[1])]
        if several:
            vals += [fmt_ratio(r["same"]), fmt_ratio(r["cross"])]
        rows.append(f'<tr class="rf" data-backend="{esc(b)}" data-size="{size}">'
                    f"<td>{esc(b)}</td>{num_cell(esc(size))}"
                    + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    return ('<h3 id="remotefree-table">Every backend</h3>'
            + scroll_box(table("remotefree-table", head_cells(head), rows)))
