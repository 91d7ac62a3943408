"""Section "mempool under pressure": the mempool-pressure runs, once per failure rate (params
"fail", percent: --mempool-fail) on the backends that inject failures into the allocator under
their reserve (mempool), and once without "fail" on the others: the reference, the same
operations without a pool (slab). Throughput and latency percentiles against the failure rate,
and one table of every row with the reserve's share and the waits; "" without any run.
"""
from dataclasses import dataclass

import kmb_plots
import kmb_results as kr
from kmb_html import esc, num_cell, head_cells, table, fmt_ratio, cell_text, scroll_box

ANCHOR = "mempool"
TITLE = "mempool"

LATENCY = (("p50", "lat_p50_ns"), ("p90", "lat_p90_ns"), ("p99", "lat_p99_ns"),
           ("p99.9", "lat_p999_ns"), ("max", "lat_max_ns"))


@dataclass
class PressureRow:
    """A mempool-pressure cell; base: the same backend, other params and threads at fail 0."""
    cell: kr.Cell
    fail: object = None         # percent, or None on a backend without fault injection
    base: kr.Cell = None

    @property
    def mops(self):
        return self.cell.mops[0] if self.cell.mops else None

    @property
    def ratio(self):
        """Throughput over the 0% run's (Mops/s, medians); None without both."""
        base = self.base.mops[0] if self.base is not None and self.base.mops else None
        return self.mops / base if self.mops is not None and base else None

    def counter(self, name):
        """A counter's median, None where the run lacks it (failed, an older file)."""
        return self.cell.counters.get(name) if self.cell.ns else None


@dataclass
class PressureGroup:
    """The mempool-pressure rows of one backend and params other than fail, by threads then
    fail; reference: the backend injects no failures (no row has a rate)."""
    backend: str
    params: tuple
    rows: list
    reference: bool = False

    @property
    def threads(self):
        return sorted({r.cell.threads for r in self.rows})

    @property
    def rates(self):
        return sorted({r.fail for r in self.rows if r.fail is not None})

    def lines(self, value):
        """{threads: [(fail, value(row))]} of the rows where value(row) is not None."""
        out = {}
        for r in self.rows:
            v = value(r)
            if r.fail is not None and v is not None:
                out.setdefault(r.cell.threads, []).append((r.fail, v))
        return {t: sorted(pts) for t, pts in sorted(out.items())}

    def missing_base(self):
        """The thread counts with rows at some rate but no 0% run with a result."""
        have = {r.cell.threads for r in self.rows if r.fail == 0 and r.cell.mops}
        return sorted({r.cell.threads for r in self.rows if r.fail is not None} - have)


def pressure_groups(cells_):
    """A PressureGroup per (backend, params without fail) of the mempool-pressure cells: the
    backends with rates first, then the references, each in the cells' order."""
    by_key = {}
    for c in cells_:
        if c.workload == kr.PRESSURE:
            by_key.setdefault((c.backend, kr.without(c.params, "fail")), []).append(c)
    out = []
    for (backend, params), group in by_key.items():
        base = {c.threads: c for c in group if kr.param(c, "fail") == 0}
        rows = [PressureRow(c, kr.param(c, "fail"),
                            base.get(c.threads) if kr.param(c, "fail") is not None else None)
                for c in group]
        rows.sort(key=lambda r: (r.cell.threads, kr.natural(r.fail)))
        out.append(PressureGroup(backend, params, rows,
                                 all(r.fail is None for r in rows)))
    return sorted(out, key=lambda g: g.reference)


def pressure_references(groups_, group):
    """The reference groups (no pool) with group's params (size, batch)."""
    return [g for g in groups_ if g.reference and g.params == group.params]


MEMPOOL_HEAD = ["backend", "params", "threads", "fail", "Mops/s", "ns/op", "vs 0%",
                "p50 ns", "p90 ns", "p99 ns", "p99.9 ns", "max ns", "from reserve",
                "GFP_KERNEL waited", "mean wait ns", "max wait ns", "GFP_ATOMIC NULL", "punts"]


def render(run):
    """The mempool-pressure runs: per backend that injects failures, throughput and latency
    percentiles against the failure rate (with the reference backends' level), and one table of
    every row with the waits; "" without any mempool-pressure run."""
    cells = run.cells
    groups = pressure_groups(cells)
    if not groups:
        return ""
    out = ['<h2 id="mempool">mempool under pressure</h2>',
           '<p class="note">Workload mempool-pressure: each thread keeps a live set of batch '
           "elements in flight (one operation frees the oldest and allocates one; one in 8 "
           "with GFP_ATOMIC, the others with GFP_KERNEL) while the allocator under the "
           "reserve fails the given share of its allocations. A GFP_KERNEL caller that holds "
           "elements first allocates without sleeping; when that fails it hands them to a "
           "rescuer thread (punts) and then sleeps until a free. Throughput: median over "
           "repetitions, error bars min..max; vs 0%: over the same backend's 0% run at the "
           "same thread count. Latencies: one operation in 64 timed, all threads; "
           "percentiles at most 3% above the sample. Waits: GFP_KERNEL allocations that "
           "slept, their share, and their mean and longest sleep. Backends without a pool "
           "run the same operations once, the reference (dashed).</p>"]
    for g in groups:
        if not g.reference:
            out.append(pressure_plots(g, pressure_references(groups, g)))
    if all(g.reference for g in groups):
        out.append('<p class="note missing">No mempool-pressure run of a backend that injects '
                   "failures (mempool): only the reference without a pool.</p>")
    out.append(pressure_table(groups))
    return "\n".join(out)


def pressure_plots(g, refs):
    """The two figures of one group, and a note naming the thread counts without a 0% run."""
    title = f"{g.backend} {kr.params_text(g.params)}"
    lines = g.lines(lambda r: r.cell.mops)
    references = {}
    for ref in refs:
        for r in ref.rows:
            if r.cell.mops:
                references.setdefault(ref.backend, {})[r.cell.threads] = r.cell.mops
    lat = {}
    for name, key in LATENCY:
        for t, pts in g.lines(lambda r, key=key: r.counter(key)).items():
            lat[(t, name)] = pts
    out = [f'<h3 id="mempool-{kr.slug(title)}">{esc(title)}</h3>']
    if len(g.rates) < 2:   # a line against the failure rate needs two rates; the table has it
        rates = ", ".join(f"{r}%" for r in g.rates) or "none"
        out.append(f'<p class="note">{esc(title)}: one failure rate ({esc(rates)}): its '
                   "values are in the table below.</p>")
        return "\n".join(out)
    out.append('<div class="plots">')
    png = kmb_plots.fail_sweep(title, lines, references)
    out.append(f'<img alt="{esc(title)}: throughput against failure rate" '
               f'src="data:image/png;base64,{png}">')
    png = kmb_plots.latency_sweep(title, lat, [n for n, _ in LATENCY])
    out.append(f'<img alt="{esc(title)}: latency percentiles against failure rate" '
               f'src="data:image/png;base64,{png}"></div>')
    missing = g.missing_base()
    if missing:
        out.append(f'<p class="note missing">{esc(title)}: no 0% run with a result at '
                   f"threads:{esc(', '.join(map(str, missing)))}: no throughput ratio there.</p>")
    return "\n".join(out)


def pressure_table(groups):
    """One row per mempool-pressure cell (median over repetitions), the references last."""
    body = []
    for g in groups:
        for i, r in enumerate(g.rows):
            c = r.cell
            first = " first" if i == 0 else ""
            ident = (f"<td>{esc(c.backend)}</td><td class=\"nw\">{esc(kr.params_text(g.params))}"
                     f"</td>{num_cell(c.threads)}"
                     + num_cell("no pool" if r.fail is None else f"{esc(r.fail)}%"))
            if not c.ns:
                text = "; ".join(sorted(set(c.errors))) or "no result"
                body.append(f'<tr class="pressure failed{first}">{ident}<td colspan="'
                            f'{len(MEMPOOL_HEAD) - 4}">failed: {esc(text)}</td></tr>')
                continue
            vals = [kr.fmt_ns(r.mops), kr.fmt_ns(c.ns[0]), fmt_ratio(r.ratio)]
            vals += [fmt_lat(r.counter(key)) for _, key in LATENCY]
            vals += pressure_waits(r)
            cls = "pressure reference" if r.fail is None else "pressure"
            body.append(f'<tr class="{cls}{first}">{ident}'
                        + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    return ('<h3 id="mempool-table-head">Every run</h3>'
            + scroll_box(table("mempool-table", head_cells(MEMPOOL_HEAD), body)))


def fmt_lat(v):
    return "n/a" if v is None else f"{v:,.0f}"


def fmt_share(v):
    return "n/a" if v is None else f"{100 * v:.2f}%"


def pressure_waits(r):
    """The reserve and wait columns of a row: "-" where the backend has no reserve."""
    nulls, punts = r.counter("atomic_null_frac"), r.counter("punts")
    tail = [fmt_share(nulls), "n/a" if punts is None else f"{punts:,.0f}"]
    if r.fail is None:
        return ["-", "-", "-", "-"] + tail
    waits, share = r.counter("kernel_waits"), r.counter("kernel_wait_frac")
    waited = "n/a" if waits is None else f"{waits:,.0f}" + (
        "" if share is None else f" ({fmt_share(share)})")
    mean, longest = r.counter("kernel_wait_mean_ns"), r.counter("kernel_wait_max_ns")
    return [fmt_share(r.counter("reserve_frac")), waited,
            "-" if waits == 0 else fmt_lat(mean), "-" if waits == 0 else fmt_lat(longest)] + tail
