"""单位账号 through HTTP: generated passwords shown once, forced change at first login, the support desk's reset."""
import re
from datetime import datetime

from app import clock, roles
from app.extensions import db
from app.models import Account, AuditEvent, Stage
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)


def _created_password(response) -> str:
    match = re.search(r"初始密码：(\S+) 。", response.text)
    assert match, "the new password is shown once"
    return match.group(1)


def test_first_level_clerk_creates_a_street_account_and_its_holder_must_change_the_password(app, client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    district, (street, _) = factories.district_with_streets()
    factories.login(client, factories.account(roles.L1_CLERK, unit=district))

    response = client.post(
        "/accounts/add",
        data={"unit": street.id, "username": "l2-haidian-zhongguancun", "first_name": "王芳", "phone": "13911588771"},
        follow_redirects=True,
    )
    password = _created_password(response)
    account = db.session.query(Account).filter_by(username="l2-haidian-zhongguancun").one()
    assert account.unit == street and account.role_names == {roles.L2_CLERK}
    assert account.must_change_password
    assert password not in client.get("/accounts/list/").text  # shown once only

    holder = app.test_client()
    factories.login(holder, "l2-haidian-zhongguancun", password)
    response = holder.get("/units/second-level/list/")
    assert response.status_code == 302 and "/resetmypassword/form" in response.location
    response = holder.post(
        "/resetmypassword/form", data={"password": "Mine#2026x", "conf_password": "Mine#2026x"}, follow_redirects=True
    )
    assert response.status_code == 200
    db.session.refresh(account)
    assert not account.must_change_password
    assert holder.get("/units/second-level/list/").status_code == 200
    events = db.session.query(AuditEvent).filter_by(object_type="account", object_id=str(account.id))
    actions = [e.action for e in events.order_by(AuditEvent.id)]
    assert actions == ["account.create", "account.signin", "account.password_changed"]


def test_a_weak_own_password_is_refused_in_chinese(app, client):
    account = factories.account(roles.L2_CLERK, unit=factories.unit(), must_change_password=True)
    factories.login(client, account)
    response = client.post("/resetmypassword/form", data={"password": "12345678", "conf_password": "12345678"})
    assert "密码至少 8 位，须同时包含字母、数字和符号" in response.text


def test_username_rules_and_uniqueness_are_reported_at_the_field(client):
    factories.account(roles.CITY_OFFICE, username="taken")
    factories.login(client, factories.account(roles.CITY_OFFICE))
    district = factories.unit()
    response = client.post("/accounts/add", data={"unit": district.id, "username": "taken", "first_name": "李"})
    assert "账号用户名 taken 已被使用" in response.text
    response = client.post("/accounts/add", data={"unit": district.id, "username": "中文名", "first_name": "李"})
    assert "账号用户名为 3–64 位字母" in response.text
    assert 'value="李"' in response.text


def test_first_level_clerk_cannot_create_accounts_after_the_window(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, (street, _) = factories.district_with_streets()
    factories.login(client, factories.account(roles.L1_CLERK, unit=district))
    response = client.post(
        "/accounts/add", data={"unit": street.id, "username": "late-clerk", "first_name": "迟到"}, follow_redirects=True
    )
    assert "过期无效" in response.text
    assert db.session.query(Account).filter_by(username="late-clerk").count() == 0


def test_city_office_resets_a_first_level_password_and_it_is_audited(app, client):
    district = factories.unit(name="海淀区")
    clerk = factories.account(roles.L1_CLERK, unit=district, username="l1-haidian")
    city = factories.account(roles.CITY_OFFICE, username="desk")
    factories.login(client, city)
    response = client.post(f"/accounts/action/reset_password/{clerk.id}", follow_redirects=True)
    match = re.search(r"密码已重置为：(\S+) 。", response.text)
    assert match
    db.session.refresh(clerk)
    assert clerk.must_change_password
    event = db.session.query(AuditEvent).filter_by(action="account.password_reset").one()
    assert (event.actor_name, event.object_id, event.ip) == ("desk", str(clerk.id), "127.0.0.1")
    assert "password" not in str(event.detail) or event.detail.get("password") == "***"
    factories.login(app.test_client(), "l1-haidian", match.group(1))


def test_first_level_clerk_has_no_reset(client):
    district, (street, _) = factories.district_with_streets()
    other = factories.account(roles.L2_CLERK, unit=street)
    factories.login(client, factories.account(roles.L1_CLERK, unit=district))
    assert client.post(f"/accounts/action/reset_password/{other.id}").status_code == 403


def test_last_login_reads_in_beijing_time_to_the_second(app):
    """FAB stamps last_login with the server's clock (UTC, microseconds): it is stored and shown as Beijing time."""
    district, (street, _) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-zgc", first_name="张伟")
    clock.freeze(datetime(2026, 4, 27, 23, 59, 59))
    factories.login(app.test_client(), clerk)
    desk = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    for page in (desk.get("/accounts/list/").text, desk.get(f"/accounts/show/{clerk.id}").text,
                 desk.get(f"/users/show/{clerk.id}").text):
        assert "2026-04-27 23:59:59" in page
        assert not re.search(r"\d\d:\d\d:\d\d\.\d", page)  # no microseconds anywhere


def test_a_holder_of_a_generated_password_can_still_sign_out(client):
    """Everything else sends them to change the password first; signing out must not (another person may be next)."""
    account = factories.account(roles.L2_CLERK, unit=factories.unit(), must_change_password=True)
    factories.login(client, account)
    assert client.get("/units/second-level/list/").headers["Location"].endswith("/resetmypassword/form")
    response = client.get("/logout/")
    assert response.status_code == 302 and "resetmypassword" not in response.headers["Location"]
    assert client.get("/units/second-level/list/").status_code in (302, 401)
    assert "resetmypassword" not in client.get("/units/second-level/list/").headers.get("Location", "")
