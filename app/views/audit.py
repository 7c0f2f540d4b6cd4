"""审计日志: read-only for everybody; the routes to change it are never registered."""
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import AuditEvent
from app.views.base import PortalModelView


class AuditEventView(PortalModelView):
    route_base = "/audit"
    datamodel = SQLAInterface(AuditEvent)
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
