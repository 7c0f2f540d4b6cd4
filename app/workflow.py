"""Every state change of an application, in one table and one function.

`perform(actor, application_id, action)` locks the row, checks role, scope, state and stage window, runs the
action's own guard, moves the state, writes the history and the audit log, and commits. `submit_unit(actor)` is a
unit's 提交/上报 of all its decisions at once, under the same rules. HTML views, bulk actions, REST endpoints and
CLI commands call these two; nothing else sets Application.status.
"""
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from app import applications, audit, clock, roles, schedule, scoping
from app.extensions import db
from app.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    RecommendationQuota,
    Stage,
    Unit,
    UnitSubmission,
)

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
    level: int | None = None  # the unit level that acts (None: the applicant)
    opinion_required: bool = False
    guard: Callable[[object, Application], None] | None = None
    on_done: Callable[[Application], None] | None = None


def _ready_to_submit(actor, application: Application) -> None:
    errors = applications.completeness_errors(application)
    if errors:
        raise WorkflowError(_("报名信息还不完整，请按提示补充后再提交"), errors=errors, status=422)


def _stamp_submitted(application: Application) -> None:
    application.submitted_at = clock.now()


def acting_unit(application: Application, level: int) -> Unit:
    return application.unit if level == 2 else application.unit.parent


def _not_yet_submitted(actor, application: Application) -> None:
    unit_id = actor.unit_id
    if db.session.query(UnitSubmission.id).filter_by(campaign_id=application.campaign_id, unit_id=unit_id).first():
        raise WorkflowError(_("本单位已提交，评审结果已锁定，不能再更改"))


RECOMMENDED_BY = {2: (S.L2_RECOMMENDED, S.L2_FORWARDED), 1: (S.L1_RECOMMENDED, S.REPORTED)}


def _within_quota(level: int):
    return lambda actor, application: _quota_guard(level, actor, application)


def _quota_guard(level: int, actor, application: Application) -> None:
    """Module level rather than a closure built at import, so that `make mutation` reaches it."""
    _not_yet_submitted(actor, application)
    quota = (
        db.session.query(RecommendationQuota.max_recommended)
        .filter_by(campaign_id=application.campaign_id, level=level)
        .scalar()
    )
    if quota is None:
        return
    # Two clerks of one unit may click at once: the unit's row is the lock they queue on.
    db.session.query(Unit.id).filter(Unit.id == actor.unit_id).with_for_update().one()
    unit_column = Application.unit_id if level == 2 else Application.unit.has(Unit.parent_id == actor.unit_id)
    count = (
        db.session.query(func.count(Application.id))
        .filter(
            Application.campaign_id == application.campaign_id,
            unit_column if level == 1 else unit_column == actor.unit_id,
            Application.status.in_([s.value for s in RECOMMENDED_BY[level]]),
        )
        .scalar()
    )
    if count >= quota:
        raise WorkflowError(
            _("本单位最多推荐 %(n)s 人，名额已满；可先将其他人改为不推荐", n=quota), status=409
        )


def _decided(actor, application: Application) -> None:
    _not_yet_submitted(actor, application)


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
    )
}


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
    if transition.level is None:
        return application.applicant_id == actor.id
    unit_id = getattr(actor, "unit_id", None)
    return (
        unit_id is not None
        and scoping.can_see_application(actor, application)
        and acting_unit(application, transition.level).id == unit_id
    )


def _check(actor, application: Application, transition: Transition) -> None:
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
            schedule.require_open(transition.stage, application.campaign)
        except schedule.StageClosed as closed:
            raise WorkflowError(str(closed), status=403) from closed


def _event(application, actor, action, source, opinion=None) -> None:
    db.session.add(
        ApplicationEvent(
            application=application,
            at=clock.now(),
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
def _atomic(conflict: Callable[[IntegrityError], WorkflowError | None]):
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
    with _atomic(_duplicate_id_number):
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
        _check(actor, application, transition)
        opinion = (opinion or "").strip() or None
        if transition.opinion_required and not opinion:
            message = _("请填写意见") if transition.action != "return" else _("请填写退回理由")
            raise WorkflowError(message, errors={"opinion": message}, status=422)
        if transition.guard is not None:
            transition.guard(actor, application)
        source = application.status
        application.status = transition.target.value
        if transition.on_done is not None:
            transition.on_done(application)
        _event(application, actor, action, source, opinion)
        audit.record(f"application.{action}", "application", application.id, repr(application),
                     from_status=source, to_status=application.status, opinion=opinion)
    return application


def perform_many(actor, application_ids, action: str, opinion: str | None = None):
    """The same decision on several applications, each in its own transaction. Returns (done, {id: message})."""
    done, refused = [], {}
    for application_id in application_ids:
        try:
            done.append(perform(actor, application_id, action, opinion))
        except WorkflowError as error:
            refused[application_id] = str(error)
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


@dataclass
class UnitProgress:
    """What a unit's review page says: the window, the counts, whether it has submitted."""

    level: int
    step: UnitStep
    window_end: datetime | None
    window_open: bool
    submission: UnitSubmission | None
    counts: dict

    @property
    def undecided(self) -> int:
        return self.counts.get(self.step.undecided.value, 0)

    @property
    def decided(self) -> int:
        return sum(self.counts.get(s.value, 0) for s in self.step.moves)


def unit_progress(actor, campaign=None) -> UnitProgress | None:
    level = unit_level(actor)
    campaign = campaign or schedule.current_campaign()
    if level is None or campaign is None:
        return None
    step = UNIT_STEPS[level]
    window = campaign.window(step.stage)
    rows = (
        _unit_applications(campaign.id, actor.unit_id, level)
        .with_entities(Application.status, func.count(Application.id))
        .group_by(Application.status)
        .all()
    )
    submission = db.session.query(UnitSubmission).filter_by(campaign_id=campaign.id, unit_id=actor.unit_id).first()
    return UnitProgress(level, step, window.ends_at if window else None, bool(window and window.is_open()),
                        submission, dict(rows))


def submit_unit(actor, campaign=None) -> UnitSubmission:
    """The unit's 提交 / 上报: lock the unit, check role and window, move every decided application on, record it."""
    level = unit_level(actor)
    if level is None:
        raise WorkflowError(_("只有二级单位和一级单位可以提交评审结果"), status=403)
    step = UNIT_STEPS[level]
    campaign = campaign or schedule.current_campaign()
    with _atomic(lambda clash: WorkflowError(_("本单位已经提交过，不能重复提交"))):
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
    return submission


VOID_AFTER = {
    S.SUBMITTED: Stage.L2_REVIEW,
    S.L2_RECOMMENDED: Stage.L2_REVIEW,
    S.L2_NOT_RECOMMENDED: Stage.L2_REVIEW,
    S.L2_FORWARDED: Stage.L1_REVIEW,
    S.L1_RECOMMENDED: Stage.L1_REVIEW,
    S.L1_NOT_RECOMMENDED: Stage.L1_REVIEW,
}


def is_void(application: Application, at: datetime | None = None) -> bool:
    """Derived, not stored: a decision not submitted when its window closed is 过期无效 and goes no further."""
    stage = VOID_AFTER.get(application.status_enum)
    window = application.campaign.window(stage) if stage else None
    return bool(window and window.ends_at and (at or clock.now()) > window.ends_at)


def status_text(application: Application, at: datetime | None = None) -> str:
    label = str(application.status_label)
    return label + _("（过期无效）") if is_void(application, at) else label


def labels() -> dict[str, object]:
    """action -> label, for showing an application's history."""
    result = {action: transition.label for action, transition in TRANSITIONS.items()}
    result.update({step.action: step.label for step in UNIT_STEPS.values()})
    return result
