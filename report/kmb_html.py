"""HTML helpers that every section of the report shares: escaping, table cells and tables,
badges and verdicts, nested JSON as HTML, ratios and stats as the report writes them, and the
page's style and frame. Nothing here reads a results file; the sections (report/sections/) do.
"""
import html

import kmb_results as kr

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: #1d232b; margin: 0 auto; padding: 0 24px 48px; max-width: 1560px; }
header { border-bottom: 2px solid #2c5d8a; margin-bottom: 12px; }
h1 { margin: 18px 0 6px; font-size: 24px; }
h2 { margin: 28px 0 8px; font-size: 19px; border-bottom: 1px solid #d5dbe1; padding-bottom: 3px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
dl.meta { display: grid; grid-template-columns: max-content auto max-content auto;
          gap: 2px 14px; margin: 8px 0 12px; }
dl.meta dt { color: #5b6670; } dl.meta dd { margin: 0; font-family: ui-monospace, monospace; }
p.summary { margin: 6px 0 12px; } nav a { margin-right: 14px; }
.plots { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.plots img { box-sizing: border-box; width: calc(50% - 6px); min-width: 520px; max-width: 100%;
             height: auto; border: 1px solid #e3e7eb; }
.plots img.wide { width: auto; min-width: 0; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border: 1px solid #d5dbe1; padding: 3px 7px; vertical-align: top; text-align: left; }
th { background: #eef2f6; position: sticky; top: 0; }
td.nw { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #f8fafb; }
tr.first td { border-top: 2px solid #98a6b3; }
tr.best td.ns { font-weight: 600; }
tr.failed td { background: #fdecee; color: #8a1020; }
td.misplaced, span.misplaced { background: #fff1d6; color: #7a4b00; }
td.failed { background: #fdecee; color: #8a1020; }
.na { color: #97a0a8; } td.na { text-align: right; }
.scroll { overflow-x: auto; }
img { max-width: 100%; height: auto; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; color: #fff; }
.ok { background: #2e7d32; } .skipped { background: #8d6e00; } .failed { background: #b00020; }
.unknown { background: #667; }
table.ctx td:first-child { font-family: ui-monospace, monospace; white-space: nowrap; }
table.ctx table { font-size: 12px; margin: 0; }
.note { color: #5b6670; font-size: 12.5px; }
.badge.met { background: #2e7d32; } .badge.not-met { background: #b00020; }
tr.missing td { color: #8a1020; }
tr.headline td:first-child { font-weight: 600; white-space: nowrap; }
p.missing { color: #8a1020; }
table.stats td.key { font-family: ui-monospace, monospace; white-space: nowrap; }
table.findings { margin: 4px 0 8px; } table.findings td { padding: 3px 9px; }
table.findings td.where { font-weight: 600; white-space: nowrap; color: #2c5d8a; }
table.findings tr.uncertain td { color: #5b6670; }
table.answers p { margin: 0; } table.answers td.where { font-weight: 600; }
table.findings details, details.more, details.notrun { font-size: 12.5px; color: #5b6670; }
details.more, details.notrun { margin: 4px 0 10px; } details summary { cursor: pointer; }
ul.answer { margin: 2px 0 8px; padding-left: 20px; }
figure.stat { margin: 8px 0; } figure.stat figcaption { font-family: ui-monospace, monospace;
                                                          font-weight: 600; color: #2c5d8a; }
figure.stat pre { margin: 2px 0; padding: 6px 8px; background: #f6f8fa; border: 1px solid
                  #e3e7eb; font-size: 12px; line-height: 1.3; overflow: auto; max-height: 36em; }
"""


def esc(value):
    """Escape text for HTML; "://" is written with entities so no URL appears in the source."""
    return html.escape(str(value)).replace("://", ":&#47;&#47;")


def num_cell(text):
    """A right-aligned table cell; text is HTML already (escaped or made here)."""
    return f'<td class="num">{text}</td>'


def head_cells(names):
    """The <th> cells of a header row, one per name."""
    return "".join(f"<th>{esc(h)}</th>" for h in names)


def table(table_id, ths, rows, cls=None):
    """A table with one header row of the cells ths and the body rows (HTML)."""
    attrs = f' id="{esc(table_id)}"' + (f' class="{cls}"' if cls else "")
    return (f"<table{attrs}><thead><tr>{ths}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def verdict_of(t, unknown="unknown"):
    """met, not met or unknown (t.met None: a run missing, or a zero denominator)."""
    return unknown if t.met is None else "met" if t.met else "not met"


def verdict_class(verdict):
    """The row and badge class of a verdict: met, not-met or missing."""
    return {"met": "met", "not met": "not-met"}.get(verdict, "missing")


def badge(cls, text):
    """A coloured label (.badge.cls in CSS); text is HTML already."""
    return f'<span class="badge {cls}">{text}</span>'


class Raw(str):
    """HTML the report wrote itself: render_value passes it through unescaped."""


def render_value(v, depth=0):
    """Nested JSON as readable HTML: dicts as key/value tables, lists of objects as tables."""
    if isinstance(v, Raw):
        return str(v)
    if v is None:
        return '<span class="na">null</span>'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return esc(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        rows = "".join(f"<tr><td>{esc(k)}</td><td>{render_value(x, depth + 1)}</td></tr>"
                       for k, x in v.items())
        return f"<table>{rows}</table>"
    if isinstance(v, list):
        if all(not isinstance(x, (dict, list)) for x in v):
            return esc(", ".join("null" if x is None else str(x) for x in v)) or "[]"
        if all(isinstance(x, list) for x in v):   # a matrix, e.g. NUMA distances
            rows = "".join("<tr>" + "".join(num_cell(render_value(y, depth + 1)) for y in row)
                           + "</tr>" for row in v)
            return f"<table>{rows}</table>"
        if all(isinstance(x, dict) for x in v):
            keys = list(dict.fromkeys(k for x in v for k in x))
            head = "".join(f"<th>{esc(k)}</th>" for k in keys)
            rows = "".join("<tr>" + "".join(f"<td>{render_value(x.get(k), depth + 1)}</td>"
                                            for k in keys) + "</tr>" for x in v)
            return f"<table><tr>{head}</tr>{rows}</table>"
        return "<br>".join(render_value(x, depth + 1) for x in v)
    return esc(repr(v))


def not_run_part(lines, preset):
    """A folded list of the target rows this file has no runs for (none failed), and the
    preset that runs them; "" when there are none."""
    if not lines:
        return ""
    n = len(lines)
    return (f'<details class="notrun"><summary>Not in this run: {n} target row'
            f'{"s" if n > 1 else ""} (<code>--preset {esc(preset)}</code> runs them)</summary>'
            "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul></details>")


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:,.1f}x" if r >= 10 else f"{r:.2f}x"


def dash(v):
    return "-" if v is None else v


def cell_text(v):
    return '<span class="na">n/a</span>' if v == "n/a" else esc(v)


def fmt_stat(v):
    """A stat value: integers whole with thousands separators, floats as counters are shown."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return '<span class="na">-</span>' if v is None else render_value(v)
    if isinstance(v, int) or float(v).is_integer() and abs(v) < 1e15:
        return esc(f"{int(v):,}")
    return esc(kr.fmt_counter(v))


STATS_PER_ROW = 4


def stats_table(table_id, items):
    """(key, value) pairs, STATS_PER_ROW to a row."""
    rows = []
    for i in range(0, len(items), STATS_PER_ROW):
        chunk = items[i:i + STATS_PER_ROW]
        rows.append("<tr>" + "".join(f'<td class="key">{esc(k)}</td>{num_cell(fmt_stat(v))}'
                                     for k, v in chunk)
                    + "<td></td><td></td>" * (STATS_PER_ROW - len(chunk)) + "</tr>")
    head = "<th>stat</th><th>value</th>" * min(STATS_PER_ROW, len(items))
    return scroll_box(table(table_id, head, rows, cls="stats"))


def scroll_box(html):
    """html (a table wider than a narrow window, such as STATS_PER_ROW pairs of unbroken keys
    and numbers) in a box that scrolls sideways, so that the page itself never gets wider than
    the window (tests/report/test_report_pages_browser.py checks at 800 px)."""
    return f'<div class="scroll">{html}</div>'


def document(title, body):
    """The whole page: the HTML document with the style sheet, title and body (HTML)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n"
            "</body></html>\n")


def case_row(cls, c, vals, cells=""):
    """A table row of a cell (kmb_results.Cell): its workload, params, threads and backend,
    then vals (text, "n/a" greyed) right-aligned, then cells (HTML: cells of the caller's
    own)."""
    return (f'<tr class="{cls}"><td>{esc(c.workload)}</td><td>{esc(kr.params_text(c.params))}</td>'
            f"{num_cell(esc(c.threads))}<td>{esc(c.backend)}</td>"
            + "".join(num_cell(cell_text(v)) for v in vals) + cells + "</tr>")


def answer_rows(table_id, rows):
    """A table of per-workload answers above a view's figure: rows [(workload, [(class,
    text)])], each answer a <p class="class" data-workload=...> in the workload's row (its
    id: table_id-workload)."""
    body = [f'<tr id="{esc(table_id)}-{kr.slug(w)}"><td class="where">{esc(w)}</td><td>'
            + "".join(f'<p class="{cls}" data-workload="{esc(w)}">{esc(text)}</p>'
                      for cls, text in answers) + "</td></tr>" for w, answers in rows]
    return table(table_id, head_cells(["workload", "answer"]), body, cls="answers")


def view_figure(alt, png, workloads):
    """A figure of small multiples, a panel per workload (base64 PNG): its alt text, and the
    workloads in the order of their panels as data-panels (a space between names)."""
    return (f'<div class="plots"><img alt="{esc(alt)}" src="data:image/png;base64,{png}" '
            f'class="wide" data-panels="{esc(" ".join(workloads))}"></div>')
