"""Section "Per-CPU caches": the run's per-CPU modes, scaling per mode of the <layer>-<mode>
backends (slab with the baselines, buddy), the issue's targets, remote frees (workload
remote-free) and the counter workloads; "" without any run of them.
"""
from dataclasses import dataclass

import kmb_plots
import kmb_results as kr
from kmb_html import (
    esc, num_cell, head_cells, table, verdict_of, verdict_class, badge, not_run_part, fmt_ratio,
    cell_text, scroll_box)

ANCHOR = "percpu"
TITLE = "Per-CPU caches"

# Per-CPU caches (issue 5): the backends that force a per-CPU mode are named <layer>-<mode>; the
# counter workloads run under the pseudo-backend kr.NO_ALLOCATOR (results/README.md).
PERCPU_MODES = ("none", "thread", "cpu-lock", "cpu-rseq")
PERCPU_SIZE = {"slab": 64, "buddy": kr.PAGE_SIZE}   # layer -> the churn size its rows are read at
RSEQ_SCALING = 1.9       # cpu-rseq throughput at 2 threads over 1 thread, at least
RSEQ_OVER_NONE = 0.6     # the slab cpu-rseq pair over the none pair, at most


def percpu_variant(backend):
    """(layer, mode) of a backend named <layer>-<mode> (slab-cpu-rseq: ("slab", "cpu-rseq")),
    else None."""
    for layer in PERCPU_SIZE:
        for mode in PERCPU_MODES:
            if backend == f"{layer}-{mode}":
                return layer, mode
    return None


def variants(layer):
    """The backend names of layer's modes, in PERCPU_MODES order."""
    return [f"{layer}-{mode}" for mode in PERCPU_MODES]


def rseq_unusable(context):
    """The reason rseq could not be used in this run ("" when it could, or when the file does
    not say): the cpu-rseq backends then ran cpu-lock."""
    rseq = kr.percpu_options(context).get("rseq")
    if isinstance(rseq, dict) and rseq.get("usable") is False:
        return str(rseq.get("reason") or "no reason recorded")
    return ""


# The backend statistics that say which mode a layer ran in, and why not the one asked
# (results/README.md): the page lists' (be_mm.c); the slab sheaves' by the same pattern.
MODE_STATS = {"buddy": ("pcp_mode", "pcp_mode_why"), "slab": ("slab_mode", "slab_mode_why")}


def ran_as(context, backend):
    """Why a <layer>-<mode> backend did not run in its mode, one line ("" when it did, or when
    nothing says otherwise): its own statistics first (the mode its process ran), then, for a
    cpu-rseq backend, the run's rseq status."""
    v = percpu_variant(backend)
    if not v:
        return ""
    stats = kr.backend_stats(context).get(backend, {})
    key, why_key = MODE_STATS[v[0]]
    ran = stats.get(key)
    if isinstance(ran, str) and ran and ran != v[1]:
        why = stats.get(why_key)
        return f"{backend} ran {ran}" + (f": {why}" if why else "")
    if v[1] == "cpu-rseq" and rseq_unusable(context):   # cannot have run it, whatever it says
        return f"{backend} ran cpu-lock: {rseq_unusable(context)}"
    return ""


def churn_cell(cells_, backend, size, batch, threads):
    """The churn cell of backend at size, batch and threads (compared as numbers), else None."""
    for c in cells_:
        if ((c.backend, c.workload, c.threads) == (backend, "churn", threads)
                and kr.param(c, "size") == size and kr.param(c, "batch") == batch):
            return c
    return None


def pair_batch(cells_, backends, size):
    """The batch churn pairs of backends at size are read at: 1 where one of them ran it,
    else the smallest batch they ran; None without any."""
    batches = {kr.param(c, "batch") for c in cells_ if c.workload == "churn"
               and c.backend in backends and kr.param(c, "size") == size}
    batches.discard(None)
    return 1 if 1 in batches else min(batches, key=kr.natural, default=None)


def percpu_batch(cells_, layer):
    """The batch the layer's churn runs are read at (pair_batch of its mode variants)."""
    return pair_batch(cells_, variants(layer), PERCPU_SIZE[layer])


def scaling_lines(cells_, layer, others=()):
    """(batch, {backend: [(threads, Mops/s stats)]}) of the churn cells with a result of the
    layer's mode variants, then of others (the baselines), at the layer's size and
    percpu_batch(); batch None and {} without any run of the variants."""
    batch = percpu_batch(cells_, layer)
    lines = {}
    for b in variants(layer) + list(others):
        pts = [(c.threads, c.mops) for c in cells_ if c.backend == b and c.workload == "churn"
               and c.mops and kr.param(c, "size") == PERCPU_SIZE[layer]
               and kr.param(c, "batch") == batch]
        if pts and batch is not None:
            lines[b] = sorted(pts, key=lambda p: p[0])
    return batch, lines


@dataclass
class PercpuTarget:
    """One target of the per-CPU caches: a ratio of two cells' medians (ns per pair, or
    throughput), with its goal; met None where a run is missing, rseq was not usable, or the
    row is shown for contrast (goal "-")."""
    name: str
    goal: str
    unit: str               # "ns" (per pair: lower is better) or "Mops/s"
    threads: str            # "1", or "2 / 1" for a scaling ratio
    batch: object = None
    num: str = ""           # what the numerator is, e.g. "slab-cpu-rseq 64 B"
    den: str = ""
    num_value: float = None
    den_value: float = None
    ratio: float = None
    met: bool = None
    missing: str = None     # runs needed that are absent or only failed
    note: str = ""
    not_run: bool = False   # missing only runs that are absent, none that failed


def ratio_target(t, num, den, value, check):
    """Fill t from the cells num and den (value: cell -> number or None); check: ratio -> bool,
    None for a row without a goal. Missing runs are named."""
    t.num_value, t.den_value = value(num), value(den)
    lacking = [(name, cell) for name, cell, v in ((t.num, num, t.num_value),
                                                  (t.den, den, t.den_value)) if v is None]
    if lacking:
        t.not_run = all(cell is None for _, cell in lacking)
        t.missing = "; ".join(f"{'no' if cell is None else 'only failed'} churn run of "
                              f"{name}" for name, cell in lacking)
    elif t.den_value > 0:
        t.ratio = t.num_value / t.den_value
        t.met = None if check is None else bool(check(t.ratio))
    return t


def percpu_targets(cells_, context, baselines=kr.BASELINES):
    """The issue's targets, from this file's churn cells (medians over repetitions): the slab
    cpu-rseq pair over the none pair and over each baseline's pair at 1 thread, at the slab
    size and percpu_batch(); each layer's cpu-rseq throughput at 2 threads over 1 thread, and
    none's for contrast. A row whose backend did not run in its mode (ran_as(): rseq not
    usable, say) says so and is unknown."""
    slab, size = "slab", PERCPU_SIZE["slab"]
    batch = percpu_batch(cells_, slab)
    batch = 1 if batch is None else batch       # no variant ran: name the preset's batch
    out = []

    def pair(backend, b_size, threads, b_batch):
        return churn_cell(cells_, backend, b_size, b_batch, threads)

    def label(backend, b_size, threads):
        return f"{backend} size:{b_size} batch:{batch} threads:{threads}"

    rseq, none = f"{slab}-cpu-rseq", f"{slab}-none"
    t = PercpuTarget(f"{slab} pair: cpu-rseq / none", f"<= {RSEQ_OVER_NONE}x", "ns", "1", batch,
                     label(rseq, size, 1), label(none, size, 1))
    out.append(ratio_target(t, pair(rseq, size, 1, batch), pair(none, size, 1, batch), kr.ok_ns,
                            lambda r: r <= RSEQ_OVER_NONE))
    for b in baselines:
        t = PercpuTarget(f"{slab} pair: cpu-rseq / {b}", "< 1x (faster)", "ns", "1", batch,
                         label(rseq, size, 1), label(b, size, 1))
        out.append(ratio_target(t, pair(rseq, size, 1, batch), pair(b, size, 1, batch), kr.ok_ns,
                                lambda r: r < 1))
    for layer, l_size in PERCPU_SIZE.items():
        l_batch = percpu_batch(cells_, layer)
        l_batch = 1 if l_batch is None else l_batch
        for mode, goal, check in (("cpu-rseq", f">= {RSEQ_SCALING}x",
                                   lambda r: r >= RSEQ_SCALING), ("none", "-", None)):
            b = f"{layer}-{mode}"
            t = PercpuTarget(f"{layer} {mode} throughput: 2 threads / 1 thread", goal, "Mops/s",
                             "2 / 1", l_batch, f"{b} size:{l_size} batch:{l_batch} threads:2",
                             f"{b} size:{l_size} batch:{l_batch} threads:1")
            if check is None:
                t.note = "for contrast: the shared lock's scaling"
            out.append(ratio_target(t, pair(b, l_size, 2, l_batch), pair(b, l_size, 1, l_batch),
                                    lambda c: c.mops[0] if c is not None and c.mops else None,
                                    check))
    for t in out:
        backend = t.num.split()[0]
        why = ran_as(context, backend)
        if why and t.missing is None:
            t.met = None
            t.note = f"not measured in its mode: {why}"
    return out


def dash_text(v):
    return "-" if v is None else str(v)


@dataclass
class RemoteRow:
    """A remote-free cell with its backend's local pair (churn at the same size, 1 thread)."""
    cell: kr.Cell
    kind: str               # "slab cpu-rseq", "baseline", or "" (another backend)
    local: kr.Cell = None
    local_batch: object = None
    note: str = ""          # ran_as(): the backend did not run in its mode

    @property
    def ratio(self):
        ns, local = kr.ok_ns(self.cell), kr.ok_ns(self.local)
        return ns / local if ns is not None and local else None


def remote_rows(cells_, context, baselines=kr.BASELINES):
    """The remote-free cells with a result: the slab variants, then buddy's, then the baselines,
    then any other backend; the variants at their layer's size, the baselines at the slab size,
    other backends at every size; each by size and threads."""
    order = variants("slab") + variants("buddy") + list(baselines)
    rows = []
    for c in cells_:
        if c.workload != kr.REMOTE_FREE or not c.ns:
            continue
        v = percpu_variant(c.backend)
        size = kr.param(c, "size")
        want = PERCPU_SIZE[v[0]] if v else PERCPU_SIZE["slab"] if c.backend in baselines else size
        if size != want:
            continue
        kind = f"{v[0]} {v[1]}" if v else "baseline" if c.backend in baselines else ""
        batch = pair_batch(cells_, [c.backend], size)
        local = churn_cell(cells_, c.backend, size, batch, 1)
        if local is None or not local.ns:
            local, batch = None, None
        rows.append(RemoteRow(c, kind, local, batch, ran_as(context, c.backend)))
    rows.sort(key=lambda r: (order.index(r.cell.backend) if r.cell.backend in order
                             else len(order), r.cell.backend, kr.natural(kr.param(r.cell, "size")),
                             r.cell.threads))
    return rows


def remote_failures(cells_):
    """{thread count: sorted error messages} of the remote-free cells that only failed."""
    out = {}
    for c in cells_:
        if c.workload == kr.REMOTE_FREE and not c.ns and c.errors:
            out.setdefault(c.threads, set()).update(c.errors)
    return {t: sorted(m) for t, m in sorted(out.items())}


def counter_table(cells_):
    """{threads: {counter workload: cell}} of the counter workloads' cells, by threads."""
    out = {}
    for c in cells_:
        if c.workload in kr.COUNTER_WORKLOADS:
            out.setdefault(c.threads, {})[c.workload] = c
    return dict(sorted(out.items()))


def render(run):
    """The per-CPU modes of the run, scaling per mode (slab with the baselines, buddy), the
    issue's targets, remote frees and the counters; "" without any run of a <layer>-<mode>
    backend, remote-free or a counter workload."""
    cells, ctx = run.cells, run.ctx
    if not any(percpu_variant(c.backend) or c.workload == kr.REMOTE_FREE
               or c.workload in kr.COUNTER_WORKLOADS for c in cells):
        return ""
    out = ['<h2 id="percpu">Per-CPU caches</h2>', percpu_modes(ctx),
           '<p class="note">The backends named &lt;layer&gt;-&lt;mode&gt; force a per-CPU mode: '
           "none (a shared lock), thread (per-thread caches), cpu-lock (per-CPU caches behind "
           "a spinlock), cpu-rseq (per-CPU caches with restartable sequences). Slab is read "
           f"at {PERCPU_SIZE['slab']} bytes, buddy at {PERCPU_SIZE['buddy']} (order 0), "
           "churn at batch 1 where it ran (the hot pair). Plain slab, kmalloc and buddy follow "
           "the run's modes above; they are in their own sections.</p>"]
    plots_ = [scaling_plot(cells, "slab", kr.BASELINES), scaling_plot(cells, "buddy")]
    out.append('<div class="plots">' + "".join(p for p in plots_ if p.startswith("<img"))
               + "</div>")
    out += [p for p in plots_ if not p.startswith("<img")]
    if any(percpu_variant(c.backend) for c in cells):
        out.append(percpu_targets_table(percpu_targets(cells, ctx)))
    else:
        out.append('<h3 id="percpu-targets">Targets</h3><p class="note missing">No run of the '
                   "&lt;layer&gt;-&lt;mode&gt; backends "
                   f"({esc(', '.join(variants('slab') + variants('buddy')))}): the "
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
    why = rseq_unusable(ctx)
    if why:
        asked = (pc.get("rseq") or {}).get("asked_by") or []
        head += (f'<p class="missing">rseq could not be used in this run: {esc(why)}. Every '
                 "cpu-rseq backend ran cpu-lock"
                 + (f" (asked for by {esc(', '.join(map(str, asked)))})" if asked else "")
                 + "; its targets are unknown.</p>")
    ran = [ran_as(ctx, b) for b in variants("slab") + variants("buddy")]
    ran = [r for r in ran if r and not (why and r.endswith(why))]
    if ran:
        head += (f'<p class="missing">Not run in their own mode: {esc("; ".join(ran))}.</p>')
    return head


def scaling_plot(cells, layer, baselines=()):
    """The layer's churn throughput against threads, one line per mode (and baseline): an
    <img>, or a note naming what is missing."""
    batch, lines = scaling_lines(cells, layer, baselines)
    size = PERCPU_SIZE[layer]
    if not any(b in lines for b in variants(layer)):
        return (f'<p class="note">No {layer} scaling plot: no churn run of '
                f"{esc(kr.or_list(variants(layer)))} at size:{size}.</p>")
    title = f"{layer} churn size:{size} batch:{dash_text(batch)}"
    missing = [b for b in variants(layer) if b not in lines]
    png = kmb_plots.scaling(title, lines)
    img = (f'<img alt="{esc(title)}: throughput against threads" '
           f'src="data:image/png;base64,{png}">')
    if missing:
        img += (f'<p class="note">{esc(layer)} plot: no churn run of '
                f"{esc(kr.or_list(missing))} at size:{size} batch:{dash_text(batch)}.</p>")
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
                 f"{num_cell(esc(dash_text(t.batch)))}")
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
            + (scroll_box(table("percpu-targets-table", head_cells(PERCPU_TARGET_HEAD), rows))
               if rows else "")
            + not_run_part(gone, "percpu"))


REMOTE_HEAD = ["backend", "mode", "size", "threads", "ns per object", "Mops/s (objects)",
               "local pair ns", "remote / local", "note"]


def remote_table(cells, ctx):
    """Per backend and thread count: the time one object takes through a producer-consumer
    pair, against the backend's own local pair (churn, 1 thread)."""
    rows = remote_rows(cells, ctx)
    failures = remote_failures(cells)
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
                f"{esc(kr.or_list(variants('slab') + variants('buddy')))}, a baseline "
                "or another backend.</p>" + notes)
    body = []
    for r in rows:
        c = r.cell
        nums = "".join(num_cell(v) for v in (
            esc(dash_text(kr.param(c, "size"))), esc(c.threads), kr.fmt_ns(kr.ok_ns(c)),
            cell_text(kr.fmt_ns(c.mops[0]) if c.mops else "n/a"),
            cell_text(kr.fmt_ns(kr.ok_ns(r.local))), cell_text(fmt_ratio(r.ratio))))
        body.append(f'<tr class="remote"><td>{esc(c.backend)}</td><td>{esc(r.kind or "-")}'
                    f"</td>{nums}<td>{esc(r.note)}</td></tr>")
    return head + table("percpu-remote-table", head_cells(REMOTE_HEAD), body) + notes


def counters_part(cells):
    """The counter workloads: throughput against threads (one line each) and a table."""
    by_threads = counter_table(cells)
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
