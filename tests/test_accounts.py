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


# The password policy (password_complexity, FAB_PASSWORD_COMPLEXITY_VALIDATOR) and the change it makes due.

WEAK = ["Password1!", "Aa1!Aa1!", "P@ssw0rd2026", "Qwerty123!", "Beijing2026!", "Abcd1234!", "Xk7#mPq2"]
TOO_SIMPLE = ["short1!", "alllowercase", "ALLUPPER123", "12345678901"]


@pytest.mark.parametrize("password", WEAK)
def test_common_and_guessable_passwords_are_refused(app, password):
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    with pytest.raises(PasswordComplexityValidationError, match="过于常见或容易被猜到"):
        accounts.password_complexity(password)


@pytest.mark.parametrize("password", TOO_SIMPLE)
def test_short_or_two_class_passwords_are_refused(app, password):
    from flask_appbuilder.exceptions import PasswordComplexityValidationError

    with pytest.raises(PasswordComplexityValidationError, match="至少 8 位.*至少三类"):
        accounts.password_complexity(password)


def test_the_demo_password_and_generated_passwords_pass(app):
    accounts.password_complexity(app.config["DEMO_PASSWORD"])
    for password in ("Xq7#mountain-lark", "Mine#2026x", "tRk8-vb2z-Lm4q"):
        accounts.password_complexity(password)
    for _ in range(50):
        accounts.password_complexity(accounts.generate_password())


def test_a_password_change_is_due_every_90_days_for_staff_but_not_for_citizens(app, security_timeouts):
    clock.freeze(NOW)
    street = factories.unit(parent=factories.unit())
    staff = [factories.account(role, unit=street if role == roles.L2_CLERK else None)
             for role in (roles.L2_CLERK, roles.CITY_OFFICE, roles.EXPERT, roles.ADMIN, roles.AUDITOR)]
    citizen = factories.account(roles.APPLICANT)
    assert staff[0].password_changed_at == NOW
    clock.freeze(datetime(2026, 6, 27, 9, 59))  # 89 days on
    assert [accounts.password_change_due(a) for a in staff + [citizen]] == [None] * 6
    clock.freeze(datetime(2026, 6, 28, 10, 0))  # 90 days on
    assert [accounts.password_change_due(a) for a in staff] == ["expired"] * 5
    assert accounts.password_change_due(citizen) is None
    staff[0].must_change_password = True
    assert accounts.password_change_due(staff[0]) == "initial"


def test_my_own_page_shows_name_unit_and_roles_in_words(app):
    """个人信息 (/users/userinfo/): 姓名, 所属单位 and 角色 as the person knows them; not the placeholder e-mail the
    portal gives accounts, an empty 姓, nor the role list's brackets."""
    _district, (street, _sibling) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-info", first_name="张伟")
    page = factories.login(app.test_client(), clerk).get("/users/userinfo/").text
    for text in ("姓名", "张伟", "所属单位", street.name, "角色", "二级单位"):
        assert text in page, text
    for raw in ("accounts.invalid", "[二级单位]", ">姓<", "电子邮箱", "Email"):
        assert raw not in page, raw
