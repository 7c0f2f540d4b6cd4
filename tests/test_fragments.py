"""app/fragments.py: the layout's stylesheets and scripts, kept per process and language, carry each page's own nonce
and the page's language."""
import re

from app import fragments, roles
from tests import factories
from tests.test_headers import nonce_of

SCRIPT_NONCES = re.compile(r'<script[^>]*\bnonce="([^"]*)"')


def test_every_script_of_each_page_has_that_pages_nonce(client):
    fragments._kept.clear()
    factories.login(client, factories.account(roles.CITY_OFFICE))
    seen = []
    for path in ("/", "/units/first-level/list/", "/"):  # the first page writes the parts, the next ones reuse them
        page = client.get(path)
        nonces = SCRIPT_NONCES.findall(page.text)
        assert len(nonces) >= 7  # jQuery, FAB's filters and actions in the head; bootstrap … ab.js at the foot
        assert set(nonces) == {nonce_of(page)}
        seen.append(nonce_of(page))
    assert len(set(seen)) == 3
    assert fragments._kept  # kept indeed


def test_the_kept_parts_follow_the_pages_language(client):
    fragments._kept.clear()
    factories.login(client, factories.account(roles.CITY_OFFICE))
    assert 'data-searching="正在搜索…"' in client.get("/").text
    client.get("/lang/en")
    english = client.get("/").text
    assert 'data-searching="Searching…"' in english and "正在搜索" not in english
    client.get("/lang/zh")
    assert 'data-searching="正在搜索…"' in client.get("/").text


def test_a_page_adds_its_own_around_the_kept_ones(client):
    """A page's own stylesheet or script comes with the kept ones (expert/todo.html adds expert.css)."""
    expert = factories.account(roles.EXPERT)
    factories.login(client, expert)
    page = client.get("/expert/")
    assert page.status_code == 200
    head = page.text.split("</head>", 1)[0]
    assert "css/expert.css" in head and "css/portal.css" in head and "css/bootstrap.min.css" in head
