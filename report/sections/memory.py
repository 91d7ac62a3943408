"""Section "Memory over time": the profile pass's memory (results/README.md, harness/profile.h)
of every workload that allocates: per workload one figure for its first parameters at its most
threads, the process's RSS over the pass per backend and, where the backend can say, the bytes
it holds (solid) against the bytes live (dotted), with the largest peak RSS and the largest
held / live stated above it; then a table of every cell's peak RSS, held and live peaks and
their ratio. "" where no row has a peak RSS (a file from before the pass, or --no-profile).
"""
import kmb_plots
import kmb_results as kr
from kmb_html import head_cells, table, case_row, workload_figure

ANCHOR = "memory"
TITLE = "Memory over time"

PEAK, HELD, LIVE = kr.PROFILE_PEAKS


def mib(v):
    return "n/a" if v is None else f"{v / 2**20:,.2f}"


def held_over_live(c):
    held, live = c.counters.get(HELD), c.counters.get(LIVE)
    return held / live if held is not None and live else None


def answer(w, params, threads, pick):
    """"peak RSS highest: buddy 17.7 MiB, lowest: glibc 7.1 MiB; held / live highest: ..."."""
    peaks = sorted((c.counters[PEAK], c.backend) for c in pick if c.counters.get(PEAK))
    ratios = sorted((r, c.backend) for c in pick if (r := held_over_live(c)) is not None)
    text = (f"peak RSS lowest: {peaks[0][1]} {mib(peaks[0][0])} MiB; highest: {peaks[-1][1]} "
            f"{mib(peaks[-1][0])} MiB" if peaks else "no peak RSS")
    if ratios:
        text += (f"; held / live bytes at their peaks lowest: {ratios[0][1]} "
                 f"{ratios[0][0]:.2f}x, highest: {ratios[-1][1]} {ratios[-1][0]:.2f}x")
    return text + f" ({kr.case_text(w, params)}, {kr.threads_text(threads)})"


def specs(run, pick, order):
    """The figure's axes: RSS, then held (solid) and live (dotted), per panel of backends."""
    out = []
    for name, members in kr.panels(order):
        rss, usage = {}, {}
        for b in members:
            c = next(c for c in pick if c.backend == b)
            tl = (kr.profile_of(run.data, c) or {}).get("timeline") or {}
            t = tl.get("t_ms") or []
            if tl.get("rss_bytes"):
                rss[(b, "")] = (t, tl["rss_bytes"], "-")
            for key, label, ls in (("held_bytes", "held", "-"), ("live_bytes", "live", ":")):
                if tl.get(key):
                    usage[(b, label)] = (t, tl[key], ls)
        suffix = f", {name}" if name != "all backends" else ""
        out.append((f"RSS{suffix}", rss))
        have = [b for b in members if any(k[0] == b for k in usage)]
        step = kr.PANEL_LINES // 2     # two lines a backend
        for i in range(0, len(have), step):
            part = have[i:i + step]
            more = f" ({i // step + 1})" if len(have) > step else ""
            out.append((f"held and live{suffix}{more}",
                        {k: v for k, v in usage.items() if k[0] in part}))
    return out


def render(run):
    cells_ = kr.profile_cells(run.cells, PEAK)
    if not cells_:
        return ""
    out = [f'<h2 id="{ANCHOR}">{TITLE}</h2>',
           '<p class="note">The profile pass (results/README.md) samples, every millisecond '
           "or so (at most 128 points), the process's resident set (/proc/self/statm) and, "
           "where the backend can say, the bytes its allocator holds against the bytes its "
           "callers hold (held: glibc's arenas, jemalloc's resident, tcmalloc's heap less what "
           "it unmapped, mimalloc's committed bytes, the kernel-style backends' pages off the "
           "buddy free lists; live: the bytes allocated and not freed, slab objects counted "
           "as /proc/slabinfo does). Peak RSS: the process's high-water mark over the pass "
           "(VmHWM, reset before it). Each backend runs in a process of its own, so RSS "
           "includes the harness, the process's earlier cells and, for the kernel-style "
           "backends, the model memory they touched. Per workload, its first parameters at "
           "its most threads; every cell in the table.</p>"]
    for w, params, threads, pick, order in kr.figure_picks(cells_, run.backends):
        case = f"{kr.case_text(w, params)}, {kr.threads_text(threads)}"
        png = kmb_plots.timelines(f"{case}: memory over the pass", specs(run, pick, order))
        out.append(workload_figure("memory", w, answer(w, params, threads, pick),
                                   "memory over time", png))
    out.append(cell_table(cells_, run))
    return "\n".join(out)


TABLE_HEAD = ["workload", "params", "threads", "backend", "peak RSS MiB", "held peak MiB",
              "live peak MiB", "held / live"]


def cell_table(cells_, run):
    rows = []
    for c in kr.by_case(cells_, run.backends):
        ratio = held_over_live(c)
        vals = [mib(c.counters.get(k)) for k in kr.PROFILE_PEAKS]
        vals.append("n/a" if ratio is None else f"{ratio:.2f}")
        rows.append(case_row("mem", c, vals))
    return ('<h3 id="memory-table">Every cell</h3><div class="scroll">'
            + table("memory-table", head_cells(TABLE_HEAD), rows) + "</div>")
