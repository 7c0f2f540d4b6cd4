"""/api/v1/campaign/ and /api/v1/stage_window/: campaigns and their schedule."""
from app.datamodel import PortalInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import labels, names, schedule
from marshmallow import ValidationError

from app.api.base import PortalRestApi, Refused
from app.models import Campaign, StageWindow


def _year(value):
    refused = schedule.year_refused(value)
    if refused:
        raise ValidationError(refused)


class CampaignApi(PortalRestApi):
    resource_name = "campaign"
    datamodel = PortalInterface(Campaign)
    class_permission_name = "Campaign"
    base_order = ("year", "desc")
    label_columns = {**labels.CAMPAIGN, **labels.nested("windows", labels.STAGE_WINDOW)}
    list_title, show_title, add_title, edit_title = _l("评选批次列表"), _l("评选批次"), _l("新增评选批次"), _l("编辑评选批次")
    list_columns = ["id", "name", "year", "winner_quota", "featured_quota"]
    show_columns = list_columns + ["windows.id", "windows.stage", "windows.starts_at", "windows.ends_at"]
    add_columns = ["name", "year", "winner_quota", "featured_quota"]
    edit_columns = add_columns
    validators_columns = {"year": _year}

    def pre_add(self, item):
        _check(item)
        schedule.ensure_windows(item)

    def pre_update(self, item):
        _check(item)


def _check(campaign: Campaign) -> None:
    """The screen's rules: a name (cleaned), quotas that make sense (else the database's check refused the save as a
    conflict, "与已有记录冲突")."""
    try:
        campaign.name = names.clean(campaign.name, _("批次名称"))
    except names.BadName as bad:
        raise Refused(bad) from None
    if not campaign.name:
        raise Refused(_("请填写批次名称"))
    refused = schedule.quotas_refused(campaign.winner_quota, campaign.featured_quota)
    if refused:
        raise Refused("；".join(refused.values()))


class StageWindowApi(PortalRestApi):
    resource_name = "stage_window"
    datamodel = PortalInterface(StageWindow)
    class_permission_name = "StageWindow"
    method_permission_name = {k: v for k, v in PortalRestApi.method_permission_name.items() if k not in ("post", "delete")}
    include_route_methods = {"get", "get_list", "info", "put"}
    base_order = ("position", "asc")
    label_columns = {**labels.STAGE_WINDOW}
    list_title, show_title, edit_title = _l("时间安排"), _l("阶段时间"), _l("调整阶段时间")
    add_title = _l("阶段时间")  # FAB fills it in even without POST
    list_columns = ["id", "campaign_id", "stage", "starts_at", "ends_at"]
    show_columns = list_columns
    edit_columns = ["starts_at", "ends_at"]

    def pre_update(self, item):
        refused = schedule.moment_refused(item.starts_at) or schedule.moment_refused(item.ends_at)
        if refused:
            raise Refused(refused)
        if (item.starts_at is None) != (item.ends_at is None):
            raise Refused(_("开始时间和截止时间须同时填写，或同时留空（未设定）"))
        if item.starts_at is not None and item.ends_at <= item.starts_at:
            raise Refused(_("截止时间必须晚于开始时间"))
