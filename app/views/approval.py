"""公示与表彰 → 审核确定: the city office records the leading group's decision on a campaign's list (app/approval.py),
after a confirm step; the auditor reads it. The official lists for the announcement — 公示名单 and the final list —
as Excel and as printable A4 pages, and the decision's PDF, for both."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_login import current_user

from app import approval, audit, export_jobs, exports, jobs, scoping, storage, workflow
from app.display import format_time
from app.extensions import db
from app.models import Campaign
from app.views.fields import picker
from app.views.jobs import start_or_offer
from app.views.ranking import chosen_campaign
from app.workflow import WorkflowError

# Outside this app, by path (its own helper builds it): the public final list.
FINAL_LIST_PATH = "/mingdan"


def _list_title(campaign: Campaign, final: bool) -> str:
    if final:
        return _("%(campaign)s首都市民学习之星名单", campaign=campaign.batch_name)
    return _("%(campaign)s首都市民学习之星公示名单", campaign=campaign.batch_name)


def publicity_text(window) -> str:
    """公示期 2026-07-01 00:00:00 至 2026-07-10 23:59:59, or that it is not set."""
    if window is None or window.starts_at is None or window.ends_at is None:
        return _("未设定")
    return _("%(start)s 至 %(end)s", start=format_time(window.starts_at), end=format_time(window.ends_at))


class ApprovalView(BaseView):
    """审核确定 of a campaign (?campaign=<id>, else the current one)."""

    route_base = "/approval"
    default_view = "index"
    class_permission_name = "Approval"
    method_permission_name = {
        "index": "read",
        "approve": "write",
        "decision_file": "read",
        "candidates_xlsx": "read",
        "candidates_print": "read",
        "winners_xlsx": "read",
        "winners_print": "read",
    }

    # --- the screen ------------------------------------------------------------------------------------------

    def _page(self, campaign, *, values=None, errors=None, held=None, confirming=False, problem=None):
        record = approval.approval_of(campaign)
        window = campaign.window("publicity") if campaign is not None else None
        values = values or {}
        errors = errors or {}
        return self.render_template(
            "approval/index.html",
            title=_("审核确定"),
            campaign=campaign,
            campaigns=db.session.query(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc()).all(),
            counts=approval.counts(campaign) if campaign is not None else {},
            publicity=publicity_text(window),
            open_objections=approval.open_objections(campaign.id) if campaign is not None else 0,
            record=record,
            recorder=approval.recorder_label(record) if record is not None else "",
            refusal=approval.refusal(campaign) if campaign is not None and record is None else None,
            may_write=self.appbuilder.sm.has_access("can_write", self.class_permission_name),
            values=values,
            errors=errors,
            held=held,
            confirming=confirming,
            problem=problem,
            date_field=picker(values.get("decided_on", ""), date_only=True, id="decided_on", name="decided_on",
                              **{"aria-invalid": "true" if "decided_on" in errors else "false",
                                 "aria-describedby": "decided_on-help"}),
            final_list_path=FINAL_LIST_PATH,
            certificates_path=url_for("CertificateView.list"),  # a FAB list: /certificates/ alone is a 404
        )

    @expose("/")
    @has_access
    def index(self):
        return self._page(chosen_campaign())

    @expose("/approve", methods=["POST"])
    @has_access
    def approve(self):
        """The form: checked and shown again for confirmation, then (confirmed=1) recorded. A refused try keeps
        every value and the PDF already received (hidden `held`, with its original name)."""
        campaign = chosen_campaign()
        if campaign is None:
            abort(404)
        values = {key: request.form.get(key, "") for key in ("decided_on", "document_number")}
        errors = {}
        held = approval.held_decision(request.form.get("held", ""), request.form.get("held_name", ""))
        upload = request.files.get("decision_file")
        if upload is not None and upload.filename:
            try:
                received = approval.receive_decision(upload.stream, upload.filename)
            except WorkflowError as refused:
                errors.update(refused.errors)  # a file held from an earlier try stays
            else:
                if held is not None:
                    held.path.unlink(missing_ok=True)
                held = received
        if request.form.get("back"):  # 返回修改 on the confirm step
            return self._page(campaign, values=values, held=held)
        confirmed = request.form.get("confirmed") == "1" and not errors
        try:
            if not confirmed:
                approval.check(current_user, campaign.id, values["decided_on"], values["document_number"], held)
                if errors:
                    raise WorkflowError(next(iter(errors.values())), errors=errors, status=422)
                return self._page(campaign, values=values, held=held, confirming=True)
            record = approval.approve(current_user, campaign.id, values["decided_on"], values["document_number"], held)
        except WorkflowError as refused:
            if refused.status == 403:
                abort(403)
            errors = {**refused.errors, **errors}
            problem = None if refused.errors else str(refused)
            return self._page(campaign, values=values, errors=errors, held=held, problem=problem)
        flash(_("已审核确定：首都市民学习之星 %(n)s 人（重点宣传 %(f)s 人），名单已公布", n=record.winners,
                f=record.featured), "success")
        return redirect(url_for(".index", campaign=campaign.id))

    @expose("/decision/<int:campaign_id>.pdf")
    @has_access
    def decision_file(self, campaign_id):
        """The leading group's decision as it was uploaded."""
        record = approval.approval_of(db.session.get(Campaign, campaign_id))
        if record is None or not scoping.can_see_approval(current_user, record):
            abort(404)
        try:
            path = storage.path_of(record.decision_file)
        except ValueError:
            abort(404)
        if not path.is_file():
            abort(404)
        response = storage.send(record.decision_file, "application/pdf",
                                record.decision_original_name or "decision.pdf")
        response.headers["Cache-Control"] = "private, no-store"
        return response

    # --- the official lists ---------------------------------------------------------------------------------

    def _campaign_or_404(self) -> Campaign:
        campaign = chosen_campaign()
        if campaign is None:
            abort(404)
        return campaign

    def _xlsx(self, campaign, final: bool):
        """A background job (official_list_workbook below, in the stand-in request with ?campaign=), started by a
        POST."""
        sheet = _("首都市民学习之星名单") if final else _("公示名单")
        return start_or_offer(self, FINAL_LIST_EXPORT if final else PUBLIC_LIST_EXPORT,
                              _("导出%(sheet)s（%(campaign)s）", sheet=sheet, campaign=campaign.name))

    def _print(self, campaign, final: bool):
        record = approval.approval_of(campaign)
        listed = approval.final_list(current_user, campaign) if final else approval.public_list(current_user, campaign)
        return self.render_template(
            "approval/print_list.html", campaign=campaign, final=final, listed=listed, record=record,
            form_title=_list_title(campaign, final), publicity=publicity_text(campaign.window("publicity")),
        )

    def _not_approved(self, campaign):
        flash(_("本批次名单尚未审核确定，还没有最终名单"), "warning")
        return redirect(url_for(".index", campaign=campaign.id))

    @expose("/candidates.xlsx", methods=["GET", "POST"])
    @has_access
    def candidates_xlsx(self):
        return self._xlsx(self._campaign_or_404(), final=False)

    @expose("/candidates/print")
    @has_access
    def candidates_print(self):
        return self._print(self._campaign_or_404(), final=False)

    @expose("/winners.xlsx", methods=["GET", "POST"])
    @has_access
    def winners_xlsx(self):
        campaign = self._campaign_or_404()
        if not workflow.is_approved(campaign):
            return self._not_approved(campaign)
        return self._xlsx(campaign, final=True)

    @expose("/winners/print")
    @has_access
    def winners_print(self):
        campaign = self._campaign_or_404()
        if not workflow.is_approved(campaign):
            return self._not_approved(campaign)
        return self._print(campaign, final=True)


# --- the official lists as background jobs (app/export_jobs.workbook): ?campaign= from the view's query string ----

PUBLIC_LIST_EXPORT = "export.public_list"
FINAL_LIST_EXPORT = "export.final_list"


def official_list_workbook(work, final: bool):
    campaign = chosen_campaign()
    if campaign is None:
        raise jobs.JobFailed(_("所选评选批次已不存在。"))
    if final and not workflow.is_approved(campaign):
        raise jobs.JobFailed(_("本批次名单尚未审核确定，还没有最终名单"))
    if final:
        listed = approval.final_list(work.owner, campaign)
        heads, cells = exports.official_list_sheet(listed, marks_withdrawn=False)
    else:
        listed = approval.public_list(work.owner, campaign)
        heads, cells = exports.official_list_sheet(listed, marks_withdrawn=True)
    record = approval.approval_of(campaign) if final else None
    caption = _list_title(campaign, final)
    if record is not None:
        caption += _("（%(number)s，%(day)s）", number=record.document_number, day=record.decided_on.isoformat())
    sheet = _("首都市民学习之星名单") if final else _("公示名单")
    out, n, _size = exports.spooled_table(sheet, heads, cells, caption=caption)
    audit.record("export.final_list" if final else "export.public_list", "campaign", campaign.id, campaign.name,
                 rows=n)
    db.session.commit()
    today = work.job.created_at.date()
    name = exports.xlsx_name(sheet, campaign.name, today.strftime("%Y-%m-%d"))
    return out, name, f"{'winners' if final else 'candidates'}-{today:%Y-%m-%d}.xlsx"


export_jobs.workbook(PUBLIC_LIST_EXPORT)(lambda work: official_list_workbook(work, final=False))
export_jobs.workbook(FINAL_LIST_EXPORT)(lambda work: official_list_workbook(work, final=True))
