"""Section "Context": every key of the results file's context; the backends' stats are linked
to the Allocator state section instead.
"""
import kmb_results as kr
from kmb_html import esc, Raw, render_value

ANCHOR = "context"
TITLE = "Context"


def render(run):
    """Every context key; backends' stats are linked to the Allocator state section instead."""
    ctx = run.ctx
    ctx, stats = dict(ctx), kr.backend_stats(ctx)
    if stats:
        ctx["backends"] = {b: dict(d, stats=Raw(f'<a href="#state-{kr.slug(b)}">see Allocator '
                                                 f"state</a>")) if b in stats else d
                           for b, d in ctx["backends"].items()}
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{render_value(v)}</td></tr>" for k, v in ctx.items())
    return f'<h2 id="context">Context</h2><table class="ctx"><tbody>{rows}</tbody></table>'
