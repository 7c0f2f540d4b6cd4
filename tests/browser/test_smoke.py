"""Smoke test in a real browser: log in as the city office, open the unit lists and the home page.

Checks that the pages are in Chinese (none of FAB's English left) and that every request stays on our own
server: the portal runs where CDNs and Google are out of reach.
"""
import re
from urllib.parse import urlsplit

from app import roles
from tests import factories
from tests.browser.accessibility import assert_accessible
from tests.browser.signing import log_in

SCREENSHOT = "/tmp/smoke-units.png"

# FAB's English words, which a missing translation (or FAB's hard-coded modal buttons, or an empty cell shown as
# None) leaves on the page.
ENGLISH = re.compile(
    r"\b(Add|Edit|Show|Delete|Search|List|Back|Actions?|Refresh|Record Count|Filters?|Home|Log ?in|Log ?out|Sign In"
    r"|Username|Password|Security|Save|Submit|Cancel|OK|Yes|No|None)\b"
)

# Every text node of the document (hidden ones too: menus, modals, screen-reader labels) and the attributes
# shown to users, without scripts and styles.
_TEXTS_JS = """() => {
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const tag = node.parentElement && node.parentElement.tagName;
    if (tag !== 'SCRIPT' && tag !== 'STYLE' && node.textContent.trim()) out.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[title], [placeholder], [aria-label], [alt], input[type=submit], input[type=button]')) {
    for (const name of ['title', 'placeholder', 'aria-label', 'alt']) if (el.getAttribute(name)) out.push(el.getAttribute(name));
    if (el.type === 'submit' || el.type === 'button') out.push(el.value);
  }
  return out;
}"""


def assert_chinese_page(page, *expected):
    visible = page.inner_text("body")
    for words in (*expected, "单位与账号"):  # and the menu
        assert words in visible, f"{words!r} not shown on {page.url}"
    english = sorted({match.group(0) for text in page.evaluate(_TEXTS_JS) for match in ENGLISH.finditer(text)})
    assert not english, f"English left on {page.url}: {english}"


def test_city_office_sees_units_in_chinese_and_nothing_external(page, live_server, requested_urls):
    district, streets = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
    factories.campaign(year=2026, name="2026年度首都市民学习之星")
    clerk = factories.account(role=roles.CITY_OFFICE, username="cityoffice")

    log_in(page, clerk)

    page.goto("/units/first-level/list/")
    page.screenshot(path=SCREENSHOT, full_page=True)  # before the checks: to look at when they fail
    assert_chinese_page(page, "一级单位列表", district.name)

    page.goto("/units/second-level/list/")
    assert_chinese_page(page, "二级单位列表", district.name, *(street.name for street in streets))

    page.goto("/")
    assert_chinese_page(page, "2026年度首都市民学习之星", "时间安排")

    assert any(urlsplit(url).path.endswith(".css") for url in requested_urls), requested_urls
    elsewhere = sorted({url for url in requested_urls if urlsplit(url).netloc != live_server.netloc})
    assert not elsewhere, f"requests to other hosts than the live server {live_server.netloc}: {elsewhere}"


def test_select2_speaks_chinese_when_nothing_matches_and_on_its_clear_button(page):
    """FAB's Select2 ships English only ("No results found", "Remove all items"): the portal's pages give it their
    own words (static/js/select2-language.js), typed into its search box as a user does."""
    factories.district_with_streets("海淀区", ("中关村街道",))
    clerk = factories.account(role=roles.CITY_OFFICE, username="cityoffice")
    log_in(page, clerk)
    page.goto("/units/second-level/add")
    page.locator(".select2-container").first.click()
    page.locator(".select2-search__field").press_sequentially("不存在的单位")
    page.wait_for_selector(".select2-results__message", state="visible")
    assert page.inner_text(".select2-results__message") == "没有找到匹配的结果"
    page.keyboard.press("Escape")
    assert page.locator(".select2-selection__clear").first.get_attribute("title") == "清除全部"


def test_select2s_multiple_box_names_its_search_field_and_keeps_its_clear_button_out_of_the_list(page):
    """Select2 4.0.13's multiple box, as it comes, has an unnamed search field and its clear button inside the <ul>
    of choices (axe: serious). static/js/select2-language.js mends every box, also after each choice redraws it."""
    factories.campaign()
    for name in ("张明", "李红"):
        factories.expert(first_name=name)
    clerk = factories.account(role=roles.CITY_OFFICE, username="cityoffice")
    log_in(page, clerk)
    page.goto("/expert-panels/add")
    box = page.locator("#group-experts .select2-container")
    for name in ("张明", "李红"):
        box.click()
        page.keyboard.type(name)
        page.locator(".select2-results__option", has_text=name).click()
    page.keyboard.press("Escape")
    assert box.locator(".select2-search__field").get_attribute("aria-label") == "专家"
    assert box.locator("ul .select2-selection__clear").count() == 0
    assert box.locator(".select2-selection > .select2-selection__clear").count() == 1
    assert_accessible(page, "专家组 with two experts chosen")

    box.locator(".select2-selection__choice", has_text="张明").locator(".select2-selection__choice__remove").click()
    page.keyboard.press("Escape")
    assert box.locator(".select2-selection__clear").count() == 1  # the redraw's button replaced the moved one
    assert page.eval_on_selector("#experts", "s => [...s.selectedOptions].map(o => o.text)") == ["李红（北京某大学）"]
    box.locator(".select2-selection__clear").dispatch_event("mousedown")
    page.keyboard.press("Escape")
    assert page.eval_on_selector("#experts", "s => s.selectedOptions.length") == 0
    assert box.locator(".select2-selection__clear").count() == 0  # nothing chosen, nothing to clear


def test_the_city_offices_menu_fits_one_row_on_a_laptop(page):
    """Found by a screenshot tour: the city office's nine menus, 我的通知 with its unread count, the language and the
    account took two rows (100px) of a 1366px laptop's 768 inside Bootstrap's 1170px container, and four (202px) at
    1024px."""
    from app import notifications
    from app.extensions import db

    office = factories.account(role=roles.CITY_OFFICE, username="cityoffice", first_name="欧阳晓明")
    notifications.notify([office], "returned", "一条通知", "未读：导航栏上有未读条数")
    db.session.commit()
    log_in(page, office)
    for width in (1024, 1280, 1366):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto("/dashboard/")
        menus = page.locator("nav.navbar .navbar-nav > li:visible")
        assert menus.count() >= 12  # 工作台 … 审计, 我的通知, the language, the account
        assert page.inner_text("nav.navbar .notification-count") == "1"
        tops = {round(box["y"]) for box in (menu.bounding_box() for menu in menus.all())}
        assert len(tops) == 1, (width, tops)
        assert page.locator("nav.navbar").bounding_box()["height"] < 60
