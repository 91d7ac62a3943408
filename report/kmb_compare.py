"""Compare mode: several results files side by side, each against the first (the baseline).

    /usr/bin/python3 report/kmbench_report.py BASE.json OTHER.json [MORE.json ...] [-o OUT]
    kmbench report BASE OTHER ...          (run directories or results files)

A cell is one (backend, workload, parameters, threads): the same cell in two runs is compared
through its repetitions' times (ns per operation as one thread sees it: real_time x threads,
as the rest of the report). As Google Benchmark's tools/compare.py (tools/gbench/report.py) does,
each cell gets the two-sided Mann-Whitney U test over the two samples of repetitions, and the
whole comparison the geometric mean of the cells' time ratios. A cell is said to have got
slower or faster only when the test says so (p < ALPHA) and the change of the medians is at
least MIN_CHANGE; with too few repetitions for the test to reach ALPHA at all (the smallest
two-sided p of samples of n and m, kmb_check.min_pvalue: 0.1 at 3 and 3), it is "too few
repetitions", never a finding.  The test is kmb_check.utest, the check's.

Runs from several hosts, and merged runs whose rows come from several hosts (kmbench merge
keeps each row's kmbench.host), are grouped by host pair: the baseline's host and the other's.
What got significantly slower comes first, then what got faster, then the rest.

Reads the results files and nothing else. Needs python3-scipy (Debian) for the U test.
"""
import math
import os
import statistics

import kmb_plots as kp
import kmb_results as kr
from kmb_check import min_pvalue, utest
from kmb_html import document, esc, num_cell, scroll_box

ALPHA = 0.05          # the U test's significance level, as compare.py's default
MIN_CHANGE = 0.05     # and the change of the medians a finding needs (5%)

SLOWER, FASTER, SAME, FEW = "slower", "faster", "no significant change", "too few repetitions"


class Run:
    """One results file: its label, context and the samples of its cells."""

    def __init__(self, path):
        if os.path.isdir(path):
            path = os.path.join(path, "results.json")
        self.path = path
        self.data = kr.load(path)
        self.ctx = self.data.get("context") or {}
        self.label = str(self.ctx.get("run_id") or os.path.basename(os.path.dirname(
            os.path.abspath(path))) or path)
        self.samples = {}     # cell key -> [ns per op per thread of each repetition]
        self.hosts = {}       # cell key -> host of its rows
        default_host = str(self.ctx.get("host_name") or "unknown host")
        aggregates = {}
        for row in self.data["benchmarks"]:
            if not isinstance(row, dict) or kr.failed(row):
                continue
            key = kr.identify(row)
            kmb = row.get("kmbench") if isinstance(row.get("kmbench"), dict) else {}
            t = row.get("real_time")
            if not isinstance(t, (int, float)):
                continue
            ns = float(t) * kr.TIME_SCALE.get(row.get("time_unit", "ns"), 1.0) * key[3]
            self.hosts[key] = str(kmb.get("host") or default_host)
            if row.get("run_type", "iteration") == "iteration":
                self.samples.setdefault(key, []).append(ns)
            elif row.get("aggregate_name") == "median":
                aggregates[key] = ns
        for key, ns in aggregates.items():     # a file of aggregates only: one value each
            self.samples.setdefault(key, [ns])

    def host_list(self):
        return sorted(set(self.hosts.values()))


class Row:
    """One cell of a comparison."""

    def __init__(self, key, a, b, host_a, host_b):
        self.key, self.a, self.b = key, a, b
        self.host_a, self.host_b = host_a, host_b
        self.med_a, self.med_b = statistics.median(a), statistics.median(b)
        self.ratio = self.med_b / self.med_a if self.med_a > 0 else math.nan
        self.change = self.ratio - 1
        self.p = None
        if min_pvalue(len(a), len(b)) >= ALPHA:
            self.verdict = FEW
        else:
            self.p = utest(a, b)
            if self.p < ALPHA and self.change >= MIN_CHANGE:
                self.verdict = SLOWER
            elif self.p < ALPHA and self.change <= -MIN_CHANGE:
                self.verdict = FASTER
            else:
                self.verdict = SAME


def geomean(rows):
    """The geometric mean of the rows' time ratios (other / baseline); None without any."""
    logs = [math.log(r.ratio) for r in rows if r.ratio > 0 and math.isfinite(r.ratio)]
    return math.exp(sum(logs) / len(logs)) if logs else None


def compare(base, other):
    """(rows sorted slower first, keys only in base, keys only in other)."""
    rows = [Row(k, base.samples[k], other.samples[k], base.hosts[k], other.hosts[k])
            for k in base.samples if k in other.samples]
    order = {SLOWER: 0, FASTER: 1, SAME: 2, FEW: 3}
    rows.sort(key=lambda r: (order[r.verdict], -r.change if r.verdict != FASTER else r.change,
                             r.key[1], r.key[0]))
    only_a = sorted((k for k in base.samples if k not in other.samples), key=str)
    only_b = sorted((k for k in other.samples if k not in base.samples), key=str)
    return rows, only_a, only_b


def cell_text(key):
    backend, workload, params, threads = key
    return backend, workload, kr.params_text(params), threads


def pct(change):
    return f"{change * 100:+.1f}%"


def p_text(p):
    return "n/a" if p is None else f"{p:.3g}" if p >= 0.001 else f"{p:.1e}"


def sentence(rows, base, other):
    """The comparison in one sentence: counts and the geometric mean."""
    g = geomean(rows)
    slower = sum(r.verdict == SLOWER for r in rows)
    faster = sum(r.verdict == FASTER for r in rows)
    few = sum(r.verdict == FEW for r in rows)
    text = (f"{other.label} against {base.label}: {len(rows)} cells compared; "
            f"{slower} significantly slower, {faster} significantly faster")
    if few:
        text += f", {few} with too few repetitions to test"
    if g is not None:
        text += f"; geometric mean of the time ratios {g:.3f}x ({pct(g - 1)})"
    return text + "."


def terminal(base, others):
    """What --summary prints: a sentence per comparison, then its slower and faster cells."""
    lines = []
    for other in others:
        rows, _, _ = compare(base, other)
        lines.append(sentence(rows, base, other))
        for r in rows:
            if r.verdict in (SLOWER, FASTER):
                b, w, p, t = cell_text(r.key)
                lines.append(f"  {r.verdict:7} {pct(r.change):>8}  p={p_text(r.p):8} "
                             f"{w} {p} threads:{t} {b}")
    return lines


def runs_table(runs):
    head = ("run", "file", "hosts", "date", "git commit", "experiment", "CPU model", "cells")
    body = []
    for i, run in enumerate(runs):
        c = run.ctx
        body.append("<tr>" + "".join(
            f"<td>{esc(v)}</td>" for v in (
                f"{run.label}{' (baseline)' if i == 0 else ''}", run.path,
                ", ".join(run.host_list()), c.get("date", "unknown"),
                c.get("git_commit", "unknown"),
                c.get("experiment") or c.get("preset") or "unknown",
                c.get("cpu_model", "unknown"))) + num_cell(len(run.samples)) + "</tr>")
    return scroll_box('<table id="compare-runs"><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head)
                      + "</tr>" + "".join(body) + "</table>")


ROW_HEAD = ("backend", "workload", "parameters", "threads", "hosts", "baseline ns/op",
            "ns/op", "change", "p (U test)", "repetitions", "verdict")


def row_html(r):
    b, w, p, t = cell_text(r.key)
    hosts = r.host_a if r.host_a == r.host_b else f"{r.host_a} → {r.host_b}"
    cls = {SLOWER: "slower", FASTER: "faster"}.get(r.verdict, "same")
    return (f'<tr class="{cls}"><td>{esc(b)}</td><td>{esc(w)}</td><td>{esc(p)}</td>'
            + num_cell(t) + f"<td>{esc(hosts)}</td>" + num_cell(kr.fmt_ns(r.med_a))
            + num_cell(kr.fmt_ns(r.med_b)) + num_cell(pct(r.change)) + num_cell(p_text(r.p))
            + num_cell(f"{len(r.a)} vs {len(r.b)}") + f"<td>{esc(r.verdict)}</td></tr>")


def rows_table(table_id, rows):
    return scroll_box(f'<table id="{table_id}"><tr>'
                      + "".join(f"<th>{esc(h)}</th>" for h in ROW_HEAD) + "</tr>"
                      + "".join(row_html(r) for r in rows) + "</table>")


def host_table(table_id, rows):
    """Per host pair: cells, slower, faster, geometric mean."""
    pairs = {}
    for r in rows:
        pairs.setdefault((r.host_a, r.host_b), []).append(r)
    head = ("baseline host", "host", "cells", "slower", "faster", "geometric mean")
    body = "".join(
        f"<tr><td>{esc(a)}</td><td>{esc(b)}</td>" + num_cell(len(rs))
        + num_cell(sum(r.verdict == SLOWER for r in rs))
        + num_cell(sum(r.verdict == FASTER for r in rs))
        + num_cell("n/a" if geomean(rs) is None else f"{geomean(rs):.3f}x") + "</tr>"
        for (a, b), rs in sorted(pairs.items()))
    return scroll_box(f'<table id="{table_id}"><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head)
                      + "</tr>" + body + "</table>")


def figure(rows, base, other):
    """Every cell's time ratio, sorted, coloured by its verdict (log axis)."""
    pts = sorted((r.ratio, r.verdict) for r in rows if r.ratio > 0 and math.isfinite(r.ratio))
    if not pts:
        return ""
    fig, ax = kp.plt.subplots(figsize=kp.FIGSIZE, dpi=kp.DPI, layout="constrained")
    looks = {SLOWER: (kp.VERMILLION, "slower (p < 0.05)"), FASTER: (kp.BLUE, "faster (p < 0.05)"),
             SAME: ("#999999", "no significant change"), FEW: ("#cccccc", "too few repetitions")}
    for verdict, (c, label) in looks.items():
        xs = [i for i, (_, v) in enumerate(pts) if v == verdict]
        if xs:
            ax.scatter(xs, [pts[i][0] for i in xs], s=10, color=c, label=label)
    ax.axhline(1.0, color="#444444", lw=0.8)
    ax.set_yscale("log")
    kp.legend_outside(ax)
    # Run labels are long (a run id is ~40 characters): on one line, title and y label ran off
    # the PNG's edges; the title names both runs on a line each, the axis says which is which.
    png = kp.labelled(fig, ax, "cells, sorted by ratio", "time ratio, run / base (log)",
                      f"run: {other.label}\nbase: {base.label}")
    return (f'<img alt="time ratios of {esc(other.label)} against {esc(base.label)}" '
            f'src="data:image/png;base64,{png}">')


def render(runs, title=None):
    base, others = runs[0], runs[1:]
    title = title or "kmbench compare: " + " vs ".join(r.label for r in runs)
    parts = [f"<header><h1>{esc(title)}</h1></header>", runs_table(runs),
             f'<p class="note">Each cell of every run against the same cell of the baseline, '
             f"{esc(base.label)}: the two-sided Mann-Whitney U test over the repetitions' ns "
             f"per operation (as Google Benchmark's compare.py), a change only where "
             f"p &lt; {ALPHA} and the medians differ by at least {MIN_CHANGE:.0%}; the "
             f"geometric mean of the cells' time ratios, above 1 slower.</p>"]
    for i, other in enumerate(others, 1):
        rows, only_a, only_b = compare(base, other)
        slower = [r for r in rows if r.verdict == SLOWER]
        faster = [r for r in rows if r.verdict == FASTER]
        rest = [r for r in rows if r.verdict not in (SLOWER, FASTER)]
        parts.append(f'<h2 id="compare-{i}">{esc(other.label)} against {esc(base.label)}</h2>')
        parts.append(f'<p class="summary" id="compare-{i}-sentence">'
                     f"{esc(sentence(rows, base, other))}</p>")
        parts.append(f"<h3>Significantly slower ({len(slower)})</h3>"
                     + (rows_table(f"compare-{i}-slower", slower) if slower
                        else '<p class="note">None.</p>'))
        parts.append(f"<h3>Significantly faster ({len(faster)})</h3>"
                     + (rows_table(f"compare-{i}-faster", faster) if faster
                        else '<p class="note">None.</p>'))
        parts.append("<h3>By host</h3>" + host_table(f"compare-{i}-hosts", rows))
        parts.append(figure(rows, base, other))
        parts.append(f'<details class="more"><summary>The other {len(rest)} cells</summary>'
                     + rows_table(f"compare-{i}-rest", rest) + "</details>")
        if only_a or only_b:
            items = [f"only in {esc(base.label)}: " + esc(", ".join(
                "/".join(map(str, cell_text(k))) for k in only_a))] if only_a else []
            items += [f"only in {esc(other.label)}: " + esc(", ".join(
                "/".join(map(str, cell_text(k))) for k in only_b))] if only_b else []
            parts.append('<p class="note">Not compared, ' + "; ".join(items) + ".</p>")
    return document(title, "\n".join(parts))
