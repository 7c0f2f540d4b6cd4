"""Sign-in sessions live on the server (app/sessions.py): a saved cookie stops working after 退出, after the idle and
absolute timeouts, and when the account's password, roles or active flag change, whichever front door changed them."""
from datetime import datetime, timedelta

import pytest

from app import clock, roles
from app.extensions import db
from app.models import Account, AccountSession, AuditEvent
from tests import factories

T0 = datetime(2026, 4, 10, 9, 0)
PAGE = "/units/first-level/list/"  # the city office's 一级单位


def saved_cookie(app, client):
    """Another browser holding a copy of client's session cookie, as an attacker who saved it would."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    return copy


def signed_out_with_notice(client, url=PAGE):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response.location, (response.status_code, response.location)
    page = client.get(response.location)
    assert "会话已过期，请重新登录" in page.text
    return True


def rows(account):
    return db.session.query(AccountSession).filter_by(account_id=account.id).order_by(AccountSession.created_at).all()


@pytest.fixture(autouse=True)
def _production_timeouts(security_timeouts):
    """Idle 30 minutes, absolute 12 hours, as config.py has them (tests/conftest.py turns them off elsewhere)."""


@pytest.fixture
def desk(app):
    clock.freeze(T0)
    return factories.account(roles.CITY_OFFICE, username="desk")


def test_sign_in_starts_a_session_row_the_cookie_names_by_a_random_token(app, desk):
    client = factories.login(app.test_client(), desk)
    assert client.get(PAGE).status_code == 200
    (row,) = rows(desk)
    assert row.ended_at is None and row.created_at == row.last_seen_at == T0
    assert row.source_address == "127.0.0.1" and row.security_stamp == desk.security_stamp
    assert row.id not in client.get_cookie("session").value  # the table holds a digest, not the cookie's token


def test_a_saved_cookie_is_signed_out_after_logout(app, desk):
    client = factories.login(app.test_client(), desk)
    saved = saved_cookie(app, client)
    assert saved.get(PAGE).status_code == 200
    assert client.get("/logout/").status_code == 302
    assert signed_out_with_notice(saved)
    assert client.get(PAGE).status_code == 302
    assert [r.end_reason for r in rows(desk)] == ["logout"]
    (signout,) = db.session.query(AuditEvent).filter_by(action="account.signout").all()
    assert (signout.actor_name, signout.object_id, signout.result) == (desk.username, str(desk.id), "success")


def test_logout_ends_the_accounts_other_sessions_too(app, desk):
    office, home = factories.login(app.test_client(), desk), factories.login(app.test_client(), desk)
    office.get("/logout/")
    assert signed_out_with_notice(home)
    assert {r.end_reason for r in rows(desk)} == {"logout"}


def test_idle_timeout_is_30_minutes_and_last_seen_is_written_at_most_once_a_minute(app, desk):
    client = factories.login(app.test_client(), desk)
    clock.freeze(T0 + timedelta(seconds=59))
    assert client.get(PAGE).status_code == 200
    assert rows(desk)[0].last_seen_at == T0  # not written again within the minute
    clock.freeze(T0 + timedelta(minutes=29))
    assert client.get(PAGE).status_code == 200
    db.session.expire_all()
    assert rows(desk)[0].last_seen_at == T0 + timedelta(minutes=29)
    clock.freeze(T0 + timedelta(minutes=29 + 30))
    assert signed_out_with_notice(client)
    assert rows(desk)[0].end_reason == "idle"
    # Signing in again works and is a new session.
    factories.login(client, desk)
    assert client.get(PAGE).status_code == 200 and len(rows(desk)) == 2


def test_absolute_timeout_is_12_hours_however_active(app, desk):
    client = factories.login(app.test_client(), desk)
    for minutes in range(20, 12 * 60, 20):
        clock.freeze(T0 + timedelta(minutes=minutes))
        assert client.get(PAGE).status_code == 200, minutes
    clock.freeze(T0 + timedelta(hours=12))
    assert signed_out_with_notice(client)
    assert rows(desk)[0].end_reason == "absolute"


def test_timeouts_are_configurable(app, desk):
    assert (app.config["SESSION_IDLE_MINUTES"], app.config["SESSION_ABSOLUTE_HOURS"]) == (30, 12)
    app.config["SESSION_IDLE_MINUTES"] = 5
    client = factories.login(app.test_client(), desk)
    clock.freeze(T0 + timedelta(minutes=5))
    assert signed_out_with_notice(client)


def test_an_ended_session_on_the_api_answers_401_in_chinese(app, desk):
    client = factories.login(app.test_client(), desk)
    assert client.get("/api/v1/unit/").status_code == 200
    clock.freeze(T0 + timedelta(hours=1))
    response = client.get("/api/v1/unit/")
    assert response.status_code == 401 and response.json["message"] == "会话已过期，请重新登录"


def test_a_cookie_from_before_server_sessions_is_signed_out(app, desk):
    """A signed cookie naming the user but no session row (as every cookie made before this release)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(desk.id)
        session["_fresh"] = True
    assert signed_out_with_notice(client)


def _reset_by_city_office(app, account):
    from app.accounts import reset_password

    desk = factories.account(roles.CITY_OFFICE)
    with app.test_request_context():
        reset_password(desk, account)
    db.session.commit()


def _roles_changed(app, account):
    account.roles = [app.appbuilder.sm.find_role(roles.L1_CLERK)]
    db.session.commit()


def _deactivated(app, account):
    account.active = False
    db.session.commit()


def _password_set_by_the_cli(app, account):
    # What `flask fab reset-password` does (FAB's command, outside any request).
    app.appbuilder.sm.reset_password(account.id, "Xq7#mountain-lark")


@pytest.mark.parametrize(
    "change, reason",
    [(_reset_by_city_office, "password"), (_roles_changed, "roles"), (_deactivated, "deactivated"),
     (_password_set_by_the_cli, "password")],
)
def test_model_level_changes_end_every_session_of_the_account(app, change, reason):
    clock.freeze(T0)
    district = factories.unit()
    clerk = factories.account(roles.L2_CLERK, unit=factories.unit(parent=district))
    bystander = factories.account(roles.L2_CLERK, unit=clerk.unit)
    browsers = [factories.login(app.test_client(), clerk) for _ in range(2)]
    other = factories.login(app.test_client(), bystander)
    stamp = clerk.security_stamp
    change(app, clerk)
    db.session.expire_all()
    assert clerk.security_stamp != stamp
    assert {r.end_reason for r in rows(clerk)} == {reason}
    for browser in browsers:
        response = browser.get("/units/second-level/list/")
        assert response.status_code == 302 and "/login/" in response.location
    assert other.get("/units/second-level/list/").status_code == 200  # another account's session goes on
    assert all(r.ended_at is None for r in rows(bystander))


def test_an_unchanged_save_of_an_account_ends_nothing(app, desk):
    client = factories.login(app.test_client(), desk)
    desk.active = True
    desk.roles = list(desk.roles)
    desk.phone = "13911588771"
    db.session.commit()
    assert client.get(PAGE).status_code == 200


def test_own_password_change_ends_other_sessions_and_keeps_this_one(app, desk):
    here = factories.login(app.test_client(), desk)
    saved = saved_cookie(app, here)
    response = here.post("/resetmypassword/form", data={
        "current_password": factories.PASSWORD, "password": "Xq7#mountain-lark", "conf_password": "Xq7#mountain-lark"})
    assert response.status_code == 302
    assert here.get(PAGE).status_code == 200
    assert signed_out_with_notice(saved)
    # The old session ended, the new one (the page above) lives. Both may be made within the same second, the
    # precision of created_at, so their order is not asked.
    assert sorted(r.end_reason or "" for r in rows(desk)) == ["", "password"]


def test_session_cookie_is_httponly_and_samesite_lax(app, desk):
    response = app.test_client().post("/login/", data={"username": "desk", "password": factories.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development serves plain HTTP; production sets it (tests/test_config.py)


def test_sessions_of_a_deleted_account_go_with_it(app, desk):
    factories.login(app.test_client(), desk)
    db.session.delete(db.session.get(Account, desk.id))
    db.session.commit()
    assert db.session.query(AccountSession).count() == 0
