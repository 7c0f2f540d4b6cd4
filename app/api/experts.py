"""/api/v1/expert/ (评审专家) and /api/v1/review_round/ (评审设置): the city office's REST doors to app/experts.py,
with the same checks and messages as the screens. An expert's password never leaves the portal, except the one
generated at creation, once, in the answer to that POST."""
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app import experts, masking, schedule, scoping
from app.api.base import ListAndGetApi, Refused, answers_refusals, json_object
from app.extensions import db
from app.models import Expert, ExpertPanelMember, ReviewRound, Unit
from app.views.experts import current_rounds


def expert_json(expert: Expert) -> dict:
    account = expert.account
    return {
        "id": expert.id,
        "name": expert.name,
        "username": account.username,
        "phone": masking.mask_phone(account.phone),  # masked like every phone (app/masking.py)
        "employer": expert.employer,
        "employer_unit_id": expert.employer_unit_id,
        "employer_unit": expert.employer_unit.full_name if expert.employer_unit else None,
        "field": expert.field,
        "active": account.active,
        "must_change_password": account.must_change_password,
        "panels": [{"round_id": m.round_id, "panel_id": m.panel_id, "name": m.panel.name} for m in expert.memberships],
        "conflicts": [{"unit_id": c.unit_id, "application_id": c.application_id, "reason": c.reason}
                      for c in expert.conflicts],
    }


def _input(body: dict, expert: Expert | None = None) -> experts.ExpertInput:
    """The body as the form's fields; what should be text and is not (a number, a list) is refused at its field."""
    wrong = [experts.ExpertError(_("须为文字"), field=key) for key in ("name", "employer", "field", "phone", "username")
             if body.get(key) is not None and not isinstance(body[key], str)]
    if wrong:
        raise experts.ExpertErrors(wrong)

    def given(key, current):
        return body[key] if key in body else current

    return experts.ExpertInput(
        name=given("name", expert.account.first_name if expert else ""),
        employer=given("employer", expert.employer if expert else ""),
        field=given("field", expert.field if expert else None),
        phone=given("phone", expert.account.phone if expert else ""),
        employer_unit_id=given("employer_unit_id", expert.employer_unit_id if expert else None),
        username=body.get("username"),
    )


class ExpertApi(ListAndGetApi):
    """评审专家: every expert for the city office and the auditor."""

    resource_name = "expert"
    class_permission_name = "Expert"
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "put": "write"}
    openapi_spec_tag = "Experts"

    def _found(self):
        """Every expert in scope with what expert_json reads of each: six statements however many experts (one per
        expert and relation before: 307 for 60 experts)."""
        return (db.session.query(Expert).filter(scoping.expert_clause(current_user)).order_by(Expert.id)
                .options(joinedload(Expert.account), joinedload(Expert.employer_unit).joinedload(Unit.parent),
                         selectinload(Expert.memberships).joinedload(ExpertPanelMember.panel),
                         selectinload(Expert.conflicts))
                .all())

    def _one(self, pk):
        return experts.expert_in_scope(current_user, pk)

    def _json(self, row):
        return expert_json(row)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @answers_refusals
    def post(self):
        """Create an expert: name, employer, phone required; field, employer_unit_id, username optional. The answer
        carries the generated password, once; the expert changes it at first sign-in.
        ---
        post:
          responses:
            201: {description: "result: the expert, password: the generated password"}
            422: {description: "message and errors by field"}
        """
        body = json_object(_("请求体须为 JSON 对象"))
        try:
            expert, password = experts.create_expert(self.appbuilder.sm, current_user, _input(body))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return self.response(409, message=_("账号用户名或手机号刚被占用，请修改后重试"))
        return self.response(201, result=expert_json(expert), password=password)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @answers_refusals
    def put(self, pk):
        """Change an expert: any of name, employer, field, phone, employer_unit_id, active.
        ---
        put:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: the expert}
            404: {description: no such expert in scope}
            422: {description: "message and errors by field"}
        """
        expert = self._one(pk)
        if expert is None:
            return self.response_404()
        body = json_object(_("请求体须为 JSON 对象"))
        active = body.get("active")
        if active is not None and not isinstance(active, bool):
            return self.response(422, message=_("active 须为 true 或 false"), errors={"active": [_("须为 true 或 false")]})
        experts.update_expert(current_user, expert, _input(body, expert), active=active)
        db.session.commit()
        return self.response(200, result=expert_json(expert))


def round_json(review_round: ReviewRound) -> dict:
    window = review_round.campaign.window(review_round.stage)
    return {
        "id": review_round.id,
        "campaign_id": review_round.campaign_id,
        "stage": review_round.stage,
        "stage_label": str(review_round.stage_label),
        "starts_at": window.starts_at.isoformat() if window and window.starts_at else None,
        "ends_at": window.ends_at.isoformat() if window and window.ends_at else None,
        "closed_at": review_round.closed_at.isoformat() if review_round.closed_at else None,
        "experts_per_application": review_round.experts_per_application,
        "editable": experts.settings_locked(review_round) is None,
        "locked_reason": experts.settings_locked(review_round),
        "criteria": [{"id": c.id, "key": c.key, "label": c.label, "weight": c.weight, "max_score": c.max_score}
                     for c in review_round.criteria],
    }


class ReviewRoundApi(ListAndGetApi):
    """评审设置: 初审 and 复审 of the current campaign, with their rubric."""

    resource_name = "review_round"
    class_permission_name = "ReviewSettings"
    method_permission_name = {"get_list": "read", "get": "read", "put": "write"}
    openapi_spec_tag = "Review rounds"

    def _found(self):
        return current_rounds() if scoping.sees_everything(current_user) else []

    def _one(self, pk):
        if not scoping.sees_everything(current_user):
            return None
        review_round = db.session.get(ReviewRound, pk)
        campaign = schedule.current_campaign()
        return review_round if review_round is not None and campaign is not None and \
            review_round.campaign_id == campaign.id else None

    def _json(self, row):
        return round_json(row)

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @answers_refusals
    def put(self, pk):
        """Set experts_per_application and the criteria ([{id, label, weight, max_score}], all six), before the
        round's window opens.
        ---
        put:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: the round}
            403: {description: the round's window has opened}
            422: {description: "message and errors by field"}
        """
        review_round = self._one(pk) if scoping.is_city_office(current_user) else None
        if review_round is None:
            return self.response_404()
        body = json_object(_("请求体须为 JSON 对象"))
        # Criteria not named keep their values: a client may send just the ones it changes.
        criteria = {c.id: experts.CriterionInput(c.label, c.weight, c.max_score) for c in review_round.criteria}
        given_list = body.get("criteria") or []
        if not isinstance(given_list, list):
            given_list = [None]
        for given in given_list:
            if not isinstance(given, dict) or not str(given.get("id", "")).isdigit():
                raise Refused(_("评分标准须写成 {id, label, weight, max_score} 的列表"))
            old = criteria.get(int(given["id"])) or experts.CriterionInput("", "", "")
            criteria[int(given["id"])] = experts.CriterionInput(given.get("label", old.label),
                                                                given.get("weight", old.weight),
                                                                given.get("max_score", old.max_score))
        experts.update_round(current_user, review_round,
                             body.get("experts_per_application", review_round.experts_per_application), criteria)
        db.session.commit()
        return self.response(200, result=round_json(review_round))
