"""/api/v1/ranking/: a round's ranking as JSON (city office, auditor) and the city office's picks from it, through
app/workflow.py with the same checks and Chinese messages as the 评审排名 page."""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_login import current_user

from app import ranking, workflow
from app.api.base import PortalBaseApi, answers_refusals, json_object
from app.bounds import row_id
from app.extensions import db
from app.models import ReviewRound

PICK_ACTIONS = tuple(a for actions in workflow.PICKS.values() for a in actions)
# 按排名选前 N 名 of the 复审 ranking (workflow.pick_top): the REST action -> the pick.
TOP_ACTIONS = {"candidate_top": "candidate", "feature_top": "feature"}


PAGE_SIZE, PAGE_SIZE_MAX = 100, 1000  # rows of a ranking page: as the 评审排名 page, and at most


def _page_arg(name: str, default: int, most: int, least: int = 0) -> int | None:
    """?name= as a whole number in least..most, default when absent; None when it is anything else."""
    value = request.args.get(name)
    if value is None:
        return default
    number = int(value) if value.isascii() and value.isdigit() else None
    return number if number is not None and least <= number <= most else None


def _number(value):
    return float(value) if value is not None else None


def row_json(row: ranking.RankedRow) -> dict:
    a = row.application
    return {
        "rank": row.rank,
        "tied": row.tied,
        "application_id": a.id,
        "name": a.name,
        "unit": a.unit.full_name if a.unit is not None else None,
        "n_reviews": row.n_reviews,
        "mean": _number(row.mean),
        "z": _number(row.z),
        "spread": _number(row.spread),
        "disagreement": row.disagreement,
        "status": a.status,
        "status_label": str(a.status_label),
        "totals": {str(expert_id): float(total) for expert_id, total in row.totals.items()},
    }


class RankingApi(PortalBaseApi):
    resource_name = "ranking"
    class_permission_name = "Ranking"
    method_permission_name = {"get_ranking": "read", "pick": "write"}
    openapi_spec_tag = "Ranking"

    @expose("/<int:round_id>", methods=["GET"])
    @protect()
    @safe
    def get_ranking(self, round_id):
        """A round's ranking, best first, a page at a time: `?order=mean|z&page=0&page_size=100`.
        ---
        get:
          parameters:
          - in: path
            name: round_id
            schema: {type: integer}
          - in: query
            name: order
            schema: {type: string, enum: [mean, z]}
          - in: query
            name: page
            description: "the page, from 0 (as FAB's lists)"
            schema: {type: integer, minimum: 0}
          - in: query
            name: page_size
            description: "rows per page: 100 unless given, at most 1000"
            schema: {type: integer, minimum: 1, maximum: 1000}
          responses:
            200: {description: "count: rows of the whole ranking; rows: the page's, each with rank (null: 无评分),
                  tied, mean, z, spread, disagreement, totals per expert; source: final | live | snapshot (as of
                  ranked_at)"}
            400: {description: unknown order, or a page or page_size that is not a number in range}
            404: {description: no such round}
            409: {description: "a large round's figures are being computed (closed) or were never computed (open)"}
        """
        review_round = db.session.get(ReviewRound, round_id)
        if review_round is None:
            return self.response_404()
        order = request.args.get("order", "mean")
        if order not in ranking.ORDERS:
            return self.response_400(message=_("order 须为 mean（平均分）或 z（标准化分）"))
        number, size = _page_arg("page", 0, 10**6), _page_arg("page_size", PAGE_SIZE, PAGE_SIZE_MAX, least=1)
        if number is None or size is None:
            return self.response_400(
                message=_("page 须为不小于 0 的整数，page_size 须为 1 到 %(most)s 的整数", most=PAGE_SIZE_MAX))
        how = ranking.source_of(review_round)
        if how in (ranking.COMPUTING, ranking.NOT_YET):
            return self.response(409, message=ranking.not_ready_message(review_round), source=how)
        # A round may rank 100,000 applications: a page of them, read as the 评审排名 page reads its own.
        rows, count = ranking.page(review_round, order, number + 1, size, how)
        return self.response(
            200, round_id=review_round.id, stage=review_round.stage, stage_label=str(review_round.stage_label),
            closed=review_round.is_closed, order=order, disagreement=float(ranking.DISAGREEMENT),
            source=how, ranked_at=review_round.ranked_at.isoformat() if how in (ranking.FINAL, ranking.SNAPSHOT)
            else None,
            counts=workflow.pick_counts(review_round.campaign_id), count=count, page=number, page_size=size,
            rows=[row_json(r) for r in ranking.with_totals(review_round, rows)],
        )

    @expose("/pick", methods=["POST"])
    @protect()
    @safe
    @answers_refusals
    def pick(self):
        """The city office's pick: `{"application_id": 1 | "application_ids": [1, 2], "action": "candidate",
        "reason": "..."}`; action one of shortlist, unshortlist, candidate, uncandidate, feature, unfeature, or
        `{"action": "shortlist_top", "round_id": 3, "k": 50}` for the top K of 初审 (ties included), or
        `{"action": "candidate_top" | "feature_top", "round_id": 4, "n": 100}` for the top N of 复审 as 拟评选 /
        重点宣传 (n defaults to the places the quota has left; ties at the boundary are left out and listed in
        `tied`, with `message` saying what the office must decide by hand).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    application_id: {type: integer}
                    application_ids: {type: array, items: {type: integer}}
                    action: {type: string, enum: [shortlist, unshortlist, candidate, uncandidate, feature,
                             unfeature, shortlist_top, candidate_top, feature_top]}
                    reason: {type: string}
                    round_id: {type: integer}
                    k: {type: integer}
                    n: {type: integer}
          responses:
            200: {description: "done: ids done; refused: id -> Chinese message"}
            400: {description: bad request}
            403: {description: not the city office}
            404: {description: not found}
            409: {description: not possible now (state, round not closed, quota full)}
            422: {description: "a reason is required (errors.opinion) or k is invalid"}
        """
        body = json_object(_("请求内容须为 JSON 对象"), missing_ok=True)
        action = body.get("action", "")
        if not isinstance(action, str):  # a list or an object is no action (and no key of TOP_ACTIONS)
            action = ""
        reason = body.get("reason")
        if reason is not None and not isinstance(reason, str):
            return self.response_400(message=_("reason 须为文字"))
        if action == "shortlist_top":
            result = workflow.shortlist_top(current_user, body.get("round_id", ""), body.get("k"))
            return self.response(200, done=[a.id for a in result.done], refused={str(k): v for k, v in result.refused.items()},
                                 chosen=[r.application.id for r in result.chosen], tied_extra=result.tied_extra,
                                 already=result.already)
        if action in TOP_ACTIONS:
            try:
                result = workflow.pick_top(current_user, body.get("round_id", ""), TOP_ACTIONS[action], body.get("n"))
            except workflow.WorkflowError as refused:
                return self.response(refused.status, message=str(refused), errors=refused.errors)
            return self.response(200, done=[a.id for a in result.done],
                                 refused={str(k): v for k, v in result.refused.items()}, n=result.n,
                                 tied=[r.application.id for r in result.tied], room=result.room,
                                 message=result.tie_message or "")
        if action not in PICK_ACTIONS:
            return self.response_400(message=_("action 须为 %(a)s 之一",
                                               a="、".join(PICK_ACTIONS + ("shortlist_top",) + tuple(TOP_ACTIONS))))
        many = body.get("application_ids")
        if many is not None:
            if not isinstance(many, list) or not many or any(not isinstance(i, int) or row_id(i) is None for i in many):
                return self.response_400(message=_("application_ids 须为报名编号的列表"))
            if not (reason or "").strip():
                why = workflow.pick_opinion_needed(many, action)
                if why:
                    return self.response(422, message=why, errors={"opinion": why})
            done, refused = workflow.pick_many(current_user, many, action, reason)
            return self.response(200, done=[a.id for a in done], refused={str(k): v for k, v in refused.items()})
        application_id = body.get("application_id")
        if not isinstance(application_id, int) or row_id(application_id) is None:  # bounded: the id column is INTEGER
            return self.response_400(message=_("请给出 application_id 或 application_ids"))
        application = workflow.perform(current_user, application_id, action, reason)
        return self.response(200, id=application.id, status=application.status,
                             status_label=str(application.status_label))
