"""An expert's review of one application: every change of a ReviewAssignment's scores and state, in one table and
one function (the shape of app/workflow.py).

`save(actor, assignment_id, scores, comment, submit)` is the expert's 暂存 / 提交, `reopen(actor, assignment_id,
reason)` the city office's 重新打开; both go through `_apply`, which locks the row, checks role, scope (the expert's
own assignment, app/scoping.py), state and window (app/rounds.py), writes the scores, the audit event, and commits.
The HTML pages (app/views/expert_review.py) and the REST API (app/api/my_review.py) call these; nothing else sets
ReviewAssignment.status, scores or total (the assigner's decline aside: app/assignment.py).
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app import audit, clock, notifications, roles, rounds, scoping
from app.extensions import db
from app.models import Application, Notification, ReviewAssignment, ReviewRound, ReviewScore, Unit
from app.models.review import AssignmentStatus
from app.schedule import format_time
from app.workflow import WorkflowError

A = AssignmentStatus
ScoringError = WorkflowError  # one kind of refusal for every decision of the portal
COMMENT_MAX_CHARS = 2000
REASON_MAX_CHARS = 200
STEP = Decimal("0.5")


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: frozenset
    target: AssignmentStatus
    roles: frozenset  # any of these may act
    own_only: bool  # the expert's own assignment (scoping.own_assignment_clause), or any the actor may see
    needs_window: bool  # the round's window open and the round not closed (rounds.is_open)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("save", _l("暂存"), frozenset({A.ASSIGNED, A.DRAFT}), A.DRAFT, frozenset({roles.EXPERT}),
                   own_only=True, needs_window=True),
        Transition("submit", _l("提交"), frozenset({A.ASSIGNED, A.DRAFT}), A.SUBMITTED, frozenset({roles.EXPERT}),
                   own_only=True, needs_window=True),
        # After the window the city office may still reopen (the expert then cannot change it until the window is
        # extended); once the round is closed its results stand.
        Transition("reopen", _l("重新打开"), frozenset({A.SUBMITTED}), A.DRAFT,
                   frozenset({roles.CITY_OFFICE, roles.ADMIN}), own_only=False, needs_window=False),
    )
}


def score_field(criterion_id) -> str:
    """The field a criterion's score is entered in, on the page and in error messages of the API."""
    return f"score_{criterion_id}"


def weighted_total(review_round: ReviewRound, values: dict) -> Decimal:
    """sum(weight * value / max_score) / sum(weight) * 100, two places, half up; a criterion not scored counts 0."""
    criteria = list(review_round.criteria)
    weights = sum(c.weight for c in criteria)
    if not weights:
        return Decimal("0.00")
    values = {int(k): v for k, v in values.items()}
    total = sum(
        (Decimal(c.weight) * Decimal(str(values[c.id])) / c.max_score for c in criteria if values.get(c.id) is not None),
        Decimal(0),
    )
    return (total / weights * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def window_message(review_round: ReviewRound, at=None) -> str | None:
    """Why experts cannot score in this round now (None: they can), with the window's times."""
    if review_round.is_closed:
        return _("本轮评审已于 %(at)s 关闭，评分不能再修改。", at=format_time(review_round.closed_at))
    if rounds.is_open(review_round, at):
        return None
    window = review_round.campaign.window(review_round.stage)
    stage = review_round.stage_label
    if window is None or window.starts_at is None:
        return _("「%(stage)s」的时间尚未安排，现在还不能评分。", stage=stage)
    now = (at or clock.now()).replace(microsecond=0)
    if now < window.starts_at:
        return _("「%(stage)s」将于 %(start)s 开始（至 %(end)s），现在还不能评分。", stage=stage,
                 start=format_time(window.starts_at), end=format_time(window.ends_at))
    return _("「%(stage)s」已于 %(end)s 截止（评审时间 %(start)s 至 %(end)s），评分不能再修改。", stage=stage,
             start=format_time(window.starts_at), end=format_time(window.ends_at))


def parse_value(raw, max_score: int) -> tuple[Decimal | None, str | None]:
    """(value, None) for a valid score, (None, None) for nothing entered, (None, message) for a bad one."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, bool):
        return None, _("请填写 0 到 %(max)s 之间的分数", max=max_score)
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None, _("请填写数字，0 到 %(max)s 分", max=max_score)
    if not value.is_finite() or value < 0 or value > max_score:
        return None, _("分数应在 0 到 %(max)s 之间", max=max_score)
    if value % STEP != 0:
        return None, _("分数以 0.5 分为单位，例如 8 或 8.5")
    return value.quantize(Decimal("0.1")), None


def _check(actor, assignment: ReviewAssignment, transition: Transition, in_scope: bool | None = None) -> None:
    """in_scope: already answered for a whole page by allowed_among (else asked of the database here)."""
    if not scoping.role_names(actor) & transition.roles:
        raise WorkflowError(_("您的角色不能执行「%(a)s」", a=transition.label), status=403)
    if in_scope is None:
        in_scope = (scoping.is_own_assignment if transition.own_only else scoping.can_see_assignment)(actor, assignment)
    if not in_scope:
        raise WorkflowError(_("找不到该评审任务，或者您无权办理它"), status=404)
    if assignment.status_enum not in transition.sources:
        raise WorkflowError(
            _("该评审当前为「%(s)s」，不能「%(a)s」", s=assignment.status_label, a=transition.label)
        )
    review_round = assignment.round
    if transition.needs_window:
        message = window_message(review_round)
        if message:
            raise WorkflowError(message, status=403)
    elif review_round.is_closed:
        raise WorkflowError(_("本轮评审已关闭，评分不能再重新打开。"))


def allowed(actor, assignment: ReviewAssignment, action: str) -> bool:
    """Whether _apply would pass role, scope, state and window (for showing buttons)."""
    try:
        _check(actor, assignment, TRANSITIONS[action])
    except WorkflowError:
        return False
    return True


def allowed_among(actor, assignments, action: str) -> set[int]:
    """The ids of those assignments allowed() would pass: the scope is one query for the page, not one per row."""
    transition = TRANSITIONS[action]
    ids = [a.id for a in assignments]
    if not ids or not scoping.role_names(actor) & transition.roles:
        return set()
    clause = scoping.own_assignment_clause(actor) if transition.own_only else scoping.assignment_clause(actor)
    in_scope = {i for (i,) in db.session.query(ReviewAssignment.id).filter(clause, ReviewAssignment.id.in_(ids))}
    allowed_ids = set()
    for assignment in assignments:
        try:
            _check(actor, assignment, transition, in_scope=assignment.id in in_scope)
        except WorkflowError:
            continue
        allowed_ids.add(assignment.id)
    return allowed_ids


def _locked(assignment_id) -> ReviewAssignment:
    # populate_existing: the caller may hold this row already, read before the lock; what counts is now.
    assignment = (
        db.session.query(ReviewAssignment)
        .filter(ReviewAssignment.id == assignment_id)
        .with_for_update()
        .populate_existing()
        .one_or_none()
        if str(assignment_id).isdigit()
        else None
    )
    if assignment is None:
        raise WorkflowError(_("找不到该评审任务，或者您无权办理它"), status=404)
    return assignment


def validate(review_round: ReviewRound, scores: dict, comment: str | None):
    """({criterion_id: value or None} for what was entered validly, {field: message})."""
    criteria = {c.id: c for c in review_round.criteria}
    values, errors = {}, {}
    for key, raw in (scores or {}).items():
        criterion_id = int(key) if str(key).isdigit() else None
        if criterion_id not in criteria:
            errors[score_field(key)] = _("本轮评审没有这一评分项")
            continue
        value, message = parse_value(raw, criteria[criterion_id].max_score)
        if message:
            errors[score_field(criterion_id)] = message
        else:
            values[criterion_id] = value
    if comment is not None and len(comment) > COMMENT_MAX_CHARS:
        errors["comment"] = _("评审意见不能超过 %(n)s 字", n=COMMENT_MAX_CHARS)
    return values, errors


def _store_scores(assignment: ReviewAssignment, values: dict) -> dict:
    """Write the values (None: clear that criterion); returns every score the review now holds."""
    existing = {s.criterion_id: s for s in db.session.query(ReviewScore).filter_by(assignment_id=assignment.id)}
    for criterion_id, value in values.items():
        score = existing.get(criterion_id)
        if value is None:
            if score is not None:
                db.session.delete(score)
                del existing[criterion_id]
        elif score is None:
            existing[criterion_id] = ReviewScore(assignment_id=assignment.id, criterion_id=criterion_id, value=value)
            db.session.add(existing[criterion_id])
        else:
            score.value = value
    return {criterion_id: score.value for criterion_id, score in existing.items()}


def save(actor, assignment_id, scores: dict | None, comment: str | None = None, submit: bool = False) -> ReviewAssignment:
    """The expert's 暂存 (submit=False) or 提交 of their review.

    scores: {criterion_id: value}; a value None or "" clears that criterion, a criterion not named is left as it is.
    A draft keeps every valid value and comment and then, if any value was bad, raises WorkflowError (422) naming
    the bad fields (score_<criterion_id>, comment). A submission needs every criterion scored and a comment; refused,
    it changes nothing.
    """
    transition = TRANSITIONS["submit" if submit else "save"]
    comment = (comment or "").strip() if comment is not None else None
    try:
        assignment = _locked(assignment_id)
        _check(actor, assignment, transition)
        review_round = assignment.round
        values, errors = validate(review_round, scores, comment)
        if submit:
            held = {s.criterion_id: s.value for s in db.session.query(ReviewScore).filter_by(assignment_id=assignment.id)}
            held.update(values)
            for criterion in review_round.criteria:
                if held.get(criterion.id) is None and score_field(criterion.id) not in errors:
                    errors[score_field(criterion.id)] = _("请为「%(c)s」打分", c=criterion.label)
            if not (comment if comment is not None else (assignment.comment or "").strip()):
                errors.setdefault("comment", _("请填写评审意见"))
            if errors:
                raise WorkflowError(_("还有未完成或不正确的评分项，请按提示修改后再提交"), errors=errors, status=422)
        source = assignment.status
        held = _store_scores(assignment, values)
        if comment is not None and "comment" not in errors:
            assignment.comment = comment or None
        assignment.status = transition.target.value
        assignment.updated_at = clock.now()
        if submit:
            assignment.total = weighted_total(review_round, held)
            assignment.submitted_at = clock.now()
        audit.record(f"review.{transition.action}", "review_assignment", assignment.id, repr(assignment),
                     from_status=source, to_status=assignment.status,
                     scores={str(k): str(v) for k, v in sorted(held.items())},
                     total=str(assignment.total) if submit else None)
        db.session.commit()
    except WorkflowError:
        db.session.rollback()
        raise
    if errors:
        raise WorkflowError(_("已暂存填写正确的内容；以下各项有误，请修改"), errors=errors, status=422)
    return assignment


def reopen(actor, assignment_id, reason: str | None) -> ReviewAssignment:
    """The city office's 重新打开 of a submitted review: back to draft, the expert told why (站内通知), audited."""
    transition = TRANSITIONS["reopen"]
    reason = (reason or "").strip()
    try:
        assignment = _locked(assignment_id)
        _check(actor, assignment, transition)
        if not reason:
            message = _("请填写重新打开的理由")
            raise WorkflowError(message, errors={"reason": message}, status=422)
        if len(reason) > REASON_MAX_CHARS:
            message = _("理由不能超过 %(n)s 字", n=REASON_MAX_CHARS)
            raise WorkflowError(message, errors={"reason": message}, status=422)
        source, old_total = assignment.status, assignment.total
        assignment.status = transition.target.value
        assignment.total = None  # a draft has no total: it counts again when submitted again
        assignment.submitted_at = None
        assignment.updated_at = clock.now()
        notifications.notify(
            [assignment.expert.account_id], "review_reopened", _("评审已重新打开"),
            _("市学习办重新打开了您对「%(name)s」的评审，请修改后再次提交。理由：%(reason)s",
              name=assignment.application.name, reason=reason),
            f"/expert/review/{assignment.id}", sender=actor)
        audit.record("review.reopen", "review_assignment", assignment.id, repr(assignment),
                     from_status=source, to_status=assignment.status, reason=reason,
                     total=str(old_total) if old_total is not None else None)
        db.session.commit()
    except WorkflowError:
        db.session.rollback()
        raise
    return assignment


def scores_of(assignment: ReviewAssignment) -> dict[int, Decimal]:
    return {s.criterion_id: s.value for s in assignment.scores}


def others_visible(actor, assignment: ReviewAssignment) -> bool:
    """An expert reads the other experts' scores of an application only once the round is closed (R-EXP-2)."""
    return assignment.round.is_closed and scoping.is_own_assignment(actor, assignment)


def other_reviews(actor, assignment: ReviewAssignment) -> list[ReviewAssignment]:
    """The other submitted reviews of the same application in the same round, once the round is closed."""
    if not others_visible(actor, assignment):
        return []
    return (
        db.session.query(ReviewAssignment)
        .filter(ReviewAssignment.round_id == assignment.round_id,
                ReviewAssignment.application_id == assignment.application_id,
                ReviewAssignment.id != assignment.id,
                ReviewAssignment.status == A.SUBMITTED.value)
        .order_by(ReviewAssignment.id)
        .all()
    )


# --- what an expert reads: the materials of an application, never its personal data ----------------------------

OPINION_ACTIONS = {"l2_recommend": 2, "l1_recommend": 1}


def materials(assignment: ReviewAssignment) -> dict:
    """The application as an expert reads it (page and API alike): photo, video, name, gender, work unit and
    position, the recommending units, the deeds and both units' 推荐意见. Never the ID number, mobile, address or
    birth date: they are not in this dict, so no template or response can show them."""
    application = assignment.application
    street = application.unit
    district = street.parent if street is not None else None
    opinions = {}
    for event in sorted(application.events, key=lambda e: (e.at, e.id)):
        level = OPINION_ACTIONS.get(event.action)
        if level is not None and event.opinion:
            opinions[level] = event.opinion  # the last decision of each level counts
    return {
        "application_id": application.id,
        "name": application.name or "",
        "gender": str(application.gender_label or ""),
        "work_unit": application.work_unit or "",
        "position": application.position or "",
        "unit": street.name if street is not None else "",
        "first_level_unit": district.name if district is not None else "",
        "deeds": application.deeds or "",
        "has_photo": bool(application.photo_file),
        "has_video": bool(application.video_file),
        "l2_opinion": opinions.get(2, ""),
        "l1_opinion": opinions.get(1, ""),
    }


# --- the expert's to-do ------------------------------------------------------------------------------------------

UNFINISHED = (A.ASSIGNED.value, A.DRAFT.value)


def my_assignments(actor, review_round: ReviewRound | None = None, campaign=None):
    """The actor's own assignments (not declined), of one round or of a campaign's rounds, in a stable order."""
    query = (
        db.session.query(ReviewAssignment)
        .filter(scoping.own_assignment_clause(actor))
        # Joined, not selectin: selectin sends one more query per 500 rows, and an expert may hold thousands.
        .options(joinedload(ReviewAssignment.application).joinedload(Application.unit).joinedload(Unit.parent))
    )
    if review_round is not None:
        query = query.filter(ReviewAssignment.round_id == review_round.id)
    elif campaign is not None:
        query = query.filter(ReviewAssignment.campaign_id == campaign.id)
    return query.order_by(ReviewAssignment.round_id, ReviewAssignment.id)


def current_round_of(actor, campaign) -> ReviewRound | None:
    """The round an expert works in now: the one whose window is open, else the latest they have assignments in."""
    if campaign is None:
        return None
    found = [rounds.round_for(campaign, stage, create=False) for stage in rounds.ROUNDS]
    found = [r for r in found if r is not None]
    for review_round in found:
        if rounds.is_open(review_round):
            return review_round
    mine = {a.round_id for a in my_assignments(actor, campaign=campaign)}
    with_mine = [r for r in found if r.id in mine]
    return with_mine[-1] if with_mine else (found[-1] if found else None)


def next_unfinished(actor, review_round_id: int, after_id: int | None = None) -> ReviewAssignment | None:
    """The next assignment to score in the round: the first unfinished one after `after_id`, else from the start."""
    query = my_assignments(actor).filter(ReviewAssignment.round_id == review_round_id,
                                         ReviewAssignment.status.in_(UNFINISHED))
    if after_id is not None:
        following = query.filter(ReviewAssignment.id > after_id).first()
        if following is not None:
            return following
        query = query.filter(ReviewAssignment.id != after_id)
    return query.first()


@dataclass
class Todo:
    """What the expert's first page says: the round, n of m done, the time left, what to do next."""

    round: ReviewRound | None
    assignments: list
    window_start: object = None
    window_end: object = None
    open: bool = False
    message: str | None = None

    @property
    def done(self) -> int:
        return sum(1 for a in self.assignments if a.status == A.SUBMITTED.value)

    @property
    def total(self) -> int:
        return len(self.assignments)

    @property
    def next(self) -> ReviewAssignment | None:
        return next((a for a in self.assignments if a.status in UNFINISHED), None)

    def time_left(self, at=None) -> tuple[int, int] | None:
        """(days, hours) until the window ends, while it is open."""
        if not self.open or self.window_end is None:
            return None
        seconds = max(0, int((self.window_end - (at or clock.now())).total_seconds()))
        return seconds // 86400, (seconds % 86400) // 3600


def my_rounds(actor, campaign) -> list[ReviewRound]:
    """The campaign's rounds in which the expert has (non-declined) assignments, 初审 first."""
    if campaign is None:
        return []
    mine = {a.round_id for a in my_assignments(actor, campaign=campaign)}
    found = [rounds.round_for(campaign, stage, create=False) for stage in rounds.ROUNDS]
    return [r for r in found if r is not None and r.id in mine]


def todo(actor, campaign, round_id=None) -> Todo:
    """我的评审 of the round the expert works in now, or of another of their rounds (round_id: e.g. the closed
    初审, where they read the other experts' scores)."""
    review_round = next((r for r in my_rounds(actor, campaign) if r.id == round_id), None) if round_id else None
    review_round = review_round or current_round_of(actor, campaign)
    if review_round is None:
        return Todo(None, [])
    window = review_round.campaign.window(review_round.stage)
    return Todo(
        review_round,
        my_assignments(actor, review_round).all(),
        window.starts_at if window else None,
        window.ends_at if window else None,
        rounds.is_open(review_round),
        window_message(review_round),
    )


def unread_messages(actor):
    return (
        db.session.query(Notification)
        .filter(Notification.account_id == actor.id, Notification.read_at.is_(None))
        .order_by(Notification.at.desc(), Notification.id.desc())
        .all()
    )


def mark_read(actor, message_id) -> bool:
    """知道了: the actor's own message marked read; False when there is no such message of theirs."""
    message = (
        db.session.query(Notification)
        .filter(Notification.id == message_id, Notification.account_id == actor.id)
        .one_or_none()
    )
    if message is None:
        return False
    if message.read_at is None:
        message.read_at = clock.now()
        db.session.commit()
    return True
