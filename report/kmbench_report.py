#!/usr/bin/python3
"""kmbench report: turn one results file (results/README.md) into one self-contained HTML page.

    /usr/bin/python3 report/kmbench_report.py RESULTS.json [-o OUT.html] [--title T] [--jobs N]
    /usr/bin/python3 report/kmbench_report.py BASE.json OTHER.json... [-o OUT.html]

Given several results files (or run directories), the page is the compare mode instead
(kmb_compare.py): every run against the first, cell by cell, with the Mann-Whitney U test and
the geometric mean, what got significantly slower or faster first, grouped by host.

The page (default: index.html beside RESULTS.json) holds the run's header, the Summary (its
findings, sections/summary.py), links to the sections, then the sections in the order SECTIONS
lists them: per (workload, params) throughput and ns/op plots (one figure against size for a
workload's size sweep); where the file has them, the page
allocator's order sweep and targets, the slab allocators against the malloc baselines, the
per-CPU caches, slab against slab-packed under false sharing, the remote-free cost matrix,
the server workloads' objects per second against threads (larson, prodcons), mempool under
pressure, vmalloc, NUMA, the fragmentation series and the trace replay; a table of
every result (median over repetitions), the backends' status and their own stats, the machine
(its topology drawn from the run's hwloc XML, the environment checks), the perf counters'
availability and the full context. Each section is one module under sections/, with
its data extraction and its HTML (sections/__init__.py says what a section offers); the modules
they share are kmb_results (cells, medians, names, formatting), kmb_html (HTML helpers, the
style sheet), kmb_summary (the findings) and kmb_plots (the figures). Images are embedded as
base64 PNG; there is no script and no external reference, so the file can be mailed or archived
alone. The sections are drawn by --jobs processes forked from this one (render_parts(): a
section may offer its parts, each drawn on its own), so a big run's figures take every core; the
page is the same as with one (scripts/report-bench times it on the full preset).

Reads the results file and nothing else (STYLE.md point 12). Runs on Debian's /usr/bin/python3
with python3-matplotlib. Exit status: 0 written, 2 unusable input, 1 output cannot be written.
"""
import argparse
import datetime
import gc
import importlib
import os
import sys
import tempfile

sys.dont_write_bytecode = True      # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kmb_results as kr  # noqa: E402
import kmb_summary as kms  # noqa: E402
from kmb_html import document, esc  # noqa: E402

PROG = "kmbench_report"
# The page's sections after the Summary and the links, in this order: one module each under
# report/sections/, holding the section's data extraction and its HTML (sections/__init__.py).
# A new section is one new module and its name here.
SECTIONS = [
    "plots",
    "pages",
    "slab",
    "slabscale",
    "percpu",
    "falseshare",
    "remotefree",
    "server",
    "mempool",
    "vmalloc",
    "numa",
    "fragmentation",
    "trace",
    "programs",
    "latency",
    "memory",
    "callgraph",
    "results",
    "backends",
    "state",
    "machine",
    "counters",
    "context",
]
SUMMARY = importlib.import_module("sections.summary")


def section(name):
    """The module of a section of SECTIONS."""
    return importlib.import_module(f"sections.{name}")


def run_id(data):
    """The context's run id, else the first run's kmbench.run_id."""
    ctx = data.get("context") or {}
    for run in [ctx] + [r.get("kmbench") for r in data["benchmarks"] if isinstance(r, dict)]:
        if isinstance(run, dict) and run.get("run_id"):
            return str(run["run_id"])
    return None


def header(title, ctx, run, path):
    items = [
        ("run id", run), ("date", ctx.get("date")), ("host", ctx.get("host_name")),
        ("CPU model", ctx.get("cpu_model")), ("kernel", ctx.get("kernel")),
        ("build type", ctx.get("build_type")), ("git commit", ctx.get("git_commit")),
        ("compiler", ctx.get("compiler")), ("kmbench", ctx.get("kmbench_version")),
        ("CPUs", ctx.get("num_cpus")), ("pinning", ctx.get("pin_policy")),
        ("results file", os.path.basename(path)),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc('unknown' if v is None else v)}</dd>"
                 for k, v in items)
    return f"<header><h1>{esc(title)}</h1><dl class=\"meta\">{dl}</dl></header>"


def nav(sections):
    """Links to the sections: [(anchor, title)]."""
    return "<nav>" + "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in sections) + "</nav>"


PARTS = []   # the parts render_parts() hands its workers, by their index (inherited by fork)


def render_part(i):
    return PARTS[i]()


def cost(part):
    """A part's drawing time as its section estimates it (sections/__init__.py: COST; kr.weigh()),
    else 1: the order render_parts() hands the parts out in."""
    return getattr(part, "cost", 1)


def hand_out(parts):
    """The indices of parts in the order the workers are handed them: the dearest (cost())
    first, in the page's order among equals."""
    return sorted(range(len(parts)), key=lambda i: -cost(parts[i]))


def render_parts(sections, jobs=1):
    """Each section's HTML: its parts' (functions of no arguments) joined in order. With jobs
    above 1, the parts are drawn by that many processes forked from this one (multiprocessing,
    so the figures of a big run take a core each; a part is handed over by its index, its HTML
    comes back), the dearest first (cost()): in the page's order a figure of seconds drawn last
    kept one worker busy while the others had nothing left. The page is the same as with jobs
    1: each part's HTML goes back to its place."""
    flat = [part for parts in sections for part in parts]
    if jobs > 1 and len(flat) > 1:
        import multiprocessing
        order = hand_out(flat)
        PARTS[:] = flat
        # The parsed file (a million objects on the full preset) out of the collector's reach
        # while the workers run (Python's gc.freeze() documentation): a collection in a worker
        # would write into every object's header, copying all of the parent's pages it forked
        # with (half the report's system time, in page faults).
        frozen = gc.get_freeze_count()
        gc.freeze()
        try:
            with multiprocessing.get_context("fork").Pool(min(jobs, len(flat))) as pool:
                drawn = pool.map(render_part, order, chunksize=1)
        finally:
            if not frozen:      # main() froze the file for good; a test's render() did not
                gc.unfreeze()
            PARTS.clear()
        done = [None] * len(flat)
        for i, html in zip(order, drawn):
            done[i] = html
    else:
        done = [part() for part in flat]
    out, i = [], 0
    for parts in sections:
        out.append("\n".join(h for h in done[i:i + len(parts)]))
        i += len(parts)
    return out


def render(data, path, title=None, found=None, jobs=1, cells=None):
    """The page of the results data (read from path); found and cells: kms.findings() and
    kr.cells() of it, where the caller has them already (the full preset's cells take seconds);
    jobs: the processes that draw the sections (render_parts())."""
    ctx = data.get("context") or {}
    cells = kr.cells(data["benchmarks"]) if cells is None else cells
    counters_ctx = ctx.get("counters") if isinstance(ctx.get("counters"), dict) else {}
    found = kms.findings(cells, ctx) if found is None else found
    run = kr.Run(data, ctx, cells, kr.backend_order(ctx, cells), counters_ctx, found, path)
    rid = run_id(data)
    title = title or f"kmbench results: {rid or os.path.basename(path)}"
    made = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    modules = [section(name) for name in SECTIONS]
    htmls = render_parts([m.parts(run) if hasattr(m, "parts") else
                          [kr.weigh(getattr(m, "COST", 1), lambda m=m: m.render(run))]
                          for m in modules], jobs)
    sections = [(m.ANCHOR, m.TITLE, html) for m, html in zip(modules, htmls)]
    sections = [s for s in sections if s[2]]   # "" where the file has nothing for it
    body = "\n".join(
        [header(title, ctx, rid, path), SUMMARY.render(run), nav([s[:2] for s in sections])]
        + [s[2] for s in sections]
        + [f'<p class="note">Generated by report/kmbench_report.py on {esc(made)}.</p>'])
    return document(title, body)


def terminal_summary(data, found, cells):
    """The findings as the lines --summary prints: kms.terminal(), then the counts."""
    ctx = data.get("context") or {}
    return kms.terminal(found, cells) + [SUMMARY.counts(ctx, cells, kr.backend_order(ctx, cells))]


def write_atomic(path, text):
    """Write text to path through a temporary file in the same directory and os.replace."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".kmbench-report-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def publish(out, page, summary):
    """Write page to out atomically; then print summary()'s lines and "report:  OUT" (with
    --summary), or the path alone.  Exit status: 0, or 1 when out cannot be written."""
    try:
        write_atomic(out, page)
    except OSError as e:
        print(f"{PROG}: error: cannot write {out}: {e.strerror or e}", file=sys.stderr)
        return 1
    if summary:
        print("\n".join(summary()))
        print(f"report:  {out}")
    else:
        print(out)
    return 0


def compare_main(args):
    """Compare mode: the runs of args.results, each against the first."""
    import kmb_compare as kc
    try:
        runs = [kc.Run(p) for p in args.results]
    except kr.ResultsError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    out = args.output or "compare.html"
    try:
        page = kc.render(runs, args.title)
    except ImportError as e:
        print(f"{PROG}: error: the compare mode's U test needs scipy (Debian: python3-scipy): "
              f"{e}", file=sys.stderr)
        return 1
    return publish(out, page, args.summary and (lambda: kc.terminal(runs[0], runs[1:])))


MAX_JOBS = 8


def default_jobs():
    """The CPUs this process may run on, at most MAX_JOBS."""
    try:
        return max(1, min(len(os.sched_getaffinity(0)), MAX_JOBS))
    except (AttributeError, OSError):
        return 1


def positive(text):
    """argparse's type of --jobs: an integer of 1 or more."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes: give 1 or more")
    return n


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Render a kmbench results file as one "
                                 "self-contained HTML page.")
    ap.add_argument("results", nargs="+", help="results.json written by kmbench run (or its "
                    "run directory); several: compare them, each against the first")
    ap.add_argument("-o", "--output", help="HTML file to write (default: index.html beside "
                    "RESULTS; compare.html in this directory when comparing)")
    ap.add_argument("--title", help="page title (default: from the run id)")
    ap.add_argument("--summary", action="store_true", help="also print the run's findings (the "
                    "page's Summary) as text, then the page's path as \"report:  PATH\"")
    ap.add_argument("--jobs", type=positive, default=default_jobs(), metavar="N",
                    help="processes drawing the figures (default: the CPUs this process may "
                    f"use, at most {MAX_JOBS})")
    args = ap.parse_args(argv)
    if len(args.results) > 1:
        return compare_main(args)
    args.results = args.results[0]
    if os.path.isdir(args.results):
        args.results = os.path.join(args.results, "results.json")
    try:
        data = kr.load(args.results)
    except kr.ResultsError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    # The file's objects live until this process ends: out of the collector's reach, each full
    # collection no longer walks them all (a second each on the full preset's, several times
    # over while the cells and findings are computed).
    gc.freeze()
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(args.results)),
                                      "index.html")
    cells = kr.cells(data["benchmarks"])
    found = kms.findings(cells, data.get("context") or {})
    page = render(data, args.results, args.title, found, args.jobs, cells)
    return publish(out, page, args.summary and (lambda: terminal_summary(data, found, cells)))


if __name__ == "__main__":
    sys.exit(main())
