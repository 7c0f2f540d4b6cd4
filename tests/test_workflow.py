"""app/workflow.py: every transition allowed and refused — wrong role, other unit, wrong state, closed window —
and the units' 提交/上报, quotas and 过期无效."""
from datetime import datetime, timedelta

import pytest

from app import clock, roles, workflow
from app.extensions import db
from app.models import ApplicationEvent, AuditEvent, RecommendationQuota, Stage, UnitSubmission
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


@pytest.fixture
def chain():
    """海淀区 with two streets, a clerk for each unit, and an applicant; the clock inside l2_review."""
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    other_district, (other_street,) = factories.district_with_streets("朝阳区", ("建外街道",))
    return {
        "campaign": campaign,
        "street": street,
        "sibling": sibling,
        "l2": factories.account(roles.L2_CLERK, unit=street),
        "l2_sibling": factories.account(roles.L2_CLERK, unit=sibling),
        "l1": factories.account(roles.L1_CLERK, unit=district),
        "l1_other": factories.account(roles.L1_CLERK, unit=other_district),
        "city": factories.account(roles.CITY_OFFICE),
    }


def open_stage(chain, stage):
    from app import schedule

    schedule.open_stage(chain["campaign"], stage, at=NOW)
    db.session.commit()


def refused(actor, application, action, message, opinion="意见"):
    with pytest.raises(workflow.WorkflowError, match=message):
        workflow.perform(actor, application.id, action, opinion)
    db.session.expire_all()


def test_second_level_decides_with_an_opinion_and_may_change_its_mind(chain):
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "l2_recommend", "学习成效显著，同意推荐")
    assert application.status == "l2_recommended"
    workflow.perform(chain["l2"], application.id, "l2_reject", "名额有限")
    assert application.status == "l2_not_recommended"
    events = db.session.query(ApplicationEvent).filter_by(application_id=application.id).order_by(ApplicationEvent.id).all()
    assert [(e.action, e.opinion, e.unit_id) for e in events] == [
        ("l2_recommend", "学习成效显著，同意推荐", chain["street"].id),
        ("l2_reject", "名额有限", chain["street"].id),
    ]
    assert db.session.query(AuditEvent).filter_by(action="application.l2_recommend").count() == 1


def test_the_same_decision_twice_is_refused(chain):
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "l2_recommend", "同意")
    refused(chain["l2"], application, "l2_recommend", "不能「推荐」")


def test_an_opinion_is_required(chain):
    application = factories.application(unit=chain["street"])
    refused(chain["l2"], application, "l2_recommend", "请填写推荐意见", opinion="  ")


@pytest.mark.parametrize(
    "actor, message",
    [("l2_sibling", "无权办理"), ("l1", "角色不能"), ("city", "角色不能")],
)
def test_only_the_chosen_second_level_unit_decides(chain, actor, message):
    application = factories.application(unit=chain["street"])
    refused(chain[actor], application, "l2_recommend", message)
    assert application.status == "submitted"


def test_a_draft_cannot_be_decided(chain):
    application = factories.application(unit=chain["street"], status="draft")
    refused(chain["l2"], application, "l2_recommend", "无权办理")


@pytest.mark.parametrize("offset, ok", [(timedelta(seconds=0), True), (timedelta(seconds=1), False)])
def test_decisions_end_with_the_window_to_the_second(chain, offset, ok):
    application = factories.application(unit=chain["street"])
    clock.freeze(chain["campaign"].window(Stage.L2_REVIEW).ends_at + offset)
    if ok:
        workflow.perform(chain["l2"], application.id, "l2_recommend", "同意")
    else:
        refused(chain["l2"], application, "l2_recommend", "过期无效")


def test_submit_moves_decided_applications_on_and_locks_them(chain):
    recommended = factories.application(unit=chain["street"])
    rejected = factories.application(unit=chain["street"])
    undecided = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], recommended.id, "l2_recommend", "同意")
    workflow.perform(chain["l2"], rejected.id, "l2_reject", "不同意")
    progress = workflow.unit_progress(chain["l2"])
    assert (progress.undecided, progress.decided, progress.window_open) == (1, 2, True)

    submission = workflow.submit_unit(chain["l2"])
    assert (submission.recommended, submission.not_recommended) == (1, 1)
    db.session.expire_all()
    assert (recommended.status, rejected.status, undecided.status) == ("l2_forwarded", "l2_rejected", "submitted")
    refused(chain["l2"], undecided, "l2_recommend", "已提交")
    with pytest.raises(workflow.WorkflowError, match="不能重复提交"):
        workflow.submit_unit(chain["l2"])
    assert db.session.query(UnitSubmission).count() == 1


def test_first_level_sees_and_decides_only_what_was_forwarded_then_reports(chain):
    forwarded = factories.application(unit=chain["street"])
    kept = factories.application(unit=chain["sibling"])
    workflow.perform(chain["l2"], forwarded.id, "l2_recommend", "同意")
    workflow.perform(chain["l2_sibling"], kept.id, "l2_recommend", "同意")  # never submitted by its street
    workflow.submit_unit(chain["l2"])
    open_stage(chain, Stage.L1_REVIEW)

    from app import scoping
    from app.models import Application

    seen = {a.id for a in db.session.query(Application).filter(scoping.application_clause(chain["l1"]))}
    assert seen == {forwarded.id}
    refused(chain["l1"], kept, "l1_recommend", "无权办理")  # it never reached the first-level unit
    refused(chain["l1_other"], forwarded, "l1_recommend", "无权办理")
    workflow.perform(chain["l1"], forwarded.id, "l1_recommend", "区学习办同意推荐")
    workflow.submit_unit(chain["l1"])
    db.session.expire_all()
    assert forwarded.status == "reported"
    assert [e.action for e in forwarded.events] == ["l2_recommend", "l2_submit", "l1_recommend", "l1_report"]
    assert workflow.is_void(kept)  # its street's window closed without a submission: 过期无效
    assert "过期无效" in workflow.status_text(kept)


def test_a_second_level_unit_returns_while_the_application_window_is_open(chain):
    open_stage(chain, Stage.APPLY)
    application = factories.application(unit=chain["street"])
    refused(chain["l2"], application, "return", "请填写退回理由", opinion="")
    workflow.perform(chain["l2"], application.id, "return", "请补充学习成果证明")
    assert application.status == "returned" and application.editable_by_applicant
    workflow.perform(application.applicant, application.id, "submit")
    assert application.status == "submitted"
    assert [e.action for e in application.events] == ["return", "submit"]


def test_return_is_refused_once_the_application_window_has_closed(chain):
    application = factories.application(unit=chain["street"])
    refused(chain["l2"], application, "return", "过期无效", opinion="晚了")


def test_quota_limits_recommendations_per_unit(chain):
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=1))
    db.session.commit()
    first, second = factories.application(unit=chain["street"]), factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], first.id, "l2_recommend", "同意")
    refused(chain["l2"], second, "l2_recommend", "最多推荐 1 人")
    workflow.perform(chain["l2"], first.id, "l2_reject", "让出名额")
    workflow.perform(chain["l2"], second.id, "l2_recommend", "同意")
    other = factories.application(unit=chain["sibling"])
    workflow.perform(chain["l2_sibling"], other.id, "l2_recommend", "同意")  # the quota is per unit


def test_submit_unit_outside_the_window_is_refused(chain):
    open_stage(chain, Stage.L1_REVIEW)
    with pytest.raises(workflow.WorkflowError, match="过期无效"):
        workflow.submit_unit(chain["l2"])
    with pytest.raises(workflow.WorkflowError, match="只有二级单位和一级单位"):
        workflow.submit_unit(chain["city"])
