"""评审分配 (app/assignment.py): conflicts, the min-cost-flow assignment (a Hypothesis property over random unit
trees, experts and conflicts), the impossible case, moving and declining."""
import re
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app import assignment, roles
from app.extensions import db
from app.models import AuditEvent
from app.models.review import ExpertConflict, InboxMessage, ReviewAssignment
from app.workflow import WorkflowError
from tests import factories
from tests.conftest import wipe_audit_log


@pytest.fixture
def city():
    return factories.account(roles.CITY_OFFICE)


def rows(round_):
    db.session.expire_all()
    return db.session.query(ReviewAssignment).filter_by(round_id=round_.id).all()


# --- conflicted() ------------------------------------------------------------------------------------------------

def test_an_expert_employed_by_the_applicants_street_or_district_is_conflicted():
    district, (street, sibling) = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
    campaign = factories.campaign()
    app_ = factories.application(unit=street, campaign=campaign, status="reported", work_unit="中关村第一小学")
    assert "中关村街道" in assignment.conflicted(factories.expert(employer_unit=street, employer="中关村街道办"), app_)
    assert "海淀区" in assignment.conflicted(factories.expert(employer_unit=district, employer="海淀区教委"), app_)
    # A sibling street is another unit: no conflict.
    assert assignment.conflicted(factories.expert(employer_unit=sibling, employer="学院路街道办"), app_) is None
    assert assignment.conflicted(factories.expert(employer="北京师范大学"), app_) is None


@pytest.mark.parametrize("employer, conflicting", [
    ("中关村第一小学", True),
    (" 中关村 第一小学\u3000", True),  # spaces, full-width ones too, do not matter
    ("中关村第一小学分校", True),  # one contains the other, both at least four characters
    ("第一小学", True),
    ("小学", False),  # too short to count as the same employer
    ("北京师范大学", False),
])
def test_the_same_employer_after_normalising(employer, conflicting):
    street = factories.unit(parent=factories.unit())
    app_ = factories.application(unit=street, status="reported", work_unit="中关村第一小学")
    reason = assignment.conflicted(factories.expert(employer=employer), app_)
    assert (reason is not None) == conflicting
    if conflicting:
        assert "中关村第一小学" in reason


def test_case_is_folded():
    app_ = factories.application(unit=factories.unit(parent=factories.unit()), status="reported", work_unit="IBM China")
    assert assignment.conflicted(factories.expert(employer="ibm  CHINA"), app_) is not None


def test_declared_conflicts_with_a_unit_or_an_application():
    district, (street, sibling) = factories.district_with_streets("朝阳区", ("建外街道", "三里屯街道"))
    app_ = factories.application(unit=street, status="reported")
    by_district, by_street, by_sibling, by_app = (factories.expert() for _ in range(4))
    factories.conflict(by_district, unit=district, reason="配偶在区教委")
    factories.conflict(by_street, unit=street)
    factories.conflict(by_sibling, unit=sibling)
    factories.conflict(by_app, application=app_, reason="亲属")
    assert assignment.conflicted(by_district, app_) == "专家已声明回避「朝阳区」（配偶在区教委）"
    assert "建外街道" in assignment.conflicted(by_street, app_)
    assert assignment.conflicted(by_sibling, app_) is None
    assert assignment.conflicted(by_app, app_) == "专家已声明回避该申报人（亲属）"


# --- assign_round on worked cases -----------------------------------------------------------------------------

def _setup(n_experts=4, n_apps=6, n=2, stage="initial_review"):
    district, streets = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    campaign = factories.campaign()
    round_ = factories.review_round(campaign, stage=stage, experts_per_application=n)
    experts = [factories.expert(employer=f"第{i}研究所") for i in range(n_experts)]
    panel = factories.panel(round_, experts, name="第一组")
    apps = [factories.application(unit=streets[i % 2], campaign=campaign, status="reported", work_unit=f"单位{i}号")
            for i in range(n_apps)]
    return round_, panel, experts, apps


def test_every_application_gets_n_distinct_experts_with_balanced_loads(city):
    round_, _panel, experts, apps = _setup(n_experts=4, n_apps=6, n=2)
    result = assignment.assign_round(city, round_.id)
    assert result.ok and result.placed == 12 and result.kept == 0
    assert sorted(result.loads.values()) == [3, 3, 3, 3]
    per_app = defaultdict(set)
    for row in rows(round_):
        per_app[row.application_id].add(row.expert_id)
    assert all(len(per_app[a.id]) == 2 for a in apps)
    # Each expert was told once how much is new, with a link to the to-do list on this round (not whichever is current).
    messages = db.session.query(InboxMessage).all()
    assert sorted(m.account_id for m in messages) == sorted(e.account_id for e in experts)
    assert all(m.text.startswith("您有 3 份新的评审任务") and m.link == f"/expert/?round={round_.id}" for m in messages)
    event = db.session.query(AuditEvent).filter_by(action="review.assign").one()
    assert event.detail["placed"] == 12


def test_a_second_run_changes_nothing(city):
    round_, *_ = _setup()
    assignment.assign_round(city, round_.id)
    before = {(r.application_id, r.expert_id) for r in rows(round_)}
    again = assignment.assign_round(city, round_.id)
    assert again.placed == 0 and again.removed == 0 and again.kept == 12
    assert {(r.application_id, r.expert_id) for r in rows(round_)} == before


def test_rerun_after_adding_an_expert_keeps_started_reviews_and_rebalances(city):
    round_, panel, experts, apps = _setup(n_experts=3, n_apps=6, n=2)
    assignment.assign_round(city, round_.id)
    started = rows(round_)[:3]
    for row, status in zip(started, ("draft", "submitted", "draft")):
        row.status = status
        if status == "submitted":
            from app import clock
            row.submitted_at, row.total = clock.now(), 80
    db.session.commit()
    kept = {(r.id, r.application_id, r.expert_id, r.status) for r in started}
    newcomer = factories.expert(employer="新来的研究院")
    from app.models.review import ExpertPanelMember
    db.session.add(ExpertPanelMember(panel_id=panel.id, round_id=round_.id, expert=newcomer))
    db.session.commit()
    result = assignment.assign_round(city, round_.id)
    assert result.ok
    after = rows(round_)
    assert kept <= {(r.id, r.application_id, r.expert_id, r.status) for r in after}
    assert result.loads[newcomer.id] == 3 and sorted(result.loads.values()) == [3, 3, 3, 3]
    # Only as much was moved as balance needed: the newcomer's three.
    assert result.placed == 3 and result.removed == 3


def test_a_declined_expert_never_comes_back(city):
    round_, _panel, experts, apps = _setup(n_experts=3, n_apps=1, n=2)
    factories.assignment(round_, apps[0], experts[0], status="declined")
    result = assignment.assign_round(city, round_.id)
    assert result.ok
    assert {r.expert_id for r in rows(round_) if r.status == "assigned"} == {experts[1].id, experts[2].id}


def test_the_impossible_case_says_why_and_writes_nothing(city):
    district, (street,) = factories.district_with_streets("西城区", ("金融街街道",))
    campaign = factories.campaign()
    round_ = factories.review_round(campaign, experts_per_application=3)
    ours = factories.expert(employer="金融街街道办事处", employer_unit=street, first_name="王明")
    declared = factories.expert(employer="某大学", first_name="李华")
    factories.conflict(declared, unit=district, reason="曾任区教委主任")
    free = factories.expert(employer="另一大学", first_name="赵丽")
    factories.panel(round_, [ours, declared, free], name="西城组")
    fine = factories.application(unit=street, campaign=campaign, status="reported", work_unit="某中学", name="张三")
    result = assignment.assign_round(city, round_.id)
    assert not result.ok and result.placed == 0
    [(app_, reason)] = result.unplaceable
    assert app_.id == fine.id
    assert reason.startswith("需要 3 位专家，「西城组」只有 1 位可以评审它")
    assert "王明（专家的工作单位是申报人所在单位「金融街街道」）" in reason
    assert "李华（专家已声明回避「西城区」（曾任区教委主任））" in reason
    assert rows(round_) == [] and db.session.query(InboxMessage).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="review.assign").count() == 0


def test_an_application_whose_district_no_panel_covers(city):
    east = factories.unit(name="东城区")
    west, (west_street,) = factories.district_with_streets("西城区", ("德胜街道",))
    campaign = factories.campaign()
    round_ = factories.review_round(campaign, experts_per_application=1)
    factories.panel(round_, [factories.expert()], units=[east], name="东城组")
    orphan = factories.application(unit=west_street, campaign=campaign, status="reported")
    result = assignment.assign_round(city, round_.id)
    assert result.unplaceable == [(orphan, "没有专家组负责西城区")]
    assert rows(round_) == []


def test_only_the_city_office_assigns_and_not_in_a_closed_round(city):
    round_, *_ = _setup()
    clerk = factories.account(roles.AUDITOR)
    with pytest.raises(WorkflowError) as refused:
        assignment.assign_round(clerk, round_.id)
    assert refused.value.status == 403 and "市学习办" in str(refused.value)
    from app import clock
    round_.closed_at, round_.closed_by_id = clock.now(), city.id
    db.session.commit()
    with pytest.raises(WorkflowError) as closed:
        assignment.assign_round(city, round_.id)
    assert closed.value.status == 409
    assert rows(round_) == []


def test_final_review_takes_the_shortlist_only(city):
    round_, _panel, experts, apps = _setup(n_experts=3, n_apps=4, n=1, stage="final_review")
    apps[0].status = "shortlisted"
    apps[1].status = "featured"
    db.session.commit()
    assignment.assign_round(city, round_.id)
    assert {r.application_id for r in rows(round_)} == {apps[0].id, apps[1].id}


# --- move ---------------------------------------------------------------------------------------------------------

def test_move_checks_conflicts_and_started_reviews(city):
    round_, _panel, experts, apps = _setup(n_experts=3, n_apps=1, n=1)
    row = factories.assignment(round_, apps[0], experts[0])
    factories.conflict(experts[1], application=apps[0], reason="同事")
    with pytest.raises(WorkflowError) as refused:
        assignment.move(city, row.id, experts[1].id)
    assert refused.value.status == 422 and "同事" in refused.value.errors["expert_id"]
    outsider = factories.expert()
    with pytest.raises(WorkflowError) as outside:
        assignment.move(city, row.id, outsider.id)
    assert "不在本轮" in str(outside.value)
    moved = assignment.move(city, row.id, experts[2].id)
    assert moved.expert_id == experts[2].id
    assert db.session.query(AuditEvent).filter_by(action="review.move").count() == 1
    assert db.session.query(InboxMessage).filter_by(account_id=experts[2].account_id).count() == 1
    moved.status = "draft"
    db.session.commit()
    with pytest.raises(WorkflowError) as started:
        assignment.move(city, row.id, experts[0].id)
    assert started.value.status == 409 and "已暂存" in str(started.value)


# --- decline ------------------------------------------------------------------------------------------------------

@pytest.fixture
def open_round():
    district, streets = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    campaign = factories.campaign(open_stage="initial_review")
    round_ = factories.review_round(campaign, experts_per_application=1)
    return round_, streets


def test_decline_records_the_conflict_and_gives_the_application_to_the_least_loaded(open_round):
    round_, streets = open_round
    a, b, c = (factories.expert(employer=f"研究所{i}") for i in range(3))
    factories.panel(round_, [a, b, c])
    app_ = factories.application(unit=streets[0], campaign=round_.campaign, status="reported")
    other = factories.application(unit=streets[1], campaign=round_.campaign, status="reported")
    row = factories.assignment(round_, app_, a)
    factories.assignment(round_, other, b)  # b is busier than c
    with pytest.raises(WorkflowError) as empty:
        assignment.decline(a.account, row.id, "  ")
    assert empty.value.errors == {"reason": "请填写回避理由"}
    with pytest.raises(WorkflowError) as foreign:
        assignment.decline(b.account, row.id, "我想换一份")
    assert foreign.value.status == 404
    done = assignment.decline(a.account, row.id, "申报人是我的学生")
    assert done.replacement.expert_id == c.id and "其他专家" in done.message
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, row.id).status == "declined"
    conflict = db.session.query(ExpertConflict).filter_by(expert_id=a.id).one()
    assert conflict.application_id == app_.id and conflict.declared_by_id == a.account_id
    assert db.session.query(InboxMessage).filter_by(account_id=c.account_id).count() == 1
    with pytest.raises(WorkflowError):
        assignment.decline(a.account, row.id, "再来一次")


def test_decline_without_a_free_expert_leaves_it_missing(open_round):
    round_, streets = open_round
    a, b = factories.expert(), factories.expert()
    factories.panel(round_, [a, b])
    app_ = factories.application(unit=streets[0], campaign=round_.campaign, status="reported")
    factories.conflict(b, application=app_)
    row = factories.assignment(round_, app_, a)
    done = assignment.decline(a.account, row.id, "亲属")
    assert done.replacement is None and "市学习办" in done.message
    assert assignment.missing(round_) == {app_.id: 1}


def test_no_decline_outside_the_window():
    campaign = factories.campaign()  # the default schedule: 初审 is months away
    round_ = factories.review_round(campaign, experts_per_application=1)
    e = factories.expert()
    factories.panel(round_, [e])
    row = factories.assignment(round_, factories.application(unit=factories.unit(parent=factories.unit()),
                                                             campaign=campaign, status="reported"), e)
    with pytest.raises(WorkflowError) as closed:
        assignment.decline(e.account, row.id, "亲属")
    assert closed.value.status == 403
    assert rows(round_)[0].status == "assigned"


# --- the property ----------------------------------------------------------------------------------------------

WORK_UNITS = ["北京第一中学", "北京第一中学分校", "首都图书馆", "中关村社区学院", "朝阳医院"]


def _wipe():
    wipe_audit_log(db.session)
    for table in ("notification", "review_score", "review_assignment", "expert_conflict",
                  "expert_panel_unit", "expert_panel_member", "expert_panel", "rubric_criterion", "review_round",
                  "expert", "application_event", "application", "ab_user_role", "ab_user", "stage_window",
                  "campaign"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(text("DELETE FROM unit WHERE level = 2"))
    db.session.execute(text("DELETE FROM unit"))
    db.session.commit()


def _independent_reason(expert, app_, declared):
    """The conflict rules written again, plainly, to check the solver's output against."""
    unit_ids = {app_.unit_id, app_.unit.parent_id}
    def norm(s):
        return re.sub(r"\s", "", s or "").casefold()
    e, w = norm(expert.employer), norm(app_.work_unit)
    return (
        expert.employer_unit_id in unit_ids
        or (e and w and (e == w or (len(e) >= 4 and len(w) >= 4 and (e in w or w in e))))
        or any(kind == "unit" and target in unit_ids for kind, target in declared.get(expert.id, ()))
        or ("application", app_.id) in declared.get(expert.id, ())
    )


@st.composite
def worlds(draw):
    districts = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))  # streets per district
    n_streets = sum(districts)
    n_experts = draw(st.integers(1, 8))
    experts = [(draw(st.sampled_from(WORK_UNITS + ["某大学", "某研究院"])),
                draw(st.one_of(st.none(), st.tuples(st.sampled_from(["district", "street"]), st.integers(0, 8)))))
               for _ in range(n_experts)]
    apps = draw(st.lists(st.tuples(st.integers(0, n_streets - 1), st.sampled_from(WORK_UNITS)), max_size=10))
    conflicts = draw(st.lists(st.tuples(st.integers(0, n_experts - 1), st.sampled_from(["district", "street", "app"]),
                                        st.integers(0, 9)), max_size=6))
    split = draw(st.booleans())  # two panels: one for the first district, one for the rest
    return districts, experts, apps, conflicts, draw(st.integers(1, 3)), split


def _improvable(chosen, eligible, load):
    """Is there a chain of reassignments taking one review from an expert to one with at least two fewer? (Then the
    loads were not as balanced as the conflicts allow.)"""
    moves = defaultdict(set)  # u -> v: some application of u's could go to v instead
    for app_id, experts in chosen.items():
        for u in experts:
            moves[u] |= {v for v in eligible[app_id] if v not in experts}
    for start in load:
        seen, todo = {start}, [start]
        while todo:
            u = todo.pop()
            for v in moves[u]:
                if v not in seen:
                    if load[v] <= load[start] - 2:
                        return True
                    seen.add(v)
                    todo.append(v)
    return False


# derandomize: CI runs the same 40 worlds every time (a red build must be reproducible); 400 random ones passed
# when the panel check below was fixed (it compared fresh list slices by identity, so it checked every panel as if
# conflict-free and failed on a correct 0/2 split around a conflicted expert).
@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(world=worlds())
def test_property_assignments_respect_conflicts_and_balance(app, world):
    districts, expert_specs, app_specs, conflict_specs, n, split = world
    _wipe()
    try:
        city = factories.account(roles.CITY_OFFICE)
        campaign = factories.campaign()
        tops, streets = [], []
        for i, k in enumerate(districts):
            top = factories.unit(name=f"区{i}")
            tops.append(top)
            streets += [factories.unit(name=f"区{i}街道{j}", parent=top) for j in range(k)]
        units = {"district": tops, "street": streets}
        experts = []
        for employer, at in expert_specs:
            unit = units[at[0]][at[1] % len(units[at[0]])] if at else None
            experts.append(factories.expert(employer=employer, employer_unit=unit))
        apps = [factories.application(unit=streets[s], campaign=campaign, status="reported", work_unit=w)
                for s, w in app_specs]
        declared = defaultdict(set)
        for e, kind, target in conflict_specs:
            if kind == "app" and not apps:
                continue
            key = ("application", apps[target % len(apps)].id) if kind == "app" else \
                ("unit", units[kind][target % len(units[kind])].id)
            if key in declared[experts[e].id]:
                continue
            declared[experts[e].id].add(key)
            factories.conflict(experts[e], **({"application": db.session.get(type(apps[0]), key[1])} if kind == "app"
                                               else {"unit": db.session.get(type(tops[0]), key[1])}))
        round_ = factories.review_round(campaign, experts_per_application=n)
        if split and len(experts) > 1:
            half = len(experts) // 2
            factories.panel(round_, experts[:half], units=[tops[0]])
            factories.panel(round_, experts[half:])
            panel_of = {a.id: experts[:half] if a.unit.parent_id == tops[0].id else experts[half:] for a in apps}
        else:
            factories.panel(round_, experts)
            panel_of = {a.id: experts for a in apps}
        eligible = {a.id: {e.id for e in panel_of[a.id] if not _independent_reason(e, a, declared)} for a in apps}
        possible = all(len(eligible[a.id]) >= n for a in apps)

        result = assignment.assign_round(city, round_.id)
        written = rows(round_)
        assert result.ok == possible
        if not possible:
            assert written == []
            assert {a.id for a, _ in result.unplaceable} == {a.id for a in apps if len(eligible[a.id]) < n}
            assert all(reason for _, reason in result.unplaceable)
            return
        chosen = defaultdict(set)
        for row in written:
            assert row.expert_id in eligible[row.application_id]  # no conflict, right panel
            assert row.expert_id not in chosen[row.application_id]
            chosen[row.application_id].add(row.expert_id)
        assert all(len(chosen[a.id]) == n for a in apps)
        groups = [experts[:len(experts) // 2], experts[len(experts) // 2:]] if split and len(experts) > 1 else [experts]
        for group in groups:
            members = {e.id for e in group}
            load = {e: result.loads[e] for e in members}
            assert not _improvable({a: c for a, c in chosen.items() if c <= members}, eligible, load)
            mine = [a for a in apps if {e.id for e in panel_of[a.id]} == members]
            if all(eligible[a.id] == members for a in mine):
                assert max(load.values()) - min(load.values()) <= 1  # no conflicts in this panel: perfectly even
        # Start some reviews, add an expert everywhere, run again: every started review is kept as it was.
        for row in written[::2]:
            row.status = "draft"
        db.session.commit()
        started = {(r.id, r.application_id, r.expert_id) for r in written[::2]}
        from app.models.review import ExpertPanel, ExpertPanelMember
        for p in db.session.query(ExpertPanel).filter_by(round_id=round_.id):
            db.session.add(ExpertPanelMember(panel_id=p.id, round_id=round_.id,
                                             expert=factories.expert(employer="新加入的研究院")))
        db.session.commit()
        again = assignment.assign_round(city, round_.id)
        assert again.ok
        after = rows(round_)
        assert started <= {(r.id, r.application_id, r.expert_id) for r in after if r.status == "draft"}
        per_app = defaultdict(list)
        for row in after:
            per_app[row.application_id].append(row.expert_id)
        assert all(len(per_app[a.id]) == len(set(per_app[a.id])) == n for a in apps)
    finally:
        _wipe()


# --- two clicks at once (PostgreSQL: row locks) ------------------------------------------------------------------

@pytest.mark.postgres
def test_two_simultaneous_runs_assign_once(app, city):
    from tests.test_concurrency import race

    round_, _panel, experts, apps = _setup(n_experts=6, n_apps=12, n=2)
    clients = [factories.api_client(app, city) for _ in range(2)]
    responses = race(app, 2, lambda i: clients[i].post(f"/api/v1/review_assignment/run/{round_.id}"))
    assert sorted(r.status_code for r in responses) == [202, 202], [r.json for r in responses]
    results = [clients[0].get(r.json["status_url"]).json["result"]["assignment"] for r in responses]
    assert sorted(r["placed"] for r in results) == [0, 24]  # the second waited, then found nothing to do
    per_app = defaultdict(list)
    for row in rows(round_):
        per_app[row.application_id].append(row.expert_id)
    assert all(len(per_app[a.id]) == 2 for a in apps)
    assert db.session.query(AuditEvent).filter_by(action="review.assign").count() == 2
