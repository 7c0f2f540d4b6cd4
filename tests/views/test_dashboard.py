"""/dashboard/ (工作台): for each role, every number linked on the page equals the count of the list it links to;
who may open it; where signing in lands."""
import html
import json
import re
from urllib.parse import urlsplit

import pytest

from app.views.dashboard import OBJECTION_STATUS_EQUAL, RELATION_EQUAL, STATUS_EQUAL, STATUS_IN
from tests import factories
from tests.dashboard_setup import World

NUMBER = re.compile(r'<a class="dashboard-number[^"]*" (?:id="[^"]*" )?href="([^"]+)">([^<]+)</a>')
RECORD_COUNT = re.compile(r"<strong>[^<]*:</strong>\s*(\d+)")


@pytest.fixture
def world():
    return World()


def linked_numbers(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(href), text.strip()) for href, text in NUMBER.findall(page)]


def count_behind(client, url: str) -> str:
    """The count the linked page shows: FAB's record count, 提交情况's rows, 评审进度's "submitted / assigned"."""
    page = client.get(url)
    assert page.status_code == 200, url
    path = urlsplit(url).path
    if path == "/applications/list/" or path == "/objections/list/":
        return RECORD_COUNT.search(page.text).group(1)
    if path == "/submissions/list/":
        return str(page.text.count('class="submission-row'))
    if path == "/review-progress/":
        found = re.search(r'id="round-totals">已提交 (\d+) / (\d+) 份评审', page.text)
        return f"{found.group(1)} / {found.group(2)}"
    raise AssertionError(f"no count known for {url}")


def test_the_filter_indexes_are_fab_5_3s_relation_and_the_lists_status_equal_and_in():
    assert RELATION_EQUAL == 0
    assert (STATUS_EQUAL, STATUS_IN) == (0, 1)  # app/views/applications.py: 等于, 属于
    assert OBJECTION_STATUS_EQUAL == 0  # app/views/objections.py: 等于, 属于


@pytest.mark.parametrize("who", ["city", "auditor", "l1", "l2"])
def test_every_linked_number_equals_the_count_of_the_list_it_links_to(app, world, who):
    client = factories.login(app.test_client(), getattr(world, who))
    page = client.get("/dashboard/")
    assert page.status_code == 200
    numbers = linked_numbers(page.text)
    assert len(numbers) >= 10
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    checked = 0
    for url, shown in numbers:
        if urlsplit(url).path not in routes:  # /objections/list/: another part of issue 9 builds it
            assert urlsplit(url).path == "/objections/list/"
            continue
        assert count_behind(client, url) == shown, url
        checked += 1
    assert checked >= 10


def test_the_city_office_page_shows_the_figures_and_their_chart_data(app, world):
    client = factories.login(app.test_client(), world.city)
    page = client.get("/dashboard/").text
    numbers = dict((url, shown) for url, shown in linked_numbers(page))
    total = next(shown for url, shown in numbers.items() if urlsplit(url).query == f"_flt_0_campaign={world.campaign.id}")
    assert total == "16"
    featured = [shown for url, shown in numbers.items() if url.endswith("_flt_0_status=featured")]
    assert featured == ["1"]
    objections = {url.rsplit("=", 1)[1]: shown for url, shown in numbers.items() if url.startswith("/objections/")}
    assert objections == {"received": "2", "accepted": "1", "verifying": "0"}
    assert "一级单位推荐上报" in page and "还剩" in page
    data = json.loads(html.unescape(re.search(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S).group(1)))
    assert set(data) == {"stages", "units", "categories", "experts"}
    assert data["stages"]["labels"] == ["报名", "二级单位", "一级单位", "专家评审", "公示", "审核确定"]
    assert data["stages"]["datasets"][0]["data"] == [3, 4, 3, 1, 3, 2]
    assert data["units"]["labels"] == ["海淀区", "朝阳区", "市教委"]
    assert data["categories"]["datasets"][0]["data"] == [14, 2, 0, 0]
    for canvas in re.findall(r"<canvas [^>]*>", page):
        assert 'role="img"' in canvas and "aria-label=" in canvas
    assert "/static/vendor/chartjs/chart.umd.min.js" in page and "/static/js/dashboard.js" in page


def test_a_first_level_clerk_sees_no_other_district(app, world):
    page = factories.login(app.test_client(), world.l1).get("/dashboard/").text
    assert "朝阳区" not in page and "建外街道" not in page and "市教委" not in page
    assert "中关村街道" in page and "学院路街道" in page
    assert "dashboard-objections" not in page and "dashboard-categories" not in page


@pytest.mark.parametrize("who", ["expert_account", "applicant"])
def test_experts_and_citizens_may_not_open_it(app, world, who):
    response = factories.login(app.test_client(), getattr(world, who)).get("/dashboard/")
    assert response.status_code in (302, 403)
    assert "dashboard-data" not in response.text


def test_anonymous_visitors_are_sent_to_sign_in(app, world):
    response = app.test_client().get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response.location


@pytest.mark.parametrize("who, landing", [
    ("city", "/dashboard/"), ("auditor", "/dashboard/"), ("l1", "/dashboard/"), ("l2", "/dashboard/"),
    ("expert_account", "/expert/"), ("applicant", "/apply/"),
])
def test_signing_in_lands_staff_on_the_dashboard(app, world, who, landing):
    response = app.test_client().post("/login/", data={"username": getattr(world, who).username,
                                                       "password": factories.PASSWORD})
    assert response.status_code == 302
    assert urlsplit(response.location).path.startswith(landing), response.location


def test_signing_in_to_a_page_asked_for_still_goes_there(app, world):
    response = app.test_client().post("/login/?next=/applications/list/",
                                      data={"username": world.city.username, "password": factories.PASSWORD})
    assert urlsplit(response.location).path == "/applications/list/"


@pytest.mark.parametrize("who", ["city", "l2"])
def test_the_menu_opens_with_the_dashboard(app, world, who):
    page = factories.login(app.test_client(), getattr(world, who)).get("/dashboard/").text
    menu = page[page.index('class="nav navbar-nav"'):]
    first_item = menu[:menu.index("</a>")]
    assert "fa-tachometer" in first_item and "工作台" in first_item
    assert menu.index("工作台") < menu.index("评审推荐")
