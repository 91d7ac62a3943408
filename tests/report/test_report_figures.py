#!/usr/bin/python3
"""The report's figures as a reader sees them (STYLE.md point 14): every legend of every figure
the report draws for the committed fixtures lies beside its axes, over no axes' data and no
title, and inside the figure, nothing of it cut off. And legibility (issue 19): each figure
names its axes, its value axes with a unit; a linear value axis spans at most LOG_SPAN (else it
must be logarithmic); an axes draws at most MAX_SERIES series (small multiples beyond); and a
backend has one colour, its kmb_plots.colour(), in every figure of every fixture.

Renders each tests/fixtures/results-*.json in this process (kmbench_report.render) with
kmb_plots.OBSERVER set, which to_base64() calls with each figure after it is drawn and before
it is closed, and measures the drawn figure: each legend's window extent against every axes'
window extent (the data area) and every title's, and against the figure's. A report without
the observer (an older one, pointed at with KMB_SOURCE_DIR) has its to_base64 wrapped instead.
The compare page of the quick fixture against itself is measured the same way. No title or axis
name of any figure may reach out of the figure (cut off in the PNG).

Run: /usr/bin/python3 tests/report/test_report_figures.py   (KMB_SOURCE_DIR: the repository root)
"""
import glob
import os
import re
import sys
import unittest

import matplotlib.colors as mcolors
from matplotlib.container import ErrorbarContainer

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_util as ru  # noqa: E402

sys.path.insert(0, os.path.join(ru.SOURCE_DIR, "report"))
import kmb_plots  # noqa: E402
import kmb_results as kr  # noqa: E402
import kmbench_report  # noqa: E402

FIXTURES = sorted(glob.glob(os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-*.json")))
SLACK = 1.0   # pixels: extents that touch within this are not counted as overlapping
MAX_SERIES = 8   # data series (legend entries) per axes; a reference line (a goal, the best
                 # baseline drawn for comparison) is not counted
REFERENCES = re.compile(r"^goal |\(best baseline\)$|^ideal|^1 thread$")
UNITS = re.compile(r"\bns\b|Mops/s|objects/s|MiB|KiB|bytes|\bsize\b|rate|index|threads|"
                   r"\bCPU\b|node|order|percentile|\bms\b|steps|failing|/ at 1 thread|"
                   r"\bx\b|ratio|share|%", re.I)
LOG_SPAN = 10.0
TIME_AXIS = re.compile(r"\bsince\b|\bsteps\b")


def overlap(a, b):
    """The area in pixels² that the Bboxes a and b share beyond SLACK on each side."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0) - SLACK
    h = min(a.y1, b.y1) - max(a.y0, b.y0) - SLACK
    return w * h if w > 0 and h > 0 else 0.0


def titles(fig):
    """The figure's non-empty title texts: its suptitle, each axes' three titles."""
    texts = [fig._suptitle] if getattr(fig, "_suptitle", None) is not None else []
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title]
    return [t for t in texts if t.get_text() and t.get_visible()]


def name_of(fig):
    """A figure's name for messages: its titles joined."""
    return " / ".join(t.get_text() for t in titles(fig)) or "untitled figure"


def problems(fig):
    """What is wrong with the legends of a drawn figure, one line each ([] when nothing)."""
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    whole = fig.bbox
    out = []
    for i, leg in enumerate(legends):
        lb = leg.get_window_extent(renderer)
        what = f"legend {i + 1} ({', '.join(t.get_text() for t in leg.get_texts()[:3])}...)"
        for j, ax in enumerate(fig.axes):
            area = overlap(lb, ax.get_window_extent(renderer))
            if area:
                out.append(f"{what} covers {area:.0f} px² of axes {j + 1} "
                           f"({ax.get_title(loc='left') or ax.get_title() or 'untitled'})")
        for t in titles(fig):
            area = overlap(lb, t.get_window_extent(renderer))
            if area:
                out.append(f"{what} covers {area:.0f} px² of the title {t.get_text()!r}")
        if outside(lb, whole):
            out.append(f"{what} is cut off: {lb.bounds} outside the figure {whole.bounds}")
    for t in titles(fig) + labels(fig):
        tb = t.get_window_extent(renderer)
        if outside(tb, whole):
            out.append(f"the text {t.get_text()!r} is cut off: {tb.bounds} outside the figure "
                       f"{whole.bounds}")
    return out


def outside(box, whole):
    """Whether the Bbox box reaches out of whole by more than SLACK on some side."""
    return (box.x0 < whole.x0 - SLACK or box.y0 < whole.y0 - SLACK or box.x1 > whole.x1 + SLACK
            or box.y1 > whole.y1 + SLACK)


def labels(fig):
    """The figure's non-empty axis names: its supxlabel and supylabel, each axes' two."""
    texts = [getattr(fig, f"_sup{w}label", None) for w in ("x", "y")]
    texts = [t for t in texts if t is not None]
    for ax in fig.axes:
        texts += [ax.xaxis.label, ax.yaxis.label]
    return [t for t in texts if t.get_text() and t.get_visible()]


def numeric_ticks(axis):
    """Whether an axis's tick labels are numbers (a value axis), not names (a category axis)."""
    labels = [t.get_text() for t in axis.get_ticklabels() if t.get_text()]
    return not labels or all(re.fullmatch(r"[−\-0-9.,]+[kMGx%]?( ?[KMG]iB| B)?|\$.*\$", t)
                             for t in labels)


def axis_values(ax, which):
    """The data values drawn on one axis ("x" or "y") of an axes: its lines' points."""
    out = []
    for line in ax.get_lines():
        if line.get_label().startswith("_") and not line.get_visible():
            continue
        data = line.get_xdata() if which == "x" else line.get_ydata()
        out += [float(v) for v in data if isinstance(v, (int, float)) or hasattr(v, "dtype")]
    return out


def handle_colour(h):
    if isinstance(h, ErrorbarContainer):
        h = h[0]
    try:
        return mcolors.to_hex(h.get_color())
    except (AttributeError, ValueError):
        try:
            return mcolors.to_hex(h.get_facecolor()[0])
        except (AttributeError, IndexError, ValueError):
            return None


def legibility(fig, colours):
    """What makes a drawn figure hard to read, one line each; and each legend entry that names
    a backend recorded in colours ({name: {colour: figure}})."""
    out, name = [], name_of(fig)
    axes = [ax for ax in fig.axes if ax.get_visible() and (ax.get_lines() or ax.collections
                                                           or ax.patches or ax.images)]
    cbars = [ax for ax in axes if ax.get_label() == "<colorbar>"]
    plots = [ax for ax in axes if ax not in cbars]
    sup = {w: getattr(fig, f"_sup{w}label", None) for w in ("x", "y")}
    sup = {w: t.get_text() if t is not None else "" for w, t in sup.items()}
    if plots and not sup["x"] and not any(ax.get_xlabel() for ax in plots):
        out.append(f"{name}: no axes names its x axis")
    if plots and not sup["y"] and not any(ax.get_ylabel() or not numeric_ticks(ax.yaxis)
                                          for ax in plots):
        out.append(f"{name}: no axes names its y axis")
    for ax in plots:
        for which in ("x", "y"):
            axis = ax.xaxis if which == "x" else ax.yaxis
            label = ax.get_xlabel() if which == "x" else ax.get_ylabel()
            if label and numeric_ticks(axis) and not UNITS.search(label):
                out.append(f"{name}: {which} label {label!r} names no unit")
            scale = ax.get_xscale() if which == "x" else ax.get_yscale()
            drawn = axis_values(ax, which)
            vals = [v for v in drawn if v > 0]
            # Not a value axis to go log: time (a timeline's), or one that draws 0 (a log
            # axis cannot: the 0% failure rate).
            timeline = TIME_AXIS.search(label or "")
            if (scale == "linear" and numeric_ticks(axis) and vals and not ax.images
                    and not timeline and len(vals) == len(drawn)
                    and max(vals) / min(vals) > LOG_SPAN * 1.0001):
                out.append(f"{name}: linear {which} axis of {ax.get_title() or 'axes'} spans "
                           f"{min(vals):g}..{max(vals):g}, more than {LOG_SPAN:g}x")
        handles, labels = ax.get_legend_handles_labels()
        series = {lb for lb in labels if not REFERENCES.search(lb)}
        if len(series) > MAX_SERIES:
            out.append(f"{name}: {len(series)} series in one axes ({ax.get_title()}), more "
                       f"than {MAX_SERIES}")
        for h, lb in zip(handles, labels):
            b = lb.replace(" (best baseline)", "")
            if b in kmb_plots.LOOKS and handle_colour(h):
                colours.setdefault(b, {}).setdefault(handle_colour(h), name)
    return out


class Legends(unittest.TestCase):
    """Every fixture's figures, drawn once for the class."""

    @classmethod
    def setUpClass(cls):
        cls.seen = {}     # fixture name -> [(figure name, legends, problems)]
        cls.illegible, cls.colours = [], {}
        current = []

        def observe(fig):
            # Measured as saved: to_base64() saves at kmb_plots.DPI, and a figure made at
            # another dpi would report its text where the last draw (the save) did not put it.
            if fig.dpi != kmb_plots.DPI:
                fig.set_dpi(kmb_plots.DPI)
                fig.canvas.draw()
            legends = len(fig.legends) + sum(1 for ax in fig.axes if ax.get_legend())
            current.append((name_of(fig), legends, problems(fig)))
            cls.illegible += legibility(fig, cls.colours)

        restore = None
        if hasattr(kmb_plots, "OBSERVER"):
            kmb_plots.OBSERVER = observe
        else:
            restore = kmb_plots.to_base64

            def to_base64(fig):
                fig.canvas.draw()
                observe(fig)
                return restore(fig)
            kmb_plots.to_base64 = to_base64
        try:
            for path in FIXTURES:
                current.clear()
                page = kmbench_report.render(kr.load(path), path)
                cls.seen[os.path.basename(path)] = (list(current), page.count("<img "))
            # The compare page too: its ratio figure titles both runs by their (long) ids.
            current.clear()
            import kmb_compare
            quick = os.path.join(ru.SOURCE_DIR, "tests", "fixtures", "results-quick.json")
            page = kmb_compare.render([kmb_compare.Run(quick), kmb_compare.Run(quick)])
            cls.seen["compare: quick against quick"] = (list(current), page.count("<img "))
        finally:
            if restore is None:
                kmb_plots.OBSERVER = None
            else:
                kmb_plots.to_base64 = restore

    def test_every_figure_observed(self):
        """Every <img> of every page is a figure the check saw, and they have legends."""
        self.assertGreaterEqual(len(self.seen), 7, FIXTURES)
        for fixture, (figures, imgs) in self.seen.items():
            self.assertEqual(len(figures), imgs, fixture)
            self.assertTrue(figures, fixture)
        legends = sum(n for figures, _ in self.seen.values() for _, n, _ in figures)
        self.assertGreater(legends, 40)

    def test_legible(self):
        """Axes named with units, log where the values span more than 10x, few series."""
        self.assertEqual(self.illegible, [], f"{len(self.illegible)} problems:\n"
                         + "\n".join(self.illegible))

    def test_one_colour_per_backend(self):
        """Every backend a legend names has its one colour in every figure of every fixture,
        and it is kmb_plots.colour()'s."""
        self.assertGreater(len(self.colours), 10, self.colours)
        for b, seen in self.colours.items():
            self.assertEqual(list(seen), [mcolors.to_hex(kmb_plots.colour(b))], (b, seen))

    def test_no_legend_over_axes_or_titles_or_cut_off(self):
        found = [f"{fixture}: {name}: {p}" for fixture, (figures, _) in self.seen.items()
                 for name, _, probs in figures for p in probs]
        self.assertEqual(found, [], f"{len(found)} legend problems:\n" + "\n".join(found))


class Geometry(unittest.TestCase):
    """problems() itself, on figures drawn here: a legend over the data is found, a legend
    beside it is not."""

    def figure(self, **legend):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
        for i in range(4):
            ax.plot([1, 2], [i, i + 1], label=f"line {i}")
        ax.set_title("a title")
        ax.legend(**legend)
        fig.canvas.draw()
        self.addCleanup(plt.close, fig)
        return fig

    def test_inside_found(self):
        found = problems(self.figure(loc="center"))
        self.assertTrue(any("covers" in p and "axes 1" in p for p in found), found)

    def test_over_title_found(self):
        found = problems(self.figure(loc="lower center", bbox_to_anchor=(0.5, 0.98)))
        self.assertTrue(any("the title 'a title'" in p for p in found), found)

    def test_cut_off_found(self):
        found = problems(self.figure(loc="upper left", bbox_to_anchor=(1.5, 1.0)))
        self.assertTrue(any("cut off" in p for p in found), found)

    def test_outside_passes(self):
        self.assertEqual(problems(self.figure(loc="upper left", bbox_to_anchor=(1.02, 1.0))),
                         [])


class LongLegend(unittest.TestCase):
    """A legend of 40 entries (the mempool section of the smoke preset: every backend at two
    thread counts as a reference line) beside a figure of the usual size: the figure grows to
    hold it, so constrained layout does not collapse the axes (it warns when it does) and
    nothing of the legend is cut off."""

    def test_grows_to_hold_it(self):
        import warnings
        seen = []
        kmb_plots.OBSERVER = seen.append
        refs = {f"backend-{i}": {1: (1.0 + i, 1.0, 2.0), 2: (2.0 + i, 2.0, 3.0)}
                for i in range(20)}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                kmb_plots.fail_sweep("t", {1: [(0, (1.0, 1.0, 1.0)), (50, (2.0, 2.0, 2.0))]},
                                     refs)
        finally:
            kmb_plots.OBSERVER = None
        self.assertEqual(len(seen), 1)
        self.assertEqual(problems(seen[0]), [])
        self.assertGreater(seen[0].get_figheight(), kmb_plots.FIGSIZE[1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
