"""Section "Context": the experiment the run came from (its name and description, from the
results or its experiment file: kmb_experiments), then every key of the results file's context;
the backends' stats are linked to the Allocator state section instead.
"""
import os

import kmb_experiments as kx
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
    return (f'<h2 id="context">Context</h2>{experiment(run)}'
            f'<table class="ctx"><tbody>{rows}</tbody></table>')


def experiment(run):
    """One line: the experiment's name, where it came from and its description; "" for a run
    that names none (a plain Google Benchmark file)."""
    opts = run.ctx.get("options") if isinstance(run.ctx.get("options"), dict) else {}
    found = kx.describe(opts, os.path.dirname(run.path) if run.path else None)
    if not found:
        return ""
    name, desc, where = found
    return (f'<p class="experiment">Experiment <b>{esc(name)}</b>'
            f'{f" ({esc(where)})" if where else ""}{f": {esc(desc)}" if desc else ""}</p>')
