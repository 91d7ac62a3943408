"""The report's figures, drawn with matplotlib's Agg backend and returned as base64 PNG text.

Every figure of one report gives a backend the same colour (colours()). Values are the Cells'
medians over repetitions; error bars span min..max over repetitions where those are known.
"""
import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use("Agg"))
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

FIGSIZE = (6.4, 4.0)   # inches; at DPI below, 768 x 480 pixels, shown at half width or less
DPI = 120
STYLE = {
    "axes.grid": True, "grid.alpha": 0.35, "axes.spines.top": False, "axes.spines.right": False,
    "font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8,
}


def colours(backends):
    """{backend: colour}, stable for the whole report."""
    cmap = plt.get_cmap("tab10" if len(backends) <= 10 else "tab20")
    return {b: cmap(i % cmap.N) for i, b in enumerate(backends)}


def to_base64(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def labelled(fig, ax, xlabel, ylabel, title):
    """Name the axes and title the plot; the figure as base64 PNG text."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return to_base64(fig)


def errors(stats):
    """yerr rows [below, above] for (median, min, max) triples; 0 where min/max unknown."""
    lo = [s[0] - s[1] if s[1] is not None else 0.0 for s in stats]
    hi = [s[2] - s[0] if s[2] is not None else 0.0 for s in stats]
    return [lo, hi]


def stat_line(ax, pts, **style):
    """One line with error bars through pts [(x, (median, min, max))], drawn in x order;
    style: errorbar's label, color, linestyle and marker."""
    pts = sorted(pts, key=lambda p: p[0])
    stats = [p[1] for p in pts]
    ax.errorbar([p[0] for p in pts], [st[0] for st in stats], yerr=errors(stats),
                markersize=4, capsize=3, linewidth=1.6, **style)


def thread_axis(ax, threads):
    """Ticks at the thread counts measured; log2 axis when they span a factor of 8 or more."""
    if len(threads) > 1 and max(threads) / max(min(threads), 1) >= 8:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(threads)
    ax.set_xticklabels([str(t) for t in threads])
    ax.set_xlabel("threads")


def throughput(title, cells, backends, colour):
    """Line plot: Mops/s (all threads) against threads, one line per backend."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({c.threads for c in cells if c.mops})
        for b in backends:
            pts = sorted((c.threads, c.mops) for c in cells if c.backend == b and c.mops)
            if pts:
                stat_line(ax, pts, label=b, color=colour[b], marker="o")
        if threads:
            thread_axis(ax, threads)
            ax.set_ylim(bottom=0)
            ax.legend(loc="best", title="backend", title_fontsize=8)
        else:
            no_data(ax)
        ax.set_ylabel("Mops/s, all threads (higher is better)")
        ax.set_title(f"{title}: throughput")
        return to_base64(fig)


def ns_per_op(title, cells, backends, colour):
    """Grouped bars: ns per operation per thread at each thread count, one bar per backend."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({c.threads for c in cells})
        shown = [b for b in backends if any(c.backend == b for c in cells)]
        width = 0.8 / max(len(shown), 1)
        label_bars = len(shown) * len(threads) <= 16
        top = max((c.ns[2] or c.ns[0] for c in cells if c.ns), default=0)
        labelled = set()
        for i, b in enumerate(shown):
            for j, t in enumerate(threads):
                x = j - 0.4 + width * (i + 0.5)
                cell = next((c for c in cells if c.backend == b and c.threads == t), None)
                if cell is None:
                    continue
                if not cell.ns:
                    ax.text(x, top * 0.02, "failed", rotation=90, ha="center", va="bottom",
                            fontsize=7, color="#b00020")
                    continue
                ax.bar(x, cell.ns[0], width * 0.92, color=colour[b],
                       label=None if b in labelled else b)
                labelled.add(b)
                if cell.ns[1] is not None:
                    ax.errorbar(x, cell.ns[0], yerr=errors([cell.ns]), color="#333333",
                                capsize=2, linewidth=1)
                if label_bars:
                    ax.text(x, (cell.ns[2] or cell.ns[0]) + top * 0.01, f"{cell.ns[0]:.1f}",
                            ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(threads)))
        ax.set_xticklabels([str(t) for t in threads])
        ax.set_xlabel("threads")
        ax.set_ylabel("ns per operation per thread (lower is better)")
        ax.set_title(f"{title}: time per operation")
        ax.grid(axis="x", visible=False)
        if top:
            ncols = min(len(labelled), 4)
            ax.set_ylim(0, top * (1.14 + 0.09 * -(-len(labelled) // ncols)))
            ax.legend(loc="upper center", title="backend", title_fontsize=8, ncols=ncols)
        else:
            no_data(ax)
        return to_base64(fig)


LINESTYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def style_of(values, value, styles):
    """The style for value: styles[index of value in values], cycling."""
    return styles[values.index(value) % len(styles)]


def order_sweep(title, points, colour):
    """Lines: ns per pair against page order (log y), one per (backend, threads).

    points: {(backend, threads): [(order, (median, min, max)), ...]}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({t for _, t in points})
        orders = sorted({o for pts in points.values() for o, _ in pts})
        for (b, t), pts in points.items():
            stat_line(ax, pts, label=f"{b}, {t} thread{'s' if t != 1 else ''}", color=colour[b],
                      linestyle=style_of(threads, t, LINESTYLES),
                      marker=style_of(threads, t, MARKERS))
        if orders:
            ax.set_yscale("log")
            ax.set_xticks(orders)
            ax.set_xticklabels([f"{o}\n{size_text(4096 << o)}" for o in orders])
            ax.legend(loc="best", title="backend, threads", title_fontsize=8)
        else:
            no_data(ax)
        return labelled(fig, ax, "order (log2 of the size in 4 KiB pages)",
                        "ns per alloc+free pair per thread (log)",
                        f"{title}: time per pair against order")


def size_sweep(title, points, colour, dashed=()):
    """Lines: ns per pair against size (log2 x, ticks at the sizes measured), one per backend;
    backends in dashed (the baselines) drawn dashed. Log y where the values span 20x or more.

    points: {backend: [(size, (median, min, max)), ...]}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        sizes = sorted({s for pts in points.values() for s, _ in pts})
        values = [st[0] for pts in points.values() for _, st in pts]
        for b, pts in points.items():
            stat_line(ax, pts, label=b, color=colour[b], linestyle="--" if b in dashed else "-",
                      marker="s" if b in dashed else "o")
        if sizes:
            ax.set_xscale("log", base=2)
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xticks(sizes)
            ax.set_xticklabels([size_text(s) for s in sizes], rotation=45, ha="right")
            if min(values) > 0 and max(values) / min(values) >= 20:
                ax.set_yscale("log")
            else:
                ax.set_ylim(bottom=0)
            ax.legend(loc="best", title="backend (dashed: baseline)", title_fontsize=8,
                      ncols=2)
        else:
            no_data(ax)
        return labelled(fig, ax, "object size (log2)", "ns per alloc+free pair per thread",
                        f"{title}: time per pair against size")


def size_text(size):
    """4 KiB, 2 MiB, ...: a size in bytes in the largest binary unit that divides it."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


def fragmentation(title, lines, colour):
    """Two panels over steps (log2 x): high-order probe success rate (0..1) and fragmentation
    index (-1..1), one line per (backend, params, threads); lines without an index are left
    out of the lower panel.

    lines: [(backend, params text, threads, {series name: [(steps / 1024, value)]})].
    """
    with plt.rc_context(STYLE):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(FIGSIZE[0], FIGSIZE[1] * 1.6),
                                          sharex=True, layout="constrained")
        threads = sorted({line[2] for line in lines})
        params = list(dict.fromkeys(line[1] for line in lines))   # in the cells' order
        steps, drawn = set(), {}
        for ax, name in ((top, "hi_success"), (bottom, "frag_index")):
            for b, ptext, t, series in lines:
                pts = series.get(name)
                if not pts:
                    continue
                steps.update(p[0] for p in pts)
                drawn[name] = drawn.get(name, 0) + 1
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour[b],
                        linestyle=style_of(threads, t, LINESTYLES),
                        marker=style_of(params, ptext, MARKERS), markersize=4, linewidth=1.4)
        top.set_ylim(-0.05, 1.05)
        top.set_ylabel("high-order success rate")
        top.set_title(f"{title}: fragmentation over time")
        bottom.set_ylim(-1.1, 1.1)
        bottom.axhline(0, color="#999999", linewidth=0.8)
        bottom.set_ylabel("fragmentation index (-1: free block)")
        bottom.set_xlabel("steps per thread (k = 1024, log2)")
        if steps:
            bottom.set_xscale("log", base=2)
            bottom.xaxis.set_minor_locator(NullLocator())
            bottom.set_xticks(sorted(steps))
            bottom.set_xticklabels([f"{k}k" for k in sorted(steps)])
            top.legend(handles=key_handles(lines, threads, params, colour), loc="upper left",
                       bbox_to_anchor=(1.01, 1.0), fontsize=7)
        else:
            no_data(top)
        if not drawn.get("frag_index"):
            bottom.text(0.5, 0.5, "no backend reports a fragmentation index",
                        transform=bottom.transAxes, ha="center", va="center", color="#777777")
        return to_base64(fig)


def key_handles(lines, threads, params, colour):
    """Legend entries for colour (backend), line style (threads) and marker (params) apart, so
    the legend grows with their sum rather than their product."""
    grey = "#555555"
    handles = [Line2D([], [], color=colour[b], linewidth=2, label=b)
               for b in dict.fromkeys(line[0] for line in lines)]
    if len(threads) > 1:
        handles += [Line2D([], [], color=grey, linestyle=style_of(threads, t, LINESTYLES),
                           label=f"{t} thread{'s' if t != 1 else ''}") for t in threads]
    if len(params) > 1:
        handles += [Line2D([], [], color=grey, linestyle="none",
                           marker=style_of(params, p, MARKERS), label=p) for p in params]
    return handles


def no_data(ax):
    ax.text(0.5, 0.5, "no successful runs", transform=ax.transAxes, ha="center", va="center",
            color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def scaling(title, lines, colour, dashed=()):
    """Lines: Mops/s (all threads) against threads, one per label of lines; labels in dashed
    (the baselines) drawn dashed.

    lines: {label: [(threads, (median, min, max)), ...]}; colour: {label: colour}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({t for pts in lines.values() for t, _ in pts})
        for label, pts in lines.items():
            stat_line(ax, pts, label=label, color=colour[label],
                      linestyle="--" if label in dashed else "-",
                      marker="s" if label in dashed else "o")
        if threads:
            thread_axis(ax, threads)
            ax.set_ylim(bottom=0)
            ax.legend(loc="best", title="dashed: baseline" if dashed else None,
                      title_fontsize=8, ncols=2 if len(lines) > 4 else 1)
        else:
            no_data(ax)
        ax.set_ylabel("Mops/s, all threads (higher is better)")
        ax.set_title(f"{title}: throughput against threads")
        return to_base64(fig)


def thread_colours(threads):
    """{thread count: colour} for the lines of one figure."""
    cmap = plt.get_cmap("tab10")
    return {t: cmap(i % cmap.N) for i, t in enumerate(sorted(threads))}


def fail_axis(ax, rates):
    """x: the failure rates measured, in percent."""
    ax.set_xticks(rates)
    ax.set_xticklabels([f"{r}%" for r in rates])
    ax.set_xlabel("underlying allocations failing (--mempool-fail)")


def fail_sweep(title, lines, references):
    """Lines: Mops/s (all threads) against the failure rate, one per thread count; each
    reference (a backend without a pool) as a dashed level line in its thread count's colour.

    lines: {threads: [(fail, (median, min, max))]}; references: {backend: {threads: stats}}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted(set(lines) | {t for ref in references.values() for t in ref})
        colour = thread_colours(threads)
        rates = sorted({f for pts in lines.values() for f, _ in pts})
        for t, pts in lines.items():
            stat_line(ax, pts, label=f"{t} thread{'s' if t != 1 else ''}", color=colour[t],
                      marker="o")
        for i, (backend, by_threads) in enumerate(references.items()):
            for t, st in sorted(by_threads.items()):
                ax.axhline(st[0], color=colour[t], linestyle=LINESTYLES[1 + i % 3],
                           linewidth=1.2, label=f"{backend} (no pool), {t} "
                           f"thread{'s' if t != 1 else ''}")
        if rates:
            fail_axis(ax, rates)
            ax.set_ylim(bottom=0)
            ax.legend(loc="best", fontsize=7)
        else:
            no_data(ax)
        ax.set_ylabel("Mops/s, all threads (higher is better)")
        ax.set_title(f"{title}: throughput against failure rate")
        return to_base64(fig)


def latency_sweep(title, lines, names):
    """Lines: sampled latency percentiles (ns, log) against the failure rate; colour per
    percentile (names, in order), line style per thread count.

    lines: {(threads, name): [(fail, ns)]}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({t for t, _ in lines})
        cmap = plt.get_cmap("plasma")
        colour = {n: cmap(0.85 * i / max(len(names) - 1, 1)) for i, n in enumerate(names)}
        rates = sorted({f for pts in lines.values() for f, _ in pts})
        for (t, name), pts in lines.items():
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=colour[name],
                    linestyle=style_of(threads, t, LINESTYLES),
                    marker=style_of(threads, t, MARKERS), markersize=4, linewidth=1.4)
        if rates and any(p[1] > 0 for pts in lines.values() for p in pts):
            fail_axis(ax, rates)
            ax.set_yscale("log")
            handles = [Line2D([], [], color=colour[n], linewidth=2, label=n) for n in names
                       if any(name == n for _, name in lines)]
            if len(threads) > 1:
                handles += [Line2D([], [], color="#555555",
                                   linestyle=style_of(threads, t, LINESTYLES),
                                   marker=style_of(threads, t, MARKERS),
                                   label=f"{t} thread{'s' if t != 1 else ''}") for t in threads]
            ax.legend(handles=handles, loc="upper left", fontsize=7, ncols=2)
        else:
            no_data(ax)
        ax.set_ylabel("ns per operation, sampled (log)")
        ax.set_title(f"{title}: latency percentiles against failure rate")
        return to_base64(fig)


def vm_sweep(title, points, colour, what):
    """Lines: ns per operation against size on log-log axes (ticks at the sizes measured), one
    per backend: the vmalloc section's untouched, first-touch and access figures.

    points: {backend: [(size, (median, min, max)), ...]}; what: what one operation is.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        sizes = sorted({s for pts in points.values() for s, _ in pts})
        for b, pts in points.items():
            stat_line(ax, pts, label=b, color=colour[b], marker="o")
        if sizes:
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xticks(sizes)
            ax.set_xticklabels([size_text(s) for s in sizes], rotation=45, ha="right")
            ax.legend(loc="best", title="backend", title_fontsize=8)
        else:
            no_data(ax)
        return labelled(fig, ax, "size (log2)", f"ns per {what} per thread (log)",
                        f"{title}: time against size")


def heatmap(title, rows, cols, values, unit, row_label, col_label):
    """A grid of values[(row, col)] (absent: no result, left blank), each square annotated
    with its value; darker is larger.  rows and cols: the labels in order."""
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(max(3.8, 1.1 * len(cols) + 1.8),
                                        max(2.4, 0.8 * len(rows) + 1.4)),
                               layout="constrained")
        grid = [[values.get((r, c), float("nan")) for c in cols] for r in rows]
        known = [v for line in grid for v in line if v == v]
        image = ax.imshow(grid, cmap="YlOrRd", aspect="auto",
                          vmin=min(known) if known else 0, vmax=max(known) if known else 1)
        top = max(known) if known else 0
        for i, line in enumerate(grid):
            for j, v in enumerate(line):
                text = "-" if v != v else f"{v:.0f}" if v >= 100 else f"{v:.3g}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if v == v and top and v > 0.75 * top else "black")
        ax.set_xticks(range(len(cols)))
        ax.set_xticklabels([str(c) for c in cols])
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([str(r) for r in rows])
        fig.colorbar(image, ax=ax, label=unit, shrink=0.9)
        return labelled(fig, ax, col_label, row_label, title)
