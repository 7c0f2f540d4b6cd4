"""The rehearsal's checks of every page it reaches (issue 12 item 1), in one place: `check_page(page, role, name)`.

A page is watched from the moment its browser context opens (`watch`): console errors, uncaught exceptions and any
request to a host other than the app are collected as they happen; `check_page` then asserts there are none, that
no English UI word is left, and records the page's load time from the browser's own Navigation Timing. `report`
prints the table of load times at the end, flagging pages over SLOW_MS. `screenshot` saves the guides' pictures
(docs/guide/img/, `make screenshots`) when SCREENSHOTS_DIR is set.
"""
import io
import os
import re
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.browser.accessibility import assert_accessible
from tests.browser.test_smoke import _TEXTS_JS, ENGLISH

SLOW_MS = 1000
# Kept small for the guides and the repository: viewport only, palette-quantised PNG.
SCREENSHOT_MAX_BYTES = 100 * 1024  # the project commits no binary over 100 KB

# The pictures the guides (docs/guide/*.md) reference as img/<name>.png; the rehearsal saves every one of them.
SCREENSHOT_NAMES = (
    "city-schedule", "city-units", "city-dashboard", "city-permissions", "city-experts", "city-assignment",
    "city-review-progress", "city-ranking", "city-shortlist", "city-objections", "city-approval", "city-jobs",
    "first-accounts", "first-import", "first-applications", "first-decision",
    "second-applications", "second-decision",
    "citizen-register", "citizen-form", "citizen-video-progress", "citizen-photo-refused", "citizen-video-refused",
    "citizen-status",
    "expert-todo", "expert-score",
    "public-gongshi", "public-objection", "public-mingdan", "public-certificate",
    "auditor-audit-log",
)

# The browser's timing of the document now shown: its time origin (unique per document) and how long it took from
# the request to the end of its load event (to DOMContentLoaded when the load event has not ended yet).
_TIMING_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  if (!nav) return null;
  const end = nav.loadEventEnd || nav.domContentLoadedEventEnd || nav.responseEnd;
  return {origin: performance.timeOrigin, ms: end - nav.startTime};
}"""


@dataclass
class Timing:
    role: str
    name: str
    ms: float


@dataclass
class Watch:
    """What one page did that a check must see: problems (console errors, exceptions, other hosts) and the
    documents already timed."""
    app_netloc: str
    timings: list
    problems: list = field(default_factory=list)
    timed: set = field(default_factory=set)
    audited: set = field(default_factory=set)


_WATCHES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def watch(page, app_netloc: str, timings: list) -> None:
    """Start watching `page` (before its first navigation); its load times go into `timings`."""
    state = Watch(app_netloc, timings)
    _WATCHES[page] = state

    def on_request(request):
        url = request.url
        if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != app_netloc:
            state.problems.append(f"request to another host from {page.url}: {url}")

    page.on("request", on_request)
    page.on("console", lambda m: m.type == "error" and state.problems.append(f"console error on {page.url}: {m.text}"))
    page.on("pageerror", lambda error: state.problems.append(f"uncaught exception on {page.url}: {error}"))


def page_name(url: str) -> str:
    """A page's name in the table: its path, ids replaced (/applications/show/<id>)."""
    path = urlsplit(url).path
    return re.sub(r"/(\d+|[0-9a-f-]{20,}|[\w-]{20,}|[0-9A-Z]{4}(?:-[0-9A-Z]{4})+)(?=/|$)", "/<id>", path)


def check_page(page, role: str, name: str | None = None) -> None:
    """Every page of the rehearsal, once reached: no English UI word, no console error or exception, no request to
    another host; its load time recorded (once per document); no critical or serious axe-core finding."""
    state = _WATCHES[page]
    page.wait_for_load_state("load")
    name = name or page_name(page.url)
    english = sorted({m.group(0) for text in page.evaluate(_TEXTS_JS) for m in ENGLISH.finditer(text)})
    assert not english, f"English left on {page.url} ({role}): {english}"
    assert not state.problems, "\n".join(state.problems)
    timing = page.evaluate(_TIMING_JS)
    if timing is not None and timing["origin"] not in state.timed:
        state.timed.add(timing["origin"])
        state.timings.append(Timing(role, name, round(timing["ms"])))
    # axe-core (GB/T 37668-2019, WCAG 2.0 AA): no critical or serious finding, once per page and role (a page seen
    # again in the same state costs seconds and finds nothing new).
    if (role, name) not in state.audited:
        state.audited.add((role, name))
        assert_accessible(page, f"{role} · {name}")


def expect_console_error(page, text: str) -> None:
    """A console error the page is meant to log, taken off its problems: Chromium logs every 4xx answer to a fetch,
    such as an upload refused with 422 and its message shown at the field."""
    problems = _WATCHES[page].problems
    matching = [p for p in problems if p.startswith("console error") and text in p]
    assert matching, f"expected a console error with {text!r}, got {problems}"
    problems.remove(matching[0])


def problems_of(page) -> list:
    return _WATCHES[page].problems


def report(timings: list) -> str:
    """The table of load times (page, role, ms), slowest first, pages over SLOW_MS flagged."""
    slowest = {}
    for t in timings:
        key = (t.name, t.role)
        slowest[key] = max(slowest.get(key, 0), t.ms)
    rows = sorted(slowest.items(), key=lambda item: -item[1])
    width = max([len(name) for (name, _role), _ms in rows] + [4])
    lines = [f"{'page':<{width}}  {'role':<8}  {'ms':>6}", "-" * (width + 20)]
    for (name, role), ms in rows:
        lines.append(f"{name:<{width}}  {role:<8}  {ms:>6}{'  > 1 s' if ms > SLOW_MS else ''}")
    slow = sum(1 for _key, ms in rows if ms > SLOW_MS)
    lines.append(f"{len(rows)} pages (by role), {len(timings)} page loads; {slow} over {SLOW_MS} ms")
    return "\n".join(lines)


def screenshots_dir() -> Path | None:
    folder = os.environ.get("SCREENSHOTS_DIR", "").strip()
    return Path(folder) if folder else None


def screenshot(page, name: str, saved: list | None = None) -> None:
    """The guides' picture `name` (SCREENSHOT_NAMES) of the viewport, when SCREENSHOTS_DIR is set: quantised to a
    palette and optimised, under SCREENSHOT_MAX_BYTES."""
    assert name in SCREENSHOT_NAMES, f"{name} is not one of the guides' screenshots"
    folder = screenshots_dir()
    if folder is None:
        return
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(full_page=False))).convert("RGB")
    data = _small_png(image)
    assert len(data) < SCREENSHOT_MAX_BYTES, f"{name}.png is {len(data)} bytes"
    (folder / f"{name}.png").write_bytes(data)
    if saved is not None:
        saved.append(name)


def _small_png(image) -> bytes:
    """The fewest colours (and, for a phone's double-density picture, the size) that keep it under the limit."""
    from PIL import Image

    for scale in (1, 0.75, 0.5):
        scaled = image if scale == 1 else image.resize(
            (int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
        for colours in (128, 64, 32):
            out = io.BytesIO()
            scaled.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
                out, "PNG", optimize=True)
            if out.tell() < SCREENSHOT_MAX_BYTES:
                return out.getvalue()
    return out.getvalue()
