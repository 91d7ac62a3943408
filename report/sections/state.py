"""Section "Allocator state": what each backend reported about itself after its last run
(context.backends.<name>.stats): numbers, per-order numbers as one table, text blocks as <pre>;
"" where no backend has stats.
"""
import re

import kmb_results as kr
from kmb_html import esc, num_cell, table, fmt_stat, scroll_box, stats_table

ANCHOR = "state"
TITLE = "Allocator state"

# A per-order backend statistic, e.g. pgalloc_order3 or fragmentation_index_order10.
ORDER_STAT_RE = re.compile(r"^(?P<family>.+?)_?order(?P<order>[0-9]+)$")


def split_stats(stats):
    """Split a backend's stats into (plain [(key, value)], per-order {family: {order: value}},
    text [(key, text)]): multi-line strings are text blocks, keys ending in order<N> per-order."""
    plain, per_order, text = [], {}, []
    for key, value in stats.items():
        m = ORDER_STAT_RE.match(str(key))
        if isinstance(value, str) and "\n" in value:
            text.append((key, value))
        elif m and isinstance(value, (int, float)) and not isinstance(value, bool):
            per_order.setdefault(m.group("family"), {})[int(m.group("order"))] = value
        else:
            plain.append((key, value))
    return plain, per_order, text


def render(run):
    """Each backend's stats: numbers, per-order numbers as one table, text blocks as <pre>."""
    ctx = run.ctx
    stats = kr.backend_stats(ctx)
    if not stats:
        return ""
    out = ['<h2 id="state">Allocator state</h2>',
           '<p class="note">What each backend reported about itself after its last run '
           "(context.backends.&lt;name&gt;.stats), for the whole process, not per workload.</p>"]
    for b, st in stats.items():
        plain, per_order, text = split_stats(st)
        out.append(f'<h3 id="state-{kr.slug(b)}">{esc(b)}</h3>')
        if plain:
            out.append(stats_table(f"stats-{kr.slug(b)}", plain))
        if per_order:
            out.append(order_table(f"orders-{kr.slug(b)}", per_order))
        for key, value in text:
            out.append(f'<figure class="stat"><figcaption>{esc(key)}</figcaption>'
                       f"<pre>{esc(value.rstrip())}</pre></figure>")
    return "\n".join(out)


def order_table(table_id, per_order):
    """Rows: a stat family (pgalloc, fragmentation_index, ...); columns: order 0, 1, ..."""
    orders = sorted({o for values in per_order.values() for o in values})
    head = "<th>per order</th>" + "".join(f'<th class="num">{o}</th>' for o in orders)
    rows = [f"<tr><td>{esc(family)}</td>"
            + "".join(num_cell(fmt_stat(values.get(o))) for o in orders) + "</tr>"
            for family, values in per_order.items()]
    return scroll_box(table(table_id, head, rows, cls="stats"))
