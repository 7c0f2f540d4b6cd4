"""Where each generated application stands, and the history that brought it there: a plan, no database.

`flask demo generate` (app/demo/generate.py) writes what this plans. Two spreads:
- REPORTED: every application went the whole chain and was reported (the rehearsal of 专家评审 and `demo advance`).
- CAMPAIGN: the campaign as it stands a few days before the end of 一级单位推荐上报: drafts never submitted, returns,
  streets that submitted in time and late ones, districts that have reported and others still deciding.

Every path is one the workflow's transitions (app/workflow.py TRANSITIONS and UNIT_STEPS) could take, with each step
inside its stage's window: 提交 and 退回修改 in 在线报名, the street's decisions and 提交 in 二级单位自评推荐, the
district's in 一级单位推荐上报. Most citizens submit on the last day of 在线报名 (the deadline is a hard cut-off).
"""
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.models import ApplicationStatus

S = ApplicationStatus
# Who takes a step: the citizen, the clerk of their street (second-level unit), the clerk of its parent.
APPLICANT, STREET, DISTRICT = "applicant", "street", "district"


@dataclass(frozen=True)
class Spread:
    """The shares that shape a campaign. Figures for CAMPAIGN are the planner's guess at a real one (issue 11)."""

    name: str
    drafts: float  # never submitted
    last_day: float  # of submissions, on the last day of 在线报名
    returned: float  # of those submitted at least three days before the deadline, 退回修改 by the street
    resubmitted: float  # of the returned, submitted again in time
    streets_submitting: float  # streets that 提交 in time
    left_undecided_l2: float  # of a submitting street's applications, never decided (void once it submitted)
    undecided_late_l2: float  # of a late street's applications, not even decided
    l2_recommend: float
    changed_mind: float  # decided one way, then the other
    districts_reporting: float  # districts (first-level units) that have 上报 by the snapshot
    left_undecided_l1: float  # of a reporting district's forwarded applications, never decided
    decided_l1_pending: float  # of a not-yet-reporting district's forwarded applications, decided so far
    l1_recommend: float


REPORTED = Spread("reported", drafts=0, last_day=0.5, returned=0, resubmitted=0, streets_submitting=1,
                  left_undecided_l2=0, undecided_late_l2=0, l2_recommend=1, changed_mind=0, districts_reporting=1,
                  left_undecided_l1=0, decided_l1_pending=0, l1_recommend=1)
CAMPAIGN = Spread("campaign", drafts=0.10, last_day=0.6, returned=0.12, resubmitted=0.6, streets_submitting=0.92,
                  left_undecided_l2=0.02, undecided_late_l2=0.4, l2_recommend=0.55, changed_mind=0.03,
                  districts_reporting=0.6, left_undecided_l1=0.01, decided_l1_pending=0.5, l1_recommend=0.7)
SPREADS = {s.name: s for s in (CAMPAIGN, REPORTED)}


@dataclass(frozen=True)
class Windows:
    """The campaign's windows (Beijing time) and the moment the snapshot is taken."""

    register_start: datetime
    apply_start: datetime
    apply_end: datetime
    l2_start: datetime
    l2_end: datetime
    l1_start: datetime
    l1_end: datetime
    as_of: datetime


@dataclass
class UnitPlan:
    """A unit's 提交 (street) or 上报 (district): whether it happens before the snapshot, and when."""

    submits: bool
    at: datetime | None = None
    existing: bool = False  # the unit's row was there before this run (a --force batch adds to its counts)


@dataclass
class Plan:
    """One application: when its citizen registered and started, its steps (at, action, from, to, who, opinion)
    in order, and where it ends."""

    registered_at: datetime
    created_at: datetime
    steps: list = field(default_factory=list)
    status: ApplicationStatus = S.DRAFT
    completeness: int = 3  # drafts: 0 account only, 1 personal data, 2 unit, deeds and photo, 3 everything

    @property
    def submitted_at(self) -> datetime | None:
        return next((s[0] for s in reversed(self.steps) if s[1] == "submit"), None)

    @property
    def updated_at(self) -> datetime:
        return self.steps[-1][0] if self.steps else self.created_at


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max(0, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randint(0, seconds))


def _office_hours(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A clerk's moment between start and end, on a working hour when the span allows one."""
    at = _between(rng, start, end)
    moved = at.replace(hour=rng.randint(9, 17), minute=rng.randrange(60), second=rng.randrange(60))
    return moved if start <= moved <= end else at


def submission_time(rng: random.Random, spread: Spread, w: Windows) -> datetime:
    """The deadline spike: a share on the last day, thickest in its last hours; the rest over the window, more of
    them as the deadline nears."""
    if rng.random() < spread.last_day:
        back = min(86_399.0, rng.expovariate(1 / (6 * 3600)))
        return w.apply_end - timedelta(seconds=int(back))
    days = max(1, (w.apply_end - w.apply_start).days)
    day = int(days * math.sqrt(rng.random()))  # density rising towards the end
    at = w.apply_start + timedelta(days=min(day, days - 1), hours=rng.randint(7, 23), minutes=rng.randrange(60),
                                   seconds=rng.randrange(60))
    return min(at, w.apply_end - timedelta(days=1))


def street_plan(rng: random.Random, spread: Spread, w: Windows) -> UnitPlan:
    if rng.random() >= spread.streets_submitting:
        return UnitPlan(False)
    # Streets submit towards the end of their window, a few on the last afternoon.
    return UnitPlan(True, w.l2_end - timedelta(hours=rng.randint(3, 96), minutes=rng.randrange(60)))


def district_plan(rng: random.Random, spread: Spread, w: Windows) -> UnitPlan:
    if rng.random() >= spread.districts_reporting:
        return UnitPlan(False)
    latest = min(w.as_of, w.l1_end) - timedelta(hours=1)
    earliest = max(w.l1_start + timedelta(days=4), latest - timedelta(days=6))
    return UnitPlan(True, _office_hours(rng, earliest, latest))


def plan(rng: random.Random, spread: Spread, w: Windows, street: UnitPlan, district: UnitPlan,
         opinions: dict) -> Plan:
    """One application's path. opinions: action -> list of texts (推荐意见, 退回理由)."""
    if rng.random() < spread.drafts:
        registered = _between(rng, w.register_start, w.apply_end - timedelta(hours=2))
        created = max(registered, w.apply_start) + timedelta(minutes=rng.randint(2, 90))
        return Plan(registered, min(created, w.apply_end), completeness=rng.randint(0, 3))
    submitted = submission_time(rng, spread, w)
    registered = max(w.register_start, submitted - timedelta(minutes=rng.randint(20, 60 * 24 * 6)))
    created = min(submitted - timedelta(minutes=5), registered + timedelta(minutes=rng.randint(2, 60)))
    p = Plan(registered, created)
    steps = p.steps

    def step(at, action, source, target, who):
        texts = opinions.get(action)
        steps.append((at, action, source, target, who, rng.choice(texts) if texts else None))
        p.status = target

    step(submitted, "submit", S.DRAFT, S.SUBMITTED, APPLICANT)
    if submitted <= w.apply_end - timedelta(days=3) and rng.random() < spread.returned:
        returned = _office_hours(rng, submitted + timedelta(hours=4), submitted + timedelta(days=2))
        step(returned, "return", S.SUBMITTED, S.RETURNED, STREET)
        if rng.random() >= spread.resubmitted:
            return p
        step(_between(rng, returned + timedelta(hours=2), w.apply_end), "submit", S.RETURNED, S.SUBMITTED, APPLICANT)

    # The street: decided before it submitted, or by the end of its window when it never did.
    if street.submits:
        if rng.random() < spread.left_undecided_l2:
            return p
        decide_by = street.at - timedelta(minutes=10)
    else:
        if rng.random() < spread.undecided_late_l2:
            return p
        decide_by = w.l2_end - timedelta(minutes=1)
    decide_from = w.l2_start + timedelta(hours=1)
    yes = rng.random() < spread.l2_recommend
    first = _office_hours(rng, decide_from, decide_by)
    if rng.random() < spread.changed_mind:
        step(first, "l2_reject" if yes else "l2_recommend", S.SUBMITTED,
             S.L2_NOT_RECOMMENDED if yes else S.L2_RECOMMENDED, STREET)
        source = p.status
        first = _between(rng, first + timedelta(minutes=1), max(first + timedelta(minutes=1), decide_by))
    else:
        source = S.SUBMITTED
    step(first, "l2_recommend" if yes else "l2_reject", source, S.L2_RECOMMENDED if yes else S.L2_NOT_RECOMMENDED,
         STREET)
    if not street.submits:
        return p
    step(street.at, "l2_submit", p.status, S.L2_FORWARDED if yes else S.L2_REJECTED, STREET)
    if not yes:
        return p

    # The district, in 一级单位推荐上报, up to the snapshot.
    if district.submits:
        if rng.random() < spread.left_undecided_l1:
            return p
        decide_by = district.at - timedelta(minutes=10)
    else:
        if rng.random() >= spread.decided_l1_pending:
            return p
        decide_by = min(w.as_of, w.l1_end) - timedelta(minutes=1)
    yes = rng.random() < spread.l1_recommend
    step(_office_hours(rng, w.l1_start + timedelta(hours=1), decide_by), "l1_recommend" if yes else "l1_reject",
         S.L2_FORWARDED, S.L1_RECOMMENDED if yes else S.L1_NOT_RECOMMENDED, DISTRICT)
    if district.submits:
        step(district.at, "l1_report", p.status, S.REPORTED if yes else S.L1_REJECTED, DISTRICT)
    return p
