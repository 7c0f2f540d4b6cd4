"""An export in a real browser (R-OPS-7): 导出 Excel on the application list starts a background job, the job's page
polls its progress (static/js/job-progress.js, under the Content-Security-Policy), the bar reaches 100 % once a real
Huey worker has run it, and 下载 saves the workbook."""
import io
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app import clock, jobs, roles
from app.models import Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


@pytest.fixture
def sqlite_queue(app, tmp_path):
    """A real SQLite queue in place of the immediate one, and a consumer to start when the test says so."""
    with app.app_context():
        immediate = app.extensions["huey"]
        queue = jobs.make_huey({**app.config, "JOBS_IMMEDIATE": False, "REDIS_URL": None, "JOBS_REDIS_URL": None,
                                "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db")}, app)
        app.extensions["huey"] = queue
    consumer = queue.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.05,
                                     max_delay=0.2)
    consumer._set_signal_handlers = lambda: None  # threads only: the process's signals stay pytest's
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        app.extensions["huey"] = immediate


def test_the_export_button_shows_progress_and_downloads_the_file(page, sqlite_queue):
    clock.freeze(None)  # the worker's thread and the page's polls share the running clock
    factories.campaign(name="2026年第一批", open_stage=Stage.L2_REVIEW, at=clock.now())
    _district, (street, _sibling) = factories.district_with_streets()
    for name in ("王学习", "李读书", "赵终身"):
        factories.application(unit=street, name=name)
    clerk = factories.account(roles.L2_CLERK, unit=street, username="street_clerk")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto("/login/")
    page.fill("#username", clerk.username)
    page.fill("#password", factories.PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto("/applications/list/")
    with page.expect_navigation():
        page.click("text=导出 Excel")
    assert re.fullmatch(r"/jobs/[\w-]{20,}", urlsplit(page.url).path), page.url
    bar = page.locator(".progress-bar")
    # No worker yet: the job waits in the queue, the bar at 0 %, no 下载.
    expect(page.locator(".job-state")).to_have_text("排队中")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(page.locator(".job-download")).to_be_hidden()

    sqlite_queue.start()  # the worker picks the job up; the page learns it by polling
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=20_000)
    expect(bar).to_have_text("100%")
    expect(page.locator(".job-state")).to_have_text("已完成")
    download_button = page.locator(".job-download")
    expect(download_button).to_be_visible()
    expect(download_button).to_have_text(re.compile("下载"))
    with page.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.suggested_filename.startswith("报名信息-2026年第一批-中关村街道-全部-")
    workbook = load_workbook(io.BytesIO(open(download.path(), "rb").read()), read_only=True)
    rows = [[cell.value for cell in row] for row in workbook.worksheets[0].iter_rows()]
    assert {row[1] for row in rows[1:]} == {"王学习", "李读书", "赵终身"}
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
