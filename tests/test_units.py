"""app/units.py: one service behind the 一级单位/二级单位 screens and /api/v1/unit/, so both doors agree."""
from datetime import datetime

import pytest

from app import clock, roles, units
from app.extensions import db
from app.models import Stage, Unit
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)


@pytest.fixture
def tree():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    district, (with_account, with_application, bare) = factories.district_with_streets(
        "海淀区", ("中关村街道", "学院路街道", "上地街道"))
    factories.account(roles.L2_CLERK, unit=with_account)
    factories.application(unit=with_application, campaign=campaign)
    lonely = factories.unit(name="延庆区")
    return {"district": district, "with_account": with_account, "with_application": with_application, "bare": bare,
            "lonely": lonely, "l1": factories.account(roles.L1_CLERK, unit=district),
            "city": factories.account(roles.CITY_OFFICE)}


def refusal(call, *args):
    try:
        call(*args)
    except units.UnitError as refused:
        db.session.rollback()
        return str(refused)
    return None


HELD = "该单位已有账号、二级单位或报名，不能删除；可停用其账号"


@pytest.mark.parametrize("unit, actor, message", [
    ("with_account", "l1", HELD),
    ("with_application", "l1", HELD),
    ("district", "city", HELD),  # its streets hang on it
    ("district", "l1", "只能删除本单位的二级单位"),
    ("bare", "l1", None),
    ("lonely", "city", None),
])
def test_the_screen_and_the_api_refuse_the_same_deletes_with_the_same_words(app, tree, unit, actor, message):
    assert refusal(units.check_delete, tree[actor], tree[unit]) == message
    unit_id = tree[unit].id
    view = "first-level" if tree[unit].level == 1 else "second-level"
    client = factories.login(app.test_client(), tree[actor])
    api = client.delete(f"/api/v1/unit/{unit_id}")
    page = client.post(f"/units/{view}/delete/{unit_id}", follow_redirects=True)
    if message is None:
        assert api.status_code == 200
        db.session.expire_all()
        assert db.session.get(Unit, unit_id) is None
    else:
        assert api.json["message"] == message and api.status_code in (403, 422)
        # The 一级单位 screen is not open to a first-level clerk at all (no write permission): 403 before asking.
        assert message in page.text or (view == "first-level" and actor == "l1" and page.status_code == 403)
        db.session.expire_all()
        assert db.session.get(Unit, unit_id) is not None


def test_outside_the_window_a_first_level_clerk_changes_no_street_through_either_door(app, tree):
    clock.freeze(datetime(2026, 12, 1))
    assert "过期无效" in refusal(units.check_update, tree["l1"], tree["bare"])
    client = factories.login(app.test_client(), tree["l1"])
    response = client.put(f"/api/v1/unit/{tree['bare'].id}", json={"name": "改名街道"})
    assert response.status_code == 403 and "过期无效" in response.json["message"]
    page = client.post(f"/units/second-level/edit/{tree['bare'].id}", data={"name": "改名街道"}, follow_redirects=True)
    assert "过期无效" in page.text
    db.session.expire_all()
    assert db.session.get(Unit, tree["bare"].id).name == "上地街道"
    assert refusal(units.check_update, tree["city"], tree["bare"]) is None  # the city office helps any time


def test_a_first_level_unit_is_the_city_offices_to_create(tree):
    assert refusal(units.check_create, tree["l1"], Unit(name="新区", category="district")) == "一级单位由市学习办创建"
    assert refusal(units.check_create, tree["l1"], Unit(name="偷建街道", parent=tree["lonely"])) == "只能在本单位下创建二级单位"
    street = Unit(name="清河街道", parent=tree["district"])
    assert refusal(units.check_create, tree["l1"], street) is None and street.level == 2
