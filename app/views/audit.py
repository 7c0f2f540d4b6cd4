"""审计日志: read-only for everybody; the routes to change it are never registered."""
from app.datamodel import PortalInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import workflow
from app.models import AuditEvent
from app.views.base import PortalModelView


# The log stores codes ("unit.create"); the screen shows them in words. An unknown code is shown as stored.
OBJECT_TYPES = {
    "unit": _l("单位"),
    "account": _l("账号"),
    "campaign": _l("评选批次"),
    "stage_window": _l("阶段时间"),
    "role": _l("角色"),
    "past_winner": _l("历届学习之星"),
    "application": _l("报名"),
    "recommendation_quota": _l("推荐名额"),
}
CHANGES = {"create": _l("新增"), "update": _l("修改"), "delete": _l("删除")}
ACTIONS = {
    "account.password_reset": _l("重置密码"),
    "account.password_changed": _l("修改密码"),
    "roles.sync": _l("同步角色权限"),
    "export.applications": _l("导出报名信息"),
}


def object_type_label(code):
    return OBJECT_TYPES.get(code, code)


def action_label(code):
    if code in ACTIONS:
        return ACTIONS[code]
    object_type, _dot, change = (code or "").partition(".")
    workflow_labels = workflow.labels()  # application.l2_recommend, unit.l2_submit, ...
    if object_type in ("application", "unit") and change in workflow_labels:
        return _("%(object)s：%(action)s", object=OBJECT_TYPES[object_type], action=workflow_labels[change])
    if object_type in OBJECT_TYPES and change in CHANGES:
        return _("%(change)s%(object)s", change=CHANGES[change], object=OBJECT_TYPES[object_type])
    return code


def actor_label(name):
    return _("系统") if name == "system" else name


class AuditEventView(PortalModelView):
    route_base = "/audit"
    datamodel = PortalInterface(AuditEvent)
    class_permission_name = "AuditEvent"
    include_route_methods = {"list", "show"}
    list_title = _l("审计日志")
    show_title = _l("审计记录")
    base_order = ("id", "desc")
    label_columns = {
        "at": _l("时间"),
        "actor_name": _l("操作人"),
        "ip": _l("来源 IP"),
        "action": _l("操作"),
        "object_type": _l("对象类型"),
        "object_id": _l("对象编号"),
        "object_label": _l("对象"),
        "detail": _l("详情"),
    }
    list_columns = ["at", "actor_name", "ip", "action", "object_type", "object_label"]
    show_columns = ["at", "actor_name", "ip", "action", "object_type", "object_id", "object_label", "detail"]
    search_columns = ["at", "actor_name", "action", "object_type", "object_label", "ip"]
    formatters_columns = {"action": action_label, "object_type": object_type_label, "actor_name": actor_label}
