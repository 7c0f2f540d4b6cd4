"""An export in a real browser (R-OPS-7): 导出 Excel on the application list starts a background job, the job's page
polls its progress (static/js/job-progress.js, under the Content-Security-Policy), the bar reaches 100 % once a real
Huey worker has run it, and 下载 saves the workbook. The page asks again sooner when the progress says the job is
nearly done (on the page's own clock, paused)."""
import io
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from app import clock, jobs, roles
from app.export_jobs import APPLICATIONS
from app.extensions import db
from app.models import Stage
from tests import factories
from tests.browser.signing import log_in

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


def test_the_job_page_asks_again_as_soon_as_the_progress_says_the_job_will_be_done(page):
    """The waits between the page's asks: data-poll's schedule (200 ms, then ×1.5 up to 1 s), cut short when the rows
    done since the first answer, at the pace they took, leave less to do (never under 200 ms), and every 200 ms once
    every row is done (only the file is left to finish). The answers are scripted; the page's clock is paused
    and moved by hand, so the asks come at exact times."""
    _district, (street, _sibling) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street, username="street_clerk")
    job = jobs.record(clerk, APPLICATIONS, "导出报名信息")
    job.state, job.progress_total = "running", 1000
    db.session.commit()
    answers = [(10, "running"), (110, "running"), (910, "running"), (1000, "running"), (1000, "running"),
               (1000, "running"), (1000, "done")]
    asked = []

    def answer(route):
        done, state = answers[len(asked)]
        asked.append(done)
        # The label numbers the answers: three alike in a row (all rows done) still show which one arrived.
        route.fulfill(json={"id": job.id, "state": state, "done": done, "total": 1000, "percent": done // 10,
                            "error": None, "has_file": False, "next": None, "state_label": f"{state} {len(asked)}"})

    page.route("**/jobs/*.json", answer)
    page.clock.install(time=datetime(2026, 5, 1, 9, 0))
    log_in(page, clerk)
    page.clock.pause_at(datetime(2026, 5, 1, 10, 0))
    page.goto(f"/jobs/{job.id}")
    count, state = page.locator(".job-count"), page.locator(".job-state")
    expect(count).to_have_text("0 / 1000")
    # 200 ms, 300 ms: the schedule (one answer has no pace yet; the second says 2.7 s are left, more than 450 ms);
    # then 200 ms where the schedule says 675 ms: 90 rows left at 900 rows in 750 ms; then every 200 ms while only the
    # file is left to finish (all rows done), not 300 and 450 as the schedule would.
    for n, (wait, shown) in enumerate(((200, "10 / 1000"), (300, "110 / 1000"), (450, "910 / 1000"),
                                       (200, "1000 / 1000"), (200, "1000 / 1000"), (200, "1000 / 1000"),
                                       (200, "1000 / 1000")), start=1):
        before = len(asked)
        page.clock.run_for(wait - 1)
        page.wait_for_timeout(100)
        assert len(asked) == before, f"asked before {wait} ms"
        page.clock.run_for(1)
        expect(state).to_have_text(f"{answers[n - 1][1]} {n}")
        expect(count).to_have_text(shown)
        assert len(asked) == before + 1
