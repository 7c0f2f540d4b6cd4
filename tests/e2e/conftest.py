"""The rehearsal runs on the browser tests' live server and Debian's Chromium (tests/browser/conftest.py)."""
from tests.browser.conftest import browser, live_server  # noqa: F401  (fixtures, shared with tests/browser)
