"""A Bearer token from /api/v1/security/login acts as its user everywhere the session does (app/security.py):
the same rows, the same commands, the same actor in the audit log, and never a cookie."""
import io
from datetime import datetime, timedelta

from flask_jwt_extended import create_access_token

from app import clock, roles
from app.extensions import db
from app.models import AuditEvent, Stage
from tests import factories
from tests.media import corpus

APPLY = datetime(2026, 4, 10, 9, 0)
L2_REVIEW = datetime(2026, 5, 1, 10, 0)


def both(app, user):
    """A token client (no cookie) and a browser-session client of one user."""
    return factories.api_client(app, user), factories.login(app.test_client(), user)


def test_a_citizen_token_reads_writes_uploads_and_submits_like_the_session(app):
    clock.freeze(APPLY)
    factories.campaign(open_stage=Stage.APPLY, at=APPLY)
    _, (street, _) = factories.district_with_streets()
    citizen = factories.account(roles.APPLICANT, username="13911588771")
    token, session = both(app, citizen)
    assert token.get("/api/v1/my_application/").status_code == 404
    response = token.put("/api/v1/my_application/", json={"name": "张学习", "unit_id": street.id, "position": "工程师"})
    assert response.status_code == 200, response.json
    photo = corpus.encoded(corpus.portrait(), "PNG")
    response = token.post("/api/v1/my_application/photo", data={"file": (io.BytesIO(photo), "me.png")},
                          content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    mine = token.get("/api/v1/my_application/").json["result"]
    assert mine == session.get("/api/v1/my_application/").json["result"]
    assert (mine["name"], mine["unit_id"], mine["photo"]) == ("张学习", street.id, "me.png")
    by_token, by_session = token.post("/api/v1/my_application/submit"), session.post("/api/v1/my_application/submit")
    assert by_token.status_code == by_session.status_code == 422
    assert by_token.json["errors"] == by_session.json["errors"] and "video_file" in by_token.json["errors"]


def test_a_second_level_clerk_token_lists_decides_and_submits_its_own_applications(app):
    clock.freeze(L2_REVIEW)
    factories.campaign(open_stage=Stage.L2_REVIEW, at=L2_REVIEW)
    _, (street, sibling) = factories.district_with_streets()
    mine = factories.application(unit=street, name="甲")
    factories.application(unit=sibling, name="乙")
    token, session = both(app, factories.account(roles.L2_CLERK, unit=street))
    rows = token.get("/api/v1/application/").json["result"]
    assert [r["id"] for r in rows] == [mine.id]
    assert rows == session.get("/api/v1/application/").json["result"]
    response = token.post(f"/api/v1/application/{mine.id}/decision", json={"decision": "recommend", "opinion": "同意"})
    assert response.status_code == 200, response.json
    assert session.get(f"/api/v1/application/{mine.id}").json["result"]["status"] == "l2_recommended"
    assert token.post("/api/v1/application/submit").status_code == 200
    assert session.get("/api/v1/application/progress").json["submitted_at"] is not None
    assert token.get("/api/v1/application/progress").json == session.get("/api/v1/application/progress").json


def test_a_first_level_clerk_token_sees_its_units_and_the_schedule_like_the_session(app):
    campaign = factories.campaign(year=2027)
    district, (street, _) = factories.district_with_streets()
    factories.district_with_streets(name="朝阳区", streets=("建外街道",))
    token, session = both(app, factories.account(roles.L1_CLERK, unit=district))
    for url in ("/api/v1/unit/", "/api/v1/campaign/", "/api/v1/stage_window/", f"/api/v1/campaign/{campaign.id}",
                f"/api/v1/unit/{street.id}"):
        by_token = token.get(url)
        assert by_token.status_code == 200, url
        assert by_token.json["result"] == session.get(url).json["result"], url
    assert {r["name"] for r in token.get("/api/v1/unit/").json["result"]} == {"海淀区", "中关村街道", "学院路街道"}
    assert token.get("/api/v1/stage_window/").json["count"] == len(campaign.windows)


def test_the_audit_log_names_the_token_user(app):
    window = factories.campaign(year=2027).window(Stage.APPLY)
    desk = factories.account(roles.CITY_OFFICE, username="desk")
    token = factories.api_client(app, desk)
    assert token.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2027-04-30T23:59:59"}).status_code == 200
    assert token.post("/api/v1/unit/", json={"name": "通州区", "category": "district"}).status_code == 201
    logged = db.session.query(AuditEvent).filter(AuditEvent.action.in_(["stage_window.update", "unit.create"])).all()
    assert len(logged) == 2
    assert {(e.actor_id, e.actor_name) for e in logged} == {(desk.id, "desk")}


def test_bad_expired_and_refused_tokens_answer_401_in_chinese_without_a_cookie(app):
    user = factories.account(roles.CITY_OFFICE, username="desk")
    client = app.test_client(use_cookies=False)
    expired = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-60))
    for token, message in (("not-a-token", "登录令牌无效"), (expired, "登录令牌已过期")):
        response = client.get("/api/v1/unit/", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and message in response.json["message"], response.json
        assert "Set-Cookie" not in response.headers
    response = client.get("/api/v1/unit/")
    assert response.status_code == 401 and "请先登录" in response.json["message"]
    token = factories.api_client(app, user)
    user.active = False
    db.session.commit()
    response = token.get("/api/v1/unit/")
    assert response.status_code == 401 and "停用" in response.json["message"]


def test_a_refresh_token_still_refreshes_and_does_not_open_the_api(app):
    factories.account(roles.CITY_OFFICE, username="desk")
    client = app.test_client(use_cookies=False)
    tokens = client.post("/api/v1/security/login", json={
        "username": "desk", "password": factories.PASSWORD, "provider": "db", "refresh": True}).json
    refresh = {"Authorization": f"Bearer {tokens['refresh_token']}"}
    assert client.get("/api/v1/unit/", headers=refresh).status_code == 401
    fresh = client.post("/api/v1/security/refresh", headers=refresh)
    assert fresh.status_code == 200
    assert client.get("/api/v1/unit/", headers={"Authorization": f"Bearer {fresh.json['access_token']}"}).status_code == 200


def test_the_login_refuses_a_malformed_body_in_chinese_and_needs_no_provider(app):
    """A REST client's mistakes get a 400 naming the field, in Chinese (FAB's own login answered 500 without
    `provider`, found by tests/test_fuzz.py); `provider` may be left out."""
    factories.account(roles.CITY_OFFICE, username="desk")
    client = app.test_client(use_cookies=False)
    login = "/api/v1/security/login"
    for body, field in (([], None), (None, None), ({"username": 3, "password": "x"}, "username"),
                        ({"username": "desk"}, "password"), ({"username": "desk", "password": "x", "provider": "ldap"},
                                                             "provider"),
                        ({"username": "desk", "password": "x", "refresh": "yes"}, "refresh")):
        response = client.post(login, json=body)
        assert response.status_code == 400, (body, response.status_code)
        message = response.json["message"]
        assert (field in message) if field else ("JSON" in message and "用户名" in message), message
    assert client.post(login, data="username=desk", content_type="application/x-www-form-urlencoded").status_code == 400
    signed_in = client.post(login, json={"username": "desk", "password": factories.PASSWORD})
    assert signed_in.status_code == 200 and "refresh_token" not in signed_in.json
    assert client.get("/api/v1/unit/", headers={"Authorization": f"Bearer {signed_in.json['access_token']}"}).status_code == 200


def _tokens(client, username):
    response = client.post("/api/v1/security/login", json={
        "username": username, "password": factories.PASSWORD, "provider": "db", "refresh": True})
    assert response.status_code == 200, response.json
    return response.json["access_token"], response.json["refresh_token"]


def _refused(client, access, refresh, reason="登录令牌已失效"):
    """Both tokens answer 401 with a Chinese message, and no cookie: the access token on the API, the refresh token
    on /refresh (it would otherwise mint a fresh access token)."""
    used = client.get("/api/v1/unit/", headers={"Authorization": f"Bearer {access}"})
    refreshed = client.post("/api/v1/security/refresh", headers={"Authorization": f"Bearer {refresh}"})
    for response in (used, refreshed):
        assert response.status_code == 401 and reason in response.json["message"], response.json
        assert "Set-Cookie" not in response.headers
    return True


def test_old_access_and_refresh_tokens_are_refused_after_a_password_change(app):
    desk = factories.account(roles.CITY_OFFICE, username="desk")
    client = app.test_client(use_cookies=False)
    access, refresh = _tokens(client, "desk")
    browser = factories.login(app.test_client(), desk)
    response = browser.post("/resetmypassword/form", data={
        "current_password": factories.PASSWORD, "password": "Xq7#mountain-lark", "conf_password": "Xq7#mountain-lark"})
    assert response.status_code == 302
    assert _refused(client, access, refresh)
    fresh = client.post("/api/v1/security/login", json={
        "username": "desk", "password": "Xq7#mountain-lark", "provider": "db"}).json["access_token"]
    assert client.get("/api/v1/unit/", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_logout_role_change_and_reset_refuse_the_accounts_tokens(app):
    from app.accounts import reset_password

    street = factories.unit(parent=factories.unit())
    clerk = factories.account(roles.L2_CLERK, unit=street, username="clerk")
    client = app.test_client(use_cookies=False)

    access, refresh = _tokens(client, "clerk")
    browser = factories.login(app.test_client(), clerk)
    assert browser.get("/logout/").status_code == 302
    assert _refused(client, access, refresh)

    access, refresh = _tokens(client, "clerk")
    clerk.roles = [app.appbuilder.sm.find_role(roles.L1_CLERK)]
    db.session.commit()
    assert _refused(client, access, refresh)

    access, refresh = _tokens(client, "clerk")
    with app.test_request_context():
        reset_password(factories.account(roles.CITY_OFFICE), clerk)
    db.session.commit()
    assert _refused(client, access, refresh)


def test_a_token_without_the_accounts_stamp_is_refused(app):
    """A token signed with the right key but issued before this release (no stamp claim) or under an old stamp."""
    desk = factories.account(roles.CITY_OFFICE, username="desk")
    client = app.test_client(use_cookies=False)
    for claims in ({"stamp": None}, {"stamp": "0" * 32}):
        token = create_access_token(identity=str(desk.id), additional_claims=claims)
        response = client.get("/api/v1/unit/", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and "登录令牌已失效" in response.json["message"]
