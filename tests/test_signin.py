"""Sign-in failure handling (app/signin.py) as an attacker and a forgetful user meet it: on the sign-in form and the
REST login, counted per account and per address in the database or Redis, shared by every worker."""
import statistics
import time
import uuid
from datetime import datetime, timedelta

import pytest
from werkzeug.security import generate_password_hash

from app import clock, roles, signin
from app.extensions import db
from app.models import AuditEvent
from tests import factories
from tests.test_rate_limit import redis_up

NOW = datetime(2026, 4, 10, 9, 0)
SUPPORT_DESK = "82364980"
REDIS = "redis://127.0.0.1:6379/1"


def wrong(client, username="desk", password="Wrong#2026"):
    """A failed sign-in on the form; the page it lands on (FAB's redirect back to the form, with its message)."""
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302 and "/login/" in response.location
    return client.get(response.location).text


def sign_in(client, username="desk", password=factories.PASSWORD, **extra):
    return client.post("/login/", data={"username": username, "password": password, **extra})


def api_login(client, username="desk", password=factories.PASSWORD):
    return client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"})


def rest_client(app):
    client = app.test_client(use_cookies=False)
    client.refuses_cookies = True
    return client


def events(action):
    db.session.expire_all()
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


@pytest.fixture
def no_captcha(app, monkeypatch):
    """For tests about the counts and locks alone: the form asks no captcha (its own tests are below)."""
    monkeypatch.setitem(app.config, "LOGIN_CAPTCHA_AFTER", 1000)


def test_five_failures_lock_the_account_for_thirty_minutes_even_for_the_right_password(client, no_captcha):
    clock.freeze(NOW)
    factories.account(roles.CITY_OFFICE, username="desk")
    pages = [wrong(client) for _ in range(5)]
    assert "用户名或密码不正确" in pages[0] and "锁定" not in pages[0]
    assert "再输错 1 次" in pages[3]  # fair warning before the lock
    assert "账号已锁定 30 分钟" in pages[4] and SUPPORT_DESK in pages[4] and "09:30" in pages[4]
    locked = sign_in(client)
    assert locked.status_code == 302 and "/login/" in locked.location  # the right password does not get in
    page = client.get(locked.location).text
    assert "账号已锁定" in page and SUPPORT_DESK in page
    assert client.get("/dashboard/").status_code in (302, 401, 403)
    clock.freeze(NOW + timedelta(minutes=29))
    assert "账号已锁定" in client.get(sign_in(client).location).text
    clock.freeze(NOW + timedelta(minutes=31))
    assert "/login/" not in sign_in(client).location  # the lock has run out: signed in


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer_and_lock(client, no_captcha):
    clock.freeze(NOW)  # the lock's end, in both messages
    factories.account(roles.CITY_OFFICE, username="desk")
    for known, unknown in zip([wrong(client, "desk") for _ in range(5)], [wrong(client, "nobody") for _ in range(5)]):
        assert factories.without_nonce(known) == factories.without_nonce(unknown.replace('value="nobody"', 'value="desk"'))
    assert "账号已锁定" in client.get(sign_in(client, "nobody", "anything").location).text


def test_an_unknown_user_and_a_wrong_password_take_about_as_long(app):
    """A dummy password-hash check for unknown names: timing does not tell which accounts exist. Measured with real
    (scrypt) hashes, not the factories' cheap ones."""
    factories.account(roles.CITY_OFFICE, username="desk")
    account = db.session.query(factories.Account).filter_by(username="desk").one()
    account.password = generate_password_hash("Right#2026")
    db.session.commit()
    client = rest_client(app)

    def seconds(username):
        started = time.perf_counter()
        assert api_login(client, username, "Wrong#2026").status_code == 401
        return time.perf_counter() - started

    known, unknown = [], []
    for attempt in range(4):  # within the lock's five; alternated so that load on the machine hits both alike
        known.append(seconds("desk"))
        unknown.append(seconds(f"nobody{attempt}"))
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)


def test_the_rest_login_shares_the_counts_and_answers_429_in_chinese(app, client, no_captcha):
    factories.account(roles.CITY_OFFICE, username="desk")
    api = rest_client(app)
    for _ in range(3):
        wrong(client)
    answers = [api_login(api, password="Wrong#2026") for _ in range(2)]
    assert [a.status_code for a in answers] == [401, 429]  # the fifth failure locks, and says so
    assert answers[0].json["message"] == "用户名或密码不正确"
    refused = api_login(api)  # the right password, after five failures on the form and the API together
    assert refused.status_code == 429 and "账号已锁定" in refused.json["message"]
    assert SUPPORT_DESK in refused.json["message"] and 0 < int(refused.headers["Retry-After"]) <= 30 * 60
    assert "access_token" not in refused.json
    assert "账号已锁定" in client.get(sign_in(client).location).text


def test_a_successful_sign_in_starts_the_count_again(client, no_captcha):
    factories.account(roles.CITY_OFFICE, username="desk")
    for _ in range(4):
        wrong(client)
    assert "/login/" not in sign_in(client).location
    client.get("/logout/")
    for _ in range(4):
        wrong(client)
    assert "/login/" not in sign_in(client).location


def test_one_address_failing_over_many_names_is_stopped(app, monkeypatch, no_captcha):
    monkeypatch.setitem(app.config, "LOGIN_SOURCE_MAX_FAILURES", 6)
    factories.account(roles.CITY_OFFICE, username="desk")
    sprayer = app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for index in range(6):  # never more than one failure per name: no account lock
        wrong(sprayer, f"user{index}")
    page = sprayer.get(sign_in(sprayer).location).text
    assert "该网络地址登录失败次数过多" in page and SUPPORT_DESK in page
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    assert "/login/" not in sign_in(neighbour).location  # another address, and the account itself, are not locked
    assert events("account.locked")[-1].detail["scope"] == "source"


def _workers(app, **config):
    from app import create_app

    return [
        create_app({
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test",
            "RATELIMIT_ENABLED": False,  # flask-limiter's count is not what is tested here
            "LOGIN_CAPTCHA_AFTER": 1000,
            **config,
        }).test_client()
        for _ in range(2)
    ]


@pytest.mark.parametrize("storage", ["database", "redis"])
def test_two_workers_count_together(app, storage):
    """Two app instances stand for two gunicorn workers: the failures alternate between them and still lock after
    five, with the counts in the database (no Redis) or in Redis."""
    config = {}
    if storage == "redis":
        if not redis_up():
            pytest.skip("needs Redis on 127.0.0.1:6379")
        config = {"REDIS_URL": REDIS, "EPHEMERAL_KEY_PREFIX": f"portal-test-{uuid.uuid4().hex}:"}
    factories.account(roles.CITY_OFFICE, username="desk")
    workers = _workers(app, **config)
    for attempt in range(5):
        wrong(workers[attempt % 2])
    for worker in workers:
        assert "账号已锁定" in worker.get(sign_in(worker).location).text
    if storage == "redis":
        assert db.session.query(signin.ephemeral.EphemeralEntry).count() == 0  # nothing went to the database


def test_the_form_asks_a_captcha_after_two_failures(client):
    factories.account(roles.CITY_OFFICE, username="desk")
    assert 'name="captcha"' not in client.get("/login/").text
    wrong(client)
    page = wrong(client)
    assert 'name="captcha"' in page and 'value="desk"' in page and "/login/captcha.png" in page
    refused = sign_in(client)  # the right password without the captcha: not even checked
    assert refused.status_code == 200 and "请填写验证码" in refused.text and 'value="desk"' in refused.text
    refused = sign_in(client, captcha=factories.captcha(client, "signin") + "X")
    assert refused.status_code == 200 and "验证码不正确" in refused.text
    assert len(events("account.signin_failed")) == 2  # no password was tried without a right captcha
    signed_in = sign_in(client, captcha=factories.captcha(client, "signin"))
    assert signed_in.status_code == 302 and "/login/" not in signed_in.location


def test_an_account_failing_elsewhere_asks_the_captcha_here_too(app):
    factories.account(roles.CITY_OFFICE, username="desk")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    wrong(elsewhere)
    wrong(elsewhere)
    here = app.test_client()
    here.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    assert 'name="captcha"' not in here.get("/login/").text  # this address has not failed
    asked = sign_in(here)
    assert asked.status_code == 200 and 'name="captcha"' in asked.text and "请填写验证码" in asked.text
    assert "/login/" not in sign_in(here, captcha=factories.captcha(here, "signin")).location


def test_a_locked_account_is_told_so_rather_than_asked_a_captcha(client):
    factories.account(roles.CITY_OFFICE, username="desk")
    wrong(client)
    wrong(client)
    for _ in range(3):  # failures three to five, each with its captcha
        assert sign_in(client, password="Wrong#2026", captcha=factories.captcha(client, "signin")).status_code == 302
    response = sign_in(client)  # no captcha: the lock is the answer
    assert response.status_code == 302 and "账号已锁定" in client.get(response.location).text


def test_sign_ins_are_audited_without_the_password(client, no_captcha):
    account = factories.account(roles.CITY_OFFICE, username="desk")
    wrong(client, "desk", "Secret#Typed1")
    wrong(client, "nobody", "Secret#Typed2")
    for _ in range(4):
        wrong(client, "desk", "Secret#Typed3")
    sign_in(client)  # locked
    failed = events("account.signin_failed")
    assert [(e.actor_name, e.object_id, e.detail["outcome"]) for e in failed] == (
        [("desk", str(account.id), "failed"), ("nobody", None, "failed")] + [("desk", str(account.id), "failed")] * 4
        + [("desk", str(account.id), "locked")]
    )
    assert all(e.ip == "127.0.0.1" and e.actor_id is None and e.detail["via"] == "form" for e in failed)
    assert [e.result for e in failed] == ["failure"] * 6 + ["refused"]  # the audit log's 结果 filter
    (lock,) = events("account.locked")
    assert lock.detail["scope"] == "account" and lock.detail["failures"] == 5 and lock.object_id == str(account.id)
    logged = str([(e.actor_name, e.object_label, e.detail) for e in db.session.query(AuditEvent).all()])
    assert "Secret#Typed" not in logged and factories.PASSWORD not in logged

    signin.unlock(account)
    db.session.commit()
    sign_in(client)
    (success,) = events("account.signin")
    assert (success.actor_id, success.actor_name, success.ip, success.detail["outcome"]) == (
        account.id, "desk", "127.0.0.1", "success")
    assert success.result == "success"
    assert events("account.unlocked")[0].object_id == str(account.id)


def test_the_rest_login_is_audited_as_such(app):
    factories.account(roles.CITY_OFFICE, username="desk")
    api = rest_client(app)
    api_login(api, password="Wrong#2026")
    api_login(api)
    assert events("account.signin_failed")[0].detail["via"] == "api"
    assert events("account.signin")[0].detail["via"] == "api"


def test_the_audit_log_reads_sign_ins_in_chinese(app, client, no_captcha):
    from tests.test_i18n import english_on_pages

    factories.account(roles.CITY_OFFICE, username="desk")
    auditor = factories.account(roles.AUDITOR, username="auditor")
    for _ in range(5):
        wrong(client)
    sign_in(client)
    api_login(rest_client(app), password="Wrong#2026")
    reader = factories.login(app.test_client(), auditor)
    listing = reader.get("/audit/list/?psize_AuditEventView=100").text
    for words in ("登录失败", "登录锁定", "登录页面", "接口（令牌）", "已锁定，未核对密码", "锁定至"):
        assert words in listing, words
    locked = events("account.locked")[0]
    shown = reader.get(f"/audit/show/{locked.id}").text
    assert "锁定对象" in shown and "2026" in shown
    assert not english_on_pages("审计员", {"/audit/list/": listing, f"/audit/show/{locked.id}": shown})


def test_the_city_office_sees_a_locked_unit_account_and_unlocks_it(app, client, no_captcha):
    clock.freeze(NOW)
    district, (street, _other) = factories.district_with_streets("海淀区", ("中关村街道", "海淀街道"))
    clerk = factories.account(roles.L1_CLERK, unit=district, username="l1-haidian")
    desk = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE, username="desk"))
    holder = app.test_client()
    for _ in range(5):
        wrong(holder, "l1-haidian")
    listing = desk.get("/accounts/list/").text
    assert "2026-04-10 09:30:00" in listing  # 登录锁定至, in the row of the locked account
    assert "登录锁定至" in listing
    response = desk.post(f"/accounts/action/unlock/{clerk.id}", follow_redirects=True)
    assert "账号 l1-haidian 已解锁" in response.text
    assert "2026-04-10 09:30:00" not in desk.get("/accounts/list/").text
    (event,) = events("account.unlocked")
    assert (event.actor_name, event.object_id, event.ip) == ("desk", str(clerk.id), "127.0.0.1")
    assert "/login/" not in sign_in(holder, "l1-haidian").location
    # A second-level clerk may not lift anyone's lock; a first-level one only in its own subtree.
    street_clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-zgc")
    l2 = factories.login(app.test_client(), street_clerk)
    assert l2.post(f"/accounts/action/unlock/{clerk.id}").status_code in (403, 404)
    street_holder = app.test_client()
    for _ in range(5):
        wrong(street_holder, "l2-zgc")
    l1 = factories.login(app.test_client(), clerk)
    assert "已解锁" in l1.post(f"/accounts/action/unlock/{street_clerk.id}", follow_redirects=True).text


def test_the_support_desks_password_reset_also_lifts_the_lock(app, no_captcha):
    import re

    district = factories.unit(name="海淀区")
    factories.account(roles.L1_CLERK, unit=district, username="l1-haidian")
    clerk = db.session.query(factories.Account).filter_by(username="l1-haidian").one()
    holder = app.test_client()
    for _ in range(5):
        wrong(holder, "l1-haidian")
    desk = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE, username="desk"))
    page = desk.post(f"/accounts/action/reset_password/{clerk.id}", follow_redirects=True).text
    password = re.search(r"密码已重置为：(\S+) 。", page).group(1)
    assert "/login/" not in sign_in(holder, "l1-haidian", password).location
    assert [e.object_id for e in events("account.unlocked")] == [str(clerk.id)]
