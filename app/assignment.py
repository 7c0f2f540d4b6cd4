"""评审分配: which experts review which application in a round (R-EXP-1, issue 8 item 2).

`assign_round(actor, round_id)` gives every application of the round (初审: reported by a first-level unit and
everything after; 复审: shortlisted and after) `round.experts_per_application` experts of the panel (专家组) that
covers its first-level unit, never an expert with a conflict of interest (`conflicted`), with the loads within a
panel differing by at most one whenever the conflicts allow it. It is solved as a min-cost flow with OR-Tools
(the way HotCRP's autoassigner does it), not by a greedy loop that can paint itself into a corner:

    source ──(still needed)──▶ application ──(1; 0 if already so assigned and unstarted, else 1)──▶ expert
    expert ──(1, cost W·k for the expert's k-th review)──▶ sink        for k = fixed load + 1, fixed load + 2, …

The expert→sink costs grow with the load, so the cost is a separable convex function of the loads: its minimum is
the most balanced vector of loads the conflicts allow (it minimises the largest load and maximises the smallest at
once), and W (more than the number of assignments) makes balance dominate the churn term, so that among the most
balanced solutions the solver keeps as many of the existing unstarted assignments as it can. Started reviews
(draft, submitted) are never touched and count as fixed load; a declined pair never comes back.

Either every application is fully placed and the result is written in one transaction, or nothing is written and
the result says which applications cannot be placed and why. `move` and `decline` change one assignment.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import audit, clock, jobs, notifications, rounds, scoping
from app.bounds import row_id
from app.extensions import db
from app.models import Application, ApplicationStatus, Unit
from app.models.review import (
    STARTED,
    AssignmentStatus,
    Expert,
    ExpertConflict,
    ExpertPanel,
    ExpertPanelMember,
    ExpertPanelUnit,
    ReviewAssignment,
    ReviewRound,
)
from app.workflow import WorkflowError

S = ApplicationStatus
# The applications each round reads: 初审 everything the first-level units reported (and what has since moved on),
# 复审 the shortlist (and what has since been picked from it).
ROUND_STATUSES = {
    "initial_review": (S.REPORTED.value, S.SHORTLISTED.value, S.CANDIDATE.value, S.FEATURED.value),
    "final_review": (S.SHORTLISTED.value, S.CANDIDATE.value, S.FEATURED.value),
}
DECLINED = AssignmentStatus.DECLINED.value
ASSIGNED = AssignmentStatus.ASSIGNED.value
EXPERT_HOME = "/expert/"  # the expert's to-do list (app/scoring.py's ExpertReviewView.todo)
_SPACES = re.compile(r"\s+")  # \s covers the full-width space U+3000 too
MIN_CONTAINED = 4  # one employer name inside the other counts from this many characters on ("北京大学" in "北京大学医学部")


def normalise(name: str | None) -> str:
    """A unit's name as compared: no spaces (full-width ones included), case-folded."""
    return _SPACES.sub("", name or "").casefold()


def _names_match(a: str, b: str) -> bool:
    """Two normalised unit names are the same employer: equal, or one inside the other when both are long enough."""
    if not a or not b:
        return False
    return a == b or (len(a) >= MIN_CONTAINED and len(b) >= MIN_CONTAINED and (a in b or b in a))


def same_employer(a: str | None, b: str | None) -> bool:
    return _names_match(normalise(a), normalise(b))


def first_level_unit(application: Application) -> Unit | None:
    unit = application.unit
    if unit is None:
        return None
    return unit.parent if unit.level == 2 and unit.parent is not None else unit


# --- conflicts ---------------------------------------------------------------------------------------------------

class Conflicts:
    """The conflicts of a set of experts, loaded once: `reason(expert, application)` asks no more queries (the
    applications' units and their parents must be loaded, as `assign_round` does)."""

    def __init__(self, experts):
        self.experts = {e.id: e for e in experts}
        self.by_unit: dict[int, dict[int, ExpertConflict]] = defaultdict(dict)
        self.by_application: dict[int, dict[int, ExpertConflict]] = defaultdict(dict)
        ids = list(self.experts)
        if ids:
            rows = (
                db.session.query(ExpertConflict)
                .filter(ExpertConflict.expert_id.in_(ids))
                .options(selectinload(ExpertConflict.unit))
                .all()
            )
            for row in rows:
                if row.unit_id is not None:
                    self.by_unit[row.expert_id][row.unit_id] = row
                else:
                    self.by_application[row.expert_id][row.application_id] = row
        self._employer = {e.id: normalise(e.employer) for e in experts}
        self._work_unit: dict[str, str] = {}
        self._application_units: dict[int, list[Unit]] = {}
        self._application_facts: dict[int, tuple] = {}

    def _same_employer(self, expert: Expert, application: Application) -> bool:
        """same_employer() with the names normalised once (the solver asks it for every pair)."""
        a = self._employer.get(expert.id)
        if a is None:
            a = self._employer[expert.id] = normalise(expert.employer)
        raw = application.work_unit or ""
        b = self._work_unit.get(raw)
        if b is None:
            b = self._work_unit[raw] = normalise(raw)
        return _names_match(a, b)

    def _units(self, application: Application) -> list[Unit]:
        units = self._application_units.get(application.id)
        if units is None:
            unit, top = application.unit, first_level_unit(application)
            units = self._application_units[application.id] = [u for u in (unit, top) if u is not None]
        return units

    def _blocked(self, expert_id: int, employer_unit_id, application: Application) -> bool:
        """The quick yes/no behind reason(), on plain values cached per expert and application (the solver asks it
        for every pair; ORM attribute access was most of the time)."""
        facts = self._application_facts.get(application.id)
        if facts is None:
            units = self._units(application)
            facts = self._application_facts[application.id] = (
                frozenset(u.id for u in units), normalise(application.work_unit))
        unit_ids, work_unit = facts
        employer = self._employer[expert_id]
        return (
            employer_unit_id in unit_ids
            or _names_match(employer, work_unit)
            or not unit_ids.isdisjoint(self.by_unit.get(expert_id, ()))
            or application.id in self.by_application.get(expert_id, ())
        )

    def reason(self, expert: Expert, application: Application) -> str | None:
        expert_id = expert.id
        if expert_id not in self._employer:
            self._employer[expert_id] = normalise(expert.employer)
        if not self._blocked(expert_id, expert.employer_unit_id, application):
            return None
        units = self._units(application)
        employer_unit_id = expert.employer_unit_id
        if employer_unit_id is not None:
            for u in units:
                if u.id == employer_unit_id:
                    return _("专家的工作单位是申报人所在单位「%(unit)s」", unit=u.name)
        if self._same_employer(expert, application):
            return _("专家的工作单位「%(e)s」与申报人的工作单位「%(w)s」相同或相近",
                     e=expert.employer, w=application.work_unit)
        declared = self.by_unit.get(expert.id, {})
        for u in units:
            row = declared.get(u.id)
            if row is not None:
                return _("专家已声明回避「%(unit)s」%(why)s", unit=u.name, why=_because(row.reason))
        row = self.by_application.get(expert.id, {}).get(application.id)
        if row is not None:
            return _("专家已声明回避该申报人%(why)s", why=_because(row.reason))
        return None


def _because(reason: str | None) -> str:
    return _("（%(r)s）", r=reason) if reason else ""


def conflicted(expert: Expert, application: Application) -> str | None:
    """Why this expert must not review this application (Chinese), or None when they may."""
    return Conflicts([expert]).reason(expert, application)


# --- the round's applications and panels ------------------------------------------------------------------------

def round_applications(review_round: ReviewRound) -> list[Application]:
    return (
        db.session.query(Application)
        .filter(Application.campaign_id == review_round.campaign_id,
                Application.status.in_(ROUND_STATUSES[review_round.stage]))
        .options(selectinload(Application.unit).selectinload(Unit.parent))
        .order_by(Application.id)
        .all()
    )


def round_panels(review_round: ReviewRound) -> list[ExpertPanel]:
    return (
        db.session.query(ExpertPanel)
        .filter(ExpertPanel.round_id == review_round.id)
        .options(
            selectinload(ExpertPanel.members).selectinload(ExpertPanelMember.expert).selectinload(Expert.account),
            selectinload(ExpertPanel.units).selectinload(ExpertPanelUnit.unit),
        )
        .order_by(ExpertPanel.id)
        .all()
    )


def panel_of(panels: list[ExpertPanel], application: Application) -> ExpertPanel | None:
    """The panel covering the application's first-level unit, else the round's panel without units."""
    top = first_level_unit(application)
    for p in panels:
        if top is not None and any(pu.unit_id == top.id for pu in p.units):
            return p
    return next((p for p in panels if not p.units), None)


def loads(review_round: ReviewRound) -> dict[int, int]:
    """Non-declined assignments per expert of the round (every panel member, 0 included)."""
    result = {
        m.expert_id: 0
        for m in db.session.query(ExpertPanelMember).filter(ExpertPanelMember.round_id == review_round.id)
    }
    rows = (
        db.session.query(ReviewAssignment.expert_id, func.count(ReviewAssignment.id))
        .filter(ReviewAssignment.round_id == review_round.id, ReviewAssignment.status != DECLINED)
        .group_by(ReviewAssignment.expert_id)
    )
    for expert_id, count in rows:
        result[expert_id] = count
    return result


# --- the automatic assignment ------------------------------------------------------------------------------------

@dataclass
class AssignResult:
    placed: int = 0  # new assignments written
    kept: int = 0  # existing assignments left as they were (every started review among them)
    unplaceable: list = field(default_factory=list)  # [(application, reason)]; non-empty: nothing was written
    loads: dict = field(default_factory=dict)  # expert_id -> non-declined assignments in the round
    removed: int = 0  # unstarted assignments moved away from their expert
    experts: dict = field(default_factory=dict)  # expert_id -> Expert, for showing the loads

    @property
    def ok(self) -> bool:
        return not self.unplaceable

    @property
    def spread(self) -> int:
        return max(self.loads.values()) - min(self.loads.values()) if self.loads else 0


# --- 自动分配 as a background job (app/jobs.py): thousands of applications take longer than a request should ------

ASSIGN_JOB = "assignment.run"


def result_summary(result: AssignResult) -> dict:
    """What the job keeps of a result (JSON): the counts, the loads, and the unplaceable applications by id."""
    return {"placed": result.placed, "kept": result.kept, "removed": result.removed,
            "loads": {str(k): v for k, v in result.loads.items()}, "spread": result.spread,
            "unplaceable": [[application.id, reason] for application, reason in result.unplaceable]}


def result_from_summary(summary: dict) -> AssignResult:
    """The result again, with its applications loaded, for the 评审分配 page to show as it did after the request."""
    ids = [application_id for application_id, _reason in summary["unplaceable"]]
    found = {a.id: a for a in db.session.query(Application).filter(Application.id.in_(ids))} if ids else {}
    return AssignResult(placed=summary["placed"], kept=summary["kept"], removed=summary["removed"],
                        loads={int(k): v for k, v in summary["loads"].items()},
                        unplaceable=[(found[i], reason) for i, reason in summary["unplaceable"] if i in found])


@jobs.handler(ASSIGN_JOB)
def assign_round_job(work: jobs.Work) -> jobs.Outcome:
    """assign_round as the job's owner; the page then shows the result on 评审分配 (params: round_id, stage)."""
    from flask import url_for

    try:
        result = assign_round(work.owner, work.params["round_id"])
    except WorkflowError as refused:
        raise jobs.JobFailed(str(refused)) from refused
    return jobs.Outcome(result={"assignment": result_summary(result), "ok": result.ok,
                                "next": url_for("ReviewAssignmentView.list", stage=work.params.get("stage"),
                                                job=work.job.id)})


def _require_city_office(actor) -> None:
    if not scoping.is_city_office(actor):
        raise WorkflowError(_("只有市学习办可以分配评审任务"), status=403)


def _locked_round(round_id) -> ReviewRound:
    review_round = (
        db.session.query(ReviewRound).filter(ReviewRound.id == round_id).with_for_update().populate_existing()
        .one_or_none()
    )
    if review_round is None:
        raise WorkflowError(_("找不到该评审轮次"), status=404)
    if review_round.is_closed:
        raise WorkflowError(_("本轮评审已结束，不能再分配"), status=409)
    return review_round


@dataclass
class _Need:
    application: Application
    needed: int
    eligible: list  # Expert
    current: set  # expert ids of its unstarted assignments


def solve(needs: list[_Need], fixed_load: dict[int, int]) -> dict[int, set[int]]:
    """Min-cost flow over one panel: application id -> the expert ids chosen for it (may fall short when no
    assignment places everything: the caller checks)."""
    import numpy as np
    from ortools.graph.python import min_cost_flow

    needs = [n for n in needs if n.needed > 0 and n.eligible]
    if not needs:
        return {}
    total = sum(n.needed for n in needs)
    weight = total + 1  # balance dominates: the churn term is at most `total`
    expert_node, eligible_count = {}, defaultdict(int)
    for n in needs:
        for e in n.eligible:
            eligible_count[e.id] += 1
    source, sink = 0, 1
    next_node = 2 + len(needs)
    for expert_id in sorted(eligible_count):
        expert_node[expert_id] = next_node
        next_node += 1
    tails, heads, caps, costs = [], [], [], []
    pair_arcs = []  # (arc index, application id, expert id)
    for i, n in enumerate(needs):
        node = 2 + i
        tails.append(source), heads.append(node), caps.append(n.needed), costs.append(0)
        for e in n.eligible:
            pair_arcs.append((len(tails), n.application.id, e.id))
            tails.append(node), heads.append(expert_node[e.id]), caps.append(1)
            costs.append(0 if e.id in n.current else 1)
    for expert_id, node in expert_node.items():
        base = fixed_load.get(expert_id, 0)
        for k in range(base + 1, base + min(eligible_count[expert_id], total) + 1):
            tails.append(node), heads.append(sink), caps.append(1), costs.append(weight * k)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int64), np.array(heads, dtype=np.int64),
        np.array(caps, dtype=np.int64), np.array(costs, dtype=np.int64),
    )
    flow.set_node_supply(source, total)
    flow.set_node_supply(sink, -total)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:  # pragma: no cover - OR-Tools refuses only malformed graphs
        raise RuntimeError(f"min cost flow: status {status}")
    flows = flow.flows(np.array([arc for arc, _a, _e in pair_arcs], dtype=np.int64))
    chosen: dict[int, set[int]] = defaultdict(set)
    for (arc, application_id, expert_id), value in zip(pair_arcs, flows):
        if value:
            chosen[application_id].add(expert_id)
    return chosen


def _conflict_list(panel, application, conflicts: Conflicts, limit: int = 5) -> str:
    names = [f"{e.name}（{conflicts.reason(e, application)}）" for e in panel.experts
             if conflicts.reason(e, application)]
    shown = "；".join(names[:limit])
    return shown + (_("等 %(n)s 位", n=len(names)) if len(names) > limit else "")


def plan(review_round: ReviewRound):
    """What assign_round would do: (result, {application id: chosen expert ids}, existing rows by application)."""
    n_required = review_round.experts_per_application
    applications = round_applications(review_round)
    panels = round_panels(review_round)
    experts = {m.expert_id: m.expert for p in panels for m in p.members}
    conflicts = Conflicts(list(experts.values()))
    rows = db.session.query(ReviewAssignment).filter(ReviewAssignment.round_id == review_round.id).all()
    by_application = defaultdict(list)
    fixed_load = defaultdict(int)
    in_round = {a.id for a in applications}
    for row in rows:
        by_application[row.application_id].append(row)
        if row.status in STARTED or (row.status != DECLINED and row.application_id not in in_round):
            fixed_load[row.expert_id] += 1
    result = AssignResult(experts=experts)
    per_panel = defaultdict(list)
    for application in applications:
        existing = by_application.get(application.id, [])
        started = {r.expert_id for r in existing if r.status in STARTED}
        declined = {r.expert_id for r in existing if r.status == DECLINED}
        current = {r.expert_id for r in existing if r.status == ASSIGNED}
        needed = max(0, n_required - len(started))
        panel = panel_of(panels, application)
        if panel is None:
            if needed:
                top = first_level_unit(application)
                result.unplaceable.append((application, _("没有专家组负责%(unit)s", unit=top.name if top else "")))
            continue
        eligible = [e for e in panel.experts if e.id not in started and e.id not in declined
                    and conflicts.reason(e, application) is None]
        if len(eligible) < needed:
            why = _("需要 %(n)s 位专家，「%(panel)s」只有 %(m)s 位可以评审它", n=n_required, panel=panel.name,
                    m=len(eligible) + len(started))
            listed = _conflict_list(panel, application, conflicts)
            if listed:
                why += _("；回避：%(list)s", list=listed)
            if declined:
                why += _("；已声明回避 %(n)s 位", n=len(declined))
            result.unplaceable.append((application, why))
            continue
        per_panel[panel.id].append(_Need(application, needed, eligible, current))
    chosen: dict[int, set[int]] = {}
    panel_names = {p.id: p.name for p in panels}
    for panel_id, needs in per_panel.items():
        picked = solve(needs, fixed_load)
        short = [n for n in needs if len(picked.get(n.application.id, ())) < n.needed]
        for n in short:
            result.unplaceable.append((n.application, _(
                "「%(panel)s」在回避关系下排不开：本组可评审的专家不够为每份申报各分配 %(n)s 位，请给本组增加专家或调整回避",
                panel=panel_names[panel_id], n=n_required)))
        chosen.update(picked)
    result.unplaceable.sort(key=lambda pair: pair[0].id)
    return result, chosen, by_application, applications


def assign_round(actor, round_id: int) -> AssignResult:
    """自动分配: place every application of the round, or nothing (see the module's docstring)."""
    _require_city_office(actor)
    try:
        review_round = _locked_round(round_id)
        result, chosen, by_application, applications = plan(review_round)
        if result.unplaceable:
            db.session.rollback()  # releases the round's lock; nothing was written
            result.loads = loads(db.session.get(ReviewRound, round_id))
            return result
        new_work = defaultdict(int)
        now = clock.now()
        for application in applications:
            picked = chosen.get(application.id, set())
            for row in by_application.get(application.id, []):
                if row.status == ASSIGNED and row.expert_id not in picked:
                    db.session.delete(row)
                    result.removed += 1
                elif row.status != DECLINED:
                    result.kept += 1
            have = {r.expert_id for r in by_application.get(application.id, []) if r.status == ASSIGNED}
            for expert_id in sorted(picked - have):
                db.session.add(ReviewAssignment(round_id=review_round.id, campaign_id=review_round.campaign_id,
                                                application_id=application.id, expert_id=expert_id,
                                                status=ASSIGNED, assigned_at=now))
                new_work[expert_id] += 1
                result.placed += 1
        db.session.flush()
        for expert_id, count in new_work.items():
            _notify(actor, result.experts[expert_id], _("您有 %(n)s 份新的评审任务（%(round)s），请在评审时间内完成",
                                                        n=count, round=review_round.stage_label), review_round)
        audit.record("review.assign", "review_round", review_round.id, repr(review_round),
                     placed=result.placed, kept=result.kept, removed=result.removed,
                     applications=len(applications))
        result.loads = loads(review_round)
        db.session.commit()
    except Exception:  # a refusal or anything else: nothing of this run stays
        db.session.rollback()
        raise
    return result


def todo_link(review_round) -> str:
    """我的评审 on this round's tab: a notice about 初审 still leads to 初审 once 复审 is the current round."""
    return f"{EXPERT_HOME}?round={review_round.id}" if review_round is not None else EXPERT_HOME


def _notify(actor, expert: Expert, text: str, review_round=None) -> None:
    """New assignments: one message per expert per batch (自动分配, 改派, a replacement after 拒绝)."""
    notifications.notify([expert.account_id], "assignment", _("新的评审任务"), text, todo_link(review_round),
                         sender=actor)


# --- one assignment by hand ---------------------------------------------------------------------------------------

def _locked_assignment(assignment_id) -> ReviewAssignment:
    row = (
        db.session.query(ReviewAssignment).filter(ReviewAssignment.id == assignment_id).with_for_update()
        .populate_existing().one_or_none()
    )
    if row is None:
        raise WorkflowError(_("找不到该评审任务"), status=404)
    return row


def move(actor, assignment_id: int, expert_id) -> ReviewAssignment:
    """改派: one unstarted assignment to another expert of the round (conflicts checked), audited."""
    _require_city_office(actor)
    try:
        row = _locked_assignment(assignment_id)
        review_round = db.session.get(ReviewRound, row.round_id)
        if review_round.is_closed:
            raise WorkflowError(_("本轮评审已结束，不能再改派"), status=409)
        if row.status != ASSIGNED:
            raise WorkflowError(_("该评审任务「%(s)s」，不能改派", s=row.status_label), status=409)
        def refuse(message):
            return WorkflowError(message, errors={"expert_id": message}, status=422)
        expert_id = row_id(expert_id)  # an id, as a number or its digits; not true, 1.5, "２" or past INTEGER
        if expert_id is None:
            raise refuse(_("请选择专家"))
        member = (
            db.session.query(ExpertPanelMember)
            .filter_by(round_id=row.round_id, expert_id=expert_id).one_or_none()
        )
        if member is None:
            raise refuse(_("该专家不在本轮评审的专家组中"))
        if expert_id == row.expert_id:
            raise refuse(_("这份申报已经分配给该专家"))
        expert = member.expert
        reason = conflicted(expert, row.application)
        if reason:
            raise refuse(_("不能改派给%(name)s：%(why)s", name=expert.name, why=reason))
        other = (
            db.session.query(ReviewAssignment)
            .filter_by(round_id=row.round_id, application_id=row.application_id, expert_id=expert_id).first()
        )
        if other is not None:
            raise refuse(_("%(name)s已声明回避这份申报", name=expert.name) if other.status == DECLINED
                         else _("%(name)s已经在评审这份申报", name=expert.name))
        before = row.expert
        row.expert_id = expert_id
        row.expert = expert
        row.assigned_at = clock.now()
        _notify(actor, expert, _("您有 1 份新的评审任务（%(round)s），请在评审时间内完成", round=review_round.stage_label),
                review_round)
        audit.record("review.move", "review_assignment", row.id, repr(row),
                     application_id=row.application_id, from_expert=before.name, to_expert=expert.name)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return row


@dataclass
class DeclineResult:
    assignment: ReviewAssignment
    replacement: ReviewAssignment | None
    message: str


def _expert_of(actor) -> Expert | None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return db.session.query(Expert).filter(Expert.account_id == actor.id).one_or_none()


def replacement_for(review_round: ReviewRound, application: Application) -> Expert | None:
    """The least-loaded expert of the application's panel who may review it and has no row for it yet."""
    panel = panel_of(round_panels(review_round), application)
    if panel is None:
        return None
    taken = {
        expert_id for (expert_id,) in db.session.query(ReviewAssignment.expert_id)
        .filter_by(round_id=review_round.id, application_id=application.id)
    }
    conflicts = Conflicts(panel.experts)
    candidates = [e for e in panel.experts if e.id not in taken and conflicts.reason(e, application) is None]
    if not candidates:
        return None
    load = loads(review_round)
    return min(candidates, key=lambda e: (load.get(e.id, 0), e.id))


def decline(actor, assignment_id: int, reason: str | None) -> DeclineResult:
    """The expert declares a conflict on an assigned application: the review is declined (kept for the record), the
    conflict recorded, and another expert of the panel gets it when one is free of conflicts."""
    try:
        expert = _expert_of(actor)
        row = _locked_assignment(assignment_id)
        if expert is None or row.expert_id != expert.id:
            raise WorkflowError(_("找不到该评审任务"), status=404)
        if reason is not None and not isinstance(reason, str):  # a REST body's number or object
            message = _("回避理由须为文字")
            raise WorkflowError(message, errors={"reason": message}, status=422)
        reason = (reason or "").strip()
        if not reason:
            message = _("请填写回避理由")
            raise WorkflowError(message, errors={"reason": message}, status=422)
        if len(reason) > 200:
            message = _("回避理由最多 200 字")
            raise WorkflowError(message, errors={"reason": message}, status=422)
        if row.status not in (ASSIGNED, AssignmentStatus.DRAFT.value):
            raise WorkflowError(_("该评审任务「%(s)s」，不能再声明回避", s=row.status_label), status=409)
        review_round = db.session.get(ReviewRound, row.round_id)
        if not rounds.is_open(review_round):
            raise WorkflowError(_("本轮评审不在评审时间内，不能声明回避"), status=403)
        row.status = DECLINED
        row.declined_reason = reason
        exists = (
            db.session.query(ExpertConflict.id)
            .filter_by(expert_id=expert.id, application_id=row.application_id).first()
        )
        if exists is None:
            # By the objects, not their ids: the audit log labels the new row "专家 回避 申报人" from them.
            db.session.add(ExpertConflict(expert=expert, application=row.application, reason=reason,
                                          declared_by_id=actor.id, declared_at=clock.now()))
        db.session.flush()
        substitute = replacement_for(review_round, row.application)
        replacement = None
        if substitute is not None:
            replacement = ReviewAssignment(round_id=row.round_id, campaign_id=row.campaign_id,
                                           application_id=row.application_id, expert_id=substitute.id,
                                           status=ASSIGNED, assigned_at=clock.now())
            db.session.add(replacement)
            _notify(actor, substitute, _("您有 1 份新的评审任务（%(round)s），请在评审时间内完成",
                                         round=review_round.stage_label), review_round)
            message = _("已声明回避，这份申报已改由本组其他专家评审")
        else:
            message = _("已声明回避；本组暂无可接替的专家，市学习办将另行安排")
        audit.record("review.decline", "review_assignment", row.id, repr(row), reason=reason,
                     application_id=row.application_id,
                     replacement=substitute.name if substitute is not None else None)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return DeclineResult(row, replacement, message)


# --- what the pages show ----------------------------------------------------------------------------------------

def missing_count(review_round: ReviewRound) -> int:
    """len(missing(review_round)) as one count in the database (评审进度 shows the number, not the applications):
    the round's reviews counted per application once (a hash aggregate), not a subquery per application."""
    held = (
        # count(*), not count(id): the partial index ix_review_assignment_round_held answers without the table.
        select(ReviewAssignment.application_id, func.count().label("n"))
        .where(ReviewAssignment.round_id == review_round.id, ReviewAssignment.status != DECLINED)
        .group_by(ReviewAssignment.application_id)
        .subquery("held")
    )
    return db.session.query(func.count(Application.id)).outerjoin(held, held.c.application_id == Application.id).filter(
        Application.campaign_id == review_round.campaign_id,
        Application.status.in_(ROUND_STATUSES[review_round.stage]),
        func.coalesce(held.c.n, 0) < review_round.experts_per_application,
    ).scalar()


def missing(review_round: ReviewRound) -> dict[int, int]:
    """Application id -> how many experts it still lacks (after declines with no replacement, new applications)."""
    counts = dict(
        db.session.query(ReviewAssignment.application_id, func.count(ReviewAssignment.id))
        .filter(ReviewAssignment.round_id == review_round.id, ReviewAssignment.status != DECLINED)
        .group_by(ReviewAssignment.application_id)
    )
    n = review_round.experts_per_application
    return {a.id: n - counts.get(a.id, 0) for a in round_applications(review_round) if counts.get(a.id, 0) < n}
