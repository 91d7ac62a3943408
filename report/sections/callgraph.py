"""Section "Call graphs": where the time of each cell that `kmbench run --profile` selected goes
(harness/callgraph.h, results/README.md "Call graphs"). Per profiled cell: its samples, the
event and the cost of profiling (the profiled run's ns/op against the timed runs' median), a
flame graph drawn here as inline SVG from the folded stacks beside the results (the root at the
bottom, a frame's width its share of the samples, children in name order as Brendan Gregg's
flamegraph.pl draws them; no external tool), and the top functions by self and by total samples.
Cells whose profile was unavailable are listed with the reason, and so is perf c2c. A run without
--profile gets a one-line note saying how to have one.
"""
import json
import os
import zlib

import kmb_results as kr
from kmb_html import esc, head_cells, table

ANCHOR = "callgraph"
TITLE = "Call graphs"

WIDTH = 1000        # the SVG's width in px
FRAME_H = 16        # one frame's height in px
MIN_SHARE = 0.005   # frames narrower than this share of the samples (5 px) are not drawn
MAX_DEPTH = 64      # nor frames deeper: a frame-pointer walk into a frame without one can
                    # give a chain of 127 "[unknown]" (perf's limit) for one sample
NAME_CHARS = 70     # a function's name in the tables, longer ones cut (whole in the title)
TOP = 10            # functions in each top list shown


def profiled_rows(benchmarks):
    """[(row, callgraph)] of the first row of every cell with kmbench.callgraph, in file order."""
    seen, out = set(), []
    for row in benchmarks:
        kmb = row.get("kmbench") if isinstance(row, dict) else None
        cg = kmb.get("callgraph") if isinstance(kmb, dict) else None
        if not isinstance(cg, dict):
            continue
        key = kr.identify(row)
        if key not in seen:
            seen.add(key)
            out.append((row, cg))
    return out


def read_folded(path):
    """[(frames, count)] of a folded-stacks file ("a;b;c 12" lines); malformed lines skipped."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if stack and count.isdigit():
                out.append((stack.split(";"), int(count)))
    return out


def tree(stacks):
    """The stacks merged into a tree: {"n": samples, "c": {name: subtree}}."""
    root = {"n": 0, "c": {}}
    for frames, count in stacks:
        node = root
        node["n"] += count
        for name in frames:
            node = node["c"].setdefault(name, {"n": 0, "c": {}})
            node["n"] += count
    return root


def colour(name):
    """A warm colour fixed by the name (flamegraph.pl's "hot" palette: colour carries no data
    beyond telling neighbours apart)."""
    h = zlib.crc32(name.encode())
    return f"rgb({205 + h % 50},{(h >> 8) % 190},{(h >> 16) % 55})"


def flame_svg(stacks, label):
    """The flame graph of stacks as an <svg> element: a <g> per frame with its <title>
    (name, samples, share) for the pointer, text where the frame is wide enough."""
    root = tree(stacks)
    total = root["n"] or 1
    rects, depth = [], 0

    def walk(node, name, x, d):
        nonlocal depth
        w = node["n"] / total * WIDTH
        if node["n"] / total < MIN_SHARE or d > MAX_DEPTH:
            return
        depth = max(depth, d)
        rects.append((name, x, d, w, node["n"]))
        cx = x
        for child in sorted(node["c"]):
            sub = node["c"][child]
            walk(sub, child, cx, d + 1)
            cx += sub["n"] / total * WIDTH

    walk(root, "all", 0.0, 0)
    height = (depth + 1) * FRAME_H
    out = [f'<svg class="flame" width="100%" '
           f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{esc(label)}" '
           f'font-family="monospace" font-size="11">']
    for name, x, d, w, n in rects:
        y = height - (d + 1) * FRAME_H
        tip = f"{name} ({n} samples, {100.0 * n / total:.1f}%)"
        chars = int((w - 4) / 6.6)
        text = name if len(name) <= chars else (name[:chars - 2] + ".." if chars > 3 else "")
        out.append(f'<g class="frame" data-function="{esc(name)}"><title>{esc(tip)}</title>'
                   f'<rect x="{x:.2f}" y="{y}" width="{max(w - 0.5, 0.5):.2f}" '
                   f'height="{FRAME_H - 1}" fill="{colour(name)}"/>'
                   + (f'<text x="{x + 2:.2f}" y="{y + FRAME_H - 4}">{esc(text)}</text>'
                      if text else "") + "</g>")
    out.append("</svg>")
    return "".join(out)


def top_table(top, samples, table_id):
    """The top functions by self and by total samples, side by side."""
    def share(n):
        return f"{100.0 * n / samples:.1f}%" if samples else "n/a"

    self_, total = top.get("self") or [], top.get("total") or []
    rows = []
    for i in range(min(TOP, max(len(self_), len(total)))):
        cells = [f"<td>{i + 1}</td>"]
        for lst in (self_, total):
            if i < len(lst):
                e = lst[i]
                name = str(e.get("function"))
                cut = name if len(name) <= NAME_CHARS else name[:NAME_CHARS - 1] + "\u2026"
                cells += [f'<td><code title="{esc(name)}">{esc(cut)}</code></td>',
                          f'<td class="num">{esc(e.get("samples"))}</td>',
                          f'<td class="num">{share(e.get("samples") or 0)}</td>']
            else:
                cells += ["<td></td>"] * 3
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return table(table_id, head_cells(["#", "function (self)", "samples", "share",
                                       "function (total)", "samples", "share"]), rows)


def cell_text(row):
    backend, workload, params, threads = kr.identify(row)
    return f"{backend}: {kr.case_text(workload, params)}, {kr.threads_text(threads)}"


def overhead_text(cg):
    p, u, o = cg.get("profiled_ns_per_op"), cg.get("unprofiled_ns_per_op"), cg.get("overhead")
    if not isinstance(p, (int, float)) or not isinstance(u, (int, float)):
        return ""
    ratio = f" ({o:.2f}x)" if isinstance(o, (int, float)) else ""
    return (f"; the profiled run took {kr.fmt_ns(p)} ns/op against the timed runs' median "
            f"{kr.fmt_ns(u)} ns/op{ratio}, an extra run never mixed with them")


def c2c_text(cg):
    c2c = cg.get("c2c")
    if not isinstance(c2c, dict):
        return ""
    if c2c.get("status") == "measured":
        return f"perf c2c: measured, report in {c2c.get('report')}"
    return f"perf c2c: unavailable: {c2c.get('reason')}"


def measured_part(row, cg, base, i):
    """A measured cell's heading, answer, flame graph and top table."""
    label = cell_text(row)
    samples = cg.get("samples") or 0
    out = [f'<h3 id="callgraph-{i}">{esc(label)}</h3>',
           f'<p class="callgraph-answer">{esc(samples)} samples of {esc(cg.get("event"))} '
           f'at {esc(cg.get("frequency_hz"))} Hz ({esc(cg.get("event_why"))})'
           f'{esc(overhead_text(cg))}.</p>']
    if cg.get("c2c"):
        out.append(f'<p class="note">{esc(c2c_text(cg))}</p>')
    try:
        stacks = read_folded(os.path.join(base, cg.get("folded") or ""))
        out.append(f'<div class="plots">{flame_svg(stacks, "flame graph: " + label)}</div>')
    except OSError as e:
        out.append(f'<p class="note">No flame graph: {esc(cg.get("folded"))}: '
                   f"{esc(e.strerror)}.</p>")
    try:
        with open(os.path.join(base, cg.get("top") or ""), encoding="utf-8") as f:
            top = json.load(f)
        out.append(top_table(top, top.get("samples") or samples, f"callgraph-top-{i}"))
    except (OSError, ValueError) as e:
        out.append(f'<p class="note">No top functions: {esc(cg.get("top"))}: {esc(e)}.</p>')
    return out


def render(run):
    rows = profiled_rows(run.data.get("benchmarks") or [])
    head = f'<h2 id="{ANCHOR}">{TITLE}</h2>'
    if not rows:
        return (head + '<p class="note">No cell of this run was profiled: '
                "<code>kmbench run --profile</code> (or <code>--profile=CELLS</code>) records "
                "perf call graphs, drawn here as flame graphs.</p>")
    base = os.path.dirname(os.path.abspath(run.path)) if run.path else ""
    out = [head, '<p class="note">Where each profiled cell\'s time goes: <code>perf record '
           "-g</code> (frame pointers) attached to an extra run of the cell after its timed "
           "repetitions, never one of them; its rows are marked (kmbench.callgraph). Each "
           "frame's width is its share of the samples, callers below callees; the pointer "
           "over a frame shows its name and samples.</p>"]
    unavailable = []
    for i, (row, cg) in enumerate(rows):
        if cg.get("status") == "measured" and base:
            out += measured_part(row, cg, base, i)
        else:
            why = cg.get("reason") or "the results file is not in its run directory"
            unavailable.append(f"<tr><td>{esc(cell_text(row))}</td><td>{esc(why)}</td>"
                               f"<td>{esc(c2c_text(cg))}</td></tr>")
    if unavailable:
        out.append("<h3 id=\"callgraph-unavailable\">Profiles unavailable</h3>")
        out.append(table("callgraph-unavailable-table", head_cells(["cell", "reason", "c2c"]),
                         unavailable))
    return "\n".join(out)
