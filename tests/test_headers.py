"""The security headers on every kind of answer (an HTML page, a JSON API answer, a static file, an error page),
the CSP nonce on every inline script a page has, HSTS only in production, and who may keep a copy (Cache-Control).

That the pages still work under the policy, in a browser, is tests/browser/test_content_security_policy.py."""
import re

import pytest

from app import roles, storage
from tests import factories
from tests.media.test_publication import phone_jpeg

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "img-src": "'self' data:",
}
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def not_stored(response) -> bool:
    return "no-store" in (part.strip() for part in response.headers.get("Cache-Control", "").split(","))


def policy(response) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def nonce_of(response) -> str:
    return re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{20,})'", policy(response)["script-src"]).group(1)


def assert_security_headers(response):
    csp = policy(response)
    for directive, value in CSP_DIRECTIVES.items():
        assert csp[directive] == value, (directive, csp)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert nonce_of(response)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # not outside production


def assert_scripts_carry_the_nonce(response):
    """Every inline script runs (it has this answer's nonce) or is data; no onclick=/onsubmit= attribute."""
    nonce, html = nonce_of(response), response.text
    for attributes in INLINE_SCRIPT.findall(html):
        assert f'nonce="{nonce}"' in attributes or 'type="application/json"' in attributes, attributes
    assert not EVENT_HANDLER.search(html), EVENT_HANDLER.search(html).group(0)


@pytest.fixture
def city(client):
    factories.login(client, factories.account(roles.CITY_OFFICE, username="city-office"))
    return client


def test_an_html_page_has_every_header_and_its_scripts_the_nonce(client):
    factories.campaign()
    response = client.get("/login/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert_scripts_carry_the_nonce(response)
    assert not_stored(response)  # a form with the session's token
    # A new nonce every time: one seen in a page is no use for injecting a script into the next.
    assert nonce_of(client.get("/login/")) != nonce_of(response)


def test_signed_in_pages_with_fab_scripts_carry_the_nonce(city):
    factories.district_with_streets()
    for path in ("/units/first-level/list/", "/units/second-level/add", "/campaigns/add", "/users/list/",
                 "/dashboard/", "/swagger/v1"):
        response = city.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert_scripts_carry_the_nonce(response)
        assert not_stored(response), path
    # The list's search filters and FAB's actions are inline scripts: they are there, with the nonce.
    assert INLINE_SCRIPT.search(city.get("/units/first-level/list/").text)


def test_a_json_api_answer_has_the_headers_and_personal_data_is_not_stored(app):
    factories.unit(name="海淀区")
    factories.account(roles.CITY_OFFICE, username="api-user")
    response = factories.api_client(app, "api-user").get("/api/v1/unit/")
    assert response.status_code == 200 and response.is_json
    assert_security_headers(response)
    assert not_stored(response)


def test_a_static_file_has_the_headers_and_stays_cacheable(client):
    for path in ("/static/js/page-actions.js", "/static/appbuilder/js/ab.js", "/favicon.ico"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert not not_stored(response), path
        assert response.headers.get("ETag"), path  # revalidated, not fetched again


def test_an_error_page_has_the_headers(client, city):
    for response in (client.get("/no-such-page"), city.get("/applications/show/999999"), client.get("/api/v1/nope")):
        assert response.status_code == 404
        assert_security_headers(response)
        assert not_stored(response)
    assert_scripts_carry_the_nonce(city.get("/no-such-page"))


def test_hsts_only_in_production(app, client, monkeypatch):
    assert "Strict-Transport-Security" not in client.get("/login/").headers
    monkeypatch.setitem(app.config, "APP_ENV", "production")
    assert client.get("/login/").headers["Strict-Transport-Security"] == "max-age=31536000"
    monkeypatch.setitem(app.config, "HSTS_MAX_AGE", 600)
    assert client.get("/static/js/page-actions.js").headers["Strict-Transport-Security"] == "max-age=600"
    monkeypatch.setitem(app.config, "HSTS_MAX_AGE", 0)  # switched off, e.g. while HTTPS is being set up
    assert "Strict-Transport-Security" not in client.get("/login/").headers


def test_public_pages_keep_caching_for_visitors_and_nothing_is_stored_for_the_signed_in(client, city, app):
    campaign = factories.campaign(open_stage="publicity")
    factories.candidates(1, campaign, photo_file=storage.store_bytes(phone_jpeg(), "photo", "jpg"))
    visitor = app.test_client()
    for path in ("/", "/gongshi", "/mingdan", "/contact/", "/zhengshu/", "/api/v1/public/gongshi"):
        assert visitor.get(path).status_code == 200, path
        assert not not_stored(visitor.get(path)), path
        assert not_stored(city.get(path)), path
    # What a visitor may type or is told about themself is not kept either: sign-up, objections and their lookup.
    for path in ("/register/", "/gongshi/yiyi/", "/gongshi/yiyi/chaxun"):
        assert not_stored(visitor.get(path)), path
    # The candidates' photo copies are meant for shared caches, whoever asks (app/views/publicity.py).
    photo = re.search(r'src="(/gongshi/photo/[^"]+)"', visitor.get("/gongshi").text).group(1)
    for who in (visitor, city):
        assert who.get(photo).headers["Cache-Control"] == "public, max-age=3600"
