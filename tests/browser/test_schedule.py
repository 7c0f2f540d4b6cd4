"""评选管理 → 时间安排 in Chromium: the city office extends 在线报名 for a late unit, once by typing the end with the
keyboard and once with the calendar, and the public home page shows the new end; a bad value is refused in Chinese
at the field, keeping what was typed.

The calendar is flatpickr (app/static/vendor/flatpickr/, opened by the field's button, see
app/static/js/datetime-field.js), driven here as users drive it: the calendar button, the month arrows, a day, the
hour/minute/second boxes — by mouse and by keys (arrows, Ctrl+→ for the month, Enter, Tab, Esc).
"""
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app import clock, roles
from app.models import Stage
from tests import factories
from tests.browser.test_review import Flow

NOW = datetime(2027, 4, 20, 10, 0)
LIST = "/campaigns/windows/list/"
SCREENSHOT = "/tmp/schedule-picker.png"


@pytest.fixture
def office():
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    campaign = factories.campaign(year=2027)
    return {
        "window": campaign.window(Stage.APPLY),
        "city": factories.account(roles.CITY_OFFICE, username="cityoffice"),
    }


def open_window_form(flow, window):
    """评选管理 → 时间安排 through the navbar, then the 在线报名 row's edit link."""
    page = flow.page
    page.click(".navbar >> text=评选管理")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=时间安排")
    assert urlsplit(page.url).path == LIST
    flow.check()
    with page.expect_navigation():
        page.locator("table.table-hover tbody tr", has_text="在线报名").locator(
            f"a[href*='/campaigns/windows/edit/{window.id}']").click()
    assert urlsplit(page.url).path == f"/campaigns/windows/edit/{window.id}"
    flow.check()


def home_schedule(page):
    """The public home page's schedule: {阶段: (开始, 截止)}."""
    page.goto("/")
    rows = page.eval_on_selector_all(
        "table.schedule-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    return {row[0]: (row[1], row[2]) for row in rows}


def fully_shown(panel) -> bool:
    """The calendar is inside the window and on top of the page: its corners and its seconds box are what a click
    there would hit (a panel clipped by the form's scrolling table would fail this)."""
    return panel.evaluate("""panel => {
      const box = panel.getBoundingClientRect();
      if (box.top < 0 || box.left < 0 || box.bottom > innerHeight || box.right > innerWidth) return false;
      const hits = (x, y) => panel.contains(document.elementFromPoint(x, y));
      const second = panel.querySelector('.flatpickr-second'), at = second.getBoundingClientRect();
      return hits(box.left + 2, box.top + 2) && hits(box.right - 2, box.bottom - 2)
        && document.elementFromPoint(at.left + at.width / 2, at.top + at.height / 2) === second;
    }""")


def save(page):
    with page.expect_navigation():
        page.click("#model_form [type=submit]")


def test_city_office_extends_a_window_by_keyboard_and_by_calendar(page, live_server, office, csrf_on):
    flow = Flow(page)
    window = office["window"]
    flow.log_in(office["city"])
    assert home_schedule(page)["在线报名"] == ("2027-04-04 00:00:00", "2027-04-27 23:59:59")

    # --- Typed: the value stays as typed through Tab and Esc, and Enter saves it. ---------------------------------
    open_window_form(flow, window)
    end = page.locator("#ends_at")
    assert end.input_value() == "2027-04-27 23:59:59"
    assert page.locator("#starts_at").input_value() == "2027-04-04 00:00:00"
    end.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2027-05-06 23:59:59")
    page.keyboard.press("Tab")
    assert end.input_value() == "2027-05-06 23:59:59"
    assert page.locator(".dt-hint").count() == 0  # a good value draws no warning
    end.focus()
    page.keyboard.press("Escape")
    assert end.input_value() == "2027-05-06 23:59:59"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == LIST  # back to 时间安排, not the home page
    assert "2027-05-06 23:59:59" in page.locator("table.table-hover tbody tr", has_text="在线报名").inner_text()
    flow.check()
    assert home_schedule(page)["在线报名"] == ("2027-04-04 00:00:00", "2027-05-06 23:59:59")

    # --- The calendar, by mouse: it opens on the field's value, in Chinese, with the time to the second. ------------
    open_window_form(flow, window)
    field = page.locator(".dt-field", has=page.locator("#ends_at"))
    field.locator("button.dt-open").click()
    panel = page.locator(".flatpickr-calendar.open")
    assert panel.count() == 1 and panel.is_visible() and fully_shown(panel)
    assert page.locator("input.flatpickr-input:visible").count() == 0  # flatpickr's own input stays out of sight
    flow.check()  # the open calendar has no English either
    assert panel.locator(".cur-year").input_value() == "2027"
    assert panel.locator(".flatpickr-monthDropdown-months option:checked").inner_text() == "五月"
    assert panel.locator(".flatpickr-day.selected").inner_text() == "6"
    time = {part: panel.locator(f"input.flatpickr-{part}") for part in ("hour", "minute", "second")}
    assert [box.input_value() for box in time.values()] == ["23", "59", "59"]
    weekdays = panel.locator(".flatpickr-weekday").all_inner_texts()
    assert [w.strip() for w in weekdays] == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    # 2027-05-01 is a Saturday: the first day sits in the sixth column.
    assert panel.locator(".flatpickr-day").evaluate_all(
        "days => days.findIndex(d => !d.classList.contains('prevMonthDay'))") == 5
    page.screenshot(path=SCREENSHOT)
    panel.locator(".flatpickr-next-month").click()  # 下一月: June
    assert panel.locator(".flatpickr-monthDropdown-months option:checked").inner_text() == "六月"
    panel.locator(".flatpickr-day:not(.prevMonthDay):not(.nextMonthDay)", has_text=re.compile(r"^10$")).click()
    assert end.input_value() == "2027-06-10 23:59:59"  # the day is written at once, the time kept
    time["hour"].fill("18")
    time["minute"].fill("30")
    time["second"].fill("15")
    page.locator("#model_form").click(position={"x": 2, "y": 2})  # outside the calendar: it closes
    assert page.locator(".flatpickr-calendar.open").count() == 0
    assert end.input_value() == "2027-06-10 18:30:15"
    save(page)
    assert urlsplit(page.url).path == LIST
    assert home_schedule(page)["在线报名"] == ("2027-04-04 00:00:00", "2027-06-10 18:30:15")

    # --- The calendar, by keys: Enter on the button opens it on the field's day, arrows move the day, Ctrl+→ the
    # month, Enter picks the day and goes to the hour, Tab to minute and second, Enter there closes it; Esc closes it
    # without changing anything. --------------------------------------------------------------------------------------
    open_window_form(flow, window)
    focused = "() => document.activeElement.getAttribute('aria-label')"  # a day's: 2027年6月10日
    field.locator("button.dt-open").focus()
    page.keyboard.press("Enter")
    assert panel.locator(".flatpickr-day.selected").inner_text() == "10"
    assert page.evaluate(focused) == "2027年6月10日"  # the keyboard starts on the field's day
    page.keyboard.press("ArrowRight")  # 6月11日
    page.keyboard.press("ArrowDown")  # 6月18日
    assert page.evaluate(focused) == "2027年6月18日"
    page.keyboard.press("Escape")
    assert page.locator(".flatpickr-calendar.open").count() == 0
    assert end.input_value() == "2027-06-10 18:30:15"
    assert page.evaluate("() => document.activeElement.classList.contains('dt-open')")  # the button has the focus
    page.keyboard.press("Enter")
    page.keyboard.press("Control+ArrowRight")  # 7月1日
    assert panel.locator(".flatpickr-monthDropdown-months option:checked").inner_text() == "七月"
    # flatpickr puts the focus on the grid's first cell, Monday 6月28日, greyed before 7月1日 (a Thursday).
    assert page.evaluate(focused) == "2027年6月28日"
    for key in ("ArrowDown", "ArrowDown", "ArrowDown", "ArrowLeft"):  # 7月5日, 12日, 19日, then 18日
        page.keyboard.press(key)
    assert page.evaluate(focused) == "2027年7月18日"
    page.keyboard.press("Enter")  # picks 7月18日, keeps the time, and moves to the hour
    assert end.input_value() == "2027-07-18 18:30:15"
    page.keyboard.press("Control+A")
    page.keyboard.type("23")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("59")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("59")
    page.keyboard.press("Enter")  # closes the calendar, does not submit the form
    assert page.locator(".flatpickr-calendar.open").count() == 0
    assert urlsplit(page.url).path == f"/campaigns/windows/edit/{window.id}"
    assert end.input_value() == "2027-07-18 23:59:59"
    save(page)
    assert urlsplit(page.url).path == LIST
    assert home_schedule(page)["在线报名"] == ("2027-04-04 00:00:00", "2027-07-18 23:59:59")


def test_a_bad_end_is_refused_in_chinese_at_the_field_as_typed(page, live_server, office, csrf_on):
    flow = Flow(page)
    window = office["window"]
    flow.log_in(office["city"])
    open_window_form(flow, window)
    end = page.locator("#ends_at")
    end.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2027-02-30 23:59:59")
    page.keyboard.press("Tab")
    # Leaving the box warns at once, keeping the text.
    hint = page.locator(".dt-hint")
    assert hint.inner_text() == "请按“年-月-日 时:分:秒”填写，例如 2027-01-06 23:59:59"
    assert end.input_value() == "2027-02-30 23:59:59"
    flow.check()
    save(page)
    # The server refuses it at the same field and gives the text back.
    assert urlsplit(page.url).path == f"/campaigns/windows/edit/{window.id}"
    assert page.locator("#ends_at").input_value() == "2027-02-30 23:59:59"
    row = page.locator("tr", has=page.locator("#ends_at"))
    assert "请按“年-月-日 时:分:秒”填写，例如 2027-01-06 23:59:59" in row.locator(".alert-danger").inner_text()
    flow.check()
    # An end before the start: the existing rule, in Chinese, at the end field.
    page.locator("#ends_at").fill("2027-04-01 00:00:00")
    save(page)
    row = page.locator("tr", has=page.locator("#ends_at"))
    assert "截止时间必须晚于开始时间" in row.locator(".alert-danger").inner_text()
    assert page.locator("#ends_at").input_value() == "2027-04-01 00:00:00"
    flow.check()
    assert home_schedule(page)["在线报名"] == ("2027-04-04 00:00:00", "2027-04-27 23:59:59")


def test_the_audit_log_filters_by_time_with_the_same_field(page, live_server, office):
    """FAB's search filters copy a DateTime widget into the page on demand: its English datepicker crashed there
    ("$field.datetimepicker is not a function"); the portal's field works in a filter like in a form."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    clock.freeze(datetime(2027, 4, 21, 9, 0))
    factories.unit(name="延庆区")  # logged at 4/21 09:00; the campaign and the account at 4/20 10:00
    flow = Flow(page)
    flow.log_in(office["city"])
    page.goto("/audit/list/")
    page.locator("a.accordion-toggle", has_text="搜索").click()
    page.click("button:has-text('添加过滤条件')")
    page.locator("a.filter[name=at]").click()
    page.locator("td.filter .select2-container").click()
    page.locator(".select2-results__option", has_text="大于").click()
    value = page.locator("td.filter [data-dt-field] input")
    value.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("2027-04-21 00:00:00")
    page.keyboard.press("Tab")
    assert value.input_value() == "2027-04-21 00:00:00"
    page.locator("td.filter .dt-open").click()
    assert page.locator(".flatpickr-calendar.open .flatpickr-day.selected").inner_text() == "21"
    page.keyboard.press("Escape")
    assert page.locator(".flatpickr-calendar.open").count() == 0
    assert value.input_value() == "2027-04-21 00:00:00"
    flow.check()
    with page.expect_navigation():
        page.click("form#filter_form button[type=submit], .panel-body button[type=submit]:has-text('搜索')")
    listed = page.locator("table.table-hover").last  # the first one is the search form's filters
    times = listed.locator("tbody tr").evaluate_all("rows => rows.map(r => r.cells[1].textContent.trim())")
    assert times and all(t >= "2027-04-21 00:00:00" for t in times), times
    assert "延庆区" in listed.inner_text() and "在线报名" not in listed.inner_text()
    assert not errors, errors


def test_the_calendar_speaks_english_on_an_english_page(page, live_server, office):
    flow = Flow(page)
    flow.log_in(office["city"])
    page.goto("/lang/en")
    page.goto(f"/campaigns/windows/edit/{office['window'].id}")
    page.locator(".dt-field", has=page.locator("#ends_at")).locator("button.dt-open").click()
    panel = page.locator(".flatpickr-calendar.open")
    assert panel.locator(".flatpickr-monthDropdown-months option:checked").inner_text() == "April"
    assert [w.strip() for w in panel.locator(".flatpickr-weekday").all_inner_texts()][:2] == ["Mon", "Tue"]
    assert panel.locator("input.flatpickr-hour").get_attribute("aria-label") != "时"
    chinese = panel.evaluate("p => (p.innerText + [...p.querySelectorAll('[aria-label]')].map(e => e.getAttribute("
                             "'aria-label')).join(' ')).match(/[\\u4e00-\\u9fff]+/g)")
    assert not chinese, chinese
    page.goto("/lang/zh")


def test_quotas_and_a_years_end_that_make_no_sense_are_refused_at_their_fields(page, live_server, office, csrf_on):
    """新增评选批次 with 0 winners, then more featured than winners: each refused at its field, what was typed kept
    (the database's check refused the save with 「与已有记录冲突」 and the form was gone). A window ending in 9999: the
    end field says which years."""
    flow = Flow(page)
    flow.log_in(office["city"])
    flow.open_add_form("评选管理", "评选批次", "/campaigns/add")
    page.locator("#name").fill("第十批")
    page.locator("#year").fill("2028")
    page.locator("#winner_quota").fill("0")
    save(page)
    row = page.locator("tr", has=page.locator("#winner_quota"))
    assert "拟评选人数须在 1 至 100,000 之间" in row.locator(".alert-danger").inner_text()
    assert (page.locator("#name").input_value(), page.locator("#year").input_value()) == ("第十批", "2028")
    assert page.locator("#winner_quota").input_value() == "0"
    flow.check()
    page.locator("#winner_quota").fill("5")
    page.locator("#featured_quota").fill("10")
    save(page)
    row = page.locator("tr", has=page.locator("#featured_quota"))
    assert "重点宣传人数不能多于拟评选人数（5）" in row.locator(".alert-danger").inner_text()
    page.locator("#featured_quota").fill("2")
    save(page)
    flow.check()
    assert "第十批" in flow.body() and urlsplit(page.url).path.startswith("/campaigns/")

    open_window_form(flow, office["window"])
    end = page.locator("#ends_at")
    end.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("9999-12-31 23:59:59")
    page.keyboard.press("Tab")
    save(page)
    row = page.locator("tr", has=page.locator("#ends_at"))
    assert "时间须在 2000 年至 2100 年之间" in row.locator(".alert-danger").inner_text()
    assert page.locator("#ends_at").input_value() == "9999-12-31 23:59:59"
    flow.check()
