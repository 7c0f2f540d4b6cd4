"""`flask demo generate`: reported applications (spread="reported") or a campaign spread like a real one (the
command's default), with the chain's history and audit log, valid personal data and shared media; experts, panels
and conflicts that 自动分配 can place; extra streets; once per campaign unless --force; never in production."""
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import text

from app import assignment, clock, demo, roles, rounds, scoring, workflow
from app.demo.generate import generate
from app.extensions import db
from app.identity import parse_id_number
from app.models import (
    Account,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    AuditEvent,
    Campaign,
    Expert,
    ExpertConflict,
    ExpertPanel,
    ReviewAssignment,
    Stage,
    Unit,
    UnitSubmission,
)
from app.phones import normalize_mobile
from tests import factories

CHAIN = ["submit", "l2_recommend", "l2_submit", "l1_recommend", "l1_report"]


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=["demo", "generate", *args])


def test_the_cli_fills_a_new_campaign_with_reported_applications_and_experts(app):
    result = invoke(app, "--applications", "40", "--experts", "10", "--campaign", "第十批", "--spread", "reported")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "评选批次「第十批」：生成报名 40 份" in out and "DEMO_PASSWORD = Demo@2026" in out
    assert "expert1 " in out and "expert10 " in out and "初审第一组" in out and "复审专家组" in out and "回避：" in out
    db.session.expire_all()
    campaign = db.session.query(Campaign).filter_by(name="第十批").one()
    assert db.session.query(Unit).count() > 200  # the demo's units, loaded since there were none

    apps = db.session.query(Application).filter_by(campaign_id=campaign.id).all()
    assert len(apps) == 40 and {a.status for a in apps} == {"reported"}
    assert len({a.id_number for a in apps}) == 40 and len({a.mobile for a in apps}) == 40
    for a in apps:
        resident = parse_id_number(a.id_number, today=a.submitted_at.date())
        assert resident.birth_date == a.birth_date and resident.gender == a.gender
        assert normalize_mobile(a.mobile) == a.mobile and a.applicant.username == a.mobile
        assert len(a.name) in (2, 3) and a.deeds.count("。") >= 5 and a.unit.level == 2
        assert [e.action for e in sorted(a.events, key=lambda e: e.at)] == CHAIN
        assert a.events[0].actor_id == a.applicant_id
        street_clerk, district_clerk = a.events[1].actor, a.events[3].actor
        assert street_clerk.unit_id == a.unit_id and district_clerk.unit_id == a.unit.parent_id
    # One photo and one video on disk, shared by every row.
    assert len({a.photo_file for a in apps}) == 1 and len({a.video_file for a in apps}) == 1
    from app import storage

    assert storage.path_of(apps[0].photo_file).stat().st_size > 1000
    assert storage.path_of(apps[0].video_file).stat().st_size > 1000
    # Every unit that recommended has its 提交 / 上报, counting what it passed on.
    submissions = db.session.query(UnitSubmission).filter_by(campaign_id=campaign.id).all()
    by_street = Counter(a.unit_id for a in apps)
    assert {s.unit_id: s.recommended for s in submissions if s.level == 2} == dict(by_street)
    assert sum(s.recommended for s in submissions if s.level == 1) == 40

    experts = db.session.query(Expert).all()
    assert len(experts) == 10 and all(roles.EXPERT in {r.name for r in e.account.roles} for e in experts)
    assert any(e.employer_unit_id for e in experts)  # works for a portal unit: a conflict by employer
    assert db.session.query(ExpertConflict).count() >= 2
    initial = rounds.round_for(campaign, Stage.INITIAL_REVIEW, create=False)
    final = rounds.round_for(campaign, Stage.FINAL_REVIEW, create=False)
    assert len(initial.panels) == 2 and [len(p.members) for p in final.panels] == [10]
    factories.login(app.test_client(), experts[0].account.username, "Demo@2026")  # the printed password works


def test_automatic_assignment_places_every_application_and_experts_read_both_opinions(app):
    made = generate(120, 10)
    city = factories.account(roles.CITY_OFFICE)
    initial = rounds.round_for(made.campaign, Stage.INITIAL_REVIEW)
    result = assignment.assign_round(city, initial.id)
    assert result.ok and result.placed == 360, result.unplaceable
    row = db.session.query(ReviewAssignment).first()
    materials = scoring.materials(row)
    assert "同意推荐" in materials["l2_opinion"] and materials["l1_opinion"]
    # No expert reads an application of the unit they work for.
    for a in db.session.query(ReviewAssignment).join(Expert).filter(Expert.employer_unit_id.isnot(None)):
        assert a.expert.employer_unit_id not in (a.application.unit_id, a.application.unit.parent_id)


def test_a_second_run_is_refused_unless_forced(app):
    assert invoke(app, "--applications", "10", "--experts", "8").exit_code == 0
    again = invoke(app, "--applications", "10", "--experts", "8")
    assert again.exit_code == 1 and "已生成过评审数据" in again.output and "--force" in again.output
    forced = invoke(app, "--applications", "10", "--experts", "8", "--force")
    assert forced.exit_code == 0, forced.output
    db.session.expire_all()
    assert db.session.query(Application).count() == 20
    assert db.session.query(Expert).count() == 16
    usernames = [e.account.username for e in db.session.query(Expert)]
    assert len(set(usernames)) == 16 and "expert16" in usernames
    panels = db.session.query(ExpertPanel).all()
    assert len(panels) == 2  # one 初审 panel for 8 experts, one 复审 panel: the second batch joined them


@pytest.mark.postgres
def test_the_generated_rows_are_vacuumed_with_planner_statistics_at_once(app):
    """generate ends with VACUUM (ANALYZE), as autovacuum would some time later (it is off on the bench server): the
    planner knows the new rows, so the export reads a batch's opinions by index, not the whole history; and the
    tallies' dead versions (one per application written) are gone, which every list page's count reads through."""
    assert invoke(app, "--applications", "23", "--experts", "8").exit_code == 0
    db.session.expire_all()

    def planned(table):
        return db.session.execute(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}).scalar()

    assert planned("application") == db.session.query(Application).count() == 23
    assert planned("application_event") == db.session.query(ApplicationEvent).count() > 23
    assert planned("expert") == db.session.query(Expert).count() == 8

    def all_visible(table):  # only VACUUM marks pages all-visible (ANALYZE alone leaves relallvisible at 0)
        return db.session.execute(text("SELECT relallvisible > 0 AND relallvisible = relpages FROM pg_class"
                                       " WHERE relname = :t"), {"t": table}).scalar()

    assert all_visible("application_tally") and all_visible("application")


def test_too_few_experts_production_and_bad_counts_are_refused(app):
    few = invoke(app, "--applications", "10", "--experts", "5")
    assert few.exit_code == 1 and "专家至少 8 位" in few.output
    assert invoke(app, "--applications", "0").exit_code == 2
    app.config["APP_ENV"] = "production"
    try:
        result = invoke(app, "--applications", "10")
        assert result.exit_code == 1 and "production" in result.output
    finally:
        app.config["APP_ENV"] = "development"
    assert db.session.query(Application).count() == 0


def test_the_demo_campaign_keeps_its_clerks_work_and_panels(app):
    demo.load("Demo@2026")
    db.session.commit()
    made = generate(60)
    assert made.campaign.name == "第九批"
    generated = (db.session.query(Application).filter(Application.campaign_id == made.campaign.id)
                 .join(ApplicationEvent).filter(ApplicationEvent.action == "l1_report").all())
    busy = {"海淀区", "朝阳区"}  # the demo's own clerks still have work there
    assert not any(a.unit.parent.name in busy for a in generated)
    initial = rounds.round_for(made.campaign, Stage.INITIAL_REVIEW)
    assert [p.name for p in initial.panels] == ["第一组", "第二组"]
    assert sum(len(p.members) for p in initial.panels) == 8 + 12
    city = db.session.query(Account).filter_by(username="city").one()
    assert assignment.assign_round(city, initial.id).ok


# --- a campaign spread like a real one (spread="campaign", the command's default) ---------------------------------

S = ApplicationStatus
CHAIN_STATES = [S.DRAFT, S.SUBMITTED, S.RETURNED, S.L2_RECOMMENDED, S.L2_NOT_RECOMMENDED, S.L2_FORWARDED,
                S.L2_REJECTED, S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED, S.REPORTED, S.L1_REJECTED]


def _stage_of(action):
    if action in workflow.TRANSITIONS:
        return workflow.TRANSITIONS[action].stage
    return next(step.stage for step in workflow.UNIT_STEPS.values() if step.action == action)


def _replay(application, events):
    """Walk the history from 草稿 as the workflow would: each step one of its transitions (or a unit's 提交/上报),
    from the state the previous step left, inside its stage's window, by the right person."""
    state = S.DRAFT
    campaign = application.campaign
    for e in events:
        assert e.from_status == state.value, (application.id, [x.action for x in events])
        if e.action in workflow.TRANSITIONS:
            transition = workflow.TRANSITIONS[e.action]
            assert state in transition.sources and e.to_status == transition.target.value, e.action
        else:
            step = next(s for s in workflow.UNIT_STEPS.values() if s.action == e.action)
            assert step.moves[state].value == e.to_status, e.action
        window = campaign.window(_stage_of(e.action))
        assert window.starts_at <= e.at <= window.ends_at, (e.action, e.at)
        if e.action == "submit":
            assert e.actor_id == application.applicant_id and e.unit_id is None
        elif e.action.startswith("l1"):
            assert e.unit_id == application.unit.parent_id == e.actor.unit_id
        else:  # the street's decisions, its 退回修改 and its 提交
            assert e.unit_id == application.unit_id == e.actor.unit_id
        state = S(e.to_status)
    assert state.value == application.status, (application.id, state, application.status)


def test_a_realistic_campaign_has_every_state_of_the_chain_each_with_its_history_and_audit(app):
    made = generate(2000, 12, spread="campaign")
    assert made.applications == 2000 and made.spread == "campaign"
    db.session.expire_all()
    campaign = made.campaign
    apps = db.session.query(Application).filter_by(campaign_id=campaign.id).all()
    statuses = Counter(a.status for a in apps)
    assert set(statuses) == {s.value for s in CHAIN_STATES}, statuses  # every state, none beyond 上报
    share = {s: statuses[s.value] / len(apps) for s in CHAIN_STATES}
    assert 0.07 <= share[S.DRAFT] <= 0.13
    assert 0.005 <= share[S.RETURNED] <= 0.05
    assert 0.10 <= share[S.REPORTED] + share[S.L1_REJECTED] <= 0.45
    assert 0.20 <= share[S.L2_REJECTED] <= 0.50
    assert made.statuses == statuses

    events = {}
    for e in db.session.query(ApplicationEvent).order_by(ApplicationEvent.id):
        events.setdefault(e.application_id, []).append(e)
    for a in apps:
        history = events.get(a.id, [])
        assert [e.at for e in history] == sorted(e.at for e in history)  # ids follow time
        _replay(a, history)
        if a.status == S.DRAFT.value:
            assert not history and a.submitted_at is None and not a.declaration_confirmed
        else:
            assert a.submitted_at == max(e.at for e in history if e.action == "submit")
            resident = parse_id_number(a.id_number, today=a.submitted_at.date())  # the portal's own check
            assert (resident.birth_date, resident.gender) == (a.birth_date, a.gender) and a.video_file and a.deeds
        assert normalize_mobile(a.mobile) == a.mobile == a.applicant.username
    numbers = [a.id_number for a in apps if a.id_number]
    assert len(numbers) == len(set(numbers)) and len({a.mobile for a in apps}) == len(apps)
    # Some returned applications came back in time and went on; some citizens changed nothing and stayed returned.
    assert any(len([e for e in h if e.action == "submit"]) == 2 for h in events.values())

    # The deadline spike: most first submissions on the last day of 在线报名.
    apply = campaign.window(Stage.APPLY)
    firsts = [h[0].at for h in events.values()]
    assert all(apply.starts_at <= at <= apply.ends_at for at in firsts)
    last_day = sum(at > apply.ends_at - timedelta(days=1) for at in firsts)
    assert last_day / len(firsts) > 0.5, last_day

    # Units' 提交 / 上报 agree with the applications they moved; a unit that has not submitted holds its decisions.
    submissions = {s.unit_id: s for s in db.session.query(UnitSubmission).filter_by(campaign_id=campaign.id)}
    for level, decided, moved, action in ((2, {S.L2_RECOMMENDED, S.L2_NOT_RECOMMENDED}, S.L2_FORWARDED,
                                           "l2_submit"),
                                          (1, {S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED}, S.REPORTED, "l1_report")):
        unit_of = (lambda a: a.unit_id) if level == 2 else (lambda a: a.unit.parent_id)
        handed_on = Counter()
        for a in apps:
            for e in events.get(a.id, []):
                if e.action == action:
                    handed_on[(unit_of(a), e.to_status == moved.value)] += 1
                    assert submissions[unit_of(a)].at == e.at and submissions[unit_of(a)].level == level
        units = {unit_of(a) for a in apps if a.unit_id}
        submitted = {u for u in units if u in submissions}
        assert submitted and units - submitted  # some in time, some late or not yet
        for u in submitted:
            assert submissions[u].recommended == handed_on[(u, True)]
            assert submissions[u].not_recommended == handed_on[(u, False)]
        assert not [a.id for a in apps if a.unit_id and unit_of(a) in submitted and S(a.status) in decided]
        assert not [a.id for a in apps if a.unit_id and unit_of(a) not in submitted
                    and any(e.action == action for e in events.get(a.id, []))]

    # The audit log as the workflow writes it: one event per decision, per unit's 提交/上报, per registration.
    audit = Counter(e.action for e in db.session.query(AuditEvent))
    history = Counter(e.action for h in events.values() for e in h)
    for action in ("submit", "return", "l2_recommend", "l2_reject", "l1_recommend", "l1_reject"):
        assert audit[f"application.{action}"] == history[action] > 0, action
    assert audit["unit.l2_submit"] == sum(1 for s in submissions.values() if s.level == 2)
    assert audit["unit.l1_report"] == sum(1 for s in submissions.values() if s.level == 1)
    assert audit["account.create"] == len(apps) and audit["demo.generate"] == 1
    written = ["account.create", "unit.l2_submit", "unit.l1_report", *(f"application.{a}" for a in history)]
    generated = db.session.query(AuditEvent).filter(AuditEvent.action.in_(written)).order_by(AuditEvent.id)
    times = [e.at for e in generated]
    assert times == sorted(times)
    one = db.session.query(AuditEvent).filter_by(action="application.l2_recommend").first()
    assert one.detail["to_status"] == "l2_recommended" and one.detail["opinion"] and one.actor.unit_id


def test_clerks_go_on_working_a_generated_campaign_through_the_workflow_and_their_lists(app):
    made = generate(800, 12, spread="campaign")
    campaign = made.campaign
    submitted_units = {u for (u,) in db.session.query(UnitSubmission.unit_id)}
    waiting = next(a for a in db.session.query(Application).filter_by(status=S.SUBMITTED.value).order_by(Application.id)
                   if a.unit_id not in submitted_units)
    clerk = next(acc for acc in waiting.unit.accounts if roles.L2_CLERK in acc.role_names)

    # Back in 二级单位自评推荐: the street recommends one of its waiting applications.
    clock.freeze(campaign.window(Stage.L2_REVIEW).ends_at - timedelta(hours=2))
    done = workflow.perform(clerk, waiting.id, "l2_recommend", "学习事迹突出，同意推荐。")
    assert done.status == S.L2_RECOMMENDED.value
    assert db.session.query(AuditEvent).filter_by(action="application.l2_recommend",
                                                  object_id=str(waiting.id)).count() == 1
    # A street that has submitted is locked, as it would be.
    locked = next(a for a in db.session.query(Application).filter_by(status=S.SUBMITTED.value)
                  if a.unit_id in submitted_units)
    locked_clerk = next(acc for acc in locked.unit.accounts if roles.L2_CLERK in acc.role_names)
    with pytest.raises(workflow.WorkflowError, match="已提交"):
        workflow.perform(locked_clerk, locked.id, "l2_recommend", "同意推荐。")

    # In 一级单位推荐上报, a district that has not reported decides and reports.
    clock.freeze(campaign.window(Stage.L1_REVIEW).ends_at - timedelta(days=2))
    forwarded = next(a for a in db.session.query(Application).filter_by(status=S.L2_FORWARDED.value)
                     .order_by(Application.id) if a.unit.parent_id not in submitted_units)
    district_clerk = next(acc for acc in forwarded.unit.parent.accounts if roles.L1_CLERK in acc.role_names)
    workflow.perform(district_clerk, forwarded.id, "l1_recommend", "同意推荐上报。")
    report = workflow.submit_unit(district_clerk, campaign)
    assert report.recommended >= 1 and db.session.get(Application, forwarded.id).status == S.REPORTED.value

    # The clerks' lists show their generated applications.
    client = factories.login(app.test_client(), clerk.username, "Demo@2026")
    page = client.get("/applications/list/")
    assert page.status_code == 200 and waiting.name in page.get_data(as_text=True)
    client = factories.login(app.test_client(), district_clerk.username, "Demo@2026")
    assert client.get("/applications/list/").status_code == 200


def test_the_command_spreads_by_default_and_adds_streets_up_to_the_number_asked(app):
    result = invoke(app, "--applications", "300", "--experts", "8", "--streets", "260")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "按真实批次分布" in out and "新建二级单位" in out and "草稿：" in out and "审计日志" in out
    db.session.expire_all()
    streets = db.session.query(Unit).filter_by(level=2).all()
    assert len(streets) == 260
    added = [u for u in streets if (u.code or "").startswith("gen")]
    assert added and all(u.parent.category == "district" for u in added)
    assert len({(u.parent_id, u.name) for u in streets}) == 260
    assert db.session.query(Application).count() == 300
    # A second batch (--force) keeps every unit's 提交/上报 as it was and adds to its counts.
    before = {s.unit_id: (s.at, s.recommended + s.not_recommended) for s in db.session.query(UnitSubmission)}
    assert invoke(app, "--applications", "300", "--experts", "8", "--force").exit_code == 0
    db.session.expire_all()
    after = {s.unit_id: (s.at, s.recommended + s.not_recommended) for s in db.session.query(UnitSubmission)}
    assert all(after[u][0] == at and after[u][1] >= n for u, (at, n) in before.items())
    decided_held = {S.L2_RECOMMENDED.value, S.L2_NOT_RECOMMENDED.value}
    assert not db.session.query(Application).filter(Application.status.in_(decided_held),
                                                    Application.unit_id.in_(list(after))).count()


def test_a_realistic_batch_into_the_demo_campaign_leaves_every_unit_consistent(app):
    demo.load("Demo@2026")
    db.session.commit()
    made = generate(400, 8, spread="campaign")
    assert made.campaign.name == "第九批"
    db.session.expire_all()
    submitted = {s.unit_id for s in db.session.query(UnitSubmission)}
    apps = db.session.query(Application).filter_by(campaign_id=made.campaign.id).all()
    held = {2: {S.L2_RECOMMENDED.value, S.L2_NOT_RECOMMENDED.value},
            1: {S.L1_RECOMMENDED.value, S.L1_NOT_RECOMMENDED.value}}
    for a in apps:
        if a.unit_id is None:
            continue
        # A unit that has submitted holds no decision back; one that has not has moved nothing on.
        assert not (a.unit_id in submitted and a.status in held[2]), a.id
        assert not (a.unit.parent_id in submitted and a.status in held[1]), a.id
        actions = {e.action for e in a.events}
        assert "l2_submit" not in actions or a.unit_id in submitted
        assert "l1_report" not in actions or a.unit.parent_id in submitted
    generated = [a for a in apps if a.applicant.username == a.mobile and a.events]
    for a in generated[:200]:
        _replay(a, sorted(a.events, key=lambda e: (e.at, e.id)))
