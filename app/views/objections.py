"""公示与表彰 → 异议处理: the city office's objection register. The list (filter by status: ?_flt_0_status=received),
one objection with its facts, the objector's contact and history, the handling forms (受理 / 开始核实 / 办结 /
不予受理, app/objections.py), 撤销 a candidate with the reason (app/workflow.py's "withdraw"), and the register as
Excel. Objector data is the city office's only (scoping.objection_clause): not even the auditor reads it.
"""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterIn
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import SelectField

from app import audit, export_jobs, exports, labels, objections, scoping, schedule, workflow
from app.extensions import db
from app.models import Application, Objection, Unit
from app.models.application import PUBLIC_CANDIDATES
from app.models.publicity import OBJECTION_FINDING_LABELS, OBJECTION_STATUS_LABELS
from app.datamodel import PortalFilterConverter
from app.views.applications import campaign_choices
from app.views.base import PortalModelView
from app.views.presentation import WithDerivedColumns
from app.views.jobs import start_or_offer


class CodedChoiceConverter(PortalFilterConverter):
    """状态 and 办理结论 are searched by equality on their codes, chosen by their Chinese names (等于 / 属于), not by
    FAB's "starts with" on text that an office would have to type in English."""

    conversion_table = (("is_coded_choice", [FilterEqual, FilterIn]), *PortalFilterConverter.conversion_table)


class ObjectionInterface(WithDerivedColumns):
    filter_converter_class = CodedChoiceConverter
    coded_choices = ("status", "finding")

    def is_coded_choice(self, col_name: str) -> bool:
        return col_name in self.coded_choices


def candidate_unit(objection) -> str:
    unit = objection.application.unit if objection.application is not None else None
    if unit is None:
        return ""
    return f"{unit.parent.name} · {unit.name}" if unit.parent is not None else unit.name


def withdraw_reason(objection: Objection | None) -> str:
    """The reason a withdrawal form starts with: the office completes the finding, the receipt names the file."""
    if objection is None:
        return _("经核实，")
    return _("经核实，%(finding)s（异议 %(receipt)s）", finding=objection.finding_label or "…",
             receipt=objection.receipt_number)


def unfinished_reason(reason: str) -> bool:
    """The form's start left as it was where it waits for the office's words (the "…" of an objection not yet
    concluded, or a bare 经核实，): one click must not withdraw a candidate with a placeholder for a reason."""
    text = (reason or "").strip()
    return "…" in text or text.rstrip("，,。 ") == _("经核实，").rstrip("，")


class ObjectionView(PortalModelView):
    route_base = "/objections"
    datamodel = ObjectionInterface(Objection, {
        "candidate": lambda o: o.application.name if o.application is not None else "",
        "candidate_unit": candidate_unit,
        "status_label": lambda o: str(o.status_label),
        "finding_label": lambda o: str(o.finding_label),
    }, eager=(joinedload(Objection.application).joinedload(Application.unit).joinedload(Unit.parent),))
    class_permission_name = "Objection"
    method_permission_name = {"list": "read", "show": "read", "export": "read", "handle": "write",
                              "withdraw": "write"}
    include_route_methods = {"list", "show", "handle", "withdraw", "export"}
    list_title = _l("异议登记")
    show_title = _l("异议")
    list_template = "objections/list.html"
    base_filters = [["id", scoping.ObjectionScopeFilter, None]]
    base_order = ("lodged_at", "desc")
    label_columns = {**labels.OBJECTION}
    list_columns = ["receipt_number", "candidate", "candidate_unit", "lodged_at", "status_label", "finding_label"]
    search_columns = ["status", "campaign", "receipt_number", "finding", "lodged_at"]
    search_form_extra_fields = {
        "status": SelectField(labels.OBJECTION["status"], widget=Select2Widget(),
                              choices=[(s.value, label) for s, label in OBJECTION_STATUS_LABELS.items()]),
        "finding": SelectField(labels.OBJECTION["finding"], widget=Select2Widget(),
                               choices=[(f.value, label) for f, label in OBJECTION_FINDING_LABELS.items()]),
        "campaign": SelectField(labels.OBJECTION["campaign"], widget=Select2Widget(),
                                choices=lambda: campaign_choices()),
    }
    page_size = 50

    def render_template(self, template, **kwargs):
        kwargs.setdefault("status_labels", OBJECTION_STATUS_LABELS)
        return super().render_template(template, **kwargs)

    def _objection(self, pk) -> Objection:
        objection = self.datamodel.get(pk, self._base_filters) if str(pk).isdigit() else None
        if objection is None:
            abort(404)
        return objection

    def _show_page(self, objection, *, form_action="", errors=None, typed=None, message=None):
        return self.render_template(
            "objections/show.html",
            title=_("异议 %(receipt)s", receipt=objection.receipt_number),
            objection=objection,
            candidate_unit=candidate_unit(objection),
            actions=[(a, objections.TRANSITIONS[a]) for a in objections.allowed_actions(current_user, objection)],
            findings=list(OBJECTION_FINDING_LABELS.items()),
            event_labels=objections.EVENT_LABELS,
            status_labels=OBJECTION_STATUS_LABELS,
            form_action=form_action,
            errors=errors or {},
            typed=typed or {},
            message=message,
            may_withdraw=objection.application.status_enum in PUBLIC_CANDIDATES,
            others=db.session.query(Objection).filter(
                Objection.application_id == objection.application_id, Objection.id != objection.id,
                scoping.objection_clause(current_user)).order_by(Objection.lodged_at).all(),
        )

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        return self._show_page(self._objection(pk))

    @expose("/handle/<pk>", methods=["POST"])
    @has_access
    def handle(self, pk):
        """One handling step: action (accept, verify, conclude, dismiss), with finding and text where needed."""
        objection = self._objection(pk)
        action = request.form.get("action", "")
        finding, text = request.form.get("finding", ""), request.form.get("text", "")
        try:
            done = objections.perform(current_user, objection.id, action, finding, text)
        except objections.WorkflowError as refused:
            objection = self._objection(pk)
            errors = refused.errors or {"text": str(refused)}
            return self._show_page(objection, form_action=action, errors=errors, message=str(refused),
                                   typed={"finding": finding, "text": text}), refused.status
        flash(_("异议 %(receipt)s：%(step)s", receipt=done.receipt_number,
                step=objections.TRANSITIONS[action].label) + " · " + str(done.status_label), "success")
        return redirect(url_for(".show", pk=done.id))

    @expose("/withdraw/<int:application_id>", methods=["GET", "POST"])
    @has_access
    def withdraw(self, application_id):
        """撤销 a candidate during 公示 with the required reason (app/workflow.py's withdraw, audited there)."""
        application = db.session.get(Application, application_id)
        if application is None or not scoping.can_see_application(current_user, application):
            abort(404)
        raw = request.values.get("objection", "")
        objection = db.session.query(Objection).filter(
            Objection.id == int(raw), Objection.application_id == application.id,
            scoping.objection_clause(current_user)).one_or_none() if raw.isdigit() else None
        reason, error = withdraw_reason(objection), None
        if request.method == "POST":
            reason = request.form.get("reason", "")
            try:
                if unfinished_reason(reason):
                    raise workflow.WorkflowError(_("请把撤销理由写完整：核实了什么、结论如何（替换其中的“…”）"))
                workflow.perform(current_user, application.id, "withdraw", reason)
            except workflow.WorkflowError as refused:
                error = refused.errors.get("opinion") or str(refused)
            else:
                flash(_("已撤销「%(name)s」的候选人资格", name=application.name), "success")
                if objection is not None:
                    return redirect(url_for(".show", pk=objection.id))
                return redirect(url_for(".list"))
        against = db.session.query(Objection).filter(
            Objection.application_id == application.id, scoping.objection_clause(current_user)
        ).order_by(Objection.lodged_at).all()
        return self.render_template(
            "objections/withdraw.html", title=_("撤销候选人资格"), application=application, objection=objection,
            reason=reason, error=error, against=against,
            is_candidate=application.status_enum in PUBLIC_CANDIDATES,
        ), (422 if error else 200)

    @expose("/export", methods=["GET", "POST"])
    @has_access
    def export(self):
        """The objection register as Excel, the objector's contact included (the city office's only): a background
        job (objection_register below), started by a POST."""
        return start_or_offer(self, OBJECTION_EXPORT, _("导出异议登记"))


OBJECTION_EXPORT = "export.objections"


@export_jobs.workbook(OBJECTION_EXPORT)
def objection_register(work):
    campaign = schedule.current_campaign()
    rows = (
        db.session.query(Objection).filter(scoping.objection_clause(work.owner))
        .order_by(Objection.lodged_at, Objection.id).all()
    )
    heads, cells = objections.register_sheet(rows)
    out, n, _size = exports.spooled_table(_("异议登记"), heads, cells, frozen_columns=2)
    audit.record("export.objections", "objection", None, "", rows=n)
    db.session.commit()
    today = work.job.created_at.date()
    name = exports.xlsx_name(_("异议登记"), campaign.name if campaign else "", today.strftime("%Y-%m-%d"))
    return out, name, f"objections-{today:%Y-%m-%d}.xlsx"
