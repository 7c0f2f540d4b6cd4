"""/api/v1/application/: submitted applications in the caller's scope, and the units' decisions over REST.

Reading is FAB's ModelRestApi with the scope as base filter; deciding and submitting call app/workflow.py like the
screens do, so the same role, scope, state, window and quota checks answer with the same Chinese messages.
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import labels, scoping, workflow
from app.api.base import PortalRestApi, refusal_body
from app.datamodel import PortalInterface
from app.models import Application


class ApplicationApi(PortalRestApi):
    resource_name = "application"
    datamodel = PortalInterface(Application)
    class_permission_name = "Application"
    method_permission_name = {"get": "read", "get_list": "read", "info": "read", "decision": "decide",
                              "submit_unit": "decide", "progress": "read"}
    include_route_methods = {"get", "get_list", "info", "decision", "submit_unit", "progress"}
    base_filters = [["id", scoping.ApplicationScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = {**labels.APPLICATION, **labels.nested("events", labels.APPLICATION_EVENT)}
    list_title = show_title = add_title = edit_title = _l("报名信息")  # read-only: FAB fills in all four
    # ID and mobile numbers masked only (app/masking.py): enough to tell namesakes apart; a full one is asked for,
    # audited, on the application's page.
    list_columns = ["id", "name", "gender", "id_number_masked", "mobile_masked", "work_unit", "position", "unit_id",
                    "status", "submitted_at"]
    show_columns = list_columns + ["address", "deeds", "campaign_id", "media_purged_at", "events.action",
                                   "events.opinion", "events.actor_name", "events.at"]
    # What the masked numbers are worked out from, read with the rows (not one statement per row and number); the
    # answers carry only the columns above.
    list_select_columns = list_columns + ["id_number", "mobile"]
    show_select_columns = show_columns + ["id_number", "mobile"]
    search_columns = ["status", "unit", "name"]

    @expose("/<int:pk>/decision", methods=["POST"])
    @protect()
    @safe
    def decision(self, pk):
        """推荐 / 不推荐 / 退回修改 with the written opinion: `{"decision": "recommend", "opinion": "..."}`.
        ---
        post:
          responses:
            200: {description: decided}
            403: {description: wrong role or outside the window}
            404: {description: not in your scope}
            409: {description: not possible in the current state}
            422: {description: opinion missing}
        """
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response_400(message=_("请求内容须为 JSON 对象，例如 {\"decision\": \"recommend\", \"opinion\": \"…\"}"))
        action_name = workflow.workflow_action(current_user, body.get("decision", ""))
        if action_name is None:
            return self.response_400(message=_("decision 须为 recommend、reject 或 return（退回仅限二级单位）"))
        try:
            application = workflow.perform(current_user, pk, action_name, body.get("opinion"))
        except workflow.WorkflowError as refused:
            return self.response(refused.status, **refusal_body(refused))
        return self.response(200, id=application.id, status=application.status,
                             status_label=str(application.status_label))

    @expose("/submit", methods=["POST"])
    @protect()
    @safe
    def submit_unit(self):
        """The caller's unit 提交 (second level) or 上报 (first level) its decisions; then they are locked.
        ---
        post:
          responses:
            200: {description: submitted}
            403: {description: outside the window}
            409: {description: already submitted}
        """
        try:
            submission = workflow.submit_unit(current_user)
        except workflow.WorkflowError as refused:
            return self.response(refused.status, message=str(refused))
        return self.response(200, recommended=submission.recommended, not_recommended=submission.not_recommended,
                             at=submission.at.isoformat())

    @expose("/progress", methods=["GET"])
    @protect()
    @safe
    def progress(self):
        """The caller's unit: window end, counts by status, whether it has submitted.
        ---
        get:
          responses:
            200: {description: progress}
        """
        progress = workflow.unit_progress(current_user)
        if progress is None:
            return self.response_404()
        return self.response(
            200,
            level=progress.level,
            window_end=progress.window_end.isoformat() if progress.window_end else None,
            window_open=progress.window_open,
            undecided=progress.undecided,
            decided=progress.decided,
            submitted_at=progress.submission.at.isoformat() if progress.submission else None,
            counts=progress.counts,
        )
