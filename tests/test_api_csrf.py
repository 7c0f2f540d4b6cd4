"""CSRF on the REST API (app/api_csrf.py), with protection on as in production: with the browser's session cookie a
change needs the page's token; with a Bearer token it needs none."""
import re
from datetime import datetime

from app import clock, roles
from app.extensions import db
from app.models import Stage
from tests import factories
from tests.test_csrf import token_of

API_NOW = datetime(2026, 3, 30, 10, 0)


def cookie_client(app, account):
    """A browser: signed in through the sign-in page, with the page's token to hand (the form field every page has)."""
    client = app.test_client()
    token = token_of(client.get("/login/").text)
    response = client.post("/login/", data={"username": account.username, "password": factories.PASSWORD,
                                            "csrf_token": token})
    assert response.status_code == 302
    return client, token_of(client.get("/units/second-level/add").text)


def test_the_api_refuses_a_cookie_change_without_the_token_and_takes_it_with(app, csrf_on):
    clock.freeze(API_NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=API_NOW)
    district, (street, other) = factories.district_with_streets()
    client, token = cookie_client(app, factories.account(roles.L1_CLERK, unit=district))

    forged = [
        client.post("/api/v1/unit/", json={"name": "上地街道", "parent": district.id}),
        client.put(f"/api/v1/unit/{street.id}", json={"name": "改名街道"}),
        client.delete(f"/api/v1/unit/{other.id}"),
        client.delete(f"/api/v1/unit/{other.id}", headers={"X-CSRFToken": "made-up"}),
        client.post("/api/v1/unit/", data={"name": "上地街道", "parent": district.id, "csrf_token": "made-up"}),
    ]
    for response in forged:
        assert response.status_code == 400 and response.is_json, (response.status_code, response.text)
        assert "X-CSRFToken" in response.json["message"] and "安全令牌" in response.json["message"]
    db.session.expire_all()
    assert sorted(unit.name for unit in district.children) == ["中关村街道", "学院路街道"]  # nothing changed

    with_token = {"X-CSRFToken": token}
    assert client.post("/api/v1/unit/", json={"name": "上地街道", "parent": district.id},
                       headers=with_token).status_code == 201
    assert client.put(f"/api/v1/unit/{street.id}", json={"name": "改名街道"}, headers=with_token).status_code == 200
    assert client.delete(f"/api/v1/unit/{other.id}", headers=with_token).status_code == 200
    db.session.expire_all()
    assert sorted(unit.name for unit in district.children) == ["上地街道", "改名街道"]
    # Reading needs no token.
    assert client.get("/api/v1/unit/").status_code == 200


def test_a_bearer_token_needs_no_csrf_token(app, csrf_on):
    clock.freeze(API_NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=API_NOW)
    district, (street, other) = factories.district_with_streets()
    client = factories.api_client(app, factories.account(roles.L1_CLERK, unit=district))
    assert client.post("/api/v1/unit/", json={"name": "上地街道", "parent": district.id}).status_code == 201
    assert client.put(f"/api/v1/unit/{street.id}", json={"name": "改名街道"}).status_code == 200
    assert client.delete(f"/api/v1/unit/{other.id}").status_code == 200


def test_the_api_page_sends_the_token_with_its_requests(app, csrf_on):
    """Swagger UI's "Try it out" goes with the cookie: the page puts the session's token on every request it sends."""
    clock.freeze(API_NOW)
    window = factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=API_NOW).window(Stage.APPLY)
    client, _ = cookie_client(app, factories.account(roles.CITY_OFFICE))
    page = client.get("/swagger/v1").text
    token = re.search(r'request\.headers\["X-CSRFToken"\] = "([^"]+)"', page).group(1)
    response = client.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2026-04-30T23:59:59"},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.json
