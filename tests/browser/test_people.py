"""Who acted and when, as clerks, the city office and citizens read it in the browser: "中关村街道 · 张伟", never a
login name; every time in Beijing time as 2026-05-01 10:00:00; the audit log in words; the favicon."""
from datetime import datetime
from urllib.parse import urlsplit

from flask import g

from app import clock, roles, workflow
from app.models import Stage
from tests import factories
from tests.browser.test_review import Flow

NOW = datetime(2026, 5, 1, 10, 0)
SCREENSHOT = "/tmp/people-history.png"
AUDIT_SCREENSHOT = "/tmp/people-audit.png"


def test_clerks_are_people_and_times_are_beijing_time(page, live_server, app):
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, _) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-haidian-zgc", first_name="张伟")
    city = factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="王立群")
    application = factories.application(unit=street, campaign=campaign, name="李学习")
    with app.test_request_context():
        g.user = clerk  # as when the clerk clicks: the audit log records who
        workflow.perform(clerk, application.id, "l2_recommend", "学习带头人，同意推荐")
        workflow.submit_unit(clerk, campaign)

    flow = Flow(page)
    flow.log_in(clerk)  # 最近登录: the frozen Beijing time
    flow.log_in(city)
    flow.open_review_list()
    flow.open_detail("李学习")
    rows = page.eval_on_selector_all("table.history tbody tr",
                                     "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    assert rows[0][:3] == ["2026-05-01 10:00:00", "中关村街道 · 张伟", "推荐"]
    assert all("l2-haidian-zgc" not in cell for row in rows for cell in row)
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.click(".navbar >> text=评审推荐")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=提交情况")
    flow.check()
    assert "中关村街道 · 张伟" in flow.body() and "l2-haidian-zgc" not in flow.body()

    page.click(".navbar >> text=单位与账号")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=单位账号")
    flow.check()
    row = page.locator("table.table-hover tbody tr", has_text="l2-haidian-zgc").inner_text()
    assert "2026-05-01 10:00:00" in row  # 最近登录, not UTC with microseconds

    page.click(".navbar >> text=审计")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=审计日志")
    flow.check()
    page.screenshot(path=AUDIT_SCREENSHOT, full_page=True)
    body = flow.body()
    assert "报名：推荐" in body and "中关村街道 · 张伟（l2-haidian-zgc）" in body and "意见：学习带头人，同意推荐" in body
    assert "{'" not in body and "from_status" not in body

    icon = page.evaluate("fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])")
    assert icon == [200, "image/vnd.microsoft.icon"]
    assert urlsplit(page.locator("link[rel=icon]").first.get_attribute("href")).path == "/static/img/favicon.svg"

    flow.log_in(application.applicant)
    page.goto("/apply/")
    assert "中关村街道 · 张伟" in flow.body() and "l2-haidian-zgc" not in flow.body()
