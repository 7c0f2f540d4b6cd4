"""The city office sets up 专家评审 in the browser: adds an expert by typing, imports a sheet through the file picker,
then makes a 专家组 by picking experts in the select2 widget."""
import re
from urllib.parse import quote, urlsplit

from openpyxl import Workbook
from playwright.sync_api import expect

from app import expert_import, rounds, roles
from app.extensions import db
from app.models import Expert, ExpertConflict, ExpertPanel, Stage
from tests import factories
from tests.browser.test_review import Flow

SCREENSHOT = "/tmp/expert-panel.png"


def _sheet(path):
    book = Workbook()
    book.active.append([str(c) for c in expert_import.COLUMNS])
    book.active.append(["李红", "首都师范大学", "教育学", "13911113333", "", "东城区"])
    book.active.append(["王强", "北京联合大学", "职业教育", "13911114444", "", ""])
    book.save(path)


def open_menu(page, flow, label):
    page.click(".navbar >> text=专家评审")
    with page.expect_navigation():
        page.click(f".navbar .dropdown-menu >> text={label}")
    flow.check()


def test_city_office_adds_imports_and_makes_a_panel(page, live_server, tmp_path):
    campaign = factories.campaign()
    rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    db.session.commit()
    factories.unit("东城区")
    city = factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="王立群")
    flow = Flow(page)
    flow.log_in(city)

    open_menu(page, flow, "专家")
    assert urlsplit(page.url).path == "/experts/list/"
    with page.expect_navigation():
        page.click("a[href*='/experts/add']")
    flow.check()
    page.fill("#name", "张明")
    page.fill("#phone", "1391111222")  # one digit short
    page.fill("#employer", "北京开放大学")
    page.fill("#field", "终身教育")
    with page.expect_navigation():
        page.click("button[type=submit]")
    flow.check()
    assert "请填写有效的 11 位中国大陆手机号码" in page.inner_text("#group-phone")
    assert page.input_value("#name") == "张明"  # nothing typed is lost
    page.fill("#phone", "13911112222")
    with page.expect_navigation():
        page.click("button[type=submit]")
    flow.check()
    body = flow.body()
    assert "初始密码" in body and "expert1" in body and "北京开放大学" in body

    page.goto("/experts/list/")
    with page.expect_navigation():
        page.click("text=批量导入专家")
    flow.check()
    sheet = tmp_path / "专家名单.xlsx"
    _sheet(sheet)
    # The file picker is a 选择 Excel 文件 button in any browser language; the chosen name shows beside it.
    with page.expect_file_chooser() as chooser:
        page.click("label.file-pick[for=sheet]")
    chooser.value.set_files(str(sheet))
    assert page.inner_text(".file-chosen[data-for=sheet]") == "专家名单.xlsx"
    with page.expect_navigation():
        page.click("button[type=submit]")
    flow.check()
    created = page.eval_on_selector_all("table.created-accounts tbody tr",
                                        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    assert [row[:2] for row in created] == [["李红", "expert2"], ["王强", "expert3"]]
    assert all(re.fullmatch(r"\S{11}", row[2]) for row in created)
    assert db.session.query(Expert).count() == 3

    open_menu(page, flow, "专家组")
    with page.expect_navigation():
        page.click("a[href*='/expert-panels/add']")
    flow.check()
    page.fill("#name", "第一组")
    for name in ("张明", "李红"):
        page.locator("#group-experts .select2-container").click()
        page.keyboard.type(name)
        page.locator(".select2-results__option", has_text=name).click()
    page.locator("#group-units .select2-container").click()
    page.locator(".select2-results__option", has_text="东城区").click()
    with page.expect_navigation():
        page.click("button[type=submit]")
    flow.check()
    assert "已保存专家组「第一组」" in flow.body()
    page.screenshot(path=SCREENSHOT, full_page=True)
    panel = db.session.query(ExpertPanel).one()
    db.session.refresh(panel)
    assert sorted(e.name for e in panel.experts) == ["张明", "李红"]
    assert [u.unit.name for u in panel.units] == ["东城区"]


def test_city_office_declares_a_conflict_with_an_applicant_found_by_typing(page, live_server, requested_urls):
    """登记回避关系: the applicant box carries no applicant until asked (a campaign has up to 100,000); typing part of
    the name asks /expert-conflicts/api/applications?q=…, the one picked is saved with the reason typed, and the
    conflict is listed."""
    campaign = factories.campaign()
    rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    district, (street,) = factories.district_with_streets("东城区", ("东华门街道",))
    wanted = factories.application(unit=street, campaign=campaign, status="reported", name="李学习")
    factories.application(unit=street, campaign=campaign, status="reported", name="王读书")
    expert = factories.expert(first_name="张明", employer="北京开放大学")
    city = factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="王立群")
    flow = Flow(page)
    flow.log_in(city)

    open_menu(page, flow, "回避关系")
    with page.expect_navigation():
        page.click("a[href*='/expert-conflicts/add']")
    flow.check()
    assert "李学习" not in page.content()
    page.locator("#group-expert .select2-container").click()
    page.keyboard.type("张明")
    page.locator(".select2-results__option", has_text="张明（北京开放大学）").click()
    page.locator("#group-application .select2-container").click()
    typed = "/expert-conflicts/api/applications?q=" + quote("学习")
    with page.expect_response(lambda response: typed in response.url):
        page.fill(".select2-search__field", "学习")
    option = page.locator(".select2-results__option", has_text="李学习（东城区 · 东华门街道）")
    expect(page.locator(".select2-results__option")).to_have_count(1)
    assert any(typed in url for url in requested_urls)
    option.click()
    page.fill("#reason", "亲属")
    with page.expect_navigation():
        page.click("button[type=submit]")
    flow.check()
    assert "已登记回避关系" in flow.body()
    assert "李学习（东城区 · 东华门街道）" in flow.body() and "亲属" in flow.body()
    conflict = db.session.query(ExpertConflict).one()
    assert (conflict.expert_id, conflict.application_id, conflict.reason) == (expert.id, wanted.id, "亲属")

    # The list's 删除 button (app/views/list_widget.py writes FAB's): its confirmation, then the row is gone.
    page.click(f"#btn-delete-\\/expert-conflicts\\/delete\\/{conflict.id}")
    dialog = page.locator("#modal-confirm")
    expect(dialog).to_be_visible()
    assert "确定要删除这条记录吗" in dialog.inner_text()
    with page.expect_navigation():
        page.click("#modal-confirm-ok")
    flow.check()
    assert "已删除回避关系" in flow.body()
    db.session.expire_all()
    assert db.session.query(ExpertConflict).count() == 0


def test_an_experts_unit_changed_in_the_form_reads_in_the_audit_log(page, live_server):
    """所在单位 decides which applicants an expert is kept from (评审分配 avoids that unit): the city office changes
    it in the expert's form with the picker, and the audit administrator reads the change by name. The form sets the
    expert's unit as a whole row, not its id; such a change used to leave no event at all."""
    haidian, dongcheng = factories.unit("海淀区"), factories.unit("东城区")
    expert = factories.expert(first_name="张明", employer="北京开放大学", employer_unit=haidian)
    city = factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="王立群")
    auditor = factories.account(roles.AUDITOR, username="auditor", first_name="赵审计")
    flow = Flow(page)
    flow.log_in(city)

    open_menu(page, flow, "专家")
    with page.expect_navigation():
        page.click(f"a[href*='/experts/edit/{expert.id}']")
    flow.check()
    page.locator("#group-employer_unit .select2-container").click()
    page.keyboard.type("东城")
    page.locator(".select2-results__option", has_text="东城区").click()
    with page.expect_navigation():
        page.click("button[type=submit]")
    flow.check()
    db.session.expire_all()
    assert db.session.get(Expert, expert.id).employer_unit_id == dongcheng.id

    flow.log_in(auditor)
    page.click(".navbar >> text=审计")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=审计日志")
    flow.check()
    row = page.locator("table.table-hover tbody tr", has_text="所在单位（本系统）").first
    assert "所在单位（本系统）：海淀区 → 东城区" in row.inner_text()
    assert "王立群" in row.inner_text()
