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


def test_each_user_sees_their_own_navbar_and_its_count_as_it_changes(app):
    """The navbar is kept per user as they see it: their name, their menu, their unread count, each page current."""
    from app import notifications
    from app.extensions import db

    fragments._kept.clear()
    city_account = factories.account(roles.CITY_OFFICE, first_name="王市办")
    clerk_account = factories.account(roles.L2_CLERK, unit=factories.district_with_streets()[1][0],
                                      first_name="李街道")
    city = factories.login(app.test_client(), city_account)
    clerk = factories.login(app.test_client(), clerk_account)

    def navbar(client):
        return client.get("/").text.split('<nav class="navbar', 1)[1].split("</nav>", 1)[0]

    assert "王市办" in navbar(city) and "李街道" in navbar(clerk)
    assert "王市办" not in navbar(clerk)
    assert "审计日志" in navbar(city) and "审计日志" not in navbar(clerk)  # the city office's menu only
    assert "notification-count" not in navbar(clerk)
    notifications.notify([clerk_account], "message", "一条通知", "正文")
    db.session.commit()
    assert re.search(r'<span class="badge notification-count">1</span>', navbar(clerk))
    assert "notification-count" not in navbar(city)


def test_the_kept_export_buttons_post_with_each_sessions_own_token(app, csrf_on):
    """The review list's export forms are kept per level and language: each page's carry its session's CSRF token,
    which the export accepts (CSRF on, as in production)."""
    from app import clock
    from app.models import Stage

    fragments._kept.clear()
    factories.campaign(year=2026, open_stage=Stage.L2_REVIEW, at=clock.now())
    _district, (street, other) = factories.district_with_streets()
    factories.application(unit=street)
    tokens = []
    for unit in (street, other):  # two clerks of the same level: the second gets the first one's kept forms
        clerk, account = app.test_client(), factories.account(roles.L2_CLERK, unit=unit)
        login_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', clerk.get("/login/").text).group(1)
        assert clerk.post("/login/", data={"username": account.username, "password": factories.PASSWORD,
                                           "csrf_token": login_token}).status_code == 302
        page = clerk.get("/applications/list/").text
        export_form = page.split('class="btn-group review-export"', 1)[1].split("</form>", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', export_form).group(1)
        assert clerk.post("/applications/export.xlsx", data={"csrf_token": token}).status_code in (200, 302)
        assert clerk.post("/applications/export.xlsx", data={}).status_code == 400
        tokens.append(token)
    assert tokens[0] != tokens[1] and "__portal" not in page
