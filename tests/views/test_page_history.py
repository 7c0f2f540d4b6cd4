"""FAB's page history behind 后退 (app/views/base.py, PortalModelView.update_redirect): the pages seen, in order,
and the session cookie sent again only when the history changed."""
from app import roles
from tests import factories

FIRST_LEVEL = "/units/first-level/list/"
SECOND_LEVEL = "/units/second-level/list/"


def test_back_returns_to_the_page_before_and_a_reload_sends_no_cookie(client):
    factories.district_with_streets()
    factories.login(client, factories.account(roles.CITY_OFFICE))
    first = client.get(FIRST_LEVEL)
    assert first.status_code == 200 and "Set-Cookie" in first.headers  # a new page in the history
    again = client.get(FIRST_LEVEL)
    assert again.status_code == 200 and "Set-Cookie" not in again.headers  # the same page: nothing to write
    assert "Set-Cookie" in client.get(SECOND_LEVEL).headers
    back = client.get("/back")
    assert back.status_code == 302 and back.headers["Location"].endswith(FIRST_LEVEL)
