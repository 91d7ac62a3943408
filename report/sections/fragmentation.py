"""Section "Fragmentation over time": the series counters (<name>_at_<N>k, workload fragment's
checkpoints) over steps, one figure per workload; "" without any.
"""
import kmb_plots
import kmb_results as kr
from kmb_html import esc

ANCHOR = "fragmentation"
TITLE = "Fragmentation"


def series(cell):
    """{series name: [(steps / 1024, median value), ...] sorted by steps} of a cell."""
    out = {}
    for name, value in cell.counters.items():
        point = kr.series_point(name)
        if point:
            out.setdefault(point[0], []).append((point[1], value))
    return {name: sorted(points) for name, points in sorted(out.items())}


def render(run):
    """Series counters (<name>_at_<N>k) over steps, one plot per workload; "" without any."""
    cells, backends = run.cells, run.backends
    by_workload = {}
    for c in sorted(cells, key=lambda c: (backends.index(c.backend), c.sort_key())):
        points = series(c)
        if points:
            by_workload.setdefault(c.workload, []).append(
                (c.backend, kr.params_text(c.params), c.threads, points))
    if not by_workload:
        return ""
    out = ['<h2 id="fragmentation">Fragmentation over time</h2>',
           '<p class="note">At checkpoints 1k, 4k, 16k, ... steps of each thread (k = 1024): '
           "the share of high-order probes since the previous checkpoint that succeeded, and "
           "the fragmentation index of the probe order (-1: a free block of that order exists; "
           "0..1: failure from lack of memory .. from fragmentation), median over repetitions. "
           "Backends without an index are left out of the lower panel. Where the lines would "
           f"not fit one figure (more than {kr.PANEL_LINES} backends, or more cases than "
           "markers), a panel per case at the highest thread count, both series on one axis, "
           "and per backend family the one that ends least fragmented.</p>",
           '<div class="plots">']
    for workload, lines in by_workload.items():
        draw = (kmb_plots.fragmentation if kmb_plots.fragmentation_fits(lines)
                else kmb_plots.fragmentation_panels)
        png = draw(workload, lines)
        out.append(f'<img alt="{esc(workload)}: fragmentation over time" '
                   f'src="data:image/png;base64,{png}">')
    out.append("</div>")
    return "\n".join(out)
