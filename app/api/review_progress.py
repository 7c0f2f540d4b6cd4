"""/api/v1/review_progress/: the city office's round management over REST — the rounds of the current campaign, one
round's progress (totals, per expert, missing reviews), closing it and reminding experts. The same functions as
评审进度 (app/rounds.py), so the same checks answer with the same Chinese messages; the auditor may only read."""
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_login import current_user

from app import clock, rounds, schedule, scoping
from app.api.base import PortalBaseApi, answers_refusals, json_object
from app.bounds import row_id
from app.extensions import db
from app.models import ReviewRound


def _time(moment):
    return moment.isoformat() if moment is not None else None


def round_json(review_round: ReviewRound) -> dict:
    window = review_round.campaign.window(review_round.stage)
    return {
        "id": review_round.id,
        "campaign_id": review_round.campaign_id,
        "campaign": review_round.campaign.name,
        "stage": review_round.stage,
        "stage_label": str(review_round.stage_label),
        "starts_at": _time(window.starts_at if window else None),
        "ends_at": _time(window.ends_at if window else None),
        "open": rounds.is_open(review_round),
        "closed_at": _time(review_round.closed_at),
        "closed_by": review_round.closed_by.display_name if review_round.closed_by else None,
        # The final ranking's figures are stored (结束本轮 starts the job that computes them).
        "ranking_final": bool(review_round.ranking_final),
        "ranking_job_id": review_round.ranking_job_id,
    }


class ReviewProgressApi(PortalBaseApi):
    resource_name = "review_progress"
    class_permission_name = "ReviewProgress"
    method_permission_name = {"list_rounds": "read", "get": "read", "close": "write", "remind": "write"}
    openapi_spec_tag = "Review progress"

    def _round(self, round_id):
        return (
            db.session.query(ReviewRound)
            .filter(ReviewRound.id == round_id, scoping.review_round_clause(current_user))
            .one_or_none()
        )

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_rounds(self):
        """The rounds (初审, 复审) of the current campaign that exist so far.
        ---
        get:
          responses:
            200: {description: "rounds: [{id, stage, stage_label, starts_at, ends_at, open, closed_at, closed_by}]"}
        """
        campaign = schedule.current_campaign()
        found = []
        if campaign is not None:
            found = (
                db.session.query(ReviewRound)
                .filter(ReviewRound.campaign_id == campaign.id, scoping.review_round_clause(current_user))
                .order_by(ReviewRound.id)
                .all()
            )
        return self.response(200, rounds=[round_json(r) for r in found])

    @expose("/<int:round_id>", methods=["GET"])
    @protect()
    @safe
    def get(self, round_id):
        """One round's progress: the round, totals, each expert's reviews by state, the reviews not submitted.
        ---
        get:
          parameters:
          - {in: path, name: round_id, required: true, schema: {type: integer}}
          responses:
            200: {description: "round, totals, experts, missing"}
            404: {description: no such round}
        """
        review_round = self._round(round_id)
        if review_round is None:
            return self.response_404()
        rows = rounds.progress(review_round)
        totals = rounds.totals(rows)
        return self.response(
            200,
            round=round_json(review_round),
            totals={name: getattr(totals, name) for name in
                    ("experts", "assigned", "submitted", "draft", "not_started", "declined", "unfinished")},
            experts=[
                {
                    "expert_id": row.expert.id,
                    "name": row.expert.name,
                    "employer": row.expert.employer,
                    "panel": row.panel,
                    "assigned": row.assigned,
                    "submitted": row.submitted,
                    "draft": row.draft,
                    "not_started": row.not_started,
                    "declined": row.declined,
                    "last_activity": _time(row.last_activity),
                }
                for row in rows
            ],
            missing=[
                {
                    "assignment_id": item.assignment_id,
                    "application_id": item.application_id,
                    "application": item.application_name,
                    "units": item.units,
                    "expert_id": item.expert_id,
                    "expert": item.expert_name,
                    "status": item.status,
                    "status_label": str(item.status_label),
                }
                for item in rounds.missing(review_round)
            ],
            now=_time(clock.now()),
        )

    @expose("/<int:round_id>/close", methods=["POST"])
    @protect()
    @safe
    @answers_refusals
    def close(self, round_id):
        """结束本轮: once the window has ended, or earlier when every review not declined is submitted. No reopening.
        ---
        post:
          parameters:
          - {in: path, name: round_id, required: true, schema: {type: integer}}
          responses:
            200: {description: closed}
            403: {description: not the city office}
            404: {description: no such round}
            409: {description: already closed, or reviews missing before the window ends}
        """
        review_round = rounds.close(current_user, round_id)
        return self.response(200, round=round_json(review_round))

    @expose("/<int:round_id>/remind", methods=["POST"])
    @protect()
    @safe
    @answers_refusals
    def remind(self, round_id):
        """提醒: an in-app message to each expert (all, or `{"expert_ids": [...]}`) with reviews not yet submitted.
        ---
        post:
          parameters:
          - {in: path, name: round_id, required: true, schema: {type: integer}}
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    expert_ids: {type: array, items: {type: integer}}
          responses:
            200: {description: "reminded: how many experts got a message"}
            400: {description: expert_ids is not a list of integers}
            403: {description: not the city office}
            404: {description: no such round}
            409: {description: the round is closed}
        """
        expert_ids = json_object(_("请求内容须为 JSON 对象"), missing_ok=True).get("expert_ids")
        if expert_ids is not None and (
            not isinstance(expert_ids, list)
            or not all(isinstance(i, int) and row_id(i) is not None for i in expert_ids)  # no true, none past INTEGER
        ):
            return self.response_400(message=_("expert_ids 须为专家编号（整数）的列表"))
        return self.response(200, reminded=rounds.remind(current_user, round_id, expert_ids))
