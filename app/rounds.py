"""The review rounds of a campaign (专家初审, 专家复审): one ReviewRound row per round, made on first use with the
notice's six conditions as its rubric. The round's window is its stage's window (app/schedule.py).

The city office follows a round here (评审进度: each expert's done/assigned, the missing reviews), reminds experts
(a notification each, app/notifications.py) and closes the round (结束本轮), after which scores are final; a closed
round never reopens.
Refusals are workflow.WorkflowError, with a Chinese message and an HTTP status, as in app/workflow.py."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import aliased, joinedload

from app import audit, clock, jobs, notifications, ranking, schedule, scoping
from app.extensions import db
from app.models import (
    Account,
    Application,
    Expert,
    ExpertPanel,
    ExpertPanelMember,
    ReviewAssignment,
    ReviewRound,
    RubricCriterion,
    Stage,
    Unit,
)
from app.models.review import NOTICE_CONDITIONS, AssignmentStatus
from app.workflow import WorkflowError

ROUNDS = (Stage.INITIAL_REVIEW, Stage.FINAL_REVIEW)
# How many experts read each application unless the city office sets otherwise (the 3 in 初审, 5 in 复审).
DEFAULT_EXPERTS = {Stage.INITIAL_REVIEW: 3, Stage.FINAL_REVIEW: 5}


def round_for(campaign, stage: Stage | str, create: bool = True) -> ReviewRound | None:
    """The campaign's round of this stage; made (not committed) with the default rubric if it does not exist yet."""
    stage = Stage(stage)
    if stage not in ROUNDS:
        raise ValueError(f"not a review round: {stage}")
    found = db.session.query(ReviewRound).filter_by(campaign_id=campaign.id, stage=stage.value).one_or_none()
    if found is not None or not create:
        return found
    found = ReviewRound(campaign=campaign, stage=stage.value, experts_per_application=DEFAULT_EXPERTS[stage])
    found.criteria = [
        RubricCriterion(key=key, label=str(label), weight=weight, max_score=scale, position=position)
        for position, (key, label, weight, scale) in enumerate(NOTICE_CONDITIONS)
    ]
    db.session.add(found)
    db.session.flush()
    return found


def is_open(review_round: ReviewRound, at=None) -> bool:
    """Experts may score: the round's window is open and the city office has not closed the round."""
    window = review_round.campaign.window(review_round.stage)
    return bool(window and window.is_open(at)) and not review_round.is_closed


def current_round(campaign=None, at=None) -> ReviewRound | None:
    """The round whose window is open now, if any (made on first use)."""
    campaign = campaign or schedule.current_campaign()
    if campaign is None:
        return None
    for stage in ROUNDS:
        window = campaign.window(stage)
        if window is not None and window.is_open(at):
            return round_for(campaign, stage)
    return None


# --- managing a round: progress, reminders, closing (the city office's 评审进度) ---------------------------------

# Where a reminded expert lands: the expert's to-do list (app/views of the scoring part, ExpertReviewView.todo).
TODO_LINK = "/expert/"
A = AssignmentStatus
UNFINISHED = (A.ASSIGNED.value, A.DRAFT.value)  # what a reminder is about and what keeps a round from closing early


def _require_city_office(actor, what) -> None:
    if not scoping.is_city_office(actor):
        raise WorkflowError(_("只有市学习办可以%(what)s", what=what), status=403)


def _round_or_404(actor, round_id, lock: bool = False) -> ReviewRound:
    if not isinstance(round_id, int) or isinstance(round_id, bool):
        raise WorkflowError(_("找不到该评审轮次"), status=404)
    query = db.session.query(ReviewRound).filter(ReviewRound.id == round_id, scoping.review_round_clause(actor))
    if lock:
        # populate_existing: the caller may hold this row already, read before the lock; what counts is now.
        query = query.with_for_update().populate_existing()
    found = query.one_or_none()
    if found is None:
        raise WorkflowError(_("找不到该评审轮次"), status=404)
    return found


def window_end(review_round: ReviewRound) -> datetime | None:
    window = review_round.campaign.window(review_round.stage)
    return window.ends_at if window is not None else None


def window_ended(review_round: ReviewRound, at: datetime | None = None) -> bool:
    """The round's window is over (to the second, as StageWindow.is_open: its last second is still inside)."""
    end = window_end(review_round)
    return end is not None and (at or clock.now()).replace(microsecond=0) > end


def time_left(review_round: ReviewRound, at: datetime | None = None) -> timedelta | None:
    """How long the round's window still runs (None: not open now)."""
    window = review_round.campaign.window(review_round.stage)
    at = at or clock.now()
    if window is None or not window.is_open(at):
        return None
    return window.ends_at - at.replace(microsecond=0)


def duration_text(left: timedelta | None) -> str:
    """还剩 3 天 4 小时 / 还剩 2 小时 5 分钟, for the window's time left."""
    if left is None:
        return ""
    hours, rest = divmod(left.seconds, 3600)
    if left.days:
        return _("还剩 %(d)s 天 %(h)s 小时", d=left.days, h=hours)
    return _("还剩 %(h)s 小时 %(m)s 分钟", h=hours, m=rest // 60)


def _counts(round_id: int) -> dict[str, int]:
    rows = (
        db.session.query(ReviewAssignment.status, func.count(ReviewAssignment.id))
        .filter(ReviewAssignment.round_id == round_id)
        .group_by(ReviewAssignment.status)
        .all()
    )
    return dict(rows)


def close(actor, round_id: int) -> ReviewRound:
    """结束本轮: the scores become final and experts may read each other's. Once the window has ended, or earlier when
    every review that is not declined has been submitted. There is no reopening."""
    _require_city_office(actor, _("结束评审轮次"))
    try:
        review_round = _round_or_404(actor, round_id, lock=True)
        label = review_round.stage_label
        if review_round.is_closed:
            raise WorkflowError(_("「%(round)s」已于 %(at)s 结束，不能重复结束", round=label,
                                  at=schedule.format_time(review_round.closed_at)))
        counts = _counts(review_round.id)
        missing = sum(counts.get(s, 0) for s in UNFINISHED)
        submitted = counts.get(A.SUBMITTED.value, 0)
        ended = window_ended(review_round)
        if not ended:
            end = schedule.format_time(window_end(review_round))
            if missing:
                raise WorkflowError(_("还有 %(n)s 份评审未提交，不能提前结束「%(round)s」；评审时间至 %(end)s 截止，"
                                      "截止后或全部提交后才能结束本轮", n=missing, round=label, end=end))
            if not submitted:
                raise WorkflowError(_("「%(round)s」还没有提交的评审，评审时间至 %(end)s 截止，截止前不能结束本轮",
                                      round=label, end=end))
        review_round.closed_at = clock.now()
        review_round.closed_by_id = actor.id
        # The scores are final from now on: a background job stores the ranking's final figures (tens of seconds
        # at 100,000 applications). Recorded with the closing, in its transaction; queued once it is committed.
        job = jobs.record(actor, ranking.STORE_JOB, ranking.store_title(review_round), {"round_id": review_round.id})
        review_round.ranking_job_id = job.id
        audit.record("review_round.close", "review_round", review_round.id, repr(review_round),
                     early=not ended, submitted=submitted, missing=missing)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    jobs.enqueue(job.id)
    return review_round


def refresh_ranking(actor, round_id: int):
    """刷新排名: a job computing the round's figures now (an open round's snapshot, or a closed round's final
    figures when its job failed or never ran). The job already queued or running is returned instead of a second
    one: the round's row is locked while we look. Refused when the final figures are stored."""
    _require_city_office(actor, _("刷新排名"))
    try:
        review_round = _round_or_404(actor, round_id, lock=True)
        if review_round.ranking_final:
            raise WorkflowError(_("「%(round)s」已结束，排名为最终结果，无需刷新", round=review_round.stage_label))
        if ranking.job_running(review_round):
            job = review_round.ranking_job
            db.session.commit()
            return job
        job = jobs.record(actor, ranking.STORE_JOB, ranking.store_title(review_round), {"round_id": review_round.id})
        review_round.ranking_job_id = job.id
        audit.record("review_round.rank", "review_round", review_round.id, repr(review_round))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return jobs.enqueue(job.id)


@dataclass
class ExpertProgress:
    """One expert's work in a round, as 评审进度 shows it. assigned counts every review not declined."""

    expert: Expert
    panel: str | None
    assigned: int = 0
    submitted: int = 0
    draft: int = 0
    not_started: int = 0
    declined: int = 0
    last_activity: datetime | None = None

    @property
    def unfinished(self) -> int:
        return self.draft + self.not_started

    @property
    def percent(self) -> int:
        return round(self.submitted * 100 / self.assigned) if self.assigned else 0


@dataclass
class Totals:
    experts: int = 0
    assigned: int = 0
    submitted: int = 0
    draft: int = 0
    not_started: int = 0
    declined: int = 0

    @property
    def unfinished(self) -> int:
        return self.draft + self.not_started

    @property
    def percent(self) -> int:
        return round(self.submitted * 100 / self.assigned) if self.assigned else 0


def progress(review_round: ReviewRound, offset: int = 0, limit: int | None = None) -> list[ExpertProgress]:
    """Every expert of the round's panels and everyone with reviews in it: panel, reviews by state, last activity
    (the last save, submission or declaration). Three queries whatever the size of the round. offset/limit: only
    those rows (in the same order) get their Expert read; totals() needs the whole list (progress_page)."""
    return progress_page(review_round, offset, limit)[0]


def progress_page(review_round: ReviewRound, offset: int = 0,
                  limit: int | None = None) -> tuple[list[ExpertProgress], "Totals"]:
    """progress() of the experts offset..offset+limit (by panel, name, id), and the totals of the whole round.
    The counts and names are plain tuples for every expert; Expert rows only for the page (4,000 experts at
    100,000 applications: their ORM objects and table rows were most of 评审进度's time)."""
    members = dict(
        db.session.query(ExpertPanelMember.expert_id, ExpertPanel.name)
        .join(ExpertPanel, ExpertPanel.id == ExpertPanelMember.panel_id)
        .filter(ExpertPanelMember.round_id == review_round.id)
        .all()
    )
    counted = (
        # count(*): ix_review_assignment_round_expert_status answers from the index alone (count(id) read the table).
        db.session.query(ReviewAssignment.expert_id, ReviewAssignment.status, func.count(),
                         func.max(ReviewAssignment.updated_at))
        .filter(ReviewAssignment.round_id == review_round.id)
        .group_by(ReviewAssignment.expert_id, ReviewAssignment.status)
        .all()
    )
    ids = set(members) | {row[0] for row in counted}
    if not ids:
        return [], Totals()
    names = {
        expert_id: ((first or "") + (last or "")).strip() or username
        # Every expert's name (a few thousand tuples): an IN of the round's 4,000 ids cost more than reading them all.
        for expert_id, first, last, username in db.session.query(Expert.id, Account.first_name, Account.last_name,
                                                                 Account.username)
        .join(Account, Account.id == Expert.account_id)
        if expert_id in ids
    }
    rows = {i: ExpertProgress(None, members.get(i)) for i in names}
    attribute = {A.ASSIGNED.value: "not_started", A.DRAFT.value: "draft", A.SUBMITTED.value: "submitted",
                 A.DECLINED.value: "declined"}
    for expert_id, status, n, last in counted:
        row = rows[expert_id]
        setattr(row, attribute[status], n)
        if status != A.ASSIGNED.value:  # an untouched review's time is when it was assigned: no activity
            row.last_activity = max(filter(None, (row.last_activity, last)), default=None)
    for row in rows.values():
        row.assigned = row.submitted + row.draft + row.not_started
    ordered = sorted(rows.items(), key=lambda item: (item[1].panel is None, item[1].panel or "", names[item[0]],
                                                     item[0]))
    whole = totals([row for _i, row in ordered])
    shown = ordered[offset:None if limit is None else offset + limit]
    experts = {e.id: e for e in db.session.query(Expert).filter(Expert.id.in_([i for i, _row in shown]))
               .options(joinedload(Expert.account))} if shown else {}
    for expert_id, row in shown:
        row.expert = experts[expert_id]
    return [row for _i, row in shown], whole


def totals(rows: list[ExpertProgress]) -> Totals:
    result = Totals(experts=len(rows))
    for row in rows:
        for name in ("assigned", "submitted", "draft", "not_started", "declined"):
            setattr(result, name, getattr(result, name) + getattr(row, name))
    return result


@dataclass(frozen=True)
class MissingReview:
    """A review not submitted yet: whose application, of which units, with which expert, in which state."""

    assignment_id: int
    application_id: int
    application_name: str
    unit_name: str  # the second-level unit
    parent_name: str  # its first-level unit
    expert_id: int
    expert_name: str
    status: str

    @property
    def status_label(self):
        return AssignmentStatus(self.status).label

    @property
    def units(self) -> str:
        return " · ".join(n for n in (self.parent_name, self.unit_name) if n)


def missing(review_round: ReviewRound, limit: int | None = None) -> list[MissingReview]:
    """Every review of the round neither submitted nor declined (the first `limit`), in one query, by expert then
    application."""
    parent = aliased(Unit)
    query = (
        db.session.query(ReviewAssignment.id, Application.id, Application.name, Unit.name, parent.name, Expert.id,
                         Account.first_name, Account.last_name, Account.username, ReviewAssignment.status)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .outerjoin(Unit, Unit.id == Application.unit_id)
        .outerjoin(parent, parent.id == Unit.parent_id)
        .join(Expert, Expert.id == ReviewAssignment.expert_id)
        .join(Account, Account.id == Expert.account_id)
        .filter(ReviewAssignment.round_id == review_round.id, ReviewAssignment.status.in_(UNFINISHED))
        .order_by(Account.first_name, Expert.id, parent.name, Unit.name, Application.name, ReviewAssignment.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        MissingReview(a_id, app_id, app_name, unit or "", parent_name or "", e_id,
                      ((first or "") + (last or "")).strip() or username, status)
        for a_id, app_id, app_name, unit, parent_name, e_id, first, last, username, status in query.all()
    ]


def remind(actor, round_id: int, expert_ids=None) -> int:
    """提醒: an in-app message to each chosen expert (all when None) who still has unfinished reviews in the round.
    Returns how many were reminded; nobody is when nothing is missing."""
    _require_city_office(actor, _("提醒专家"))
    try:
        review_round = _round_or_404(actor, round_id)
        if review_round.is_closed:
            raise WorkflowError(_("「%(round)s」已经结束，无需提醒", round=review_round.stage_label))
        if window_ended(review_round):
            raise WorkflowError(_("「%(round)s」的评审时间已于 %(end)s 截止，专家已不能评分，无需提醒",
                                  round=review_round.stage_label, end=schedule.format_time(window_end(review_round))))
        query = (
            db.session.query(Expert.id, Expert.account_id, func.count(ReviewAssignment.id))
            .join(ReviewAssignment, ReviewAssignment.expert_id == Expert.id)
            .filter(ReviewAssignment.round_id == review_round.id, ReviewAssignment.status.in_(UNFINISHED))
            .group_by(Expert.id, Expert.account_id)
            .order_by(Expert.id)
        )
        if expert_ids is not None:
            query = query.filter(Expert.id.in_(list(expert_ids)))
        unfinished = query.all()
        end = schedule.format_time(window_end(review_round))
        for _expert_id, account_id, n in unfinished:
            text = _("请于 %(end)s 前完成%(round)s：尚有 %(n)s 份未提交", end=end, round=review_round.stage_label, n=n)
            notifications.notify([account_id], "review_reminder", _("评审提醒"), text,
                                 f"{TODO_LINK}?round={review_round.id}", sender=actor)
        if unfinished:
            audit.record("review_round.remind", "review_round", review_round.id, repr(review_round),
                         experts=[row[0] for row in unfinished], unfinished=sum(row[2] for row in unfinished))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(unfinished)
