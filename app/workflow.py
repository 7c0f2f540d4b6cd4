"""Every state change of an application, in one table and one function.

`perform(actor, application_id, action)` locks the row, checks role, scope, state and stage window, runs the
action's own guard, moves the state, writes the history and the audit log, and commits. HTML views, REST
endpoints, bulk actions and CLI commands all call it; nothing else sets Application.status.
"""
from dataclasses import dataclass
from typing import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app import applications, audit, clock, roles, schedule, scoping
from app.extensions import db
from app.models import Application, ApplicationEvent, ApplicationStatus, Stage

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
    roles: frozenset
    stage: Stage | None
    opinion_required: bool = False
    guard: Callable[[Application], None] | None = None
    on_done: Callable[[Application], None] | None = None


def _ready_to_submit(application: Application) -> None:
    errors = applications.completeness_errors(application)
    if errors:
        raise WorkflowError(_("报名信息还不完整，请按提示补充后再提交"), errors=errors, status=422)


def _stamp_submitted(application: Application) -> None:
    application.submitted_at = clock.now()


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            action="submit",
            label=_l("提交报名"),
            sources=frozenset({S.DRAFT, S.RETURNED}),
            target=S.SUBMITTED,
            roles=frozenset({roles.APPLICANT}),
            stage=Stage.APPLY,
            guard=_ready_to_submit,
            on_done=_stamp_submitted,
        ),
    )
}


def allowed(actor, application: Application, action: str) -> bool:
    """Whether perform() would pass its role, scope, state and window checks (for showing buttons)."""
    try:
        _check(actor, application, TRANSITIONS[action])
    except WorkflowError:
        return False
    return True


def _may_act(actor, application: Application, transition: Transition) -> bool:
    if transition.roles == {roles.APPLICANT}:
        return application.applicant_id == actor.id
    return scoping.can_see_application(actor, application)


def _check(actor, application: Application, transition: Transition) -> None:
    if not scoping.role_names(actor) & transition.roles:
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


def perform(actor, application_id: int, action: str, opinion: str | None = None) -> Application:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(_("未知的操作"), status=400)
    application = (
        db.session.query(Application).filter(Application.id == application_id).with_for_update().one_or_none()
    )
    try:
        if application is None:
            raise WorkflowError(_("找不到该报名，或者您无权办理它"), status=404)
        _check(actor, application, transition)
        opinion = (opinion or "").strip() or None
        if transition.opinion_required and not opinion:
            raise WorkflowError(_("请填写意见"), errors={"opinion": _("请填写意见")}, status=422)
        if transition.guard is not None:
            transition.guard(application)
        source = application.status
        application.status = transition.target.value
        if transition.on_done is not None:
            transition.on_done(application)
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
        audit.record(
            f"application.{action}",
            "application",
            application.id,
            repr(application),
            from_status=source,
            to_status=application.status,
        )
        db.session.commit()
    except WorkflowError:
        db.session.rollback()
        raise
    except IntegrityError as clash:
        db.session.rollback()
        if "id_number" in str(clash.orig):
            message = _("该身份证号已在本批次提交过报名，每人每批次只能报名一次")
            raise WorkflowError(message, errors={"id_number": message}) from clash
        raise
    return application


def labels() -> dict[str, object]:
    """action -> label, for showing an application's history."""
    return {action: transition.label for action, transition in TRANSITIONS.items()}
