"""Long work run by the task worker (app/jobs.py, R-OPS-7): who asked, what, how far it got, and the file it made."""
import enum

from flask_appbuilder import Model
from sqlalchemy import JSON, CheckConstraint, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import relationship


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackgroundJob(Model):
    __tablename__ = "background_job"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="ck_background_job_state"),
        CheckConstraint("progress_done >= 0", name="ck_background_job_progress"),
        # A failure says why; only a finished job has a file to offer.
        CheckConstraint("state = 'failed' OR error IS NULL", name="ck_background_job_error_only_when_failed"),
        CheckConstraint("state = 'done' OR file_name IS NULL", name="ck_background_job_file_only_when_done"),
    )

    # Random and unguessable (secrets.token_urlsafe): the address of the page and of the file.
    id = Column(String(40), primary_key=True)
    owner_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(40), nullable=False)
    title = Column(String(200), nullable=False)
    state = Column(String(10), nullable=False, default=JobState.QUEUED.value)
    # What the handler needs (filters as the view validated them, the request's query string, address, locale).
    params = Column(JSON, nullable=False, default=dict)
    progress_done = Column(Integer, nullable=False, default=0)
    progress_total = Column(Integer)
    # Under UPLOAD_DIR (jobs/<id>.<ext>); what the browser saves it as (Chinese, and an ASCII fallback).
    file_name = Column(String(200))
    download_name = Column(String(300))
    ascii_name = Column(String(200))
    mimetype = Column(String(120))
    # A result to show beside (or instead of) a file: an import's row errors, an assignment's summary.
    result = Column(JSON)
    error = Column(String(500))
    # Beijing time (app/clock.py). The file and the row are removed after expires_at (jobs.purge).
    created_at = Column(DateTime, nullable=False)
    started_at = Column(DateTime)
    finished_at = Column(DateTime)
    expires_at = Column(DateTime, nullable=False, index=True)

    owner = relationship("Account")

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE.value:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(self.progress_done * 100 / self.progress_total))

    def __repr__(self):
        return f"<BackgroundJob {self.kind} {self.state}>"
