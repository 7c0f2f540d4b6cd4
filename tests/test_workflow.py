"""app/workflow.py: every transition allowed and refused — wrong role, other unit, wrong state, closed window —
and the units' 提交/上报, quotas and 过期无效."""
from datetime import datetime, timedelta

import pytest

from app import clock, roles, schedule, workflow
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


# --- 过期无效 of a returned application, and what the citizen reads about a void one -------------------------------


def test_a_returned_application_not_resubmitted_by_the_end_of_apply_is_void_to_the_second(chain):
    open_stage(chain, Stage.APPLY)
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "return", "请补充学习成果证明")
    end = chain["campaign"].window(Stage.APPLY).ends_at
    assert not workflow.is_void(application, at=end + timedelta(microseconds=999_999))  # its last second included
    assert workflow.is_void(application, at=end + timedelta(seconds=1))
    assert workflow.status_text(application, at=end + timedelta(seconds=1)) == "退回修改（过期无效）"
    assert workflow.status_text(application, at=end) == "退回修改"


def test_a_draft_is_never_void_for_the_units(chain):
    application = factories.application(unit=chain["street"], status="draft")
    clock.freeze(NOW + timedelta(days=400))
    assert not workflow.is_void(application) and workflow.void_notice(application) is None


def test_the_void_notice_says_who_did_not_act_by_when_and_whom_to_call(chain):
    chain["street"].contact_name, chain["street"].contact_phone = "张伟", "010-62551234"
    db.session.commit()
    waiting = factories.application(unit=chain["street"])
    end = chain["campaign"].window(Stage.L2_REVIEW).ends_at
    assert workflow.void_notice(waiting) is None  # the window is still open
    clock.freeze(end + timedelta(seconds=1))
    notice = workflow.void_notice(waiting)
    assert notice.message == (f"您选择的推荐单位（中关村街道）未在 {end:%Y-%m-%d %H:%M:%S} 前完成评审推荐，"
                              "本次报名未能进入下一环节。")
    assert notice.contact == "如有疑问请联系 中关村街道 张伟 010-62551234。"


def test_the_void_notice_of_a_forwarded_application_names_the_first_level_unit_and_its_clerk(chain):
    application = factories.application(unit=chain["street"], status="l2_forwarded")
    chain["l1"].first_name, chain["l1"].last_name, chain["l1"].phone = "李", "娜", "13800138000"
    db.session.commit()
    clock.freeze(chain["campaign"].window(Stage.L1_REVIEW).ends_at + timedelta(seconds=1))
    notice = workflow.void_notice(application)
    assert "由 中关村街道 推荐至 海淀区，但 海淀区 未在" in notice.message
    # The district has no contact of its own: its clerk is whom to call.
    assert notice.contact == "如有疑问请联系 海淀区 李娜 13800138000。"


def test_the_void_notice_of_a_returned_application_says_it_was_not_resubmitted(chain):
    open_stage(chain, Stage.APPLY)
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "return", "请补充")
    clock.freeze(chain["campaign"].window(Stage.APPLY).ends_at + timedelta(seconds=1))
    assert "退回修改后，未在在线报名截止时间" in workflow.void_notice(application).message


def test_editing_closes_with_the_application_window_to_the_second(chain):
    end = chain["campaign"].window(Stage.APPLY).ends_at
    before = chain["campaign"].window(Stage.APPLY).starts_at - timedelta(days=1)
    assert schedule.editing_closed(chain["campaign"], at=before) is None  # drafts may be kept before it opens
    assert schedule.editing_closed(chain["campaign"], at=end) is None
    assert "过期无效" in schedule.editing_closed(chain["campaign"], at=end + timedelta(seconds=1))


# --- the review panel: quota and window; 提交情况 -------------------------------------------------------------------


def test_the_panel_counts_recommendations_against_the_quota(chain):
    first, second = factories.application(unit=chain["street"]), factories.application(unit=chain["street"])
    progress = workflow.unit_progress(chain["l2"])
    assert (progress.quota, progress.recommended, progress.quota_full) == (None, 0, False)
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=1))
    db.session.commit()
    workflow.perform(chain["l2"], first.id, "l2_recommend", "同意")
    progress = workflow.unit_progress(chain["l2"])
    assert (progress.quota, progress.recommended, progress.quota_full, progress.undecided) == (1, 1, True, 1)
    workflow.perform(chain["l2"], first.id, "l2_reject", "让出名额")
    assert workflow.unit_progress(chain["l2"]).recommended == 0
    assert workflow.recommended_count(chain["campaign"].id, chain["street"].id, 2) == 0
    assert second.status == "submitted"


def test_the_panel_knows_a_window_that_has_not_begun(chain):
    open_stage(chain, Stage.APPLY)
    progress = workflow.unit_progress(chain["l2"])
    assert progress.not_yet_open and not progress.window_open
    assert progress.window_start == chain["campaign"].window(Stage.L2_REVIEW).starts_at


def overview(actor, campaign):
    return {row.unit.name: (row.state, row.recommended, row.not_recommended, row.undecided)
            for row in workflow.units_overview(actor, campaign)}


def test_submission_overview_lists_every_unit_in_scope_submitted_or_not(chain):
    campaign = chain["campaign"]
    recommended, rejected = factories.application(unit=chain["street"]), factories.application(unit=chain["street"])
    factories.application(unit=chain["sibling"])
    factories.application(unit=chain["sibling"], status="draft")  # a draft waits on nobody
    workflow.perform(chain["l2"], recommended.id, "l2_recommend", "同意")
    workflow.perform(chain["l2"], rejected.id, "l2_reject", "不同意")
    decided_only = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], decided_only.id, "l2_recommend", "同意")
    assert overview(chain["l2"], campaign) == {"中关村街道": ("missing", 2, 1, 0)}  # so far, not submitted
    workflow.perform(chain["l2"], decided_only.id, "l2_reject", "改为不推荐")
    workflow.submit_unit(chain["l2"])

    # The district sees itself (its 上报, with what reached it waiting) and both streets, late or not.
    assert overview(chain["l1"], campaign) == {
        "海淀区": ("missing", 0, 0, 1),
        "中关村街道": ("submitted", 1, 2, 0),
        "学院路街道": ("missing", 0, 0, 1),
    }
    assert overview(chain["l2_sibling"], campaign) == {"学院路街道": ("missing", 0, 0, 1)}
    assert set(overview(chain["city"], campaign)) == {"海淀区", "中关村街道", "学院路街道", "朝阳区", "建外街道"}
    open_stage(chain, Stage.L1_REVIEW)
    rows = {row.unit.name: row for row in workflow.units_overview(chain["l1"], campaign)}
    assert rows["学院路街道"].state == "late" and rows["海淀区"].state == "missing"
    assert rows["中关村街道"].submitted_at is not None and rows["学院路街道"].submitted_at is None
