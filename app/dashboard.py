"""工作台 (R-OPS-4): the figures of the first page after sign-in for the city office, the auditor and the unit clerks,
each in the user's own scope — the current stage and its time left, applications per stage and decision, which
units have submitted, applications per category, the experts' progress per round, the open objections.

Figures only; app/views/dashboard.py links each number to the list it counts. Every count asks the same scoping
clause as that list (the 报名信息 list: scoping.identity_clause), and a constant number of queries (GROUP BY), not
one per unit.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import gettext as _
from sqlalchemy import func

from app import clock, request_cache, roles, rounds, schedule, scoping, tallies, workflow
from app.extensions import db
from app.models import (Application, ApplicationStatus, ApplicationTally, Campaign, Objection, StageWindow, Unit,
                        UnitCategory)
from app.models.application import L1_VISIBLE
from app.models.publicity import OBJECTION_STATUS_LABELS, OPEN_OBJECTION_STATUSES

S = ApplicationStatus

# The campaign's stages as the dashboard groups the applications: each status under the stage whose decision it is.
STAGE_GROUPS = (
    ("apply", _l("报名"), (S.SUBMITTED, S.RETURNED)),
    ("l2", _l("二级单位"), (S.L2_RECOMMENDED, S.L2_NOT_RECOMMENDED, S.L2_FORWARDED, S.L2_REJECTED)),
    ("l1", _l("一级单位"), (S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED, S.REPORTED, S.L1_REJECTED)),
    ("experts", _l("专家评审"), (S.SHORTLISTED,)),
    ("publicity", _l("公示"), (S.CANDIDATE, S.FEATURED, S.WITHDRAWN)),
    ("approval", _l("审核确定"), (S.WINNER, S.FEATURED_WINNER)),
)


def visible_statuses(user) -> tuple[ApplicationStatus, ...]:
    """The statuses this user's 报名信息 list can ever hold (a first-level unit sees only what was forwarded)."""
    if scoping.sees_everything(user) or roles.L2_CLERK in scoping.role_names(user):
        return tuple(s for s in S if s is not S.DRAFT)
    if roles.L1_CLERK in scoping.role_names(user):
        return L1_VISIBLE
    return ()


# --- the current stage -----------------------------------------------------------------------------------------

@dataclass
class StageNow:
    window: StageWindow | None
    state: str  # "open", "upcoming", "ended", "unscheduled"
    time_left: str  # 还剩 3 天 4 小时, while open
    windows: list[StageWindow]

    @property
    def label(self):
        return self.window.stage_label if self.window is not None else ""


def stage_now(campaign: Campaign, at: datetime | None = None) -> StageNow:
    """The stage open now (the latest of overlapping ones: 在线报名 rather than 系统开放注册), else the next one,
    else the last one that ended."""
    at = (at or clock.now()).replace(microsecond=0)
    windows = schedule.windows_of(campaign)
    scheduled = [w for w in windows if w.starts_at is not None]
    open_now = [w for w in scheduled if w.is_open(at)]
    if open_now:
        window = open_now[-1]
        return StageNow(window, "open", rounds.duration_text(window.ends_at - at), windows)
    upcoming = sorted((w for w in scheduled if w.starts_at > at), key=lambda w: w.starts_at)
    if upcoming:
        return StageNow(upcoming[0], "upcoming", "", windows)
    if scheduled:
        return StageNow(max(scheduled, key=lambda w: w.ends_at), "ended", "", windows)
    return StageNow(None, "unscheduled", "", windows)


# --- applications per status and stage -------------------------------------------------------------------------

@dataclass
class StatusCount:
    status: ApplicationStatus
    count: int
    void: bool = False  # its unit's window has ended: these go no further (workflow.is_void), as the list says

    @property
    def label(self):
        return str(self.status.label) + _("（过期无效）") if self.void else self.status.label


@dataclass
class StageCount:
    key: str
    label: str
    statuses: list[StatusCount]

    @property
    def count(self) -> int:
        return sum(s.count for s in self.statuses)


def _counted(user, campaign: Campaign) -> list[tuple[int, int | None, str, str, int]]:
    """(unit id, its parent's id, its category, status, applications) for each unit and state of the campaign in the
    user's 报名信息 list: every count of this page is a sum of these. Read from the tallies kept per (campaign, unit,
    status) (app/tallies.py: a few hundred rows at 100,000 applications, where counting the applications took four
    scans of the campaign), else counted; once per request."""
    def read():
        where = (Application.campaign_id == campaign.id) & scoping.identity_clause(user)
        tallied = tallies.on_tallies(where)
        if tallied is not None:
            query = (db.session.query(ApplicationTally.unit_id, Unit.parent_id, Unit.category, ApplicationTally.status,
                                      ApplicationTally.n)
                     .join(Unit, Unit.id == ApplicationTally.unit_id)
                     .filter(tallied, ApplicationTally.n != 0))
        else:
            query = (db.session.query(Unit.id, Unit.parent_id, Unit.category, Application.status,
                                      func.count(Application.id))
                     .join(Application, Application.unit_id == Unit.id).filter(where)
                     .group_by(Unit.id, Unit.parent_id, Unit.category, Application.status))
        return [tuple(row) for row in query]

    return request_cache.remember(("dashboard_counted", getattr(user, "id", None), campaign.id), read)


def status_counts(user, campaign: Campaign) -> dict[str, int]:
    """status -> how many of the campaign's applications the user's 报名信息 list holds in it."""
    counts: dict[str, int] = {}
    for _unit, _parent, _category, status, n in _counted(user, campaign):
        counts[status] = counts.get(status, 0) + n
    return counts


def stage_counts(user, counts: dict[str, int], campaign: Campaign, at: datetime | None = None) -> list[StageCount]:
    shown = set(visible_statuses(user))
    groups = []
    for key, label, statuses in STAGE_GROUPS:
        lines = [StatusCount(s, counts.get(s.value, 0), workflow.is_void_status(s.value, campaign.id, at))
                 for s in statuses if s in shown]
        if lines:
            groups.append(StageCount(key, label, lines))
    return groups


# --- units: who has submitted (提交 / 上报) and who has not ---------------------------------------------------------

@dataclass
class UnitLine:
    unit: Unit
    state: str  # workflow.UNIT_STATES: missing, late, submitted
    submitted_at: datetime | None
    applications: int  # in the user's 报名信息 list (a first-level unit: its streets' together)
    children: int = 0  # second-level units (a first-level unit's row)
    children_submitted: int = 0

    @property
    def state_label(self):
        return workflow.UNIT_STATES[self.state]

    @property
    def children_waiting(self) -> int:
        return self.children - self.children_submitted


@dataclass
class StateCount:
    """How many units of a level are in one 提交情况 state: the 提交情况 page filtered by level and state."""

    level: int
    state: str
    count: int

    @property
    def label(self):
        return workflow.UNIT_STATES[self.state]


@dataclass
class Units:
    level: int  # the level of the rows: 1 for the city office and the auditor, 2 for a first-level clerk
    rows: list[UnitLine]
    own: UnitLine | None  # a clerk's own unit
    states: list[StateCount] = field(default_factory=list)


def _applications_per_unit(user, campaign: Campaign) -> dict[int, int]:
    """unit id -> applications in the user's list; a street's count for it and for its district."""
    per_unit: dict[int, int] = {}
    for unit_id, parent_id, _category, _status, count in _counted(user, campaign):
        for key in (unit_id, parent_id):
            if key is not None:
                per_unit[key] = per_unit.get(key, 0) + count
    return per_unit


def units(user, campaign: Campaign) -> Units | None:
    """The city office and the auditor: every first-level unit (its 上报, its streets' 提交); a first-level clerk:
    its second-level units (their 提交) and its own 上报; a second-level clerk: its own 提交."""
    overview = workflow.units_overview(user, campaign)  # the 提交情况 page's rows: the same states
    if not overview:
        return None
    per_unit = _applications_per_unit(user, campaign)
    lines = {row.unit.id: UnitLine(row.unit, row.state, row.submitted_at, per_unit.get(row.unit.id, 0))
             for row in overview}
    for row in overview:
        if row.level == 2 and row.unit.parent_id in lines:
            parent = lines[row.unit.parent_id]
            parent.children += 1
            parent.children_submitted += row.state == "submitted"
    states: dict[tuple[int, str], int] = {}
    for row in overview:
        states[(row.level, row.state)] = states.get((row.level, row.state), 0) + 1
    counted = [StateCount(level, state, n) for (level, state), n in sorted(states.items())]
    if scoping.sees_everything(user):
        rows = [lines[r.unit.id] for r in overview if r.level == 1]
        return Units(1, rows, None, counted)
    own = lines.get(getattr(user, "unit_id", None))
    rows = [lines[r.unit.id] for r in overview if r.level == 2 and r.unit.id != getattr(user, "unit_id", None)]
    return Units(2, rows, own, counted)


# --- applications per category (of the first-level unit) ---------------------------------------------------------

@dataclass
class CategoryCount:
    category: UnitCategory
    count: int

    @property
    def label(self):
        return self.category.label


def category_counts(user, campaign: Campaign) -> list[CategoryCount]:
    rows: dict[str, int] = {}
    for _unit, _parent, category, _status, n in _counted(user, campaign):
        rows[category] = rows.get(category, 0) + n
    return [CategoryCount(c, rows.get(c.value, 0)) for c in UnitCategory]


# --- experts' progress per round (评审进度) -------------------------------------------------------------------------

@dataclass
class RoundProgress:
    stage: str
    label: str
    exists: bool
    is_closed: bool
    totals: rounds.Totals


def expert_progress(user, campaign: Campaign) -> list[RoundProgress]:
    """Each review round's totals as 评审进度 shows them, for those who may follow the rounds."""
    if not scoping.sees_everything(user):
        return []
    result = []
    for stage in rounds.ROUNDS:
        review_round = rounds.round_for(campaign, stage, create=False)
        rows = rounds.progress(review_round) if review_round is not None else []
        result.append(RoundProgress(stage.value, stage.label, review_round is not None,
                                    bool(review_round and review_round.is_closed), rounds.totals(rows)))
    return result


# --- open objections (公示异议) ---------------------------------------------------------------------------------------

@dataclass
class ObjectionCount:
    status: str
    count: int

    @property
    def label(self):
        return OBJECTION_STATUS_LABELS[self.status_enum]

    @property
    def status_enum(self):
        from app.models.publicity import ObjectionStatus

        return ObjectionStatus(self.status)


def open_objections(user, campaign: Campaign) -> list[ObjectionCount] | None:
    """The objections still on the office's desk by status; None for whoever may not read objections."""
    if not scoping.is_city_office(user):
        return None
    rows = dict(
        db.session.query(Objection.status, func.count(Objection.id))
        .filter(Objection.campaign_id == campaign.id, scoping.objection_clause(user),
                Objection.status.in_([s.value for s in OPEN_OBJECTION_STATUSES]))
        .group_by(Objection.status)
        .all()
    )
    return [ObjectionCount(s.value, rows.get(s.value, 0)) for s in OPEN_OBJECTION_STATUSES]


# --- everything together -------------------------------------------------------------------------------------------

@dataclass
class Figures:
    campaign: Campaign | None
    stage: StageNow | None = None
    total: int = 0
    stages: list[StageCount] = field(default_factory=list)
    units: Units | None = None
    categories: list[CategoryCount] = field(default_factory=list)
    rounds: list[RoundProgress] = field(default_factory=list)
    objections: list[ObjectionCount] | None = None


def figures(user, campaign: Campaign | None = None, at: datetime | None = None) -> Figures:
    campaign = campaign or schedule.current_campaign()
    if campaign is None:
        return Figures(None)
    counts = status_counts(user, campaign)
    stages = stage_counts(user, counts, campaign, at)
    return Figures(
        campaign=campaign,
        stage=stage_now(campaign, at),
        total=sum(group.count for group in stages),
        stages=stages,
        units=units(user, campaign),
        categories=category_counts(user, campaign) if scoping.sees_everything(user) else [],
        rounds=expert_progress(user, campaign),
        objections=open_objections(user, campaign),
    )
