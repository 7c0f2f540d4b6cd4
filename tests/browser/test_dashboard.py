"""工作台 in a real browser: the city office and a first-level clerk land on it after signing in, and its charts are
drawn by the Chart.js the app serves itself (a Chart on every canvas, pixels on it), with no console error and no
request to any other host. The figures and links are tests/views/test_dashboard.py's."""
from urllib.parse import urlsplit

import pytest

from tests.browser.test_review import Flow
from tests.views.test_dashboard import RECORD_COUNT
from tests.dashboard_setup import World

SCREENSHOT = "/tmp/dashboard.png"

# For each chart canvas: has Chart.js drawn it (a Chart instance on it) and are any of its pixels not blank?
CHARTS_JS = """() => Array.from(document.querySelectorAll('canvas[data-chart]')).map(canvas => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) { painted++; } }
  return {name: canvas.dataset.chart, chart: !!(window.Chart && Chart.getChart(canvas)), painted: painted};
})"""


@pytest.fixture
def world():
    return World()  # the live server runs in this process: its clock is frozen too


def watch(page):
    """Console errors and uncaught exceptions of the page, and the responses it received."""
    problems, responses = [], []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: responses.append((response.url, response.status)))
    return problems, responses


def check_dashboard(page, flow, account, charts, requested_urls, live_server):
    problems, responses = watch(page)
    flow.log_in(account)
    assert urlsplit(page.url).path == "/dashboard/"
    assert page.locator("h2").inner_text().startswith("工作台")
    drawn = page.evaluate(CHARTS_JS)
    assert [c["name"] for c in drawn] == charts
    assert all(c["chart"] and c["painted"] > 500 for c in drawn), drawn
    assert problems == []
    own = urlsplit(live_server.url).netloc
    assert {urlsplit(url).netloc for url in requested_urls} == {own}
    served = {urlsplit(url).path: status for url, status in responses}
    assert served.get("/static/vendor/chartjs/chart.umd.min.js") == 200
    assert served.get("/static/js/dashboard.js") == 200


def test_the_city_office_lands_on_the_dashboard_with_its_four_charts(world, page, requested_urls, live_server):
    flow = Flow(page)
    check_dashboard(page, flow, world.city, ["stages", "units", "categories", "experts"], requested_urls,
                    live_server)
    page.screenshot(path=SCREENSHOT, full_page=True)
    # A number is a link to its list: 拟评选（重点宣传） 1 opens the list with that one application.
    with page.expect_navigation():
        page.click("#dashboard-stage-table tr:has-text('拟评选（重点宣传）') a")
    assert urlsplit(page.url).path == "/applications/list/"
    assert RECORD_COUNT.search(page.content()).group(1) == "1"
    # A stage's total opens the list filtered on several statuses ("in"): 公示 3.
    page.go_back()
    problems, _responses = watch(page)
    with page.expect_navigation():
        page.click("#dashboard-stage-table tr:has(th:text-is('公示')) a")
    assert RECORD_COUNT.search(page.content()).group(1) == "3"
    assert problems == []


def test_a_first_level_clerk_sees_its_streets_charts(world, page, requested_urls, live_server):
    flow = Flow(page)
    check_dashboard(page, flow, world.l1, ["stages", "units"], requested_urls, live_server)
    assert "朝阳区" not in page.inner_text("body")
    # The street that has not submitted, as the table says it (the chart's text equivalent).
    assert "未提交（已截止，过期无效）" in page.locator("#dashboard-unit-table tr:has-text('学院路街道')").inner_text()
