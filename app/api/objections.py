"""/api/v1/objection/: the city office's objection register over REST (Bearer token), and its handling steps.

Reading is FAB's ModelRestApi scoped by scoping.ObjectionScopeFilter (the city office's only); POST
/<id>/handle calls app/objections.py's perform() like the screen does. The public lodges on the web page only
(/gongshi/yiyi/, with the portal's captcha): there is no public REST endpoint for it.
"""
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import labels, objections, scoping
from app.api.base import PortalRestApi, Refused, answers_refusals, json_object
from app.datamodel import PortalInterface
from app.models import Objection


def handled(objection: Objection) -> dict:
    return {"id": objection.id, "receipt_number": objection.receipt_number, "status": objection.status,
            "status_label": str(objection.status_label), "finding": objection.finding,
            "finding_label": str(objection.finding_label), "conclusion": objection.conclusion}


class ObjectionApi(PortalRestApi):
    resource_name = "objection"
    datamodel = PortalInterface(Objection)
    class_permission_name = "Objection"
    method_permission_name = {"get": "read", "get_list": "read", "info": "read", "handle": "write"}
    include_route_methods = {"get", "get_list", "info", "handle"}
    base_filters = [["id", scoping.ObjectionScopeFilter, None]]
    base_order = ("lodged_at", "desc")
    label_columns = {**labels.OBJECTION, **labels.nested("events", labels.OBJECTION_EVENT)}
    list_title = show_title = add_title = edit_title = _l("异议")
    list_columns = ["id", "receipt_number", "application_id", "application.name", "status", "status_label",
                    "finding", "finding_label", "lodged_at", "concluded_at"]
    show_columns = list_columns + ["facts", "objector_name", "objector_phone", "objector_unit", "conclusion",
                                   "events.at", "events.actor_name", "events.action", "events.from_status",
                                   "events.to_status", "events.note"]
    search_columns = ["status", "finding", "application", "receipt_number"]

    @expose("/<int:pk>/handle", methods=["POST"])
    @protect()
    @safe
    @answers_refusals
    def handle(self, pk):
        """A handling step: `{"action": "accept|verify|conclude|dismiss", "finding": "upheld|partly_upheld|unfounded",
        "text": "..."}` (finding and text for conclude, text for dismiss).
        ---
        post:
          responses:
            200: {description: done; the objection's new state}
            400: {description: unknown action or no JSON object}
            403: {description: not the city office}
            404: {description: no such objection in scope}
            409: {description: not possible in the current state}
            422: {description: finding or text missing (errors by field)}
        """
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        body = json_object(_("请求体须为 JSON 对象：{\"action\": …, \"finding\": …, \"text\": …}"))
        finding, text = body.get("finding"), body.get("text")
        if not all(value is None or isinstance(value, str) for value in (body.get("action"), finding, text)):
            raise Refused(_("action、finding 和 text 须为字符串"), 400)
        done = objections.perform(current_user, pk, body.get("action") or "", finding, text)
        return self.response(200, result=handled(done))
