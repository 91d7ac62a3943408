"""Section "False sharing": slab (SLAB_HWCACHE_ALIGN) against slab-packed (kr.PACKED) under the
two false-sharing shapes (workloads false-share-passive and false-share-active,
docs/workloads.md): paired bars of ns per op per thread at each thread count, per workload and
size, with the slab-packed / slab ratio and its spread over repetitions above them, and a table
of every backend (the baselines too) with the counters of lines shared by two threads' objects;
"" without any run of those workloads.
"""
import kmb_plots
import kmb_results as kr
from kmb_html import esc, num_cell, head_cells, table, fmt_ratio, cell_text, scroll_box

ANCHOR = "falseshare"
TITLE = "False sharing"
COST = 2     # its drawing time, about two figures' (sections/__init__.py)

WORKLOADS = ("false-share-passive", "false-share-active")
ALIGNED = "slab"              # SLAB_HWCACHE_ALIGN: every object starts on a cache line
PAIR = (ALIGNED, kr.PACKED)   # the bars; the ratio is PACKED over ALIGNED
COUNTERS = ("handed_shared_lines", "shared_lines")


def falseshare_cells(cells_):
    """The cells of the false-sharing workloads, by (workload, size): {key: [cells]}, in
    WORKLOADS order, then sizes in numeric order."""
    out = {}
    for c in cells_:
        if c.workload in WORKLOADS:
            out.setdefault((c.workload, kr.param(c, "size")), []).append(c)
    return dict(sorted(out.items(), key=lambda kv: (WORKLOADS.index(kv[0][0]),
                                                    kr.natural(kv[0][1]))))


def find(cells_, backend, threads):
    for c in cells_:
        if (c.backend, c.threads) == (backend, threads):
            return c
    return None


def pair_ratio(packed, aligned):
    """(median ratio, low, high, repetitions) of packed's ns over aligned's, or None without a
    result of both. low and high: packed's fastest repetition over aligned's slowest, and its
    slowest over aligned's fastest (the ratio's whole range over the repetitions); the
    repetitions: the fewer of the two cells'."""
    a, p = kr.ok_ns(aligned), kr.ok_ns(packed)
    if a is None or p is None or a <= 0:
        return None
    lo = hi = None
    if None not in (packed.ns[1], packed.ns[2], aligned.ns[1], aligned.ns[2]) and aligned.ns[1]:
        lo, hi = packed.ns[1] / aligned.ns[2], packed.ns[2] / aligned.ns[1]
    return p / a, lo, hi, min(packed.reps, aligned.reps)


def ratio_text(threads, r):
    """"2 threads: slab-packed 6.90x slower than slab (6.60-7.40 over 5 repetitions)"."""
    head = kr.threads_text(threads)
    if r is None:
        return f"{head}: no result of both {ALIGNED} and {kr.PACKED}"
    ratio, lo, hi, reps = r
    way = "slower than" if ratio >= 1 else "the time of"
    text = f"{head}: {kr.PACKED} {fmt_ratio(ratio)} {way} {ALIGNED}"
    if ratio < 1:
        text += ", faster"
    spread = f"{lo:.2f}-{hi:.2f} over " if lo is not None else ""
    return text + f" ({spread}{reps} repetition{'s' if reps != 1 else ''})"


def render(run):
    """Per workload: one figure (an axes per size) of the paired bars with the ratios above,
    the ratio lines, then one table of every backend; "" without a false-sharing run."""
    groups = falseshare_cells(run.cells)
    if not groups:
        return ""
    out = ['<h2 id="falseshare">False sharing</h2>',
           '<p class="note">Workloads false-share-passive (one thread hands each thread a '
           "neighbouring object, as Hoard's cache-scratch) and false-share-active (each thread "
           "allocates its own, as cache-thrash); one op is one write pass over the object "
           f"(docs/workloads.md). {esc(ALIGNED)} aligns every object to a cache line "
           f"(SLAB_HWCACHE_ALIGN), {esc(kr.PACKED)} packs them. ns per op per thread: "
           "real_time x threads, median over repetitions, bars min..max. The ratio is "
           f"{esc(kr.PACKED)} / {esc(ALIGNED)}, its range {esc(kr.PACKED)}'s fastest "
           f"repetition over {esc(ALIGNED)}'s slowest to its slowest over the fastest. "
           "shared_lines: lines that two threads' objects share, handed_shared_lines: those "
           "of the objects handed over (passive), as thread 0 counts them from the "
           "addresses.</p>"]
    for w in WORKLOADS:
        sizes = [(size, cs) for (wl, size), cs in groups.items() if wl == w]
        if not sizes:
            continue
        out.append(f'<h3 id="falseshare-{kr.slug(w)}">{esc(w)}</h3>')
        panels, above, lines = [], [], []
        for size, cs in sizes:
            threads = sorted({c.threads for c in cs if c.backend in PAIR})
            bars = {b: {t: find(cs, b, t).ns for t in threads
                        if find(cs, b, t) is not None and find(cs, b, t).ns} for b in PAIR}
            ratios = {t: pair_ratio(find(cs, kr.PACKED, t), find(cs, ALIGNED, t))
                      for t in threads}
            panels.append((f"{kr.size_text(size)}", {b: p for b, p in bars.items() if p}))
            above.append({t: fmt_ratio(r[0]) for t, r in ratios.items() if r})
            lines.append(f'<li class="fs-ratio" data-workload="{esc(w)}" '
                         f'data-size="{esc(size)}">{esc(kr.size_text(size))}: '
                         + "; ".join(esc(ratio_text(t, ratios[t])) for t in threads) + "</li>")
        png = kmb_plots.paired_bars(
            f"{w}: {ALIGNED} against {kr.PACKED} (above each pair: {kr.PACKED} / {ALIGNED})",
            panels, above)
        out.append(f'<ul class="fs-ratios">{"".join(lines)}</ul>')
        out.append(f'<div class="plots"><img alt="{esc(w)}: {esc(ALIGNED)} against '
                   f'{esc(kr.PACKED)}" src="data:image/png;base64,{png}"></div>')
    out.append(counter_table(groups, run.backends))
    return "\n".join(out)


TABLE_HEAD = ["workload", "size", "threads", "backend", "ns per op per thread", "min..max",
              f"/ {ALIGNED}", *COUNTERS]


def counter_table(groups, backends):
    """Every backend's cell of each workload, size and thread count: ns per op per thread,
    its spread, the ratio to slab's at the same point, and the shared-lines counters."""
    order = {b: i for i, b in enumerate(backends)}
    rows = []
    for (w, size), cs in groups.items():
        for c in sorted(cs, key=lambda c: (c.threads, order.get(c.backend, len(order)),
                                           c.backend)):
            aligned = kr.ok_ns(find(cs, ALIGNED, c.threads))
            ns = kr.ok_ns(c)
            spread = (f"{kr.fmt_ns(c.ns[1])}..{kr.fmt_ns(c.ns[2])}"
                      if c.ns and c.ns[1] is not None else "n/a")
            ratio = fmt_ratio(ns / aligned) if ns is not None and aligned else "n/a"
            if ns is None and c.errors:
                ratio = "failed"
            vals = [kr.fmt_ns(ns), spread, ratio] + [
                kr.fmt_counter(c.counters.get(k)) for k in COUNTERS]
            rows.append(f'<tr class="fs"><td>{esc(w)}</td>{num_cell(esc(size))}'
                        f"{num_cell(esc(c.threads))}<td>{esc(c.backend)}</td>"
                        + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    return ('<h3 id="falseshare-table">Every backend</h3>'
            + scroll_box(table("falseshare-table", head_cells(TABLE_HEAD), rows)))
