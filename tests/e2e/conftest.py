"""The rehearsal and the accessibility sweep run on the browser tests' live server and Debian's Chromium
(tests/browser/conftest.py); `make e2e` runs them (and .ci/run, on PostgreSQL), `make test` leaves them out."""
from tests.browser.conftest import browser, live_server, page, phone_page, requested_urls  # noqa: F401 (fixtures)
