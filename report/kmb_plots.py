"""The report's figures, drawn with matplotlib's Agg backend and returned as base64 PNG text.

Every figure gives a backend the same look, in every report and every run: look() maps its name
to a colour of the Okabe-Ito palette (safe for colour-blind readers; its yellow is left out, too
pale on white), a marker and a line style, fixed by name (LOOKS; a name not listed gets one
from a hash of the name). Seven colours for two dozen backends: within a family, which the
figures draw in one axes, no two share a colour, and the marker and line style tell apart those
of different families that do. Values are the Cells' medians over repetitions; error bars span
min..max over repetitions where those are known. Axes go logarithmic where the values drawn
span more than LOG_SPAN; legends sit outside the axes, to their right.
"""
import base64
import contextlib
import gc
import io
import math
import textwrap
import zlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after use("Agg"))
from matplotlib.backends.backend_agg import RendererAgg  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import (FixedLocator, FuncFormatter, LogLocator, MaxNLocator,  # noqa: E402
                               NullLocator)
from matplotlib.textpath import text_to_path  # noqa: E402
from PIL import Image  # noqa: E402  (Debian's python3-pil, which matplotlib needs)

import kmb_results as kr  # noqa: E402

# Text measured once per process. matplotlib measures a text whenever it lays it out, and caches
# the measure per renderer, that is per figure; a legend's entries (offsetbox.TextArea) measure
# the string "lp" afresh at each of the several layouts of a draw, uncached: two thirds of the
# measures of a figure with legends, each a FreeType layout of the string (FT2Font.set_text).
# The Agg renderer's measure of a plain text (not mathtext or TeX) is a function of the text, its
# font properties (hashed, as matplotlib's own cache keys them), the renderer's dpi and the
# hinting settings alone, so one table serves every figure. matplotlib's code in
# backends/backend_agg.py (RendererAgg.get_text_width_height_descent) is what it calls.
TEXT_METRICS = {}
TEXT_METRICS_MAX = 20000      # entries; the table starts afresh beyond (a report has hundreds)
_agg_measure = RendererAgg.get_text_width_height_descent


def measured(renderer, s, prop, ismath):
    """RendererAgg.get_text_width_height_descent, from TEXT_METRICS where measured before."""
    if ismath:
        return _agg_measure(renderer, s, prop, ismath)
    rc = matplotlib.rcParams
    key = (s, hash(prop), renderer.dpi, rc["text.hinting"], rc["text.hinting_factor"],
           rc["text.kerning_factor"])
    got = TEXT_METRICS.get(key)
    if got is None:
        if len(TEXT_METRICS) >= TEXT_METRICS_MAX:
            TEXT_METRICS.clear()
        got = TEXT_METRICS[key] = _agg_measure(renderer, s, prop, ismath)
    return got


RendererAgg.get_text_width_height_descent = measured

FIGSIZE = (6.4, 4.0)   # inches; at DPI below, 768 x 480 pixels, shown at half width or less
DPI = 120
STYLE = {
    "axes.grid": True, "grid.alpha": 0.35, "axes.spines.top": False, "axes.spines.right": False,
    "font.size": 9, "axes.titlesize": 10, "legend.fontsize": 8, "figure.titlesize": 10,
    # Titles at the axes' top, where matplotlib's automatic placement puts them anyway (no
    # figure has ticks or labels above its axes): left automatic, every draw measures each
    # axes' tick labels to place its three titles, a third of the full preset's Plots time.
    "axes.titley": 1.0,
}
LOG_SPAN = 10.0        # a value axis goes logarithmic where its values span more than this

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour vision
# deficiency. Yellow (#F0E442) is not used: too pale for a line on white.
BLACK, ORANGE, SKY, GREEN = "#000000", "#E69F00", "#56B4E9", "#009E73"
BLUE, VERMILLION, PURPLE = "#0072B2", "#D55E00", "#CC79A7"
PALETTE = (BLACK, ORANGE, SKY, GREEN, BLUE, VERMILLION, PURPLE)
# The per-CPU modes have one colour each in both layers: none orange, thread sky blue, cpu-lock
# purple, cpu-rseq black (the default mode, as slab and buddy, which run it, are black).
LOOKS = {   # name: (colour, marker, line style)
    "glibc": (BLUE, "o", "-"), "jemalloc": (ORANGE, "o", "-"), "tcmalloc": (GREEN, "o", "-"),
    "mimalloc": (VERMILLION, "o", "-"),
    "slab": (BLACK, "s", "-"), "slab-packed": (SKY, "s", "-"), "slab-colored": (PURPLE, "s", "-"),
    "slab-nosheaves": (VERMILLION, "s", "--"), "slab-bigsheaves": (GREEN, "s", "--"),
    "kmalloc": (BLUE, "D", "-."), "mempool": (GREEN, "P", "-."),
    "slab-none": (ORANGE, "v", "--"), "slab-thread": (SKY, "v", "--"),
    "slab-cpu-lock": (PURPLE, "v", "--"), "slab-cpu-rseq": (BLACK, "v", "--"),
    "buddy": (BLACK, "^", "-"), "buddy-none": (ORANGE, "<", "--"),
    "buddy-thread": (SKY, "<", "--"), "buddy-cpu-lock": (PURPLE, "<", "--"),
    "buddy-cpu-rseq": (BLACK, "<", "--"), "mmap": (BLUE, "X", "-."), "libnuma": (GREEN, "*", "-."),
    "vmalloc": (PURPLE, "h", "-"), "vmalloc-floor": (SKY, "h", "--"),
    "no-allocator": (BLACK, "x", ":"),
    "counter-percpu": (BLACK, "o", "-"), "counter-atomic": (VERMILLION, "s", "--"),
    "counter-packed": (SKY, "^", "-."),
}
THREAD_MARKERS = ("o", "D")   # the dot plots: lowest thread count filled, highest hollow
REFERENCE = ":"               # the best baseline's line where it is drawn for reference
OBSERVER = None   # when set, called with every figure after it is drawn, before it is closed


def look(name):
    """(colour, marker, line style) of a backend (or a counter workload), the same everywhere."""
    if name in LOOKS:
        return LOOKS[name]
    h = zlib.crc32(str(name).encode("utf-8"))
    return PALETTE[h % len(PALETTE)], "x", ":"


def colour(name):
    return look(name)[0]


def line_style(name):
    """errorbar()'s color, marker and linestyle of a backend's line."""
    c, m, ls = look(name)
    return {"color": c, "marker": m, "linestyle": ls}


@contextlib.contextmanager
def paused_gc():
    """Python's cyclic garbage collector off for the block (where it was on), then one
    collection of the youngest generation, which holds what the block made: a figure's
    thousands of artists, once closed. A figure makes enough objects to set off collections of
    the oldest generation, each a walk over every object of the process, where the results
    loaded are most of a million (the full preset's results: a quarter of the Plots section's
    time). Nests: an inner block leaves the collector to the outer one."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(0)


def to_base64(fig, palette=False):
    """The figure drawn as PNG, base64 text; closed after (OBSERVER sees it first). palette:
    as a PNG of 256 colours (PIL's fast octree quantizer) rather than full colour: for figures
    of lines, markers and text on white, which look the same so (their colours and the blends
    of their edges take far fewer), in a third of the bytes and less time to encode; not for a
    colour map's gradient (a heatmap)."""
    fit_titles(fig)
    with paused_gc():
        buf = io.BytesIO()
        if palette:
            fig.set_dpi(DPI)
            fig.canvas.draw()
            image = Image.frombuffer("RGBA", fig.canvas.get_width_height(),
                                     fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(
                buf, format="png", dpi=(DPI, DPI))
        else:
            fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
        if OBSERVER is not None:
            OBSERVER(fig)
        plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def legend_outside(ax, **kw):
    """The axes' legend beside it, to the right, its top level with the axes' top: never over
    the data or the title. constrained layout leaves room for it; a legend taller than the
    figure (dozens of entries: every backend of the smoke preset) makes the figure taller, as
    constrained layout would otherwise collapse the axes to nothing."""
    kw.setdefault("fontsize", 7.5)
    entries = len(ax.get_legend_handles_labels()[1])
    rows = -(-entries // kw.get("ncol", 1))
    need = 1.2 + rows * kw["fontsize"] * 1.75 / 72		# inches: entries' height, margins
    if need > ax.figure.get_figheight():
        ax.figure.set_figheight(need)
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
                     frameon=False, **kw)


def is_log(values):
    """Whether a value axis of these values goes logarithmic: all positive, spanning more than
    LOG_SPAN."""
    values = [v for v in values if v is not None]
    return bool(values) and min(values) > 0 and max(values) / min(values) > LOG_SPAN


def value_axis(ax, values, axis="y"):
    """Logarithmic where the values (positive) span more than LOG_SPAN, else linear from 0.
    Returns True when logarithmic."""
    log = is_log(values)
    if log:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
        log_ticks(ax.yaxis if axis == "y" else ax.xaxis, values)
    elif axis == "y":
        ax.set_ylim(bottom=0)
    else:
        ax.set_xlim(left=0)
    return log


def log_locator(values=()):
    """The major ticks of a logarithmic axis of these values: at 1, 2 and 5 times the powers of
    ten where they span less than LOG_SPAN to the 2.5, else at the powers of ten only."""
    values = [v for v in values if v is not None and v > 0]
    wide = bool(values) and max(values) / min(values) >= LOG_SPAN ** 2.5
    return LogLocator(base=10, subs=(1.0,) if wide else (1.0, 2.0, 5.0))


def log_ticks(axis, values=()):
    """Ticks of a logarithmic axis (log_locator()) written as plain numbers (50, 100, 200, 0.5,
    10k); no minor ticks."""
    axis.set_major_locator(log_locator(values))
    axis.set_major_formatter(FuncFormatter(tick_text))
    axis.set_minor_locator(NullLocator())


def tick_text(v, _pos=None):
    """A tick label: 0.05, 2, 500, 5k, 20M."""
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if v >= 10 * scale:
            return f"{v / scale:g}{unit}"
    return f"{v:g}"


def labelled(fig, ax, xlabel, ylabel, title):
    """Name the axes and title the plot; the figure as base64 PNG text."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return to_base64(fig)


def fitted(fig, text, size):
    """text broken at spaces into lines that fit the figure: a case's title names all its params
    (numa-matrix's four run past 700 px), and a title wider than the figure is cut off at both
    edges of the PNG.  A line may take TITLE_FILL of the figure's width, measured (text_width(),
    its characters' mean width where it is broken); size: the text's size, in points or
    matplotlib's names ("large"). Lines the text breaks itself are kept."""
    room = fig.get_figwidth() * TITLE_FILL
    out = []
    for line in text.split("\n"):
        wide = text_width(line, size)
        if wide <= room:
            out.append(line)
        else:
            chars = int(room / (wide / len(line)))
            out.append(textwrap.fill(line, chars, break_long_words=False,
                                     break_on_hyphens=False))
    return "\n".join(out)


TITLE_FILL = 0.8   # of the figure's width: a title centred on an axes beside its legend


def fit_titles(fig):
    """The figure's suptitle and its axes' centred titles fitted() to its width, whatever drew
    them (to_base64() calls it: one place for every figure)."""
    sup = getattr(fig, "_suptitle", None)
    for t in ([sup] if sup is not None else []) + [ax.title for ax in fig.axes]:
        text = t.get_text()
        if text:
            fit = fitted(fig, text, t.get_fontsize())
            if fit != text:
                t.set_text(fit)


def errors(stats):
    """yerr rows [below, above] for (median, min, max) triples; 0 where min/max unknown."""
    lo = [s[0] - s[1] if s[1] is not None else 0.0 for s in stats]
    hi = [s[2] - s[0] if s[2] is not None else 0.0 for s in stats]
    return [lo, hi]


def stat_line(ax, pts, **style):
    """One line through pts [(x, (median, min, max))], drawn in x order, its min..max as
    vertical strokes in the line's colour (one LineCollection, not errorbar()'s artist per
    point and cap: the figures of a big run draw thousands of points); style: plot()'s label,
    color, linestyle, marker and linewidth."""
    pts = sorted(pts, key=lambda p: p[0])
    style.setdefault("linewidth", 1.6)
    style.setdefault("markersize", 4)
    ax.plot([p[0] for p in pts], [p[1][0] for p in pts], **style)
    ranges_of(ax, [(((x, st[1]), (x, st[2])), style.get("color", BLACK)) for x, st in pts
                   if st[1] is not None])


def log2_ticks(ax, values, texts, **label_kw):
    """The x axis logarithmic (base 2) with a tick at each of values (sorted), labelled texts,
    no minor ticks; label_kw: set_xticklabels()'s (rotation, ha)."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(values)
    ax.set_xticklabels(texts, **label_kw)


def thread_log(threads):
    """Whether an axis of these thread counts goes log2: they span a factor of 8 or more."""
    return len(threads) > 1 and max(threads) / max(min(threads), 1) >= 8


def thread_axis(ax, threads):
    """Ticks at the thread counts measured; log2 axis when they span a factor of 8 or more."""
    if thread_log(threads):
        ax.set_xscale("log", base=2)
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(threads)
    ax.set_xticklabels([str(t) for t in threads])
    ax.set_xlabel("threads")


def spread_values(stats):
    """Every median, min and max of (median, min, max) triples, for an axis' range."""
    return [v for st in stats for v in st if v is not None]


# The throughput figure's fixed layout, inches: a column of axes, one per backend family, each
# with its legend to its right (as wide as its longest label needs, legend_room()).
CASE_PANEL = (4.1, 1.55)           # one axes of several
CASE_GAP = 0.45                    # between axes: the title of the next
CASE_MARGINS = (0.95, 0.5, 0.5)    # left (ticks and y label), top (title), bottom (x axis)


def text_width(text, size=7.5):
    """The width of text in the style's font at size points, in inches (matplotlib's own text
    metrics, without a figure): to leave room for a legend or tick labels in a fixed layout."""
    w, _, _ = text_to_path.get_text_width_height_descent(text, FontProperties(size=size), False)
    return w / 72


def legend_room(labels, fontsize=7.5):
    """Inches right of an axes (of width up to CASE_PANEL's) that legend_outside() takes for a
    legend of these labels: its gap, the handles and padding (3.6 font sizes), the longest label,
    and a tenth of an inch to spare."""
    longest = max((text_width(t, fontsize) for t in labels), default=0.0)
    return 0.02 * CASE_PANEL[0] + 3.6 * fontsize / 72 + longest + 0.1


def span_limits(lo, hi, log):
    """An axis' limits around values from lo to hi: 5% of the span (of its logarithm where log)
    either side, as matplotlib's autoscale leaves; a span of nothing as a factor of 2 (log) or
    1 either side."""
    if log:
        a, b = math.log(lo), math.log(hi)
        pad = 0.05 * (b - a) or math.log(2)
        return math.exp(a - pad), math.exp(b + pad)
    pad = 0.05 * (hi - lo) or 1.0
    return lo - pad, hi + pad


def throughput(title, cells, backends):
    """Lines: Mops/s (all threads) against threads, one per backend, in small multiples (one
    axes per family of kr.panels(), one above the other); each axes without a baseline also
    draws the best baseline (kr.best_baseline()) dotted, for reference, so each has its own y
    axis (value_scale(): logarithmic where its values span more than LOG_SPAN, said in its
    title; a few ticks). The axes share the x axis (thread_axis()), labelled on the bottom one.
    A fixed layout (CASE_PANEL, CASE_GAP, CASE_MARGINS, legend_room()): one axes alone is
    FIGSIZE high."""
    shown = [b for b in backends if any(c.backend == b and c.mops for c in cells)]
    threads = sorted({c.threads for c in cells if c.mops})
    parts = kr.panels(shown) or [("all backends", [])]
    ref = kr.best_baseline(cells)
    n = len(parts)
    labels = [f"{ref} (best baseline)"] if ref else []
    labels += [b for _, members in parts for b in members]
    left, top, bottom = CASE_MARGINS
    height = CASE_PANEL[1] if n > 1 else FIGSIZE[1] - top - bottom
    margins = (left, legend_room(labels), top, bottom)
    with plt.rc_context(STYLE), paused_gc():
        fig, axes = panel_grid(n, 1, 0, (CASE_PANEL[0], height), (0, CASE_GAP), margins)
        if not threads:
            no_data(axes[0])
            axes[0].set_title(f"{title}: throughput")
            return to_base64(fig, palette=True)
        logs = []
        xlim = span_limits(threads[0], threads[-1], thread_log(threads))
        for ax, (name, members) in zip(axes, parts):
            drawn = []
            for b in members + ([ref] if ref and ref not in members else []):
                pts = [(c.threads, c.mops) for c in cells if c.backend == b and c.mops]
                drawn += [st for _, st in pts]
                if b in members:
                    stat_line(ax, pts, label=b, **line_style(b))
                else:
                    stat_line(ax, pts, label=f"{ref} (best baseline)", color=colour(ref),
                              marker=look(ref)[1], linestyle=REFERENCE, linewidth=1.2)
            thread_axis(ax, threads)
            ax.set_xlim(*xlim)
            scale = value_scale(spread_values(drawn), numticks=5)
            fixed_scale(ax, scale, True)
            logs.append(scale[0])
            if n > 1:
                ax.set_title(name + (" (log)" if logs[-1] else ""), loc="left", fontsize=9)
            legend_outside(ax)
        for ax in axes[:-1]:
            ax.set_xlabel("")
            ax.tick_params(axis="x", labelbottom=False)
        log = all(logs)
        ylabel = "Mops/s, all threads (higher is better)" + (", log" if log else "")
        if n > 1:
            fig.supylabel(ylabel, fontsize=9, x=0.1 / fig.get_figwidth(), ha="left")
            fig.suptitle(f"{title}: throughput", y=1 - 0.08 / fig.get_figheight(), va="top")
        else:
            axes[0].set_ylabel(ylabel)
            axes[0].set_title(f"{title}: throughput")
        return to_base64(fig, palette=True)


# The dot plot's fixed layout, inches: an axes per backend family, one above the other, as tall
# as its rows; the backends' names left of it (as wide as the longest, text_width()), the legend
# right (legend_room()).
DOT_ROW = 0.26                 # one backend's row
DOT_WIDTH = 3.9                # the axes
DOT_GAP = 0.42                 # between axes: the title of the next
DOT_MARGINS = (0.45, 0.62)     # top (title), bottom (x axis and its label)


def ns_per_op(title, cells, backends):
    """Dot plot: ns per operation per thread of each backend (a row each) at the lowest and
    the highest thread count (filled and hollow markers, error bars min..max), in small
    multiples (one axes per family of kr.panels(), on one x scale, value_scale(): logarithmic
    where the values span more than LOG_SPAN, ticked on the bottom axes, the others the same
    grid lines); the best baseline's values as dotted vertical lines in the axes without a
    baseline. A backend whose runs failed says so in its row's label. A fixed layout
    (DOT_ROW, DOT_WIDTH, DOT_GAP, DOT_MARGINS); an axes' dots as one collection per thread
    count, its error bars as one LineCollection."""
    threads = sorted({c.threads for c in cells})
    shown_threads = threads[:1] + threads[-1:] if len(threads) > 1 else threads
    shown = [b for b in backends if any(c.backend == b for c in cells)]
    parts = kr.panels(shown) or [("all backends", [])]
    ref = kr.best_baseline(cells)
    by = {(c.backend, c.threads): c for c in cells}
    labels = []
    for _, members in parts:
        labels.append([])
        for b in members:
            failed = [str(t) for t in shown_threads if (b, t) in by and not by[b, t].ns
                      and by[b, t].errors]
            labels[-1].append(b + (f" (failed at {'/'.join(failed)} thr.)" if failed else ""))
    handles = [Line2D([], [], color="#555555", marker=THREAD_MARKERS[j], linestyle="none",
                      markerfacecolor="#555555" if j == 0 else "white",
                      label=kr.threads_text(t)) for j, t in enumerate(shown_threads)]
    with_ref = ref and any(ref not in m for _, m in parts)
    if with_ref:
        handles += [Line2D([], [], color=colour(ref), linestyle=REFERENCE_LINES[j],
                           label=f"{ref}, {kr.threads_text(t)}")
                    for j, t in enumerate(shown_threads)]
    key = "dots: each backend\nlines: best baseline" if with_ref else None
    top, bottom = DOT_MARGINS
    left = 0.25 + max((text_width(t, STYLE["font.size"]) for ts in labels for t in ts),
                      default=0.5)
    right = legend_room([h.get_label() for h in handles] + (key.split("\n") if key else []))
    heights = [DOT_ROW * (len(m) + 0.8) for _, m in parts]
    width = left + DOT_WIDTH + right
    height = max(2.6, top + sum(heights) + DOT_GAP * (len(parts) - 1) + bottom)
    with plt.rc_context({**STYLE, "axes.grid": False}), paused_gc():
        fig = plt.figure(figsize=(width, height))
        axes, y1 = [], height - top
        for h in heights:
            axes.append(fig.add_axes((left / width, (y1 - h) / height, DOT_WIDTH / width,
                                      h / height)))
            y1 -= h + DOT_GAP
        drawn = [c.ns for c in cells if c.ns and c.threads in shown_threads]
        if not drawn:
            no_data(axes[0])
            axes[0].set_title(f"{title}: time per operation")
            return to_base64(fig, palette=True)
        scale = value_scale(spread_values(drawn))
        offsets = [0.0] if len(shown_threads) == 1 else [-0.14, 0.14]
        for k, (ax, (name, members), names) in enumerate(zip(axes, parts, labels)):
            ranges = []
            for j, t in enumerate(shown_threads):
                dots = [(by[b, t].ns, i + offsets[j], colour(b)) for i, b in enumerate(members)
                        if (b, t) in by and by[b, t].ns]
                ranges += [(((st[1], y), (st[2], y)), c) for st, y, c in dots
                           if st[1] is not None]
                if dots:
                    ax.scatter([st[0] for st, _, _ in dots], [y for _, y, _ in dots], s=25,
                               marker=THREAD_MARKERS[j], linewidths=1.3, zorder=3,
                               edgecolors=[c for _, _, c in dots],
                               facecolors=[c if j == 0 else "white" for _, _, c in dots])
            ranges_of(ax, ranges)
            if ref and ref not in members:
                for j, t in enumerate(shown_threads):
                    c = by.get((ref, t))
                    if c is not None and c.ns:
                        ax.axvline(c.ns[0], color=colour(ref), linestyle=REFERENCE_LINES[j],
                                   linewidth=1.1)
            fixed_scale(ax, scale, k == len(axes) - 1, axis="x")
            ax.set_yticks(range(len(members)))
            ax.set_yticklabels(names)
            ax.set_ylim(len(members) - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
            grid_lines(ax, xs=scale[2])
            if len(parts) > 1:
                ax.set_title(name, loc="left", fontsize=9)
        axes[-1].set_xlabel("ns per operation per thread (lower is better" +
                            (", log)" if scale[0] else ")"))
        legend_outside(axes[0], handles=handles, title_fontsize=7.5, title=key)
        fig.suptitle(f"{title}: time per operation", y=1 - 0.08 / height, va="top")
        return to_base64(fig, palette=True)


REFERENCE_LINES = (":", "--")   # the best baseline at the lowest and highest thread count


def median_line(ax, pts, label, colour_, marker, linestyle, ranges, linewidth=1.4):
    """One line through the medians of pts [(x, (median, min, max))] in x order; each point's
    min..max is added to ranges [(segment, colour)], which ranges_of() draws as one collection
    per axes: what stat_line() shows, at a fraction of errorbar()'s artists, for the figures
    with hundreds of points."""
    pts = sorted(pts, key=lambda p: p[0])
    ax.plot([p[0] for p in pts], [p[1][0] for p in pts], color=colour_, marker=marker,
            linestyle=linestyle, linewidth=linewidth, markersize=3.5, label=label)
    ranges += [(((x, st[1]), (x, st[2])), colour_) for x, st in pts if st[1] is not None]


def ranges_of(ax, ranges):
    """The min..max strokes median_line() gathered for ax, as one LineCollection."""
    if ranges:
        ax.add_collection(LineCollection([r[0] for r in ranges], colors=[r[1] for r in ranges],
                                         linewidths=1.0))


def sweep_reference(cells, threads):
    """The baseline drawn for reference in a size sweep: the one with the lowest geometric mean
    ns/op at threads over the sizes it has; ties: the first of kr.BASELINES. None without any."""
    logs = {}
    for c in cells:
        if c.backend in kr.BASELINES and c.threads == threads and c.ns and c.ns[0] > 0:
            logs.setdefault(c.backend, []).append(math.log(c.ns[0]))
    if not logs:
        return None
    return min(logs, key=lambda b: (sum(logs[b]) / len(logs[b]), kr.BASELINES.index(b)))


# The size sweep's fixed layout, in inches (panel_grid): no constrained layout to solve per
# figure, as the panels are the same from one workload to the next.
SWEEP_PANEL = (2.7, 1.75)        # one axes
SWEEP_GAPS = (0.45, 0.55)        # between columns, between rows (a panel's title)
SWEEP_MARGINS = (0.85, 2.35, 0.62, 0.78)   # left, right (legends), top, bottom (sizes, label)
SWEEP_LOG_TICKS = 6              # LogLocator's numticks: a decade apart or more, a few per axes


def value_scale(values, numticks=SWEEP_LOG_TICKS):
    """The scale of a value axis of these values (not empty; positive where logarithmic): (log,
    (low, high), [major tick positions within]). Logarithmic where they span more than LOG_SPAN,
    ticked as log_locator() (numticks: at most about that many), else linear from 0 with at
    most GRID_TICKS intervals at round numbers; margins as span_limits(), the linear one's top
    only. For the axes that share a scale set by hand (fixed_scale())."""
    log = is_log(values)
    lo, hi = min(values), max(values)
    if log:
        lim = span_limits(lo, hi, True)
        locator = log_locator(values)
        locator.set_params(numticks=numticks)
    else:
        lim = (0.0, hi * 1.05 if hi > 0 else 1.0)
        locator = MaxNLocator(GRID_TICKS, steps=[1, 2, 5, 10])
    return log, lim, [t for t in locator.tick_values(*lim) if lim[0] <= t <= lim[1]]


def fixed_scale(ax, scale, ticked, axis="y"):
    """Set one axis of ax to scale (value_scale()): its limits, and its ticks (written by
    tick_text()) where ticked; without ticks otherwise (bare())."""
    log, lim, ticks = scale
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log" if log else "linear")
    (ax.set_ylim if axis == "y" else ax.set_xlim)(*lim)
    which = ax.yaxis if axis == "y" else ax.xaxis
    if ticked:
        which.set_major_locator(FixedLocator(ticks))
        which.set_major_formatter(FuncFormatter(tick_text))
        which.set_minor_locator(NullLocator())
    else:
        bare(which)


# Axes without ticks of their own. matplotlib makes and draws a Tick per tick of every axes: two
# tick marks and a grid line (three Line2D, each with its own copy of its marker) and two labels,
# the most of a figure of small multiples' time. Where the axes of a row or a column share a
# scale, only the outer ones need tick labels; the others draw the same grid as one
# LineCollection (grid_lines()).
def bare(axis):
    """No ticks on an axis: neither marks, labels nor grid lines."""
    axis.set_major_locator(NullLocator())
    axis.set_minor_locator(NullLocator())


def grid_lines(ax, xs=(), ys=()):
    """Grid lines at xs (vertical) and ys (horizontal), across the axes' limits (set before), as
    one LineCollection in the style's grid colour, width and alpha, where matplotlib draws its
    grid (under the data): the grid of axes without ticks of their own, and of those whose
    ticks draw none (the style's axes.grid off)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    segments = [((x, y0), (x, y1)) for x in xs] + [((x0, y), (x1, y)) for y in ys]
    if segments:
        rc = plt.rcParams
        ax.add_collection(LineCollection(segments, colors=rc["grid.color"],
                                         linewidths=rc["grid.linewidth"],
                                         alpha=rc["grid.alpha"], zorder=1.5), autolim=False)


def size_panels(title, cells, backends, param="size"):
    """Small multiples of one workload's cases that differ in param alone (its size): ns per
    operation per thread against param (the values measured, evenly spaced), a row of axes per
    backend family of kr.panels() (at most PANEL_LINES - 1 backends each, plus the best
    baseline dotted for reference where the family has none), a column per end thread count
    (the lowest and the highest: flat from one column to the next is perfect scaling). A row's
    axes share their y axis (value_scale(): logarithmic where its values span more than
    LOG_SPAN, a few ticks), ticked and labelled in the first column; every axes shares the x
    axis, a tick at each value of param, ticked and labelled in the bottom row; the other axes
    draw the same grid lines without ticks (bare(), grid_lines()). The legend of a row sits right
    of its last column. Median per point, min..max over repetitions as a vertical stroke. A
    fixed layout (panel_grid(): SWEEP_PANEL, SWEEP_GAPS, SWEEP_MARGINS)."""
    threads = sorted({c.threads for c in cells if c.ns})
    ends = threads[:1] + threads[-1:] if len(threads) > 1 else threads
    shown = [b for b in backends if any(c.backend == b and c.ns for c in cells)]
    parts = kr.panels(shown)
    ref = sweep_reference(cells, ends[0]) if ends else None
    xs = sorted({v for v in (kr.param(c, param) for c in cells if c.ns) if v is not None})
    at = {v: i for i, v in enumerate(xs)}
    by = {}
    for c in cells:
        v = kr.param(c, param)
        if c.ns and v is not None and c.threads in ends:
            by.setdefault((c.backend, c.threads), []).append((at[v], c.ns))
    rows, cols = max(len(parts), 1), max(len(ends), 1)
    xlabel = "object size" if param == "size" else param
    with plt.rc_context({**STYLE, "axes.grid": False}), paused_gc():
        fig, flat = panel_grid(rows * cols, cols, 0, SWEEP_PANEL, SWEEP_GAPS, SWEEP_MARGINS)
        axes = [flat[r * cols:(r + 1) * cols] for r in range(rows)]
        fig.suptitle(f"{title}: time per operation against {param}")
        if not xs:
            no_data(axes[0][0])
            axes[0][0].set_xlabel(xlabel)
            axes[0][0].set_ylabel("ns per operation per thread")
            return to_base64(fig, palette=True)
        x_scale = (False, (-0.5, len(xs) - 0.5), list(range(len(xs))))
        for r, (row, (name, members)) in enumerate(zip(axes, parts)):
            drawn = []
            extra = [ref] if ref and ref not in members else []
            for ax, t in zip(row, ends):
                ranges = []
                for b in members + extra:
                    pts = by.get((b, t))
                    if not pts:
                        continue
                    drawn += spread_values(st for _, st in pts)
                    c, m, ls = look(b)
                    if b in members:
                        median_line(ax, pts, b, c, m, ls, ranges)
                    else:
                        median_line(ax, pts, f"{b} (best baseline)", c, m, REFERENCE, ranges,
                                    1.1)
                ranges_of(ax, ranges)
                ax.set_title(f"{name}, {kr.threads_text(t)}", loc="left", fontsize=9)
            y_scale = value_scale(drawn) if drawn else (False, (0.0, 1.0), [])
            for i, ax in enumerate(row):
                fixed_scale(ax, x_scale, r == rows - 1, axis="x")
                fixed_scale(ax, y_scale, i == 0)
                grid_lines(ax, x_scale[2], y_scale[2])
            row[0].set_ylabel("ns/op per thread" + (", log" if y_scale[0] else ""))
            legend_outside(row[-1])
        labels = [size_text(x) if param == "size" else str(x) for x in xs]
        for ax in axes[-1]:
            ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
            ax.set_xlabel(xlabel)
        return to_base64(fig, palette=True)


LINESTYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def style_of(values, value, styles):
    """The style for value: styles[index of value in values], cycling."""
    return styles[values.index(value) % len(styles)]


def order_sweep(title, points):
    """Lines: ns per pair against page order (log y), one per (backend, threads): the backend's
    colour and marker, a line style per thread count.

    points: {(backend, threads): [(order, (median, min, max)), ...]}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({t for _, t in points})
        orders = sorted({o for pts in points.values() for o, _ in pts})
        for (b, t), pts in points.items():
            stat_line(ax, pts, label=f"{b}, {kr.threads_text(t)}", color=colour(b),
                      linestyle=style_of(threads, t, LINESTYLES), marker=look(b)[1])
        if orders:
            ax.set_yscale("log")
            log_ticks(ax.yaxis, spread_values(st for pts in points.values() for _, st in pts))
            ax.set_xticks(orders)
            ax.set_xticklabels([f"{o}\n{size_text(4096 << o)}" for o in orders])
            legend_outside(ax, title="backend, threads", title_fontsize=8)
        else:
            no_data(ax)
        return labelled(fig, ax, "order (log2 of the size in 4 KiB pages)",
                        "ns per alloc+free pair per thread (log)",
                        f"{title}: time per pair against order")


def size_sweep(title, points):
    """Lines: ns per pair against size (log2 x, ticks at the sizes measured), one per backend.
    Log y where the values span more than LOG_SPAN.

    points: {backend: [(size, (median, min, max)), ...]}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        sizes = sorted({s for pts in points.values() for s, _ in pts})
        for b, pts in points.items():
            stat_line(ax, pts, label=b, **line_style(b))
        log = False
        if sizes:
            log2_ticks(ax, sizes, [size_text(s) for s in sizes], rotation=45, ha="right")
            log = value_axis(ax, spread_values(st for pts in points.values() for _, st in pts))
            legend_outside(ax, title="backend", title_fontsize=8)
        else:
            no_data(ax)
        return labelled(fig, ax, "object size (log2)", "ns per alloc+free pair per thread"
                        + (" (log)" if log else ""), f"{title}: time per pair against size")


size_text = kr.size_text


def fragmentation(title, lines):
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
            # One LineCollection for the lines and one scatter per marker for their points:
            # the full preset draws 377 lines a panel, and 754 plot() calls (each an artist
            # of its own, laid out and drawn alone) took two seconds.
            segs, colours, styles, marks = [], [], [], {}
            for b, ptext, t, series in lines:
                pts = series.get(name)
                if not pts:
                    continue
                steps.update(p[0] for p in pts)
                segs.append(pts)
                colours.append(colour(b))
                styles.append(style_of(threads, t, LINESTYLES))
                marks.setdefault(style_of(params, ptext, MARKERS), []).append((pts, colour(b)))
            drawn[name] = len(segs)
            if segs:
                ax.add_collection(LineCollection(segs, colors=colours, linestyles=styles,
                                                 linewidths=1.4))
                for marker, group in marks.items():
                    ax.scatter([x for pts, _ in group for x, _ in pts],
                               [y for pts, _ in group for _, y in pts],
                               c=[c for pts, c in group for _ in pts], marker=marker, s=16,
                               zorder=2.1)
                ax.autoscale_view()
        top.set_ylim(-0.05, 1.05)
        top.set_ylabel("high-order success rate")
        top.set_title(f"{title}: fragmentation over time")
        bottom.set_ylim(-1.1, 1.1)
        bottom.axhline(0, color="#999999", linewidth=0.8)
        bottom.set_ylabel("fragmentation index (-1: free block)")
        bottom.set_xlabel("steps per thread (k = 1024, log2)")
        if steps:
            log2_ticks(bottom, sorted(steps), [f"{k}k" for k in sorted(steps)])
            legend_outside(top, handles=key_handles(lines, threads, params))
        else:
            no_data(top)
        if not drawn.get("frag_index"):
            bottom.text(0.5, 0.5, "no backend reports a fragmentation index",
                        transform=bottom.transAxes, ha="center", va="center", color="#777777")
        return to_base64(fig)


def key_handles(lines, threads, params):
    """Legend entries for colour (backend), line style (threads) and marker (params) apart, so
    the legend grows with their sum rather than their product."""
    grey = "#555555"
    handles = [Line2D([], [], color=colour(b), linewidth=2, label=b)
               for b in dict.fromkeys(line[0] for line in lines)]
    if len(threads) > 1:
        handles += [Line2D([], [], color=grey, linestyle=style_of(threads, t, LINESTYLES),
                           label=kr.threads_text(t)) for t in threads]
    if len(params) > 1:
        handles += [Line2D([], [], color=grey, linestyle="none",
                           marker=style_of(params, p, MARKERS), label=p) for p in params]
    return handles


def no_data(ax):
    ax.text(0.5, 0.5, "no successful runs", transform=ax.transAxes, ha="center", va="center",
            color="#777777")
    ax.set_xticks([])
    ax.set_yticks([])


def scaling(title, lines, unit="Mops/s"):
    """Lines: Mops/s (all threads) against threads, one per label of lines (a backend or a
    counter workload, drawn in its look()); unit names the values on the y axis.

    lines: {label: [(threads, (median, min, max)), ...]}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({t for pts in lines.values() for t, _ in pts})
        for label, pts in lines.items():
            stat_line(ax, pts, label=label, **line_style(label))
        log = False
        if threads:
            thread_axis(ax, threads)
            log = value_axis(ax, spread_values(st for pts in lines.values() for _, st in pts))
            legend_outside(ax)
        else:
            no_data(ax)
        ax.set_ylabel(f"{unit}, all threads (higher is better)" + (", log" if log else ""))
        ax.set_title(f"{title}: throughput against threads")
        return to_base64(fig)


def thread_colours(threads):
    """{thread count: colour} for the lines of one figure, from the palette in order."""
    return {t: PALETTE[(i + 1) % len(PALETTE)] for i, t in enumerate(sorted(threads))}


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
        tcol = thread_colours(threads)
        rates = sorted({f for pts in lines.values() for f, _ in pts})
        values = spread_values(st for pts in lines.values() for _, st in pts)
        for t, pts in lines.items():
            stat_line(ax, pts, label=kr.threads_text(t), color=tcol[t],
                      marker=style_of(threads, t, MARKERS))
        for i, (backend, by_threads) in enumerate(references.items()):
            for t, st in sorted(by_threads.items()):
                values.append(st[0])
                ax.axhline(st[0], color=tcol[t], linestyle=LINESTYLES[1 + i % 3],
                           linewidth=1.2, label=f"{backend} (no pool), {kr.threads_text(t)}")
        log = False
        if rates:
            fail_axis(ax, rates)
            log = value_axis(ax, values)
            legend_outside(ax)
        else:
            no_data(ax)
        ax.set_ylabel("Mops/s, all threads (higher is better)" + (", log" if log else ""))
        ax.set_title(f"{title}: throughput against failure rate")
        return to_base64(fig)


def latency_sweep(title, lines, names):
    """Lines: sampled latency percentiles (ns, log) against the failure rate; colour per
    percentile (names, in order: a sequential colour map, light to dark), line style per
    thread count.

    lines: {(threads, name): [(fail, ns)]}.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        threads = sorted({t for t, _ in lines})
        cmap = plt.get_cmap("viridis")
        pcol = {n: cmap(0.8 * (1 - i / max(len(names) - 1, 1))) for i, n in enumerate(names)}
        rates = sorted({f for pts in lines.values() for f, _ in pts})
        for (t, name), pts in lines.items():
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=pcol[name],
                    linestyle=style_of(threads, t, LINESTYLES),
                    marker=style_of(threads, t, MARKERS), markersize=4, linewidth=1.4)
        if rates and any(p[1] > 0 for pts in lines.values() for p in pts):
            fail_axis(ax, rates)
            ax.set_yscale("log")
            log_ticks(ax.yaxis, [p[1] for pts in lines.values() for p in pts])
            handles = [Line2D([], [], color=pcol[n], linewidth=2, label=n) for n in names
                       if any(name == n for _, name in lines)]
            if len(threads) > 1:
                handles += [Line2D([], [], color="#555555",
                                   linestyle=style_of(threads, t, LINESTYLES),
                                   marker=style_of(threads, t, MARKERS),
                                   label=kr.threads_text(t)) for t in threads]
            legend_outside(ax, handles=handles)
        else:
            no_data(ax)
        ax.set_ylabel("ns per operation, sampled (log)")
        ax.set_title(f"{title}: latency percentiles against failure rate")
        return to_base64(fig)


def vm_sweep(title, points, what):
    """Lines: ns per operation against size on log-log axes (ticks at the sizes measured), one
    per backend: the vmalloc section's untouched, first-touch and access figures.

    points: {backend: [(size, (median, min, max)), ...]}; what: what one operation is.
    """
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE, layout="constrained")
        sizes = sorted({s for pts in points.values() for s, _ in pts})
        for b, pts in points.items():
            stat_line(ax, pts, label=b, **line_style(b))
        if sizes:
            log2_ticks(ax, sizes, [size_text(s) for s in sizes], rotation=45, ha="right")
            ax.set_yscale("log")
            log_ticks(ax.yaxis, spread_values(st for pts in points.values() for _, st in pts))
            legend_outside(ax, title="backend", title_fontsize=8)
        else:
            no_data(ax)
        return labelled(fig, ax, "size (log2)", f"ns per {what} per thread (log)",
                        f"{title}: time against size")


def split_bars(title, panels, lower, upper):
    """Stacked bars, one axes per panel (a thread count): at each size, the lower part (the
    system-call floor) in lower's look() colour and the upper part (the model's own work, not
    drawn where it is negative) in upper's, a black tick at the upper backend's whole time (below
    the bar's top where the floor measured slower), and the ratio written above the bar. Sizes are categories on the x axis; ns on a linear y axis, so the parts add up.

    panels: [(panel title, [(size, lower ns, upper ns, ratio text)])].
    """
    with plt.rc_context(STYLE):
        n = max(len(panels), 1)
        fig, axes = plt.subplots(1, n, figsize=(3.4 * n + 1.8, 3.6), layout="constrained",
                                 squeeze=False)
        for ax, (name, bars) in zip(axes[0], panels):
            if not bars:
                no_data(ax)
                continue
            xs = range(len(bars))
            low = [b[1] for b in bars]
            up = [max(b[2], 0.0) for b in bars]
            ax.bar(xs, low, color=look(lower)[0], label=f"{lower}: system-call floor")
            ax.bar(xs, up, bottom=low, color=look(upper)[0],
                   label=f"{upper} - floor: the model's own work")
            # the upper backend's whole time, also where it is below the floor (own work < 0)
            totals = [b[1] + b[2] for b in bars]
            ax.scatter(xs, totals, marker="_", s=500, linewidths=2, color=BLACK, zorder=3,
                       label=f"{upper}: its whole time")
            for x, b, lo, hi in zip(xs, bars, low, up):
                ax.annotate(b[3], (x, lo + hi), textcoords="offset points", xytext=(0, 2),
                            ha="center", va="bottom", fontsize=7.5)
            ax.set_xticks(list(xs))
            ax.set_xticklabels([size_text(b[0]) for b in bars], rotation=45, ha="right")
            ax.set_ylim(0, max(lo + hi for lo, hi in zip(low, up)) * 1.15 or 1)
            ax.set_xlabel("size")
            ax.set_ylabel("ns per operation per thread")
            ax.set_title(name)
        legend_outside(axes[0][-1])
        fig.suptitle(title)
        return to_base64(fig)


def heatmap(title, rows, cols, values, unit, row_label, col_label):
    """A grid of values[(row, col)] (absent: no result, left blank), each square annotated
    with its value; darker is larger.  rows and cols: the labels in order.  The colour scale
    is logarithmic where the values are all positive and span a factor of 10 or more (a remote
    free 50x a local one would otherwise leave every other square the same pale colour), and
    the colour bar's label says so; linear otherwise."""
    with plt.rc_context({**STYLE, "axes.grid": False}):
        # The axes and the colour bar placed by hand, from the labels' lengths: constrained
        # layout measured every text of the figure twice over, half of a heatmap's time (the
        # remote-free section draws one per backend and size shown).
        left = 0.45 + max(text_width(str(r), STYLE["font.size"]) for r in rows)   # y label, ticks
        right, top, bottom = 1.15, 0.4, 0.6       # colour bar and its label, title, x label
        # Wide enough for the title, centred over the axes, to fit on one line (fit_titles()
        # breaks a title wider than TITLE_FILL of the figure).
        wide = text_width(title, STYLE["axes.titlesize"])
        width = max(3.8, 1.1 * len(cols) + 1.8, wide + right - left, wide / TITLE_FILL)
        height = max(2.4, 0.8 * len(rows) + 1.4)
        fig = plt.figure(figsize=(width, height))
        ax = fig.add_axes([left / width, bottom / height, 1 - (left + right) / width,
                           1 - (top + bottom) / height])
        cax = fig.add_axes([1 - (right - 0.15) / width, bottom / height, 0.14 / width,
                            1 - (top + bottom) / height], label="<colorbar>")
        grid = [[values.get((r, c), float("nan")) for c in cols] for r in rows]
        known = [v for line in grid for v in line if v == v]
        lo, hi = (min(known), max(known)) if known else (0, 1)
        log = lo > 0 and hi >= 10 * lo
        norm = LogNorm(vmin=lo, vmax=hi) if log else Normalize(vmin=lo, vmax=hi)
        image = ax.imshow(grid, cmap="YlOrRd", aspect="auto", norm=norm)
        for i, line in enumerate(grid):
            for j, v in enumerate(line):
                text = "-" if v != v else f"{v:.0f}" if v >= 100 else f"{v:.3g}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if v == v and hi > lo and norm(v) > 0.75 else "black")
        ax.set_xticks(range(len(cols)))
        ax.set_xticklabels([str(c) for c in cols])
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([str(r) for r in rows])
        fig.colorbar(image, cax=cax, label=f"{unit} (log scale)" if log else unit)
        return labelled(fig, ax, col_label, row_label, title)


def paired_bars(title, panels, ratios):
    """Bars: ns per op per thread of two or more backends side by side at each thread count,
    one axes per panel (a size, say), each bar drawn in its backend's look() colour with error
    bars min..max over repetitions, and the ratio of each thread count's pair written above it.

    panels: [(panel title, {backend: {threads: (median, min, max)}})];
    ratios: [{threads: text above the pair}], one per panel.
    """
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, max(len(panels), 1), figsize=(3.2 * max(len(panels), 1) + 1.6,
                                                                  3.6),
                                 layout="constrained", squeeze=False)
        handles = {}
        for ax, (name, bars), above in zip(axes[0], panels, ratios):
            threads = sorted({t for pts in bars.values() for t in pts})
            if not threads:
                no_data(ax)
                ax.set_title(name)
                continue
            width = 0.8 / max(len(bars), 1)
            top = 0.0
            for i, (backend, pts) in enumerate(bars.items()):
                xs = [threads.index(t) + (i - (len(bars) - 1) / 2) * width for t in pts]
                stats = [pts[t] for t in pts]
                handles[backend] = ax.bar(xs, [s[0] for s in stats], width, yerr=errors(stats),
                                          capsize=3, color=colour(backend), edgecolor=BLACK,
                                          linewidth=0.6, label=backend, error_kw={"elinewidth": 1})
                top = max([top] + spread_values(stats))
            for t, text in above.items():
                if t in threads:
                    ax.text(threads.index(t), top * 1.04, text, ha="center", va="bottom",
                            fontsize=8)
            ax.set_ylim(0, top * 1.2 if top > 0 else 1)
            ax.set_xticks(range(len(threads)))
            ax.set_xticklabels([str(t) for t in threads])
            ax.grid(False, axis="x")
            ax.set_xlabel("threads")
            ax.set_ylabel("ns per op per thread (lower is better)")
            ax.set_title(name)
        if handles:
            legend_outside(axes[0][-1], handles=list(handles.values()),
                           labels=list(handles))
        fig.suptitle(title)
        return to_base64(fig)


def scale_ratios(title, panels, goal, threads):
    """Small multiples, one axes per panel (a batch): the N-thread/1-thread ratio of each
    backend's pair against the object size (log2 x, ticks at the sizes measured), one line per
    backend in its look(), the goal as a dashed line; log y where the ratios and the goal span
    more than LOG_SPAN. The axes share their y range.

    panels: [(panel title, {backend: [(size, ratio), ...]})]; goal: the ratio to stay under.
    """
    with plt.rc_context(STYLE):
        n = max(len(panels), 1)
        fig, axes = plt.subplots(1, n, figsize=(3.4 * n + 1.8, 3.8), layout="constrained",
                                 squeeze=False, sharey=True)
        values = [goal, 1.0] + [v for _, lines in panels for pts in lines.values()
                                for _, v in pts]
        log = False
        for ax, (name, lines) in zip(axes[0], panels):
            sizes = sorted({s for pts in lines.values() for s, _ in pts})
            if not sizes:
                no_data(ax)
                ax.set_title(name)
                continue
            for b, pts in lines.items():
                pts = sorted(pts)
                ax.plot([p[0] for p in pts], [p[1] for p in pts], label=b, markersize=4,
                        linewidth=1.6, **line_style(b))
            ax.axhline(goal, color=BLACK, linestyle="--", linewidth=1.0,
                       label=f"goal {goal:g}x")
            log2_ticks(ax, sizes, [size_text(s) for s in sizes], rotation=45, ha="right")
            ax.set_xlabel("object size (bytes, log2)")
            ax.set_title(name)
        log = value_axis(axes[0][0], values)
        axes[0][0].set_ylabel(f"ns per pair at {threads} threads / at 1 thread"
                              + (" (log)" if log else ""))
        legend_outside(axes[0][-1], title="backend", title_fontsize=8)
        fig.suptitle(title)
        return to_base64(fig)


def program_ratios(title, panels, backends):
    """The program workload's figure of one program (sections/programs.py): one axes per
    panel, side by side, panels [(x label, {backend: (median, min, max) ratio to glibc})], a
    dot with its min..max bar per backend (rows in @backends' order, glibc's 1 among them) and
    a line at 1, glibc's value. The x axes are ratios: linear from 0, logarithmic where the
    values span more than LOG_SPAN."""
    rows = [b for b in backends if any(b in p for _, p in panels)]
    fig, axes = plt.subplots(1, len(panels), figsize=(FIGSIZE[0], max(2.4, 1.2 + 0.3 * len(rows))),
                             layout="constrained", sharey=True, squeeze=False)
    for ax, (xlabel, ratios) in zip(axes[0], panels):
        for y, b in enumerate(rows):
            if b not in ratios:
                continue
            st = ratios[b]
            lo = st[0] - st[1] if st[1] is not None else 0.0
            hi = st[2] - st[0] if st[2] is not None else 0.0
            ax.errorbar([st[0]], [y], xerr=[[lo], [hi]], color=colour(b), marker=look(b)[1],
                        linestyle="none", markersize=5, capsize=3, label=b)
        ax.axvline(1.0, color="0.5", linestyle=REFERENCE, linewidth=1)
        drawn = spread_values(ratios.values()) + [1.0]
        # the outermost markers whole, not cut at the axes' edge
        if value_axis(ax, drawn, axis="x"):
            ax.set_xlim(min(drawn) / 1.25, max(drawn) * 1.25)
        else:
            ax.set_xlim(0, max(drawn) * 1.1)
        ax.set_xlabel(xlabel)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.grid(axis="y", alpha=0)
    axes[0][0].set_ylabel("backend")
    fig.suptitle(title)
    return to_base64(fig)


# The small multiples of one view across workloads (sections/latency.py, memory.py): a panel
# per workload (or a row of panels), laid out by hand rather than by constrained layout, which
# lays a figure of dozens of axes out by drawing it several times over; one legend, the
# figure's, for every panel, instead of one legend per axes. Inches.
GRID_AXES = (2.05, 1.3)       # the data area of one panel
GRID_GAPS = (0.72, 0.78)      # between panels: room for the y ticks and label; the x label and
                              # ticks below a panel and the two-line title above the next
GRID_MARGINS = (0.62, 2.0, 0.85, 0.48)   # left, right (the legend), top (the title), bottom
GRID_COLUMNS = 4
GRID_TITLE = 44   # characters on a panel title's line (of the font's 8 points) that fit above it


def panel_grid(n, columns=GRID_COLUMNS, legend_rows=0, panel=GRID_AXES, gaps=GRID_GAPS,
               margins=GRID_MARGINS):
    """A figure of n panels, columns to a row, at fixed places: (figure, [axes]). The figure is
    tall enough for a legend of legend_rows entries beside the first row. panel (one axes), gaps
    and margins (inches, as GRID_AXES, GRID_GAPS and GRID_MARGINS) size another figure's grid."""
    cols = max(1, min(n, columns))
    rows = max(1, -(-n // cols))
    (aw, ah), (gw, gh), (left, right, top, bottom) = panel, gaps, margins
    width = left + cols * aw + (cols - 1) * gw + right
    height = max(top + rows * ah + (rows - 1) * gh + bottom,
                 top + 0.45 + legend_rows * 7.5 * 1.75 / 72)
    fig = plt.figure(figsize=(width, height))
    axes = []
    for i in range(n):
        r, c = divmod(i, cols)
        x0 = left + c * (aw + gw)
        y0 = height - top - r * (ah + gh) - ah
        axes.append(fig.add_axes((x0 / width, y0 / height, aw / width, ah / height)))
    return fig, axes


def figure_legend(fig, axes, keys=()):
    """One legend for the figure, right of its panels: every label the axes drew (not those
    starting "_"), in the order first drawn, with its first handle; then keys, (handle, label)
    pairs that say what a line style means."""
    seen = {}
    for ax in axes:
        for h, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, h)
    for h, label in keys:
        seen[label] = h
    right = GRID_MARGINS[1]
    width, height = fig.get_size_inches()
    fig.legend(list(seen.values()), list(seen), loc="upper left", frameon=False,
               bbox_to_anchor=((width - right + 0.15) / width, 1 - GRID_MARGINS[2] / height),
               borderaxespad=0.0, fontsize=7.5, title="backend", title_fontsize=8)


# Small text, and few ticks: a figure of dozens of panels spends most of its time making and
# drawing tick marks, labels and grid lines (matplotlib's Tick: three lines and two texts each).
GRID_STYLE = {**STYLE, "xtick.labelsize": 7, "ytick.labelsize": 7, "axes.titlesize": 8,
              "axes.labelsize": 7.5}
GRID_TICKS = 4     # at most this many intervals on a linear axis (MaxNLocator)


def few_ticks(axis):
    """A linear axis's ticks at round numbers, GRID_TICKS intervals at most."""
    axis.set_major_locator(MaxNLocator(GRID_TICKS))


def panels_figure(title, panels, draw, legend_rows, columns=GRID_COLUMNS, keys=()):
    """Small multiples: an axes per panel (panel_grid), each titled with its panel's first item
    and drawn by draw(ax, panel), a panel of None left empty; one legend for all
    (figure_legend, keys added); base64 PNG text."""
    with plt.rc_context(GRID_STYLE):
        fig, axes = panel_grid(len(panels), columns, legend_rows + len(keys))
        for ax, panel in zip(axes, panels):
            if panel is None:
                ax.set_visible(False)
                continue
            ax.set_title(panel[0])
            draw(ax, panel)
        figure_legend(fig, axes, keys)
        fig.suptitle(title, x=GRID_MARGINS[0] / fig.get_figwidth(),
                     y=1 - 0.1 / fig.get_figheight(), ha="left", va="top")
        return to_base64(fig)


def case_title(workload, params, threads, what=""):
    """A panel's title: the workload (and what the panel draws), then the threads and the
    parameters (kr.case_text), shortened to GRID_TITLE characters (every cell's parameters are
    in the section's table)."""
    rest = kr.case_text(workload, params)[len(workload):].lstrip(", ")
    line = ", ".join(x for x in (kr.threads_text(threads), rest) if x)
    return (f"{workload}{': ' + what if what else ''}\n"
            + textwrap.shorten(line, GRID_TITLE, placeholder=" ..."))


def backends_in(panels, at=1):
    """How many backends the panels draw (each panel's item at holds {backend: ...})."""
    return len({b for p in panels if p for b in p[at]})


def cdf_panels(title, panels):
    """Latency distributions, a panel per workload: a step line per backend, the share of
    calls at or under x (y, 0..1) against ns per call (x, log where the values span more than
    LOG_SPAN, value_axis), in the backend's look(), a marker on every few steps.

    panels: [(panel title, {backend: ([le ns, ...], [share, ...])})]."""
    def draw(ax, panel):
        lines = panel[1]
        if not lines:
            no_data(ax)
            return
        for backend, (le, share) in lines.items():
            # From 0 at the first edge: no call took less than its bucket.
            ax.plot([le[0], *le], [0.0, *share], drawstyle="steps-post", label=backend,
                    linewidth=1.2, markersize=3, markevery=max(1, len(le) // 5),
                    **line_style(backend))
        log = value_axis(ax, [v for le, _ in lines.values() for v in le], axis="x")
        if not log:
            few_ticks(ax.xaxis)
        ax.set_ylim(0, 1.02)
        ax.set_yticks((0, 0.5, 1))
        ax.set_xlabel("ns per call (log)" if log else "ns per call")
        ax.set_ylabel("share of calls ≤ x")
    return panels_figure(title, panels, draw, backends_in(panels))


def percentile_panels(title, panels, labels):
    """Latency percentiles, a panel per workload: a line per backend across the percentiles
    (x: labels, "p50" .. "max"), ns on a log axis, in the backend's look().

    panels: [(panel title, {backend: [ns or None per label]})]."""
    def draw(ax, panel):
        lines = panel[1]
        values = [v for vs in lines.values() for v in vs if v]
        if not values:
            no_data(ax)
            return
        for backend, vs in lines.items():
            pts = [(i, v) for i, v in enumerate(vs) if v]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=backend, linewidth=1.2,
                    markersize=3, **line_style(backend))
        ax.set_yscale("log")
        log_ticks(ax.yaxis, values)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels)
        ax.set_xlabel("percentile")
        ax.set_ylabel("ns per call (log)")
    return panels_figure(title, panels, draw, backends_in(panels))


def timeline_panels(title, panels):
    """Memory over time, a panel per workload: a line per backend, MiB against ms since the
    pass began, in the backend's look() with a marker on every few points; MiB on a log axis
    where the values span more than LOG_SPAN (value_axis), the time axis linear.

    panels: [(panel title, {backend: (t_ms, bytes)})]."""
    def draw(ax, panel):
        lines = panel[1]
        if not lines:
            no_data(ax)
            return
        for backend, (t, v) in lines.items():
            ax.plot(t, [b / 2**20 for b in v], label=backend, linewidth=1.2, markersize=3,
                    markevery=max(1, len(t) // 6), **line_style(backend))
        log = value_axis(ax, [b / 2**20 for _, v in lines.values() for b in v])
        if not log:
            few_ticks(ax.yaxis)
        few_ticks(ax.xaxis)
        ax.set_xlabel("ms since the pass began")
        ax.set_ylabel("RSS, MiB (log)" if log else "RSS, MiB")
    return panels_figure(title, panels, draw, backends_in(panels))


def state_panels(title, panels, columns, keys):
    """The page allocator's and slab layer's state over time, panels (a row of columns per
    workload): per backend its series against ms since the pass began, in the backend's colour
    and marker, each series in its own line style (the first labelled with the backend; keys:
    (line style, what it draws) for the legend); the values as given (indices and shares:
    linear, their range and ticks fixed by the panel). A panel of None leaves its place empty.

    panels: [(panel title, y label, (y low, y high), (y ticks),
              {backend: [(t_ms, values, line style), ...]}) or None]."""
    def draw(ax, panel):
        _, ylabel, ylim, yticks, lines = panel
        for backend, series in lines.items():
            c, m, _ = look(backend)
            for i, (t, v, ls) in enumerate(series):
                ax.plot(t, v, label=backend if i == 0 else f"_{backend}", color=c, marker=m,
                        linestyle=ls, linewidth=1.2, markersize=3,
                        markevery=max(1, len(t) // 6))
        ax.set_ylim(*ylim)
        ax.set_yticks(yticks)
        few_ticks(ax.xaxis)
        ax.set_xlabel("ms since the pass began")
        ax.set_ylabel(ylabel)
    return panels_figure(title, panels, draw, backends_in(panels, 4), columns,
                         [(Line2D([], [], color=BLACK, linestyle=ls), text) for ls, text in keys])


FRAG_SERIES = (("hi_success", "-", "high-order success"),
               ("frag_index", "--", "fragmentation index"))


def fragmentation_fits(lines):
    """Whether fragmentation()'s two axes can draw lines legibly: at most kr.PANEL_LINES
    backends, and no more params or thread counts than it has markers and line styles."""
    return (len({line[0] for line in lines}) <= kr.PANEL_LINES
            and len({line[1] for line in lines}) <= len(MARKERS)
            and len({line[2] for line in lines}) <= len(LINESTYLES))


def fragmentation_panels(title, lines):
    """Fragmentation over time where fragmentation() cannot fit the lines (the full preset's
    fragment workload: 24 backends x 15 sizes x 2 thread counts, 720 lines an axes): a panel
    per params case at the highest thread count, both series on one -1..1 axis (the success
    rate solid, the index dashed), the backends kr.representatives() (per family the one that
    ends with the lowest index, the least fragmented) where more than kr.PANEL_LINES.

    lines: as fragmentation()'s."""
    top = max(line[2] for line in lines)
    cases = {}
    for b, ptext, t, series in lines:
        if t == top:
            cases.setdefault(ptext, {})[b] = series

    def final_index(b):
        ends = [s["frag_index"][-1][1] for case in cases.values() for bb, s in case.items()
                if bb == b and s.get("frag_index")]
        return min(ends) if ends else None
    shown = kr.representatives([line[0] for line in lines], final_index)
    panels = [(f"{ptext}, {kr.threads_text(top)}" if ptext else kr.threads_text(top),
               {b: s for b, s in case.items() if b in shown}) for ptext, case in cases.items()]

    def draw(ax, panel):
        steps = set()
        for b, series in panel[1].items():
            for name, style, _ in FRAG_SERIES:
                pts = series.get(name)
                if pts:
                    steps.update(p[0] for p in pts)
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=style,
                            color=colour(b), marker=look(b)[1], markersize=3, linewidth=1.2,
                            label=b if style == "-" else "_")
        ax.set_ylim(-1.1, 1.1)
        ax.set_yticks((-1, 0, 1))
        ax.axhline(0, color="#999999", linewidth=0.8, label="_zero")
        if steps:
            log2_ticks(ax, sorted(steps), [f"{k}k" for k in sorted(steps)])
        ax.set_xlabel("steps per thread (k = 1024)")
        ax.set_ylabel("rate / index")
    keys = [(Line2D([], [], color="#555555", linestyle=style), label)
            for _, style, label in FRAG_SERIES]
    return panels_figure(f"{title}: fragmentation over time", panels, draw,
                         backends_in(panels), keys=keys)
