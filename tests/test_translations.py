"""app/translations.py: a page's catalogue is found once per request, and a change of language within the request
(force_locale, refresh) or between requests still takes effect at once."""
from flask import render_template_string
from flask_babel import Domain, force_locale, gettext, lazy_gettext, refresh

from app import roles
from tests import factories

TEMPLATE = "{{ _('Page size') }}|{{ _('Back') }}"


def test_a_page_finds_its_catalogue_once(app, client, monkeypatch):
    """Flask-Babel's lookup (its namespace on g, the locale, its cache) ran for every string: now once per page."""
    found = []
    looked_up = Domain.get_translations

    def counting(self):
        found.append(self)
        return looked_up(self)

    monkeypatch.setattr(Domain, "get_translations", counting)
    factories.login(client, factories.account(roles.CITY_OFFICE))
    found.clear()
    page = client.get("/units/first-level/list/")
    assert page.status_code == 200
    assert "记录数目" in page.text  # the list's "Record Count", translated
    assert len(found) == 1


def test_the_language_changes_within_a_request_and_back(app):
    with app.test_request_context("/"):
        assert render_template_string(TEMPLATE) == "显示行数|后退"
        assert gettext("Page size") == "显示行数"
        with force_locale("en"):
            assert render_template_string(TEMPLATE) == "Page size|Back"
            assert str(lazy_gettext("Page size")) == "Page size"
        assert render_template_string(TEMPLATE) == "显示行数|后退"
        assert gettext("Page size") == "显示行数"


def test_refresh_picks_the_language_anew(app):
    with app.test_request_context("/") as ctx:
        assert gettext("Page size") == "显示行数"
        ctx.session["locale"] = "en"  # what FAB's language menu stores
        assert gettext("Page size") == "显示行数"  # the request's language stands until refreshed, as before
        refresh()
        assert gettext("Page size") == "Page size"


def test_each_request_has_its_own_language(app, client):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    assert "记录数目" in client.get("/units/first-level/list/").text
    client.get("/lang/en")
    assert "Record Count" in client.get("/units/first-level/list/").text
    client.get("/lang/zh")
    assert "记录数目" in client.get("/units/first-level/list/").text


def test_outside_a_request_the_default_language(app):
    """The CLI's app context (no request, no session) speaks the default language, as before."""
    with app.app_context():
        assert gettext("Page size") == "显示行数"
