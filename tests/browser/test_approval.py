"""审核确定 in a real browser: after 公示 the city office opens 公示与表彰 → 审核确定, picks the decision's date in the
calendar, chooses the PDF with its 选择 PDF 文件 button (the browser's picker; the name shows beside it) and first submits without the 文号 — the field says so and the file
stays attached — then types it, confirms, and reads the recorded decision; the candidates are winners.

The HTTP side is tests/views/test_approval.py; here the controls count: the menu, the date picker, the file picker,
the field message, the confirm step.
"""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from reportlab.pdfgen import canvas

from app import clock, roles
from app.extensions import db
from app.models import Application
from tests import factories
from tests.browser.test_review import Flow

NUMBER = "京学习办〔2026〕5号"
SCREENSHOTS = "/tmp/approval-{step}.png"


@pytest.fixture
def world(tmp_path):
    campaign = factories.campaign(open_stage="publicity")
    picked = factories.candidates(3, campaign=campaign, featured=1)
    # The live server runs in this process: its clock is frozen too, a day after 公示 ended.
    clock.freeze(campaign.window("publicity").ends_at + timedelta(days=1))
    pdf = tmp_path / "领导小组审核决定.pdf"
    page = canvas.Canvas(str(pdf))
    page.drawString(72, 720, "Decision of the leading group")
    page.save()
    return {"campaign": campaign, "picked": picked, "pdf": pdf,
            "city": factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="李娜")}


def pick_day(page, day):
    """Open the date field's calendar and pick `day`, moving month by month with the calendar's arrows."""
    page.locator(".dt-field", has=page.locator("#decided_on")).locator("button.dt-open").click()
    panel = page.locator(".flatpickr-calendar.open")
    for _ in range(36):
        shown = (int(panel.locator(".cur-year").input_value()),
                 int(panel.locator(".flatpickr-monthDropdown-months").input_value()) + 1)
        if shown == (day.year, day.month):
            break
        panel.locator(".flatpickr-next-month" if shown < (day.year, day.month) else ".flatpickr-prev-month").click()
    panel.locator(f'.flatpickr-day[aria-label="{day.year}年{day.month}月{day.day}日"]').click()
    assert page.locator(".flatpickr-calendar.open").count() == 0  # a date-only calendar closes on the day


def test_the_city_office_records_the_decision_with_date_picker_and_file_picker(world, page):
    flow = Flow(page)
    flow.log_in(world["city"])
    page.click(".navbar >> text=公示与表彰")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=审核确定")
    assert urlsplit(page.url).path == "/approval/"
    flow.check()
    assert "3 人（其中重点宣传 1 人）" in page.inner_text("#approval-summary")

    day = clock.now().date()
    pick_day(page, day)
    assert page.input_value("#decided_on") == day.isoformat()
    picker = page.locator("label.file-pick[for=decision_file]")
    assert picker.inner_text().strip() == "选择 PDF 文件"
    assert page.inner_text(".file-chosen[data-for=decision_file]") == "未选择文件"
    with page.expect_file_chooser() as chooser:
        picker.click()  # the button opens the browser's picker, whatever the browser's own language
    chooser.value.set_files(str(world["pdf"]))
    assert page.inner_text(".file-chosen[data-for=decision_file]") == "领导小组审核决定.pdf"
    with page.expect_navigation():
        page.click("#approval-submit")
    flow.check()
    # The 文号 was empty: said at its field; the date and the file stay.
    assert "请填写审核决定的文号" in page.inner_text("#document_number-help")
    assert page.input_value("#decided_on") == day.isoformat()
    assert page.inner_text("#held-file").strip() == "已上传：领导小组审核决定.pdf（可重新选择）"
    page.screenshot(path=SCREENSHOTS.format(step="refused"), full_page=True)

    page.fill("#document_number", NUMBER)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    flow.check()
    confirm = page.inner_text("#approval-confirm")
    assert "审核确定后名单将公布，不能撤回" in confirm and NUMBER in confirm and "领导小组审核决定.pdf" in confirm
    page.screenshot(path=SCREENSHOTS.format(step="confirm"), full_page=True)
    with page.expect_navigation():
        page.click("#confirm-approve")
    flow.check()
    assert page.inner_text("#record-number") == NUMBER and page.inner_text("#record-date") == day.isoformat()
    assert page.inner_text("#record-by") == "市学习办 · 李娜"
    assert "首都市民学习之星 3 人（重点宣传 1 人）" in page.inner_text("body")
    assert page.locator("#approval-form").count() == 0
    page.screenshot(path=SCREENSHOTS.format(step="decision"), full_page=True)

    db.session.expire_all()
    statuses = sorted(db.session.get(Application, a.id).status for a in world["picked"])
    assert statuses == ["featured_winner", "winner", "winner"]
