"""The Excel imports of second-level units (app/unit_import.py) and of experts (app/expert_import.py) as background
jobs (app/jobs.py): the view saves the upload and starts the job; the job checks every row and imports all or none,
as the owner, then removes the upload. Its result (row errors, or the accounts created with their initial passwords)
is kept in the job's row; the import page shows it and at once erases the passwords from the row (`shown_once`): they
are shown to the owner once, never again, and no file of them is ever written."""
import secrets
import shutil

from flask import current_app, url_for
from flask_babel import gettext as _

from app import expert_import, jobs, storage, unit_import
from app.extensions import db
from app.models import BackgroundJob, Unit
from app.sheets import ImportResult

UNITS = "import.units"
EXPERTS = "import.experts"


def start(owner, kind: str, title, upload, params: dict | None = None) -> BackgroundJob:
    """Save upload (a file-like object) under UPLOAD_DIR/jobs and start the import job that reads it."""
    folder = storage.root() / "jobs"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"upload-{secrets.token_urlsafe(18)}.xlsx"
    with open(path, "wb") as target:
        shutil.copyfileobj(upload, target)
    return jobs.start(owner, kind, title, {**(params or {}), "upload": path.relative_to(storage.root()).as_posix()})


def _run(work: jobs.Work, do_import, page_endpoint: str) -> jobs.Outcome:
    path = storage.root() / work.params["upload"]
    try:
        with open(path, "rb") as stream:
            result = do_import(stream)
        if result.ok:
            db.session.commit()
        else:
            db.session.rollback()
    finally:
        path.unlink(missing_ok=True)
    return jobs.Outcome(result={
        "errors": [list(error) for error in result.errors],
        "created": [list(row) for row in result.created],
        "imported": len(result.created),
        # The import page shows the result (and erases the passwords): where the job's page forwards once done.
        "next": url_for(page_endpoint, job=work.job.id),
    })


@jobs.handler(UNITS)
def import_units(work: jobs.Work) -> jobs.Outcome:
    """params: parent_id (the 一级单位 the view offered), upload."""
    parent = db.session.get(Unit, work.params["parent_id"])
    if parent is None:
        raise jobs.JobFailed(_("所选一级单位已不存在。"))
    return _run(work, lambda stream: unit_import.import_sheet(current_app.appbuilder.sm, work.owner, parent, stream),
                "SecondLevelUnitView.import_sheet")


@jobs.handler(EXPERTS)
def import_experts(work: jobs.Work) -> jobs.Outcome:
    return _run(work, lambda stream: expert_import.import_sheet(current_app.appbuilder.sm, work.owner, stream),
                "ExpertView.import_sheet")


def shown_once(user, job_id: str, kind: str) -> tuple[ImportResult | None, bool]:
    """The finished import job's result for its owner, and whether its passwords were already shown. Showing them
    erases them from the job's row (committed before the page is rendered): a reload finds them gone."""
    job = jobs.find(user, job_id)
    if job is None or job.kind != kind or job.state != "done" or not job.result:
        return None, False
    stored = dict(job.result)
    result = ImportResult(errors=[tuple(e) for e in stored.get("errors", [])],
                          created=[tuple(c) for c in stored.get("created", [])])
    already_shown = bool(stored.get("passwords_shown"))
    if result.created:
        stored["created"], stored["passwords_shown"] = [], True
        job.result = stored
        db.session.commit()
    return result, already_shown
