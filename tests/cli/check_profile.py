#!/usr/bin/python3
"""The profile pass's keys (results/README.md, harness/profile.h) in every row of a kmbench
results.json, whatever workloads it has: latency and memory fields present and consistent.
Usage: check_profile.py FILE [--state BACKENDS].  Exit 0 when every check passes; prints each
failure and exits 1.

Every iteration row that did not fail:
- of a workload that does not allocate (backend "no-allocator"), or of a run with
  context.options.profile false: kmbench.profile is {status: "unavailable", reason}, and no
  profile counter;
- of any other workload: kmbench.profile.status "measured"; for alloc and free, either
  <op>_lat_p50_ns <= p90 <= p99 <= p999 <= max with <op>_lat_samples > 0 (and at most the
  calls made), or none of those keys and a reason in kmbench.profile.unavailable.<op>_lat; the
  timeline's series of one length (1 to 128 points), its times rising, every RSS point >= 0 and
  at most peak_rss_bytes (or a reason for the peak); held >= live at every point and
  held_peak_bytes >= live_peak_bytes where both are given, each the largest of its series.
  At least one allocating row must have alloc latencies (a run where none does measured
  nothing).
- the distributions (kmbench.profile.latency.<op>: le_ns and count), present exactly where the
  op's percentiles are: of one length, le_ns strictly rising, count rising, the last count the
  op's samples (the CDF ends at 1) and the last le_ns its max.
- the state (the timeline's frag_order, unusable_index, extfrag_index, zones, slab_*_objs),
  present or with a reason in kmbench.profile.unavailable.state: every series one value per
  point; unusable indices in [0, 1], fragmentation indices -1 or in [0, 1]; free pages >= 0;
  slab_active_objs <= slab_num_objs at every point, both >= 0, both or neither.
With --state BACKENDS (comma-separated): those backends' rows must have the state, with the
slab series where the backend's name starts with slab or is kmalloc, and every other
backend's rows a reason.
Aggregate and failed rows carry none of it."""
import json
import sys

OPS = ("alloc", "free")
PCTS = ("p50", "p90", "p99", "p999", "max")
PEAKS = ("peak_rss_bytes", "held_peak_bytes", "live_peak_bytes")
MAX_POINTS = 128
# Held and live are read close together, not atomically, while threads allocate
# (include/kmbench/backend.h): a point may be this far out.
SLACK = 64 * 1024


def profile_keys(r):
    return [k for k in r if k.startswith(("alloc_lat_", "free_lat_")) or k in PEAKS]


def check_latency(r, prof, op, where, fail):
    keys = ["%s_lat_%s_ns" % (op, p) for p in PCTS]
    have = [k in r for k in keys + [op + "_lat_samples"]]
    why = prof.get("unavailable", {}).get(op + "_lat")
    if not any(have):
        if not why:
            fail("%s: no %s latency and no reason in kmbench.profile.unavailable" % (where, op))
        return False
    if not all(have):
        fail("%s: %s latency keys partly present" % (where, op))
        return False
    vals = [r[k] for k in keys]
    if any(a > b for a, b in zip(vals, vals[1:])):
        fail("%s: %s latency not ordered p50 <= p90 <= p99 <= p999 <= max: %s" % (where, op, vals))
    if vals[0] < 0:
        fail("%s: %s latency below 0: %s" % (where, op, vals))
    n = r[op + "_lat_samples"]
    if not n > 0:
        fail("%s: %s_lat_samples %s, not > 0" % (where, op, n))
    if n > prof.get(op + "_calls", 0):
        fail("%s: %s_lat_samples %s above the %s calls made" % (where, op, n,
                                                                prof.get(op + "_calls")))
    return True


def check_timeline(r, prof, where, fail):
    tl = prof.get("timeline")
    if not isinstance(tl, dict) or "t_ms" not in tl or "rss_bytes" not in tl:
        fail("%s: kmbench.profile.timeline without t_ms and rss_bytes" % where)
        return
    t, rss = tl["t_ms"], tl["rss_bytes"]
    if not 1 <= len(t) <= MAX_POINTS:
        fail("%s: %d timeline points, not 1..%d" % (where, len(t), MAX_POINTS))
    if any(a > b for a, b in zip(t, t[1:])):
        fail("%s: timeline times not rising" % where)
    series = {k: v for k, v in tl.items() if k.endswith("_bytes")}
    for k, v in series.items():
        if len(v) != len(t):
            fail("%s: timeline %s has %d points, t_ms %d" % (where, k, len(v), len(t)))
    if any(v < 0 for v in rss):
        fail("%s: a timeline RSS point below 0" % where)
    if "peak_rss_bytes" in r:
        if max(rss, default=0) > r["peak_rss_bytes"]:
            fail("%s: a timeline RSS point %d above peak_rss_bytes %d" %
                 (where, max(rss), r["peak_rss_bytes"]))
    elif not prof.get("unavailable", {}).get("peak_rss"):
        fail("%s: no peak_rss_bytes and no reason" % where)
    for name, key in (("held", "held_peak_bytes"), ("live", "live_peak_bytes")):
        s = tl.get(name + "_bytes")
        if (s is None) != (key not in r):
            fail("%s: %s series and %s not both present or both absent" % (where, name, key))
        elif s is None and not prof.get("unavailable", {}).get(name):
            fail("%s: no %s bytes and no reason" % (where, name))
        elif s is not None and max(s) != r[key]:
            fail("%s: %s %s is not the largest point of its series (%s)" %
                 (where, key, r[key], max(s)))
    held, live = tl.get("held_bytes"), tl.get("live_bytes")
    if held and live:
        for i, (h, l) in enumerate(zip(held, live)):
            if l > h + SLACK or l < 0:
                fail("%s: timeline point %d: live %d above held %d" % (where, i, l, h))
                break
        if r["live_peak_bytes"] > r["held_peak_bytes"] + SLACK:
            fail("%s: live_peak_bytes %d above held_peak_bytes %d" %
                 (where, r["live_peak_bytes"], r["held_peak_bytes"]))


def check_distribution(r, prof, op, where, fail):
    d = (prof.get("latency") or {}).get(op)
    have = op + "_lat_samples" in r
    if d is None:
        if have:
            fail("%s: %s latency percentiles but no kmbench.profile.latency.%s" % (where, op, op))
        return
    if not have:
        fail("%s: kmbench.profile.latency.%s without %s percentiles" % (where, op, op))
        return
    le, count = d.get("le_ns") or [], d.get("count") or []
    if not le or len(le) != len(count):
        fail("%s: latency.%s: le_ns (%d) and count (%d) not one non-empty length" %
             (where, op, len(le), len(count)))
        return
    if any(a >= b for a, b in zip(le, le[1:])):
        fail("%s: latency.%s: le_ns not rising: %s" % (where, op, le))
    if count[0] <= 0 or any(a > b for a, b in zip(count, count[1:])):
        fail("%s: latency.%s: the CDF is not monotone: %s" % (where, op, count))
    if count[-1] != r[op + "_lat_samples"]:
        fail("%s: latency.%s: the CDF ends at %s of %s samples, not 1" %
             (where, op, count[-1], r[op + "_lat_samples"]))
    if le[-1] != r[op + "_lat_max_ns"]:
        fail("%s: latency.%s: last le_ns %s, not the max %s" %
             (where, op, le[-1], r["%s_lat_max_ns" % op]))


def index_ok(v, extfrag):
    return (0 <= v <= 1) or (extfrag and v == -1)


def check_state(r, prof, where, fail, want):
    """The state's series; want: None (either), "state" or "slab" (must be there, with the
    slab series for "slab"), or "none" (must not: a reason instead)."""
    tl = prof.get("timeline") or {}
    why = prof.get("unavailable", {}).get("state")
    n = len(tl.get("t_ms") or [])
    if "unusable_index" not in tl:
        if not why:
            fail("%s: no state in the timeline and no reason in unavailable.state" % where)
        elif want in ("state", "slab"):
            fail("%s: no state in the timeline (%s)" % (where, why))
        return
    if want == "none":
        fail("%s: a state in the timeline of a backend without one" % where)
    series = [("unusable_index", tl.get("unusable_index"), False),
              ("extfrag_index", tl.get("extfrag_index"), True)]
    for z in tl.get("zones") or []:
        name = "zone %s/%s" % (z.get("node"), z.get("zone"))
        series += [(name + " unusable_index", z.get("unusable_index"), False),
                   (name + " extfrag_index", z.get("extfrag_index"), True)]
        fp = z.get("free_pages") or []
        if len(fp) != n or any(v < 0 for v in fp):
            fail("%s: %s free_pages: %d points of %d, or below 0" % (where, name, len(fp), n))
    if not tl.get("zones"):
        fail("%s: a state without zones" % where)
    for name, v, extfrag in series:
        if not isinstance(v, list) or len(v) != n:
            fail("%s: timeline %s is not one value per point" % (where, name))
        elif not all(index_ok(x, extfrag) for x in v):
            fail("%s: timeline %s outside %s: %s" %
                 (where, name, "-1 or [0, 1]" if extfrag else "[0, 1]", v))
    active, num = tl.get("slab_active_objs"), tl.get("slab_num_objs")
    if (active is None) != (num is None):
        fail("%s: slab_active_objs and slab_num_objs not both present" % where)
    elif active is None:
        if want == "slab":
            fail("%s: no slab series" % where)
    elif len(active) != n or len(num) != n:
        fail("%s: slab series not one value per point" % where)
    else:
        for i, (a, t) in enumerate(zip(active, num)):
            if a < 0 or a > t:
                fail("%s: timeline point %d: slab_active_objs %d above slab_num_objs %d "
                     "(or below 0)" % (where, i, a, t))
                break


def state_want(backend, state_backends):
    if state_backends is None:
        return None
    if backend not in state_backends:
        return "none"
    return "slab" if backend.startswith("slab") or backend == "kmalloc" else "state"


def check(doc, fail, state_backends=None):
    on = doc["context"]["options"].get("profile")
    if on not in (True, False):
        fail("context.options.profile is %r, not a boolean" % on)
    measured = with_alloc = 0
    workloads = set()
    for r in doc["benchmarks"]:
        where = r["name"]
        prof = r.get("kmbench", {}).get("profile")
        if r["run_type"] != "iteration" or r.get("error_occurred"):
            if prof is not None or profile_keys(r):
                fail("%s: an aggregate or failed row with profile keys" % where)
            continue
        if not isinstance(prof, dict):
            fail("%s: no kmbench.profile" % where)
            continue
        if r["kmbench"]["backend"] == "no-allocator" or not on:
            if prof.get("status") != "unavailable" or not prof.get("reason"):
                fail("%s: kmbench.profile %s, not unavailable with a reason" % (where, prof))
            if profile_keys(r):
                fail("%s: profile keys without a pass: %s" % (where, profile_keys(r)))
            continue
        if prof.get("status") != "measured":
            fail("%s: kmbench.profile.status %r, not measured (%s)" %
                 (where, prof.get("status"), prof.get("reason")))
            continue
        measured += 1
        workloads.add(r["kmbench"]["workload"])
        if prof.get("iterations", 0) <= 0:
            fail("%s: the pass made no iterations" % where)
        for op in OPS:
            if check_latency(r, prof, op, where, fail) and op == "alloc":
                with_alloc += 1
            check_distribution(r, prof, op, where, fail)
        check_timeline(r, prof, where, fail)
        check_state(r, prof, where, fail, state_want(r["kmbench"]["backend"], state_backends))
    if on and measured and not with_alloc:
        fail("no row has alloc latencies")
    return measured, workloads


def main():
    args = sys.argv[1:]
    state = None
    if len(args) == 3 and args[1] == "--state":
        state = set(args[2].split(","))
        args = args[:1]
    if len(args) != 1:
        print("usage: check_profile.py FILE [--state BACKENDS]", file=sys.stderr)
        return 2
    failures = []
    with open(args[0]) as f:
        doc = json.load(f)
    measured, workloads = check(doc, failures.append, state)
    for m in failures[:40]:
        print("FAIL: " + m)
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("profile keys consistent: %d rows measured, workloads %s" %
          (measured, ",".join(sorted(workloads))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
