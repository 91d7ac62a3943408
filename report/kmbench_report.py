#!/usr/bin/python3
"""kmbench report: turn one results file (results/README.md) into one self-contained HTML page.

    /usr/bin/python3 report/kmbench_report.py RESULTS.json [-o OUT.html] [--title T]

The page (default: index.html beside RESULTS.json) holds the run's header, per (workload, params)
throughput and ns/op plots; where the file has them, the page allocator's order sweep and targets
(churn runs of buddy, against mmap), the slab allocators' targets against the malloc baselines,
size sweep, aligned-against-packed ratios, constructor caching and memory efficiency (runs of
slab, slab-packed, slab-colored or kmalloc), the per-CPU caches (runs of the <layer>-<mode>
backends, remote-free and the counter workloads: scaling per mode, the per-CPU targets, remote
frees, counters), mempool under pressure (mempool-pressure runs: throughput and latency
percentiles against the failure rate, waits), vmalloc (runs of untouched, first-touch, access
and the vmtest patterns: vmalloc against kmalloc and buddy over the sizes, the 64 KiB target,
page faults, the window's stats) and the fragmentation series (<name>_at_<N>k counters); a table of every result (median over repetitions), the backends' status and their own
stats, the perf counters' availability and the full context. Images are embedded as base64 PNG;
there is no script and no external reference, so the file can be mailed or archived alone.

Reads the results file and nothing else (STYLE.md point 12). Runs on Debian's /usr/bin/python3
with python3-matplotlib. Exit status: 0 written, 2 unusable input, 1 output cannot be written.

NUMA (section "NUMA", where the file has numa-matrix runs or placement data): the run's node
policy, the numa-matrix latency and bandwidth by CPU node and memory node per policy and
backend (with a heatmap for bind and preferred), and the placement check of every result.
"""
import argparse
import datetime
import html
import os
import sys
import tempfile

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kmb_plots  # noqa: E402
import kmb_results as kr  # noqa: E402
import kmb_summary as kms  # noqa: E402

PROG = "kmbench_report"
CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: #1d232b; margin: 0 auto; padding: 0 24px 48px; max-width: 1560px; }
header { border-bottom: 2px solid #2c5d8a; margin-bottom: 12px; }
h1 { margin: 18px 0 6px; font-size: 24px; }
h2 { margin: 28px 0 8px; font-size: 19px; border-bottom: 1px solid #d5dbe1; padding-bottom: 3px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
dl.meta { display: grid; grid-template-columns: max-content auto max-content auto;
          gap: 2px 14px; margin: 8px 0 12px; }
dl.meta dt { color: #5b6670; } dl.meta dd { margin: 0; font-family: ui-monospace, monospace; }
p.summary { margin: 6px 0 12px; } nav a { margin-right: 14px; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.plots img { box-sizing: border-box; width: calc(50% - 6px); min-width: 520px; max-width: 100%;
             height: auto; border: 1px solid #e3e7eb; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #d5dbe1; padding: 3px 7px; vertical-align: top; text-align: left; }
th { background: #eef2f6; position: sticky; top: 0; }
td.nw { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f8fafb; }
tr.first td { border-top: 2px solid #98a6b3; }
tr.best td.ns { font-weight: 600; }
tr.failed td { background: #fdecee; color: #8a1020; }
td.misplaced, span.misplaced { background: #fff1d6; color: #7a4b00; }
td.failed { background: #fdecee; color: #8a1020; }
.na { color: #97a0a8; }
.scroll { overflow-x: auto; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; color: #fff; }
.ok { background: #2e7d32; } .skipped { background: #8d6e00; } .failed { background: #b00020; }
.unknown { background: #667; }
table.ctx td:first-child { font-family: ui-monospace, monospace; white-space: nowrap; }
table.ctx table { font-size: 12px; margin: 0; }
.note { color: #5b6670; font-size: 12.5px; }
.badge.met { background: #2e7d32; } .badge.not-met { background: #b00020; }
tr.missing td { color: #8a1020; }
tr.headline td:first-child { font-weight: 600; white-space: nowrap; }
p.missing { color: #8a1020; }
table.stats td.key { font-family: ui-monospace, monospace; white-space: nowrap; }
table.findings { margin: 4px 0 8px; } table.findings td { padding: 3px 9px; }
table.findings td.where { font-weight: 600; white-space: nowrap; color: #2c5d8a; }
table.findings tr.uncertain td { color: #5b6670; }
table.findings details, details.more, details.notrun { font-size: 12.5px; color: #5b6670; }
details.more, details.notrun { margin: 4px 0 10px; } details summary { cursor: pointer; }
ul.answer { margin: 2px 0 8px; padding-left: 20px; }
figure.stat { margin: 8px 0; } figure.stat figcaption { font-family: ui-monospace, monospace;
                                                          font-weight: 600; color: #2c5d8a; }
figure.stat pre { margin: 2px 0; padding: 6px 8px; background: #f6f8fa; border: 1px solid
                  #e3e7eb; font-size: 12px; line-height: 1.3; overflow: auto; max-height: 36em; }
"""


def esc(value):
    """Escape text for HTML; "://" is written with entities so no URL appears in the source."""
    return html.escape(str(value)).replace("://", ":&#47;&#47;")


def num_cell(text):
    """A right-aligned table cell; text is HTML already (escaped or made here)."""
    return f'<td class="num">{text}</td>'


def head_cells(names):
    """The <th> cells of a header row, one per name."""
    return "".join(f"<th>{esc(h)}</th>" for h in names)


def table(table_id, ths, rows, cls=None):
    """A table with one header row of the cells ths and the body rows (HTML)."""
    attrs = f' id="{esc(table_id)}"' + (f' class="{cls}"' if cls else "")
    return (f"<table{attrs}><thead><tr>{ths}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def verdict_of(t, unknown="unknown"):
    """met, not met or unknown (t.met None: a run missing, or a zero denominator)."""
    return unknown if t.met is None else "met" if t.met else "not met"


def verdict_class(verdict):
    """The row and badge class of a verdict: met, not-met or missing."""
    return {"met": "met", "not met": "not-met"}.get(verdict, "missing")


def badge(cls, text):
    """A coloured label (.badge.cls in CSS); text is HTML already."""
    return f'<span class="badge {cls}">{text}</span>'


class Raw(str):
    """HTML the report wrote itself: render_value passes it through unescaped."""


def render_value(v, depth=0):
    """Nested JSON as readable HTML: dicts as key/value tables, lists of objects as tables."""
    if isinstance(v, Raw):
        return str(v)
    if v is None:
        return '<span class="na">null</span>'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return esc(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        rows = "".join(f"<tr><td>{esc(k)}</td><td>{render_value(x, depth + 1)}</td></tr>"
                       for k, x in v.items())
        return f"<table>{rows}</table>"
    if isinstance(v, list):
        if all(not isinstance(x, (dict, list)) for x in v):
            return esc(", ".join("null" if x is None else str(x) for x in v)) or "[]"
        if all(isinstance(x, list) for x in v):   # a matrix, e.g. NUMA distances
            rows = "".join("<tr>" + "".join(num_cell(render_value(y, depth + 1)) for y in row)
                           + "</tr>" for row in v)
            return f"<table>{rows}</table>"
        if all(isinstance(x, dict) for x in v):
            keys = list(dict.fromkeys(k for x in v for k in x))
            head = "".join(f"<th>{esc(k)}</th>" for k in keys)
            rows = "".join("<tr>" + "".join(f"<td>{render_value(x.get(k), depth + 1)}</td>"
                                            for k in keys) + "</tr>" for x in v)
            return f"<table><tr>{head}</tr>{rows}</table>"
        return "<br>".join(render_value(x, depth + 1) for x in v)
    return esc(repr(v))


def run_id(data):
    """The context's run id, else the first run's kmbench.run_id."""
    ctx = data.get("context") or {}
    for run in [ctx] + [r.get("kmbench") for r in data["benchmarks"] if isinstance(r, dict)]:
        if isinstance(run, dict) and run.get("run_id"):
            return str(run["run_id"])
    return None


def header(title, ctx, run, path):
    items = [
        ("run id", run), ("date", ctx.get("date")), ("host", ctx.get("host_name")),
        ("CPU model", ctx.get("cpu_model")), ("kernel", ctx.get("kernel")),
        ("build type", ctx.get("build_type")), ("git commit", ctx.get("git_commit")),
        ("compiler", ctx.get("compiler")), ("kmbench", ctx.get("kmbench_version")),
        ("CPUs", ctx.get("num_cpus")), ("pinning", ctx.get("pin_policy")),
        ("results file", os.path.basename(path)),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc('unknown' if v is None else v)}</dd>"
                 for k, v in items)
    return f"<header><h1>{esc(title)}</h1><dl class=\"meta\">{dl}</dl></header>"


def counts(ctx, cells, backends):
    """One line of counts: backends with results, those not run, failed runs, counters."""
    backends = [b for b in backends if b != kr.NO_ALLOCATOR]   # the counters' process
    status = {b: (ctx.get("backends") or {}).get(b, {}).get("status", "ok") for b in backends}
    ran = [b for b in backends if any(c.backend == b and c.ns for c in cells)]
    not_ok = [f"{b} ({s})" for b, s in status.items() if s != "ok"]
    nfail = sum(len(c.errors) for c in cells)
    unavailable = (ctx.get("counters") or {}).get("unavailable") or {}
    parts = [f"{len(ran)} of {len(backends)} backends have results"]
    if not_ok:
        parts.append("not run: " + ", ".join(not_ok))
    pairs = sum(len(c.errors) for c in cells if c.workload == kr.REMOTE_FREE and c.threads % 2)
    parts.append(f"{nfail} failed run{'s' if nfail != 1 else ''}"
                 + (f" ({pairs} of them remote-free at an odd thread count: it needs pairs)"
                    if pairs else ""))
    if unavailable:
        parts.append(f"{len(unavailable)} counters unavailable")
    return "; ".join(parts) + "."


EVIDENCE = {kms.FASTEST: "plots", kms.ALIGNED: "table", kms.SHARING: "counters",
            kms.SCALING: "plots", kms.PERCPU: "plots"}


def finding_rows(found):
    """One <tr> per finding: its case, its sentence (with any details folded), its evidence."""
    rows = []
    for f in found:
        more = ""
        if f.details:
            more = ('<details><summary>more</summary>'
                    + "".join(f"<div>{esc(d)}</div>" for d in f.details) + "</details>")
        cls = f"finding {f.kind}" + (" uncertain" if f.uncertain else "")
        rows.append(f'<tr class="{cls}"><td class="where">{esc(f.where)}</td>'
                    f"<td>{esc(f.text)}{more}</td>"
                    f'<td><a href="#{esc(f.anchor)}">{EVIDENCE.get(f.kind, "evidence")}</a>'
                    "</td></tr>")
    return rows


def summary_block(found, ctx, cells, backends):
    """The report's first section: the run's findings (kmb_summary), the rest of the fastest
    cases folded below them, and the counts."""
    shown, folded = kms.headline(found)
    out = ['<section><h2 id="summary">Summary</h2>']
    if shown:
        out.append(f'<p class="note">{esc(kms.intro(cells))}</p>')
        out.append(f'<table id="findings-table" class="findings"><tbody>'
                   f'{"".join(finding_rows(shown))}</tbody></table>')
    else:
        out.append('<p class="note">No finding: the results have no two backends to '
                   "compare.</p>")
    if folded:
        out.append(f'<details class="more"><summary>{len(folded)} more case'
                   f'{"s" if len(folded) > 1 else ""}: the fastest backend</summary>'
                   f'<table id="findings-more" class="findings"><tbody>'
                   f'{"".join(finding_rows(folded))}</tbody></table></details>')
    out.append(f'<p class="summary">{esc(counts(ctx, cells, backends))}</p></section>')
    return "\n".join(out)


def nav(sections):
    """Links to the sections: [(anchor, title)]."""
    return "<nav>" + "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in sections) + "</nav>"


def plots(cells, backends, found):
    """Per (workload, params) group, the answer (the fastest backend at the lowest and highest
    thread count) and two figures: throughput against threads and ns/op at the lowest and
    highest thread count, backends in small multiples by family. The counter workloads are
    left to the Per-CPU caches section, which compares them."""
    out = ['<h2 id="plots">Throughput and time per operation</h2>',
           '<p class="note">Median over repetitions; error bars span min..max over '
           "repetitions. Mops/s counts the operations of all threads together; ns/op is the "
           "wall-clock time one operation takes a thread (real_time x threads: flat across "
           "thread counts means perfect scaling), shown at the lowest and highest thread "
           "count. Backends are grouped by family where there are more than "
           f"{kr.PANEL_LINES}, each group with the best baseline (dotted) for reference; "
           f"axes are logarithmic where the values span more than {kmb_plots.LOG_SPAN:g}x.</p>"]
    answers = {}
    for f in found:
        if f.kind == kms.FASTEST:
            answers.setdefault(f.anchor, []).append(f)
    for (workload, params), group in kr.groups(cells).items():
        if workload in kr.COUNTER_WORKLOADS:
            continue
        title = f"{workload} {kr.params_text(params)}"
        anchor = kr.group_anchor(workload, params)
        out.append(f'<h3 id="{anchor}">{esc(title)}</h3>')
        if anchor in answers:
            out.append('<ul class="answer">' + "".join(
                f"<li><b>{esc(kr.threads_text(f.threads))}:</b> {esc(f.text)}</li>"
                for f in answers[anchor]) + "</ul>")
        out.append('<div class="plots">')
        for fn, what in ((kmb_plots.throughput, "throughput"), (kmb_plots.ns_per_op, "ns/op")):
            png = fn(title, group, backends)
            out.append(f'<img alt="{esc(title)}: {what}" src="data:image/png;base64,{png}">')
        out.append("</div>")
    if not cells:
        out.append("<p>No results in this file.</p>")
    return "\n".join(out)


def not_run_part(lines, preset):
    """A folded list of the target rows this file has no runs for (none failed), and the
    preset that runs them; "" when there are none."""
    if not lines:
        return ""
    n = len(lines)
    return (f'<details class="notrun"><summary>Not in this run: {n} target row'
            f'{"s" if n > 1 else ""} (<code>--preset {esc(preset)}</code> runs them)</summary>'
            "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul></details>")


PAGE_BACKENDS = ("buddy", "mmap")   # the page allocator and its reference, mmap+touch+munmap


def pages_block(cells):
    """Order sweep and targets of the buddy page allocator; "" without buddy churn runs. A sweep
    needs two orders or more; targets the file has no runs for are named, folded. Without a
    sweep or a target row to show, one note says what the section needs."""
    if not any(c.workload == "churn" and c.backend == "buddy" for c in cells):
        return ""
    sweeps = {rest: points for rest, points in order_points(cells).items()
              if len({o for pts in points.values() for o, _ in pts}) > 1}
    targets = kr.page_targets(cells)
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
        order = kr.page_order(kr.param(c, "size"))
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


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


def slab_block(cells, backends):
    """Targets, size sweep, aligned against packed, constructor caching and memory efficiency
    of the kernel-style backends (kr.SLAB_BACKENDS); "" without any run of them."""
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


def dash(v):
    return "-" if v is None else v


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


def percpu_block(cells, ctx):
    """The per-CPU modes of the run, scaling per mode (slab with the baselines, buddy), the
    issue's targets, remote frees and the counters; "" without any run of a <layer>-<mode>
    backend, remote-free or a counter workload."""
    if not any(kr.percpu_variant(c.backend) or c.workload == kr.REMOTE_FREE
               or c.workload in kr.COUNTER_WORKLOADS for c in cells):
        return ""
    out = ['<h2 id="percpu">Per-CPU caches</h2>', percpu_modes(ctx),
           '<p class="note">The backends named &lt;layer&gt;-&lt;mode&gt; force a per-CPU mode: '
           "none (a shared lock), thread (per-thread caches), cpu-lock (per-CPU caches behind "
           "a spinlock), cpu-rseq (per-CPU caches with restartable sequences). Slab is read "
           f"at {kr.PERCPU_SIZE['slab']} bytes, buddy at {kr.PERCPU_SIZE['buddy']} (order 0), "
           "churn at batch 1 where it ran (the hot pair). Plain slab, kmalloc and buddy follow "
           "the run's modes above; they are in their own sections.</p>"]
    plots_ = [scaling_plot(cells, "slab", kr.BASELINES), scaling_plot(cells, "buddy")]
    out.append('<div class="plots">' + "".join(p for p in plots_ if p.startswith("<img"))
               + "</div>")
    out += [p for p in plots_ if not p.startswith("<img")]
    if any(kr.percpu_variant(c.backend) for c in cells):
        out.append(percpu_targets_table(kr.percpu_targets(cells, ctx)))
    else:
        out.append('<h3 id="percpu-targets">Targets</h3><p class="note missing">No run of the '
                   "&lt;layer&gt;-&lt;mode&gt; backends "
                   f"({esc(', '.join(kr.variants('slab') + kr.variants('buddy')))}): the "
                   "targets need them.</p>")
    out += [remote_table(cells, ctx), counters_part(cells)]
    return "\n".join(out)


def percpu_modes(ctx):
    """One paragraph: each layer's mode as asked and as run, and whether rseq could be used."""
    pc = kr.percpu_options(ctx)
    if not pc:
        return ('<p class="note">This file does not record the run\'s per-CPU modes '
                "(context.options.percpu): it was written before they were.</p>")
    parts = []
    for key, name in (("pcp", "page lists"), ("slab", "slab caches")):
        m = pc.get(key) if isinstance(pc.get(key), dict) else {}
        text = f"{name}: {m.get('requested', '?')} asked, {m.get('effective', '?')} run"
        parts.append(text + (f" ({m['reason']})" if m.get("reason") else ""))
    head = ('<p class="note">The run\'s per-CPU modes, for the backends that follow its options: '
            f"{esc('; '.join(parts))}.</p>")
    why = kr.rseq_unusable(ctx)
    if why:
        asked = (pc.get("rseq") or {}).get("asked_by") or []
        head += (f'<p class="missing">rseq could not be used in this run: {esc(why)}. Every '
                 "cpu-rseq backend ran cpu-lock"
                 + (f" (asked for by {esc(', '.join(map(str, asked)))})" if asked else "")
                 + "; its targets are unknown.</p>")
    ran = [kr.ran_as(ctx, b) for b in kr.variants("slab") + kr.variants("buddy")]
    ran = [r for r in ran if r and not (why and r.endswith(why))]
    if ran:
        head += (f'<p class="missing">Not run in their own mode: {esc("; ".join(ran))}.</p>')
    return head


def scaling_plot(cells, layer, baselines=()):
    """The layer's churn throughput against threads, one line per mode (and baseline): an
    <img>, or a note naming what is missing."""
    batch, lines = kr.scaling_lines(cells, layer, baselines)
    size = kr.PERCPU_SIZE[layer]
    if not any(b in lines for b in kr.variants(layer)):
        return (f'<p class="note">No {layer} scaling plot: no churn run of '
                f"{esc(kr.or_list(kr.variants(layer)))} at size:{size}.</p>")
    title = f"{layer} churn size:{size} batch:{kr.dash_text(batch)}"
    missing = [b for b in kr.variants(layer) if b not in lines]
    png = kmb_plots.scaling(title, lines)
    img = (f'<img alt="{esc(title)}: throughput against threads" '
           f'src="data:image/png;base64,{png}">')
    if missing:
        img += (f'<p class="note">{esc(layer)} plot: no churn run of '
                f"{esc(kr.or_list(missing))} at size:{size} batch:{kr.dash_text(batch)}.</p>")
    return img


PERCPU_TARGET_HEAD = ["target", "threads", "batch", "numerator", "numerator value",
                      "denominator", "denominator value", "ratio", "goal", "verdict", "note"]


def fmt_value(v, unit):
    return "n/a" if v is None else f"{kr.fmt_ns(v)} {unit}"


def percpu_targets_table(targets):
    """One row per target: the two medians, their ratio and met / not met / unknown, or the
    failed runs it lacks; the targets this file has no runs for are named below, folded."""
    rows = []
    shown = [t for t in targets if not t.not_run]
    for t in shown:
        ident = (f"<td>{esc(t.name)}</td>{num_cell(esc(t.threads))}"
                 f"{num_cell(esc(kr.dash_text(t.batch)))}")
        if t.missing:
            rows.append(f'<tr class="target missing">{ident}<td colspan="5">missing: '
                        f'{esc(t.missing)}</td><td class="nw">{esc(t.goal)}</td>'
                        f'<td>{"-" if t.goal == "-" else "unknown"}</td><td>{esc(t.note)}</td>'
                        "</tr>")
            continue
        if t.goal == "-":
            verdict, cls = "-", "info"
            mark = "-"
        else:
            verdict = verdict_of(t)
            cls = verdict_class(verdict)
            mark = badge(cls, verdict)
        rows.append(f'<tr class="target {cls}">{ident}<td>{esc(t.num)}</td>'
                    f"{num_cell(esc(fmt_value(t.num_value, t.unit)))}<td>{esc(t.den)}</td>"
                    f"{num_cell(esc(fmt_value(t.den_value, t.unit)))}"
                    f'{num_cell(fmt_ratio(t.ratio))}<td class="nw">{esc(t.goal)}</td>'
                    f'<td class="nw">{mark}</td><td>{esc(t.note)}</td></tr>')
    verdicts = [verdict_of(t) for t in shown if t.goal != "-"]
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in ("met", "not met", "unknown")
                       if verdicts.count(v))
    gone = [f"{t.name} (threads {t.threads}): {t.missing}" for t in targets if t.not_run]
    return ('<h3 id="percpu-targets">Targets</h3><p class="note">From this file\'s churn runs '
            "(median over repetitions): the slab cpu-rseq pair against the none pair and "
            "against each baseline's malloc+free pair at one thread (ns per pair, lower is "
            "better), and each layer's cpu-rseq throughput at two threads over one (Mops/s "
            "of all threads), with none's for contrast."
            + (f" {esc(counts)} of {len(verdicts)}." if verdicts else "") + "</p>"
            + (f'<div class="scroll">'
               f'{table("percpu-targets-table", head_cells(PERCPU_TARGET_HEAD), rows)}</div>'
               if rows else "")
            + not_run_part(gone, "percpu"))


REMOTE_HEAD = ["backend", "mode", "size", "threads", "ns per object", "Mops/s (objects)",
               "local pair ns", "remote / local", "note"]


def remote_table(cells, ctx):
    """Per backend and thread count: the time one object takes through a producer-consumer
    pair, against the backend's own local pair (churn, 1 thread)."""
    rows = kr.remote_rows(cells, ctx)
    failures = kr.remote_failures(cells)
    head = ('<h3 id="percpu-remote">Remote frees</h3><p class="note">Workload remote-free: '
            "threads in pairs, a producer allocates and its consumer on another CPU frees, "
            "through a ring. ns per object: the time one object takes through a pair "
            "(real_time x threads); Mops/s: objects allocated and freed per second, all "
            "pairs. Local pair: the same backend's churn pair at one thread, same size.</p>")
    notes = "".join(f'<p class="note">threads:{t}: no result ({esc("; ".join(m))}).</p>'
                    for t, m in failures.items())
    if not any(c.workload == kr.REMOTE_FREE for c in cells):
        return ('<h3 id="percpu-remote">Remote frees</h3><p class="note">No remote-free run '
                "with a result: not in this run (<code>--preset percpu</code> runs it).</p>")
    if not rows:
        return (head + '<p class="note missing">No remote-free run with a result of '
                f"{esc(kr.or_list(kr.variants('slab') + kr.variants('buddy')))}, a baseline "
                "or another backend.</p>" + notes)
    body = []
    for r in rows:
        c = r.cell
        nums = "".join(num_cell(v) for v in (
            esc(kr.dash_text(kr.param(c, "size"))), esc(c.threads), kr.fmt_ns(kr.ok_ns(c)),
            cell_text(kr.fmt_ns(c.mops[0]) if c.mops else "n/a"),
            cell_text(kr.fmt_ns(kr.ok_ns(r.local))), cell_text(fmt_ratio(r.ratio))))
        body.append(f'<tr class="remote"><td>{esc(c.backend)}</td><td>{esc(r.kind or "-")}'
                    f"</td>{nums}<td>{esc(r.note)}</td></tr>")
    return head + table("percpu-remote-table", head_cells(REMOTE_HEAD), body) + notes


def counters_part(cells):
    """The counter workloads: throughput against threads (one line each) and a table."""
    by_threads = kr.counter_table(cells)
    head = ('<h3 id="percpu-counters">Counters</h3><p class="note">One increment of 1 per '
            "operation from every thread: a percpu_counter (counter-percpu), one shared atomic "
            "(counter-atomic), per-thread counters packed 8 to a cache line (counter-packed). "
            "They do not allocate: they run once per thread count, as backend "
            f"{esc(kr.NO_ALLOCATOR)}; each run checks the exact sum at the end.</p>")
    if not by_threads:
        return head + ('<p class="note missing">No run of '
                       f"{esc(kr.or_list(kr.COUNTER_WORKLOADS))}.</p>")
    lines = {}
    for w in kr.COUNTER_WORKLOADS:
        pts = [(t, cs[w].mops) for t, cs in by_threads.items() if w in cs and cs[w].mops]
        if pts:
            lines[w] = pts
    out = [head]
    if lines:
        png = kmb_plots.scaling("counters", lines)
        out.append('<div class="plots"><img alt="counters: throughput against threads" '
                   f'src="data:image/png;base64,{png}"></div>')
    ran = [w for w in kr.COUNTER_WORKLOADS if any(w in cs for cs in by_threads.values())]
    others = [w for w in ("counter-atomic", "counter-packed") if w in ran]
    head_row = (["threads"] + [f"{w} Mops/s" for w in ran]
                + [f"percpu / {w.split('-')[1]}" for w in others] + ["percpu_rseq"])
    body = []
    for t, cs in by_threads.items():
        mops = {w: cs[w].mops[0] if w in cs and cs[w].mops else None for w in ran}
        vals = [failed_or(cs.get(w), mops[w]) for w in ran]
        pc = mops.get("counter-percpu")
        for other in others:
            vals.append(fmt_ratio(pc / mops[other]) if pc and mops[other] else "n/a")
        rseq = cs.get("counter-percpu").counters.get("percpu_rseq") if "counter-percpu" in cs \
            else None
        vals.append("n/a" if rseq is None else "yes" if rseq >= 0.5 else "no")
        body.append(f'<tr class="counter">{num_cell(t)}'
                    + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    errors = sorted({e for cs in by_threads.values() for c in cs.values() for e in c.errors})
    out.append(table("percpu-counters-table", head_cells(head_row), body))
    if errors:
        out.append(f'<p class="note missing">Failed: {esc("; ".join(errors))}.</p>')
    return "\n".join(out)


def numa_block(cells, data, ctx, backends):
    """The NUMA section: the run's node policy, the numa-matrix per policy (a CPU node by
    memory node table and heatmap per backend for bind and preferred, one table per policy
    for the others), and the placement check of every result; "" when the file has neither a
    numa-matrix run nor placement data."""
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


def failed_or(cell, mops):
    """A throughput cell's text: the value, "failed" for a cell with only failed runs, n/a."""
    if mops is not None:
        return kr.fmt_ns(mops)
    return "failed" if cell is not None and cell.errors else "n/a"


MEMPOOL_HEAD = ["backend", "params", "threads", "fail", "Mops/s", "ns/op", "vs 0%",
                "p50 ns", "p90 ns", "p99 ns", "p99.9 ns", "max ns", "from reserve",
                "GFP_KERNEL waited", "mean wait ns", "max wait ns", "GFP_ATOMIC NULL", "punts"]


def mempool_block(cells):
    """The mempool-pressure runs: per backend that injects failures, throughput and latency
    percentiles against the failure rate (with the reference backends' level), and one table of
    every row with the waits; "" without any mempool-pressure run."""
    groups = kr.pressure_groups(cells)
    if not groups:
        return ""
    out = ['<h2 id="mempool">mempool under pressure</h2>',
           '<p class="note">Workload mempool-pressure: each thread keeps a live set of batch '
           "elements in flight (one operation frees the oldest and allocates one; one in 8 "
           "with GFP_ATOMIC, the others with GFP_KERNEL) while the allocator under the "
           "reserve fails the given share of its allocations. A GFP_KERNEL caller that holds "
           "elements first allocates without sleeping; when that fails it hands them to a "
           "rescuer thread (punts) and then sleeps until a free. Throughput: median over "
           "repetitions, error bars min..max; vs 0%: over the same backend's 0% run at the "
           "same thread count. Latencies: one operation in 64 timed, all threads; "
           "percentiles at most 3% above the sample. Waits: GFP_KERNEL allocations that "
           "slept, their share, and their mean and longest sleep. Backends without a pool "
           "run the same operations once, the reference (dashed).</p>"]
    for g in groups:
        if not g.reference:
            out.append(pressure_plots(g, kr.pressure_references(groups, g)))
    if all(g.reference for g in groups):
        out.append('<p class="note missing">No mempool-pressure run of a backend that injects '
                   "failures (mempool): only the reference without a pool.</p>")
    out.append(pressure_table(groups))
    return "\n".join(out)


def pressure_plots(g, refs):
    """The two figures of one group, and a note naming the thread counts without a 0% run."""
    title = f"{g.backend} {kr.params_text(g.params)}"
    lines = g.lines(lambda r: r.cell.mops)
    references = {}
    for ref in refs:
        for r in ref.rows:
            if r.cell.mops:
                references.setdefault(ref.backend, {})[r.cell.threads] = r.cell.mops
    lat = {}
    for name, key in kr.LATENCY:
        for t, pts in g.lines(lambda r, key=key: r.counter(key)).items():
            lat[(t, name)] = pts
    out = [f'<h3 id="mempool-{kr.slug(title)}">{esc(title)}</h3><div class="plots">']
    png = kmb_plots.fail_sweep(title, lines, references)
    out.append(f'<img alt="{esc(title)}: throughput against failure rate" '
               f'src="data:image/png;base64,{png}">')
    png = kmb_plots.latency_sweep(title, lat, [n for n, _ in kr.LATENCY])
    out.append(f'<img alt="{esc(title)}: latency percentiles against failure rate" '
               f'src="data:image/png;base64,{png}"></div>')
    missing = g.missing_base()
    if missing:
        out.append(f'<p class="note missing">{esc(title)}: no 0% run with a result at '
                   f"threads:{esc(', '.join(map(str, missing)))}: no throughput ratio there.</p>")
    return "\n".join(out)


def pressure_table(groups):
    """One row per mempool-pressure cell (median over repetitions), the references last."""
    body = []
    for g in groups:
        for i, r in enumerate(g.rows):
            c = r.cell
            first = " first" if i == 0 else ""
            ident = (f"<td>{esc(c.backend)}</td><td class=\"nw\">{esc(kr.params_text(g.params))}"
                     f"</td>{num_cell(c.threads)}"
                     + num_cell("no pool" if r.fail is None else f"{esc(r.fail)}%"))
            if not c.ns:
                text = "; ".join(sorted(set(c.errors))) or "no result"
                body.append(f'<tr class="pressure failed{first}">{ident}<td colspan="'
                            f'{len(MEMPOOL_HEAD) - 4}">failed: {esc(text)}</td></tr>')
                continue
            vals = [kr.fmt_ns(r.mops), kr.fmt_ns(c.ns[0]), fmt_ratio(r.ratio)]
            vals += [fmt_lat(r.counter(key)) for _, key in kr.LATENCY]
            vals += pressure_waits(r)
            cls = "pressure reference" if r.fail is None else "pressure"
            body.append(f'<tr class="{cls}{first}">{ident}'
                        + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    return ('<h3 id="mempool-table-head">Every run</h3>'
            f'<div class="scroll">{table("mempool-table", head_cells(MEMPOOL_HEAD), body)}'
            "</div>")


def fmt_lat(v):
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_share(v):
    return "n/a" if v is None else f"{100 * v:.2f}%"


def pressure_waits(r):
    """The reserve and wait columns of a row: "-" where the backend has no reserve."""
    nulls, punts = r.counter("atomic_null_frac"), r.counter("punts")
    tail = [fmt_share(nulls), "n/a" if punts is None else f"{punts:,.0f}"]
    if r.fail is None:
        return ["-", "-", "-", "-"] + tail
    waits, share = r.counter("kernel_waits"), r.counter("kernel_wait_frac")
    waited = "n/a" if waits is None else f"{waits:,.0f}" + (
        "" if share is None else f" ({fmt_share(share)})")
    mean, longest = r.counter("kernel_wait_mean_ns"), r.counter("kernel_wait_max_ns")
    return [fmt_share(r.counter("reserve_frac")), waited,
            "-" if waits == 0 else fmt_lat(mean), "-" if waits == 0 else fmt_lat(longest)] + tail


VM_WHAT = {"untouched": "alloc+free", "first-touch": "alloc+touch+free",
           "access": "read of the whole allocation"}
VM_TARGET_HEAD = ["target", "threads", "vmalloc ns", "buddy ns", "ratio", "goal", "verdict",
                  "vmalloc first-touch page faults per op"]
VM_HEAD = (["size", "threads", "workload"] + [f"{b} ns" for b in kr.VM_BACKENDS]
           + [f"vmalloc / {b}" for b in kr.VM_AGAINST]
           + [f"{b} page faults per op" for b in kr.VM_BACKENDS])


def vmalloc_block(cells, ctx):
    """vmalloc against kmalloc against __get_free_pages (buddy) over the sizes: the issue's
    target, ns/op against size per workload, a table per size with the page faults and the
    ratios, the test_vmalloc patterns and the mapping layer's stats; "" without any run of the
    vm workloads or the test_vmalloc patterns."""
    vmtest = kr.vmtest_table(cells)
    if not kr.vm_cells(cells) and not vmtest:
        return ""
    counters_ctx = ctx.get("counters") if isinstance(ctx.get("counters"), dict) else {}
    out = ['<h2 id="vmalloc">vmalloc</h2>',
           '<p class="note">vmalloc against kmalloc and __get_free_pages (backend buddy: '
           "alloc_pages + page_address), one allocation of the size per operation. untouched: "
           "alloc + free, the memory never touched (the allocator's own work; for vmalloc the "
           "frames, the window range and the mappings); first-touch: alloc, a write to every "
           "4 KiB page, free (page faults per op from the perf layer: a fresh vmalloc mapping "
           "faults once per page, a linear-map address touched before does not); access: one "
           "streaming read of an allocation made before the clock. ns per operation per "
           "thread (real_time x threads), median over repetitions.</p>"]
    if kr.vm_cells(cells):
        out.append(vm_target_table(kr.vm_targets(cells, counters_ctx)))
        out.append(vm_plots(cells))
        out.append(vm_table(cells, counters_ctx))
    else:
        out.append('<p class="note missing">No untouched, first-touch or access run of '
                   f"{esc(kr.or_list(kr.VM_BACKENDS))}: no size comparison and no target.</p>")
    out.append(vmtest_part(vmtest))
    out.append(vm_stats_part(ctx))
    return "\n".join(out)


def vm_target_table(targets):
    """The issue's target per thread count: vmalloc over buddy, untouched at 64 KiB; the thread
    counts this file has no runs for are named below, folded."""
    rows = []
    for t in targets:
        if t.not_run:
            continue
        ident = (f"<td>vmalloc / buddy, untouched, {esc(kmb_plots.size_text(kr.VM_TARGET_SIZE))}"
                 f"</td>{num_cell(t.threads)}")
        faults = (num_cell(esc(kr.fmt_counter(t.faults))) if t.faults is not None
                  else f'<td class="na">{esc(t.faults_why)}</td>')
        if t.missing:
            rows.append(f'<tr class="target missing">{ident}<td colspan="3">missing: '
                        f'{esc(t.missing)}</td><td class="nw">{esc(t.goal)}</td>'
                        f"<td>unknown</td>{faults}</tr>")
            continue
        verdict = verdict_of(t)
        cls = verdict_class(verdict)
        nums = "".join(num_cell(v) for v in (kr.fmt_ns(t.num_ns), kr.fmt_ns(t.den_ns),
                                             fmt_ratio(t.ratio)))
        rows.append(f'<tr class="target {cls}">{ident}{nums}<td class="nw">{esc(t.goal)}</td>'
                    f'<td class="nw">{badge(cls, verdict)}</td>{faults}</tr>')
    return ('<h3 id="vmalloc-targets">Target</h3><p class="note">The issue\'s target: vmalloc '
            "of 64 KiB, allocated and freed without touching (workload untouched), within "
            f"{kr.VM_TARGET_RATIO:g}x of __get_free_pages of the same size (buddy), per thread "
            "count from this file's runs (median ns per operation); with the page faults per "
            "operation of vmalloc's first-touch at 64 KiB.</p>"
            + (table("vmalloc-targets-table", head_cells(VM_TARGET_HEAD), rows) if rows else "")
            + not_run_part([f"threads:{t.threads}: no run of {t.missing}" for t in targets
                            if t.not_run], "vmalloc"))


def vm_plots(cells):
    """ns/op against size per workload, one line per backend: at the lowest thread count, then
    at the highest where the file has more than one."""
    threads = kr.vm_threads(cells)
    shown = threads[:1] + threads[-1:] if len(threads) > 1 else threads
    out = []
    for t in shown:
        out.append(f'<h3 id="vmalloc-plots-{t}">ns per operation against size, threads:{t}</h3>'
                   '<div class="plots">')
        for w in kr.VM_WORKLOADS:
            points = kr.vm_points(cells, w, t)
            if not points:
                continue
            title = f"{w} threads:{t}"
            png = kmb_plots.vm_sweep(title, points, VM_WHAT[w])
            out.append(f'<img alt="{esc(title)}: ns/op against size" '
                       f'src="data:image/png;base64,{png}">')
        out.append("</div>")
    return "\n".join(out)


def vm_ns_text(cell):
    """A ns/op cell's text: the median, "failed" where every run failed, n/a without a run."""
    if cell is not None and cell.ns:
        return kr.fmt_ns(cell.ns[0])
    return "failed" if cell is not None and cell.errors else "n/a"


def vm_table(cells, counters_ctx):
    """A row per thread count, size and workload: each backend's ns/op, vmalloc's ratios and
    each backend's page faults per op."""
    body, errors = [], []
    for t in kr.vm_threads(cells):
        for row in kr.vm_rows(cells, t):
            for i, w in enumerate(kr.VM_WORKLOADS):
                found = [row.cells.get((w, b)) for b in kr.VM_BACKENDS]
                if not any(found):
                    continue
                vals = [vm_ns_text(c) for c in found]
                vals += [fmt_ratio(row.ratios[(w, b)]) for b in kr.VM_AGAINST]
                for c in found:
                    faults, why = kr.page_faults(c, counters_ctx)
                    vals.append(kr.fmt_counter(faults) if faults is not None
                                else "unavailable" if why.startswith("unavailable") else "n/a")
                errors += [f"{c.backend} {c.workload} size:{row.size} threads:{t}: "
                           + "; ".join(sorted(set(c.errors))) for c in found
                           if c is not None and c.errors]
                first = " first" if i == 0 else ""
                body.append(f'<tr class="vm{first}">'
                            f"{num_cell(esc(kmb_plots.size_text(row.size)))}{num_cell(t)}"
                            f"<td>{esc(w)}</td>"
                            + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    notes = ""
    why = (counters_ctx.get("unavailable") or {}).get("page_faults")
    if why:
        notes += f'<p class="note">page_faults unavailable on this machine: {esc(why)}.</p>'
    if errors:
        notes += f'<p class="note missing">Failed: {esc("; ".join(errors))}.</p>'
    return ('<h3 id="vmalloc-sizes">Per size</h3><p class="note">Median ns per operation per '
            "thread; vmalloc / buddy and vmalloc / kmalloc: the ratios of those medians "
            "(above 1: vmalloc is slower); page faults per operation, median over "
            "repetitions.</p>"
            f'<div class="scroll">{table("vmalloc-table", head_cells(VM_HEAD), body)}</div>'
            + notes)


def vmtest_part(groups):
    """The test_vmalloc patterns: a row per workload, params and backend, ns/op per thread
    count; refusals and failures named below."""
    head = ('<h3 id="vmalloc-vmtest">test_vmalloc patterns</h3><p class="note">lib/'
            "test_vmalloc.c's fix_size, full_fit, long_busy_list and random_size tests as "
            "workloads, every thread running its own loop: median ns per operation per "
            "thread. The slab-cache backends refuse vmtest-random-size (100 sizes would each "
            "build a cache); kmalloc serves it from its size classes.</p>")
    if not groups:
        return head + ('<p class="note missing">No run of '
                       f"{esc(kr.or_list(kr.VMTEST_WORKLOADS))}.</p>")
    threads = sorted({t for g in groups.values() for _, t in g})
    body, errors = [], []
    for (workload, params), g in groups.items():
        backends = list(dict.fromkeys(b for b, _ in g))
        for i, b in enumerate(backends):
            vals = [vm_ns_text(g.get((b, t))) for t in threads]
            errors += [f"{b} {workload} threads:{t}: " + "; ".join(sorted(set(c.errors)))
                       for t in threads for c in [g.get((b, t))] if c is not None and c.errors]
            first = " first" if i == 0 else ""
            body.append(f'<tr class="vmtest{first}"><td>{esc(workload)}</td>'
                        f'<td class="nw">{esc(kr.params_text(params))}</td><td>{esc(b)}</td>'
                        + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    ths = head_cells(["workload", "params", "backend"] + [f"threads:{t} ns" for t in threads])
    notes = (f'<p class="note">Not run or failed: {esc("; ".join(errors))}.</p>' if errors
             else "")
    return head + table("vmtest-table", ths, body) + notes


def vm_stats_part(ctx):
    """The vmalloc backend's mapping-layer stats and /proc/vmallocinfo, where the file has
    them."""
    found = kr.vm_stats(ctx)
    if found is None:
        return ""
    plain, info = found
    out = ['<h3 id="vmalloc-stats">The vmalloc backend\'s window</h3><p class="note">What the '
           "vmalloc backend reported after its last run (context.backends.vmalloc.stats): the "
           "window, its areas and the mmap calls that mapped and unmapped frames, for the whole "
           'process (all its workloads); every stat is under <a href="#state-vmalloc">'
           "Allocator state</a>.</p>"]
    if plain:
        out.append(stats_table("vmalloc-stats-table", plain))
    if info is not None:
        out.append('<figure class="stat"><figcaption>vmallocinfo</figcaption>'
                   + (f"<pre>{esc(info.rstrip())}</pre>" if info.strip() else
                      '<p class="note">empty: no area was held when the stats were taken</p>')
                   + "</figure>")
    return "\n".join(out)


def fragmentation_block(cells, backends):
    """Series counters (<name>_at_<N>k) over steps, one plot per workload; "" without any."""
    by_workload = {}
    for c in sorted(cells, key=lambda c: (backends.index(c.backend), c.sort_key())):
        series = kr.series(c)
        if series:
            by_workload.setdefault(c.workload, []).append(
                (c.backend, kr.params_text(c.params), c.threads, series))
    if not by_workload:
        return ""
    out = ['<h2 id="fragmentation">Fragmentation over time</h2>',
           '<p class="note">At checkpoints 1k, 4k, 16k, ... steps of each thread (k = 1024): '
           "the share of high-order probes since the previous checkpoint that succeeded, and "
           "the fragmentation index of the probe order (-1: a free block of that order exists; "
           "0..1: failure from lack of memory .. from fragmentation), median over repetitions. "
           "Backends without an index are left out of the lower panel.</p>",
           '<div class="plots">']
    for workload, lines in by_workload.items():
        png = kmb_plots.fragmentation(workload, lines)
        out.append(f'<img alt="{esc(workload)}: fragmentation over time" '
                   f'src="data:image/png;base64,{png}">')
    out.append("</div>")
    return "\n".join(out)


def state_block(ctx):
    """Each backend's stats: numbers, per-order numbers as one table, text blocks as <pre>."""
    stats = kr.backend_stats(ctx)
    if not stats:
        return ""
    out = ['<h2 id="state">Allocator state</h2>',
           '<p class="note">What each backend reported about itself after its last run '
           "(context.backends.&lt;name&gt;.stats), for the whole process, not per workload.</p>"]
    for b, st in stats.items():
        plain, per_order, text = kr.split_stats(st)
        out.append(f'<h3 id="state-{kr.slug(b)}">{esc(b)}</h3>')
        if plain:
            out.append(stats_table(f"stats-{kr.slug(b)}", plain))
        if per_order:
            out.append(order_table(f"orders-{kr.slug(b)}", per_order))
        for key, value in text:
            out.append(f'<figure class="stat"><figcaption>{esc(key)}</figcaption>'
                       f"<pre>{esc(value.rstrip())}</pre></figure>")
    return "\n".join(out)


STATS_PER_ROW = 4


def stats_table(table_id, items):
    """(key, value) pairs, STATS_PER_ROW to a row."""
    rows = []
    for i in range(0, len(items), STATS_PER_ROW):
        chunk = items[i:i + STATS_PER_ROW]
        rows.append("<tr>" + "".join(f'<td class="key">{esc(k)}</td>{num_cell(fmt_stat(v))}'
                                     for k, v in chunk)
                    + "<td></td><td></td>" * (STATS_PER_ROW - len(chunk)) + "</tr>")
    head = "<th>stat</th><th>value</th>" * min(STATS_PER_ROW, len(items))
    return table(table_id, head, rows, cls="stats")


def order_table(table_id, per_order):
    """Rows: a stat family (pgalloc, fragmentation_index, ...); columns: order 0, 1, ..."""
    orders = sorted({o for values in per_order.values() for o in values})
    head = "<th>per order</th>" + "".join(f'<th class="num">{o}</th>' for o in orders)
    rows = [f"<tr><td>{esc(family)}</td>"
            + "".join(num_cell(fmt_stat(values.get(o))) for o in orders) + "</tr>"
            for family, values in per_order.items()]
    return table(table_id, head, rows, cls="stats")


def fmt_stat(v):
    """A stat value: integers whole with thousands separators, floats as counters are shown."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return '<span class="na">-</span>' if v is None else render_value(v)
    if isinstance(v, int) or float(v).is_integer() and abs(v) < 1e15:
        return esc(f"{int(v):,}")
    return esc(kr.fmt_counter(v))



RESULT_HEAD = ["backend", "workload", "params", "threads", "reps", "ns/op", "spread", "vs best",
               "Mops/s"]
RESULT_TIPS = {
    "reps": "successful repetitions (of those asked for)",
    "ns/op": "wall-clock ns one operation takes a thread (real_time x threads)",
    "spread": "(max - min) / median of ns/op over repetitions",
    "vs best": "ns/op relative to the fastest backend with the same workload, params and threads",
    "Mops/s": "million operations per second, all threads together",
}


def result_values(c, cols, best):
    """The text of an ok row's cells from "reps" on."""
    reps = f"{c.reps}" + (f" of {c.planned}" if 0 < c.reps < c.planned else "")
    reps += "" if c.source == "iteration" else f" ({c.source})"
    spread = ("n/a" if c.ns[1] is None or not c.ns[0]
              else f"{100 * (c.ns[2] - c.ns[1]) / c.ns[0]:.1f}%")
    rel = f"{c.ns[0] / best:.2f}x" if best else "n/a"
    mops = kr.fmt_ns(c.mops[0]) if c.mops else "n/a"
    return ([reps, kr.fmt_ns(c.ns[0]), spread, rel, mops]
            + [kr.fmt_counter(c.counters.get(n)) for n in cols])


def results_table(cells, counters_ctx):
    """One row per cell (median over repetitions) and one per cell with failed runs."""
    cols = kr.counter_columns(cells, counters_ctx)
    unavailable = counters_ctx.get("unavailable") or {}
    head = RESULT_HEAD + cols
    tips = dict(RESULT_TIPS, **{c: f"unavailable: {unavailable[c]}" for c in cols
                                if c in unavailable})
    ths = "".join(f'<th{tip(tips.get(h))}>{esc(h).replace("_", "_<wbr>")}</th>' for h in head)
    best = {}
    for c in cells:
        if c.ns:
            key = (c.group, c.threads)
            best[key] = min(best.get(key, c.ns[0]), c.ns[0])
    rows, prev = [], None
    for c in cells:
        first = " first" if (c.group, c.threads) != prev else ""
        prev = (c.group, c.threads)
        ident = "".join([f"<td>{esc(c.backend)}</td>", f"<td>{esc(c.workload)}</td>",
                         f'<td class="nw">{esc(kr.params_text(c.params))}</td>',
                         num_cell(c.threads)])
        if c.ns:
            b = best[(c.group, c.threads)]
            cls = "result" + first + (" best" if c.ns[0] == b else "")
            tds = "".join(f'<td class="num{" ns" if i == 1 else ""}">{cell_text(v)}</td>'
                          for i, v in enumerate(result_values(c, cols, b)))
            rows.append(f'<tr class="{cls}">{ident}{tds}</tr>')
            first = ""
        if c.errors:
            text = "; ".join(sorted(set(c.errors)))
            rows.append(f'<tr class="result failed{first}">{ident}'
                        + num_cell(f"{len(c.errors)} failed")
                        + f'<td colspan="{len(head) - 5}">error: {esc(text)}</td></tr>')
    return ('<h2 id="results">All results</h2>'
            '<p class="note">One row per backend, workload, params and threads: median over '
            "repetitions. Counters are per operation (task_clock_ns: ns per operation, mean over "
            'threads); "n/a" marks a counter this machine does not have (see Counters). '
            "Bold: the fastest backend of its group.</p>"
            f'<div class="scroll">{table("results-table", ths, rows)}</div>')


def tip(text):
    return f' title="{esc(text)}"' if text else ""


def cell_text(v):
    return '<span class="na">n/a</span>' if v == "n/a" else esc(v)


BACKEND_HEAD = ["backend", "status", "reason", "LD_PRELOAD", "free function", "runs ok",
                "runs failed"]


def backends_block(ctx, cells, backends):
    info = ctx.get("backends") or {}
    rows = []
    for b in backends:
        d = info.get(b) if isinstance(info.get(b), dict) else {}
        status = str(d.get("status") or ("ok" if b not in info else "unknown"))
        cls = status if status in ("ok", "skipped", "failed") else "unknown"
        n = sum(c.reps for c in cells if c.backend == b)
        nf = sum(len(c.errors) for c in cells if c.backend == b)
        rows.append(f"<tr><td>{esc(b)}</td><td>{badge(cls, esc(status))}"
                    f'</td><td>{esc(d.get("reason", ""))}</td><td>{esc(d.get("preload", "-"))}'
                    f'</td><td>{esc(d.get("free", "-"))}</td>{num_cell(n)}{num_cell(nf)}</tr>')
    return '<h2 id="backends">Backends</h2>' + table("backends-table", head_cells(BACKEND_HEAD),
                                                     rows)


def counters_block(counters_ctx):
    avail = counters_ctx.get("available") or []
    unavailable = counters_ctx.get("unavailable") or {}
    rows = [f"<tr><td>{esc(n)}</td><td>{esc(r)}</td></tr>" for n, r in unavailable.items()]
    facts = []
    for key in ("exclude_kernel", "perf_event_paranoid"):
        if key in counters_ctx:
            facts.append(f"{key}: {render_value(counters_ctx[key])}")
    return ('<h2 id="counters">Counters</h2>'
            f"<p>Available: {esc(', '.join(map(str, avail))) or 'none'}"
            f"{'. ' + '; '.join(facts) if facts else ''}.</p>"
            + (table("unavailable-table", head_cells(["unavailable counter", "reason"]), rows)
               if unavailable else "<p>No counter is unavailable.</p>"))


def context_block(ctx):
    """Every context key; backends' stats are linked to the Allocator state section instead."""
    ctx, stats = dict(ctx), kr.backend_stats(ctx)
    if stats:
        ctx["backends"] = {b: dict(d, stats=Raw(f'<a href="#state-{kr.slug(b)}">see Allocator '
                                                 f"state</a>")) if b in stats else d
                           for b, d in ctx["backends"].items()}
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{render_value(v)}</td></tr>" for k, v in ctx.items())
    return f'<h2 id="context">Context</h2><table class="ctx"><tbody>{rows}</tbody></table>'


def render(data, path, title=None, found=None):
    """The page of the results data (read from path); found: kms.findings() of its cells, where
    the caller has them already."""
    ctx = data.get("context") or {}
    cells = kr.cells(data["benchmarks"])
    backends = kr.backend_order(ctx, cells)
    counters_ctx = ctx.get("counters") if isinstance(ctx.get("counters"), dict) else {}
    found = kms.findings(cells, ctx) if found is None else found
    run = run_id(data)
    title = title or f"kmbench results: {run or os.path.basename(path)}"
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = [  # (anchor, nav title, HTML or "" where the file has nothing for it)
        ("plots", "Plots", plots(cells, backends, found)),
        ("pages", "Page allocator", pages_block(cells)),
        ("slab", "Slab and kmalloc", slab_block(cells, backends)),
        ("percpu", "Per-CPU caches", percpu_block(cells, ctx)),
        ("mempool", "mempool", mempool_block(cells)),
        ("vmalloc", "vmalloc", vmalloc_block(cells, ctx)),
        ("numa", "NUMA", numa_block(cells, data, ctx, backends)),
        ("fragmentation", "Fragmentation", fragmentation_block(cells, backends)),
        ("results", "Results", results_table(cells, counters_ctx)),
        ("backends", "Backends", backends_block(ctx, cells, backends)),
        ("state", "Allocator state", state_block(ctx)),
        ("counters", "Counters", counters_block(counters_ctx)),
        ("context", "Context", context_block(ctx)),
    ]
    sections = [s for s in sections if s[2]]
    body = "\n".join(
        [header(title, ctx, run, path), summary_block(found, ctx, cells, backends),
         nav([s[:2] for s in sections])]
        + [s[2] for s in sections]
        + [f'<p class="note">Generated by report/kmbench_report.py on {esc(made)}.</p>'])
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n"
            "</body></html>\n")


def terminal_summary(data, found):
    """The findings as the lines --summary prints: kms.terminal(), then the counts."""
    ctx = data.get("context") or {}
    cells = kr.cells(data["benchmarks"])
    return kms.terminal(found, cells) + [counts(ctx, cells, kr.backend_order(ctx, cells))]


def write_atomic(path, text):
    """Write text to path through a temporary file in the same directory and os.replace."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kmbench-report-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Render a kmbench results file as one "
                                 "self-contained HTML page.")
    ap.add_argument("results", help="results.json written by kmbench run")
    ap.add_argument("-o", "--output", help="HTML file to write (default: index.html beside "
                    "RESULTS)")
    ap.add_argument("--title", help="page title (default: from the run id)")
    ap.add_argument("--summary", action="store_true", help="also print the run's findings (the "
                    "page's Summary) as text, then the page's path as \"report:  PATH\"")
    args = ap.parse_args(argv)
    try:
        data = kr.load(args.results)
    except kr.ResultsError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(args.results)),
                                      "index.html")
    found = kms.findings(kr.cells(data["benchmarks"]), data.get("context") or {})
    page = render(data, args.results, args.title, found)
    try:
        write_atomic(out, page)
    except OSError as e:
        print(f"{PROG}: error: cannot write {out}: {e.strerror or e}", file=sys.stderr)
        return 1
    if args.summary:
        print("\n".join(terminal_summary(data, found)))
        print(f"report:  {out}")
    else:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
