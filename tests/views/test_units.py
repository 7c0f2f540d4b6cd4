"""一级单位 / 二级单位 screens through HTTP: who may create what, when, and what bad input looks like."""
from datetime import datetime

from app import clock, roles
from app.extensions import db
from app.models import Account, AuditEvent, Stage, Unit, UnitCategory
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)


def _l1_clerk(client, stage=Stage.UNIT_ACCOUNTS):
    clock.freeze(NOW)
    factories.campaign(year=2026, open_stage=stage, at=NOW)
    district, streets = factories.district_with_streets()
    clerk = factories.account(roles.L1_CLERK, unit=district)
    factories.login(client, clerk)
    return district, streets, clerk


def test_city_office_creates_a_first_level_unit(client):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.post(
        "/units/first-level/add",
        data={"name": "顺义区", "category": UnitCategory.DISTRICT.value, "code": "shunyi", "contact_phone": "82364980"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    unit = db.session.query(Unit).filter_by(name="顺义区").one()
    assert unit.level == 1 and unit.parent_id is None
    assert unit.contact_phone == "010-82364980"
    assert db.session.query(AuditEvent).filter_by(action="unit.create", object_id=str(unit.id)).count() == 1


def test_duplicate_first_level_name_is_refused_at_the_field_keeping_the_input(client):
    factories.unit(name="顺义区")
    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.post(
        "/units/first-level/add",
        data={"name": "顺义区", "category": "district", "contact_name": "张三", "contact_phone": "12"},
    )
    assert response.status_code == 200
    assert "一级单位下已有名为「顺义区」的单位" in response.text
    assert "电话号码无效" in response.text
    assert 'value="张三"' in response.text
    assert db.session.query(Unit).filter_by(name="顺义区").count() == 1


def test_first_level_clerk_adds_a_street_under_its_own_district_in_the_window(client):
    district, _, _ = _l1_clerk(client)
    response = client.post(
        "/units/second-level/add", data={"parent": district.id, "name": "上地街道"}, follow_redirects=True
    )
    assert response.status_code == 200
    street = db.session.query(Unit).filter_by(name="上地街道").one()
    assert (street.level, street.parent_id, street.category) == (2, district.id, district.category)


def test_a_first_level_clerks_own_district_is_chosen_already_and_the_new_street_is_shown_after_saving(client):
    """Found by the rehearsal: the parent was left at 请选择 (a save then refused as 一级单位由市学习办创建), and after
    saving the list opened on page 1, where a street added last under a district of 30 is not."""
    district, _, _ = _l1_clerk(client)
    for n in range(30):
        factories.unit(name=f"街道{n}", parent=district)
    form = client.get("/units/second-level/add").text
    assert f'<option selected value="{district.id}">' in form or f'value="{district.id}" selected' in form, form
    response = client.post("/units/second-level/add", data={"parent": district.id, "name": "上地街道"})
    street = db.session.query(Unit).filter_by(name="上地街道").one()
    assert response.status_code == 302 and response.location.endswith(f"/units/second-level/show/{street.id}")
    assert "上地街道" in client.get(response.location).text


def test_first_level_clerk_cannot_add_under_another_district(client):
    _l1_clerk(client)
    other = factories.unit(name="朝阳区")
    response = client.post("/units/second-level/add", data={"parent": other.id, "name": "建外街道"})
    assert db.session.query(Unit).filter_by(name="建外街道").count() == 0
    assert response.status_code in (200, 302)


def test_second_level_name_must_be_free_under_its_parent(client):
    district, streets, _ = _l1_clerk(client)
    response = client.post("/units/second-level/add", data={"parent": district.id, "name": streets[0].name})
    assert "海淀区下已有名为「中关村街道」的单位" in response.text


def test_outside_the_window_the_clerk_is_told_and_nothing_is_created(client):
    district, _, _ = _l1_clerk(client, stage=Stage.APPLY)
    response = client.post(
        "/units/second-level/add", data={"parent": district.id, "name": "上地街道"}, follow_redirects=True
    )
    assert "过期无效" in response.text
    assert db.session.query(Unit).filter_by(name="上地街道").count() == 0


def test_city_office_may_add_second_level_units_any_time(client):
    clock.freeze(NOW)
    factories.campaign(year=2026, open_stage=Stage.FINAL_REVIEW, at=NOW)
    district = factories.unit(name="海淀区")
    factories.login(client, factories.account(roles.CITY_OFFICE))
    client.post("/units/second-level/add", data={"parent": district.id, "name": "上地街道"})
    assert db.session.query(Unit).filter_by(name="上地街道", parent_id=district.id).count() == 1


def test_second_level_clerk_sees_only_its_own_unit(client):
    district, streets = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=streets[0])
    factories.login(client, clerk)
    page = client.get("/units/second-level/list/").text
    assert streets[0].name in page and streets[1].name not in page
    assert client.get("/units/second-level/add").status_code in (302, 403)


def test_each_field_says_what_is_wrong_once(client):
    """Thousands of characters in every field: one message per field (the unit's name said its length three times,
    twice in FAB's words: FAB appended its Length to the list the add and the edit form share), and a number that is
    no number is only 「不是有效的整数」, not also 「数值超出范围」."""
    import re

    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.post("/units/first-level/add", data={"name": "长" * 5000, "category": "district",
                                                           "contact_name": "长" * 5000, "contact_phone": "1" * 5000})
    errors = [" ".join(m.split()) for m in re.findall(r'<div class="alert alert-danger">(.*?)</div>', response.text, re.S)]
    assert errors == ["单位名称不能超过 100 个字", "字段长度不能超过 50 个字符。",
                      "电话号码无效：请填写 11 位手机号或带区号的固定电话"]
    response = client.post("/campaigns/add", data={"name": "第十批", "year": "2031", "winner_quota": "abc",
                                                   "featured_quota": "2"})
    errors = [" ".join(m.split()) for m in re.findall(r'<div class="alert alert-danger">(.*?)</div>', response.text, re.S)]
    assert errors == ["不是有效的整数。"]
