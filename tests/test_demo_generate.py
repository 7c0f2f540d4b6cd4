"""`flask demo generate`: reported applications with the chain's history, valid personal data and shared media;
experts, panels and conflicts that 自动分配 can place; once per campaign unless --force; never in production."""
from collections import Counter

from app import assignment, demo, roles, rounds, scoring
from app.demo.generate import generate
from app.extensions import db
from app.identity import parse_id_number
from app.models import (
    Account,
    Application,
    ApplicationEvent,
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
