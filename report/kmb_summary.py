"""The run's headline answers, computed from its Cells (kmb_results: medians over repetitions,
with their min..max and every repetition's value), each one sentence with its number and its
confidence.

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
  most threads are the largest multiple of its one-thread rate, with slab's for comparison;
- remote: the remote-free matrix's dearest backend, a remote pair's ns per object (object_ns)
  over a local one's, the samples its CPU pairs (sections/remotefree.py's ratio);
- pages: mmap against buddy (the page allocator) per page block, in churn's headline case;
- vmalloc: vmalloc against buddy (the page allocator) at the largest size both ran, untouched
  where it ran (the allocation alone);
- mempool: the pool's throughput at its highest injected failure rate against 0%, at the most
  threads (mempool-pressure).
The trace replay is ranked as any workload (fastest).

Confidence: the two samples a finding compares (the repetitions of its two cells) go through the
two-sided Mann-Whitney U test (scipy.stats.mannwhitneyu, as Google Benchmark's
tools/gbench/report.py calls it for its compare.py), at ALPHA. Where the
repetitions are too few for the test ever to reach p < ALPHA (the least two-sided p of n against
m values is 2 / C(n + m, n): 0.1 at 3 against 3, 0.057 at 3 against 4), the test is not run and
the sentence says "not tested" with whether the min..max spreads are apart. A difference is
stated only where it is supported (p < ALPHA, or spreads apart where not tested); elsewhere the
sentence says there is no significant difference. Scaling orders ratios of two cells each, which
no U test of one sample against another covers: the order of the first two is the overlap of
the ranges their spreads allow, a / b as (a.min / b.max .. a.max / b.min). Nothing here knows
about HTML; sections/summary.py renders the findings and kmbench_report prints them (--summary).
"""
import math
import statistics
from dataclasses import dataclass, field

import kmb_results as kr

FASTEST, ALIGNED, SHARING, SCALING, PERCPU = "fastest", "aligned", "sharing", "scaling", "percpu"
FALSESHARE = "falseshare"
SERVER = "server"
REMOTE, PAGES, VMALLOC, MEMPOOL = "remote", "pages", "vmalloc", "mempool"
VM_WORKLOADS = ("untouched", "first-touch", "access")   # sections/vmalloc.py's
SERVER_WORKLOADS = ("larson", "prodcons")   # sections/server.py
# Workloads whose rows are no contest between allocators: their own sections answer them.
NOT_RANKED = (kr.MATRIX, kr.PRESSURE, kr.RFM) + kr.COUNTER_WORKLOADS
SCALED_WELL = 0.75       # a backend "scales" when it reaches this share of the ideal ratio
SHARING_FACTOR = 1.5     # the percpu / packed ratio at most threads over the one at 1 thread
HEADLINE_FASTEST = 8     # fastest findings shown first; the rest below them, folded
ALPHA = 0.05             # the U test's significance level


@dataclass
class Finding:
    kind: str                # FASTEST, ALIGNED, SHARING, SCALING, PERCPU, FALSESHARE, SERVER
    where: str               # the case, e.g. "churn, 64 B, batch 1, 2 threads"
    text: str                # one sentence with its numbers and their uncertainty
    anchor: str              # the id of the report's section with the evidence
    uncertain: bool = False  # the data do not support the difference (Confidence.supported)
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


def least_p(n, m):
    """The least two-sided p the exact U test can give n against m values without ties: both
    orders of complete separation, 2 of the C(n + m, n) equally likely rankings."""
    return min(1.0, 2 / math.comb(n + m, n))


def fmt_p(p):
    """"= 0.003", "= 0.050", "= 0.35"; "< 0.001" below it (three decimals below 0.1, so that
    0.0503 does not read as 0.05)."""
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.1 else f"= {p:.2g}"


@dataclass
class Confidence:
    """What the repetitions of two cells say about their difference: the U test's p where it
    was run, else whether the min..max spreads are apart (None: a spread is unknown)."""
    n: int
    m: int
    p: float = None
    apart: bool = None
    unit: str = "repetitions"   # what the samples are ("CPU pairs" for the remote-free matrix)

    @property
    def tested(self):
        return self.p is not None

    @property
    def supported(self):
        return self.p < ALPHA if self.tested else bool(self.apart)

    def text(self):
        """"p = 0.003, 9 vs 9 repetitions"; "min..max spreads apart, not tested (3 vs 3
        repetitions: too few for p < 0.05)"."""
        reps = f"{self.n} vs {self.m} {self.unit}"
        if self.tested:
            return f"p {fmt_p(self.p)}, {reps}"
        if not self.n or not self.m:
            return "aggregates only: spread unknown, not tested"
        what = ("spread unknown" if self.apart is None
                else "min..max spreads apart" if self.apart else "min..max spreads overlap")
        return f"{what}, not tested ({reps}: too few for p < {ALPHA:g})"


def confidence(xs, ys, unit="repetitions"):
    """The Confidence of samples xs against ys (the repetitions of two cells)."""
    n, m = len(xs), len(ys)
    if n and m and least_p(n, m) < ALPHA:
        from kmb_check import utest   # here: scipy takes a second to import
        # The check's and the compare page's test: Google Benchmark's tools/gbench/report.py
        # calc_utest, scipy's own choice of method (the exact distribution for up to 8 values
        # a side without ties, else the normal approximation).
        return Confidence(n, m, p=utest(xs, ys), unit=unit)
    apart = None if n < 2 or m < 2 else (max(xs) < min(ys) or max(ys) < min(xs))
    return Confidence(n, m, apart=apart, unit=unit)


def conf_ns(a, b):
    return confidence(a.ns_reps, b.ns_reps)


def conf_mops(a, b):
    return confidence(a.mops_reps, b.mops_reps)


_VARYING = [None, 0, {}]   # the last cells given, their number and varying() of each workload


def varying(cells_, workload):
    """The parameter names whose values differ among workload's rows. Computed for every
    workload at once, per list of cells: the findings name hundreds of cases of one list, and
    a scan of the cells per case took seconds on the full preset."""
    if _VARYING[0] is not cells_ or _VARYING[1] != len(cells_):
        seen = {}
        for c in cells_:
            for k, v in c.params:
                seen.setdefault(c.workload, {}).setdefault(k, set()).add(v)
        _VARYING[:] = [cells_, len(cells_), {w: {k for k, vs in by.items() if len(vs) > 1}
                                              for w, by in seen.items()}]
    return set(_VARYING[2].get(workload, ()))


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
            if not wb[0]:
                continue
            conf = conf_ns(win, second)
            if conf.supported:
                text = (f"{win.backend} is fastest: {value_text(wb, 'ns/op')}, "
                        f"{fmt_ratio(sb[0] / wb[0])} ahead of {second.backend} "
                        f"({fmt(sb[0])}); {conf.text()}.")
            else:
                text = (f"No significant difference between the fastest two, {win.backend} "
                        f"({fmt(wb[0])} ns/op) and {second.backend} ({fmt(sb[0])}); "
                        f"{conf.text()}.")
            out.append(Finding(FASTEST, case_of(cells_, workload, params, t), text,
                               kr.group_anchor(workload, params), not conf.supported,
                               threads=t))
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
    pairs = [p for p in pair_cells(cells_, a, b, lambda c: c.ns)
             if p[0].workload not in NOT_RANKED]
    found = headline_ratio(pairs, lambda c: c.ns)
    if found is None:
        return None
    ca, ba, bb, r = found
    cb = next(y for x, y in pairs if x is ca)
    conf = conf_ns(ca, cb)
    if conf.supported:
        text = (f"{a}, aligned to the cache line, takes {fmt_ratio(r.value)} the time of {b} "
                f"({fmt(ba[0])} against {fmt(bb[0])} ns/op); {conf.text()}.")
    else:
        text = (f"No significant difference between {a}, aligned to the cache line, and {b} "
                f"({fmt(ba[0])} against {fmt(bb[0])} ns/op); {conf.text()}.")
    f = Finding(ALIGNED, case_of(cells_, ca.workload, ca.params, ca.threads), text, "slab-packed",
                not conf.supported)
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
    if not bb[0]:
        return None
    conf = conf_mops(ca, cb)
    if not conf.supported:
        text = (f"No significant difference between {a} and {b}, whose counters share a "
                f"cache line ({fmt(ba[0])} against {fmt(bb[0])} Mops/s); {conf.text()}.")
        return Finding(SHARING, f"counters, {kr.threads_text(t)}", text, "percpu-counters",
                       True)
    r = ba[0] / bb[0]
    text = (f"{a} has {fmt_ratio(r)} the throughput of {b}, whose counters share a cache "
            f"line ({fmt(ba[0])} against {fmt(bb[0])} Mops/s; {conf.text()})")
    one = by.get(1, {})
    if a in one and b in one and one[b].mops[0]:
        r1 = one[a].mops[0] / one[b].mops[0]
        conf1 = conf_mops(one[a], one[b])
        text += f"; at 1 thread {fmt_ratio(r1)} ({conf1.text()})"
        if r > SHARING_FACTOR * r1:
            text += ": false sharing"
        elif not conf1.supported or r1 >= r:
            text += ": no sign of false sharing"
    text += "."
    return Finding(SHARING, f"counters, {kr.threads_text(t)}", text, "percpu-counters", False)


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
    pairs = pair_cells(cells_, a, b, lambda c: c.mops)
    found = headline_ratio(pairs, lambda c: c.mops)
    if found is None:
        return None
    ca, ba, bb, r = found
    cb = next(y for x, y in pairs if x is ca)
    conf = conf_mops(ca, cb)
    mode = (kr.percpu_options(context).get("slab") or {}).get("effective")
    with_ = f"{a}, with per-CPU sheaves" + (f" ({mode})" if isinstance(mode, str) else "")
    if conf.supported:
        text = (f"{with_}, has {fmt_ratio(r.value)} the throughput of {b}, which has none "
                f"({fmt(ba[0])} against {fmt(bb[0])} Mops/s); {conf.text()}.")
    else:
        text = (f"No significant difference between {with_}, and {b}, which has none "
                f"({fmt(ba[0])} against {fmt(bb[0])} Mops/s); {conf.text()}.")
    return Finding(PERCPU, case_of(cells_, ca.workload, ca.params, ca.threads), text,
                   kr.group_anchor(ca.workload, ca.params), not conf.supported)


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
    conf = conf_ns(ca, cb)
    handed = "when each thread is handed a neighbouring object"
    if conf.supported:
        text = (f"{a}, its objects packed, takes {fmt_ratio(ba[0] / bb[0])} the time of {b} "
                f"(aligned to the cache line) {handed} ({fmt(ba[0])} against {fmt(bb[0])} "
                f"ns/op); {conf.text()}.")
    else:
        text = (f"No significant difference between {a}, its objects packed, and {b} "
                f"(aligned to the cache line) {handed} ({fmt(ba[0])} against {fmt(bb[0])} "
                f"ns/op); {conf.text()}.")
    f = Finding(FALSESHARE, case_of(cells_, ca.workload, ca.params, ca.threads), text,
                "falseshare", not conf.supported)
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


def stated(conf, difference, neutral):
    """difference where conf supports it, else neutral; then the confidence: one sentence."""
    return f"{difference if conf.supported else neutral}; {conf.text()}."


def remote(cells_):
    """The remote-free matrix's backend and size whose remote pairs cost the most over its local
    ones (object_ns medians of the off-diagonal cells over the diagonal's), the CPU pairs the
    samples; every backend and size in details. None without a matrix with both."""
    grids = {}
    for c in cells_:
        i, j = kr.param(c, "alloc_cpu"), kr.param(c, "free_cpu")
        v = c.counters.get("object_ns")
        if c.workload == kr.RFM and isinstance(i, int) and isinstance(j, int) and v:
            key = (c.backend, kr.param(c, "size"))
            grids.setdefault(key, ([], []))[i != j].append(v)
    rows = []
    for (backend, size), (local, far) in grids.items():
        if local and far:
            rows.append((statistics.median(far) / statistics.median(local), backend, size,
                         local, far))
    if not rows:
        return None
    rows.sort(key=lambda r: (-r[0], r[1]))
    r, backend, size, local, far = rows[0]
    conf = confidence(far, local, unit="CPU pairs")
    nums = (f"({fmt(statistics.median(far))} against {fmt(statistics.median(local))} ns per "
            "object, medians over the CPU pairs)")
    text = stated(conf, f"A remote free costs {backend} the most: {fmt_ratio(r)} a local one "
                  f"{nums}", f"No significant difference between {backend}'s remote and local "
                  f"frees {nums}")
    f = Finding(REMOTE, f"{kr.RFM}, {kr.size_text(size)}", text, "remotefree",
                not conf.supported)
    f.details = [f"{b}, {kr.size_text(sz)}: {fmt_ratio(x)}" for x, b, sz, _, _ in rows]
    return f


def compare(cells_, kind, a, b, pick, anchor, say, workloads, mops=False):
    """A finding of a against b in the case pick(cell of a) sorts first among the cases of
    workloads where both have a result (ns/op, or Mops/s with mops), every case's ratio in the
    details; say(ratio) words the difference."""
    stats = (lambda c: c.mops) if mops else (lambda c: c.ns)
    pairs = sorted(((x, y) for x, y in pair_cells(cells_, a, b, stats)
                    if stats(y)[0] and x.workload in workloads), key=lambda p: pick(p[0]))
    if not pairs:
        return None
    ca, cb = min(pairs, key=lambda p: pick(p[0]))
    va, vb = stats(ca)[0], stats(cb)[0]
    conf = conf_mops(ca, cb) if mops else conf_ns(ca, cb)
    unit = "Mops/s" if mops else "ns/op"
    nums = f"({fmt(va)} against {fmt(vb)} {unit})"
    text = stated(conf, f"{say(va / vb)} {nums}",
                  f"No significant difference between {a} and {b} {nums}")
    f = Finding(kind, case_of(cells_, ca.workload, ca.params, ca.threads), text, anchor,
                not conf.supported)
    if len(pairs) > 1:
        f.details = [f"{case_of(cells_, x.workload, x.params, x.threads)}: "
                     f"{fmt_ratio(stats(x)[0] / stats(y)[0])}" for x, y in pairs]
    return f


def pages(cells_):
    """mmap against buddy (the page allocator), both per page block, in the headline case of
    churn where both ran."""
    return compare(cells_, PAGES, "mmap", "buddy", headline_key, "pages",
                   lambda r: f"mmap takes {fmt_ratio(r)} the time of buddy, the page allocator",
                   ("churn",))


def vmalloc(cells_):
    """vmalloc against buddy at the largest size both ran, untouched first, the fewest
    threads."""
    def pick(c):
        return (VM_WORKLOADS.index(c.workload), -(kr.param(c, "size") or 0), c.threads)
    return compare(cells_, VMALLOC, "vmalloc", "buddy", pick, "vmalloc",
                   lambda r: f"vmalloc takes {fmt_ratio(r)} the time of buddy, the page "
                   "allocator", VM_WORKLOADS)


def mempool(cells_, backend="mempool"):
    """The pool's throughput at its highest failure rate against 0% at the most threads where
    both ran; None without them."""
    at = {}
    for c in cells_:
        f = kr.param(c, "fail")
        if c.workload == kr.PRESSURE and c.backend == backend and c.mops and f is not None:
            at.setdefault((kr.without(c.params, "fail"), c.threads), {})[f] = c
    keys = [k for k, d in at.items() if 0 in d and max(d, key=kr.natural) != 0]
    if not keys:
        return None
    params, t = max(keys, key=lambda k: (k[1], [(n, kr.natural(v)) for n, v in k[0]]))
    d = at[(params, t)]
    top = max(d, key=kr.natural)
    hi, zero = d[top], d[0]
    conf = conf_mops(hi, zero)
    nums = f"({fmt(hi.mops[0])} against {fmt(zero.mops[0])} Mops/s)"
    text = stated(conf, f"At {top}% injected failures {backend} keeps "
                  f"{fmt_ratio(hi.mops[0] / zero.mops[0])} of its throughput at 0% {nums}",
                  f"No significant difference between {backend} at {top}% injected "
                  f"failures and at 0% {nums}")
    return Finding(MEMPOOL, f"{case_of(cells_, kr.PRESSURE, params)}, {kr.threads_text(t)}",
                   text, "mempool", not conf.supported)


def findings(cells_, context):
    """Every finding the cells support: the fastest per case, then aligned against packed,
    false sharing, scaling, the per-CPU sheaves, packed objects handed to other threads and
    the server workloads' scaling."""
    out = fastest(cells_)
    scaled = scaling(cells_)
    for f in (aligned(cells_), sharing(cells_), scaled, percpu(cells_, context),
              false_sharing(cells_), *(server(cells_, w) for w in SERVER_WORKLOADS),
              remote(cells_), pages(cells_), vmalloc(cells_), mempool(cells_)):
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
    return (f"Medians over {over}, (min..max) over them. A difference is stated where the "
            f"two-sided Mann-Whitney U test across the repetitions gives p < {ALPHA:g}; with too "
            f"few repetitions for it (under 4 vs 4) where the min..max spreads are apart, marked "
            f"not tested. A scaling ratio's range is the worst and best case its spreads allow.")


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
