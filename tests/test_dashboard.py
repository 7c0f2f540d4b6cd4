"""app/dashboard.py: the 工作台's figures for each role, in that role's scope, in a constant number of queries."""
from datetime import timedelta

import pytest

from app import clock, dashboard, request_cache
from app.extensions import db
from tests import factories
from tests.dashboard_setup import World, grow


@pytest.fixture
def world():
    return World()


def by_status(figures):
    return {line.status.value: line.count for group in figures.stages for line in group.statuses}


def by_stage(figures):
    return {group.key: group.count for group in figures.stages}


def test_the_city_office_sees_every_unit_category_round_and_open_objection(world):
    figures = dashboard.figures(world.city)
    assert figures.campaign == world.campaign
    assert figures.total == 16  # the draft and last year's application are not counted
    assert by_stage(figures) == {"apply": 3, "l2": 4, "l1": 3, "experts": 1, "publicity": 3, "approval": 2}
    statuses = by_status(figures)
    assert statuses["featured"] == 1 and statuses["featured_winner"] == 1 and statuses["l2_forwarded"] == 2
    assert "draft" not in statuses
    units = figures.units
    assert units.level == 1 and units.own is None
    rows = {line.unit.name: line for line in units.rows}
    assert list(rows) == ["海淀区", "朝阳区", "市教委"]
    assert (rows["海淀区"].applications, rows["海淀区"].children, rows["海淀区"].children_submitted) == (9, 2, 1)
    assert rows["朝阳区"].state == "submitted" and rows["海淀区"].state == "missing"
    assert (rows["市教委"].applications, rows["市教委"].children_submitted) == (2, 0)
    # Second-level units: 提交 closed on 5/15, so the ones that did not submit are late.
    assert {(s.level, s.state): s.count for s in units.states} == {
        (1, "missing"): 2, (1, "submitted"): 1, (2, "late"): 2, (2, "submitted"): 2}
    assert {c.category.value: c.count for c in figures.categories} == {
        "district": 14, "commission": 2, "university": 0, "secondary_school": 0}
    initial, final = figures.rounds
    assert initial.exists and not final.exists
    assert (initial.totals.submitted, initial.totals.assigned, initial.totals.draft, initial.totals.not_started,
            initial.totals.declined, initial.totals.experts) == (2, 4, 1, 1, 1, 2)
    assert {o.status: o.count for o in figures.objections} == {"received": 2, "accepted": 1, "verifying": 0}


def test_the_auditor_sees_what_the_city_office_sees_but_no_objections(world):
    city, auditor = dashboard.figures(world.city), dashboard.figures(world.auditor)
    assert by_status(auditor) == by_status(city) and auditor.total == city.total
    assert [line.applications for line in auditor.units.rows] == [line.applications for line in city.units.rows]
    assert [r.totals for r in auditor.rounds] == [r.totals for r in city.rounds]
    assert auditor.objections is None


def test_a_first_level_clerk_sees_what_its_streets_forwarded_and_which_street_submitted(world):
    figures = dashboard.figures(world.l1)
    assert figures.total == 5
    assert by_status(figures) == {
        "l2_forwarded": 2, "l1_recommended": 1, "l1_not_recommended": 0, "reported": 0, "l1_rejected": 0,
        "shortlisted": 0, "candidate": 0, "featured": 1, "withdrawn": 0, "winner": 0, "featured_winner": 1}
    assert "apply" not in by_stage(figures)  # nothing of 报名 ever reaches a first-level unit
    units = figures.units
    assert units.level == 2 and units.own.unit == world.a and units.own.state == "missing"
    assert (units.own.children, units.own.children_submitted) == (2, 1)
    assert [(line.unit.name, line.applications, line.state) for line in units.rows] == [
        ("中关村街道", 5, "submitted"), ("学院路街道", 0, "late")]
    assert figures.categories == [] and figures.rounds == [] and figures.objections is None


def test_a_second_level_clerk_sees_its_own_street(world):
    figures = dashboard.figures(world.l2)
    assert figures.total == 7
    assert by_stage(figures)["apply"] == 2 and by_status(figures)["returned"] == 1
    assert figures.units.own.unit == world.a1 and figures.units.own.state == "submitted"
    assert figures.units.rows == []
    assert {(s.level, s.state): s.count for s in figures.units.states} == {(2, "submitted"): 1}
    assert figures.categories == [] and figures.rounds == [] and figures.objections is None


@pytest.mark.parametrize("who", ["expert_account", "applicant"])
def test_experts_and_citizens_get_no_figures(world, who):
    figures = dashboard.figures(getattr(world, who))
    assert figures.total == 0 and figures.stages == [] and figures.units is None


def test_the_current_stage_and_its_time_left(world):
    now = dashboard.stage_now(world.campaign)
    assert now.state == "open" and now.window.stage == "l1_review"
    left = now.window.ends_at - clock.now()
    assert now.time_left == f"还剩 {left.days} 天 {left.seconds // 3600} 小时"
    before = min(w.starts_at for w in world.campaign.windows if w.starts_at) - timedelta(days=1)
    assert dashboard.stage_now(world.campaign, at=before).state == "upcoming"
    after = max(w.ends_at for w in world.campaign.windows if w.ends_at) + timedelta(days=1)
    ended = dashboard.stage_now(world.campaign, at=after)
    assert ended.state == "ended" and ended.time_left == ""


def test_no_campaign_no_figures(app):
    from app import roles

    assert dashboard.figures(factories.account(roles.CITY_OFFICE)).campaign is None


@pytest.mark.parametrize("who", ["city", "l1", "auditor"])
def test_the_same_number_of_queries_for_3_and_30_more_applications(world, who):
    user = getattr(world, who)
    grow(world, 3)
    db.session.expire_all()
    few = factories.count_statements(lambda: dashboard.figures(user))
    grow(world, 27)
    db.session.expire_all()
    many = factories.count_statements(lambda: dashboard.figures(user))
    assert few == many and few < 30


def test_applications_left_past_their_units_window_read_as_void(world):
    """In 一级单位推荐上报 the streets' window has ended: what a street left undecided or unsubmitted is 过期无效 on the
    工作台 as in the list (workflow.is_void), not counted as still waiting for the street."""
    from app import workflow

    figures = dashboard.figures(world.city)
    lines = {line.status.value: line for group in figures.stages for line in group.statuses}
    for application in world.applications:
        line = lines.get(application.status)
        if line is not None:
            assert line.void == workflow.is_void(application), application.status
    assert lines["submitted"].void and str(lines["submitted"].label) == "已提交，待二级单位评审（过期无效）"
    assert not lines["l2_forwarded"].void and "过期无效" not in str(lines["l2_forwarded"].label)
    before = min(w.starts_at for w in world.campaign.windows if w.starts_at)
    assert not any(line.void for group in dashboard.figures(world.city, at=before).stages for line in group.statuses)


@pytest.mark.parametrize("who", ["city", "l1", "l2", "auditor"])
def test_the_counts_read_from_the_tallies_are_the_counts_of_the_applications(world, who, monkeypatch):
    """Every figure of applications comes from the tallies kept per (campaign, unit, status); counted over the
    applications themselves (what the page does for a scope the tallies cannot answer) they are the same."""
    user = getattr(world, who)

    def figures():
        shown = dashboard.figures(user)
        units = [(line.unit.name, line.applications) for line in (shown.units.rows if shown.units else [])]
        own = shown.units.own.applications if shown.units and shown.units.own else None
        return by_status(shown), units, own, [(c.category.value, c.count) for c in shown.categories]

    tallied = figures()
    assert sum(tallied[0].values()) > 0
    monkeypatch.setattr(dashboard.tallies, "on_tallies", lambda _where: None)
    db.session.expire_all()
    request_cache.forget()
    assert figures() == tallied
