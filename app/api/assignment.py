"""/api/v1/review_assignment/: 评审分配 over REST, through the same functions as the screens (app/assignment.py).

City office: GET the assignments (filter by round_id, expert_id, application_id, status), POST /run/<round_id>
(自动分配), PUT /<id> {"expert_id": …} (改派). Expert: POST /<id>/decline {"reason": …} (声明回避).
"""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, true

from app import assignment, jobs, labels, roles, scoping
from app.api.jobs import accepted
from app.api.base import PortalRestApi
from app.datamodel import PortalInterface
from app.extensions import db
from app.models.review import ReviewAssignment, ReviewRound
from app.workflow import WorkflowError


def _fallback_clause(user):
    """Until app/scoring.py's scoping.assignment_clause lands: the city office and the auditor every row, an expert
    their own non-declined ones, nobody else any."""
    names = scoping.role_names(user)
    if names & scoping.SEES_EVERYTHING:
        return true()
    if roles.EXPERT in names:
        expert = assignment._expert_of(user)
        if expert is not None:
            return (ReviewAssignment.expert_id == expert.id) & (ReviewAssignment.status != assignment.DECLINED)
    return false()


def assignment_clause(user):
    clause = getattr(scoping, "assignment_clause", None) or _fallback_clause
    return clause(user)


class AssignmentScopeFilter(scoping._ClauseFilter):
    clause = staticmethod(assignment_clause)


class ReviewAssignmentApi(PortalRestApi):
    resource_name = "review_assignment"
    datamodel = PortalInterface(ReviewAssignment)
    class_permission_name = "ReviewAssignment"
    method_permission_name = {"get": "read", "get_list": "read", "info": "read", "run": "write", "move": "write",
                              "decline": "decline"}
    include_route_methods = {"get", "get_list", "info", "run", "move", "decline"}
    base_filters = [["id", AssignmentScopeFilter, None]]
    base_order = ("id", "asc")
    list_title = show_title = add_title = edit_title = _l("评审分配")
    label_columns = {**labels.REVIEW_ASSIGNMENT}
    list_columns = ["id", "round_id", "application_id", "application.name", "expert_id", "status", "declined_reason",
                    "assigned_at", "submitted_at"]
    show_columns = list_columns
    search_columns = ["round_id", "expert_id", "application_id", "status"]

    @expose("/run/<int:pk>", methods=["POST"])
    @protect()
    @safe
    def run(self, pk):
        """自动分配 of round `pk` as a background job (app/assignment.assign_round_job): every application gets the
        round's N experts, or nothing is assigned. Follow the job at status_url (GET /api/v1/jobs/<id>): once done,
        result.ok and result.assignment (placed, kept, removed, loads per expert id, unplaceable [application id,
        reason]); a refusal (a closed round) is the failed job's error.
        ---
        post:
          responses:
            202: {description: "id, state, status_url: the job"}
            403: {description: not the city office}
            404: {description: no such round}
        """
        review_round = db.session.get(ReviewRound, pk)
        if review_round is None:
            return self.response_404()
        if not scoping.is_city_office(current_user):
            return self.response(403, message=str(_l("只有市学习办可以分配评审任务")))
        job = jobs.start(current_user, assignment.ASSIGN_JOB, _("自动分配（%(stage)s）", stage=review_round.stage_label),
                         {"round_id": pk, "stage": review_round.stage})
        return accepted(self, job)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def move(self, pk):
        """改派: `{"expert_id": 12}` moves an unstarted assignment to another expert of the round.
        ---
        put:
          responses:
            200: {description: moved}
            404: {description: no such assignment}
            409: {description: started or the round is closed}
            422: {description: "conflict or not in the round: errors.expert_id"}
        """
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response_400(message=_("请求内容须为 JSON 对象，例如 {\"expert_id\": 12}"))
        try:
            row = assignment.move(current_user, pk, body.get("expert_id"))
        except WorkflowError as refused:
            return self.response(refused.status, message=str(refused), errors=refused.errors)
        return self.response(200, id=row.id, expert_id=row.expert_id, status=row.status)

    @expose("/<int:pk>/decline", methods=["POST"])
    @protect()
    @safe
    def decline(self, pk):
        """声明回避 by the expert: `{"reason": "…"}`; the application goes to another expert of the panel if one is free.
        ---
        post:
          responses:
            200: {description: "declined; replacement_expert_id is null when nobody could take it"}
            403: {description: outside the round's window}
            404: {description: not your assignment}
            409: {description: already submitted or declined}
            422: {description: "reason missing: errors.reason"}
        """
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response_400(message=_("请求内容须为 JSON 对象，例如 {\"reason\": \"…\"}"))
        try:
            done = assignment.decline(current_user, pk, body.get("reason"))
        except WorkflowError as refused:
            return self.response(refused.status, message=str(refused), errors=refused.errors)
        return self.response(200, id=done.assignment.id, status=done.assignment.status, message=done.message,
                             replacement_expert_id=done.replacement.expert_id if done.replacement else None)
