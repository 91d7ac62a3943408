"""Section "Memory over time": the profile pass's memory (results/README.md, harness/profile.h)
of every workload that allocates: per workload one figure for its first parameters at its most
threads, the process's RSS over the pass per backend and, where the backend can say, the bytes
it holds (solid) against the bytes live (dotted), with the largest peak RSS and the largest
held / live stated above it; then a table of every cell's peak RSS, held and live peaks and
their ratio. Then, for the backends with a page allocator (kmbench.profile.timeline's state
series), per workload one figure of its buddy zones' unusable free space index and fragmentation
index over the pass and of its slabs' occupancy (slabinfo's active_objs / num_objs), with the
highest index and the lowest occupancy stated above it (the statement alone where no series
moves), or a note that the file has none. ""
where no row has a peak RSS (a file from before the pass, or --no-profile).
"""
import kmb_plots
import kmb_results as kr
from kmb_html import (case_row, esc, figure_under, head_cells, table, workload_figure,
                      workload_parts)

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
    return "\n".join(part() for part in parts(run))


def parts(run):
    """The section in parts (sections/__init__.py): the heading, then per workload a part of
    its figures, then the note and the table; [] without memory data."""
    cells_ = kr.profile_cells(run.cells, PEAK)
    if not cells_:
        return []
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
    tail = []
    if not any(state_of(run, c) for c in cells_):
        tail.append('<p class="note missing" id="memory-state-left-out">Left out: the page '
                   "allocator's and the slabs' state over time. No row of this file carries it "
                   "(kmbench.profile.timeline's unusable_index, extfrag_index and slab_*_objs, "
                   "results/README.md: the kernel-style backends' state, written by kmbench "
                   "since the profile pass recorded it).</p>")
    tail.append(cell_table(cells_, run))
    return workload_parts("\n".join(out), cells_, run, workload_figures, tail)


def workload_figures(run, w, params, threads, pick, order):
    """A workload's memory timeline with its answer, and its state figure."""
    case = f"{kr.case_text(w, params)}, {kr.threads_text(threads)}"
    png = kmb_plots.timelines(f"{case}: memory over the pass", specs(run, pick, order))
    return "\n".join([workload_figure("memory", w, answer(w, params, threads, pick),
                                       "memory over time", png),
                       state_figure(run, w, params, threads, pick, order)])


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


def state_of(run, c):
    """A cell's state over its profile pass (results/README.md, kmbench.profile.timeline):
    {"t": ms, "order": the indices' order, "unusable", "extfrag": indices of every zone
    together, "occupancy": slabinfo's active_objs / num_objs or None}; None without the
    indices, or where a series is not one value per point."""
    tl = (kr.profile_of(run.data, c) or {}).get("timeline") or {}
    t = tl.get("t_ms") or []
    un, ex = tl.get("unusable_index"), tl.get("extfrag_index")
    if not t or not isinstance(un, list) or not isinstance(ex, list) \
            or not len(t) == len(un) == len(ex):
        return None
    active, num = tl.get("slab_active_objs"), tl.get("slab_num_objs")
    occ = None
    if isinstance(active, list) and isinstance(num, list) and len(active) == len(num) == len(t):
        occ = [a / n if n else None for a, n in zip(active, num)]
    return {"t": t, "order": tl.get("frag_order"), "unusable": un, "extfrag": ex,
            "occupancy": occ}


def state_answer(w, params, threads, states):
    """"unusable free space index (order 3) highest: slab 0.412 at 38 ms, lowest peak: buddy
    0.000; slab occupancy lowest: kmalloc 71.2% at 12 ms (churn, 64 B, 2 threads)"."""
    order = next(iter(states.values()))["order"]
    peaks = sorted((max(st["unusable"]), b, st["t"][st["unusable"].index(max(st["unusable"]))])
                   for b, st in states.items())
    hi, lo = peaks[-1], peaks[0]
    text = (f"unusable free space index (order {order}) highest: {hi[1]} {hi[0]:.3f} at "
            f"{hi[2]:,.0f} ms")
    if len(peaks) > 1:
        text += f"; lowest peak: {lo[1]} {lo[0]:.3f}"
    occ = sorted((min(v for v in st["occupancy"] if v is not None), b,
                  st["t"][st["occupancy"].index(min(v for v in st["occupancy"]
                                                    if v is not None))])
                 for b, st in states.items()
                 if st["occupancy"] and any(v is not None for v in st["occupancy"]))
    if occ:
        text += (f"; slab occupancy (objects in use / in slabs) lowest: {occ[0][1]} "
                 f"{100 * occ[0][0]:.1f}% at {occ[0][2]:,.0f} ms")
    return text + f" ({kr.case_text(w, params)}, {kr.threads_text(threads)})"


FLAT = 0.005   # a series that moves less than this over the pass (indices; occupancy as a
               # share) is flat: a workload whose every series is gets its answer, no figure
FLAT_NOTE = (" Every series stayed within 0.005 (0.5% of occupancy) over the pass: no "
             "figure.")


def moves(st):
    """Whether any of a cell's state series moves more than FLAT over the pass."""
    series = [st["unusable"], st["extfrag"],
              [v for v in st["occupancy"] or [] if v is not None]]
    return any(s and max(s) - min(s) > FLAT for s in series)


def state_figure(run, w, params, threads, pick, order):
    """A workload's state figure and its answer; "" where none of its cells has the state,
    the answer alone (FLAT_NOTE) where no series moves. Per panel of backends: the two
    indices, and the occupancy where a backend has slabs."""
    states = {c.backend: st for c in pick if (st := state_of(run, c))}
    if not states:
        return ""
    if not any(moves(st) for st in states.values()):
        return (f'<p class="memory-state-answer" data-workload="{esc(w)}">'
                f"{esc(state_answer(w, params, threads, states) + '.' + FLAT_NOTE)}</p>")
    frag = next(iter(states.values()))["order"]
    specs = []
    for name, members in kr.panels([b for b in order if b in states]):
        suffix = f", {name}" if name != "all backends" else ""
        specs.append((f"unusable free space{suffix}", f"unusable index, order {frag}", (0, 1.02),
                      {b: (states[b]["t"], states[b]["unusable"]) for b in members}))
        specs.append((f"fragmentation{suffix}", f"fragmentation index, order {frag}",
                      (-1.05, 1.05), {b: (states[b]["t"], states[b]["extfrag"]) for b in members}))
        occ = {b: (states[b]["t"], [100 * v if v is not None else None
                                    for v in states[b]["occupancy"]])
               for b in members if states[b]["occupancy"]}
        if occ:
            specs.append((f"slab occupancy{suffix}", "objects in use, % of those in slabs",
                          (0, 102), occ))
    case = f"{kr.case_text(w, params)}, {kr.threads_text(threads)}"
    png = kmb_plots.state_lines(f"{case}: page allocator and slabs over the pass", specs)
    return figure_under("memory-state", w, state_answer(w, params, threads, states),
                        "page allocator and slab state over time", png)
