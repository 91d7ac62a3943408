"""Section "Trace replay": the kernel's own allocations (a `kmbench record` trace, by default
the fixture tests/fixtures/kernel.trace) replayed on every backend by the trace workload
(docs/workloads.md): which trace (context.options.trace), the fastest backend at each thread
count above the figure, whether every backend replayed the same count of operations (the
target of issue 15), the dot plot of ns per op per thread (kmb_plots.ns_per_op), then a table of
every backend: ns per op per thread, its spread, its ratio to the fastest, and the counters
ops_replayed, ops_skipped, remote_frees and replays; "" without any trace row.
"""
import kmb_plots
import kmb_results as kr
from kmb_html import esc, num_cell, head_cells, table, fmt_ratio, cell_text, scroll_box

ANCHOR = "trace"
TITLE = "Trace replay"

WORKLOAD = "trace"
COUNTERS = ("ops_replayed", "ops_skipped", "remote_frees", "replays")


def trace_cells(cells_):
    return [c for c in cells_ if c.workload == WORKLOAD]


def fastest(cells_, threads):
    """The cell with the lowest median ns/op at @threads, or None."""
    have = [c for c in cells_ if c.threads == threads and c.ns]
    return min(have, key=lambda c: c.ns[0]) if have else None


def trace_info(ctx):
    opts = ctx.get("options") if isinstance(ctx.get("options"), dict) else {}
    t = opts.get("trace")
    return t if isinstance(t, dict) else {}


def counts_text(cells_, trace):
    """Whether every backend replayed the trace's operations: one sentence."""
    events = trace.get("events")
    done = [c for c in cells_ if c.ns]
    failed = sorted({f"{c.backend} ({kr.threads_text(c.threads)})" for c in cells_
                     if not c.ns and c.errors})
    counts = {c.counters.get("ops_replayed") for c in done}
    skipped = {c.counters.get("ops_skipped") for c in done}
    if not done:
        return "No backend replayed the trace."
    if len(counts) == 1 and len(skipped) == 1 and None not in counts | skipped:
        ops, skip = counts.pop(), skipped.pop()
        total = f" of {events:,} events" if isinstance(events, int) else ""
        text = (f"Every backend that ran replayed the same {ops:,.0f} operations{total} per "
                f"replay ({skip:,.0f} left out: frees of objects from before the recording "
                "whose size the trace does not know)")
        whole = isinstance(events, int) and ops + skip == events
        text += "." if whole else f", which is not the trace's {events} events."
    else:
        text = ("The backends replayed different counts of operations: "
                + ", ".join(f"{c.backend} {kr.threads_text(c.threads)} "
                            f"{kr.fmt_counter(c.counters.get('ops_replayed'))}" for c in done)
                + ".")
    if failed:
        text += f" Failed: {', '.join(failed)}."
    return text


def render(run):
    cs = trace_cells(run.cells)
    if not cs:
        return ""
    trace = trace_info(run.ctx)
    threads = sorted({c.threads for c in cs})
    out = [f'<h2 id="{ANCHOR}">{TITLE}</h2>',
           '<p class="note">Workload trace: the kernel\'s own kmalloc, kmem_cache and page '
           "allocations and frees, recorded by <code>kmbench record</code> from the kmem "
           "tracepoints, replayed in their order with each recorded CPU on thread cpu % "
           "threads (remote frees kept). One op is one allocation or free; the start "
           "allocations and end frees that close each replay count too. ns per op per "
           "thread: real_time x threads, median over repetitions (docs/workloads.md).</p>"]
    if trace:
        out.append('<p class="trace-source">Trace: '
                   f'{esc(trace.get("path", "?"))}, kernel {esc(trace.get("kernel", "?"))}, '
                   f'{esc(trace.get("source", ""))}; {trace.get("events", "?")} events on '
                   f'{trace.get("cpus", "?")} CPUs, {trace.get("objects", "?")} objects '
                   f'({trace.get("pre_frees", "?")} freed from before the recording, '
                   f'{trace.get("live_at_end", "?")} live at its end), '
                   f'{trace.get("caches", "?")} caches.</p>')
    answers = []
    for t in threads:
        best = fastest(cs, t)
        if best is None:
            continue
        slab = next((c for c in cs if (c.backend, c.threads) == ("slab", t) and c.ns), None)
        text = (f"{kr.threads_text(t)}: fastest {best.backend}, "
                f"{kr.fmt_ns(best.ns[0])} ns per op")
        if slab is not None and slab is not best:
            text += f"; slab takes {fmt_ratio(slab.ns[0] / best.ns[0])} its time"
        answers.append(f'<li class="trace-fastest" data-threads="{t}">{esc(text)}</li>')
    out.append(f'<ul class="trace-answers">{"".join(answers)}</ul>')
    out.append(f'<p class="trace-counts">{esc(counts_text(cs, trace))}</p>')
    png = kmb_plots.ns_per_op("trace replay", cs, run.backends)
    out.append('<div class="plots"><img alt="trace replay: time per operation" '
               f'src="data:image/png;base64,{png}"></div>')
    out.append(replay_table(cs, run.backends))
    return "\n".join(out)


TABLE_HEAD = ["backend", "threads", "ns per op per thread", "min..max", "/ fastest", *COUNTERS]


def replay_table(cs, backends):
    """Every backend at each thread count: ns per op per thread, its spread, its ratio to the
    fastest backend at that thread count, and the replay's counters."""
    order = {b: i for i, b in enumerate(backends)}
    rows = []
    for c in sorted(cs, key=lambda c: (c.threads, order.get(c.backend, len(order)),
                                       c.backend)):
        best = fastest(cs, c.threads)
        ns = kr.ok_ns(c)
        spread = (f"{kr.fmt_ns(c.ns[1])}..{kr.fmt_ns(c.ns[2])}"
                  if c.ns and c.ns[1] is not None else "n/a")
        ratio = fmt_ratio(ns / best.ns[0]) if ns is not None and best else "n/a"
        if ns is None and c.errors:
            ratio = "failed"
        vals = [kr.fmt_ns(ns), spread, ratio] + [kr.fmt_counter(c.counters.get(k))
                                                 for k in COUNTERS]
        rows.append(f'<tr class="trace"><td>{esc(c.backend)}</td>{num_cell(esc(c.threads))}'
                    + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    return ('<h3 id="trace-table">Every backend</h3>'
            + scroll_box(table("trace-table", head_cells(TABLE_HEAD), rows)))
