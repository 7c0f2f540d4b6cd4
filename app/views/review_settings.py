"""推荐名额 (quota per unit level, set by the city office per campaign) and 提交情况 (every unit in scope: submitted when
and how many, or not yet and how many wait on it)."""
from flask import abort, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField
from wtforms.validators import DataRequired, ValidationError

from app import schedule, workflow
from app.datamodel import PortalInterface
from app.extensions import db
from app.models import Campaign, RecommendationQuota
from app.views.base import PortalModelView, ReturnsToList


def valid_quota(form, field):
    """每个单位最多推荐人数, at its field: a negative one was refused after the form (on the list page, the form lost)."""
    if field.data is not None and not 0 <= field.data <= schedule.MAX_QUOTA:
        raise ValidationError(_("人数须在 0 至 %(max)s 之间", max=f"{schedule.MAX_QUOTA:,}"))


def level_not_set(form, field):
    """One quota per campaign and level: a second one was the database's refusal (「与已有记录冲突」) on the list."""
    campaign = form.campaign.data
    if campaign is not None and db.session.query(RecommendationQuota).filter_by(
            campaign_id=campaign.id, level=field.data).first() is not None:
        raise ValidationError(_("%(campaign)s 的%(level)s推荐名额已设定，请在列表中修改", campaign=campaign.name,
                                level=_("一级单位") if field.data == 1 else _("二级单位")))


class RecommendationQuotaView(ReturnsToList, PortalModelView):
    route_base = "/quotas"
    datamodel = PortalInterface(RecommendationQuota)
    class_permission_name = "RecommendationQuota"
    include_route_methods = {"list", "show", "add", "edit", "delete"}
    list_title = _l("推荐名额")
    add_title = _l("设定推荐名额")
    edit_title = _l("修改推荐名额")
    label_columns = {"campaign": _l("评选批次"), "level": _l("单位级别"), "level_label": _l("单位级别"),
                     "max_recommended": _l("每个单位最多推荐人数")}
    list_columns = ["campaign", "level_label", "max_recommended"]
    add_columns = ["campaign", "level", "max_recommended"]
    edit_columns = ["max_recommended"]
    add_form_extra_fields = {
        "level": SelectField(_l("单位级别"), coerce=int, choices=[(2, _l("二级单位")), (1, _l("一级单位"))],
                             validators=[DataRequired(), level_not_set]),
    }
    validators_columns = {"max_recommended": [valid_quota]}
    description_columns = {"max_recommended": _l("例如 1 表示每个单位至多推荐 1 人；某一级没有设定名额时，该级单位推荐人数不限")}


# 提交情况's columns a user may sort by: key -> the value sorted on (empty values last either way).
SORT_KEYS = {
    "unit": lambda row: (row.unit.parent.name if row.unit.parent else row.unit.name, row.unit.level, row.unit.name),
    "level": lambda row: row.level,
    "contact": lambda row: row.contact[0] or None,
    "state": lambda row: {"late": 0, "missing": 1, "submitted": 2}[row.state],
    "at": lambda row: row.submitted_at,
    "recommended": lambda row: row.recommended,
    "not_recommended": lambda row: row.not_recommended,
    "undecided": lambda row: row.undecided,
}


class UnitSubmissionView(BaseView):
    """提交情况: every unit in the user's scope, submitted (when, by whom, how many) or not yet (how many wait)."""

    route_base = "/submissions"
    default_view = "list"
    class_permission_name = "UnitSubmission"
    method_permission_name = {"list": "read"}

    @expose("/list/")
    @has_access
    def list(self):
        campaigns = db.session.query(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc()).all()
        chosen = request.args.get("campaign", "")
        campaign = next((c for c in campaigns if str(c.id) == chosen), None) if chosen else schedule.current_campaign()
        if chosen and campaign is None:
            abort(404)
        rows = workflow.units_overview(current_user, campaign)
        totals = {state: sum(1 for row in rows if row.state == state) for state in workflow.UNIT_STATES}
        level, state = request.args.get("level", ""), request.args.get("state", "")
        if level in ("1", "2"):
            rows = [row for row in rows if row.level == int(level)]
        if state in workflow.UNIT_STATES:
            rows = [row for row in rows if row.state == state]
        sort = request.args.get("sort", "state")
        sort = sort if sort in SORT_KEYS else "state"
        descending = request.args.get("desc") == "1"
        # Most undecided first within the default order, so the units with the most waiting are chased first.
        rows.sort(key=lambda row: -row.undecided)
        present = [row for row in rows if SORT_KEYS[sort](row) is not None]
        present.sort(key=SORT_KEYS[sort], reverse=descending)
        rows = present + [row for row in rows if SORT_KEYS[sort](row) is None]
        args = {k: v for k, v in request.args.items() if k in ("campaign", "level", "state") and v}  # kept by sorting
        return self.render_template(
            "review/submissions.html",
            title=_("提交情况"),
            rows=rows,
            totals=totals,
            campaign=campaign,
            campaigns=campaigns,
            states=workflow.UNIT_STATES,
            level=level,
            state=state,
            sort=sort,
            descending=descending,
            args=args,
        )
