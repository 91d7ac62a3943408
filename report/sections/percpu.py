"""Section "Per-CPU caches": the run's per-CPU modes, scaling per mode of the <layer>-<mode>
backends (slab with the baselines, buddy), the issue's targets, remote frees (workload
remote-free) and the counter workloads; "" without any run of them.
"""
import kmb_plots
import kmb_results as kr
from kmb_html import (
    esc, num_cell, head_cells, table, verdict_of, verdict_class, badge, not_run_part, fmt_ratio,
    cell_text)

ANCHOR = "percpu"
TITLE = "Per-CPU caches"


def render(run):
    """The per-CPU modes of the run, scaling per mode (slab with the baselines, buddy), the
    issue's targets, remote frees and the counters; "" without any run of a <layer>-<mode>
    backend, remote-free or a counter workload."""
    cells, ctx = run.cells, run.ctx
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


def failed_or(cell, mops):
    """A throughput cell's text: the value, "failed" for a cell with only failed runs, n/a."""
    if mops is not None:
        return kr.fmt_ns(mops)
    return "failed" if cell is not None and cell.errors else "n/a"
