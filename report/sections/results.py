"""Section "All results": one row per backend, workload, params and threads (median over
repetitions), with the counters per operation, and one row per cell with failed runs.
"""
import kmb_results as kr
from kmb_html import esc, num_cell, table, cell_text, scroll_box

ANCHOR = "results"
TITLE = "Results"

# Counters in the order results/README.md lists them; unknown counters follow, sorted.
KNOWN_COUNTERS = [
    "task_clock_ns", "page_faults", "context_switches", "cpu_migrations", "cycles",
    "instructions", "cache_misses", "l1d_misses", "llc_misses", "dtlb_misses",
    "hw_counted_fraction",
]


def counter_columns(cells_, counters_ctx):
    """Counter columns for the table: known ones present or listed in the context, then others.

    Series counters (<name>_at_<N>k) are left out: they belong in a plot, not one column each;
    so are the profile pass's keys, which the latency and memory sections show.
    """
    present = {n for c in cells_ for n in c.counters
               if not kr.series_point(n) and not kr.profile_counter(n)}
    listed = set(counters_ctx.get("available") or []) | set(counters_ctx.get("unavailable") or {})
    cols = [n for n in KNOWN_COUNTERS if n in present or n in listed]
    return cols + sorted((present | listed) - set(cols))


# A counter this row has not: most cells of a run of many workloads (each workload's own
# counters are columns), so the shortest markup that says it.
NA_CELL = '<td class="na">n/a</td>'
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


def render(run):
    """One row per cell (median over repetitions) and one per cell with failed runs."""
    cells, counters_ctx = run.cells, run.counters_ctx
    cols = counter_columns(cells, counters_ctx)
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
            tds = "".join(NA_CELL if v == "n/a" else
                          f'<td class="num{" ns" if i == 1 else ""}">{cell_text(v)}</td>'
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
            + scroll_box(table("results-table", ths, rows)))


def tip(text):
    return f' title="{esc(text)}"' if text else ""
