"""Section "Memory over time": the profile pass's memory (results/README.md, harness/profile.h)
of every workload that allocates, for its first parameters at its most threads: per workload
the largest and smallest peak RSS and held / live stated, then one figure, a panel per
workload, of the process's RSS over the pass; then a table of every cell's peak RSS, held and
live peaks and their ratio. Then, for the backends with a page allocator
(kmbench.profile.timeline's state series), per workload the highest unusable free space index
and the lowest slab occupancy stated (with a note where no series moves), one figure of the
buddy zones' unusable free space index and fragmentation index and the slabs' occupancy
(slabinfo's active_objs / num_objs) over the pass, two panels per workload whose series
move, and a table of each buddy zone's free pages and indices, their lowest and highest over
the pass; or a note that the file has none. A panel draws every backend where they fit in
kr.PANEL_LINES, else one of each family (kr.representatives). "" where no row has a peak RSS
(a file from before the pass, or --no-profile).
"""
import kmb_plots
import kmb_results as kr
from kmb_html import (answer_rows, case_row, esc, head_cells, num_cell, scroll_box, table,
                      view_figure)

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


def render(run):
    return "\n".join(part() for part in parts(run))


def parts(run):
    """The section in parts (sections/__init__.py): the heading, the memory figure with its
    answers, the note and the table, then the state figure with its answers and the zones'
    table; [] without memory data."""
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
           f"its most threads: a panel each, with every backend where there are "
           f"{kr.PANEL_LINES} or fewer, else the one of each family with the lowest peak "
           "RSS; every cell, and the held and live peaks, in the table.</p>"]
    picks = kr.figure_picks(cells_, run.backends)
    tail = []
    if not any(state_of(run, c) for c in cells_):
        tail.append('<p class="note missing" id="memory-state-left-out">Left out: the page '
                   "allocator's and the slabs' state over time. No row of this file carries it "
                   "(kmbench.profile.timeline's unusable_index, extfrag_index and slab_*_objs, "
                   "results/README.md: the kernel-style backends' state, written by kmbench "
                   "since the profile pass recorded it).</p>")
    tail.append(cell_table(cells_, run))
    return [kr.weigh(0, lambda: "\n".join(out)), lambda: rss_view(run, picks),
            kr.weigh(0, lambda: "\n".join(tail)), kr.weigh(2, lambda: state_view(run, picks))]


def rss_view(run, picks):
    """Each workload's answer, then the figure of every workload's RSS over the pass."""
    rows, panels, names = [], [], []
    for w, params, threads, pick, order in picks:
        rows.append((w, [("memory-answer", answer(w, params, threads, pick))]))
        rss, peak = {}, {c.backend: c.counters.get(PEAK) for c in pick}
        for c in pick:
            tl = (kr.profile_of(run.data, c) or {}).get("timeline") or {}
            if tl.get("rss_bytes") and len(tl["rss_bytes"]) == len(tl.get("t_ms") or []):
                rss[c.backend] = (tl["t_ms"], tl["rss_bytes"])
        if rss:
            shown = kr.representatives([b for b in order if b in rss], peak.get)
            panels.append((kmb_plots.case_title(w, params, threads),
                           {b: rss[b] for b in shown}))
            names.append(w)
    html = ['<h3 id="memory-view">Per workload</h3>', answer_rows("memory-answers", rows)]
    if panels:
        png = kmb_plots.timeline_panels("RSS over the profile pass: a panel per workload",
                                        panels)
        html.append(view_figure("memory over time, a panel per workload", png, names))
    return "\n".join(html)


TABLE_HEAD = ["workload", "params", "threads", "backend", "peak RSS MiB", "held peak MiB",
              "live peak MiB", "held / live"]


def cell_table(cells_, run):
    rows = []
    for c in kr.by_case(cells_, run.backends):
        ratio = held_over_live(c)
        vals = [mib(c.counters.get(k)) for k in kr.PROFILE_PEAKS]
        vals.append("n/a" if ratio is None else f"{ratio:.2f}")
        rows.append(case_row("mem", c, vals))
    return ('<h3 id="memory-table">Every cell</h3>'
            + scroll_box(table("memory-table", head_cells(TABLE_HEAD), rows)))


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
             "panel.")


def moves(st):
    """Whether any of a cell's state series moves more than FLAT over the pass."""
    series = [st["unusable"], st["extfrag"],
              [v for v in st["occupancy"] or [] if v is not None]]
    return any(s and max(s) - min(s) > FLAT for s in series)


def state_view(run, picks):
    """Each workload's state answer (FLAT_NOTE added where no series moves), the figure of
    the workloads whose series move, two panels each: the two indices, and the occupancy where a
    backend has slabs; then the zones' table. "" where no figure cell has the state."""
    rows, panels, names, zones = [], [], [], []
    for w, params, threads, pick, order in picks:
        states = {c.backend: st for c in pick if (st := state_of(run, c))}
        if not states:
            continue
        zones += [(c, z) for c in kr.by_case(pick, run.backends) for z in zones_of(run, c)]
        text = state_answer(w, params, threads, states)
        if not any(moves(st) for st in states.values()):
            rows.append((w, [("memory-state-answer", text + "." + FLAT_NOTE)]))
            continue
        rows.append((w, [("memory-state-answer", text)]))
        names.append(w)
        panels += state_row((w, params, threads), states, [b for b in order if b in states])
    if not rows:
        return ""
    html = ['<h3 id="memory-state">Page allocator and slabs</h3>',
            answer_rows("memory-state-answers", rows)]
    if panels:
        png = kmb_plots.state_panels("Page allocator and slabs over the profile pass: two "
                                     "panels per workload", panels, STATE_COLUMNS, STATE_KEYS)
        html.append(view_figure("page allocator and slab state over time, two panels per "
                                "workload", png, names))
    html.append(zone_table(zones))
    return "\n".join(html)


STATE_COLUMNS = 4   # two workloads to a row, each two panels: the indices, the occupancy
STATE_KEYS = (("-", "unusable index"), (":", "fragmentation index"))


def state_row(case, states, order):
    """A workload's (case: workload, params, threads) two panels of state_panels: the unusable
    free space index (solid) and the fragmentation index (dotted), and, where a backend has
    slabs, the occupancy (else None: the place left empty); each with every backend where they
    fit (half as many in the indices' panel, two lines a backend), else the one of each family
    with the highest peak unusable index (the lowest occupancy)."""
    frag = next(iter(states.values()))["order"]
    shown = kr.representatives(order, lambda b: -max(states[b]["unusable"]),
                               kr.PANEL_LINES // 2)
    row = [(kmb_plots.case_title(*case, f"indices, order {frag}"), f"index, order {frag}",
            (-1.05, 1.05), (-1, -0.5, 0, 0.5, 1),
            {b: [(states[b]["t"], states[b]["unusable"], "-"),
                 (states[b]["t"], states[b]["extfrag"], ":")] for b in shown})]
    occ = {b: [100 * v if v is not None else None for v in states[b]["occupancy"]]
           for b in order if states[b]["occupancy"]}
    shown = kr.representatives(list(occ), lambda b: min((v for v in occ[b] if v is not None),
                                                        default=None))
    row.append((kmb_plots.case_title(*case, "slab occupancy"), "objects in use, %", (0, 102),
                (0, 25, 50, 75, 100), {b: [(states[b]["t"], occ[b], "-")] for b in shown})
               if occ else None)
    return row


def zones_of(run, c):
    """A cell's buddy zones over its pass (kmbench.profile.timeline.zones): [(node, zone,
    {series: (lowest, highest)})] for free_pages, unusable_index and extfrag_index, a series
    left out where it is not one number per point; [] where the cell has none."""
    tl = (kr.profile_of(run.data, c) or {}).get("timeline") or {}
    n = len(tl.get("t_ms") or [])
    out = []
    for z in tl.get("zones") or []:
        if not isinstance(z, dict):
            continue
        ranges = {}
        for key in ZONE_SERIES:
            v = z.get(key)
            if (isinstance(v, list) and len(v) == n and n
                    and all(isinstance(x, (int, float)) for x in v)):
                ranges[key] = (min(v), max(v))
        out.append((z.get("node"), z.get("zone"), ranges))
    return out


ZONE_SERIES = ("free_pages", "unusable_index", "extfrag_index")
ZONE_HEAD = ["workload", "params", "threads", "backend", "node", "zone", "free pages lowest",
             "free pages highest", "unusable index lowest", "unusable index highest",
             "fragmentation index lowest", "fragmentation index highest"]


def zone_table(zones):
    """Each figure cell's buddy zones, a row each: their free pages and indices, lowest and
    highest over the pass."""
    if not zones:
        return ""
    rows = []
    for c, (node, zone, ranges) in zones:
        vals = []
        for key in ZONE_SERIES:
            lo, hi = ranges.get(key, (None, None))
            vals += ["n/a" if v is None else f"{v:,}" if key == "free_pages" else f"{v:.3f}"
                     for v in (lo, hi)]
        rows.append(case_row("zone", c, [], f"{num_cell(esc(node))}<td>{esc(zone)}</td>"
                             + "".join(num_cell(esc(v)) for v in vals)))
    return ('<p class="note">Each buddy zone (kmbench.profile.timeline.zones, at most 8), of the '
            "cells above: its free pages (every order) and its two indices, their lowest and "
            "highest over the pass.</p>"
            + scroll_box(table("memory-zones-table", head_cells(ZONE_HEAD), rows)))
