"""评选批次 and their schedule (时间安排): the city office creates campaigns and moves or extends stage windows."""
from flask_appbuilder import expose, has_access

from app.datamodel import PortalInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError
from wtforms.validators import StopValidation

from app import labels, schedule
from app.models import Campaign, StageWindow
from app.names import Name
from app.views.base import PortalModelView, ReturnsToList


def within_years(form, field):
    refused = schedule.moment_refused(field.data)
    if refused:
        raise ValidationError(refused)


def ends_after_start(form, field):
    starts_at = form.starts_at.data
    if starts_at is None and (form.starts_at.raw_data or [""])[0].strip():
        return  # the start could not be read: its own field says so, not this one
    if (starts_at is None) != (field.data is None):
        # StopValidation, not ValidationError: an empty end is next seen by FAB's Optional(), which clears the
        # field's errors (WTForms) — the form passed, and the database's check refused the save ("数据库错误").
        raise StopValidation(_("开始时间和截止时间须同时填写，或同时留空（未设定）"))
    if starts_at is not None and field.data <= starts_at:
        raise ValidationError(_("截止时间必须晚于开始时间"))


class StageWindowView(ReturnsToList, PortalModelView):
    route_base = "/campaigns/windows"
    datamodel = PortalInterface(StageWindow)
    class_permission_name = "StageWindow"
    include_route_methods = {"list", "show", "edit"}
    list_title = _l("时间安排")
    show_title = _l("阶段时间")
    edit_title = _l("调整阶段时间")
    base_order = ("position", "asc")
    label_columns = {**labels.STAGE_WINDOW}
    list_columns = ["campaign", "stage_label", "starts_at", "ends_at", "status"]
    show_columns = list_columns
    edit_columns = ["starts_at", "ends_at"]
    search_columns = ["campaign"]
    validators_columns = {"starts_at": [within_years], "ends_at": [within_years, ends_after_start]}
    description_columns = {
        "starts_at": _l("按“年-月-日 时:分:秒”填写，或点日历按钮选择。"),
        "ends_at": _l("含该秒：例如 2026-04-27 23:59:59。延期或提前都会记入审计日志。"),
    }

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        """FAB's edit, titled with the campaign and the stage: the form has only the two times, and the rehearsal's
        office could not tell on it which of nine stages it was moving."""
        widgets = self._edit(pk)  # 404 for a window that does not exist
        if not widgets:
            return self.post_edit_redirect()
        window = self.datamodel.get(pk)
        title = _("调整阶段时间：%(campaign)s · %(stage)s", campaign=window.campaign.name, stage=window.stage_label)
        return self.render_template(self.edit_template, title=title, widgets=widgets,
                                    related_views=self._related_views)


def real_year(form, field):
    # A year that is not a number at all is the IntegerField's own message.
    if field.data is not None:
        refused = schedule.year_refused(field.data)
        if refused:
            raise ValidationError(refused)


def valid_quota(form, field):
    """拟评选人数 / 重点宣传人数 (app/schedule.py's rule), at the field: the database's check would refuse the save as
    a whole, with a message about duplicates, and the form would be gone."""
    refused = schedule.quotas_refused(form.winner_quota.data, form.featured_quota.data).get(field.name)
    if refused:
        raise ValidationError(refused)


class CampaignView(PortalModelView):
    route_base = "/campaigns"
    datamodel = PortalInterface(Campaign)
    class_permission_name = "Campaign"
    include_route_methods = {"list", "show", "add", "edit"}
    list_title = _l("评选批次列表")
    show_title = _l("评选批次详情")
    add_title = _l("新增评选批次")
    edit_title = _l("编辑评选批次")
    base_order = ("year", "desc")
    label_columns = {**labels.CAMPAIGN}
    list_columns = ["name", "year", "winner_quota", "featured_quota"]
    show_columns = list_columns
    add_columns = list_columns
    edit_columns = list_columns
    search_columns = ["name", "year"]
    related_views = [StageWindowView]
    validators_columns = {"name": [Name(required=True)], "year": [real_year], "winner_quota": [valid_quota],
                          "featured_quota": [valid_quota]}
    show_template = "appbuilder/general/model/show_cascade.html"
    description_columns = {"year": _l("新批次的时间安排按通知的日期生成到该年度，创建后可逐项调整。")}

    def pre_add(self, item):
        schedule.ensure_windows(item)
