"""Section "Counters": the perf counters this machine has, those it does not and why, and the
counting options.
"""
from kmb_html import esc, head_cells, table, render_value

ANCHOR = "counters"
TITLE = "Counters"


def render(run):
    counters_ctx = run.counters_ctx
    avail = counters_ctx.get("available") or []
    unavailable = counters_ctx.get("unavailable") or {}
    rows = [f"<tr><td>{esc(n)}</td><td>{esc(r)}</td></tr>" for n, r in unavailable.items()]
    facts = []
    for key in ("exclude_kernel", "perf_event_paranoid"):
        if key in counters_ctx:
            facts.append(f"{key}: {render_value(counters_ctx[key])}")
    return ('<h2 id="counters">Counters</h2>'
            f"<p>Available: {esc(', '.join(map(str, avail))) or 'none'}"
            f"{'. ' + '; '.join(facts) if facts else ''}.</p>"
            + (table("unavailable-table", head_cells(["unavailable counter", "reason"]), rows)
               if unavailable else "<p>No counter is unavailable.</p>"))
