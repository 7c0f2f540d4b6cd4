"""申报人注册 through HTTP: local captcha, immediate activation, sign-in by mobile number, the register window."""
from datetime import datetime, timedelta

from app import captcha, clock, roles
from app.extensions import db
from app.models import Account, Stage
from tests import factories

NOW = datetime(2026, 4, 10, 9, 0)


def _captcha(client):
    """Ask for an image as a browser would; what it shows, as the person types it."""
    return factories.captcha(client, "register")


def _form(**overrides):
    data = {"mobile": "13911588771", "name": "张学习", "password": "Study#2026", "conf_password": "Study#2026"}
    data.update(overrides)
    return data


def test_citizen_registers_and_is_signed_in_as_applicant(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    response = client.post("/register/", data=_form(captcha=_captcha(client)))
    assert response.status_code == 302 and response.location.endswith("/apply/")
    account = db.session.query(Account).filter_by(username="13911588771").one()
    assert account.role_names == {roles.APPLICANT} and account.active and not account.must_change_password
    assert client.get("/apply/").status_code == 200
    factories.login(factories_client := client.application.test_client(), "13911588771", "Study#2026")
    assert factories_client.get("/apply/").status_code == 200


def test_wrong_captcha_keeps_what_was_typed_but_the_passwords(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    answer = _captcha(client)
    response = client.post("/register/", data=_form(captcha="2222" if answer != "2222" else "3333"))
    assert "验证码不正确" in response.text
    assert 'value="13911588771"' in response.text and 'value="张学习"' in response.text
    assert db.session.query(Account).count() == 0


def test_captcha_is_good_for_one_try_only(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    answer = _captcha(client)
    client.post("/register/", data=_form(mobile="12", captcha=answer))  # fails on the mobile, uses up the captcha
    response = client.post("/register/", data=_form(captcha=answer))
    assert "验证码不正确" in response.text


def test_a_replayed_captcha_registers_no_second_account_and_keeps_what_was_typed(client):
    """Issue 10: the answer lived in the cookie, so one solved image registered any number of accounts. Now the
    cookie holds only the image's id and its answer is gone from the server after one check."""
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    answer = _captcha(client)
    with client.session_transaction() as session:
        solved_cookie = dict(session)
    assert answer not in str(solved_cookie)  # the cookie carries an opaque id only
    assert client.post("/register/", data=_form(captcha=answer)).status_code == 302
    attacker = client.application.test_client()
    with attacker.session_transaction() as session:
        session.update(solved_cookie)  # the same cookie again, with the same answer
    response = attacker.post("/register/", data=_form(mobile="13911588772", name="李复用", captcha=answer))
    assert response.status_code == 200 and "验证码不正确" in response.text
    assert 'value="13911588772"' in response.text and 'value="李复用"' in response.text
    assert db.session.query(Account).filter_by(username="13911588772").count() == 0


def test_a_captcha_expires_on_the_server(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    answer = _captcha(client)
    clock.freeze(NOW + timedelta(seconds=client.application.config["CAPTCHA_TTL_SECONDS"] + 1))
    assert "验证码不正确" in client.post("/register/", data=_form(captcha=answer)).text
    assert db.session.query(Account).count() == 0


def test_bad_fields_are_reported_at_the_field(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    response = client.post("/register/", data=_form(mobile="010-82364980", password="weak", conf_password="other",
                                                    captcha=_captcha(client)))
    assert "请填写有效的 11 位中国大陆手机号码" in response.text
    assert "密码至少 8 位" in response.text
    assert "两次输入的密码不一致" in response.text


def test_a_registered_mobile_number_is_refused(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    factories.account(roles.APPLICANT, username="13911588771")
    assert "该手机号已注册" in client.post("/register/", data=_form(captcha=_captcha(client))).text


def test_registration_is_closed_outside_its_window(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    response = client.post("/register/", data=_form(captcha=_captcha(client)))
    assert "系统开放注册" in response.text and "过期无效" in response.text
    assert db.session.query(Account).count() == 0


def test_the_register_page_uses_no_outside_service(client):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    page = client.get("/register/").text
    assert "recaptcha" not in page.lower() and "google" not in page.lower()
    assert "/register/captcha.png" in page


def test_the_password_hint_is_the_rule_the_form_applies(client):
    """The hint under 密码 said 字母、数字和符号 while the check takes three of four kinds: a password of upper and lower
    case letters and digits, no symbol, registers, and the hint says so (the same words as the change-password page)."""
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    page = client.get("/register/").text
    assert "大写字母、小写字母、数字、符号中的至少三类" in page
    assert "须同时包含字母、数字和符号" not in page
    form = _form(captcha=_captcha(client))
    form.update(password="Hq7mZt4wRbk9", conf_password="Hq7mZt4wRbk9")
    response = client.post("/register/", data=form)
    assert response.status_code == 302 and response.location.endswith("/apply/")
