"""The report's Summary, first on the page before the links to the sections: the run's
findings (kmb_summary), the rest of the fastest cases folded below them, and one line of counts
(backends with results, those not run, failed runs, counters unavailable), which --summary also
prints.
"""
import kmb_results as kr
import kmb_summary as kms
from kmb_html import esc


def counts(ctx, cells, backends):
    """One line of counts: backends with results, those not run, failed runs, counters."""
    backends = [b for b in backends if b != kr.NO_ALLOCATOR]   # the counters' process
    status = {b: (ctx.get("backends") or {}).get(b, {}).get("status", "ok") for b in backends}
    ran = [b for b in backends if any(c.backend == b and c.ns for c in cells)]
    not_ok = [f"{b} ({s})" for b, s in status.items() if s != "ok"]
    nfail = sum(len(c.errors) for c in cells)
    unavailable = (ctx.get("counters") or {}).get("unavailable") or {}
    parts = [f"{len(ran)} of {len(backends)} backends have results"]
    if not_ok:
        parts.append("not run: " + ", ".join(not_ok))
    pairs = sum(len(c.errors) for c in cells if c.workload == kr.REMOTE_FREE and c.threads % 2)
    parts.append(f"{nfail} failed run{'s' if nfail != 1 else ''}"
                 + (f" ({pairs} of them remote-free at an odd thread count: it needs pairs)"
                    if pairs else ""))
    if unavailable:
        parts.append(f"{len(unavailable)} counters unavailable")
    return "; ".join(parts) + "."


EVIDENCE = {kms.FASTEST: "plots", kms.ALIGNED: "table", kms.SHARING: "counters",
            kms.SCALING: "plots", kms.PERCPU: "plots", kms.FALSESHARE: "bars",
            kms.SERVER: "plots", kms.REMOTE: "heatmaps", kms.PAGES: "plots",
            kms.VMALLOC: "table", kms.MEMPOOL: "plots"}


def finding_rows(found):
    """One <tr> per finding: its case, its sentence (with any details folded), its evidence."""
    rows = []
    for f in found:
        more = ""
        if f.details:
            more = ('<details><summary>more</summary>'
                    + "".join(f"<div>{esc(d)}</div>" for d in f.details) + "</details>")
        cls = f"finding {f.kind}" + (" uncertain" if f.uncertain else "")
        rows.append(f'<tr class="{cls}"><td class="where">{esc(f.where)}</td>'
                    f"<td>{esc(f.text)}{more}</td>"
                    f'<td><a href="#{esc(f.anchor)}">{EVIDENCE.get(f.kind, "evidence")}</a>'
                    "</td></tr>")
    return rows


def render(run):
    """The report's first section: the run's findings (kmb_summary), the rest of the fastest
    cases folded below them, and the counts."""
    found, ctx, cells, backends = run.found, run.ctx, run.cells, run.backends
    shown, folded = kms.headline(found)
    out = ['<section><h2 id="summary">Summary</h2>']
    if shown:
        out.append(f'<p class="note">{esc(kms.intro(cells))}</p>')
        out.append(f'<table id="findings-table" class="findings"><tbody>'
                   f'{"".join(finding_rows(shown))}</tbody></table>')
    else:
        out.append('<p class="note">No finding: the results have no two backends to '
                   "compare.</p>")
    if folded:
        out.append(f'<details class="more"><summary>{len(folded)} more case'
                   f'{"s" if len(folded) > 1 else ""}: the fastest backend</summary>'
                   f'<table id="findings-more" class="findings"><tbody>'
                   f'{"".join(finding_rows(folded))}</tbody></table></details>')
    out.append(f'<p class="summary">{esc(counts(ctx, cells, backends))}</p></section>')
    return "\n".join(out)
