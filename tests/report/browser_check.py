"""A page checked by headless Chromium itself, over the DevTools protocol on a pipe.

Chromium started with --remote-debugging-pipe reads protocol commands on its fd 3 and writes
responses and events on its fd 4, each a JSON message ended by a NUL byte (Chromium's
content/browser/devtools/devtools_pipe_handler.cc); so the client needs neither a websocket
library nor a port.  One Browser is one Chromium and one tab; check() loads a page in it and
returns the page's problems, each one line:

  - a console error or assertion (Runtime.consoleAPICalled), an uncaught exception
    (Runtime.exceptionThrown), or an error the browser logged (Log.entryAdded, level error:
    a resource that did not load, for instance);
  - a <script> element (the report is script-free by design: what runs in the page is this
    client's own expressions, evaluated from outside);
  - an <img> not decoded (decode() failed, not complete, or naturalWidth 0); a PNG data: URI
    cut short (not ending in the IEND chunk: Chromium draws a truncated PNG as far as it goes,
    without an error); or an image blank: drawn to a canvas (at most SAMPLE px on its long
    side), more than BLANK of its pixels are one colour;
  - an inline <svg> that draws nothing (no area), or draws a blank image (the same test, the
    element serialised and drawn as an image);
  - at each width asked for, the page wider than the viewport (the root's scrollWidth over
    innerWidth), naming the outermost elements that stick out (tag#id.class, their width, and
    the nearest ancestor with an id) and are not inside a scrolling or clipping box.

The images and widths are checked with every <details> unfolded, as a reader may unfold them.
check() with a screenshot path also writes a full-page PNG at the first width, folded as the
page comes (tmp + rename), or its top only where a height is given.  dom() then returns the page
as Chromium built it, serialised as `chromium --dump-dom` prints it.

Not a test module itself (ctest runs tests/report/test_*.py only).
"""
import base64
import fcntl
import json
import os
import select
import signal
import subprocess
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 60        # one command or one page load; Chromium is killed past it
WIDTHS = (1280, 800)  # a laptop's width and a narrow window's
HEIGHT = 900
SAMPLE = 256          # an image is drawn to at most this many px on its long side to be judged
BLANK = 0.998         # and is blank when more than this share of its pixels are one colour

# Evaluated in the page after its load event: what the page's images and scripts are.  Every
# <img> is awaited (decode()) so that a late decode is not taken for a broken image.
IMAGES_JS = """(async () => {
  const SAMPLE = %d, PNG = "data:image/png;base64,", IEND = "IEND\\xae\\x42\\x60\\x82";
  function spread(source, w, h) {
    const s = Math.min(1, SAMPLE / Math.max(w, h));
    const cw = Math.max(1, Math.round(w * s)), ch = Math.max(1, Math.round(h * s));
    const c = document.createElement("canvas");
    c.width = cw; c.height = ch;
    const g = c.getContext("2d", {willReadFrequently: true});
    g.drawImage(source, 0, 0, cw, ch);
    const px = new Uint32Array(g.getImageData(0, 0, cw, ch).data.buffer), counts = new Map();
    let most = 0;
    for (const k of px) {
      const n = (counts.get(k) || 0) + 1;
      counts.set(k, n);
      if (n > most) most = n;
    }
    return most / px.length;
  }
  function name(el, i) {
    const alt = el.getAttribute("alt") || el.getAttribute("aria-label") || el.id || "";
    return el.tagName.toLowerCase() + " " + i + (alt ? " '" + alt.slice(0, 80) + "'" : "");
  }
  const out = {scripts: document.scripts.length, images: []};
  const imgs = Array.from(document.images);
  const decoded = await Promise.all(imgs.map(i => i.decode().then(() => true, () => false)));
  imgs.forEach((img, i) => {
    const r = {name: name(img, i), decoded: decoded[i] && img.complete && img.naturalWidth > 0};
    if (img.src.startsWith(PNG)) {
      try { r.whole = atob(img.src.slice(PNG.length)).endsWith(IEND); }
      catch (e) { r.whole = false; }
    }
    if (r.decoded) {
      try { r.one_colour = spread(img, img.naturalWidth, img.naturalHeight); }
      catch (e) { r.error = String(e); }
    }
    out.images.push(r);
  });
  const svgs = Array.from(document.querySelectorAll("svg")).filter(
    s => !s.parentElement.closest("svg"));
  for (const [i, svg] of svgs.entries()) {
    const box = svg.getBoundingClientRect();
    const r = {name: name(svg, i), decoded: box.width >= 1 && box.height >= 1};
    if (r.decoded) {
      try {
        const im = new Image();
        im.src = "data:image/svg+xml;charset=utf-8," +
          encodeURIComponent(new XMLSerializer().serializeToString(svg));
        await im.decode();
        r.one_colour = spread(im, box.width, box.height);
      } catch (e) { r.error = String(e); }
    }
    out.images.push(r);
  }
  return out;
})()""" % SAMPLE

# Evaluated at each width: the page's width against the viewport's, and the outermost elements
# wider than the viewport that no scrolling or clipping ancestor hides.
WIDTH_JS = """(() => {
  const iw = window.innerWidth, sw = document.documentElement.scrollWidth;
  const out = {inner: iw, scroll: sw, wide: []};
  if (sw <= iw) return out;
  const sticks = el => el.getBoundingClientRect().right > iw + 0.5;
  function hidden(el) {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement)
      if (getComputedStyle(p).overflowX !== "visible") return true;
    return false;
  }
  function name(el) {
    let s = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
    for (const c of el.classList) s += "." + c;
    const alt = el.getAttribute("alt");
    return s + (alt ? " '" + alt.slice(0, 80) + "'" : "");
  }
  for (const el of document.body.querySelectorAll("*")) {
    if (!sticks(el) || (el.parentElement && el.parentElement !== document.documentElement &&
                        sticks(el.parentElement)) || hidden(el))
      continue;
    const where = el.id ? null : el.parentElement.closest("[id]");
    out.wide.push(name(el) + " (" + Math.round(el.getBoundingClientRect().width) + " px" +
                  (where ? ", in #" + where.id : "") + ")");
    if (out.wide.length >= 8) break;
  }
  if (sticks(document.body)) out.wide.unshift(name(document.body) + " (" +
      Math.round(document.body.getBoundingClientRect().width) + " px)");
  return out;
})()"""


def high_fd(fd):
    """fd moved to the lowest free descriptor above 9."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


# Every <details> opened, so that what a reader unfolds is checked too; DETAILS_CLOSE folds
# again those that were folded, for the screenshot.
DETAILS_OPEN = """document.querySelectorAll("details:not([open])").forEach(d => {
  d.open = true; d.dataset.kmbFolded = ""; })"""
DETAILS_CLOSE = """document.querySelectorAll("details[data-kmb-folded]").forEach(d => {
  d.open = false; delete d.dataset.kmbFolded; })"""


class ProtocolError(Exception):
    """Chromium answered a command with an error, or did not answer in time."""


class Browser:
    """One headless Chromium with one tab, driven over --remote-debugging-pipe.  A context
    manager: Chromium is started on entry, and closed on exit (its process group killed if
    it does not close)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.next_id = 0
        self.buf = b""
        self.events = []          # (method, params) of the tab's events since the last load
        self.session = None

    def __enter__(self):
        to_chrome, self.wfd = os.pipe()     # Chromium reads to_chrome as its fd 3
        self.rfd, from_chrome = os.pipe()   # and writes from_chrome as its fd 4
        # Both moved above 9 first, so that the shell's redirections below cannot overwrite
        # one with the other (os.pipe() may return 3 or 4 itself).
        to_chrome, from_chrome = (high_fd(to_chrome), high_fd(from_chrome))
        profile = tempfile.mkdtemp(prefix="profile-", dir=self.workdir)
        self.log = os.path.join(self.workdir, "chromium.log")
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--no-first-run", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-quic", "--mute-audio",
                "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"]
        # bash puts the pipes at fds 3 and 4 before Chromium starts: no preexec_fn, which is
        # unsafe beside the threads that render the reports; not sh, as dash redirects fds 0-9
        # only.
        shell = f'exec "$@" 3<&{to_chrome} 4>&{from_chrome} {to_chrome}<&- {from_chrome}>&-'
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(["/bin/bash", "-c", shell, "bash", *args],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                         pass_fds=(to_chrome, from_chrome),
                                         env=dict(os.environ, HOME=self.workdir),
                                         start_new_session=True)
        os.close(to_chrome)
        os.close(from_chrome)
        try:
            target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.send("Target.attachToTarget",
                                     {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        """Close Chromium as a user would (so it reaps its renderers), killing its process
        group when it does not close in time."""
        try:
            os.write(self.wfd, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        os.close(self.wfd)
        os.close(self.rfd)

    def log_tail(self):
        with open(self.log, errors="replace") as f:
            return f.read()[-2000:]

    def receive(self, deadline):
        """The next message from Chromium, waiting until deadline (time.monotonic())."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise ProtocolError(f"chromium sent nothing in {TIMEOUT_S} s; its log:\n"
                                    + self.log_tail())
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                raise ProtocolError("chromium closed the pipe; its log:\n" + self.log_tail())
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def keep(self, msg):
        """Keep an event of the tab's session; ignore the browser's own."""
        if "method" in msg and msg.get("sessionId") == self.session:
            self.events.append((msg["method"], msg.get("params", {})))

    def send(self, method, params=None):
        """Send one command (to the tab once attached) and return its result."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self.wfd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self.receive(deadline)
            if reply.get("id") != self.next_id:
                self.keep(reply)
                continue
            if "error" in reply:
                raise ProtocolError(f"{method}: {reply['error']}")
            return reply["result"]

    def evaluate(self, expression):
        """The value of a JavaScript expression (a promise awaited) in the tab."""
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise ProtocolError(f"evaluating the check threw: {res['exceptionDetails']}")
        return res["result"].get("value")     # none for undefined

    def resize(self, width):
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": HEIGHT,
                                                         "deviceScaleFactor": 1,
                                                         "mobile": False})

    def load(self, url, width):
        """Load url at width and wait for its load event."""
        self.resize(width)
        self.events = []
        nav = self.send("Page.navigate", {"url": url})
        if nav.get("errorText"):
            raise ProtocolError(f"{url}: {nav['errorText']}")
        deadline = time.monotonic() + TIMEOUT_S
        while not any(m == "Page.loadEventFired" for m, _ in self.events):
            self.keep(self.receive(deadline))

    def screenshot(self, path, height=None):
        """A full-page PNG of the tab at its current width, written to path (tmp + rename); its
        top height px only, where height is given."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        if height:
            size["height"] = min(size["height"], height)
        # optimizeForSpeed: zlib's fastest level, which halves the CPU time a tall page's
        # capture takes here (2 s against 4.5 s for results-quick's 1280 x 16716 px page) for
        # a file 28% larger.
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "optimizeForSpeed": True, "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})
        tmp = f"{path}.tmp"
        with open(tmp, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        os.replace(tmp, path)

    def check(self, url, widths=WIDTHS, screenshot=None, height=None):
        """Load url and return its problems (see the module's comment), one line each; a
        screenshot path: a full-page PNG there (its top height px, where given), at
        widths[0]."""
        self.load(url, widths[0])
        self.evaluate(DETAILS_OPEN)
        images = self.evaluate(IMAGES_JS)
        problems = []
        for i, width in enumerate(widths):
            if i:
                self.resize(width)
            w = self.evaluate(WIDTH_JS)
            if w["scroll"] > w["inner"]:
                problems.append(f"at {width} px the page is {w['scroll']} px wide; too wide: "
                                + ("; ".join(w["wide"]) or "no element found"))
        if screenshot:
            self.evaluate(DETAILS_CLOSE)
            self.resize(widths[0])
            self.screenshot(screenshot, height)
        self.evaluate("0")        # every event the page sent before this is in self.events
        problems[:0] = console_problems(self.events)
        if images["scripts"]:
            problems.append(f"{images['scripts']} <script> element(s): the report is "
                            "script-free")
        for img in images["images"]:
            what = img["name"]
            if not img["decoded"]:
                problems.append(f"{what}: not decoded (nothing drawn)")
            elif img.get("whole") is False:
                problems.append(f"{what}: its PNG data is cut short (no IEND chunk at its end)")
            elif "error" in img:
                problems.append(f"{what}: cannot be read back: {img['error']}")
            elif img["one_colour"] > BLANK:
                problems.append(f"{what}: blank ({img['one_colour']:.2%} of it one colour)")
        return problems

    def dom(self):
        """The loaded page's DOM as Chromium built it, serialised as `chromium --dump-dom`
        prints it (the doctype, a newline, the root's outerHTML: results-pages.json's page
        gave the same text but --dump-dom's final newline), with every <details> that check()
        unfolded folded again."""
        self.evaluate(DETAILS_CLOSE)
        return self.evaluate("(document.doctype ? new XMLSerializer().serializeToString("
                             "document.doctype) + '\\n' : '') + "
                             "document.documentElement.outerHTML")


def console_problems(events):
    """The console errors, uncaught exceptions and logged errors among a tab's events."""
    out = []
    for method, p in events:
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            out.append(f"console.{p['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            out.append("exception: " + d.get("exception", {}).get("description", d["text"]))
        elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
            e = p["entry"]
            out.append(f"error logged ({e['source']}): {e['text']} {e.get('url', '')}".rstrip())
    return out
