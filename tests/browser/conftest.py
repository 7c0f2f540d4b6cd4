"""Browser fixtures: the test app served over HTTP from a background thread, and Debian's Chromium via Playwright.

Never a downloaded browser build (`playwright install`): /usr/bin/chromium comes from `make browser-deps`.
Without it the browser tests are skipped locally, and fail on CI (CI set), where a skip would hide them.
"""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str):
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{reason} (CI is set: browser tests must run, not be skipped; run `make browser-deps`)")
    pytest.skip(reason)


class LiveServer:
    def __init__(self, app):
        # Port 0: the OS picks a free port; threaded so the page's parallel asset requests are served at once.
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.host = "127.0.0.1"
        self.port = self._server.server_port
        self.netloc = f"{self.host}:{self.port}"
        self.url = f"http://{self.netloc}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._server.shutdown()  # stops serve_forever and waits for it
        self._server.server_close()
        self._thread.join(timeout=5)
        assert not self._thread.is_alive(), "live server thread did not stop"


@pytest.fixture(scope="session")
def live_server(app):
    """The session's test app over HTTP on 127.0.0.1 and a free port.

    Each request in the server thread gets its own app context and so its own DB session: it sees what the
    test committed (the factories commit), and the `_clean` fixture empties the tables after each test as usual.
    """
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium and CJK fonts")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def requested_urls():
    """Every URL the `page` or `phone_page` requested (documents, styles, scripts, fonts, images, XHR...), in order."""
    return []


# A phone held upright (an iPhone 12-14's CSS size): most citizens apply from their phones.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def _open_page(browser, live_server, requested_urls, **options):
    """A new browser context (own cookies) and its page, recording the page's requests into `requested_urls`."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("request", lambda request: requested_urls.append(request.url))
    return context, page


@pytest.fixture
def page(live_server, browser, requested_urls):
    """A fresh page in its own browser context (own cookies), recording its requests into `requested_urls`.

    live_server comes first so that, at the end of the session, the browser (and its keep-alive connections)
    is closed before the server stops.
    """
    context, page = _open_page(browser, live_server, requested_urls, viewport={"width": 1280, "height": 900})
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def phone_page(live_server, browser, requested_urls):
    """Like `page`, on a phone-sized touch screen (PHONE)."""
    context, page = _open_page(browser, live_server, requested_urls, **PHONE)
    try:
        yield page
    finally:
        context.close()
