"""The exports that run as background jobs (app/jobs.py): the applications' Excel list (R-OPS-3), the same workbook
as the request used to send, now written to the job's file with progress. The view validates the filters and starts
the job; here they are applied as the owner (scoping by the owner account, app/exports.export_query)."""
import shutil
from typing import BinaryIO, Callable

from flask_babel import gettext as _

from app import audit, clock, exports, jobs, schedule, scoping
from app.extensions import db
from app.models import Campaign, Unit

APPLICATIONS = "export.applications"


def application_export_title(scope: str, full_numbers: bool) -> str:
    if full_numbers:
        return _("导出报名信息（%(scope)s，含完整证件号）", scope=scope)
    return _("导出报名信息（%(scope)s）", scope=scope)


@jobs.handler(APPLICATIONS)
def export_applications(work: jobs.Work) -> jobs.Outcome:
    """params: campaign_id (None: the current campaign), statuses (list or None), stage, statuses_asked, unit_id,
    full_numbers."""
    owner, p = work.owner, work.params
    campaign = db.session.get(Campaign, p["campaign_id"]) if p.get("campaign_id") else schedule.current_campaign()
    if p.get("campaign_id") and campaign is None:
        raise jobs.JobFailed(_("所选评选批次已不存在。"))
    statuses = set(p["statuses"]) if p.get("statuses") is not None else None
    unit_id = p.get("unit_id")
    stmt = exports.export_query(owner, campaign=campaign, statuses=statuses, unit_id=unit_id)
    path = work.path("xlsx")
    rows = exports.write_applications(exports.entries(stmt, progress=work.progress), str(path),
                                      full_numbers=bool(p.get("full_numbers")))
    filters = {
        "campaign": campaign.name if campaign is not None else None,
        "status": sorted(statuses) if statuses is not None else None,
        "stage": p.get("stage") or None,
        "unit": unit_id,
        "full_numbers": bool(p.get("full_numbers")),
    }
    audit.record("export.applications", "application", None, "", rows=rows, filters=filters)
    db.session.commit()
    today = work.job.created_at.date() if work.job.created_at else clock.now().date()
    # The file says what it holds: the unit filtered on (if the owner may see it), else the clerk's own unit.
    named_unit = db.session.get(Unit, unit_id) if unit_id else None
    if named_unit is None or not scoping.can_see_unit(owner, named_unit):
        named_unit = getattr(owner, "unit", None)
    scope = exports.scope_label(statuses, p.get("stage"), bool(p.get("statuses_asked")))
    stage = p.get("stage")
    ascii_scope = stage if stage in ("pending", *exports.STAGES) else "list"
    return jobs.Outcome(path=path, download_name=exports.file_name(campaign, named_unit, scope, today),
                        ascii_name=f"applications-{ascii_scope}-{today:%Y-%m-%d}.xlsx", mimetype=exports.XLSX_MIMETYPE)


def workbook(kind: str):
    """Register build(work) -> (file at 0, download name, ASCII name) as the handler of kind: the same workbook as
    the view used to send, built in the job's stand-in request (the owner as current_user, the original query
    string), written to the job's file. The registers, rankings, lists and score sheets go this way."""

    def register(build: Callable[[jobs.Work], tuple[BinaryIO, str, str]]):
        @jobs.handler(kind)
        def run(work: jobs.Work) -> jobs.Outcome:
            out, name, ascii_name = build(work)
            path = work.path("xlsx")
            with out, open(path, "wb") as target:
                shutil.copyfileobj(out, target)
            return jobs.Outcome(path=path, download_name=name, ascii_name=ascii_name, mimetype=exports.XLSX_MIMETYPE)

        return build

    return register
