"""app/accounts.py: the commands check who acts, whatever door they come through."""
from datetime import datetime

import pytest

from app import accounts, clock, roles
from app.extensions import db
from app.models import Account, Stage
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)


@pytest.fixture
def units():
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    haidian, (zhongguancun,) = factories.district_with_streets("海淀区", ("中关村街道",))
    chaoyang, (jianwai,) = factories.district_with_streets("朝阳区", ("建外街道",))
    return {"haidian": haidian, "zhongguancun": zhongguancun, "chaoyang": chaoyang, "jianwai": jianwai,
            "l1": factories.account(roles.L1_CLERK, unit=haidian)}


@pytest.mark.parametrize("role", [roles.L1_CLERK, roles.L2_CLERK, roles.AUDITOR, roles.APPLICANT])
def test_only_the_city_office_resets_passwords(units, role):
    clerk = factories.account(roles.L2_CLERK, unit=units["zhongguancun"])
    before = clerk.password
    actor = factories.account(role, unit=units["haidian"] if role == roles.L1_CLERK else None)
    with pytest.raises(accounts.NotAllowed, match="只有市学习办可以重置密码"):
        accounts.reset_password(actor, clerk)
    db.session.rollback()
    db.session.refresh(clerk)
    assert clerk.password == before and not clerk.must_change_password
    password = accounts.reset_password(factories.account(roles.CITY_OFFICE), clerk)
    assert password and clerk.must_change_password


def test_a_citizens_password_is_not_the_desks_to_reset(units):
    citizen = factories.account(roles.APPLICANT)
    with pytest.raises(accounts.NotAllowed):
        accounts.reset_password(factories.account(roles.CITY_OFFICE), citizen)


def test_a_first_level_clerk_creates_accounts_only_for_its_own_second_level_units(app, units):
    sm = app.appbuilder.sm
    for unit in (units["jianwai"], units["haidian"], units["chaoyang"]):
        with pytest.raises(accounts.NotAllowed, match="只能为本单位的二级单位创建账号") as refused:
            accounts.new_unit_account(sm, units["l1"], unit, "l2-sneaky", "张")
        assert refused.value.field == "unit"
        db.session.rollback()
    account, password = accounts.new_unit_account(sm, units["l1"], units["zhongguancun"], "l2-zgc", "张伟")
    db.session.commit()
    assert account.role_names == {roles.L2_CLERK} and account.must_change_password and password


def test_outside_its_window_a_first_level_clerk_creates_no_account_but_the_city_office_does(app, units):
    clock.freeze(datetime(2026, 12, 1))
    sm = app.appbuilder.sm
    with pytest.raises(accounts.NotAllowed, match="过期无效"):
        accounts.new_unit_account(sm, units["l1"], units["zhongguancun"], "l2-late", "张")
    db.session.rollback()
    accounts.new_unit_account(sm, factories.account(roles.CITY_OFFICE), units["zhongguancun"], "l2-desk", "李")
    db.session.commit()
    assert db.session.query(Account).filter_by(username="l2-desk").count() == 1
