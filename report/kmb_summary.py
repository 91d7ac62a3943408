"""The run's headline answers, computed from its Cells (kmb_results: medians over repetitions,
with their min..max), each one sentence with its number and its uncertainty.

- fastest: per workload and case (size, and batch or any other parameter where the workload's
  rows differ in it), at the lowest and at the highest thread count, the backend with the lowest
  ns/op and its ratio to the runner-up;
- aligned: slab (objects aligned to the cache line, SLAB_HWCACHE_ALIGN) against slab-packed;
- sharing: counter-percpu (a counter per CPU) against counter-packed (the threads' counters in
  one cache line) at the most threads, the false sharing a packed line costs;
- scaling: each backend's throughput at the most threads over its throughput at one thread;
- percpu: slab (per-CPU sheaves in front of its slabs) against slab-none (no per-CPU cache) at
  the most threads;
- falseshare: slab-packed against slab under false-share-passive (each thread handed a
  neighbouring object) at the most threads, at the size where packed fares worst;
- server: per server workload (larson, prodcons), the backend whose objects per second at the
  most threads are the largest multiple of its one-thread rate, with slab's for comparison.

Uncertainty is the spread over repetitions: a value is shown as "median (min..max)", a ratio
a / b as "ratio (a.min / b.max .. a.max / b.min)", the worst and the best case its two spreads
allow. Where that range includes 1, the two spreads overlap and the sentence says the order is
not certain. A spread is unknown with one repetition or aggregates only; the sentence says so.
A finding the data cannot support is not made: no runner-up, no thread count but one, no run of
the backends it compares. Nothing here knows about HTML; sections/summary.py renders the
findings and kmbench_report prints them (--summary).
"""
from dataclasses import dataclass, field

import kmb_results as kr

FASTEST, ALIGNED, SHARING, SCALING, PERCPU = "fastest", "aligned", "sharing", "scaling", "percpu"
FALSESHARE = "falseshare"
SERVER = "server"
SERVER_WORKLOADS = ("larson", "prodcons")   # sections/server.py
# Workloads whose rows are no contest between allocators: their own sections answer them.
NOT_RANKED = (kr.MATRIX, kr.PRESSURE, kr.RFM) + kr.COUNTER_WORKLOADS
SCALED_WELL = 0.75       # a backend "scales" when it reaches this share of the ideal ratio
SHARING_FACTOR = 1.5     # the percpu / packed ratio at most threads over the one at 1 thread
HEADLINE_FASTEST = 8     # fastest findings shown first; the rest below them, folded


@dataclass
class Finding:
    kind: str                # FASTEST, ALIGNED, SHARING, SCALING, PERCPU, FALSESHARE, SERVER
    where: str               # the case, e.g. "churn, 64 B, batch 1, 2 threads"
    text: str                # one sentence with its numbers and their uncertainty
    anchor: str              # the id of the report's section with the evidence
    uncertain: bool = False  # the spreads overlap (or are unknown): the order is not certain
    details: list = field(default_factory=list)   # more lines for the page, e.g. every backend
    threads: int = None      # FASTEST: the thread count of the case


def fmt(v):
    """A value to three significant figures: 6.90, 12.3, 262, 7,040."""
    if v is None:
        return "n/a"
    a = abs(v)
    return f"{v:,.0f}" if a >= 100 else f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:,.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 10 \
        else f"{r:.2f}x"


def bounds(cell, stats):
    """(median, min, max) of stats (cell.ns or cell.mops); min and max None where the spread is
    unknown: one repetition, or aggregates only."""
    if stats is None:
        return None
    if cell.reps < 2 or stats[1] is None or stats[2] is None:
        return (stats[0], None, None)
    return stats


def value_text(b, unit):
    """"6.90 ns/op (6.84..6.97)"; "(spread unknown)" without one."""
    spread = ("spread unknown" if b[1] is None else f"{fmt(b[1])}..{fmt(b[2])}")
    return f"{fmt(b[0])} {unit} ({spread})"


@dataclass
class Ratio:
    """a / b of two (median, min, max) triples, with the range their spreads allow."""
    value: float
    lo: float = None
    hi: float = None

    @property
    def known(self):
        return self.lo is not None

    @property
    def overlap(self):
        """The two spreads overlap (the range includes 1), or a spread is unknown."""
        return not self.known or self.lo <= 1 <= self.hi

    def text(self):
        """"1.06x (1.04..1.08)"."""
        return fmt_ratio(self.value) + (f" ({fmt_ratio(self.lo)[:-1]}.."
                                        f"{fmt_ratio(self.hi)[:-1]})" if self.known else "")


def ratio(a, b):
    """Ratio a / b of (median, min, max) triples; None where b's median is 0."""
    if not b[0]:
        return None
    if a[1] is None or b[1] is None or not b[1] or not b[2]:
        return Ratio(a[0] / b[0])
    return Ratio(a[0] / b[0], a[1] / b[2], a[2] / b[1])


def order_clause(r):
    """What a ratio's range says about the order of the two it compares ("" when certain)."""
    if not r.known:
        return "; no spread over repetitions: order not certain"
    if r.overlap:
        return "; the spreads overlap: order not certain"
    return ""


def varying(cells_, workload):
    """The parameter names whose values differ among workload's rows."""
    seen = {}
    for c in cells_:
        if c.workload == workload:
            for k, v in c.params:
                seen.setdefault(k, set()).add(v)
    return {k for k, vs in seen.items() if len(vs) > 1}


def case_of(cells_, workload, params, threads=None):
    """The case as findings name it: the workload, its size, the parameters that vary among its
    rows, and the thread count where given."""
    keep = varying(cells_, workload) | {"size"}
    text = kr.case_text(workload, tuple((k, v) for k, v in params if k in keep))
    return text if threads is None else f"{text}, {kr.threads_text(threads)}"


def thread_ends(cells_):
    """The lowest and the highest thread count of cells_ with a result (one where equal)."""
    threads = sorted({c.threads for c in cells_ if c.ns})
    return threads[:1] + threads[-1:] if len(threads) > 1 else threads


def fastest(cells_):
    """A FASTEST finding per ranked (workload, params) group and end thread count where two or
    more backends have a result."""
    out = []
    for (workload, params), group in kr.groups(cells_).items():
        if workload in NOT_RANKED:
            continue
        for t in thread_ends(group):
            ranked = sorted((c for c in group if c.threads == t and c.ns),
                            key=lambda c: c.ns[0])
            if len(ranked) < 2:
                continue
            win, second = ranked[:2]
            wb, sb = bounds(win, win.ns), bounds(second, second.ns)
            r = ratio(sb, wb)
            if r is None:
                continue
            text = (f"{win.backend} is fastest: {value_text(wb, 'ns/op')}, {r.text()} ahead of "
                    f"{second.backend} ({fmt(sb[0])}){order_clause(r)}.")
            out.append(Finding(FASTEST, case_of(cells_, workload, params, t), text,
                               kr.group_anchor(workload, params), r.overlap, threads=t))
    return out


def pair_cells(cells_, a, b, value):
    """[(cell of a, cell of b)] in the same workload, params and threads where both have
    value(cell)."""
    by = {}
    for c in cells_:
        if c.backend in (a, b) and value(c):
            by.setdefault((c.workload, c.params, c.threads), {})[c.backend] = c
    return [(d[a], d[b]) for d in by.values() if a in d and b in d]


def headline_key(c):
    """Sort key of the case a finding picks among many: churn first, the most threads, then the
    smallest size and batch (batch 1, the hot pair, before all others)."""
    return (c.workload != "churn", -c.threads, kr.natural(kr.param(c, "size")),
            kr.natural(kr.param(c, "batch")), [(k, kr.natural(v)) for k, v in c.params])


def headline_ratio(pairs, stats):
    """Of pair_cells()' pairs, the headline case (headline_key of its first cell): (that cell,
    the bounds of both cells' stats(cell), their ratio), or None when there is no pair or no
    ratio."""
    if not pairs:
        return None
    ca, cb = min(pairs, key=lambda p: headline_key(p[0]))
    ba, bb = bounds(ca, stats(ca)), bounds(cb, stats(cb))
    r = ratio(ba, bb)
    return None if r is None else (ca, ba, bb, r)


def aligned(cells_, a="slab", b=kr.PACKED):
    """slab against slab-packed in the headline case where both ran (ns/op)."""
    pairs = pair_cells(cells_, a, b, lambda c: c.ns)
    found = headline_ratio(pairs, lambda c: c.ns)
    if found is None:
        return None
    ca, ba, bb, r = found
    text = (f"{a}, aligned to the cache line, takes {r.text()} the time of {b} "
            f"({fmt(ba[0])} against {fmt(bb[0])} ns/op){order_clause(r)}.")
    f = Finding(ALIGNED, case_of(cells_, ca.workload, ca.params, ca.threads), text, "slab-packed",
                r.overlap)
    all_ratios = sorted(x.ns[0] / y.ns[0] for x, y in pairs if y.ns[0])
    if len(all_ratios) > 1:
        f.details.append(f"Over all {len(all_ratios)} cases where both ran: "
                         f"{fmt_ratio(all_ratios[0])} to {fmt_ratio(all_ratios[-1])}.")
    return f


def sharing(cells_, a="counter-percpu", b="counter-packed"):
    """counter-percpu against counter-packed at the most threads (above one) where both ran,
    set against the same ratio at one thread: the cost of the packed line's false sharing."""
    by = {}
    for c in cells_:
        if c.workload in (a, b) and c.mops:
            by.setdefault(c.threads, {})[c.workload] = c
    both = sorted(t for t, d in by.items() if a in d and b in d)
    if not both or both[-1] < 2:
        return None
    t = both[-1]
    ca, cb = by[t][a], by[t][b]
    ba, bb = bounds(ca, ca.mops), bounds(cb, cb.mops)
    r = ratio(ba, bb)
    if r is None:
        return None
    text = (f"{a} has {r.text()} the throughput of {b}, whose counters share a cache line "
            f"({fmt(ba[0])} against {fmt(bb[0])} Mops/s){order_clause(r)}")
    one = by.get(1, {})
    if a in one and b in one:
        r1 = ratio(bounds(one[a], one[a].mops), bounds(one[b], one[b].mops))
        if r1 is not None:
            text += f"; at 1 thread {r1.text()}"
            hi1 = r1.hi if r1.known else r1.value
            if r.known and r.lo > SHARING_FACTOR * hi1:
                text += ": false sharing"
            elif r.known and r1.known and r.lo <= r1.hi and r1.lo <= r.hi:
                text += ", the same: no sign of false sharing"
    text += "."
    return Finding(SHARING, f"counters, {kr.threads_text(t)}", text, "percpu-counters",
                   r.overlap)


def scaling_group(cells_):
    """((workload, params), top thread count) of the group whose backends' scaling the finding
    reads: among groups with rows at one thread and at more, the most backends with both, then
    churn, the smallest size and batch; None without any."""
    best = None
    for (workload, params), group in kr.groups(cells_).items():
        if workload in NOT_RANKED:
            continue
        ones = {c.backend for c in group if c.threads == 1 and c.mops}
        top = max((c.threads for c in group if c.mops), default=1)
        both = ones & {c.backend for c in group if c.threads == top and c.mops}
        if top < 2 or len(both) < 1:
            continue
        key = (-len(both), headline_key(next(c for c in group if c.threads == top)))
        if best is None or key < best[0]:
            best = (key, (workload, params), top)
    return None if best is None else (best[1], best[2])


def scalings(cells_, group, top):
    """[(backend, Ratio of Mops/s at top threads over 1 thread)] of the group, best first."""
    workload, params = group
    at = {(c.backend, c.threads): c for c in cells_ if (c.workload, c.params) == group and c.mops}
    out = []
    for (b, t), c in at.items():
        if t == top and (b, 1) in at:
            one = at[(b, 1)]
            r = ratio(bounds(c, c.mops), bounds(one, one.mops))
            if r is not None:
                out.append((b, r))
    return sorted(out, key=lambda br: -br[1].value)


def scaling(cells_):
    """Each backend's throughput at the most threads over one thread, in the scaling_group(): the
    best and the worst in the sentence, every backend in details."""
    found = scaling_group(cells_)
    if found is None:
        return None
    (workload, params), top = found
    ranked = scalings(cells_, (workload, params), top)
    if not ranked:
        return None
    best, worst = ranked[0], ranked[-1]
    ideal = float(top)
    good = sum(1 for _, r in ranked if r.value >= SCALED_WELL * ideal)
    if len(ranked) == 1:
        text = (f"{best[0]}'s throughput grows {best[1].text()} (ideal {ideal:g}x"
                f"{'' if best[1].known else '; no spread over repetitions'}).")
        unsure = not best[1].known
    else:
        text = (f"{best[0]} scales most, {best[1].text()}, {worst[0]} least, "
                f"{worst[1].text()}; {good} of {len(ranked)} backends reach "
                f"{fmt_ratio(SCALED_WELL * ideal)} (ideal {ideal:g}x)")
        second = ranked[1]
        unsure = (not best[1].known or not second[1].known or second[1].hi >= best[1].lo)
        if unsure:
            text += f"; {second[0]} overlaps {best[0]}: order not certain"
        text += "."
    where = f"{case_of(cells_, workload, params)}, 1 to {top} threads"
    f = Finding(SCALING, where, text, kr.group_anchor(workload, params), unsure)
    f.details = [f"{b}: {r.text()}" for b, r in ranked]
    return f


def percpu(cells_, context, a="slab", b="slab-none"):
    """slab (per-CPU sheaves) against slab-none (no per-CPU cache) in the headline case where
    both have a throughput: the most threads, churn, the smallest size and batch."""
    found = headline_ratio(pair_cells(cells_, a, b, lambda c: c.mops), lambda c: c.mops)
    if found is None:
        return None
    ca, ba, bb, r = found
    mode = (kr.percpu_options(context).get("slab") or {}).get("effective")
    text = (f"{a}, with per-CPU sheaves" + (f" ({mode})" if isinstance(mode, str) else "")
            + f", has {r.text()} the throughput of {b}, which has none ({fmt(ba[0])} against "
            f"{fmt(bb[0])} Mops/s){order_clause(r)}.")
    return Finding(PERCPU, case_of(cells_, ca.workload, ca.params, ca.threads), text,
                   kr.group_anchor(ca.workload, ca.params), r.overlap)


def false_sharing(cells_, workload="false-share-passive", a=kr.PACKED, b="slab"):
    """slab-packed against slab under false-share-passive (each thread handed a neighbouring
    object) at the most threads, above one, where both ran: the size where packed is slowest
    relative to slab, every size's ratio in the details."""
    pairs = [(x, y) for x, y in pair_cells(cells_, a, b, lambda c: c.ns)
             if x.workload == workload and y.ns[0]]
    top = max((x.threads for x, _ in pairs), default=1)
    pairs = sorted(((x, y) for x, y in pairs if x.threads == top),
                   key=lambda p: kr.natural(kr.param(p[0], "size")))
    if top < 2 or not pairs:
        return None
    ca, cb = max(pairs, key=lambda p: p[0].ns[0] / p[1].ns[0])
    ba, bb = bounds(ca, ca.ns), bounds(cb, cb.ns)
    r = ratio(ba, bb)
    text = (f"{a}, its objects packed, takes {r.text()} the time of {b} (aligned to the "
            f"cache line) when each thread is handed a neighbouring object "
            f"({fmt(ba[0])} against {fmt(bb[0])} ns/op){order_clause(r)}.")
    f = Finding(FALSESHARE, case_of(cells_, ca.workload, ca.params, ca.threads), text,
                "falseshare", r.overlap)
    f.details.append("Every size at " + kr.threads_text(top) + ": " + "; ".join(
        f"{kr.size_text(kr.param(x, 'size'))} {fmt_ratio(x.ns[0] / y.ns[0])}" for x, y in pairs)
        + ".")
    return f


def server_group(cells_, workload):
    """((workload, params), top thread count) of the workload's group whose scaling the server
    finding reads: the most backends with a throughput at one thread and at the most threads
    (above one), then the largest size and batch; None without any."""
    best = None
    for (w, params), group in kr.groups(cells_).items():
        if w != workload:
            continue
        top = max((c.threads for c in group if c.mops), default=1)
        ones = {c.backend for c in group if c.threads == 1 and c.mops}
        both = ones & {c.backend for c in group if c.threads == top and c.mops}
        if top < 2 or not both:
            continue
        key = (len(both), kr.natural(kr.param_value(params, "size")),
               kr.natural(kr.param_value(params, "batch")))
        if best is None or key > best[0]:
            best = (key, (w, params), top)
    return None if best is None else best[1:]


def server(cells_, workload, ref="slab"):
    """The backend whose objects per second at the most threads are the largest multiple of
    its one-thread rate under a server workload (scalings(), best first), the runner-up's
    overlap, and ref's multiple and rank; every backend in details. None without a group of
    server_group()."""
    found = server_group(cells_, workload)
    if found is None:
        return None
    group, top = found
    ranked = scalings(cells_, group, top)
    if not ranked:
        return None
    (best, r), rank = ranked[0], {b: i for i, (b, _) in enumerate(ranked)}
    text = (f"{best} scales best: at {kr.threads_text(top)} it moves {r.text()} its "
            f"one-thread objects per second")
    unsure = not r.known
    if len(ranked) > 1:
        second = ranked[1]
        if not second[1].known or not r.known or second[1].hi >= r.lo:
            unsure = True
            text += f"; {second[0]}, {second[1].text()}, overlaps it: order not certain"
    if ref in rank and ref != best:
        text += (f"; {ref} {ranked[rank[ref]][1].text()}, {rank[ref] + 1} of "
                 f"{len(ranked)}")
    f = Finding(SERVER, f"{case_of(cells_, *group)}, 1 to {top} threads", text + ".",
                f"server-{kr.slug(workload)}", unsure)
    f.details = [f"{b}: {x.text()}" for b, x in ranked]
    return f


def findings(cells_, context):
    """Every finding the cells support: the fastest per case, then aligned against packed,
    false sharing, scaling, the per-CPU sheaves, packed objects handed to other threads and
    the server workloads' scaling."""
    out = fastest(cells_)
    scaled = scaling(cells_)
    for f in (aligned(cells_), sharing(cells_), scaled, percpu(cells_, context),
              false_sharing(cells_), *(server(cells_, w) for w in SERVER_WORKLOADS)):
        # A server finding of the case the scaling finding reads would say it again.
        if f is not None and not (f.kind == SERVER and scaled and f.where == scaled.where):
            out.append(f)
    return out


def headline(found, limit=HEADLINE_FASTEST):
    """(shown, folded): the FASTEST findings, all of them where there are limit or fewer, else
    the first limit - 1 (the line saying how many more takes the last place), then every other
    finding, in order; and the FASTEST findings left out."""
    fast = [f for f in found if f.kind == FASTEST]
    n = limit if len(fast) <= limit else limit - 1
    return fast[:n] + [f for f in found if f.kind != FASTEST], fast[n:]


def repetitions(cells_):
    """The repetitions the run asked for ("3"), "1 to 3" where they differ, None if unknown."""
    planned = sorted({c.planned for c in cells_ if c.planned})
    if not planned:
        return None
    return str(planned[0]) if len(planned) == 1 else f"{planned[0]} to {planned[-1]}"


def intro(cells_):
    """What the numbers of the findings are."""
    reps = repetitions(cells_)
    over = f"{reps} repetition{'' if reps == '1' else 's'}" if reps else "the repetitions"
    return (f"Medians over {over}, (min..max) over them; a ratio's range is the worst and best "
            "case its two spreads allow.")


def terminal(found, cells_, width=None):
    """The findings as plain text lines for a terminal, aligned: an intro, one line per shown
    finding (its case, then its sentence), and how many more the report has."""
    shown, folded = headline(found)
    if not shown:
        return ["No finding: the results have no two backends to compare."]
    w = width or max(len(f.where) for f in shown)
    lines = [intro(cells_)]
    lines += [f"  {f.where:<{w}}  {f.text}" for f in shown]
    if folded:
        lines.append(f"  ... and {len(folded)} more case{'s' if len(folded) > 1 else ''}"
                     " in the report.")
    return lines
