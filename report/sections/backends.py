"""Section "Backends": each backend's status (ok, skipped, failed) and reason, how it was
loaded, and its runs that succeeded and failed.
"""
from kmb_html import esc, num_cell, head_cells, table, badge

ANCHOR = "backends"
TITLE = "Backends"

BACKEND_HEAD = ["backend", "status", "reason", "LD_PRELOAD", "free function", "runs ok",
                "runs failed"]


def render(run):
    ctx, cells, backends = run.ctx, run.cells, run.backends
    info = ctx.get("backends") or {}
    rows = []
    for b in backends:
        d = info.get(b) if isinstance(info.get(b), dict) else {}
        status = str(d.get("status") or ("ok" if b not in info else "unknown"))
        cls = status if status in ("ok", "skipped", "failed") else "unknown"
        n = sum(c.reps for c in cells if c.backend == b)
        nf = sum(len(c.errors) for c in cells if c.backend == b)
        rows.append(f"<tr><td>{esc(b)}</td><td>{badge(cls, esc(status))}"
                    f'</td><td>{esc(d.get("reason", ""))}</td><td>{esc(d.get("preload", "-"))}'
                    f'</td><td>{esc(d.get("free", "-"))}</td>{num_cell(n)}{num_cell(nf)}</tr>')
    return '<h2 id="backends">Backends</h2>' + table("backends-table", head_cells(BACKEND_HEAD),
                                                     rows)
