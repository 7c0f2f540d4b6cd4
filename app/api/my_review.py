"""/api/v1/my_review/: the signed-in expert's reviews — list, read (materials without personal data, rubric, own
scores), save a draft, submit; and the city office's reopen. The same domain functions and messages as the pages
(app/scoring.py): a refusal answers its status with {message, errors: {score_<criterion_id>|comment|reason: …}}.
"""
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import INCLUDE, Schema, fields

from app import schedule, scoping, scoring
from app.api.base import PortalBaseApi, Refused, answers_refusals, json_object
from app.extensions import db
from app.models import ReviewAssignment


def _number(value):
    return None if value is None else float(value)


def summary_json(assignment: ReviewAssignment) -> dict:
    application = assignment.application
    unit = application.unit
    return {
        "id": assignment.id,
        "round_id": assignment.round_id,
        "stage": assignment.round.stage,
        "stage_label": str(assignment.round.stage_label),
        "name": application.name,
        "work_unit": application.work_unit or "",
        "unit": unit.name if unit is not None else "",
        "first_level_unit": unit.parent.name if unit is not None and unit.parent is not None else "",
        "status": assignment.status,
        "status_label": str(assignment.status_label),
        "total": _number(assignment.total) if assignment.status == "submitted" else None,
    }


def detail_json(actor, assignment: ReviewAssignment) -> dict:
    review_round = assignment.round
    own = scoring.scores_of(assignment)
    data = summary_json(assignment)
    data.update(
        materials=scoring.materials(assignment),
        rubric=[{"criterion_id": c.id, "field": scoring.score_field(c.id), "key": c.key, "label": c.label,
                 "weight": c.weight, "max_score": c.max_score} for c in review_round.criteria],
        scores={str(k): _number(v) for k, v in own.items()},
        comment=assignment.comment or "",
        total=_number(assignment.total),
        editable=scoring.allowed(actor, assignment, "save"),
        window_message=scoring.window_message(review_round),
        round_closed=review_round.is_closed,
    )
    if scoring.others_visible(actor, assignment):
        data["other_totals"] = [_number(o.total) for o in scoring.other_reviews(actor, assignment)]
    return data


class ReviewBody(Schema):
    """What PUT /my_review/<id> and POST /my_review/<id>/submit take."""

    class Meta:
        unknown = INCLUDE  # other keys are ignored, not refused

    scores = fields.Dict(keys=fields.String(), values=fields.Float(), metadata={"description": "criterion_id -> value"})
    comment = fields.String()


class MyReviewApi(PortalBaseApi):
    resource_name = "my_review"
    class_permission_name = "MyReview"
    method_permission_name = {"get_list": "read", "get": "read", "put": "write", "submit": "write"}
    openapi_spec_tag = "My review"
    openapi_spec_component_schemas = (ReviewBody,)

    def _own(self, pk):
        assignment = db.session.get(ReviewAssignment, pk)
        return assignment if scoping.is_own_assignment(current_user, assignment) else None

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The expert's own assignments in the current campaign's rounds.
        ---
        get:
          responses:
            200: {description: "{result: [assignment], done, total}"}
        """
        campaign = schedule.current_campaign()
        rows = scoring.my_assignments(current_user, campaign=campaign).all() if campaign is not None else []
        return self.response(
            200, result=[summary_json(a) for a in rows],
            done=sum(1 for a in rows if a.status == "submitted"), total=len(rows),
        )

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One of the expert's assignments: the materials (no ID number, phone, address or birth date), the rubric,
        the expert's own scores; the other experts' totals only once the round is closed.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: the review}
            404: {description: not the expert's assignment}
        """
        assignment = self._own(pk)
        if assignment is None:
            return self.response_404()
        return self.response(200, result=detail_json(current_user, assignment))

    @answers_refusals
    def _save(self, pk, submit: bool):
        if self._own(pk) is None:
            return self.response_404()
        shape = _("请求内容应为 JSON：{scores: {评分项编号: 分数}, comment: 评审意见}")
        body = json_object(shape)
        if not isinstance(body.get("scores", {}), dict):
            raise Refused(shape, 400)
        comment = body.get("comment")
        if comment is not None and not isinstance(comment, str):
            return self.response(422, message=_("评审意见应为文字"), errors={"comment": _("评审意见应为文字")})
        assignment = scoring.save(current_user, pk, body.get("scores") or {}, comment, submit=submit)
        return self.response(200, message=_("已提交") if submit else _("已暂存"),
                             result=detail_json(current_user, assignment))

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    def put(self, pk):
        """Save as draft: {scores: {criterion_id: value}, comment}. Valid values are kept; 422 names bad fields.
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ReviewBody'}
          responses:
            200: {description: saved}
            403: {description: outside the round's window}
            404: {description: not the expert's assignment}
            409: {description: already submitted}
            422: {description: "valid values saved; errors per field (score_<criterion_id>, comment)"}
        """
        return self._save(pk, submit=False)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Submit: the same body; every criterion scored and a comment required; final unless reopened.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/ReviewBody'}
          responses:
            200: {description: submitted, with the weighted total}
            403: {description: outside the round's window}
            404: {description: not the expert's assignment}
            409: {description: already submitted}
            422: {description: "nothing saved; errors per field"}
        """
        return self._save(pk, submit=True)


class ReviewReopenApi(PortalBaseApi):
    """POST /api/v1/my_review/<id>/reopen: the city office's 重新打开, checked as 评审记录's (ReviewRecord can_reopen)."""

    resource_name = "my_review"
    class_permission_name = "ReviewRecord"
    method_permission_name = {"reopen": "reopen"}
    openapi_spec_tag = "My review"

    @expose("/<int:pk>/reopen", methods=["POST"])
    @protect()
    @safe
    @answers_refusals
    def reopen(self, pk):
        """The city office reopens a submitted review: {reason}. Back to draft; the expert is notified.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {reason: {type: string}}}
          responses:
            200: {description: reopened}
            404: {description: no such review}
            409: {description: not submitted, or the round is closed}
            422: {description: "reason missing (errors.reason)"}
        """
        reason = json_object(_("请求内容应为 JSON：{reason: 理由}")).get("reason")
        assignment = scoring.reopen(current_user, pk, reason if isinstance(reason, str) else None)
        return self.response(200, message=_("已重新打开"), result=summary_json(assignment))
