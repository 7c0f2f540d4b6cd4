"""app/display.py and the presentation wiring in app/__init__.py: one time format, the favicon."""
from datetime import date, datetime, timezone

from app import roles
from app.display import format_time
from tests import factories


def test_one_format_in_beijing_time():
    assert format_time(datetime(2026, 4, 27, 23, 59, 59, 123456)) == "2026-04-27 23:59:59"
    assert format_time(datetime(2026, 4, 27, 15, 59, 59, tzinfo=timezone.utc)) == "2026-04-27 23:59:59"
    assert format_time(date(1980, 1, 1)) == "1980-01-01"
    assert format_time(None) == "" and format_time(None, empty="—") == "—"


def test_the_site_has_a_favicon(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert client.get("/static/img/favicon.svg").status_code == 200
    assert 'rel="icon"' in client.get("/login/").text
    # A holder of a generated password is sent to change it, but the icon still loads.
    factories.login(client, factories.account(roles.CITY_OFFICE, must_change_password=True))
    assert client.get("/favicon.ico").status_code == 200


def test_print_forms_link_the_favicon(app):
    district, (street, _) = factories.district_with_streets()
    application = factories.application(unit=street)
    city = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    assert "favicon.svg" in city.get(f"/applications/print/{application.id}").text
