"""Section "Programs": real programs under each backend's malloc (the program workload,
workloads/program.c, issue 20): per program, one figure of its wall time, CPU time (user +
sys) and peak RSS under each backend as a ratio to glibc's (the median over repetitions, and
the min..max of the repetitions over glibc's median), whether its output was the same under
every backend, and a table of the counters (wall, user and sys seconds, peak RSS, minor
faults, processes under libkmbench-preload.so); then one findings sentence per backend, where
the data support one: its geometric mean ratios over the programs, and in how many programs
its difference from glibc is supported (kmb_summary.confidence: the U test, or the spreads where
the repetitions are too few). "" without any program row.
"""
import math
import statistics

import kmb_plots
import kmb_summary as kms
from kmb_html import esc, num_cell, head_cells, table, fmt_ratio, cell_text, scroll_box

ANCHOR = "programs"
TITLE = "Programs"

WORKLOAD = "program"
REFERENCE = "glibc"
BASELINES = ("glibc", "jemalloc", "tcmalloc", "mimalloc")
# Wall time, the CPU time (user + sys: on a loaded machine the steadier of the two, as it
# counts no time waiting for a CPU), and peak RSS.
METRICS = (("wall_s", "wall time"), ("cpu_s", "CPU time"), ("peak_rss_kib", "peak RSS"))


class Prog:
    """One program's rows: per backend, each repetition's counters, and the failures."""

    def __init__(self, name):
        self.name = name
        self.reps = {}       # backend -> [row]
        self.errors = {}     # backend -> [message]

    def values(self, b, key):
        return [r[key] for r in self.reps.get(b, []) if isinstance(r.get(key), (int, float))]

    def stat(self, b, key):
        """(median, min, max) of @key over @b's repetitions; None without any."""
        v = self.values(b, key)
        return (statistics.median(v), min(v), max(v)) if v else None

    def ratio(self, b, key):
        """(median, min, max) of @b's repetitions over glibc's median; None where either is
        missing."""
        ref, mine = self.stat(REFERENCE, key), self.values(b, key)
        if not ref or not ref[0] or not mine:
            return None
        r = [v / ref[0] for v in mine]
        return (statistics.median(r), min(r), max(r))


def programs(data):
    """The program rows of a results file, as {program: Prog}, in the order first seen."""
    out = {}
    for r in data.get("benchmarks", []):
        kmb = r.get("kmbench") if isinstance(r.get("kmbench"), dict) else {}
        if r.get("run_type") != "iteration" or kmb.get("workload") != WORKLOAD:
            continue
        params = kmb.get("params") if isinstance(kmb.get("params"), dict) else {}
        p = out.setdefault(str(params.get("program", "?")), Prog(str(params.get("program"))))
        b = str(kmb.get("backend", "?"))
        if r.get("error_occurred"):
            p.errors.setdefault(b, []).append(str(r.get("error_message") or "failed"))
        else:
            cpu = [r.get(k) for k in ("user_s", "sys_s")]
            if all(isinstance(v, (int, float)) for v in cpu):
                r = dict(r, cpu_s=sum(cpu))
            p.reps.setdefault(b, []).append(r)
    return out


def identity_text(p):
    """Whether the program printed the same under every backend: one sentence."""
    sums = {b: {r.get("output_checksum") for r in rows} for b, rows in p.reps.items()}
    same = {s for v in sums.values() for s in v}
    differ = sorted(b for b, msgs in p.errors.items() if any("output differs" in m for m in msgs))
    failed = sorted(b for b in p.errors if b not in differ)
    if not sums:
        text = "No backend ran it."
    elif len(same) == 1 and None not in same:
        text = (f"Output identical under every backend that ran it ({len(sums)}: "
                f"{', '.join(sorted(sums))}; checksum {int(same.pop()):08x}), each run checked "
                "against a bare run on glibc.")
    else:
        text = f"Outputs differ between backends: checksums {sorted(same, key=str)}."
    if differ:
        text += f" Output different from glibc's under {', '.join(differ)}."
    if failed:
        text += " Failed under " + "; ".join(f"{b} ({p.errors[b][0]})" for b in failed) + "."
    return text


def stat_text(st, scale=1.0, digits=2):
    if st is None:
        return "n/a", "n/a"
    return (f"{st[0] * scale:,.{digits}f}", f"{st[1] * scale:,.{digits}f}.."
            f"{st[2] * scale:,.{digits}f}")


TABLE_HEAD = ["backend", "wall s", "wall min..max", "wall / glibc", "user s", "sys s",
              "CPU / glibc", "peak RSS MiB", "RSS min..max", "RSS / glibc", "minor faults",
              "processes under the shim"]


def program_table(p, backends):
    rows = []
    for b in backends:
        if b not in p.reps and b not in p.errors:
            continue
        if b not in p.reps:
            rows.append(f'<tr class="program failed"><td>{esc(b)}</td>'
                        f'<td colspan="{len(TABLE_HEAD) - 1}">failed: '
                        f"{esc(p.errors[b][0])}</td></tr>")
            continue
        wall, wall_mm = stat_text(p.stat(b, "wall_s"))
        rss, rss_mm = stat_text(p.stat(b, "peak_rss_kib"), 1 / 1024, 1)
        ratios = [p.ratio(b, k) for k, _ in METRICS]
        user, _ = stat_text(p.stat(b, "user_s"))
        sys_, _ = stat_text(p.stat(b, "sys_s"))
        flt = p.stat(b, "minflt")
        procs = p.stat(b, "preload_processes")
        vals = [wall, wall_mm, fmt_ratio(ratios[0] and ratios[0][0]), user, sys_,
                fmt_ratio(ratios[1] and ratios[1][0]), rss, rss_mm,
                fmt_ratio(ratios[2] and ratios[2][0]), f"{flt[0]:,.0f}" if flt else "n/a",
                f"{procs[0]:,.0f}" if procs and b not in BASELINES else "-"]
        rows.append(f'<tr class="program"><td>{esc(b)}</td>'
                    + "".join(num_cell(cell_text(v)) for v in vals) + "</tr>")
    return scroll_box(table(f"program-{p.name}", head_cells(TABLE_HEAD), rows))


def geomean(values):
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def findings(progs, backends):
    """One sentence per backend other than glibc that ran every program: its geometric mean
    ratios of wall time, CPU time and peak RSS to glibc's over the programs, and in how many
    programs each differs from glibc's with support (kmb_summary.confidence); [] where none
    differs with support anywhere. A backend that failed a program is named as such."""
    out = []
    for b in backends:
        if b == REFERENCE:
            continue
        missing = [p.name for p in progs.values() if b not in p.reps or REFERENCE not in p.reps]
        if missing:
            if any(b in p.errors for p in progs.values()):
                out.append(f"{b}: left out, it did not run {', '.join(missing)}.")
            continue
        gms, counts, how = [], [], None
        for key, _ in METRICS:
            gms.append(geomean([p.ratio(b, key)[0] for p in progs.values()]))
            confs = [kms.confidence(p.values(b, key), p.values(REFERENCE, key))
                     for p in progs.values()]
            counts.append(sum(c.supported for c in confs))
            how = how or ("U test, p < 0.05" if confs[0].tested else
                          f"min..max spreads apart, not tested: {confs[0].n} vs "
                          f"{confs[0].m} repetitions")
        if not any(counts):
            continue
        n = len(progs)
        out.append(f"{b}: wall time {fmt_ratio(gms[0])} glibc's, CPU time {fmt_ratio(gms[1])} "
                   f"and peak RSS {fmt_ratio(gms[2])} (geometric means over "
                   f"{', '.join(progs)}); different from glibc's in {counts[0]} of {n} "
                   f"programs for wall time, {counts[1]} of {n} for CPU time and {counts[2]} "
                   f"of {n} for peak RSS ({how}).")
    return out


def render(run):
    progs = programs(run.data)
    if not progs:
        return ""
    seen = {b for p in progs.values() for b in list(p.reps) + list(p.errors)}
    backends = [b for b in run.backends if b in seen] + sorted(seen - set(run.backends))
    opts = run.ctx.get("options") if isinstance(run.ctx.get("options"), dict) else {}
    info = opts.get("program") if isinstance(opts.get("program"), dict) else {}
    out = [f'<h2 id="{ANCHOR}">{TITLE}</h2>',
           '<p class="note">Workload program: each program run whole, as mimalloc-bench runs '
           "its programs, with each backend's malloc: glibc bare, jemalloc, tcmalloc and "
           "mimalloc by LD_PRELOAD of their Debian libraries, the kernel-style backends by "
           "LD_PRELOAD of libkmbench-preload.so (KMB_PRELOAD_BACKEND). One op is one run; wall "
           "time is fork to wait4, peak RSS wait4's ru_maxrss (the largest process). Ratios: "
           "each repetition over glibc's median, median and min..max (docs/workloads.md).</p>"]
    if info:
        out.append(f'<p class="program-source">Scale {esc(info.get("scale", "?"))}, the '
                   f'library\'s model {esc(info.get("preload_mem", "?"))}; programs: '
                   f'{esc(", ".join(info.get("programs", [])))}.</p>')
    found = findings(progs, backends)
    if found:
        out.append('<ul class="program-findings">'
                   + "".join(f"<li>{esc(f)}</li>" for f in found) + "</ul>")
    for p in progs.values():
        out.append(f'<h3 id="program-{esc(p.name)}">{esc(p.name)}</h3>')
        out.append(f'<p class="program-identity" data-program="{esc(p.name)}">'
                   f"{esc(identity_text(p))}</p>")
        panels = [(f"{what} / glibc (ratio)", {b: p.ratio(b, key) for b in backends
                                                  if p.ratio(b, key)})
                  for key, what in METRICS]
        if any(r for _, r in panels):
            png = kmb_plots.program_ratios(f"{p.name}: wall time, CPU time and peak RSS "
                                           "against glibc",
                                           panels, backends)
            out.append(f'<div class="plots"><img alt="program {esc(p.name)}: wall time, CPU '
                       f'time and peak RSS against glibc" src="data:image/png;base64,{png}">'
                       "</div>")
        out.append(program_table(p, backends))
    return "\n".join(out)
