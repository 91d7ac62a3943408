"""The report's figures, drawn with matplotlib's Agg backend and returned as base64 PNG text.

Every figure of one report gives a backend the same colour (colours()). Values are the Cells'
medians over repetitions; error bars span min..max over repetitions where those are known.
"""
import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use("Agg"))
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


def errors(stats):
    """yerr rows [below, above] for (median, min, max) triples; 0 where min/max unknown."""
    lo = [s[0] - s[1] if s[1] is not None else 0.0 for s in stats]
    hi = [s[2] - s[0] if s[2] is not None else 0.0 for s in stats]
    return [lo, hi]


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
            if not pts:
                continue
            xs, stats = [p[0] for p in pts], [p[1] for p in pts]
            ax.errorbar(xs, [s[0] for s in stats], yerr=errors(stats), label=b, color=colour[b],
                        marker="o", markersize=4, capsize=3, linewidth=1.6)
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


def no_data(ax):
    ax.text(0.5, 0.5, "no successful runs", transform=ax.transAxes, ha="center", va="center",
            color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])
