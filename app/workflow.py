"""Every state change of an application, in one table and one function.

`perform(actor, application_id, action)` locks the row, checks role, scope, state and stage window, runs the
action's own guard, moves the state, writes the history and the audit log, and commits; `perform_many` does the same
to several rows in one transaction, a savepoint each. `submit_unit(actor)` is a unit's 提交/上报 of all its decisions
at once, under the same rules. HTML views, bulk actions, REST endpoints and CLI commands call these; nothing else sets
Application.status.
"""
import functools
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import applications, audit, clock, notifications, ranking, request_cache, roles, schedule, scoping, tallies
from app.bounds import row_id
from app.extensions import db
from app.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ApplicationTally,
    Campaign,
    RecommendationQuota,
    ReviewAssignment,
    ReviewRound,
    Stage,
    Unit,
    UnitSubmission,
)
from app.models.review import STARTED

S = ApplicationStatus


class WorkflowError(Exception):
    """A refused action; str() is the Chinese message, `errors` the fields to fix, `status` the HTTP status."""

    def __init__(self, message, errors: dict | None = None, status: int = 409):
        super().__init__(str(message))
        self.errors = errors or {}
        self.status = status


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: frozenset
    target: ApplicationStatus
    role: str
    stage: Stage | None
    level: int | None = None  # the unit level that acts (a unit's transitions)
    opinion_required: bool = False
    guard: Callable[[object, Application], None] | None = None
    # Called (application, at): `at` is the moment perform() checked the window at, so what it stamps is that moment.
    on_done: Callable[[Application, datetime], None] | None = None
    # Who acts: APPLICANT (the application's owner), UNIT (the clerk of the unit at `level`), OFFICE (the city office,
    # on any application it can see). None: a unit when level is set, else the applicant.
    actor_kind: str | None = None
    # When an opinion is required although opinion_required is False: returns the reason it is (Chinese) or None.
    # Called (application) by perform(), (application, together=ids picked at once) by pick_opinion_needed().
    opinion_needed: Callable[..., str | None] | None = None

    @property
    def kind(self) -> str:
        return self.actor_kind or (UNIT if self.level is not None else APPLICANT)


APPLICANT, UNIT, OFFICE = "applicant", "unit", "office"


def _ready_to_submit(actor, application: Application) -> None:
    errors = applications.completeness_errors(application)
    if set(errors) == {"id_number"}:
        # Complete, but the number is taken or belongs to a past winner: the banner says that, not "incomplete".
        raise WorkflowError(errors["id_number"], errors=errors, status=422)
    if errors:
        raise WorkflowError(_("报名信息还不完整，请按提示补充后再提交"), errors=errors, status=422)


def _stamp_submitted(application: Application, at: datetime) -> None:
    application.submitted_at = at


def acting_unit(application: Application, level: int) -> Unit:
    return application.unit if level == 2 else application.unit.parent


def _not_yet_submitted(actor, application: Application) -> None:
    unit_id = actor.unit_id
    if db.session.query(UnitSubmission.id).filter_by(campaign_id=application.campaign_id, unit_id=unit_id).first():
        raise WorkflowError(_("本单位已提交，评审结果已锁定，不能再更改"))


RECOMMENDED_BY = {2: (S.L2_RECOMMENDED, S.L2_FORWARDED), 1: (S.L1_RECOMMENDED, S.REPORTED)}


def quota_of(campaign_id: int, level: int) -> int | None:
    """The campaign's cap on recommendations per unit of this level; None: no cap."""
    return (
        db.session.query(RecommendationQuota.max_recommended).filter_by(campaign_id=campaign_id, level=level).scalar()
    )


def recommended_count(campaign_id: int, unit_id: int, level: int) -> int:
    """How many the unit has recommended so far (decided or already handed on): what its quota counts."""
    return (
        _unit_applications(campaign_id, unit_id, level)
        .filter(Application.status.in_([s.value for s in RECOMMENDED_BY[level]]))
        .with_entities(func.count(Application.id))
        .scalar()
    )


def _within_quota(level: int):
    return lambda actor, application: _quota_guard(level, actor, application)


def _quota_guard(level: int, actor, application: Application) -> None:
    """Module level rather than a closure built at import, so that `make mutation` reaches it."""
    _not_yet_submitted(actor, application)
    quota = quota_of(application.campaign_id, level)
    if quota is None:
        return
    # Two clerks of one unit may click at once: the unit's row is the lock they queue on.
    db.session.query(Unit.id).filter(Unit.id == actor.unit_id).with_for_update().one()
    if recommended_count(application.campaign_id, actor.unit_id, level) >= quota:
        raise WorkflowError(
            _("本单位最多推荐 %(n)s 人，名额已满；可先将其他人改为不推荐", n=quota), status=409
        )


def _decided(actor, application: Application) -> None:
    _not_yet_submitted(actor, application)


# --- 专家评审: the city office's picks from the rankings (app/ranking.py) ------------------------------------------
# 入围复审 from the 初审 ranking once 初审 is closed and while 复审 is not; 拟评选 (at most campaign.winner_quota,
# 重点宣传 included) and 重点宣传 (at most campaign.featured_quota) from the 复审 ranking once 复审 is closed and
# before 公示 starts. A pick that passes over a better-ranked application needs a written reason.


def _round(campaign, stage: Stage) -> ReviewRound | None:
    """The campaign's round of this stage, if made yet. app.rounds imports this module (WorkflowError): imported
    here, not at the top, so that either module may be imported first."""
    from app import rounds

    return rounds.round_for(campaign, stage, create=False)


def _round_closed(campaign, stage: Stage) -> bool:
    found = _round(campaign, stage)
    return found is not None and found.is_closed


def _shortlist_open(actor, application: Application) -> None:
    campaign = application.campaign
    if not _round_closed(campaign, Stage.INITIAL_REVIEW):
        raise WorkflowError(_("专家初审尚未结束：市学习办结束初审后才能确定入围复审名单"))
    if _round_closed(campaign, Stage.FINAL_REVIEW):
        raise WorkflowError(_("专家复审已结束，入围复审名单不能再更改"))


def _unshortlist_open(actor, application: Application) -> None:
    _shortlist_open(actor, application)
    final = _round(application.campaign, Stage.FINAL_REVIEW)
    if final is not None and db.session.query(ReviewAssignment.id).filter(
        ReviewAssignment.round_id == final.id, ReviewAssignment.application_id == application.id,
        ReviewAssignment.status.in_(STARTED),
    ).first():
        raise WorkflowError(_("已有专家开始复审该报名，不能再移出复审"))


def _picks_open(actor, application: Application) -> None:
    picks_open(application.campaign)


def picks_open(campaign) -> None:
    """Refuses (WorkflowError) unless 拟评选 and 重点宣传 may change now: 复审 closed, 公示 not begun."""
    if not _round_closed(campaign, Stage.FINAL_REVIEW):
        raise WorkflowError(_("专家复审尚未结束：市学习办结束复审后才能确定拟评选名单"))
    publicity = campaign.window(Stage.PUBLICITY)
    if publicity is not None and publicity.starts_at is not None and clock.now() >= publicity.starts_at:
        raise WorkflowError(_("公示已开始，拟评选名单不能再更改"))


def pick_counts(campaign_id: int) -> dict[str, int]:
    """拟评选 (重点宣传 included) and 重点宣传 so far in the campaign."""
    rows = dict(
        db.session.query(Application.status, func.count(Application.id))
        .filter(Application.campaign_id == campaign_id,
                Application.status.in_([S.CANDIDATE.value, S.FEATURED.value]))
        .group_by(Application.status)
        .all()
    )
    featured = rows.get(S.FEATURED.value, 0)
    return {"candidates": rows.get(S.CANDIDATE.value, 0) + featured, "featured": featured}


def _lock_campaign(application: Application) -> Campaign:
    # Concurrent clicks for the last places queue on the campaign's row; each counts after the one before committed.
    return (
        db.session.query(Campaign).filter(Campaign.id == application.campaign_id)
        .with_for_update().populate_existing().one()
    )


def _candidate_guard(actor, application: Application) -> None:
    _picks_open(actor, application)
    campaign = _lock_campaign(application)
    n = pick_counts(campaign.id)["candidates"]
    if n >= campaign.winner_quota:
        raise WorkflowError(_("拟评选名额已满：本批次最多 %(quota)s 人，已有 %(n)s 人；可先取消其他人的拟评选",
                              quota=campaign.winner_quota, n=n))


def _feature_guard(actor, application: Application) -> None:
    _picks_open(actor, application)
    campaign = _lock_campaign(application)
    n = pick_counts(campaign.id)["featured"]
    if n >= campaign.featured_quota:
        raise WorkflowError(_("重点宣传名额已满：本批次最多 %(quota)s 人，已有 %(n)s 人；可先取消其他人的重点宣传",
                              quota=campaign.featured_quota, n=n))


def _passed_over(application: Application, stage: Stage, waiting: ApplicationStatus,
                 together=frozenset()) -> str | None:
    """Why picking this application needs a reason: an application still `waiting` (and not picked together with
    it) ranks strictly better in the round's ranking (by mean). None: the pick follows the ranking."""
    review_round = _round(application.campaign, stage)
    if review_round is None:
        return None
    ranks = _mean_ranks(review_round)
    my_rank = ranks.get(application.id)
    waiting_rows = (
        db.session.query(Application.id, Application.name)
        .filter(Application.campaign_id == application.campaign_id, Application.status == waiting.value,
                Application.id != application.id)
        .all()
    )
    better = min(
        ((ranks[i], name) for i, name in waiting_rows
         if i not in together and i in ranks and (my_rank is None or ranks[i] < my_rank)),
        key=lambda pair: pair[0],
        default=None,
    )
    if better is None:
        return None
    place = _("第 %(n)s 名", n=my_rank) if my_rank is not None else _("无评分")
    return _("「%(name)s」在%(round)s排名中为%(place)s，排名更前的「%(other)s」（第 %(better)s 名）尚未选入："
             "不按排名选择时请填写理由",
             name=application.name, round=stage.label, place=place, other=better[1], better=better[0])


def _mean_ranks(review_round: ReviewRound) -> dict[int, int]:
    """The round's ranks by mean; refused while a large round's figures are being computed (结束本轮's job)."""
    try:
        return ranking.mean_ranks(review_round.id)
    except ranking.NotReady as pending:
        raise WorkflowError(str(pending)) from pending


def _ranked(review_round: ReviewRound, field: str) -> list:
    """The round's whole ranking by mean, refused (on `field`) while its figures are being computed."""
    try:
        return ranking.rank(review_round, "mean")
    except ranking.NotReady as pending:
        raise WorkflowError(str(pending), errors={field: str(pending)}) from pending


def _shortlist_needs_reason(application: Application, together=frozenset()) -> str | None:
    return _passed_over(application, Stage.INITIAL_REVIEW, S.REPORTED, together)


def _candidate_needs_reason(application: Application, together=frozenset()) -> str | None:
    return _passed_over(application, Stage.FINAL_REVIEW, S.SHORTLISTED, together)


def _feature_needs_reason(application: Application, together=frozenset()) -> str | None:
    return _passed_over(application, Stage.FINAL_REVIEW, S.CANDIDATE, together)


# --- 公示 and 审核确定 -------------------------------------------------------------------------------------------
# During 公示 the list is public: a candidate leaves it only by 撤销, with the reason (an objection found true), and
# until the leading group's decision is recorded. 审核确定 (app/approval.py) then moves every candidate at once
# through award(): 拟评选 → 首都市民学习之星, 拟评选（重点宣传） → 首都市民学习之星（重点宣传）.


def publicity_started(campaign, at: datetime | None = None) -> bool:
    window = campaign.window(Stage.PUBLICITY)
    return window is not None and window.starts_at is not None and (at or clock.now()) >= window.starts_at


def publicity_ended(campaign, at: datetime | None = None) -> bool:
    window = campaign.window(Stage.PUBLICITY)
    return window is not None and window.ends_at is not None and (at or clock.now()) > window.ends_at


def is_approved(campaign) -> bool:
    from app.models import CampaignApproval

    return db.session.query(CampaignApproval.id).filter_by(campaign_id=campaign.id).first() is not None


def _withdraw_open(actor, application: Application) -> None:
    campaign = application.campaign
    if not publicity_started(campaign):
        raise WorkflowError(_("公示尚未开始：公示前请在「拟评选名单」中取消拟评选"))
    if is_approved(campaign):
        raise WorkflowError(_("本批次名单已审核确定，不能再撤销"))


def _award_open(actor, application: Application) -> None:
    """award() is called by app/approval.py, which has checked the period and locked the campaign; this guard keeps
    a direct perform() of these actions out."""
    raise WorkflowError(_("请在「审核确定」中录入领导小组的审核决定"), status=409)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", _l("提交报名"), frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, roles.APPLICANT,
                   Stage.APPLY, guard=_ready_to_submit, on_done=_stamp_submitted),
        Transition("return", _l("退回修改"), frozenset({S.SUBMITTED}), S.RETURNED, roles.L2_CLERK, Stage.APPLY,
                   level=2, opinion_required=True, guard=_decided),
        Transition("l2_recommend", _l("推荐"), frozenset({S.SUBMITTED, S.L2_NOT_RECOMMENDED}), S.L2_RECOMMENDED,
                   roles.L2_CLERK, Stage.L2_REVIEW, level=2, opinion_required=True, guard=_within_quota(2)),
        Transition("l2_reject", _l("不推荐"), frozenset({S.SUBMITTED, S.L2_RECOMMENDED}), S.L2_NOT_RECOMMENDED,
                   roles.L2_CLERK, Stage.L2_REVIEW, level=2, opinion_required=True, guard=_decided),
        Transition("l1_recommend", _l("推荐"), frozenset({S.L2_FORWARDED, S.L1_NOT_RECOMMENDED}), S.L1_RECOMMENDED,
                   roles.L1_CLERK, Stage.L1_REVIEW, level=1, opinion_required=True, guard=_within_quota(1)),
        Transition("l1_reject", _l("不推荐"), frozenset({S.L2_FORWARDED, S.L1_RECOMMENDED}), S.L1_NOT_RECOMMENDED,
                   roles.L1_CLERK, Stage.L1_REVIEW, level=1, opinion_required=True, guard=_decided),
        Transition("shortlist", _l("入围复审"), frozenset({S.REPORTED}), S.SHORTLISTED, roles.CITY_OFFICE, None,
                   actor_kind=OFFICE, guard=_shortlist_open, opinion_needed=_shortlist_needs_reason),
        Transition("unshortlist", _l("移出复审"), frozenset({S.SHORTLISTED}), S.REPORTED, roles.CITY_OFFICE, None,
                   actor_kind=OFFICE, guard=_unshortlist_open),
        Transition("candidate", _l("拟评选"), frozenset({S.SHORTLISTED}), S.CANDIDATE, roles.CITY_OFFICE, None,
                   actor_kind=OFFICE, guard=_candidate_guard, opinion_needed=_candidate_needs_reason),
        Transition("uncandidate", _l("取消拟评选"), frozenset({S.CANDIDATE}), S.SHORTLISTED, roles.CITY_OFFICE, None,
                   actor_kind=OFFICE, guard=_picks_open),
        Transition("feature", _l("重点宣传"), frozenset({S.CANDIDATE}), S.FEATURED, roles.CITY_OFFICE, None,
                   actor_kind=OFFICE, guard=_feature_guard, opinion_needed=_feature_needs_reason),
        Transition("unfeature", _l("取消重点宣传"), frozenset({S.FEATURED}), S.CANDIDATE, roles.CITY_OFFICE, None,
                   actor_kind=OFFICE, guard=_picks_open),
        Transition("withdraw", _l("撤销（公示异议）"), frozenset({S.CANDIDATE, S.FEATURED}), S.WITHDRAWN,
                   roles.CITY_OFFICE, None, actor_kind=OFFICE, opinion_required=True, guard=_withdraw_open),
        Transition("award", _l("审核确定"), frozenset({S.CANDIDATE}), S.WINNER, roles.CITY_OFFICE, None,
                   actor_kind=OFFICE, guard=_award_open),
        Transition("award_featured", _l("审核确定（重点宣传）"), frozenset({S.FEATURED}), S.FEATURED_WINNER,
                   roles.CITY_OFFICE, None, actor_kind=OFFICE, guard=_award_open),
    )
}


def award(actor, campaign, opinion: str) -> list[Application]:
    """审核确定's move of the campaign's candidates to winners, inside the caller's transaction (app/approval.py
    locks the campaign, checks the period and commits). Each row gets its history step; returns the winners."""
    winners = []
    rows = (
        db.session.query(Application)
        .filter(Application.campaign_id == campaign.id, Application.status.in_([S.CANDIDATE.value, S.FEATURED.value]))
        .order_by(Application.id)
        .with_for_update()
        .populate_existing()
        .all()
    )
    citizens = notifications.preload(a.applicant_id for a in rows)  # noqa: F841 (one query, held while notifying)
    for application in rows:
        action = "award_featured" if application.status == S.FEATURED.value else "award"
        _check(actor, application, TRANSITIONS[action])
        source = application.status
        application.status = TRANSITIONS[action].target.value
        _event(application, actor, action, source, opinion)
        notifications.application_moved(application, action, actor, opinion)
        winners.append(application)
    return winners

# The picks each round's ranking offers, and what a bulk summary says was done.
PICKS = {
    Stage.INITIAL_REVIEW.value: ("shortlist", "unshortlist"),
    Stage.FINAL_REVIEW.value: ("candidate", "feature", "unfeature", "uncandidate"),
}
PICK_DONE_LABELS = {
    "shortlist": _l("已入围复审"),
    "unshortlist": _l("已移出复审"),
    "candidate": _l("已列入拟评选"),
    "uncandidate": _l("已取消拟评选"),
    "feature": _l("已列为重点宣传"),
    "unfeature": _l("已取消重点宣传"),
}


# The decision a clerk picks, in both front doors (the review pages and /api/v1/application/<id>/decision) ->
# the workflow action for the clerk's unit level.
DECISIONS = {
    "recommend": {2: "l2_recommend", 1: "l1_recommend"},
    "reject": {2: "l2_reject", 1: "l1_reject"},
    "return": {2: "return"},
}
DECISION_LABELS = {"recommend": _l("推荐"), "reject": _l("不推荐"), "return": _l("退回修改")}
DONE_LABELS = {"recommend": _l("已推荐"), "reject": _l("已不推荐"), "return": _l("已退回")}


def workflow_action(actor, decision) -> str | None:
    """The action a decision means for this actor (None: no such decision at the actor's level, or no decision at all:
    a REST body may carry a list or an object there)."""
    if not isinstance(decision, str):
        return None
    return DECISIONS.get(decision, {}).get(unit_level(actor))


def opinion_message(action: str) -> str:
    """What a missing opinion is called: 退回理由 for a return, 撤销理由 for a withdrawal, 推荐意见 for a decision."""
    if action == "return":
        return _("请填写退回理由")
    if action == "withdraw":
        return _("请填写撤销理由")
    return _("请填写推荐意见")


# The longest opinion, reason or note a decision records (review/decide.html's textarea says the same).
OPINION_MAX_CHARS = 2000


def require_opinion(action: str, opinion: str | None) -> str | None:
    """The opinion as recorded (stripped; None when none is needed and none given); refuses a missing one, one that
    is not text (a REST body's number or list) and one longer than OPINION_MAX_CHARS."""
    transition = TRANSITIONS.get(action)
    if opinion is not None and not isinstance(opinion, str):
        message = _("意见须为文字")
        raise WorkflowError(message, errors={"opinion": message}, status=422)
    opinion = (opinion or "").strip() or None
    if opinion is not None and len(opinion) > OPINION_MAX_CHARS:
        message = _("意见不能超过 %(max)s 字，现在是 %(n)s 字", max=OPINION_MAX_CHARS, n=len(opinion))
        raise WorkflowError(message, errors={"opinion": message}, status=422)
    if transition is not None and transition.opinion_required and not opinion:
        message = opinion_message(action)
        raise WorkflowError(message, errors={"opinion": message}, status=422)
    return opinion


@dataclass(frozen=True)
class UnitStep:
    """A unit's 提交 (level 2) or 上报 (level 1): every decided application moves on together."""

    action: str
    label: object
    stage: Stage
    moves: dict
    undecided: ApplicationStatus


UNIT_STEPS = {
    2: UnitStep("l2_submit", _l("提交至一级单位"), Stage.L2_REVIEW,
                {S.L2_RECOMMENDED: S.L2_FORWARDED, S.L2_NOT_RECOMMENDED: S.L2_REJECTED}, S.SUBMITTED),
    1: UnitStep("l1_report", _l("上报市学习办"), Stage.L1_REVIEW,
                {S.L1_RECOMMENDED: S.REPORTED, S.L1_NOT_RECOMMENDED: S.L1_REJECTED}, S.L2_FORWARDED),
}


def allowed(actor, application: Application, action: str) -> bool:
    """Whether perform() would pass its role, scope, state and window checks (for showing buttons)."""
    try:
        _check(actor, application, TRANSITIONS[action])
    except WorkflowError:
        return False
    return True


def _may_act(actor, application: Application, transition: Transition) -> bool:
    if transition.kind == OFFICE:
        return scoping.can_see_application(actor, application)
    if transition.kind == APPLICANT:
        return application.applicant_id == actor.id
    unit_id = getattr(actor, "unit_id", None)
    return (
        unit_id is not None
        and scoping.can_see_application(actor, application)
        and acting_unit(application, transition.level).id == unit_id
    )


def _check(actor, application: Application, transition: Transition, at: datetime | None = None) -> None:
    if transition.role not in scoping.role_names(actor):
        raise WorkflowError(_("您的角色不能执行「%(a)s」", a=transition.label), status=403)
    if not _may_act(actor, application, transition):
        raise WorkflowError(_("找不到该报名，或者您无权办理它"), status=404)
    if application.status_enum not in transition.sources:
        raise WorkflowError(
            _("该报名当前为「%(s)s」，不能「%(a)s」", s=application.status_label, a=transition.label)
        )
    if transition.stage is not None:
        try:
            schedule.require_open(transition.stage, application.campaign, at=at)
        except schedule.StageClosed as closed:
            raise WorkflowError(str(closed), status=403) from closed


def _event(application, actor, action, source, opinion=None, at: datetime | None = None) -> None:
    db.session.add(
        ApplicationEvent(
            # By id, not through the relationship: setting that appended the event to application.events, a
            # collection nothing reads before the commit (about 6 % of a district's 上报 of 2,732 applications).
            application_id=application.id,
            at=at or clock.now(),
            actor_id=actor.id,
            actor_name=actor.username,
            unit_id=getattr(actor, "unit_id", None),
            action=action,
            from_status=source,
            to_status=application.status,
            opinion=opinion,
        )
    )


@contextmanager
def atomic(conflict: Callable[[IntegrityError], WorkflowError | None]):
    """Commit what the block did, or roll all of it back; a constraint the database enforced becomes conflict()'s
    WorkflowError (or is raised as it is when conflict() has nothing to say about it)."""
    try:
        yield
        db.session.commit()
    except WorkflowError:
        db.session.rollback()
        raise
    except IntegrityError as clash:
        db.session.rollback()
        refusal = conflict(clash)
        if refusal is None:
            raise
        raise refusal from clash


def _duplicate_id_number(clash: IntegrityError) -> WorkflowError | None:
    if "id_number" not in str(clash.orig):
        return None
    message = _("该身份证号已在本批次提交过报名，每人每批次只能报名一次")
    return WorkflowError(message, errors={"id_number": message})


def perform(actor, application_id: int, action: str, opinion: str | None = None) -> Application:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(_("未知的操作"), status=400)
    with atomic(_duplicate_id_number):
        # populate_existing: the caller may hold this row already, read before the lock; what counts is now.
        application = (
            db.session.query(Application)
            .filter(Application.id == application_id)
            .with_for_update()
            .populate_existing()
            .one_or_none()
        )
        if application is None:
            raise WorkflowError(_("找不到该报名，或者您无权办理它"), status=404)
        _move(actor, application, transition, opinion)
    return application


def _move(actor, application: Application, transition: Transition, opinion: str | None) -> None:
    """perform()'s step on a locked row, in the caller's transaction: checks, moves, records, tells."""
    # One reading of the clock for the window check, the stamp and the history: read twice, a submission let in
    # at the deadline's last second was stamped a second after it when the clock ticked in between.
    at = clock.now()
    _check(actor, application, transition, at)
    opinion = require_opinion(transition.action, opinion)
    if transition.guard is not None:
        transition.guard(actor, application)
    if transition.opinion_needed is not None and opinion is None:
        why = transition.opinion_needed(application)
        if why:
            raise WorkflowError(why, errors={"opinion": why}, status=422)
    source = application.status
    application.status = transition.target.value
    if transition.on_done is not None:
        transition.on_done(application, at)
    _event(application, actor, transition.action, source, opinion, at)
    audit.record(f"application.{transition.action}", "application", application.id, repr(application),
                 from_status=source, to_status=application.status, opinion=opinion)
    # In the same transaction: a step that rolls back has told nobody.
    notifications.application_moved(application, transition.action, actor, opinion)


def pick_opinion_needed(application_ids, action: str) -> str | None:
    """Whether picking these applications departs from the ranking and so needs a reason: the first reason found
    (for showing the field message before anything is done), or None."""
    transition = TRANSITIONS.get(action)
    if transition is None or transition.opinion_needed is None:
        return None
    together = frozenset(application_ids)
    for application in db.session.query(Application).filter(Application.id.in_(list(application_ids))):
        if application.status_enum in transition.sources:
            try:
                why = transition.opinion_needed(application, together)
            except WorkflowError:
                return None  # the ranking is not ready: the pick itself says so, row by row

            if why:
                return why
    return None


def pick_many(actor, application_ids, action: str, opinion: str | None = None):
    """perform_many() for a pick, best-ranked first: picking the top two together passes over nobody, since the
    first is picked when the second is checked. Returns (done, {id: message})."""
    stage = Stage.INITIAL_REVIEW if action in PICKS[Stage.INITIAL_REVIEW.value] else Stage.FINAL_REVIEW
    ids = list(dict.fromkeys(application_ids))
    campaign_ids = {c for (c,) in db.session.query(Application.campaign_id).filter(Application.id.in_(ids))}
    position: dict[int, int] = {}
    for campaign_id in campaign_ids:
        review_round = _round(db.session.get(Campaign, campaign_id), stage)
        if review_round is not None:
            try:
                position.update(_mean_ranks(review_round))
            except WorkflowError as pending:
                return [], {i: str(pending) for i in ids}
    ids.sort(key=lambda i: position.get(i, len(ids) + len(position) + 1))
    return perform_many(actor, ids, action, opinion)


@dataclass
class TopShortlist:
    """What 前 K 名入围 did: the rows chosen (the top k and every row tied with the k-th), how many the tie added,
    which were shortlisted now and which were refused (id -> message)."""

    k: int
    chosen: list
    tied_extra: int
    done: list
    refused: dict
    already: int


def shortlist_top(actor, round_id, k) -> TopShortlist:
    """入围复审 for the top k of the 初审 ranking, each through perform(); ties at the boundary all go in."""
    if roles.CITY_OFFICE not in scoping.role_names(actor):
        raise WorkflowError(_("您的角色不能执行「%(a)s」", a=TRANSITIONS["shortlist"].label), status=403)
    try:
        k = int(str(k).strip())
    except (TypeError, ValueError):
        k = 0
    if k < 1:
        message = _("请填写入围人数（大于 0 的整数）")
        raise WorkflowError(message, errors={"k": message}, status=422)
    review_round = db.session.get(ReviewRound, row_id(round_id)) if row_id(round_id) is not None else None
    if review_round is None or review_round.stage != Stage.INITIAL_REVIEW.value:
        raise WorkflowError(_("找不到该初审轮次"), status=404)
    chosen, extra = ranking.top(_ranked(review_round, "k"), k)
    if not chosen:
        raise WorkflowError(_("初审还没有任何评分，无法按排名入围"), errors={"k": _("初审还没有任何评分")}, status=409)
    waiting = [row.application.id for row in chosen if row.application.status == S.REPORTED.value]
    opinion = _("按初审排名前 %(k)s 名入围", k=k)
    done, refused = perform_many(actor, waiting, "shortlist", opinion)
    return TopShortlist(k, chosen, extra, done, refused, len(chosen) - len(waiting))


@dataclass
class TopPicks:
    """What 按排名选前 N 名 did: n asked for, the rows picked now and refused (id -> message), and the rows tied at the
    boundary left to the office (picking them all would exceed n), with how many of them fit."""

    action: str
    n: int
    done: list
    refused: dict
    tied: list  # ranking.RankedRow
    room: int

    @property
    def tie_message(self) -> str | None:
        if not self.tied:
            return None
        names = "、".join(row.application.name or str(row.application.id) for row in self.tied)
        return _("第 %(rank)s 名有 %(n)s 人并列（%(names)s），全部选入将超过 %(k)s 人：请在其中勾选 %(room)s 人，"
                 "填写理由后点「%(action)s」", rank=self.tied[0].rank, n=len(self.tied), names=names, k=self.n,
                 room=self.room, action=TRANSITIONS[self.action].label)


# 按排名选前 N 名 of the 复审 ranking: the action, the status it picks from, the campaign's quota and its count.
TOP_PICKS = {"candidate": (S.SHORTLISTED, "winner_quota", "candidates"),
             "feature": (S.CANDIDATE, "featured_quota", "featured")}


def places_left(campaign, action: str) -> int:
    """How many more the campaign's quota allows for this pick (拟评选 or 重点宣传)."""
    _source, quota, counted = TOP_PICKS[action]
    return max(0, getattr(campaign, quota) - pick_counts(campaign.id)[counted])


def pick_top(actor, round_id, action: str, n=None) -> TopPicks:
    """按排名选前 N 名: 拟评选 (action "candidate", among the shortlisted) or 重点宣传 ("feature", among the candidates),
    best first by the 复审 ranking (mean), each through perform() so that quotas, locks, history and audit hold.
    n defaults to the places the quota has left and may not exceed them. When the n-th waiting application is tied
    with the next one, only those ranked strictly above the tie are picked: the tied ones are named (TopPicks.tied)
    for the office to choose between by hand, with a reason."""
    if roles.CITY_OFFICE not in scoping.role_names(actor):
        raise WorkflowError(_("您的角色不能执行「%(a)s」", a=TRANSITIONS.get(action, TRANSITIONS["candidate"]).label),
                            status=403)
    if action not in TOP_PICKS:
        raise WorkflowError(_("未知的操作"), status=400)
    review_round = db.session.get(ReviewRound, row_id(round_id)) if row_id(round_id) is not None else None
    if review_round is None or review_round.stage != Stage.FINAL_REVIEW.value:
        raise WorkflowError(_("找不到该复审轮次"), status=404)
    campaign = review_round.campaign
    try:
        picks_open(campaign)
    except WorkflowError as closed:
        raise WorkflowError(str(closed), errors={"n": str(closed)}, status=409) from closed
    left = places_left(campaign, action)
    what = TRANSITIONS[action].label
    if left < 1:
        message = _("「%(a)s」名额已满，不能再按排名选入", a=what)
        raise WorkflowError(message, errors={"n": message}, status=409)
    if n is None or str(n).strip() == "":
        n = left
    try:
        n = int(str(n).strip())
    except (TypeError, ValueError):
        n = 0
    if n < 1:
        message = _("请填写人数（大于 0 的整数）")
        raise WorkflowError(message, errors={"n": message}, status=422)
    if n > left:
        message = _("「%(a)s」名额只剩 %(left)s 人，N 不能超过 %(left)s", a=what, left=left)
        raise WorkflowError(message, errors={"n": message}, status=422)
    source = TOP_PICKS[action][0]
    waiting = [row for row in _ranked(review_round, "n")
               if row.scored and row.application.status == source.value]
    if not waiting:
        message = _("复审排名中没有可以「%(a)s」的报名", a=what)
        raise WorkflowError(message, errors={"n": message}, status=409)
    chosen, tied = waiting[:n], []
    if n < len(waiting) and waiting[n].rank == waiting[n - 1].rank:
        boundary = waiting[n - 1].rank
        chosen = [row for row in waiting[:n] if row.rank < boundary]
        tied = [row for row in waiting if row.rank == boundary]
    opinion = _("按复审排名选前 %(n)s 名", n=n)
    done, refused = perform_many(actor, [row.application.id for row in chosen], action, opinion)
    return TopPicks(action, n, done, refused, tied, n - len(chosen))


def perform_many(actor, application_ids, action: str, opinion: str | None = None):
    """The same decision on several applications, in the given order, as perform() would take each: in one
    transaction with one savepoint per application, so that a refused one is undone alone and the rest are committed
    together (one commit, not one per row: 前 K 名入围 of 110 took ~11 s on a loaded machine committing each).
    The rows are locked at once, in id order, so that two batches over the same rows queue instead of deadlocking;
    a single perform() locks one row, so it too only ever waits. Returns (done, {id: message})."""
    ids = list(dict.fromkeys(application_ids))
    transition = TRANSITIONS.get(action)
    if transition is None:
        return [], {i: _("未知的操作") for i in ids}
    done, refused = [], {}
    with atomic(_duplicate_id_number):
        locked = {
            application.id: application
            for application in db.session.query(Application)
            .filter(Application.id.in_(ids))
            .order_by(Application.id)
            .with_for_update()
            .populate_existing()
        }
        for application_id in ids:
            application = locked.get(application_id)
            try:
                if application is None:
                    raise WorkflowError(_("找不到该报名，或者您无权办理它"), status=404)
                with db.session.begin_nested():
                    _move(actor, application, transition, opinion)
            except WorkflowError as error:
                refused[application_id] = str(error)
            else:
                done.append(application)
    if done:  # expired by the commit: read back in one statement, not one per row as the caller reads them
        db.session.query(Application).filter(Application.id.in_([i for i in ids if i not in refused])).all()
    return done, refused


def unit_level(actor) -> int | None:
    names = scoping.role_names(actor)
    if getattr(actor, "unit_id", None) is None:
        return None
    return 2 if roles.L2_CLERK in names else 1 if roles.L1_CLERK in names else None


def _unit_applications(campaign_id: int, unit_id: int, level: int):
    query = db.session.query(Application).filter(Application.campaign_id == campaign_id)
    if level == 2:
        return query.filter(Application.unit_id == unit_id)
    return query.filter(Application.unit.has(Unit.parent_id == unit_id))


class Submitted(NamedTuple):
    """A unit's submission as its progress reads it: when, and how many it recommended and did not."""

    id: int
    at: datetime
    recommended: int
    not_recommended: int

    @staticmethod
    def columns():
        return UnitSubmission.id, UnitSubmission.at, UnitSubmission.recommended, UnitSubmission.not_recommended


@dataclass
class UnitProgress:
    """What a unit's review page says: the window, the counts, the quota, whether it has submitted."""

    level: int
    step: UnitStep
    window_start: datetime | None
    window_end: datetime | None
    window_open: bool
    submission: Submitted | None
    counts: dict
    quota: int | None = None
    recommended: int = 0
    now: datetime | None = None

    @property
    def undecided(self) -> int:
        return self.counts.get(self.step.undecided.value, 0)

    @property
    def decided(self) -> int:
        return sum(self.counts.get(s.value, 0) for s in self.step.moves)

    @property
    def not_yet_open(self) -> bool:
        return self.window_start is not None and (self.now or clock.now()) < self.window_start

    @property
    def quota_full(self) -> bool:
        return self.quota is not None and self.recommended >= self.quota


def unit_progress(actor, campaign=None) -> UnitProgress | None:
    level = unit_level(actor)
    if level is None:  # the city office, and anyone else without a unit to review for: no panel, nothing to read
        return None
    campaign = campaign or schedule.current_campaign_dates()
    if campaign is None:
        return None
    step = UNIT_STEPS[level]
    window = campaign.window(step.stage)
    # From the tallies per (campaign, unit, status) (app/tallies.py): drafts, which no unit sees, are not counted.
    # Columns only, read through the session's connection (no ORM entity to load): every review page shows it.
    *submitted, quota, counts = db.session.connection().execute(
        _progress_statement(level), {"campaign_id": campaign.id, "unit_id": actor.unit_id, "level": level}).one()
    submission = Submitted(*submitted) if submitted[0] is not None else None
    counts = tallies.read_by_status(counts)
    now = clock.now()
    return UnitProgress(
        level, step, window.starts_at if window else None, window.ends_at if window else None,
        bool(window and window.is_open(now)), submission, counts,
        quota=quota,
        recommended=sum(counts.get(s.value, 0) for s in RECOMMENDED_BY[level]),
        now=now,
    )


@functools.cache
def _progress_statement(level: int):
    """The unit's submission (none before it submits), its level's quota (none: no cap) and its applications of the
    campaign per status (app/tallies.py, drafts left out), in one statement built once per level: the quota and the
    counts as scalar subqueries beside the submission, which is outer-joined to a one-row select so that they come
    back when there is no submission yet. Parameters: campaign_id, unit_id, level."""
    quota = (
        select(RecommendationQuota.max_recommended)
        .where(RecommendationQuota.campaign_id == bindparam("campaign_id"),
               RecommendationQuota.level == bindparam("level"))
        .scalar_subquery()
    )
    unit_rows = _unit_applications(bindparam("campaign_id"), bindparam("unit_id"), level).whereclause
    one = select(literal(1).label("one")).subquery()
    return select(*Submitted.columns(), quota, tallies.by_status_clause(unit_rows)).select_from(one).outerjoin(
        UnitSubmission, and_(UnitSubmission.campaign_id == bindparam("campaign_id"),
                             UnitSubmission.unit_id == bindparam("unit_id")))


UNIT_STATES = {"missing": _l("未提交"), "late": _l("未提交（已截止，过期无效）"), "submitted": _l("已提交")}


@dataclass
class UnitRow:
    """One unit of 提交情况: has it submitted (when, by whom, how many), or not yet, and how many wait on it."""

    unit: Unit
    level: int
    submission: UnitSubmission | None
    undecided: int
    recommended: int
    not_recommended: int
    window_end: datetime | None
    now: datetime

    @property
    def submitted_at(self) -> datetime | None:
        return self.submission.at if self.submission else None

    @property
    def state(self) -> str:
        if self.submission is not None:
            return "submitted"
        return "late" if self.window_end is not None and self.now > self.window_end else "missing"

    @property
    def state_label(self):
        return UNIT_STATES[self.state]

    @property
    def contact(self) -> tuple[str, str]:
        return unit_contact(self.unit)


def units_overview(actor, campaign) -> list[UnitRow]:
    """提交情况: every unit the actor may see, second-level units for their 提交 and first-level ones for their 上报.

    Recommended and not-recommended count what was submitted, or until then what the unit has decided so far.
    """
    units = (
        db.session.query(Unit)
        .filter(scoping.unit_clause(actor))
        .options(selectinload(Unit.parent), selectinload(Unit.accounts))  # names and contacts of hundreds of units
        .order_by(Unit.level, Unit.parent_id, Unit.id)
        .all()
    )
    if campaign is None or not units:
        return []
    per_unit: dict[int, dict[str, int]] = {}
    # From the tallies kept per (campaign, unit, status) (app/tallies.py; drafts, which no count here asks, are not
    # kept): a few hundred rows, where counting the campaign's applications scanned up to 100,000.
    rows = (
        db.session.query(ApplicationTally.unit_id, Unit.parent_id, ApplicationTally.status, ApplicationTally.n)
        .join(Unit, Unit.id == ApplicationTally.unit_id)
        .filter(ApplicationTally.campaign_id == campaign.id, ApplicationTally.n != 0)
        .all()
    )
    for unit_id, parent_id, status, count in rows:
        for key in (unit_id, parent_id):  # a street's applications count for it and for its district
            bucket = per_unit.setdefault(key, {})
            bucket[status] = bucket.get(status, 0) + count
    submissions = {s.unit_id: s for s in db.session.query(UnitSubmission).filter_by(campaign_id=campaign.id)}
    now = clock.now()
    result = []
    for unit in units:
        step = UNIT_STEPS[unit.level]
        window = campaign.window(step.stage)
        counts = per_unit.get(unit.id, {})
        submission = submissions.get(unit.id)
        if submission is not None:
            recommended, not_recommended = submission.recommended, submission.not_recommended
        else:
            # Not submitted yet: what it has decided so far (拟推荐 / 拟不推荐).
            recommended = counts.get(RECOMMENDED_BY[unit.level][0].value, 0)
            not_recommended = sum(counts.get(s.value, 0) for s in step.moves) - recommended
        result.append(UnitRow(unit, unit.level, submission, counts.get(step.undecided.value, 0), recommended,
                              not_recommended, window.ends_at if window else None, now))
    return result


def unit_contact(unit: Unit | None) -> tuple[str, str]:
    """Whom to call about a unit: its contact person and phone, else one of its clerks' name and phone."""
    if unit is None:
        return "", ""
    name, phone = unit.contact_name or "", unit.contact_phone or ""
    if not (name and phone):
        for account in sorted(unit.accounts, key=lambda a: a.id):
            if account.active and (account.phone or not phone):
                name = name or account.display_name
                phone = phone or account.phone or ""
                if name and phone:
                    break
    return name, phone


def submit_unit(actor, campaign=None) -> UnitSubmission:
    """The unit's 提交 / 上报: lock the unit, check role and window, move every decided application on, record it."""
    level = unit_level(actor)
    if level is None:
        raise WorkflowError(_("只有二级单位和一级单位可以提交评审结果"), status=403)
    step = UNIT_STEPS[level]
    campaign = campaign or schedule.current_campaign()
    with atomic(lambda clash: WorkflowError(_("本单位已经提交过，不能重复提交"))):
        unit = db.session.query(Unit).filter(Unit.id == actor.unit_id).with_for_update().populate_existing().one()
        try:
            schedule.require_open(step.stage, campaign)
        except schedule.StageClosed as closed:
            raise WorkflowError(str(closed), status=403) from closed
        if db.session.query(UnitSubmission.id).filter_by(campaign_id=campaign.id, unit_id=unit.id).first():
            raise WorkflowError(_("本单位已经提交过，不能重复提交"))
        moving = (
            _unit_applications(campaign.id, unit.id, level)
            .filter(Application.status.in_([s.value for s in step.moves]))
            .with_for_update()
            .populate_existing()
            .all()
        )
        counts = {"recommended": 0, "not_recommended": 0}
        for application in moving:
            source = application.status
            application.status = step.moves[S(source)].value
            counts["recommended" if application.status in (S.L2_FORWARDED.value, S.REPORTED.value) else "not_recommended"] += 1
            _event(application, actor, step.action, source)
        submission = UnitSubmission(campaign_id=campaign.id, unit_id=unit.id, level=level, at=clock.now(),
                                    actor_id=actor.id, actor_name=actor.username, **counts)
        db.session.add(submission)
        audit.record(f"unit.{step.action}", "unit", unit.id, unit.full_name, **counts)
        notifications.unit_submitted(moving, actor)
    return submission


# A state still waiting on someone when this stage ends is 过期无效: a returned application not resubmitted by the
# end of 在线报名, an undecided or unsubmitted decision of a unit by the end of its review window.
VOID_AFTER = {
    S.RETURNED: Stage.APPLY,
    S.SUBMITTED: Stage.L2_REVIEW,
    S.L2_RECOMMENDED: Stage.L2_REVIEW,
    S.L2_NOT_RECOMMENDED: Stage.L2_REVIEW,
    S.L2_FORWARDED: Stage.L1_REVIEW,
    S.L1_RECOMMENDED: Stage.L1_REVIEW,
    S.L1_NOT_RECOMMENDED: Stage.L1_REVIEW,
}


def _void_deadline(application: Application) -> datetime | None:
    return _status_void_deadline(application.status, application.campaign_id,
                                 lambda: schedule.campaign_dates_of(application.campaign_id))


def _status_void_deadline(status: str, campaign_id: int,
                          campaign: Callable[[], schedule.CampaignDates | None]) -> datetime | None:
    stage = VOID_AFTER.get(S(status))
    if stage is None:
        return None
    # A list page asks this of each of its rows, all of one or two campaigns: each window's end once per request
    # (looking it up row by row was a fifth of the review list's rendering).
    return request_cache.remember(("window_end", campaign_id, stage), lambda: _window_end(campaign(), stage))


def _window_end(campaign: schedule.CampaignDates | None, stage: Stage) -> datetime | None:
    window = campaign.window(stage) if campaign else None
    return window.ends_at if window else None


def is_void(application: Application, at: datetime | None = None) -> bool:
    """Derived, not stored: a decision not submitted when its window closed is 过期无效 and goes no further."""
    return _past(_void_deadline(application), at)


def is_void_status(status: str, campaign_id: int, at: datetime | None = None) -> bool:
    """is_void for an application known by its status and campaign only (an export's plain rows)."""
    return _past(_status_void_deadline(status, campaign_id, lambda: schedule.campaign_dates_of(campaign_id)), at)


def _past(deadline: datetime | None, at: datetime | None) -> bool:
    # To the second, as StageWindow.is_open: the whole of the window's last second is still inside it.
    return bool(deadline and (at or clock.now()).replace(microsecond=0) > deadline)


def status_text(application: Application, at: datetime | None = None) -> str:
    # A list page asks this of each row: each state's words, and 过期无效's, translated once per request.
    label = request_cache.remember(("status_label", application.status), lambda: str(application.status_label))
    if not is_void(application, at):
        return label
    return label + request_cache.remember("void_suffix", lambda: _("（过期无效）"))


@dataclass(frozen=True)
class VoidNotice:
    """What the citizen reads about a void application: what happened, by when, and whom to call."""

    message: str
    unit: Unit | None
    contact_name: str
    contact_phone: str

    @property
    def contact(self) -> str:
        if self.contact_name or self.contact_phone:
            return _("如有疑问请联系 %(unit)s %(name)s %(phone)s。", unit=self.unit.name if self.unit else "",
                     name=self.contact_name, phone=self.contact_phone)
        return _("如有疑问请联系 %(unit)s，或市学习办（见“联系我们”）。", unit=self.unit.name if self.unit else "")


def void_notice(application: Application, at: datetime | None = None) -> VoidNotice | None:
    if not is_void(application, at):
        return None
    status, deadline = application.status_enum, schedule.format_time(_void_deadline(application))
    street = application.unit
    district = street.parent if street is not None else None
    if status == S.RETURNED:
        unit = street
        message = _("您的报名被推荐单位（%(unit)s）退回修改后，未在在线报名截止时间 %(end)s 前重新提交，"
                    "本次报名未能进入下一环节。", unit=unit.name, end=deadline)
    elif VOID_AFTER[status] == Stage.L2_REVIEW:
        unit = street
        message = _("您选择的推荐单位（%(unit)s）未在 %(end)s 前完成评审推荐，本次报名未能进入下一环节。",
                    unit=unit.name, end=deadline)
    else:
        unit = district
        message = _("您的报名已由 %(street)s 推荐至 %(unit)s，但 %(unit)s 未在 %(end)s 前完成推荐上报，"
                    "本次报名未能进入下一环节。", street=street.name, unit=unit.name, end=deadline)
    name, phone = unit_contact(unit)
    return VoidNotice(message, unit, name, phone)


def labels() -> dict[str, object]:
    """action -> label, for showing an application's history."""
    result = {action: transition.label for action, transition in TRANSITIONS.items()}
    result.update({step.action: step.label for step in UNIT_STEPS.values()})
    return result
