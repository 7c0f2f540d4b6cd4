"""With CSRF protection on, as in production: forms and XHR uploads carry the token, forged posts are refused."""
import re
from datetime import datetime

from app import clock, roles
from app.extensions import db
from app.models import Stage
from tests import factories
from tests.media import corpus


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_sign_in_and_upload_with_the_token_and_not_without(app, csrf_on):
    now = datetime(2026, 4, 10, 9, 0)
    clock.freeze(now)
    factories.campaign(open_stage=Stage.APPLY, at=now)
    factories.account(roles.APPLICANT, username="13911588771")
    client = app.test_client()
    token = token_of(client.get("/login/").text)
    response = client.post("/login/", data={"username": "13911588771", "password": factories.PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    token = token_of(client.get("/apply/").text)
    photo = corpus.encoded(corpus.portrait(), "JPEG")
    forged = client.post("/apply/photo", data=photo, headers={"X-File-Name": "a.jpg"})
    assert forged.status_code == 400 and "安全令牌" in forged.text
    genuine = client.post("/apply/photo", data=photo, headers={"X-File-Name": "a.jpg", "X-CSRFToken": token})
    assert genuine.status_code == 200, genuine.text


def test_a_forged_action_post_changes_nothing(app, csrf_on, client):
    clerk = factories.account(roles.L1_CLERK, unit=factories.unit())
    city = factories.account(roles.CITY_OFFICE)
    token = token_of(client.get("/login/").text)
    client.post("/login/", data={"username": city.username, "password": factories.PASSWORD, "csrf_token": token})
    response = client.post(f"/accounts/action/reset_password/{clerk.id}")
    assert response.status_code == 400
    db.session.refresh(clerk)
    assert not clerk.must_change_password
