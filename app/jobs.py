"""Long work in the background (R-OPS-7): exports of many rows, imports, assignment, certificates run on a Huey
task worker (`flask jobs worker`), so that no request runs longer than a few seconds.

A view validates its input, calls `start(owner, kind, title, params)` and redirects to the job's page (/jobs/<id>),
which polls the job's progress. The worker runs the handler registered for the kind (`@handler("…")`) inside an app
context and a stand-in request carrying the owner (g.user and current_user: the audit log names them, and every
scoping clause asks about them, never about whoever happens to be signed in), the original query string, address
and language. The handler reports progress, writes its file to `Work.path()` and returns an `Outcome`.

Queue: SqliteHuey in the instance folder by default (the embedded setup), RedisHuey when REDIS_URL is set
(JOBS_REDIS_URL overrides it: another db index or server), an in-memory queue run at once with JOBS_IMMEDIATE
(tests). Files are kept JOBS_KEEP_HOURS (a day), then removed with their row by the worker's periodic task or
`flask jobs purge`. Only the owner sees a job (scoping.job_clause).
"""
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from flask import Flask, current_app, g, session
from flask_babel import gettext as _
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import select, update

from app import clock, scoping, storage
from app.extensions import db
from app.models import BackgroundJob, JobState

logger = logging.getLogger(__name__)

KEEP_HOURS = 24
# Progress is written at most this often (seconds): a poll a second does not need more.
PROGRESS_INTERVAL = 0.5
# How the job's page polls its status (static/js/job-progress.js, via data-poll): first after FIRST ms, each wait
# GROWTH times the last, up to MAX ms. A short job is offered at once instead of after a whole second; a long one
# is asked about once a second, as before, and sooner when its progress says it will be done before then.
# bench/export.py reads the same attribute and polls alike.
POLL_FIRST_MS, POLL_GROWTH, POLL_MAX_MS = 200, 1.5, 1000

_HANDLERS: dict[str, Callable[["Work"], "Outcome"]] = {}


class JobFailed(Exception):
    """A failure the owner can act on; its message (Chinese) is shown on the job's page."""


@dataclass
class Outcome:
    """What a handler made: a file (under Work.path()) to offer, and/or a result to show (an import's row errors)."""

    path: Path | None = None
    download_name: str | None = None
    ascii_name: str | None = None
    mimetype: str | None = None
    result: dict | None = None


@dataclass
class Work:
    """What a handler gets: the job, its owner, its parameters, and a way to report progress."""

    job: BackgroundJob
    params: dict = field(default_factory=dict)
    _last_progress: float = 0.0

    @property
    def owner(self):
        return self.job.owner

    def progress(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        """Record how far the job got. Written on a connection of its own and committed at once: the handler's
        session may be in the middle of a read (and its commit would expire what the handler holds). At most every
        PROGRESS_INTERVAL, but the last step (done = total) at once: the page then knows that only finishing the
        file is left, and asks again soon (static/js/job-progress.js)."""
        now = time.monotonic()
        last_step = total is not None and done >= total
        if not force and not last_step and now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        values = {"progress_done": done}
        if total is not None:
            values["progress_total"] = total
        with db.engine.begin() as connection:
            connection.execute(update(BackgroundJob).where(BackgroundJob.id == self.job.id).values(**values))

    def path(self, extension: str) -> Path:
        """Where this job's file goes: UPLOAD_DIR/jobs/<id>.<extension>."""
        folder = storage.root() / "jobs"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{self.job.id}.{extension}"


def handler(kind: str):
    """Register the function that does the work of jobs of this kind."""

    def register(function):
        _HANDLERS[kind] = function
        return function

    return register


# --- the queue -------------------------------------------------------------------------------------------------


def make_huey(config, app: Flask):
    """The queue the app's config asks for, with the job task and the periodic purge registered on it; its tasks
    run in app (the consumer has no request to borrow an app from)."""
    name = config.get("JOBS_QUEUE_NAME", "portal-jobs")
    redis_url = config.get("JOBS_REDIS_URL") or config.get("REDIS_URL")
    if config.get("JOBS_IMMEDIATE"):
        queue = MemoryHuey(name, immediate=True)
    elif redis_url:
        # The queue's keys are prefixed by its name (huey.redis.<name>…); the URL's path picks the Redis db.
        queue = RedisHuey(name, url=redis_url)
    else:
        path = config.get("JOBS_SQLITE_PATH") or os.path.join(str(config["INSTANCE_DIR"]), "jobs.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        queue = SqliteHuey(name, filename=path)

    def run_job(job_id: str):
        return run(app, job_id)

    def purge_jobs():
        with app.app_context():
            removed = purge()
            if removed:
                logger.info("purged %s expired jobs", removed)

    def deliver_notifications(payloads: list):
        # E-mail and SMS of committed notifications (app/notifications.py): failures are logged there, not retried.
        from app import notifications

        with app.app_context():
            return notifications.deliver(payloads)

    def notify_due():
        # Deadline reminders and 过期无效 notices, each sent once however often this runs (hourly, at :07), and the
        # read notifications past their keeping time.
        from app import notifications

        with app.app_context():
            try:
                counts = notifications.run_due()
                purged = notifications.purge()
                if any(counts.values()) or purged:
                    logger.info("notifications: %s, purged %s", counts, purged)
            finally:
                db.session.remove()

    queue.run_job = queue.task(name="run_job", retries=0)(run_job)
    queue.deliver_notifications = queue.task(name="deliver_notifications", retries=0)(deliver_notifications)
    queue.periodic_task(crontab(minute="*/15"), name="purge_jobs")(purge_jobs)
    queue.periodic_task(crontab(minute="7"), name="notify_due")(notify_due)
    return queue


def init_app(app: Flask) -> None:
    app.extensions["huey"] = make_huey(app.config, app)


def huey():
    return current_app.extensions["huey"]


def use(queue) -> None:
    """Replace the app's queue (tests: a real SqliteHuey or RedisHuey instead of the immediate one)."""
    current_app.extensions["huey"] = queue


# --- starting and finding jobs ---------------------------------------------------------------------------------


def start(owner, kind: str, title: str, params: dict | None = None) -> BackgroundJob:
    """Record a queued job for owner and hand it to the worker; returns it (commits)."""
    job = record(owner, kind, title, params)
    db.session.commit()
    return enqueue(job.id)


def record(owner, kind: str, title: str, params: dict | None = None) -> BackgroundJob:
    """Add a queued job for owner to the session, not committed: a command that starts a job with what it changes
    (结束本轮) commits both at once, then calls enqueue() — a job never runs for a change rolled back."""
    from flask import has_request_context, request

    if kind not in _HANDLERS:
        raise KeyError(kind)
    params = dict(params or {})
    if has_request_context():
        params.setdefault("query", request.query_string.decode("latin-1"))
        # The stand-in request the job runs in has the same address: the audit log's path, the public links drawn
        # into a certificate's QR code (request.url_root).
        params.setdefault("path", request.path)
        params.setdefault("url_root", request.url_root)
        params.setdefault("ip", request.remote_addr)
        params.setdefault("locale", session.get("locale"))
    now = clock.now()
    job = BackgroundJob(
        id=secrets.token_urlsafe(24), owner_id=owner.id, kind=kind, title=str(title)[:200],
        state=JobState.QUEUED.value, params=params, progress_done=0, created_at=now,
        expires_at=now + timedelta(hours=current_app.config.get("JOBS_KEEP_HOURS", KEEP_HOURS)),
    )
    db.session.add(job)
    db.session.flush()
    return job


def enqueue(job_id: str) -> BackgroundJob:
    """Hand a committed job to the worker; returns it as it is now (done already with JOBS_IMMEDIATE)."""
    huey().run_job(job_id)
    # Run at once with JOBS_IMMEDIATE (in another session): read what it wrote.
    db.session.expire_all()
    return db.session.get(BackgroundJob, job_id)


def find(user, job_id: str) -> BackgroundJob | None:
    """The job if user owns it and it has not expired; None otherwise (the caller answers 404 either way)."""
    if not job_id or len(job_id) > 40 or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalars(
        select(BackgroundJob).where(BackgroundJob.id == job_id, scoping.job_clause(user),
                                    BackgroundJob.expires_at > clock.now())
    ).first()


def mine(user) -> list[BackgroundJob]:
    """我的任务: the user's jobs not yet expired, newest first."""
    return list(db.session.scalars(
        select(BackgroundJob).where(scoping.job_clause(user), BackgroundJob.expires_at > clock.now())
        .order_by(BackgroundJob.created_at.desc(), BackgroundJob.id)
    ))


def file_path(job: BackgroundJob) -> Path | None:
    if job.state != JobState.DONE.value or not job.file_name:
        return None
    path = storage.root() / job.file_name
    return path if path.is_file() else None


def status(job: BackgroundJob) -> dict:
    """What the page polls: state, progress and, once done, whether there is a file."""
    return {
        "id": job.id,
        "state": job.state,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "error": job.error,
        "has_file": job.state == JobState.DONE.value and bool(job.file_name),
        # Where to show the result when it is not a file (自动分配's page).
        "next": (job.result or {}).get("next") if job.state == JobState.DONE.value else None,
    }


# --- running ---------------------------------------------------------------------------------------------------


def run(app: Flask, job_id: str) -> str | None:
    """The worker's task: run one job in the app, as its owner. Never raises (a failure is recorded)."""
    with app.app_context():
        try:
            return _run_in_app(app, job_id)
        finally:
            db.session.remove()


def _claim(job_id: str) -> bool:
    """Take the queued job for this worker: one conditional UPDATE, so that of two workers handed the same message
    (a redelivery, a retry) one runs it and the other finds it taken. Commits."""
    claimed = db.session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.state == JobState.QUEUED.value)
        .values(state=JobState.RUNNING.value, started_at=clock.now())
    ).rowcount
    db.session.commit()
    return claimed == 1


def _run_in_app(app: Flask, job_id: str) -> str | None:
    if not _claim(job_id):
        return None  # purged meanwhile, or taken by another worker (a redelivered message)
    job = db.session.get(BackgroundJob, job_id)
    owner = job.owner
    params = dict(job.params or {})
    environ = {"REMOTE_ADDR": params.get("ip") or "127.0.0.1"}
    with app.test_request_context(params.get("path") or "/jobs/run", base_url=params.get("url_root"),
                                  query_string=params.get("query") or "", environ_base=environ):
        # The owner, for the audit log (g.user) and for whatever asks current_user; scoping is by this account.
        g.user = owner
        g._login_user = owner
        if params.get("locale"):
            session["locale"] = params["locale"]
        work = Work(job, params)
        try:
            outcome = _HANDLERS[job.kind](work)
        except JobFailed as error:
            db.session.rollback()
            _fail(job_id, str(error))
            return JobState.FAILED.value
        except Exception:
            logger.exception("job %s (%s) failed", job_id, job.kind)
            db.session.rollback()
            _fail(job_id, _("任务执行出错，请稍后重试；如仍出错请联系市学习办。"))
            return JobState.FAILED.value
        job = db.session.get(BackgroundJob, job_id)
        job.state, job.finished_at = JobState.DONE.value, clock.now()
        if job.progress_total is not None:
            job.progress_done = job.progress_total
        if outcome.path is not None:
            job.file_name = outcome.path.relative_to(storage.root()).as_posix()
            job.download_name, job.ascii_name = outcome.download_name, outcome.ascii_name
            job.mimetype = outcome.mimetype
        job.result = outcome.result
        db.session.commit()
        return JobState.DONE.value


def _fail(job_id: str, message: str) -> None:
    job = db.session.get(BackgroundJob, job_id)
    if job is None:
        return
    job.state, job.error, job.finished_at, job.file_name = JobState.FAILED.value, message[:500], clock.now(), None
    db.session.commit()


# --- keeping files a day ---------------------------------------------------------------------------------------


def purge(now: datetime | None = None) -> int:
    """Remove expired jobs and their files; returns how many (commits)."""
    now = now or clock.now()
    expired = db.session.scalars(select(BackgroundJob).where(BackgroundJob.expires_at <= now)).all()
    root = storage.root()
    for job in expired:
        if job.file_name:
            (root / job.file_name).unlink(missing_ok=True)
        db.session.delete(job)
    db.session.commit()
    return len(expired)

