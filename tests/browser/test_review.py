"""评审推荐 in a real browser: a street decides in bulk from FAB's list actions with a written opinion and submits
to its district; the district recommends one from the detail page and reports to the city office, who reads both.

The HTTP side of the same flow is tests/views/test_review.py; here it is the pages' controls that count: the row
checkboxes and the 操作 dropdown, the decision form, the 提交/上报 button's confirm() dialog.
"""
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app import clock, roles, schedule
from app.extensions import db
from app.models import Stage
from tests import factories
from tests.browser.test_smoke import _TEXTS_JS, ENGLISH

NOW = datetime(2026, 5, 1, 10, 0)
SCREENSHOT = "/tmp/review-decide.png"
STREET_OPINION = "坚持学习二十年，带动社区读书会，同意推荐。"
DISTRICT_OPINION = "事迹突出，区学习办同意上报。"


@pytest.fixture
def review():
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, _other) = factories.district_with_streets()
    apps = [factories.application(unit=street, name=name) for name in ("王学习", "李读书", "赵终身")]
    return {
        "campaign": campaign,
        "district": district,
        "street": street,
        "apps": apps,
        "l2": factories.account(roles.L2_CLERK, unit=street, username="street_clerk"),
        "l1": factories.account(roles.L1_CLERK, unit=district, username="district_clerk"),
        "city": factories.account(roles.CITY_OFFICE, username="cityoffice"),
    }


class Flow:
    """The page, and every page of the flow checked for English UI words as it is reached."""

    def __init__(self, page):
        self.page = page
        self.checked = []

    def check(self):
        page = self.page
        english = sorted({m.group(0) for text in page.evaluate(_TEXTS_JS) for m in ENGLISH.finditer(text)})
        assert not english, f"English left on {page.url}: {english}"
        self.checked.append(urlsplit(page.url).path)

    def body(self):
        return self.page.inner_text("body")

    def log_in(self, account):
        page = self.page
        page.goto("/logout/")
        page.goto("/login/")
        self.check()
        page.fill("#username", account.username)
        page.fill("#password", factories.PASSWORD)
        with page.expect_navigation():
            page.click("input[type=submit]")
        assert urlsplit(page.url).path != "/login/", f"login of {account.username} failed"
        self.check()  # where the login lands

    def open_add_form(self, menu: str, entry: str, add_path: str):
        """menu → entry through the navbar, then the list's 新增 link to add_path; the form checked for English."""
        page = self.page
        page.click(f".navbar >> text={menu}")
        with page.expect_navigation():
            page.click(f".navbar .dropdown-menu >> text={entry}")
        with page.expect_navigation():
            page.click(f"a[href*='{add_path}']")
        self.check()

    def open_review_list(self):
        """评审推荐 → 报名信息, through the navbar."""
        page = self.page
        page.click(".navbar >> text=评审推荐")
        with page.expect_navigation():
            page.click(".navbar .dropdown-menu >> text=报名信息")
        assert urlsplit(page.url).path == "/applications/list/"
        self.check()

    def listed_names(self):
        return self.page.eval_on_selector_all(
            "table.table-hover tbody tr", "rows => rows.map(r => r.cells[2].textContent.trim())")

    def open_detail(self, name):
        page = self.page
        with page.expect_navigation():
            # The applicant's name is the row's link, as a clerk clicks it.
            page.locator("table.table-hover tbody tr", has_text=name).get_by_role("link", name=name, exact=True).click()
        assert urlsplit(page.url).path.startswith("/applications/show/")
        self.check()

    def submit_unit(self, label):
        """The progress panel's 提交/上报 button, accepting its confirm(); returns the dialog's message."""
        page = self.page
        messages = []

        def accept(dialog):
            messages.append((dialog.type, dialog.message))
            dialog.accept()

        page.once("dialog", accept)
        button = page.locator("#submit-unit-form button[type=submit]")
        assert button.inner_text().strip() == label
        with page.expect_navigation():
            button.click()
        assert len(messages) == 1 and messages[0][0] == "confirm", messages
        self.check()
        return messages[0][1]


def history(page):
    """The detail page's 办理记录: [(操作, 意见)], its last two columns."""
    return page.eval_on_selector_all(
        "table.history tbody tr",
        "rows => rows.map(r => [...r.cells].slice(-2).map(c => c.textContent.trim()))")


def test_street_and_district_review_and_the_city_office_reads_both(page, live_server, requested_urls, review, csrf_on):
    flow = Flow(page)
    first, second, undecided = review["apps"]

    # --- The street's clerk: bulk 推荐 from the list, with one opinion for both. ---------------------------------
    flow.log_in(review["l2"])
    flow.open_review_list()
    panel = page.inner_text(".review-progress")
    assert "「提交至一级单位」截止时间" in panel and "待评审 3 份" in panel and "过期无效" in panel, panel
    assert sorted(flow.listed_names()) == sorted(a.name for a in review["apps"])

    for application in (first, second):
        page.locator(f"input.action_check[name=rowid][value='{application.id}']").check()
    actions = page.locator(".btn-group", has=page.locator(".recommend_menu_item"))
    toggle = actions.locator("button.dropdown-toggle")
    assert toggle.inner_text().strip() == "操作"
    toggle.click()
    items = actions.locator(".dropdown-menu li a")
    # 退回修改 is a single-row action (multiple=False): the detail page offers it, not the bulk menu.
    assert [text.strip() for text in items.all_inner_texts()] == ["推荐", "不推荐"]
    with page.expect_navigation(url=re.compile(r"/applications/decide\?")):
        with page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/applications/action_post")):
            actions.locator(".recommend_menu_item").click()
    flow.check()
    assert page.inner_text("h2") == "推荐"
    decided_rows = page.eval_on_selector_all("table tbody tr td:first-child", "cells => cells.map(c => c.textContent.trim())")
    assert sorted(decided_rows) == sorted([first.name, second.name])
    assert "这条意见将记录在所选的 2 份报名上" in flow.body()

    confirm = page.locator("#decision-form button[type=submit]")
    assert confirm.inner_text().strip() == "确认推荐"
    with page.expect_navigation():
        confirm.click()  # no opinion yet
    flow.check()
    group = page.locator("#decision-form .form-group", has=page.locator("#opinion"))
    assert "has-error" in group.get_attribute("class")
    assert group.locator(".help-block").first.inner_text() == "请填写推荐意见"
    page.fill("#opinion", STREET_OPINION)
    page.screenshot(path=SCREENSHOT, full_page=True)
    with page.expect_navigation():
        confirm.click()
    assert urlsplit(page.url).path == "/applications/list/"
    flow.check()
    assert page.inner_text(".alert-success").strip().endswith("已推荐 2 份")
    assert "待评审 1 份，已评审未提交 2 份" in page.inner_text(".review-progress")

    flow.open_detail(first.name)
    assert ["推荐", STREET_OPINION] in history(page)
    assert page.inner_text(".apply-page .label").strip() == "二级单位拟推荐（未提交）"

    message = flow.submit_unit("提交至一级单位")
    assert "提交后评审结果将锁定" in message and "还有 1 份未评审" in message, message
    assert urlsplit(page.url).path == "/applications/list/"
    assert "已提交：推荐 2 人，不推荐 0 人。评审结果已锁定。" in page.inner_text(".alert-success")
    panel = page.inner_text(".review-progress")
    assert "提交至一级单位：推荐 2 人，不推荐 0 人。评审结果已锁定。" in panel, panel
    assert page.locator("#submit-unit-form").count() == 0
    flow.open_detail(second.name)  # locked: nothing left to decide
    assert page.locator("#decide-choice").count() == 0

    # --- The district's clerk: only what the street forwarded; 推荐 one from its page, then 上报. ---------------
    schedule.open_stage(review["campaign"], Stage.L1_REVIEW, at=NOW)
    db.session.commit()
    flow.log_in(review["l1"])
    flow.open_review_list()
    assert sorted(flow.listed_names()) == sorted([first.name, second.name])
    assert undecided.name not in flow.body()
    assert "待评审 2 份" in page.inner_text(".review-progress")

    flow.open_detail(first.name)
    with page.expect_navigation(url=re.compile(r"/applications/decide\?")):
        page.click("#decide-choice button[value=recommend]")
    flow.check()
    page.fill("#opinion", DISTRICT_OPINION)
    with page.expect_navigation(url=re.compile(rf"/applications/show/{first.id}$")):
        page.click("#decision-form button[type=submit]")
    flow.check()
    assert page.inner_text(".alert-success").strip().endswith("已推荐 1 份")
    assert ["推荐", DISTRICT_OPINION] in history(page)

    message = flow.submit_unit("上报市学习办")
    assert "还有 1 份未评审" in message, message
    assert "已提交：推荐 1 人，不推荐 0 人。评审结果已锁定。" in page.inner_text(".alert-success")
    assert "上报市学习办：推荐 1 人，不推荐 0 人。评审结果已锁定。" in page.inner_text(".review-progress")
    assert page.locator("#submit-unit-form").count() == 0

    # --- The city office reads both opinions and the status. ---------------------------------------------------
    flow.log_in(review["city"])
    flow.open_review_list()
    flow.open_detail(first.name)
    assert page.inner_text(".apply-page .label").strip() == "一级单位已上报市学习办"
    steps = history(page)
    assert ["推荐", STREET_OPINION] in steps and ["推荐", DISTRICT_OPINION] in steps, steps
    assert [step for step, _opinion in steps][-1] == "上报市学习办", steps

    assert "/applications/decide" in flow.checked and "/login/" in flow.checked
    elsewhere = sorted({url for url in requested_urls if urlsplit(url).netloc != live_server.netloc})
    assert not elsewhere, f"requests to other hosts than the live server {live_server.netloc}: {elsewhere}"


def test_the_panel_shows_the_quota_and_a_window_that_has_not_begun(page, review):
    from app.models import RecommendationQuota

    db.session.add(RecommendationQuota(campaign=review["campaign"], level=2, max_recommended=1))
    db.session.commit()
    flow = Flow(page)
    flow.log_in(review["l2"])
    flow.open_review_list()
    assert page.inner_text("#quota-progress").strip() == "已推荐 0 / 名额 1"
    flow.open_detail(review["apps"][0].name)
    with page.expect_navigation(url=re.compile(r"/applications/decide\?")):
        page.click("#decide-choice button[value=recommend]")
    page.fill("#opinion", STREET_OPINION)
    with page.expect_navigation():
        page.click("#decision-form button[type=submit]")
    quota = page.locator("#quota-progress")
    assert "已推荐 1 / 名额 1" in quota.inner_text() and "名额已满" in quota.inner_text()
    assert "text-danger" in quota.get_attribute("class")

    # Before its window opens, the panel names the start, not an end.
    schedule.open_stage(review["campaign"], Stage.APPLY, at=NOW)
    db.session.commit()
    start = review["campaign"].window(Stage.L2_REVIEW).starts_at
    page.reload()
    panel = page.inner_text(".review-progress")
    assert f"「二级单位自评推荐」将于 {start:%Y-%m-%d %H:%M:%S} 开始" in panel, panel
    flow.check()


def test_a_district_clerk_finds_the_streets_that_have_not_submitted(page, review):
    review["street"].contact_name, review["street"].contact_phone = "张伟", "010-62551234"
    db.session.commit()
    factories.application(unit=review["district"].children[1], name="孙学习")  # 学院路街道
    flow = Flow(page)
    flow.log_in(review["l1"])
    page.click(".navbar >> text=评审推荐")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=提交情况")
    assert urlsplit(page.url).path == "/submissions/list/"
    flow.check()

    def column(index):
        return page.eval_on_selector_all(
            "#submissions-table tbody tr", f"rows => rows.map(r => r.cells[{index}].textContent.trim())")

    assert sorted(column(0)) == ["海淀区", "海淀区 · 中关村街道", "海淀区 · 学院路街道"]
    row = page.locator("#submissions-table tbody tr", has_text="中关村街道")
    assert row.locator("td").nth(2).inner_text() == "张伟"
    assert row.locator("a[href='tel:010-62551234']").count() == 1
    assert row.locator("td").nth(4).inner_text() == "未提交" and row.locator("td").nth(9).inner_text() == "3"

    # Sorting by a header, with the keyboard: ascending, then descending.
    header = page.locator("#submissions-table thead a[data-sort=undecided]")
    header.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert [int(n) for n in column(9)] == [0, 1, 3]
    with page.expect_navigation():
        page.locator("#submissions-table thead a[data-sort=undecided]").click()
    assert [int(n) for n in column(9)] == [3, 1, 0]
    assert page.get_attribute("#submissions-table thead th[aria-sort]", "aria-sort") == "descending"
    flow.check()


def test_a_bulk_decision_over_mixed_rows_does_what_it_can_and_says_so_once(page, live_server, review, csrf_on):
    """A street ticks every row, one of them already recommended: the others are recommended, and one message
    names the row left undone and why (not one red banner per row)."""
    flow = Flow(page)
    first, second, third = review["apps"]
    from app import workflow

    workflow.perform(review["l2"], third.id, "l2_recommend", "先前已推荐")
    flow.log_in(review["l2"])
    flow.open_review_list()
    for application in review["apps"]:  # each row's checkbox is named after its applicant, as a screen reader says
        page.get_by_role("checkbox", name=f"选择此行：{application.name}", exact=True).check()
    actions = page.locator(".btn-group", has=page.locator(".recommend_menu_item"))
    actions.locator("button.dropdown-toggle").click()
    with page.expect_navigation(url=re.compile(r"/applications/decide\?")):
        actions.locator(".recommend_menu_item").click()
    flow.check()
    page.locator("#opinion").click()
    page.keyboard.type(STREET_OPINION)
    with page.expect_navigation():
        page.click("#decision-form button[type=submit]")
    assert urlsplit(page.url).path == "/applications/list/"
    flow.check()
    alerts = page.locator(".alert")
    assert alerts.count() == 1, alerts.all_inner_texts()
    message = alerts.first.inner_text()
    assert "已推荐 2 份；1 份未处理：" in message, message
    assert f"{third.name}（该报名当前为「二级单位拟推荐（未提交）」，不能「推荐」）" in message, message
    assert first.name not in message and second.name not in message
    db.session.expire_all()
    assert [a.status for a in review["apps"]] == ["l2_recommended"] * 3


def test_the_unit_filter_finds_a_street_as_the_clerk_types(page, review, requested_urls):
    """The district's unit filter carries no unit until asked: typing asks /applications/api/units?q=… and the
    street picked filters the list."""
    other = factories.district_with_streets("朝阳区", ("望京街道",))[1][0]
    factories.application(unit=other, name="孙外区", status="l2_forwarded")
    for application in review["apps"][:2]:
        application.status = "l2_forwarded"
    db.session.commit()
    flow = Flow(page)
    flow.log_in(review["l1"])
    page.goto("/applications/list/")
    page.locator("a.accordion-toggle", has_text="搜索").click()
    page.click("#filter_form .dropdown-toggle")
    page.click("#filter_form a.filter[name=unit]")
    page.click("#filter_form select.search-select + .select2-container")
    page.fill(".select2-search__field", "中关村")
    option = page.locator(".select2-results__option", has_text="海淀区 · 中关村街道")
    option.wait_for()
    assert page.locator(".select2-results__option", has_text="望京").count() == 0
    assert any("/applications/api/units?q=" in url for url in requested_urls)
    option.click()
    with page.expect_navigation():
        page.click("#filter_form button[type=submit]")
    assert "_unit=" in page.url
    assert "王学习" in flow.body() and "孙外区" not in flow.body()


def test_a_laptops_list_keeps_each_name_on_one_line(page, review):
    """Found by a screenshot tour at 1366px: the review list gave the row buttons' column a twelfth of the table (FAB's
    col-md-1, ~95px for one 16px button) and broke names such as 董立军 into 董立 / 军 beside it. The buttons' column
    is now as wide as its buttons and a name stays on one line, with long work units and states beside it."""
    for name in ("董立军", "欧阳晓明"):
        factories.application(unit=review["street"], name=name,
                              work_unit="北京市海淀区中关村街道某社区居民委员会文化活动中心",
                              position="社区教育志愿者服务队队长", address="北京市海淀区中关村东路30号院9号楼4单元1401室")
    page.set_viewport_size({"width": 1366, "height": 768})
    flow = Flow(page)
    flow.log_in(review["l2"])
    page.goto("/applications/list/")
    names = page.locator("table a.row-name")
    assert names.count() == 5
    for link in names.all():
        box = link.bounding_box()
        line = link.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert box["height"] < 1.5 * line, (link.inner_text(), box)  # one line
    buttons = page.locator("table tbody tr").first.locator(".btn-group").bounding_box()
    column = page.locator("table thead th.col-md-1").bounding_box()
    assert column["width"] < buttons["width"] + 24, (column, buttons)


def test_the_submissions_table_keeps_its_short_columns_on_one_line(page, review):
    """Found by the same tour: beside a unit column as wide as the longest street's name, 提交情况 broke 一级单位 into
    一级单 / 位 and a contact's name into 孙海 / 峰."""
    review["district"].contact_name = "孙海峰"
    factories.unit(name="北京经济技术开发区管理委员会社会事业局代管荣华街道社区服务中心与居民事务综合服务站（亦庄新城）",
                   parent=review["district"])
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    flow = Flow(page)
    flow.log_in(review["city"])
    page.goto("/submissions/list/")
    row = page.locator("#submissions-table tbody tr", has_text="孙海峰")
    for index in (1, 2, 4):  # 级别, 联系人, 提交情况
        cell = row.locator("td").nth(index)
        line = cell.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert cell.bounding_box()["height"] < 1.5 * line + 10, (cell.inner_text(), cell.bounding_box())
    for header in page.locator("#submissions-table thead th").all():
        line = header.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert header.bounding_box()["height"] < 1.5 * line + 10, header.inner_text()
