"""app/experts.py: experts, panels, conflicts and round settings as the city office sets them up."""
from datetime import datetime

import pytest
from flask import current_app
from werkzeug.security import check_password_hash

from app import clock, experts, rounds, roles
from app.extensions import db
from app.models import AuditEvent, ExpertConflict, ExpertPanelMember, Stage
from tests import factories


@pytest.fixture
def city():
    return factories.account(roles.CITY_OFFICE, username="city")


def new(city, **fields):
    data = experts.ExpertInput(**{"name": "张明", "employer": "北京开放大学", "phone": "13911112222", **fields})
    expert, password = experts.create_expert(current_app.appbuilder.sm, city, data)
    db.session.commit()
    return expert, password


def test_an_expert_gets_an_account_with_a_generated_password_to_change(city):
    expert, password = new(city, field="终身教育")
    account = expert.account
    assert account.username == "expert1" and account.first_name == "张明" and account.phone == "13911112222"
    assert {r.name for r in account.roles} == {roles.EXPERT}
    assert account.must_change_password and check_password_hash(account.password, password)
    assert expert.employer == "北京开放大学" and expert.field == "终身教育"
    second, _ = new(city, name="李红", phone="13911113333")
    assert second.account.username == "expert2"
    events = {e.object_type for e in db.session.query(AuditEvent)}
    assert {"account", "expert"} <= events
    assert all(password not in str(e.detail) for e in db.session.query(AuditEvent))


def test_every_bad_field_is_named_at_once(city):
    factories.account(roles.APPLICANT, username="13911112222", phone="13911112222")
    with pytest.raises(experts.ExpertError) as refused:
        new(city, name=" ", employer="", phone="13911112222", username="x")
    errors = experts.field_errors(refused.value)
    assert errors["name"] == ["请填写专家姓名"] and errors["employer"] == ["请填写工作单位"]
    assert "已用于账号" in errors["phone"][0] and "username" in errors
    with pytest.raises(experts.ExpertError) as refused:
        new(city, phone="010-82364980")
    assert refused.value.field == "phone" and "手机号" in str(refused.value)


def test_only_the_city_office_manages_experts():
    auditor = factories.account(roles.AUDITOR)
    with pytest.raises(experts.Forbidden):
        new(auditor)


def test_an_employer_unit_is_one_of_the_portals_units_and_deactivation_is_audited(city):
    district, (street, _) = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    expert, _ = new(city, employer_unit_id=street.id)
    assert expert.employer_unit == street
    experts.update_expert(city, expert, experts.ExpertInput(name="张明明", employer="东华门街道办事处",
                                                              phone="139 1111 2222", employer_unit_id=None),
                          active=False)
    db.session.commit()
    assert expert.account.first_name == "张明明" and expert.employer_unit is None and not expert.account.active
    assert db.session.query(AuditEvent).filter_by(action="expert.deactivated").count() == 1


# --- panels ---------------------------------------------------------------------------------------------------

@pytest.fixture
def setup(city):
    campaign = factories.campaign()
    review_round = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    db.session.commit()
    east = factories.unit("东城区")
    west = factories.unit("西城区")
    people = [factories.expert(username=f"e{i}", first_name=f"专家{i}") for i in range(4)]
    return dict(campaign=campaign, round=review_round, east=east, west=west, experts=people, city=city)


def test_a_panel_takes_experts_and_first_level_units(setup):
    s = setup
    panel = experts.save_panel(s["city"], s["round"], "第一组", [e.id for e in s["experts"][:2]], [s["east"].id])
    db.session.commit()
    assert panel.experts == s["experts"][:2] and [u.unit for u in panel.units] == [s["east"]]
    rest = experts.save_panel(s["city"], s["round"], "第二组", [s["experts"][2].id], [])
    db.session.commit()
    assert rest.units == []
    # Changing members keeps the others.
    experts.save_panel(s["city"], s["round"], "第一组", [s["experts"][0].id, s["experts"][3].id], [s["east"].id],
                       panel=panel)
    db.session.commit()
    assert {e.name for e in panel.experts} == {"专家0", "专家3"}
    assert db.session.query(AuditEvent).filter_by(object_type="expert_panel").count() == 3


def test_a_panel_refuses_a_taken_expert_a_taken_unit_and_a_second_catch_all(setup):
    s = setup
    experts.save_panel(s["city"], s["round"], "第一组", [s["experts"][0].id], [s["east"].id])
    experts.save_panel(s["city"], s["round"], "其余", [s["experts"][1].id], [])
    db.session.commit()
    with pytest.raises(experts.ExpertError) as refused:
        experts.save_panel(s["city"], s["round"], "第一组", [s["experts"][0].id], [s["east"].id])
    errors = experts.field_errors(refused.value)
    assert "已有名为「第一组」" in errors["name"][0]
    assert "专家0 已在本轮的「第一组」中" in errors["experts"][0]
    assert "东城区 已由本轮的「第一组」评审" in errors["units"][0]
    with pytest.raises(experts.ExpertError) as refused:
        experts.save_panel(s["city"], s["round"], "第三组", [s["experts"][2].id], [])
    assert refused.value.field == "units" and "其余" in str(refused.value)
    with pytest.raises(experts.ExpertError) as refused:
        experts.save_panel(s["city"], s["round"], "第三组", [], [factories.unit(parent=s["west"]).id])
    assert set(experts.field_errors(refused.value)) == {"experts", "units"}


def test_the_database_refuses_a_second_panel_for_an_expert(setup):
    from sqlalchemy.exc import IntegrityError

    s = setup
    one = factories.panel(s["round"], [s["experts"][0]])
    two = factories.panel(s["round"], [])
    db.session.add(ExpertPanelMember(panel_id=two.id, round_id=s["round"].id, expert=s["experts"][0]))
    with pytest.raises(IntegrityError) as clash:
        db.session.commit()
    db.session.rollback()
    assert experts.panel_conflict(clash.value).field == "experts"
    assert one.experts == [s["experts"][0]]


def test_copy_initial_panels_to_final(setup):
    s = setup
    experts.save_panel(s["city"], s["round"], "第一组", [s["experts"][0].id], [s["east"].id])
    db.session.commit()
    final = rounds.round_for(s["campaign"], Stage.FINAL_REVIEW)
    assert experts.copy_panels(s["city"], s["round"], final) == 1
    db.session.commit()
    assert [p.name for p in final.panels] == ["第一组"] and final.panels[0].experts == [s["experts"][0]]
    assert experts.copy_panels(s["city"], s["round"], final) == 0


# --- conflicts ------------------------------------------------------------------------------------------------

def test_conflicts_with_a_unit_or_one_application(setup):
    s = setup
    street = factories.unit("朝阳门街道", parent=s["east"])
    reported = factories.application(unit=street, campaign=s["campaign"], status="reported")
    draft = factories.application(unit=street, campaign=s["campaign"], status="draft")
    expert = s["experts"][0]
    experts.add_conflict(s["city"], expert, unit_id=s["east"].id, reason="曾在东城区任职", campaign=s["campaign"])
    experts.add_conflict(s["city"], expert, application_id=reported.id, reason="亲属", campaign=s["campaign"])
    db.session.commit()
    assert {(c.unit_id, c.application_id) for c in expert.conflicts} == {(s["east"].id, None), (None, reported.id)}
    for kwargs, field in (
        (dict(unit_id=s["east"].id), "unit"),  # twice
        (dict(application_id=draft.id), "application"),  # a draft is nobody's to review
        (dict(), "unit"),  # neither
        (dict(unit_id=s["west"].id, application_id=reported.id), "unit"),  # both
    ):
        with pytest.raises(experts.ExpertError) as refused:
            experts.add_conflict(s["city"], expert, campaign=s["campaign"], **kwargs)
        assert refused.value.field == field, kwargs
    conflict = expert.conflicts[0]
    experts.delete_conflict(s["city"], conflict)
    db.session.commit()
    assert db.session.query(ExpertConflict).count() == 1
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(object_type="expert_conflict")]
    assert actions.count("expert_conflict.create") == 2 and "expert_conflict.delete" in actions


# --- round settings -------------------------------------------------------------------------------------------

def criteria_of(review_round, **changes):
    return {c.id: experts.CriterionInput(changes.get(c.key, (c.label, c.weight, c.max_score))[0],
                                         changes.get(c.key, (c.label, c.weight, c.max_score))[1],
                                         changes.get(c.key, (c.label, c.weight, c.max_score))[2])
            for c in review_round.criteria}


def test_round_settings_before_the_window_opens(setup):
    s = setup
    review_round = s["round"]
    window = s["campaign"].window(Stage.INITIAL_REVIEW)
    clock.freeze(datetime(window.starts_at.year, 1, 1))
    changed = criteria_of(review_round, values=("思想品德", 30, 5))
    experts.update_round(s["city"], review_round, "5", changed)
    db.session.commit()
    first = review_round.criteria[0]
    assert (review_round.experts_per_application, first.label, first.weight, first.max_score) == (5, "思想品德", 30, 5)
    logged = db.session.query(AuditEvent).filter_by(action="review_round.update").one()
    assert logged.detail["experts_per_application"] == [3, 5]
    assert logged.detail["培育和弘扬社会主义核心价值观"][1] == "思想品德（权重 30，满分 5）"
    with pytest.raises(experts.ExpertError) as refused:
        experts.update_round(s["city"], review_round, 16, criteria_of(review_round, values=("", 0, 101)))
    errors = experts.field_errors(refused.value)
    key = f"criteria-{first.id}-"
    assert errors["experts_per_application"] == ["每份申报的评审专家人数须为 1–15 的整数"]
    assert errors[key + "label"] == ["请填写评分项名称"] and "权重" in errors[key + "weight"][0]
    assert "满分" in errors[key + "max_score"][0]
    db.session.rollback()

    clock.freeze(window.starts_at)
    with pytest.raises(experts.Forbidden) as refused:
        experts.update_round(s["city"], review_round, 3, criteria_of(review_round))
    assert "已于" in str(refused.value) and "不能再修改" in str(refused.value)
