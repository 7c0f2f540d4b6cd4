"""Background jobs (app/jobs.py): the page and its progress, owner-only access, a day's keeping, failures in Chinese,
and a real Huey worker against the SQLite queue and against Redis."""
import io
import time
import uuid
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from app import clock, jobs, roles, storage
from app.extensions import db
from app.models import AuditEvent, BackgroundJob, Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


@pytest.fixture
def office(app):
    """The city office with three submitted applications of the current campaign."""
    clock.freeze(NOW)
    factories.campaign(name="2026年第一批", open_stage=Stage.L2_REVIEW, at=NOW)
    _district, (street, _sibling) = factories.district_with_streets()
    for name in ("王学习", "李学习", "赵学习"):
        factories.application(unit=street, name=name)
    account = factories.account(roles.CITY_OFFICE, username="desk")
    return factories.login(app.test_client(), account), account


def names_in(data: bytes) -> set[str]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = [[cell.value for cell in row] for row in workbook.worksheets[0].iter_rows()]
    workbook.close()
    return {row[rows[0].index("姓名")] for row in rows[1:]}


# --- the page --------------------------------------------------------------------------------------------------


def test_an_export_starts_a_job_whose_page_offers_the_file(office):
    client, _account = office
    response = client.post("/applications/export.xlsx")
    assert response.status_code == 302
    page_url = response.headers["Location"]
    page = client.get(page_url).text
    assert "导出报名信息（全部）" in page and "已完成" in page and "100%" in page
    assert "下载" in page and "js/job-progress.js" in page
    assert "<script>" not in page.replace(" ", "")  # no inline script (Content-Security-Policy)
    status = client.get(page_url + ".json").get_json()
    assert (status["state"], status["done"], status["total"], status["percent"]) == ("done", 3, 3, 100)
    download = client.get(page_url + "/download")
    assert download.status_code == 200 and names_in(download.data) == {"王学习", "李学习", "赵学习"}
    assert download.headers["Cache-Control"] == "private, no-store"
    # 我的任务 lists it with its file.
    listing = client.get("/jobs/").text
    assert "我的任务" in listing and page_url in listing and page_url + "/download" in listing
    # The export is audited once, by the job, as its owner; each fetch of the file too.
    db.session.expire_all()
    (exported,) = db.session.query(AuditEvent).filter_by(action="export.applications").all()
    assert exported.actor_name == "desk" and exported.detail["rows"] == 3
    (fetched,) = db.session.query(AuditEvent).filter_by(action="export.job_file").all()
    assert fetched.actor_name == "desk"


def test_a_job_is_its_owners_alone(app, office):
    client, _account = office
    page_url = client.post("/applications/export.xlsx").headers["Location"]
    # Another city office account, the auditor: 404 for the page, the status and the file, as for no job at all.
    for role in (roles.CITY_OFFICE, roles.AUDITOR):
        other = factories.login(app.test_client(), factories.account(role))
        for url in (page_url, page_url + ".json", page_url + "/download"):
            assert other.get(url).status_code == 404, (role, url)
        assert page_url not in other.get("/jobs/").text
    assert client.get("/jobs/no-such-job").status_code == 404
    # Signed out: to the sign-in page, nothing shown.
    anonymous = app.test_client().get(page_url + "/download")
    assert anonymous.status_code == 302 and "/login/" in anonymous.headers["Location"]


def test_files_are_kept_a_day_then_removed(app, office):
    client, account = office
    page_url = client.post("/applications/export.xlsx").headers["Location"]
    job = db.session.get(BackgroundJob, page_url.rsplit("/", 1)[1])
    path = storage.root() / job.file_name
    assert path.is_file()
    clock.freeze(NOW + timedelta(hours=23))
    assert client.get(page_url + "/download").status_code == 200
    clock.freeze(NOW + timedelta(hours=24, minutes=1))
    assert client.get(page_url).status_code == 404  # expired: gone for its owner too
    assert path.is_file()  # until the purge
    from app import backup

    assert not [name for name in backup.stored_files(storage.root()) if name.startswith("jobs/")]  # never backed up
    result = app.test_cli_runner().invoke(args=["jobs", "purge"])
    assert "removed 1 expired jobs" in result.output
    assert not path.exists() and db.session.get(BackgroundJob, job.id) is None


@jobs.handler("test.refused")
def _refused(work):
    work.progress(1, 4, force=True)
    raise jobs.JobFailed("所选单位已被删除，无法导出。")


@jobs.handler("test.broken")
def _broken(work):
    raise RuntimeError("disk on fire")


_COUNTED = []


@jobs.handler("test.counted")
def _counted(work):
    _COUNTED.append(work.job.id)
    time.sleep(0.2)  # long enough for the other worker to arrive while this one runs
    return jobs.Outcome(result={"ran": True})


@pytest.mark.postgres
def test_two_workers_handed_the_same_job_run_it_once(app, office):
    """A redelivered message (a retry, a second worker) finds the job taken: one worker runs it, the other does
    nothing, and the job ends done once."""
    from tests.test_concurrency import race

    _client, account = office
    job = jobs.record(account, "test.counted", "测试任务")
    db.session.commit()
    job_id = job.id
    _COUNTED.clear()
    outcomes = race(app, 2, lambda _i: jobs.run(app, job_id))
    assert sorted(outcomes, key=str) == [None, "done"], outcomes
    assert _COUNTED == [job_id]
    db.session.expire_all()
    job = db.session.get(BackgroundJob, job_id)
    assert (job.state, job.result) == ("done", {"ran": True})


def test_a_failed_job_shows_its_error_in_chinese(app, office):
    client, account = office
    job = jobs.start(account, "test.refused", "测试任务")
    assert job.state == "failed" and job.error == "所选单位已被删除，无法导出。" and job.file_name is None
    page = client.get(f"/jobs/{job.id}").text
    assert "失败" in page and "所选单位已被删除，无法导出。" in page
    status = client.get(f"/jobs/{job.id}.json").get_json()
    assert status["state"] == "failed" and status["error"] == "所选单位已被删除，无法导出。"
    assert status["has_file"] is False and client.get(f"/jobs/{job.id}/download").status_code == 404
    # An unexpected error: a general Chinese message, never the exception's text.
    broken = jobs.start(account, "test.broken", "测试任务")
    assert broken.state == "failed" and "任务执行出错" in broken.error and "fire" not in broken.error


def test_the_audit_export_writes_every_event_batch_after_batch(app, monkeypatch):
    from app.audit import record
    from app.views import audit as audit_view

    monkeypatch.setattr(audit_view, "EXPORT_BATCH", 2)  # several batches from a few events
    clock.freeze(NOW)
    for n in range(5):
        record("export.applications", "application", rows=n)
    db.session.commit()
    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR, username="shenji"))
    total = db.session.query(AuditEvent).count()
    response = factories.job_file(auditor, auditor.post("/audit/export.xlsx"))
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == f"审计日志（{total} 条，按时间倒序）"
    assert len(rows) == 2 + total and [row[6] for row in rows[2:]].count("") >= 5
    assert len([row for row in rows[2:] if row[3] == "导出报名信息"]) == 5
    assert not hasattr(audit_view, "EXPORT_LIMIT")  # no cap: the worker has the time


def test_progress_is_written_at_most_twice_a_second_but_the_last_step_at_once(app):
    """Work.progress: a step within PROGRESS_INTERVAL of the last write is skipped, except done = total, which the page
    reads as "only the file is left" and asks again soon (static/js/job-progress.js)."""
    clock.freeze(NOW)
    account = factories.account(roles.CITY_OFFICE, username="desk")
    job = jobs.record(account, "export.applications", "测试任务")
    db.session.commit()
    work = jobs.Work(job)

    def stored():
        return db.session.execute(db.select(BackgroundJob.progress_done, BackgroundJob.progress_total)
                                  .where(BackgroundJob.id == job.id).execution_options(populate_existing=True)).one()

    work.progress(0, 3000)
    assert tuple(stored()) == (0, 3000)
    work.progress(2000, 3000)  # at once after the last write: skipped
    assert tuple(stored()) == (0, 3000)
    work.progress(3000, 3000)  # the last step: written anyway
    assert tuple(stored()) == (3000, 3000)


# --- a real worker ---------------------------------------------------------------------------------------------


def run_with_worker(app, queue, client, start_url):
    """Start an export through the web with queue in place of the immediate one, while a Huey consumer (threads)
    runs the job; watch its status until done. Returns (status polls, download response)."""
    immediate = app.extensions["huey"]
    jobs.use(queue)
    consumer = queue.create_consumer(workers=1, worker_type="thread", periodic=False, initial_delay=0.05,
                                     max_delay=0.2)
    # Its worker and scheduler threads, without the main loop: that one takes over the process's signals.
    consumer._set_signal_handlers = lambda: None
    try:
        response = client.post(start_url)
        assert response.status_code == 302
        page_url = response.headers["Location"]
        first = client.get(page_url + ".json").get_json()
        assert first["state"] in ("queued", "running", "done")
        consumer.start()
        statuses = [first]
        deadline = time.monotonic() + 60
        while statuses[-1]["state"] not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
            statuses.append(client.get(page_url + ".json").get_json())
        assert statuses[-1]["state"] == "done", statuses[-1]
        return statuses, client.get(page_url + "/download")
    finally:
        consumer.stop(graceful=True)
        app.extensions["huey"] = immediate


def test_a_real_worker_runs_the_export_from_the_sqlite_queue(app, office, tmp_path):
    client, _account = office
    clock.freeze(None)  # the worker's thread and the poll see the same running clock
    queue = jobs.make_huey({**app.config, "JOBS_IMMEDIATE": False, "REDIS_URL": None, "JOBS_REDIS_URL": None,
                            "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db")}, app)
    assert type(queue).__name__ == "SqliteHuey"
    statuses, download = run_with_worker(app, queue, client, "/applications/export.xlsx")
    assert statuses[0]["state"] == "queued"  # nothing ran inside the request
    assert download.status_code == 200 and names_in(download.data) == {"王学习", "李学习", "赵学习"}


def test_a_real_worker_runs_the_export_from_redis(app, office):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/4"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    client, _account = office
    clock.freeze(None)
    name = f"test-jobs-{uuid.uuid4().hex[:8]}"
    queue = jobs.make_huey({**app.config, "JOBS_IMMEDIATE": False, "REDIS_URL": url, "JOBS_QUEUE_NAME": name}, app)
    assert type(queue).__name__ == "RedisHuey"
    try:
        statuses, download = run_with_worker(app, queue, client, "/applications/export.xlsx?stage=pending")
        assert statuses[0]["state"] == "queued"
        assert download.status_code == 200 and names_in(download.data) == {"王学习", "李学习", "赵学习"}
    finally:
        queue.storage.flush_all()


# --- 我的任务 in the menu --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, shown", [
    (roles.CITY_OFFICE, True), (roles.L1_CLERK, True), (roles.L2_CLERK, True), (roles.AUDITOR, True),
    (roles.EXPERT, False), (roles.APPLICANT, False), (roles.SYSTEM_ADMIN, False), (roles.SECURITY_ADMIN, False),
])
def test_my_jobs_is_in_the_menu_of_the_roles_that_start_jobs(app, role, shown):
    _district, (street, _sibling) = factories.district_with_streets()
    unit = street if role == roles.L2_CLERK else (_district if role == roles.L1_CLERK else None)
    client = factories.login(app.test_client(), factories.account(role, unit=unit, username="someone"))
    page = client.get("/users/userinfo/", follow_redirects=True).text
    assert ('href="/jobs/"' in page and "我的任务" in page) is shown
    # The page itself is any signed-in account's own list (empty here), whatever the menu shows.
    assert "最近一天没有任务" in client.get("/jobs/").text


# --- starting a job is a POST ------------------------------------------------------------------------------------


def csrf_of(page: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("url, title", [
    ("/applications/export.xlsx?stage=pending", "导出报名信息（待评审）"),
    ("/audit/export.xlsx?_flt_3_result=refused", "导出审计日志"),
])
def test_a_get_of_an_export_offers_the_button_and_starts_nothing(app, office, csrf_on, url, title):
    client, _account = office
    response = client.get(url)
    assert response.status_code == 200 and title in response.text
    # The button POSTs to the same address and query, with the CSRF token.
    assert f'<form method="post" action="{url.replace("&", "&amp;")}">' in response.text
    assert "开始" in response.text
    assert db.session.query(BackgroundJob).count() == 0
    # Without the token the POST is refused and starts nothing; with it, the job runs.
    forged = client.post(url)
    assert forged.status_code == 400 and "安全令牌" in forged.text
    assert db.session.query(BackgroundJob).count() == 0
    started = client.post(url, data={"csrf_token": csrf_of(response.text)})
    assert started.status_code == 302 and started.headers["Location"].startswith("/jobs/")
    assert factories.job_file(client, started).status_code == 200
    assert db.session.query(BackgroundJob).count() == 1


def test_the_list_pages_start_exports_with_a_form_carrying_the_token(app, office, csrf_on):
    client, _account = office
    listing = client.get("/applications/list/").text
    assert '<form method="post" action="/applications/export.xlsx" class="btn-group review-export"' in listing
    response = client.post("/applications/export.xlsx?stage=pending", data={"csrf_token": csrf_of(listing)})
    assert factories.job_file(client, response).status_code == 200
    audit_list = client.get("/audit/list/").text
    assert '<form method="post" action="/audit/export.xlsx"' in audit_list and csrf_of(audit_list)
