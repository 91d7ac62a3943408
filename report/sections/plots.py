"""Section "Throughput and time per operation": per (workload, params) group, the answer (the
fastest backend at the lowest and highest thread count, from the Summary's findings) and two
figures, throughput against threads and ns/op at the lowest and highest thread count. The counter
workloads are left to the Per-CPU caches section, remote-free-matrix (a group per CPU pair) to
the Remote frees section.
"""
import kmb_plots
import kmb_results as kr
import kmb_summary as kms
from kmb_html import esc

ANCHOR = "plots"
TITLE = "Plots"


def render(run):
    """Per (workload, params) group, the answer (the fastest backend at the lowest and highest
    thread count) and two figures: throughput against threads and ns/op at the lowest and
    highest thread count, backends in small multiples by family. The counter workloads are
    left to the Per-CPU caches section, which compares them."""
    cells, backends, found = run.cells, run.backends, run.found
    out = ['<h2 id="plots">Throughput and time per operation</h2>',
           '<p class="note">Median over repetitions; error bars span min..max over '
           "repetitions. Mops/s counts the operations of all threads together; ns/op is the "
           "wall-clock time one operation takes a thread (real_time x threads: flat across "
           "thread counts means perfect scaling), shown at the lowest and highest thread "
           "count. Backends are grouped by family where there are more than "
           f"{kr.PANEL_LINES}, each group with the best baseline (dotted) for reference; "
           f"axes are logarithmic where the values span more than {kmb_plots.LOG_SPAN:g}x.</p>"]
    answers = {}
    for f in found:
        if f.kind == kms.FASTEST:
            answers.setdefault(f.anchor, []).append(f)
    for (workload, params), group in kr.groups(cells).items():
        if workload in kr.COUNTER_WORKLOADS or workload == kr.RFM:
            continue
        title = f"{workload} {kr.params_text(params)}"
        anchor = kr.group_anchor(workload, params)
        out.append(f'<h3 id="{anchor}">{esc(title)}</h3>')
        if anchor in answers:
            out.append('<ul class="answer">' + "".join(
                f"<li><b>{esc(kr.threads_text(f.threads))}:</b> {esc(f.text)}</li>"
                for f in answers[anchor]) + "</ul>")
        out.append('<div class="plots">')
        for fn, what in ((kmb_plots.throughput, "throughput"), (kmb_plots.ns_per_op, "ns/op")):
            png = fn(title, group, backends)
            out.append(f'<img alt="{esc(title)}: {what}" src="data:image/png;base64,{png}">')
        out.append("</div>")
    if not cells:
        out.append("<p>No results in this file.</p>")
    return "\n".join(out)
