"""app/workflow.py: every transition allowed and refused — wrong role, other unit, wrong state, closed window —
and the units' 提交/上报, quotas and 过期无效."""
from datetime import datetime, timedelta

import pytest

from app import clock, roles, schedule, workflow
from app.extensions import db
from app.models import ApplicationEvent, AuditEvent, RecommendationQuota, Stage, Unit, UnitSubmission
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
    end = chain["campaign"].window(Stage.L1_REVIEW).ends_at
    assert notice.message == (f"您的报名已由 中关村街道 推荐至 海淀区，但 海淀区 未在 {end:%Y-%m-%d %H:%M:%S} 前完成推荐上报，"
                              "本次报名未能进入下一环节。")
    assert notice.unit == chain["street"].parent
    # The district has no contact of its own: its clerk is whom to call.
    assert notice.contact == "如有疑问请联系 海淀区 李娜 13800138000。"


def test_the_void_notice_of_a_returned_application_says_it_was_not_resubmitted(chain):
    open_stage(chain, Stage.APPLY)
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "return", "请补充")
    end = chain["campaign"].window(Stage.APPLY).ends_at
    clock.freeze(end + timedelta(seconds=1))
    notice = workflow.void_notice(application)
    assert notice.message == (f"您的报名被推荐单位（中关村街道）退回修改后，未在在线报名截止时间 {end:%Y-%m-%d %H:%M:%S} 前"
                              "重新提交，本次报名未能进入下一环节。")
    assert notice.unit == chain["street"]


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


# ======================================================================================================================
# Rules the mutants of app/workflow.py showed untested (`make mutation`): each is something a clerk or a citizen
# would notice broken. Behaviour only, through perform / submit_unit / unit_progress / is_void.

from app.models import ApplicationStatus  # noqa: E402

# action: (who acts, the window it needs, the states it starts from, the state it leaves behind). Written out here,
# not read from workflow.TRANSITIONS, so that a widened or narrowed source state fails.
ACTS = {
    "submit": ("applicant", Stage.APPLY, {"draft", "returned"}, "submitted"),
    "return": ("l2", Stage.APPLY, {"submitted"}, "returned"),
    "l2_recommend": ("l2", Stage.L2_REVIEW, {"submitted", "l2_not_recommended"}, "l2_recommended"),
    "l2_reject": ("l2", Stage.L2_REVIEW, {"submitted", "l2_recommended"}, "l2_not_recommended"),
    "l1_recommend": ("l1", Stage.L1_REVIEW, {"l2_forwarded", "l1_not_recommended"}, "l1_recommended"),
    "l1_reject": ("l1", Stage.L1_REVIEW, {"l2_forwarded", "l1_recommended"}, "l1_not_recommended"),
}


@pytest.mark.parametrize("action", list(ACTS))
def test_each_action_starts_only_from_its_own_states(chain, action):
    """E.g. 退回 only what waits for the street (never what it already recommended); 不推荐 may become 推荐 again."""
    who, stage, sources, target = ACTS[action]
    open_stage(chain, stage)
    application = factories.application(unit=chain["street"])
    actor = application.applicant if who == "applicant" else chain[who]
    opinion = None if action == "submit" else "意见"
    for status in ApplicationStatus:
        application.status = status.value
        db.session.commit()
        assert workflow.allowed(actor, application, action) == (status.value in sources), status  # the buttons
        if status.value in sources:
            workflow.perform(actor, application.id, action, opinion)
            assert application.status == target, status
            event = application.events[-1]
            assert (event.action, event.from_status, event.to_status) == (action, status.value, target)
        else:
            with pytest.raises(workflow.WorkflowError):
                workflow.perform(actor, application.id, action, opinion)
            db.session.expire_all()
            assert application.status == status.value, status


def test_the_history_and_the_audit_log_record_each_step(chain):
    open_stage(chain, Stage.APPLY)
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "return", "  请补充证明  ")
    clock.freeze(NOW + timedelta(minutes=5))
    workflow.perform(application.applicant, application.id, "submit")
    assert application.submitted_at == NOW + timedelta(minutes=5)  # the resubmission's time, not the first one's
    events = application.events
    assert [(e.action, e.from_status, e.to_status, e.opinion) for e in events] == [
        ("return", "submitted", "returned", "请补充证明"),
        ("submit", "returned", "submitted", None),
    ]
    assert [(e.actor_id, e.actor_name, e.unit_id) for e in events] == [
        (chain["l2"].id, chain["l2"].username, chain["street"].id),
        (application.applicant.id, application.applicant.username, None),
    ]
    assert [e.at for e in events] == [NOW, NOW + timedelta(minutes=5)]
    audit = db.session.query(AuditEvent).filter_by(action="application.return").one()
    assert (audit.object_type, audit.object_id) == ("application", str(application.id))
    assert audit.detail == {"from_status": "submitted", "to_status": "returned", "opinion": "请补充证明"}


def test_an_applicant_acts_only_on_their_own_application(chain):
    open_stage(chain, Stage.APPLY)
    mine = factories.application(unit=chain["street"], status="draft")
    theirs = factories.application(unit=chain["street"], status="draft")
    with pytest.raises(workflow.WorkflowError, match="无权办理") as refusal:
        workflow.perform(mine.applicant, theirs.id, "submit")
    assert refusal.value.status == 404
    db.session.expire_all()
    assert theirs.status == "draft" and not theirs.events
    workflow.perform(mine.applicant, mine.id, "submit")
    assert mine.status == "submitted"


def test_refusals_carry_the_status_the_api_answers_with(chain):
    application = factories.application(unit=chain["street"])

    def status_of(actor, action, opinion="意见", application_id=application.id):
        with pytest.raises(workflow.WorkflowError) as refusal:
            workflow.perform(actor, application_id, action, opinion)
        db.session.expire_all()
        return refusal.value.status

    assert status_of(chain["l1"], "l2_recommend") == 403  # the role
    assert status_of(chain["l2_sibling"], "l2_recommend") == 404  # the scope
    assert status_of(chain["l2"], "l1_recommend") == 403  # a first-level action for a second-level clerk
    assert status_of(chain["l2"], "l2_recommend", opinion="") == 422  # the opinion
    assert status_of(chain["l2"], "l2_recommend", application_id=application.id + 999) == 404
    assert status_of(chain["l2"], "nonsense") == 400
    workflow.perform(chain["l2"], application.id, "l2_recommend", "同意")
    assert status_of(chain["l2"], "l2_recommend") == 409  # the state
    clock.freeze(chain["campaign"].window(Stage.L2_REVIEW).ends_at + timedelta(seconds=1))
    assert status_of(chain["l2"], "l2_reject") == 403  # the window


def test_opinions_are_stored_trimmed_and_a_blank_one_refused_at_its_field(chain):
    application = factories.application(unit=chain["street"])
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.perform(chain["l2"], application.id, "l2_reject", " \n ")
    assert set(refusal.value.errors) == {"opinion"}
    db.session.expire_all()
    workflow.perform(chain["l2"], application.id, "l2_reject", "  名额有限 ")
    assert application.events[-1].opinion == "名额有限"


def test_several_at_once_do_what_they_can_and_say_why_not(chain):
    first, second = factories.application(unit=chain["street"]), factories.application(unit=chain["sibling"])
    done, refused_ = workflow.perform_many(chain["l2"], [first.id, second.id], "l2_recommend", "同意")
    assert [a.id for a in done] == [first.id]
    assert list(refused_) == [second.id] and "无权办理" in refused_[second.id]
    db.session.expire_all()
    assert (first.status, second.status) == ("l2_recommended", "submitted")


def test_a_batch_is_committed_once_and_counts_its_own_rows_against_the_quota(chain):
    """Ticking many at once: one commit for the whole batch (not one per row), each row still checked on its own, and
    the rows recommended earlier in the batch already count against the quota for the later ones; the rows done are
    handed back read."""
    from sqlalchemy import event

    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=3))
    db.session.commit()
    mine = [factories.application(unit=chain["street"]) for _ in range(5)]
    elsewhere = factories.application(unit=chain["sibling"])
    commits = []

    def committed(connection):
        commits.append(connection)

    event.listen(db.engine, "commit", committed)
    try:
        done, refused_ = workflow.perform_many(chain["l2"], [mine[0].id, elsewhere.id] + [a.id for a in mine[1:]],
                                               "l2_recommend", "同意")
    finally:
        event.remove(db.engine, "commit", committed)
    assert len(commits) == 1
    statements = []

    def sent(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", sent)
    try:  # the rows done come back read, in one statement: not one per row as the caller reads them
        assert [(a.id, a.status) for a in done] == [(a.id, "l2_recommended") for a in mine[:3]]
    finally:
        event.remove(db.engine, "before_cursor_execute", sent)
    assert statements == []
    assert "无权办理" in refused_[elsewhere.id]
    assert all("最多推荐 3 人" in refused_[a.id] for a in mine[3:]) and len(refused_) == 3
    db.session.expire_all()
    assert [a.status for a in mine] == ["l2_recommended"] * 3 + ["submitted"] * 2
    assert db.session.query(ApplicationEvent).count() == 3
    assert db.session.query(AuditEvent).filter_by(action="application.l2_recommend").count() == 3


def test_a_first_level_quota_counts_the_whole_district_and_only_it(chain):
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=1, max_recommended=1))
    db.session.commit()
    open_stage(chain, Stage.L1_REVIEW)
    first = factories.application(unit=chain["street"], status="l2_forwarded")
    second = factories.application(unit=chain["sibling"], status="l2_forwarded")
    _, (other_street,) = factories.district_with_streets("东城区", ("东华门街道",))
    elsewhere = factories.application(unit=other_street, status="l2_forwarded")
    other_clerk = factories.account(roles.L1_CLERK, unit=other_street.parent)
    workflow.perform(chain["l1"], first.id, "l1_recommend", "同意")
    refused(chain["l1"], second, "l1_recommend", "最多推荐 1 人")  # another street, the same district
    workflow.perform(other_clerk, elsewhere.id, "l1_recommend", "同意")  # another district has its own
    workflow.perform(chain["l1"], first.id, "l1_reject", "让出名额")
    workflow.perform(chain["l1"], second.id, "l1_recommend", "同意")


def test_a_quota_binds_only_its_own_level(chain):
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=1, max_recommended=0))
    db.session.commit()
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "l2_recommend", "同意")  # a first-level quota of 0: no matter
    db.session.query(RecommendationQuota).update({"level": 2, "max_recommended": 1})
    db.session.commit()
    open_stage(chain, Stage.L1_REVIEW)
    forwarded = [factories.application(unit=chain["street"], status="l2_forwarded") for _ in range(2)]
    for application in forwarded:  # a second-level quota of 1 does not limit the district
        workflow.perform(chain["l1"], application.id, "l1_recommend", "同意")


def test_a_quota_of_zero_refuses_the_first_recommendation(chain):
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=0))
    db.session.commit()
    application = factories.application(unit=chain["street"])
    refused(chain["l2"], application, "l2_recommend", "最多推荐 0 人")
    workflow.perform(chain["l2"], application.id, "l2_reject", "名额为零")  # 不推荐 is always possible


def test_report_moves_both_kinds_of_decision_on_and_is_in_the_audit_log(chain):
    open_stage(chain, Stage.L1_REVIEW)
    yes, no, undecided = (factories.application(unit=chain["street"], status="l2_forwarded") for _ in range(3))
    workflow.perform(chain["l1"], yes.id, "l1_recommend", "同意")
    workflow.perform(chain["l1"], no.id, "l1_reject", "不同意")
    progress = workflow.unit_progress(chain["l1"])
    assert (progress.level, progress.undecided, progress.decided, progress.submission) == (1, 1, 2, None)
    assert progress.window_open and progress.window_end == chain["campaign"].window(Stage.L1_REVIEW).ends_at

    submission = workflow.submit_unit(chain["l1"])
    db.session.expire_all()
    assert (yes.status, no.status, undecided.status) == ("reported", "l1_rejected", "l2_forwarded")
    assert (submission.level, submission.recommended, submission.not_recommended) == (1, 1, 1)
    assert (submission.unit_id, submission.actor_id, submission.at) == (chain["l1"].unit_id, chain["l1"].id, NOW)
    assert [(e.action, e.from_status, e.to_status) for e in no.events][-1] == ("l1_report", "l1_not_recommended",
                                                                               "l1_rejected")
    audit = db.session.query(AuditEvent).filter_by(action="unit.l1_report").one()
    assert (audit.object_type, audit.object_id) == ("unit", str(chain["l1"].unit_id))
    assert audit.detail == {"recommended": 1, "not_recommended": 1}
    assert workflow.unit_progress(chain["l1"]).submission.id == submission.id
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=1, max_recommended=3))
    db.session.commit()
    progress = workflow.unit_progress(chain["l1"])  # the submission and the quota come back together
    assert (progress.submission.id, progress.quota) == (submission.id, 3)


def test_submit_is_in_the_audit_log_with_its_numbers(chain):
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "l2_reject", "不同意")
    workflow.submit_unit(chain["l2"])
    audit = db.session.query(AuditEvent).filter_by(action="unit.l2_submit").one()
    assert (audit.object_type, audit.object_id) == ("unit", str(chain["street"].id))
    assert audit.detail == {"recommended": 0, "not_recommended": 1}
    db.session.expire_all()
    assert application.events[-1].to_status == "l2_rejected"


def test_submit_touches_only_the_units_own_applications(chain):
    mine, sibling = factories.application(unit=chain["street"]), factories.application(unit=chain["sibling"])
    workflow.perform(chain["l2"], mine.id, "l2_recommend", "同意")
    workflow.perform(chain["l2_sibling"], sibling.id, "l2_recommend", "同意")
    assert workflow.submit_unit(chain["l2"]).recommended == 1
    db.session.expire_all()
    assert (mine.status, sibling.status) == ("l2_forwarded", "l2_recommended")
    workflow.perform(chain["l2_sibling"], sibling.id, "l2_reject", "改变主意")  # the sibling has not submitted


@pytest.mark.parametrize("role", [roles.APPLICANT, roles.EXPERT, roles.AUDITOR])
def test_an_account_with_a_unit_but_no_clerk_role_acts_for_no_unit(chain, role):
    """A unit alone gives no power: only the 二级单位/一级单位 roles do."""
    stray = factories.account(role, unit=chain["street"])
    application = factories.application(unit=chain["street"])
    assert workflow.unit_progress(stray) is None
    with pytest.raises(workflow.WorkflowError, match="只有二级单位和一级单位") as refusal:
        workflow.submit_unit(stray)
    assert refusal.value.status == 403
    refused(stray, application, "l2_recommend", "角色不能")
    assert db.session.query(UnitSubmission).count() == 0


def test_a_clerk_without_a_unit_acts_for_no_unit(chain):
    clerk = factories.account(roles.L2_CLERK)
    application = factories.application(unit=chain["street"])
    assert workflow.unit_progress(clerk) is None
    with pytest.raises(workflow.WorkflowError, match="只有二级单位和一级单位"):
        workflow.submit_unit(clerk)
    refused(clerk, application, "l2_recommend", "无权办理")


def test_a_first_level_clerk_decides_for_its_district_not_as_a_street(chain):
    open_stage(chain, Stage.L1_REVIEW)
    forwarded = factories.application(unit=chain["street"], status="l2_forwarded")
    street_clerk_of_district = factories.account(roles.L1_CLERK, unit=chain["street"])  # wrong unit level
    refused(street_clerk_of_district, forwarded, "l1_recommend", "无权办理")
    progress = workflow.unit_progress(chain["l1"])
    assert (progress.level, progress.undecided) == (1, 1)


# Which states turn 过期无效 when which window closes (returned and draft are issue B6's and left out here).
VOID_AT_L2_END = {"submitted", "l2_recommended", "l2_not_recommended"}
VOID_AT_L1_END = VOID_AT_L2_END | {"l2_forwarded", "l1_recommended", "l1_not_recommended"}
NEVER_VOID = {"l2_rejected", "reported", "l1_rejected"}


def test_void_starts_the_second_after_the_window_ends(chain):
    application = factories.application(unit=chain["street"])
    end = chain["campaign"].window(Stage.L2_REVIEW).ends_at
    assert not workflow.is_void(application, at=end)
    assert workflow.is_void(application, at=end + timedelta(seconds=1))
    clock.freeze(end)
    assert "过期无效" not in workflow.status_text(application)
    clock.freeze(end + timedelta(seconds=1))
    assert workflow.is_void(application)
    assert workflow.status_text(application) == "已提交，待二级单位评审（过期无效）"


def test_which_states_are_void_after_which_window(chain):
    l2_end = chain["campaign"].window(Stage.L2_REVIEW).ends_at
    l1_end = chain["campaign"].window(Stage.L1_REVIEW).ends_at
    applications = {status: factories.application(unit=chain["street"], status=status)
                    for status in VOID_AT_L1_END | NEVER_VOID}
    for status, application in applications.items():
        assert workflow.is_void(application, at=l2_end + timedelta(seconds=1)) == (status in VOID_AT_L2_END), status
        assert workflow.is_void(application, at=l1_end + timedelta(seconds=1)) == (status in VOID_AT_L1_END), status
        assert not workflow.is_void(application, at=l2_end), status
        # An export knows a row by its status and campaign only, and must say the same (app/exports.py).
        for at in (l2_end, l2_end + timedelta(seconds=1), l1_end + timedelta(seconds=1)):
            assert workflow.is_void_status(status, application.campaign_id, at) == workflow.is_void(application, at)


def test_history_labels_name_the_units_steps(chain):
    labels = {action: str(label) for action, label in workflow.labels().items()}
    assert labels["l2_submit"] == "提交至一级单位" and labels["l1_report"] == "上报市学习办"
    assert labels["return"] == "退回修改" and labels["submit"] == "提交报名"
    assert labels["l2_recommend"] == labels["l1_recommend"] == "推荐"


# ----------------------------------------------------------------------------------------------------------------------
# The row locks, which only PostgreSQL shows. The test holds a lock in its own transaction, as a clerk's
# unfinished action would, starts the action in a thread, waits until the thread is either blocked on a lock or
# done (no timing), then commits: with the lock the action sees the committed change; without it, it acts on
# what it read before and the outcome below is wrong.

import threading  # noqa: E402

from sqlalchemy import text  # noqa: E402

from app.models import Account, Application  # noqa: E402


class InThread:
    def __init__(self, app, action):
        self.result = self.error = None

        def run():
            with app.app_context():
                try:
                    self.result = action()
                except Exception as error:  # noqa: BLE001 - handed to the test
                    self.error = error
                finally:
                    db.session.remove()

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def blocked_or_done(self):
        """Until the thread waits for a lock in this database, or has finished. Asked on a connection of its
        own, one transaction per look: PostgreSQL keeps a transaction's view of pg_stat_activity fixed."""
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND wait_event_type = 'Lock'")
        with db.engine.connect() as watcher:
            for _ in range(3000):  # a bound for a hung test only; the answer never depends on it
                seen = watcher.execute(waiting).scalar()
                watcher.rollback()
                if not self.thread.is_alive() or seen:
                    return
                self.thread.join(0.01)
        raise AssertionError("the action neither finished nor waited for a lock")

    def join(self):
        self.thread.join(60)
        assert not self.thread.is_alive()
        return self


def acting(actor_id, call):
    """Run call(actor) with the actor loaded in the thread's own session."""
    return lambda: call(db.session.get(Account, actor_id))


def while_held(app, sql_lock, sql_change, action, **params):
    """In a transaction of the test's own, lock rows and change them; start action in a thread; once it is
    blocked or done, commit. Returns the finished thread."""
    with db.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(text(sql_lock), params)
        connection.execute(text(sql_change), params)
        worker = InThread(app, action)
        try:
            worker.blocked_or_done()
        finally:
            transaction.commit()
    return worker.join()


def submit_counts(actor):
    submission = workflow.submit_unit(actor)
    return submission.recommended, submission.not_recommended


@pytest.mark.postgres
def test_a_decision_waits_for_another_on_the_same_application(app, chain):
    application = factories.application(unit=chain["street"])
    decide = acting(chain["l2"].id, lambda actor: workflow.perform(actor, application.id, "l2_recommend", "同意"))
    worker = while_held(app, "SELECT id FROM application WHERE id = :id FOR UPDATE",
                        "UPDATE application SET status = 'l2_recommended' WHERE id = :id", decide, id=application.id)
    assert isinstance(worker.error, workflow.WorkflowError) and "不能「推荐」" in str(worker.error)
    assert db.session.query(ApplicationEvent).filter_by(application_id=application.id).count() == 0


@pytest.mark.postgres
def test_the_last_quota_place_waits_for_a_recommendation_in_progress(app, chain):
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=1))
    db.session.commit()
    first, second = factories.application(unit=chain["street"]), factories.application(unit=chain["street"])
    decide = acting(chain["l2"].id, lambda actor: workflow.perform(actor, second.id, "l2_recommend", "同意"))
    worker = while_held(app, "SELECT id FROM unit WHERE id = :unit FOR UPDATE",
                        "UPDATE application SET status = 'l2_recommended' WHERE id = :id", decide,
                        unit=chain["street"].id, id=first.id)
    assert isinstance(worker.error, workflow.WorkflowError) and "名额已满" in str(worker.error)
    db.session.expire_all()
    assert db.session.get(Application, second.id).status == "submitted"


@pytest.mark.postgres
def test_submit_waits_for_a_decision_in_progress_and_takes_it_along(app, chain):
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=5))
    db.session.commit()
    application = factories.application(unit=chain["street"])
    # A decision under a quota holds the unit's row, as workflow's quota guard does.
    worker = while_held(app, "SELECT id FROM unit WHERE id = :unit FOR UPDATE",
                        "UPDATE application SET status = 'l2_recommended' WHERE id = :id",
                        acting(chain["l2"].id, submit_counts), unit=chain["street"].id, id=application.id)
    assert worker.error is None and worker.result == (1, 0)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "l2_forwarded"


@pytest.mark.postgres
def test_submit_moves_the_decision_a_clerk_changed_meanwhile(app, chain):
    application = factories.application(unit=chain["street"], status="l2_recommended")
    worker = while_held(app, "SELECT id FROM application WHERE id = :id FOR UPDATE",
                        "UPDATE application SET status = 'l2_not_recommended' WHERE id = :id",
                        acting(chain["l2"].id, submit_counts), id=application.id)
    assert worker.error is None
    assert worker.result == (0, 1)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "l2_rejected"


def test_refusals_say_exactly_why(chain):
    """The whole sentence a clerk reads, not a fragment of it."""
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=1))
    db.session.commit()
    first, second = factories.application(unit=chain["street"]), factories.application(unit=chain["street"])

    def message(actor, application_id, action, opinion="意见"):
        with pytest.raises(workflow.WorkflowError) as refusal:
            workflow.perform(actor, application_id, action, opinion)
        db.session.expire_all()
        return str(refusal.value)

    assert message(chain["l1"], first.id, "l2_recommend") == "您的角色不能执行「推荐」"
    assert message(chain["l2_sibling"], first.id, "l2_recommend") == "找不到该报名，或者您无权办理它"
    assert message(chain["l2"], first.id + 999, "l2_recommend") == "找不到该报名，或者您无权办理它"
    assert message(chain["l2"], first.id, "undo") == "未知的操作"
    workflow.perform(chain["l2"], first.id, "l2_recommend", "同意")
    assert message(chain["l2"], first.id, "l2_recommend") == "该报名当前为「二级单位拟推荐（未提交）」，不能「推荐」"
    assert message(chain["l2"], second.id, "l2_recommend") == "本单位最多推荐 1 人，名额已满；可先将其他人改为不推荐"
    workflow.submit_unit(chain["l2"])
    assert message(chain["l2"], second.id, "l2_reject") == "本单位已提交，评审结果已锁定，不能再更改"
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.submit_unit(chain["l2"])
    assert str(refusal.value) == "本单位已经提交过，不能重复提交"
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.submit_unit(chain["city"])
    assert str(refusal.value) == "只有二级单位和一级单位可以提交评审结果"


def test_an_incomplete_application_is_refused_with_what_to_fix(chain):
    open_stage(chain, Stage.APPLY)
    application = factories.application(unit=chain["street"], status="draft", deeds=None)
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.perform(application.applicant, application.id, "submit")
    assert str(refusal.value) == "报名信息还不完整，请按提示补充后再提交" and refusal.value.status == 422
    assert "deeds" in refusal.value.errors
    db.session.expire_all()
    assert application.status == "draft" and application.submitted_at is None


@pytest.mark.postgres
def test_two_submissions_of_one_id_number_at_once_leave_one_and_say_why(app, chain):
    """The check before submitting cannot see a submission still in progress; the unique index can, and its
    refusal reads as the duplicate it is."""
    open_stage(chain, Stage.APPLY)
    mine = factories.application(unit=chain["street"], status="draft")
    other = factories.application(unit=chain["street"])
    submit = acting(mine.applicant_id, lambda actor: workflow.perform(actor, mine.id, "submit"))
    worker = while_held(app, "SELECT id FROM application WHERE id = :id FOR UPDATE",
                        "UPDATE application SET id_number = :number WHERE id = :id", submit,
                        id=other.id, number=mine.id_number)
    assert isinstance(worker.error, workflow.WorkflowError)
    assert str(worker.error) == "该身份证号已在本批次提交过报名，每人每批次只能报名一次"
    assert worker.error.errors == {"id_number": str(worker.error)} and worker.error.status == 409
    db.session.expire_all()
    assert db.session.get(Application, mine.id).status == "draft"


def test_status_text_answers_for_the_moment_asked_about(chain):
    application = factories.application(unit=chain["street"])
    end = chain["campaign"].window(Stage.L2_REVIEW).ends_at
    assert workflow.status_text(application, at=end + timedelta(seconds=1)).endswith("（过期无效）")  # the clock: NOW
    clock.freeze(end + timedelta(seconds=1))
    assert workflow.status_text(application, at=end) == "已提交，待二级单位评审"


def test_progress_shows_this_units_submission_in_this_campaign_only(chain):
    older = factories.campaign(year=2025)
    db.session.add(UnitSubmission(campaign=older, unit=chain["street"], level=2, at=NOW, actor_name="去年"))
    db.session.add(UnitSubmission(campaign=chain["campaign"], unit=chain["sibling"], level=2, at=NOW,
                                  actor_name="兄弟街道"))
    db.session.commit()
    assert workflow.unit_progress(chain["l2"]).submission is None  # neither last year's nor the sibling's
    assert workflow.unit_progress(chain["l2_sibling"]).submission is not None
    assert workflow.unit_progress(chain["l2"], campaign=older).submission is not None


def test_submit_counts_every_decision_and_names_the_unit_in_the_audit_log(chain):
    applications = [factories.application(unit=chain["street"]) for _ in range(5)]
    for application in applications[:3]:
        workflow.perform(chain["l2"], application.id, "l2_recommend", "同意")
    for application in applications[3:]:
        workflow.perform(chain["l2"], application.id, "l2_reject", "不同意")
    submission = workflow.submit_unit(chain["l2"])
    assert (submission.recommended, submission.not_recommended) == (3, 2)
    audit = db.session.query(AuditEvent).filter_by(action="unit.l2_submit").one()
    assert audit.object_label == chain["street"].full_name and "中关村街道" in audit.object_label


def test_a_unit_that_submitted_last_year_submits_again_this_year(chain):
    older = factories.campaign(year=2025)
    db.session.add(UnitSubmission(campaign=older, unit=chain["street"], level=2, at=NOW, actor_name="去年"))
    db.session.commit()
    assert workflow.submit_unit(chain["l2"]).campaign_id == chain["campaign"].id


def test_submit_for_a_campaign_is_gated_by_that_campaigns_window(chain):
    older = factories.campaign(year=2025)  # its windows are a year behind: closed
    with pytest.raises(workflow.WorkflowError, match="过期无效") as refusal:
        workflow.submit_unit(chain["l2"], campaign=older)
    assert refusal.value.status == 403
    assert db.session.query(UnitSubmission).count() == 0


def test_report_and_progress_of_a_district_leave_other_districts_alone(chain):
    open_stage(chain, Stage.L1_REVIEW)
    mine = factories.application(unit=chain["street"], status="l1_recommended")
    _, (other_street,) = factories.district_with_streets("东城区", ("东华门街道",))
    elsewhere = factories.application(unit=other_street, status="l1_recommended")
    waiting_elsewhere = factories.application(unit=other_street, status="l2_forwarded")
    progress = workflow.unit_progress(chain["l1"])
    assert (progress.decided, progress.undecided) == (1, 0)
    assert workflow.submit_unit(chain["l1"]).recommended == 1
    db.session.expire_all()
    assert (mine.status, elsewhere.status, waiting_elsewhere.status) == ("reported", "l1_recommended", "l2_forwarded")


def test_progress_says_when_the_window_has_closed(chain):
    clock.freeze(chain["campaign"].window(Stage.L2_REVIEW).ends_at + timedelta(seconds=1))
    progress = workflow.unit_progress(chain["l2"])
    assert not progress.window_open
    assert progress.window_end == chain["campaign"].window(Stage.L2_REVIEW).ends_at


def test_a_first_level_quota_in_another_district(chain):
    """The same rule for a district whose id is not the first one created (SQLite reuses ids from 1)."""
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=1, max_recommended=1))
    db.session.commit()
    open_stage(chain, Stage.L1_REVIEW)
    other_street = db.session.query(Unit).filter_by(name="建外街道").one()
    first, second = (factories.application(unit=other_street, status="l2_forwarded") for _ in range(2))
    workflow.perform(chain["l1_other"], first.id, "l1_recommend", "同意")
    with pytest.raises(workflow.WorkflowError, match="名额已满") as refusal:
        workflow.perform(chain["l1_other"], second.id, "l1_recommend", "同意")
    assert refusal.value.status == 409


def test_quotas_and_recommendations_of_another_campaign_do_not_count(chain):
    older = factories.campaign(year=2025)
    db.session.add(RecommendationQuota(campaign=older, level=2, max_recommended=0))
    db.session.add(RecommendationQuota(campaign=chain["campaign"], level=2, max_recommended=1))
    factories.application(unit=chain["street"], campaign=older, status="l2_forwarded")
    db.session.commit()
    application = factories.application(unit=chain["street"], campaign=chain["campaign"])
    workflow.perform(chain["l2"], application.id, "l2_recommend", "同意")  # last year's 0 and last year's one: no
    assert application.status == "l2_recommended"


def test_an_anonymous_visitor_has_no_unit_to_act_for(chain):
    from flask_login import AnonymousUserMixin

    assert workflow.unit_level(AnonymousUserMixin()) is None
    assert workflow.unit_progress(AnonymousUserMixin()) is None


def test_last_years_submission_does_not_lock_this_years_decisions(chain):
    older = factories.campaign(year=2025)
    db.session.add(UnitSubmission(campaign=older, unit=chain["street"], level=2, at=NOW, actor_name="去年"))
    db.session.commit()
    application = factories.application(unit=chain["street"], campaign=chain["campaign"])
    workflow.perform(chain["l2"], application.id, "l2_reject", "不同意")
    assert application.status == "l2_not_recommended"


def test_the_audit_log_names_the_applicant_and_campaign(chain):
    application = factories.application(unit=chain["street"], name="张学习")
    workflow.perform(chain["l2"], application.id, "l2_recommend", "同意")
    audit = db.session.query(AuditEvent).filter_by(action="application.l2_recommend").one()
    assert audit.object_label == f"张学习 · {chain['campaign'].name}"


def test_an_application_is_gated_by_its_own_campaigns_window(chain):
    older = factories.campaign(year=2025)  # its windows are a year behind: closed, while this year's are open
    application = factories.application(unit=chain["street"], campaign=older)
    refused(chain["l2"], application, "l2_recommend", "过期无效")


# --- whom a citizen or the office calls about a unit (提交情况, void notices) -----------------------------------------


def test_a_units_contact_is_its_own_contact_else_an_active_clerk_with_a_phone(chain):
    street = chain["street"]
    assert workflow.unit_contact(None) == ("", "")
    street.contact_name, street.contact_phone = "张伟", "010-62551234"
    db.session.commit()
    assert workflow.unit_contact(street) == ("张伟", "010-62551234")  # the unit's own contact comes first

    street.contact_name, street.contact_phone = None, None
    chain["l2"].first_name, chain["l2"].last_name, chain["l2"].phone = "刘", "晓燕", None
    gone = factories.account(roles.L2_CLERK, unit=street, first_name="王停用", phone="13800000001")
    gone.active = False
    reachable = factories.account(roles.L2_CLERK, unit=street, first_name="赵有电话", phone="13800000002")
    db.session.commit()
    # The first clerk has no phone: its name is kept, the phone comes from the next active clerk with one,
    # never from a deactivated account.
    assert workflow.unit_contact(street) == ("刘晓燕", "13800000002")

    street.contact_name = "张伟"
    db.session.commit()
    assert workflow.unit_contact(street) == ("张伟", "13800000002")  # a named contact without a phone: a clerk's phone
    street.contact_name, street.contact_phone = None, "010-62551234"
    db.session.commit()
    # A unit phone without a name: the name of a clerk who can be reached by phone too.
    assert workflow.unit_contact(street) == ("赵有电话", "010-62551234")
    reachable.active = False
    db.session.commit()
    street.contact_phone = None
    db.session.commit()
    assert workflow.unit_contact(street) == ("刘晓燕", "")  # nobody with a phone: the name alone
    assert gone.phone  # (the deactivated clerk's phone was there all along)


# --- 专家评审: the city office's picks (入围复审, 拟评选, 重点宣传 and their undo) ----------------------------------


@pytest.fixture
def review():
    """A campaign in 专家复审 with both rounds, 东城区's applications reported, the city office and a clerk."""
    from decimal import Decimal

    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.FINAL_REVIEW, at=NOW)
    district, (street,) = factories.district_with_streets("东城区", ("东华门街道",))
    initial = factories.review_round(campaign=campaign, stage="initial_review")
    final = factories.review_round(campaign=campaign, stage="final_review")
    city = factories.account(roles.CITY_OFFICE)
    experts = [factories.expert() for _ in range(3)]

    def applicant(name, status="reported"):
        person = factories.account(roles.APPLICANT, first_name=name)
        return factories.application(unit=street, applicant=person, campaign=campaign, status=status, name=name)

    def scored(round_, application, *totals):
        for expert, total in zip(experts, totals):
            factories.assignment(round_, application, expert, status="submitted",
                                 scores={c.key: Decimal(total) / 10 for c in round_.criteria})
        return application

    def close(round_):
        round_.closed_at, round_.closed_by_id = NOW, city.id
        db.session.commit()

    return {"campaign": campaign, "street": street, "initial": initial, "final": final, "city": city,
            "experts": experts, "applicant": applicant, "scored": scored, "close": close,
            "l1": factories.account(roles.L1_CLERK, unit=district),
            "auditor": factories.account(roles.AUDITOR)}


def history(application):
    return [(e.action, e.from_status, e.to_status, e.opinion)
            for e in db.session.query(ApplicationEvent).filter_by(application_id=application.id).order_by(ApplicationEvent.id)]


def test_shortlisting_waits_for_the_initial_round_to_close_and_is_recorded(review):
    first = review["scored"](review["initial"], review["applicant"]("甲"), 90)
    refused(review["city"], first, "shortlist", "专家初审尚未结束", opinion=None)
    review["close"](review["initial"])
    workflow.perform(review["city"], first.id, "shortlist")
    assert first.status == "shortlisted" and str(first.status_label) == "入围复审"
    assert history(first) == [("shortlist", "reported", "shortlisted", None)]
    assert db.session.query(AuditEvent).filter_by(action="application.shortlist").count() == 1
    assert str(workflow.labels()["shortlist"]) == "入围复审"
    workflow.perform(review["city"], first.id, "unshortlist")
    assert first.status == "reported" and history(first)[-1][:3] == ("unshortlist", "shortlisted", "reported")


@pytest.mark.parametrize("actor, message", [("l1", "角色不能"), ("auditor", "角色不能")])
def test_only_the_city_office_picks(review, actor, message):
    review["close"](review["initial"])
    application = review["scored"](review["initial"], review["applicant"]("甲"), 90)
    refused(review[actor], application, "shortlist", message)
    assert application.status == "reported"


def test_a_pick_from_the_wrong_state_is_refused(review):
    review["close"](review["initial"])
    application = review["applicant"]("甲", status="l1_rejected")
    refused(review["city"], application, "shortlist", "不能「入围复审」")
    refused(review["city"], review["applicant"]("乙", status="reported"), "candidate", "不能「拟评选」")


def test_the_shortlist_is_fixed_once_the_final_round_closes_or_its_review_started(review):
    review["close"](review["initial"])
    started = review["applicant"]("甲", status="shortlisted")
    factories.assignment(review["final"], started, review["experts"][0], status="draft",
                         scores={"values": 5})
    refused(review["city"], started, "unshortlist", "已有专家开始复审该报名")
    not_started = review["applicant"]("乙", status="shortlisted")
    factories.assignment(review["final"], not_started, review["experts"][1])  # assigned, not opened
    workflow.perform(review["city"], not_started.id, "unshortlist")
    review["close"](review["final"])
    refused(review["city"], review["applicant"]("丙"), "shortlist", "专家复审已结束")


def test_shortlisting_past_a_better_ranked_application_needs_a_reason(review):
    review["close"](review["initial"])
    best = review["scored"](review["initial"], review["applicant"]("甲"), 90, 80)
    second = review["scored"](review["initial"], review["applicant"]("乙"), 70, 60)
    with pytest.raises(workflow.WorkflowError) as refusal:
        workflow.perform(review["city"], second.id, "shortlist", "  ")
    assert refusal.value.status == 422 and "opinion" in refusal.value.errors
    assert "「乙」在专家初审排名中为第 2 名" in str(refusal.value) and "「甲」（第 1 名）" in str(refusal.value)
    db.session.expire_all()
    assert second.status == "reported"
    workflow.perform(review["city"], second.id, "shortlist", "基层一线代表")
    assert history(second)[-1] == ("shortlist", "reported", "shortlisted", "基层一线代表")
    workflow.perform(review["city"], best.id, "shortlist")  # the best remaining: no reason needed


def test_shortlist_top_k_includes_everyone_tied_with_the_kth(review):
    review["close"](review["initial"])
    for name, total in (("甲", 90), ("乙", 80), ("丙", 80), ("丁", 70)):
        review["scored"](review["initial"], review["applicant"](name), total)
    result = workflow.shortlist_top(review["city"], review["initial"].id, 2)
    assert result.tied_extra == 1 and not result.refused
    assert sorted(a.name for a in result.done) == ["丙", "乙", "甲"]
    assert db.session.query(ApplicationEvent).filter_by(action="shortlist").count() == 3
    with pytest.raises(workflow.WorkflowError) as bad:
        workflow.shortlist_top(review["city"], review["initial"].id, "abc")
    assert "k" in bad.value.errors
    with pytest.raises(workflow.WorkflowError, match="角色不能"):
        workflow.shortlist_top(review["l1"], review["initial"].id, 2)


def test_candidates_wait_for_the_final_round_and_keep_to_the_quota(review):
    campaign = review["campaign"]
    campaign.winner_quota, campaign.featured_quota = 2, 1
    db.session.commit()
    picks = [review["scored"](review["final"], review["applicant"](n, status="shortlisted"), t)
             for n, t in (("甲", 90), ("乙", 80), ("丙", 70))]
    refused(review["city"], picks[0], "candidate", "专家复审尚未结束", opinion=None)
    review["close"](review["final"])
    workflow.perform(review["city"], picks[0].id, "candidate")
    workflow.perform(review["city"], picks[1].id, "candidate")
    refused(review["city"], picks[2], "candidate", "拟评选名额已满：本批次最多 2 人，已有 2 人")
    workflow.perform(review["city"], picks[0].id, "feature")
    refused(review["city"], picks[1], "feature", "重点宣传名额已满：本批次最多 1 人，已有 1 人")
    assert workflow.pick_counts(campaign.id) == {"candidates": 2, "featured": 1}
    # Featured counts among the candidates; undoing frees the places again.
    workflow.perform(review["city"], picks[0].id, "unfeature")
    workflow.perform(review["city"], picks[1].id, "uncandidate")
    workflow.perform(review["city"], picks[2].id, "candidate", "代表性强")
    assert [p.status for p in picks] == ["candidate", "shortlisted", "candidate"]
    assert [h[0] for h in history(picks[0])] == ["candidate", "feature", "unfeature"]
    assert {str(workflow.labels()[a]) for a in ("candidate", "uncandidate", "feature", "unfeature")} == {
        "拟评选", "取消拟评选", "重点宣传", "取消重点宣传"}


def test_picking_candidates_and_featured_out_of_ranking_order_needs_a_reason(review):
    review["close"](review["final"])
    best = review["scored"](review["final"], review["applicant"]("甲", status="shortlisted"), 95)
    lower = review["scored"](review["final"], review["applicant"]("乙", status="shortlisted"), 85)
    refused(review["city"], lower, "candidate", "「乙」在专家复审排名中为第 2 名", opinion=None)
    workflow.perform(review["city"], lower.id, "candidate", "事迹突出")
    workflow.perform(review["city"], best.id, "candidate")
    refused(review["city"], lower, "feature", "排名更前的「甲」", opinion=None)
    workflow.perform(review["city"], best.id, "feature")
    workflow.perform(review["city"], lower.id, "feature")  # the best candidate is featured: in order now
    assert history(lower)[0][3] == "事迹突出"


def test_an_unscored_pick_ranks_below_every_scored_one(review):
    review["close"](review["final"])
    review["scored"](review["final"], review["applicant"]("甲", status="shortlisted"), 60)
    unscored = review["applicant"]("乙", status="shortlisted")
    refused(review["city"], unscored, "candidate", "为无评分", opinion=None)


def test_the_candidate_list_is_fixed_once_publicity_starts(review):
    review["close"](review["final"])
    application = review["scored"](review["final"], review["applicant"]("甲", status="shortlisted"), 90)
    publicity = review["campaign"].window(Stage.PUBLICITY)
    clock.freeze(publicity.starts_at)
    refused(review["city"], application, "candidate", "公示已开始", opinion=None)


def test_a_submission_checked_in_the_last_second_is_stamped_in_that_second(chain, monkeypatch):
    """The window is checked and the submission stamped at one reading of the clock: a submission let in at the
    deadline's last second was stamped a second later when the clock ticked in between (bench/spike.py straddles
    the deadline with hundreds of them), so an accepted application showed a time after the deadline."""
    open_stage(chain, Stage.APPLY)
    end = chain["campaign"].window(Stage.APPLY).ends_at
    application = factories.application(unit=chain["street"], status="draft", submitted_at=None)
    readings = iter([end] + [end + timedelta(seconds=1)] * 20)  # the clock ticks right after its first reading
    monkeypatch.setattr(clock, "now", lambda: next(readings))
    workflow.perform(application.applicant, application.id, "submit")
    db.session.expire_all()
    assert application.status == "submitted" and application.submitted_at == end
    assert [e.at for e in application.events if e.action == "submit"] == [end]
