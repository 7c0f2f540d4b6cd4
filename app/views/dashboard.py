"""工作台 (/dashboard/): the first page after sign-in for the city office, the auditor and the unit clerks.

The figures are app/dashboard.py's; here each number gets the address of the list it counts, filtered so that the
list shows exactly that many rows, and the charts get their data as one JSON blob (app/static/js/dashboard.js draws
them with the vendored Chart.js). A number no list can be filtered to (a first-level unit's total, a category) is
shown without a link rather than with a misleading one.
"""
from urllib.parse import urlencode

from flask import url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterRelationOneToManyEqual,
    SQLAFilterConverter,
)
from flask_babel import gettext as _
from flask_login import current_user

from app import dashboard, scoping
from app.views.applications import CampaignEqual, StatusEqual, StatusEqualsConverter, StatusIn
from app.views.objections import CodedChoiceConverter


def _filter_index(kind: str, filter_class, converter=SQLAFilterConverter) -> int:
    """The position of a filter among FAB's filters for a kind of column: the <n> of ?_flt_<n>_<column>=.
    Read from FAB's converter rather than written down (a String column's 0 is 'starts with', and "featured"
    starts "featured_winner")."""
    return next(filters.index(filter_class) for test, filters in converter.conversion_table if test == kind)


# The review list searches its status by equality only (app/views/applications.py).
STATUS_EQUAL = _filter_index("is_listed_status", StatusEqual, StatusEqualsConverter)
STATUS_IN = _filter_index("is_listed_status", StatusIn, StatusEqualsConverter)
CAMPAIGN_EQUAL = _filter_index("is_listed_campaign", CampaignEqual, StatusEqualsConverter)
RELATION_EQUAL = _filter_index("is_relation_many_to_one", FilterRelationOneToManyEqual)
OBJECTION_STATUS_EQUAL = _filter_index("is_coded_choice", FilterEqual, CodedChoiceConverter)


def application_list_url(campaign, statuses=(), unit_id=None) -> str:
    """报名信息 of the campaign: one status (equal), several (in), or one second-level unit."""
    args = [(f"_flt_{CAMPAIGN_EQUAL}_campaign", campaign.id)]
    statuses = [getattr(s, "value", s) for s in statuses]
    if len(statuses) == 1:
        args.append((f"_flt_{STATUS_EQUAL}_status", statuses[0]))
    else:
        args += [(f"_flt_{STATUS_IN}_status", s) for s in statuses]
    if unit_id is not None:
        args.append((f"_flt_{RELATION_EQUAL}_unit", unit_id))
    return url_for("ApplicationView.list") + "?" + urlencode(args)


def submissions_url(campaign, level, state) -> str:
    """提交情况 of the campaign, units of one level in one state."""
    return url_for("UnitSubmissionView.list", campaign=campaign.id, level=level, state=state)


def objections_url(campaign, status) -> str:
    """公示异议 of the campaign in one status (the objection list searches on campaign and status)."""
    return "/objections/list/?" + urlencode([(f"_flt_{RELATION_EQUAL}_campaign", campaign.id),
                                             (f"_flt_{OBJECTION_STATUS_EQUAL}_status", status)])


def progress_url(stage) -> str:
    return url_for("ReviewProgressView.show", stage=stage)


# Chart colours: distinguishable for the common colour-vision deficiencies (Okabe-Ito), each with a text equivalent.
COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]


def chart_data(figures: dashboard.Figures) -> dict:
    """What app/static/js/dashboard.js draws: per chart, labels and datasets (names and numbers only)."""
    charts = {}
    if figures.stages:
        charts["stages"] = {
            "type": "bar",
            "title": _("各阶段报名数"),
            "labels": [str(g.label) for g in figures.stages],
            "datasets": [{"label": _("报名数"), "data": [g.count for g in figures.stages], "color": COLOURS[0]}],
        }
    units = figures.units
    if units is not None and units.rows:
        if units.level == 1:
            charts["units"] = {
                "type": "stacked",
                "horizontal": True,
                "title": _("各一级单位所属二级单位提交情况"),
                "labels": [u.unit.name for u in units.rows],
                "datasets": [
                    {"label": _("已提交"), "data": [u.children_submitted for u in units.rows], "color": COLOURS[2]},
                    {"label": _("未提交"), "data": [u.children_waiting for u in units.rows], "color": COLOURS[1]},
                ],
            }
        elif units.own is not None:
            own = units.own
            charts["units"] = {
                "type": "stacked",
                "horizontal": True,
                "title": _("本单位所属二级单位提交情况"),
                "labels": [own.unit.name],
                "datasets": [
                    {"label": _("已提交"), "data": [own.children_submitted], "color": COLOURS[2]},
                    {"label": _("未提交"), "data": [own.children_waiting], "color": COLOURS[1]},
                ],
            }
    if figures.categories:
        charts["categories"] = {
            "type": "doughnut",
            "title": _("各类别报名数"),
            "labels": [str(c.label) for c in figures.categories],
            "datasets": [{"label": _("报名数"), "data": [c.count for c in figures.categories],
                          "color": COLOURS[:len(figures.categories)]}],
        }
    if any(r.exists for r in figures.rounds):
        shown = [r for r in figures.rounds if r.exists]
        charts["experts"] = {
            "type": "stacked",
            "horizontal": True,
            "title": _("专家评审进度（份）"),
            "labels": [str(r.label) for r in shown],
            "datasets": [
                {"label": _("已提交"), "data": [r.totals.submitted for r in shown], "color": COLOURS[2]},
                {"label": _("已暂存"), "data": [r.totals.draft for r in shown], "color": COLOURS[4]},
                {"label": _("未开始"), "data": [r.totals.not_started for r in shown], "color": COLOURS[7]},
            ],
        }
    return charts


class DashboardView(BaseView):
    route_base = "/dashboard"
    default_view = "index"
    class_permission_name = "Dashboard"
    method_permission_name = {"index": "read"}

    @expose("/")
    @has_access
    def index(self):
        figures = dashboard.figures(current_user)
        return self.render_template(
            "dashboard/index.html",
            title=_("工作台"),
            figures=figures,
            charts=chart_data(figures) if figures.campaign is not None else {},
            application_list_url=application_list_url,
            submissions_url=submissions_url,
            objections_url=objections_url,
            progress_url=progress_url,
            may_read_objections=scoping.is_city_office(current_user),
            may_follow_rounds=self.appbuilder.sm.has_access("can_read", "ReviewProgress"),
            may_read_submissions=self.appbuilder.sm.has_access("can_read", "UnitSubmission"),
        )
