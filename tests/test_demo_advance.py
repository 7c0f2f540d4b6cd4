"""`flask demo advance STAGE` (app/demo/advance.py): the loaded demo brought to 复审, 公示 and 审核确定 through the
portal's own commands, each review submitted by its expert, every step skipped once done; never in production."""
from collections import Counter

from app import rounds, schedule, workflow
from app.extensions import db
from app.models import (
    Application,
    AuditEvent,
    Campaign,
    CampaignApproval,
    Certificate,
    Objection,
    ReviewAssignment,
    Stage,
    StageWindow,
)
from tests import factories

HINT = "本批次还没有拟评选人选；演示可运行 flask demo advance publicity"


def invoke(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.expire_all()
    return result


def snapshot(campaign_id):
    """What a second run must leave as it is: statuses, reviews, audit log, schedule."""
    return (
        Counter(s for (s,) in db.session.query(Application.status).filter_by(campaign_id=campaign_id)),
        Counter(s for (s,) in db.session.query(ReviewAssignment.status).filter_by(campaign_id=campaign_id)),
        db.session.query(AuditEvent).count(),
        sorted((w.stage, w.starts_at, w.ends_at) for w in db.session.query(StageWindow).filter_by(
            campaign_id=campaign_id)),
    )


def small_demo(app) -> Campaign:
    """The loaded demo with a list of 4 (2 featured), so that a few applications make it believable."""
    assert invoke(app, "demo", "load").exit_code == 0
    campaign = db.session.query(Campaign).one()
    campaign.winner_quota, campaign.featured_quota = 4, 2
    db.session.commit()
    return campaign


def test_advance_brings_the_demo_to_final_review_then_publicity_then_approval(app):
    campaign = small_demo(app)
    campaign_id = campaign.id
    assert HINT in invoke(app, "campaign", "open-stage", "publicity").output

    result = invoke(app, "demo", "advance", "final_review", "--applications", "12")
    assert result.exit_code == 0, result.output
    assert "补充报名：生成 4 份" in result.output and "入围复审：按初审排名前 5 名入围" in result.output
    campaign = db.session.get(Campaign, campaign_id)
    initial = rounds.round_for(campaign, Stage.INITIAL_REVIEW, create=False)
    final = rounds.round_for(campaign, Stage.FINAL_REVIEW, create=False)
    assert initial.is_closed and not final.is_closed and schedule.is_open(Stage.FINAL_REVIEW, campaign)
    statuses = Counter(s for (s,) in db.session.query(Application.status).filter_by(campaign_id=campaign_id))
    assert statuses["shortlisted"] >= 5 and statuses["shortlisted"] + statuses["reported"] == 12
    assert {r.status for r in db.session.query(ReviewAssignment).filter_by(round_id=final.id)} == {"assigned"}

    result = invoke(app, "demo", "advance", "publicity")
    assert result.exit_code == 0, result.output
    assert "补充报名：初审已结束，跳过" in result.output and "http://127.0.0.1:8080/gongshi" in result.output
    campaign = db.session.get(Campaign, campaign_id)
    assert workflow.pick_counts(campaign_id) == {"candidates": 4, "featured": 2}
    assert rounds.round_for(campaign, Stage.FINAL_REVIEW).is_closed
    assert schedule.is_open(Stage.PUBLICITY, campaign) and not schedule.is_open(Stage.FINAL_REVIEW, campaign)
    # Every review submitted, by its own expert: the audit log names the expert's account.
    reviews = db.session.query(ReviewAssignment).filter_by(campaign_id=campaign_id).all()
    assert reviews and {r.status for r in reviews} == {"submitted"} and all(r.total is not None for r in reviews)
    submitted_by = {e.object_id: e.actor_id for e in db.session.query(AuditEvent).filter_by(action="review.submit")}
    assert all(submitted_by[str(r.id)] == r.expert.account_id for r in reviews)
    closes = db.session.query(AuditEvent).filter_by(action="review_round.close").all()
    assert len(closes) == 2 and {e.actor_name for e in closes} == {"city"}
    totals = {r.total for r in reviews}
    assert len(totals) > len(reviews) // 2  # pseudo-random scores: the ranks differ
    # The featured are the best of the 复审 ranking among the candidates.
    featured = {a.id for a in db.session.query(Application).filter_by(campaign_id=campaign_id, status="featured")}
    assert len(featured) == 2
    # One objection lodged as the public would, left open for 异议处理; nothing in the audit log names the objector.
    lodged = db.session.query(Objection).one()
    assert lodged.status == "received" and lodged.application_id in featured and lodged.receipt_number in result.output
    assert db.session.query(AuditEvent).filter_by(action="objection.lodge").one().actor_id is None
    assert not [e for e in db.session.query(AuditEvent) if lodged.objector_phone in f"{e.object_label}{e.detail}"]

    before = snapshot(campaign_id)
    again = invoke(app, "demo", "advance", "publicity")
    assert again.exit_code == 0 and "跳过" in again.output
    assert snapshot(campaign_id) == before
    assert HINT not in invoke(app, "campaign", "open-stage", "publicity").output

    result = invoke(app, "demo", "advance", "approval")
    assert result.exit_code == 0, result.output
    assert "审核确定：京学习办〔" in result.output and "撤销：市学习办撤销" in result.output
    campaign = db.session.get(Campaign, campaign_id)
    # Two objections, both concluded by the city office before 公示 ended: one 不属实, one 属实 and withdrawn.
    first, second = db.session.query(Objection).order_by(Objection.id).all()
    assert first.id == lodged.id
    assert (first.status, first.finding, second.status, second.finding) == (
        "concluded", "unfounded", "concluded", "upheld")
    assert first.application.status == "featured_winner" and second.application.status == "withdrawn"
    assert {e.action for e in second.events} == {"lodge", "accept", "verify", "conclude"}
    withdrawal = db.session.query(AuditEvent).filter_by(action="application.withdraw").one()
    assert withdrawal.actor_name == "city" and withdrawal.object_id == str(second.application_id)
    approval = db.session.query(CampaignApproval).one()
    assert second.lodged_at <= second.concluded_at <= withdrawal.at <= approval.recorded_at
    assert approval.winners == 3 and approval.featured == 2 and approval.document_number.startswith("京学习办〔")
    assert workflow.publicity_ended(campaign)
    winners = Counter(s for (s,) in db.session.query(Application.status).filter(
        Application.campaign_id == campaign_id, Application.status.in_(("winner", "featured_winner"))))
    assert winners == {"winner": 1, "featured_winner": 2}
    assert db.session.query(Certificate).count() == 3
    assert db.session.query(AuditEvent).filter_by(action="campaign.approve").one().actor_name == "city"

    before = snapshot(campaign_id)
    again = invoke(app, "demo", "advance", "approval")
    assert again.exit_code == 0 and "审核确定：已于" in again.output
    assert snapshot(campaign_id) == before and db.session.query(CampaignApproval).count() == 1


def test_advance_is_refused_in_production_and_without_a_campaign(app):
    result = invoke(app, "demo", "advance", "publicity")
    assert result.exit_code != 0 and "没有评选批次" in result.output
    factories.campaign(year=2026)
    app.config["APP_ENV"] = "production"
    try:
        result = invoke(app, "demo", "advance", "publicity")
        assert result.exit_code != 0 and "production" in result.output
    finally:
        app.config["APP_ENV"] = "development"
    assert db.session.query(AuditEvent).filter(AuditEvent.action.like("review.%")).count() == 0
