"""Section "vmalloc": vmalloc against kmalloc against __get_free_pages (backend buddy:
alloc_pages + page_address) over the sizes. One allocation of a size per operation: untouched
(alloc + free), first-touch (alloc, a write to every page, free), access (a streaming read of an
allocation made before the clock). The issue's target (vmalloc of 64 KiB within 10x of buddy),
ns/op against size per workload, a table per size with the page faults and the ratios, the
split of vmalloc's time into its system-call floor (backend vmalloc-floor) and the model's own
work with the issue-16 goal, the test_vmalloc patterns per backend and thread count, and the
mapping layer's stats;
workloads/vm_access.c and workloads/vmtest.c have the details. "" without any of these runs.
"""
from dataclasses import dataclass

import kmb_plots
import kmb_results as kr
from kmb_html import (
    esc, num_cell, head_cells, table, verdict_of, verdict_class, badge, not_run_part, fmt_ratio,
    cell_text, scroll_box, stats_table)

ANCHOR = "vmalloc"
TITLE = "vmalloc"
COST = 2     # its drawing time, about two figures' (sections/__init__.py)

VM_WORKLOADS = ("untouched", "first-touch", "access")
VM_BACKENDS = ("vmalloc", "kmalloc", "buddy")
VM_AGAINST = ("buddy", "kmalloc")      # the ratios: vmalloc over each
VMTEST_WORKLOADS = ("vmtest-fix-size", "vmtest-full-fit", "vmtest-long-busy",
                    "vmtest-random-size")
VM_TARGET_SIZE = 64 * 1024
VM_TARGET_RATIO = 10.0    # vmalloc untouched over buddy untouched at 64 KiB, at most
VM_STAT_PREFIXES = ("vmalloc", "vmap", "vm_", "kmap", "ioremap")
FLOOR = "vmalloc-floor"   # the system calls of one vmalloc area and nothing else
FLOOR_TARGET_RATIO = 1.5  # vmalloc untouched over its floor at 64 KiB, at most (issue 16)


def vm_cells(cells_):
    """The cells of the three vm workloads of the backends this section compares, with a
    numeric size."""
    return [c for c in cells_ if c.workload in VM_WORKLOADS and c.backend in VM_BACKENDS
            and isinstance(kr.param(c, "size"), (int, float))]


def vm_threads(cells_):
    """The thread counts of the vm workloads' cells, lowest first."""
    return sorted({c.threads for c in vm_cells(cells_)})


def vm_find(cells_, backend, workload, size, threads):
    """The vm cell of backend, workload, size and threads, else None."""
    for c in vm_cells(cells_):
        if ((c.backend, c.workload, c.threads) == (backend, workload, threads)
                and kr.param(c, "size") == size):
            return c
    return None


def vm_points(cells_, workload, threads):
    """{backend: [(size, ns stats)]} of workload's cells with a result at threads."""
    out = {}
    for b in VM_BACKENDS:
        pts = [(kr.param(c, "size"), c.ns) for c in vm_cells(cells_)
               if (c.backend, c.workload, c.threads) == (b, workload, threads) and c.ns]
        if pts:
            out[b] = sorted(pts)
    return out


def page_faults(cell, counters_ctx):
    """(faults per op, None) of a cell; (None, why) where there is no figure: the counter
    unavailable on the machine (its reason), no run, or a run without it."""
    unavailable = (counters_ctx or {}).get("unavailable") or {}
    if "page_faults" in unavailable:
        return None, f"unavailable: {unavailable['page_faults']}"
    if cell is None:
        return None, "no run"
    if not cell.ns:
        return None, "no result"
    v = cell.counters.get("page_faults")
    return (v, None) if v is not None else (None, "not in the results")


@dataclass
class VmRow:
    """One size at one thread count: the cells {(workload, backend): Cell}, and ratios of
    median ns/op {(workload, against): vmalloc over against}."""
    size: int
    threads: int
    cells: dict
    ratios: dict

    def ns(self, workload, backend):
        return kr.ok_ns(self.cells.get((workload, backend)))


def vm_rows(cells_, threads):
    """A VmRow per size of the vm workloads at threads, smallest first."""
    vm = [c for c in vm_cells(cells_) if c.threads == threads]
    out = []
    for size in sorted({kr.param(c, "size") for c in vm}):
        found = {(c.workload, c.backend): c for c in vm if kr.param(c, "size") == size}
        row = VmRow(size, threads, found, {})
        for w in VM_WORKLOADS:
            mine = row.ns(w, "vmalloc")
            for other in VM_AGAINST:
                theirs = row.ns(w, other)
                row.ratios[(w, other)] = mine / theirs if mine is not None and theirs else None
        out.append(row)
    return out


@dataclass
class VmTarget:
    """The issue's target at one thread count: vmalloc untouched over buddy untouched at 64 KiB
    (at most VM_TARGET_RATIO), and vmalloc's first-touch page faults per op there."""
    threads: int
    num_ns: float = None
    den_ns: float = None
    ratio: float = None
    met: bool = None
    missing: str = ""       # what the verdict lacks
    not_run: bool = False   # it lacks only runs that are absent, none that failed
    faults: float = None    # vmalloc first-touch page_faults per op at 64 KiB
    faults_why: str = ""    # why there is no figure

    @property
    def goal(self):
        return f"<= {VM_TARGET_RATIO:g}x"


def vm_targets(cells_, counters_ctx):
    """A VmTarget per thread count of the vm workloads (lowest first); [] without any."""
    out = []
    for t in vm_threads(cells_):
        num = vm_find(cells_, "vmalloc", "untouched", VM_TARGET_SIZE, t)
        den = vm_find(cells_, "buddy", "untouched", VM_TARGET_SIZE, t)
        tgt = VmTarget(t, kr.ok_ns(num), kr.ok_ns(den))
        gaps = [f"{b} untouched size:{VM_TARGET_SIZE} threads:{t}"
                + ("" if c is None else " (failed: " + "; ".join(sorted(set(c.errors))) + ")")
                for b, c in (("vmalloc", num), ("buddy", den)) if kr.ok_ns(c) is None]
        tgt.missing = "; ".join(gaps)
        tgt.not_run = bool(gaps) and all(c is None for c in (num, den) if kr.ok_ns(c) is None)
        if not gaps and tgt.den_ns:
            tgt.ratio = tgt.num_ns / tgt.den_ns
            tgt.met = tgt.ratio <= VM_TARGET_RATIO
        tgt.faults, tgt.faults_why = page_faults(
            vm_find(cells_, "vmalloc", "first-touch", VM_TARGET_SIZE, t), counters_ctx)
        out.append(tgt)
    return out


def vmtest_table(cells_):
    """{(workload, params): {(backend, threads): Cell}} of the test_vmalloc patterns, in the
    cells' order."""
    out = {}
    for c in cells_:
        if c.workload in VMTEST_WORKLOADS:
            out.setdefault((c.workload, c.params), {})[(c.backend, c.threads)] = c
    return out


def vm_stats(context):
    """(stats [(key, value)], vmallocinfo text or None) of the vmalloc backend: its stats that
    belong to the mapping layer (VM_STAT_PREFIXES) but the vmallocinfo text; None when the file
    has no stats for it."""
    st = kr.backend_stats(context).get("vmalloc")
    if st is None:
        return None
    info = st.get("vmallocinfo")
    mine = [(k, v) for k, v in st.items() if str(k).startswith(VM_STAT_PREFIXES)
            and k != "vmallocinfo" and not isinstance(v, str)]
    return mine, info if isinstance(info, str) else None


def floor_cells(cells_):
    """The vmalloc-floor cells of the three vm workloads, with a numeric size."""
    return [c for c in cells_ if c.backend == FLOOR and c.workload in VM_WORKLOADS
            and isinstance(kr.param(c, "size"), (int, float))]


@dataclass
class SplitRow:
    """vmalloc's time at one size, workload and thread count, split: the floor's median ns/op
    (the system calls alone), vmalloc's, the model's own work (vmalloc - floor, negative where
    the floor measured slower) and the ratio vmalloc / floor; None where a run is missing or
    failed. met: the issue-16 goal, only for the target's row (untouched, 64 KiB)."""
    size: int
    threads: int
    workload: str
    vmalloc: object = None      # the Cells
    floor: object = None
    vm_ns: float = None
    floor_ns: float = None
    own_ns: float = None
    ratio: float = None
    met: bool = None

    @property
    def target(self):
        return self.workload == "untouched" and self.size == VM_TARGET_SIZE


def split_rows(cells_):
    """A SplitRow per (threads, size, workload) where the file has a vmalloc-floor cell, in
    thread, size and workload order; [] without any floor cell."""
    floors = {(c.threads, kr.param(c, "size"), c.workload): c for c in floor_cells(cells_)}
    out = []
    for t, size, w in sorted(floors, key=lambda k: (k[0], k[1], VM_WORKLOADS.index(k[2]))):
        r = SplitRow(size, t, w, vm_find(cells_, "vmalloc", w, size, t), floors[(t, size, w)])
        r.vm_ns, r.floor_ns = kr.ok_ns(r.vmalloc), kr.ok_ns(r.floor)
        if r.vm_ns is not None and r.floor_ns:
            r.own_ns = r.vm_ns - r.floor_ns
            r.ratio = r.vm_ns / r.floor_ns
            if r.target:
                r.met = r.ratio <= FLOOR_TARGET_RATIO
        out.append(r)
    return out


VM_WHAT = {"untouched": "alloc+free", "first-touch": "alloc+touch+free",
           "access": "read of the whole allocation"}
VM_TARGET_HEAD = ["target", "threads", "vmalloc ns", "buddy ns", "ratio", "goal", "verdict",
                  "vmalloc first-touch page faults per op"]
VM_HEAD = (["size", "threads", "workload"] + [f"{b} ns" for b in VM_BACKENDS]
           + [f"vmalloc / {b}" for b in VM_AGAINST]
           + [f"{b} page faults per op" for b in VM_BACKENDS])


def render(run):
    """vmalloc against kmalloc against __get_free_pages (buddy) over the sizes: the issue's
    target, ns/op against size per workload, a table per size with the page faults and the
    ratios, the test_vmalloc patterns and the mapping layer's stats; "" without any run of the
    vm workloads or the test_vmalloc patterns."""
    cells, ctx = run.cells, run.ctx
    vmtest = vmtest_table(cells)
    if not vm_cells(cells) and not vmtest:
        return ""
    counters_ctx = ctx.get("counters") if isinstance(ctx.get("counters"), dict) else {}
    out = ['<h2 id="vmalloc">vmalloc</h2>',
           '<p class="note">vmalloc against kmalloc and __get_free_pages (backend buddy: '
           "alloc_pages + page_address), one allocation of the size per operation. untouched: "
           "alloc + free, the memory never touched (the allocator's own work; for vmalloc the "
           "frames, the window range and the mappings); first-touch: alloc, a write to every "
           "4 KiB page, free (page faults per op from the perf layer: a fresh vmalloc mapping "
           "faults once per page, a linear-map address touched before does not); access: one "
           "streaming read of an allocation made before the clock. ns per operation per "
           "thread (real_time x threads), median over repetitions.</p>"]
    if vm_cells(cells):
        out.append(vm_target_table(vm_targets(cells, counters_ctx)))
        out.append(vm_plots(cells))
        out.append(vm_table(cells, counters_ctx))
    else:
        out.append('<p class="note missing">No untouched, first-touch or access run of '
                   f"{esc(kr.or_list(VM_BACKENDS))}: no size comparison and no target.</p>")
    if vm_cells(cells):
        out.append(split_part(cells))
    out.append(vmtest_part(vmtest))
    out.append(vm_stats_part(ctx))
    return "\n".join(out)


def vm_target_table(targets):
    """The issue's target per thread count: vmalloc over buddy, untouched at 64 KiB; the thread
    counts this file has no runs for are named below, folded."""
    rows = []
    for t in targets:
        if t.not_run:
            continue
        ident = (f"<td>vmalloc / buddy, untouched, {esc(kmb_plots.size_text(VM_TARGET_SIZE))}"
                 f"</td>{num_cell(t.threads)}")
        faults = (num_cell(esc(kr.fmt_counter(t.faults))) if t.faults is not None
                  else f'<td class="na">{esc(t.faults_why)}</td>')
        if t.missing:
            rows.append(f'<tr class="target missing">{ident}<td colspan="3">missing: '
                        f'{esc(t.missing)}</td><td class="nw">{esc(t.goal)}</td>'
                        f"<td>unknown</td>{faults}</tr>")
            continue
        verdict = verdict_of(t)
        cls = verdict_class(verdict)
        nums = "".join(num_cell(v) for v in (kr.fmt_ns(t.num_ns), kr.fmt_ns(t.den_ns),
                                             fmt_ratio(t.ratio)))
        rows.append(f'<tr class="target {cls}">{ident}{nums}<td class="nw">{esc(t.goal)}</td>'
                    f'<td class="nw">{badge(cls, verdict)}</td>{faults}</tr>')
    return ('<h3 id="vmalloc-targets">Target</h3><p class="note">The issue\'s target: vmalloc '
            "of 64 KiB, allocated and freed without touching (workload untouched), within "
            f"{VM_TARGET_RATIO:g}x of __get_free_pages of the same size (buddy), per thread "
            "count from this file's runs (median ns per operation); with the page faults per "
            "operation of vmalloc's first-touch at 64 KiB.</p>"
            + (table("vmalloc-targets-table", head_cells(VM_TARGET_HEAD), rows) if rows else "")
            + not_run_part([f"threads:{t.threads}: no run of {t.missing}" for t in targets
                            if t.not_run], "vmalloc"))


def vm_plots(cells):
    """ns/op against size per workload, one line per backend: at the lowest thread count, then
    at the highest where the file has more than one."""
    threads = vm_threads(cells)
    shown = threads[:1] + threads[-1:] if len(threads) > 1 else threads
    out = []
    for t in shown:
        out.append(f'<h3 id="vmalloc-plots-{t}">ns per operation against size, threads:{t}</h3>'
                   '<div class="plots">')
        for w in VM_WORKLOADS:
            points = vm_points(cells, w, t)
            if not points:
                continue
            title = f"{w} threads:{t}"
            png = kmb_plots.vm_sweep(title, points, VM_WHAT[w])
            out.append(f'<img alt="{esc(title)}: ns/op against size" '
                       f'src="data:image/png;base64,{png}">')
        out.append("</div>")
    return "\n".join(out)


def vm_ns_text(cell):
    """A ns/op cell's text: the median, "failed" where every run failed, n/a without a run."""
    if cell is not None and cell.ns:
        return kr.fmt_ns(cell.ns[0])
    return "failed" if cell is not None and cell.errors else "n/a"


def vm_table(cells, counters_ctx):
    """A row per thread count, size and workload: each backend's ns/op, vmalloc's ratios and
    each backend's page faults per op."""
    body, errors = [], []
    for t in vm_threads(cells):
        for row in vm_rows(cells, t):
            for i, w in enumerate(VM_WORKLOADS):
                found = [row.cells.get((w, b)) for b in VM_BACKENDS]
                if not any(found):
                    continue
                vals = [vm_ns_text(c) for c in found]
                vals += [fmt_ratio(row.ratios[(w, b)]) for b in VM_AGAINST]
                for c in found:
                    faults, why = page_faults(c, counters_ctx)
                    vals.append(kr.fmt_counter(faults) if faults is not None
                                else "unavailable" if why.startswith("unavailable") else "n/a")
                errors += [f"{c.backend} {c.workload} size:{row.size} threads:{t}: "
                           + "; ".join(sorted(set(c.errors))) for c in found
                           if c is not None and c.errors]
                first = " first" if i == 0 else ""
                body.append(f'<tr class="vm{first}">'
                            f"{num_cell(esc(kmb_plots.size_text(row.size)))}{num_cell(t)}"
                            f"<td>{esc(w)}</td>"
                            + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    notes = ""
    why = (counters_ctx.get("unavailable") or {}).get("page_faults")
    if why:
        notes += f'<p class="note">page_faults unavailable on this machine: {esc(why)}.</p>'
    if errors:
        notes += f'<p class="note missing">Failed: {esc("; ".join(errors))}.</p>'
    return ('<h3 id="vmalloc-sizes">Per size</h3><p class="note">Median ns per operation per '
            "thread; vmalloc / buddy and vmalloc / kmalloc: the ratios of those medians "
            "(above 1: vmalloc is slower); page faults per operation, median over "
            "repetitions.</p>"
            + scroll_box(table("vmalloc-table", head_cells(VM_HEAD), body)) + notes)


SPLIT_HEAD = ["size", "threads", "workload", "vmalloc ns", "floor ns", "own work ns",
              "own work share", "vmalloc / floor", "goal", "verdict"]


def split_part(cells):
    """vmalloc's time per size split into the system-call floor (the vmalloc-floor backend,
    same run) and the model's own work (vmalloc - floor): the issue-16 goal per thread count
    stated first, stacked bars of untouched per thread count, then a row per size, workload and
    thread count. A note instead where the run has no vmalloc-floor rows."""
    head = ('<h3 id="vmalloc-split">vmalloc\'s cost: the system-call floor and the model\'s '
            "own work</h3>")
    rows = split_rows(cells)
    if not rows:
        return head + ('<p class="note missing">No vmalloc-floor run in this file: no split of '
                       "vmalloc's time into its system-call floor and the model's own work "
                       "(<code>--preset vmalloc</code> runs the floor beside vmalloc).</p>")
    targets = [r for r in rows if r.target]
    answers = []
    for r in targets:
        if r.ratio is None:
            answers.append(f"<li>threads:{r.threads}: unknown, no result of "
                           + esc(" and ".join(b for b, c in (("vmalloc", r.vmalloc),
                                                              (FLOOR, r.floor))
                                              if kr.ok_ns(c) is None)) + "</li>")
            continue
        verdict = "met" if r.met else "not met"
        answers.append(f"<li>threads:{r.threads}: vmalloc {esc(kr.fmt_ns(r.vm_ns))} ns, its floor "
                       f"{esc(kr.fmt_ns(r.floor_ns))} ns: <b>{esc(fmt_ratio(r.ratio))}</b> "
                       f"{badge(verdict_class(verdict), verdict)}</li>")
    out = [head, '<p class="note">The floor is the backend vmalloc-floor, measured in the same '
           "run: the mmap() calls one vmalloc area makes (one per run of contiguous frames, the "
           "runs taken from vmalloc itself for each size) and the lazy purge's PROT_NONE mmap() "
           "calls, amortised as vmalloc amortises them, with no frames, trees or bookkeeping "
           "(allocators/backends/be_vmalloc_floor.c). own work = vmalloc - floor, the median ns "
           "per operation per thread of each; own work share = own work / vmalloc; a negative "
           "own work means the floor measured slower (noise: the two are close). Goal (issue "
           f"16): vmalloc of 64 KiB, untouched, within {FLOOR_TARGET_RATIO:g}x of its floor.</p>"]
    if targets:
        out.append('<ul class="answer">' + "".join(answers) + "</ul>")
    panels = []
    for t in sorted({r.threads for r in rows}):
        bars = [(r.size, r.floor_ns, r.own_ns, fmt_ratio(r.ratio)) for r in rows
                if r.threads == t and r.workload == "untouched" and r.ratio is not None]
        panels.append((f"untouched threads:{t}", bars))
    if any(bars for _, bars in panels):
        png = kmb_plots.split_bars("vmalloc untouched: the system-call floor and the model's "
                                   "own work", panels, FLOOR, "vmalloc")
        out.append('<img alt="vmalloc untouched: floor and own work against size" '
                   f'src="data:image/png;base64,{png}">')
    body = []
    for r in rows:
        vals = [vm_ns_text(r.vmalloc), vm_ns_text(r.floor),
                kr.fmt_ns(r.own_ns) if r.own_ns is not None else "n/a",
                f"{100 * r.own_ns / r.vm_ns:.0f}%" if r.own_ns is not None and r.vm_ns else "n/a",
                fmt_ratio(r.ratio)]
        verdict = ("met" if r.met else "not met") if r.met is not None else (
            "unknown" if r.target else "-")
        goal = f"<= {FLOOR_TARGET_RATIO:g}x" if r.target else "-"
        cls = " target " + verdict_class(verdict) if r.target else ""
        first = " first" if r.workload == VM_WORKLOADS[0] else ""
        body.append(f'<tr class="split{first}{cls}">'
                    f"{num_cell(esc(kmb_plots.size_text(r.size)))}{num_cell(r.threads)}"
                    f"<td>{esc(r.workload)}</td>"
                    + "".join(num_cell(cell_text(v)) for v in vals)
                    + f'<td class="nw">{esc(goal)}</td><td class="nw">'
                    + (badge(verdict_class(verdict), verdict) if r.target else "-")
                    + "</td></tr>")
    out.append(scroll_box(table("vmalloc-split-table", head_cells(SPLIT_HEAD), body)))
    return "\n".join(out)


def vmtest_part(groups):
    """The test_vmalloc patterns: a row per workload, params and backend, ns/op per thread
    count; refusals and failures named below."""
    head = ('<h3 id="vmalloc-vmtest">test_vmalloc patterns</h3><p class="note">lib/'
            "test_vmalloc.c's fix_size, full_fit, long_busy_list and random_size tests as "
            "workloads, every thread running its own loop: median ns per operation per "
            "thread. The slab-cache backends refuse vmtest-random-size (100 sizes would each "
            "build a cache); kmalloc serves it from its size classes.</p>")
    if not groups:
        return head + ('<p class="note missing">No run of '
                       f"{esc(kr.or_list(VMTEST_WORKLOADS))}.</p>")
    threads = sorted({t for g in groups.values() for _, t in g})
    body, errors = [], []
    for (workload, params), g in groups.items():
        backends = list(dict.fromkeys(b for b, _ in g))
        for i, b in enumerate(backends):
            vals = [vm_ns_text(g.get((b, t))) for t in threads]
            errors += [f"{b} {workload} threads:{t}: " + "; ".join(sorted(set(c.errors)))
                       for t in threads for c in [g.get((b, t))] if c is not None and c.errors]
            first = " first" if i == 0 else ""
            body.append(f'<tr class="vmtest{first}"><td>{esc(workload)}</td>'
                        f'<td class="nw">{esc(kr.params_text(params))}</td><td>{esc(b)}</td>'
                        + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    ths = head_cells(["workload", "params", "backend"] + [f"threads:{t} ns" for t in threads])
    notes = (f'<p class="note">Not run or failed: {esc("; ".join(errors))}.</p>' if errors
             else "")
    return head + table("vmtest-table", ths, body) + notes


def vm_stats_part(ctx):
    """The vmalloc backend's mapping-layer stats and /proc/vmallocinfo, where the file has
    them."""
    found = vm_stats(ctx)
    if found is None:
        return ""
    plain, info = found
    out = ['<h3 id="vmalloc-stats">The vmalloc backend\'s window</h3><p class="note">What the '
           "vmalloc backend reported after its last run (context.backends.vmalloc.stats): the "
           "window, its areas and the mmap calls that mapped and unmapped frames, for the whole "
           'process (all its workloads); every stat is under <a href="#state-vmalloc">'
           "Allocator state</a>.</p>"]
    if plain:
        out.append(stats_table("vmalloc-stats-table", plain))
    if info is not None:
        out.append('<figure class="stat"><figcaption>vmallocinfo</figcaption>'
                   + (f"<pre>{esc(info.rstrip())}</pre>" if info.strip() else
                      '<p class="note">empty: no area was held when the stats were taken</p>')
                   + "</figure>")
    return "\n".join(out)
