"""Section "Machine": the machine the run measured, as the results file records it.

- The topology, drawn here as inline SVG from context.topology.hwloc_xml (the hwloc XML that
  kmbench run exports at its start, numa/topology.c kmb_topo_export_xml): packages, their NUMA
  nodes, cores and PUs (hardware threads), each PU the run pinned a thread to filled, and a
  table of the CPUs per thread count (the runs' kmbench.cpus, the pin plan they ran with).
  Drawn here rather than by lstopo so that the page needs no tool at report time, stays one
  self-contained file and can mark any PU; lstopo --input FILE --of svg draws the same XML in
  full (caches too) where wanted. Without hwloc_xml (a file from before it was recorded), the
  counts of context.topology and a note.
- The environment checks of context.environment (harness/env.c: governor, turbo, SMT, ...),
  warnings first.
- The counters: how many are available and unavailable, linked to the Counters section, which
  lists them with their reasons.
"""
import xml.etree.ElementTree as ET

from kmb_html import esc, head_cells, scroll_box, table

ANCHOR = "machine"
TITLE = "Machine"

PU_W, PU_H = 46, 22          # a PU's box, SVG user units (px at scale 1)
PAD, LABEL_H = 5, 16         # inner padding of a box and the height of its label line
CORE_COLS = 4                # cores per row inside a NUMA node (or package), at most
USED, FREE = "#0072B2", "#ffffff"   # Okabe-Ito blue: a PU a thread ran on
FILL = {"machine": "#f4f6f8", "package": "#e8edf2", "numa": "#dde8d6", "core": "#f9fafb"}
# harness/env.c kmb_env_status_name(): warnings first, then what could not be checked.
STATUS_ORDER = {"warning": 0, "unavailable": 1, "info": 2, "ok": 3}


class TopologyError(Exception):
    """The hwloc XML cannot be read; the message says why."""


def cpuset(text):
    """The set of CPU numbers of an hwloc bitmap string: comma-separated 32-bit hex words,
    most significant first ("0x00000003", "0x0000ffff,0xffffffff"); an "0xf...f," prefix (an
    infinite set) is not a CPU list and is ignored."""
    if not text:
        return set()
    words = text.split(",")
    out = set()
    for k, w in enumerate(reversed(words)):
        w = w.strip()
        if not w or w.lower() == "0xf...f":
            continue
        v = int(w, 16)
        out |= {32 * k + b for b in range(32) if v >> b & 1}
    return out


def parse(xml_text):
    """{"packages": [{"index", "nodes": [{"index", "memory", "cores": [[pu os_index...]]}]}]}
    from hwloc XML (hwloc 2: NUMA nodes are memory children beside the CPU tree). Cores are
    grouped under the NUMA node whose cpuset holds their PUs (node None: none does); a machine
    without Package objects is one package, one without Core objects has a core per PU."""
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as e:
        raise TopologyError(f"hwloc XML does not parse: {e}") from None
    objs = list(root.iter("object"))
    if not any(o.get("type") == "PU" for o in objs):
        raise TopologyError("hwloc XML has no PU object")
    nodes = [(int(o.get("os_index", -1)), cpuset(o.get("cpuset")), int(o.get("local_memory", 0)))
             for o in objs if o.get("type") == "NUMANode"]

    def pus_of(o):
        return sorted(int(p.get("os_index", -1)) for p in o.iter("object")
                      if p.get("type") == "PU")

    def cores_of(o):
        cores = [pus_of(c) for c in o.iter("object") if c.get("type") == "Core"]
        return cores or [[p] for p in pus_of(o)]

    machine = next((o for o in objs if o.get("type") == "Machine"), root)
    packages = [o for o in objs if o.get("type") == "Package"] or [machine]
    out = []
    for k, pkg in enumerate(packages):
        by_node = {}
        for core in cores_of(pkg):
            node = next((i for i, n in enumerate(nodes) if set(core) <= n[1]), None)
            by_node.setdefault(node, []).append(core)
        groups = [{"index": None if i is None else nodes[i][0],
                   "memory": 0 if i is None else nodes[i][2], "cores": cs}
                  for i, cs in by_node.items()]
        groups.sort(key=lambda g: (g["index"] is None, g["index"] or 0))
        out.append({"index": int(pkg.get("os_index", k)) if pkg is not machine else None,
                    "nodes": groups})
    return {"packages": out}


def ran_on(cells_, benchmarks):
    """{threads: sorted CPU numbers} the runs' kmbench.cpus name, per thread count."""
    out = {}
    for r in benchmarks:
        k = r.get("kmbench") if isinstance(r, dict) else None
        cpus = k.get("cpus") if isinstance(k, dict) else None
        if isinstance(cpus, list) and all(isinstance(c, int) for c in cpus):
            out.setdefault(int(r.get("threads") or k.get("threads") or 1), set()).update(cpus)
    return {t: sorted(c) for t, c in sorted(out.items())}


class Box:
    """A laid-out box: its size, and its SVG at an offset."""

    def __init__(self, w, h, draw):
        self.w, self.h, self.draw = w, h, draw


def grid(children, cols):
    """Place children (Boxes) in rows of cols: [(x, y, box)], total width, total height."""
    out, y, width = [], 0, 0
    for i in range(0, len(children), cols):
        row, x = children[i:i + cols], 0
        for b in row:
            out.append((x, y, b))
            x += b.w + PAD
        width = max(width, x - PAD)
        y += max(b.h for b in row) + PAD
    return out, width, y - PAD if children else 0


def container(kind, label, children, cols):
    """A labelled box of kind around children laid out in a grid of cols."""
    placed, w, h = grid(children, cols)
    lh = LABEL_H if label else 0
    W, H = max(w, 60 if label else 0) + 2 * PAD, h + lh + 2 * PAD

    def draw(x, y):
        parts = [f'<g class="{kind}"><rect x="{x}" y="{y}" width="{W}" height="{H}" rx="4" '
                 f'fill="{FILL[kind]}" stroke="#6b7785"/>']
        if label:
            parts.append(f'<text x="{x + PAD}" y="{y + LABEL_H - 3}" font-size="12">'
                         f"{esc(label)}</text>")
        parts += [b.draw(x + PAD + cx, y + lh + PAD + cy) for cx, cy, b in placed]
        return "".join(parts) + "</g>"
    return Box(W, H, draw)


def pu_box(os_index, used):
    def draw(x, y):
        fill, ink = (USED, "#ffffff") if used else (FREE, "#1d232b")
        return (f'<g class="pu{" used" if used else ""}" data-cpu="{os_index}">'
                f'<rect x="{x}" y="{y}" width="{PU_W}" height="{PU_H}" fill="{fill}" '
                f'stroke="#1d232b"/><text x="{x + PU_W / 2}" y="{y + 15}" font-size="11" '
                f'text-anchor="middle" fill="{ink}">PU {os_index}</text></g>')
    return Box(PU_W, PU_H, draw)


def gib(n):
    return f"{n / 2**30:.1f} GiB" if n else "memory unknown"


def svg(topo, used):
    """The topology's inline SVG, the PUs in used filled."""
    pkgs = []
    for pkg in topo["packages"]:
        groups = []
        for g in pkg["nodes"]:
            cores = [container("core", "", [pu_box(p, p in used) for p in core], len(core))
                     for core in g["cores"]]
            label = None if g["index"] is None else f"NUMA node {g['index']} ({gib(g['memory'])})"
            groups.append(container("numa", label, cores, CORE_COLS) if label
                          else container("core", "", cores, CORE_COLS))
        name = "Machine" if pkg["index"] is None else f"Package {pkg['index']}"
        pkgs.append(container("package", name, groups, 1))
    top = container("machine", None, pkgs, 2)
    npu = sum(len(c) for p in topo["packages"] for g in p["nodes"] for c in g["cores"])
    return (f'<svg id="topology" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="0 0 {top.w} {top.h}" width="{top.w}" '
            f'style="max-width:100%;height:auto;display:block" font-family="sans-serif">'
            f"<title>The machine's topology: {npu} PUs, {len(used)} of them used by the run"
            f"</title>{top.draw(0, 0)}</svg>")


def topology_part(run):
    ctx_topo = run.ctx.get("topology") if isinstance(run.ctx.get("topology"), dict) else {}
    counts = ", ".join(f"{ctx_topo[k]} {k.replace('_', ' ')}" for k in
                       ("packages", "cores", "pus", "numa_nodes") if k in ctx_topo)
    plan = ran_on(run.cells, run.data.get("benchmarks") or [])
    used = {c for cpus in plan.values() for c in cpus}
    out = [f'<p>{esc(counts or "Topology not recorded")}'
           f'{"; pinning: " + esc(run.ctx["pin_policy"]) if run.ctx.get("pin_policy") else ""}'
           ".</p>"]
    xml_text = ctx_topo.get("hwloc_xml")
    if isinstance(xml_text, str) and xml_text:
        try:
            out.append(scroll_box(svg(parse(xml_text), used)))
            out.append('<p class="note">Filled: the PUs (hardware threads) the run\'s threads '
                       "were pinned to. Drawn from the hwloc XML the run recorded "
                       "(context.topology.hwloc_xml); <code>lstopo --input FILE --of svg</code> "
                       "draws it with its caches.</p>")
        except TopologyError as e:
            out.append(f'<p class="note">The topology cannot be drawn: {esc(e)}.</p>')
    else:
        out.append('<p class="note">No drawing: this results file has no hwloc XML '
                   "(context.topology.hwloc_xml, recorded by kmbench run since issue 19).</p>")
    if plan:
        rows = [f"<tr><td class=\"num\">{t}</td><td>{esc(', '.join(map(str, cpus)))}</td></tr>"
                for t, cpus in plan.items()]
        out.append(table("pin-table", head_cells(["threads", "CPUs the threads ran on"]), rows))
    return "".join(out)


def environment_part(ctx):
    checks = [c for c in ctx.get("environment") or [] if isinstance(c, dict)]
    if not checks:
        return ('<h3 id="machine-environment">Environment checks</h3><p class="note">Not in '
                "this results file (context.environment, written by kmbench run).</p>")
    checks.sort(key=lambda c: STATUS_ORDER.get(str(c.get("status")), 1))
    warned = [c for c in checks if c.get("status") == "warning"]
    rows = [f'<tr class="env-{esc(c.get("status"))}"><td>{esc(c.get("name"))}</td>'
            f'<td>{esc(c.get("value"))}</td><td>{esc(c.get("status"))}</td>'
            f'<td>{esc(c.get("message") or "")}</td></tr>' for c in checks]
    head = (f"{len(warned)} of {len(checks)} checks warn: "
            + ", ".join(str(c.get("name")) for c in warned) + "." if warned
            else f"None of the {len(checks)} checks warns.")
    return (f'<h3 id="machine-environment">Environment checks</h3><p>{esc(head)}</p>'
            + table("environment-table", head_cells(["check", "value", "status", "message"]),
                    rows))


def counters_part(counters_ctx):
    avail = counters_ctx.get("available") or []
    unavailable = counters_ctx.get("unavailable") or {}
    if not avail and not unavailable:
        return ""
    return (f"<p>Counters: {len(avail)} available, {len(unavailable)} unavailable (the reasons "
            'in <a href="#counters">Counters</a>).</p>')


def render(run):
    return (f'<h2 id="{ANCHOR}">{TITLE}</h2>' + topology_part(run)
            + environment_part(run.ctx) + counters_part(run.counters_ctx))
