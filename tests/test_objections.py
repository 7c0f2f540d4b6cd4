"""app/objections.py: lodging an objection during 公示 only and against a candidate only, the office's steps
(受理 → 核实 → 办结, or 不予受理) with their required texts, the lookup by receipt and phone, and an audit log that
never names the objector."""
import json
from datetime import datetime, timedelta

import pytest

from app import clock, objections, roles, schedule
from app.extensions import db
from app.models import AuditEvent, Objection, ObjectionEvent, Stage
from app.workflow import WorkflowError
from tests import factories

NOW = datetime(2026, 7, 10, 10, 0)
FACTS = "该候选人所报的“社区学习带头人”称号并不存在，所在社区从未组织过相关评选活动。"


@pytest.fixture
def publicity():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.PUBLICITY, at=NOW)
    candidate, featured = factories.candidates(2, campaign, featured=1)
    return campaign, candidate, featured


def lodge(campaign, application, **overrides):
    values = dict(application_id=application.id, objector_name="李四", objector_phone="139 1158 8771",
                  objector_unit="西城区某街道", facts=FACTS)
    values.update(overrides)
    return objections.lodge(campaign, **values)


def test_lodged_with_a_receipt_an_event_by_the_public_and_a_normalised_phone(publicity):
    campaign, candidate, _featured = publicity
    objection = lodge(campaign, candidate)
    assert objection.receipt_number.startswith("YY2026-") and len(objection.receipt_number) == 13
    assert objection.status == "received" and objection.objector_phone == "13911588771"
    assert objection.lodged_at == NOW
    assert [(e.action, e.actor_name, e.to_status) for e in objection.events] == [("lodge", "public", "received")]


@pytest.mark.parametrize("moment, words", [
    (NOW - timedelta(days=20), "公示开始后方可提出异议"),
    (NOW + timedelta(days=20), "已结束，不再受理异议"),
])
def test_outside_the_publicity_window_refused_with_its_dates(publicity, moment, words):
    campaign, candidate, _featured = publicity
    window = campaign.window(Stage.PUBLICITY)
    clock.freeze(moment)
    with pytest.raises(WorkflowError) as refused:
        lodge(campaign, candidate)
    message = str(refused.value)
    assert words in message
    assert schedule.format_time(window.starts_at) in message and schedule.format_time(window.ends_at) in message
    assert db.session.query(Objection).count() == 0


def test_only_a_current_candidate_may_be_objected_to(publicity):
    campaign, _candidate, featured = publicity
    lodge(campaign, featured)  # 重点宣传 is a candidate too
    for status in ("shortlisted", "withdrawn", "reported"):
        other = factories.application(campaign=campaign, status=status, unit=featured.unit,
                                     id_number=factories.id_number())
        with pytest.raises(WorkflowError) as refused:
            lodge(campaign, other)
        assert refused.value.errors == {"application_id": "该人员不在本次公示的候选人名单中"}
    another_campaign = factories.candidates(1, factories.campaign(year=2025))[0]
    with pytest.raises(WorkflowError) as refused:
        lodge(campaign, another_campaign)
    assert "application_id" in refused.value.errors


def test_each_bad_field_is_named(publicity):
    campaign, candidate, _featured = publicity
    with pytest.raises(WorkflowError) as refused:
        lodge(campaign, candidate, application_id="", objector_name=" ", objector_phone="010-12", facts="太短")
    assert set(refused.value.errors) == {"application_id", "objector_name", "objector_phone", "facts"}
    assert refused.value.errors["facts"] == "请具体写明异议的事实和理由（至少 20 个字）"
    assert "手机号码" in refused.value.errors["objector_phone"]
    with pytest.raises(WorkflowError) as refused:
        lodge(campaign, candidate, facts="事" * 2001)
    assert refused.value.errors == {"facts": "异议内容不能超过 2000 个字（现有 2001 个字）"}
    lodge(campaign, candidate, facts="事" * 2000)


def test_a_receipt_clash_draws_again(publicity, monkeypatch):
    campaign, candidate, _featured = publicity
    first = lodge(campaign, candidate)
    numbers = iter([first.receipt_number, "YY2026-ABCDEF"])
    monkeypatch.setattr(Objection, "new_receipt_number", staticmethod(lambda year: next(numbers)))
    assert lodge(campaign, candidate).receipt_number == "YY2026-ABCDEF"


def test_the_office_accepts_verifies_and_concludes_with_finding_and_text(publicity):
    campaign, candidate, _featured = publicity
    office = factories.account(roles.CITY_OFFICE)
    objection = lodge(campaign, candidate)
    objections.perform(office, objection.id, "accept")
    with pytest.raises(WorkflowError, match="不能「办结」"):
        objections.perform(office, objection.id, "conclude", "unfounded", "不属实")
    objections.perform(office, objection.id, "verify", text="已联系所在社区")
    with pytest.raises(WorkflowError) as refused:
        objections.perform(office, objection.id, "conclude", None, " ")
    assert refused.value.errors == {"finding": "请选择核实结论", "text": "请填写办理结论（将告知异议人）"}
    with pytest.raises(WorkflowError) as refused:
        objections.perform(office, objection.id, "conclude", "maybe", "经核实……")
    assert set(refused.value.errors) == {"finding"}
    done = objections.perform(office, objection.id, "conclude", "partly_upheld", "经核实，反映问题部分属实。")
    assert (done.status, done.finding, done.conclusion, done.concluded_at) == (
        "concluded", "partly_upheld", "经核实，反映问题部分属实。", NOW)
    assert [e.action for e in done.events] == ["lodge", "accept", "verify", "conclude"]
    assert done.events[2].note == "已联系所在社区" and done.events[3].actor_name == office.username
    with pytest.raises(WorkflowError):
        objections.perform(office, objection.id, "dismiss", text="晚了")


def test_dismissal_needs_its_reason_and_only_before_acceptance(publicity):
    campaign, candidate, _featured = publicity
    office = factories.account(roles.CITY_OFFICE)
    objection = lodge(campaign, candidate)
    with pytest.raises(WorkflowError) as refused:
        objections.perform(office, objection.id, "dismiss")
    assert refused.value.errors == {"text": "请填写不予受理的理由（将告知异议人）"}
    done = objections.perform(office, objection.id, "dismiss", finding="upheld", text="未反映候选人的具体事实。")
    assert (done.status, done.finding, done.conclusion) == ("dismissed", None, "未反映候选人的具体事实。")
    accepted = factories.objection(candidate, status="accepted")
    with pytest.raises(WorkflowError, match="不能「不予受理」"):
        objections.perform(office, accepted.id, "dismiss", text="理由")


def test_handling_goes_on_after_the_period_ends(publicity):
    campaign, candidate, _featured = publicity
    objection = lodge(campaign, candidate)
    clock.freeze(NOW + timedelta(days=30))
    office = factories.account(roles.CITY_OFFICE)
    assert objections.perform(office, objection.id, "accept").status == "accepted"


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT])
def test_only_the_city_office_handles(publicity, role):
    campaign, candidate, _featured = publicity
    objection = lodge(campaign, candidate)
    with pytest.raises(WorkflowError) as refused:
        objections.perform(factories.account(role), objection.id, "accept")
    assert refused.value.status == 403
    assert objections.allowed_actions(factories.account(role), objection) == []
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).status == "received"


def test_unknown_action_and_objection(publicity):
    office = factories.account(roles.CITY_OFFICE)
    with pytest.raises(WorkflowError) as refused:
        objections.perform(office, 1, "approve")
    assert refused.value.status == 400
    with pytest.raises(WorkflowError) as refused:
        objections.perform(office, 999999, "accept")
    assert refused.value.status == 404


def test_lookup_gives_one_answer_for_a_wrong_receipt_and_a_wrong_phone(publicity):
    campaign, candidate, _featured = publicity
    objection = lodge(campaign, candidate)
    receipt = objection.receipt_number
    typed = " " + receipt.lower().replace("-", "") + " "
    assert objections.lookup(typed, "13911588771").id == objection.id
    assert objections.lookup(receipt, "139-1158-8771").id == objection.id
    assert objections.lookup(receipt, "13800138000") is None
    assert objections.lookup(receipt[:-1] + ("2" if receipt[-1] != "2" else "3"), "13911588771") is None
    assert objections.lookup(receipt, "not a phone") is None
    assert objections.lookup("", "") is None


def test_the_audit_log_never_names_the_objector(publicity):
    campaign, candidate, _featured = publicity
    office = factories.account(roles.CITY_OFFICE)
    objection = lodge(campaign, candidate, objector_name="欧阳异议", objector_phone="13612345678",
                      objector_unit="某某小区")
    objections.perform(office, objection.id, "accept", text="欧阳异议来电补充材料")
    objections.perform(office, objection.id, "verify")
    objections.perform(office, objection.id, "conclude", "unfounded", "已电话告知欧阳异议（13612345678）")
    events = db.session.query(AuditEvent).filter(AuditEvent.object_type == "objection").order_by(AuditEvent.id).all()
    assert [e.action for e in events] == ["objection.lodge", "objection.accept", "objection.verify",
                                          "objection.conclude"]
    assert all(objection.receipt_number in e.object_label and candidate.name in e.object_label for e in events)
    logged = json.dumps([[e.object_label, e.detail, e.actor_name] for e in db.session.query(AuditEvent)],
                        ensure_ascii=False, default=str)
    for secret in ("欧阳异议", "13612345678", "某某小区", FACTS[:10]):
        assert secret not in logged
    assert events[-1].detail["finding"] == "unfounded"
    assert db.session.query(ObjectionEvent).count() == 4
