"""The whole-campaign rehearsal (issue 12 item 1): one campaign, from its creation to a verified certificate, through
the UI in Debian's Chromium, every role in its own browser context, the schedule moved between stages by the
command the office's IT staff use (`flask campaign open-stage KEY`, invoked through Click against the live server's
database).

1. 市学习办 creates the campaign (评选批次) and extends 一级单位创建二级单位账号 with the calendar (时间安排).
2. The 海淀区 clerk creates a second-level unit and its account by form, and three more from an Excel sheet (made
   here with openpyxl); the new clerks change their initial passwords on first sign-in.
3. Three citizens register and apply on a phone: photo and video (the progress bar), one grey-background photo and
   one HEVC video refused with their messages first. One street returns an application while 在线报名 is open; its
   citizen corrects and submits again.
4. Two streets recommend and submit; the third never acts and misses its deadline (过期无效, told to its citizen).
   The district recommends and reports to the city office.
5. The rest of the city's reported applications and the experts come from the generator (app/demo/generate.py), as
   in tests/e2e/test_review_campaign.py, whose helpers run the review half: 自动分配, one expert per round scores
   in the browser and the others through the REST API with a Bearer token, 结束本轮, 前 K 名入围, the two picks.
6. 公示 on a phone, an objection lodged and handled (撤销), 审核确定, /mingdan, a certificate verified by its QR code.
7. The office's dashboard, role permissions, an export's progress page; the auditor reads the audit log.

Every page reached goes through tests/e2e/checks.py's check_page (no English, no console error, no other host, its
load time); the table of load times is printed at the end. SCREENSHOTS_DIR=… saves the guides' screenshots.
"""
import io
import re
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from openpyxl import Workbook
from reportlab.pdfgen import canvas

from app import captcha, clock, roles
from app.demo import load_units
from app.demo.generate import generate
from app.extensions import db
from app.models import Application, Campaign, ReviewAssignment, Stage, Unit
from tests import factories
from tests.browser.conftest import PHONE
from tests.browser.test_review import Flow, history
from tests.e2e.test_review_campaign import (
    COMMENT,
    FEATURED,
    SHORTLIST,
    WINNERS,
    click_tab,
    close_round,
    go,
    handle_and_withdraw,
    lodge_objection,
    look_up,
    open_certificate,
    open_menu,
    record_approval,
    score_by_rest,
    score_sheets,
    submit,
)
from tests.e2e import checks
from tests.media import corpus

CAMPAIGN_NAME = "第九批首都市民学习之星"
GENERATED, N_EXPERTS = 130, 10
DEMO_PASSWORD = "Demo@2026"  # the test app's: the generated experts'
NEW_PASSWORD = "Jiedao#5521kq"  # a new street clerk's own password, after the initial one
CITIZEN_PASSWORD = "Xuexi#8842mz"
FORM_UNIT = ("海淀区老年大学", "laonian", "周敏", "010-62550001")  # name, username, contact, phone
IMPORTED_UNITS = [  # the Excel sheet: name, username, contact, phone
    ("海淀区职工学校", "zhigong", "吴静", "010-62550002"),
    ("海淀区科技馆", "kejiguan", "郑强", "010-62550003"),
    ("海淀区家庭教育指导中心", "jiating", "冯丽", "010-62550004"),
]
CITIZENS = [  # name, mobile, ID number, unit chosen, work unit
    ("林书远", "13911588701", factories.id_number("19800312", 101), "海淀区老年大学", "海淀区老年大学"),
    ("高明慧", "13911588702", factories.id_number("19760921", 102), "海淀区职工学校", "北京某机械厂"),
    ("宋知行", "13911588703", factories.id_number("19921105", 103), "海淀区科技馆", "海淀区科技馆"),
]
DEEDS = "退休后坚持每天学习三小时，创办社区读书会，十年间带动三百多位居民终身学习。"
CORRECTED = DEEDS + "\n近三年获评海淀区学习型家庭，并在老年大学义务授课一百余课时。"
RETURN_REASON = "请补充近三年的学习成果和获奖情况。"
STREET_OPINION = "学习事迹突出，带动作用明显，同意推荐。"
DISTRICT_OPINION = "经区学习办审核，同意上报市学习办。"


class Actor(Flow):
    """One role in its own browser context; every page it reaches is checked by checks.check_page."""

    def __init__(self, rehearsal, role, phone=False):
        options = dict(PHONE) if phone else {"viewport": {"width": 1280, "height": 900}}
        self.context = rehearsal.browser.new_context(base_url=rehearsal.live_server.url, locale="zh-CN", **options)
        # Generous: on a loaded CI machine a bulk step (入围 110, 自动分配 550) can take many seconds; every wait is
        # for an event (a navigation, an element, a response), so a healthy run never waits this long.
        self.context.set_default_timeout(60_000)
        page = self.context.new_page()
        checks.watch(page, rehearsal.live_server.netloc, rehearsal.timings)
        super().__init__(page)
        self.rehearsal = rehearsal
        self.role = role

    def check(self):
        checks.check_page(self.page, self.role)
        self.checked.append(urlsplit(self.page.url).path)

    def visit(self, path):
        self.page.goto(path)
        self.check()

    def shoot(self, name):
        checks.screenshot(self.page, name, self.rehearsal.saved)

    def sign_in(self, username, password):
        page = self.page
        page.goto("/login/")
        self.check()
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("input[type=submit]")
        assert urlsplit(page.url).path != "/login/", f"sign-in of {username} failed"
        self.check()

    def close(self):
        self.context.close()


class Rehearsal:
    def __init__(self, app, browser, live_server):
        self.app, self.browser, self.live_server = app, browser, live_server
        self.timings, self.saved, self.actors = [], [], []
        self.runner = app.test_cli_runner()

    def actor(self, role, phone=False):
        actor = Actor(self, role, phone)
        self.actors.append(actor)
        return actor

    def open_stage(self, key):
        """`flask campaign open-stage KEY`, as the office's IT staff run it, against the live server's database."""
        db.session.commit()
        result = self.runner.invoke(args=["campaign", "open-stage", key])
        assert result.exit_code == 0, result.output
        assert re.search(rf"^{key}\s.*OPEN$", result.output, re.M), result.output
        db.session.expire_all()


@pytest.fixture
def rehearsal(app, browser, live_server, monkeypatch, tmp_path):
    clock.freeze(None)  # the real clock: the schedule is moved by the command, not the clock
    monkeypatch.setattr(captcha, "ALPHABET", "A")  # every captcha reads AAAA (a person reads it from the picture)
    load_units()  # Beijing's real units (app/demo/units.yaml), as `flask demo load` ships them
    db.session.commit()
    world = Rehearsal(app, browser, live_server)
    world.city = factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="王立群")
    world.auditor = factories.account(roles.AUDITOR, username="auditor1", first_name="审计员")
    factories.account(roles.SECURITY_ADMIN, username="secadmin1", first_name="安全管理员")
    haidian = db.session.query(Unit).filter_by(level=1, name="海淀区").one()
    world.l1 = factories.account(roles.L1_CLERK, unit=haidian, username="l1-haidian", first_name="刘海")
    world.haidian = haidian
    world.tmp = tmp_path
    yield world
    for actor in world.actors:
        actor.context.close()


# --- media the citizens' phones offer -------------------------------------------------------------------------------

def media_files(folder):
    from tests.media.corpus import GREY

    paths = {"photo": folder / "证件照.jpg", "grey": folder / "灰底照片.jpg", "video": folder / "学习视频.mp4",
             "hevc": folder / "手机录像.mp4"}
    paths["photo"].write_bytes(corpus.encoded(corpus.portrait(), "JPEG"))
    paths["grey"].write_bytes(corpus.encoded(corpus.portrait(background=GREY), "JPEG"))
    corpus.clip(paths["video"])
    corpus.clip(paths["hevc"], "libx265")
    return paths


def import_sheet(path):
    """The office's Excel template filled in by the district: header, then one row per second-level unit."""
    book = Workbook()
    sheet = book.active
    sheet.append(["二级单位名称", "账号用户名", "联系人姓名", "联系电话"])
    for row in IMPORTED_UNITS:
        sheet.append(list(row))
    book.save(path)
    return path


# --- small UI moves -------------------------------------------------------------------------------------------------

def navbar(actor, category, item):
    page = actor.page
    page.click(f".navbar >> text={category}")
    with page.expect_navigation():
        page.click(f".navbar .dropdown-menu >> text={item}")
    actor.check()


def choose(page, select_id, text):
    """A select2 box (FAB's related fields): open it, type, pick the option."""
    page.locator(f"#{select_id} + .select2-container").click()
    search = page.locator(".select2-container--open .select2-search__field")
    if search.count():
        search.fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def pick_calendar_day(page, field_id, day):
    """The date-time field's calendar: its button, the month arrows, the day (the time kept), closed by a click
    outside."""
    page.locator(".dt-field", has=page.locator(f"#{field_id}")).locator("button.dt-open").click()
    panel = page.locator(".flatpickr-calendar.open")
    for _ in range(24):
        shown = (int(panel.locator(".cur-year").input_value()),
                 int(panel.locator(".flatpickr-monthDropdown-months").input_value()) + 1)
        if shown == (day.year, day.month):
            break
        panel.locator(".flatpickr-next-month" if shown < (day.year, day.month) else ".flatpickr-prev-month").click()
    panel.locator(f'.flatpickr-day[aria-label="{day.year}年{day.month}月{day.day}日"]').click()


def change_initial_password(actor, username, password):
    """First sign-in of a new account: the portal asks for a new password first."""
    page = actor.page
    actor.sign_in(username, password)
    assert urlsplit(page.url).path.startswith("/resetmypassword/"), page.url
    page.fill("#current_password", password)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#conf_password", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("#model_form [type=submit], form [type=submit] >> nth=0")
    actor.check()
    assert urlsplit(page.url).path == "/dashboard/", page.inner_text("body")[:500]  # their 工作台, as after sign-in


# --- 1. the city office opens the campaign ---------------------------------------------------------------------------

def office_opens_the_campaign(world, city):
    page = city.page
    city.sign_in("cityoffice", factories.PASSWORD)
    assert urlsplit(page.url).path == "/dashboard/"
    navbar(city, "评选管理", "评选批次")
    go(city, "a[href*='/campaigns/add']")
    page.fill("#name", CAMPAIGN_NAME)
    page.fill("#year", str(clock.now().year))
    page.fill("#winner_quota", str(WINNERS))
    page.fill("#featured_quota", str(FEATURED))
    go(city, "#model_form [type=submit]")
    campaign = db.session.query(Campaign).filter_by(name=CAMPAIGN_NAME).one()
    assert len(campaign.windows) == len(Stage)

    # The IT staff open the unit-account stage; the office extends it by three days for a late district.
    world.open_stage("unit_accounts")
    window = campaign.window(Stage.UNIT_ACCOUNTS)
    new_end = window.ends_at + timedelta(days=3)
    navbar(city, "评选管理", "时间安排")
    go(city, "table.table-hover tbody tr:has(td:text-is('一级单位创建二级单位账号')) a[href*='/campaigns/windows/edit/']")
    pick_calendar_day(page, "ends_at", new_end.date())
    city.shoot("city-schedule")
    page.locator("#model_form").click(position={"x": 2, "y": 2})  # outside the calendar: it closes
    assert page.input_value("#ends_at") == f"{new_end:%Y-%m-%d %H:%M:%S}"
    go(city, "#model_form [type=submit]")
    assert f"{new_end:%Y-%m-%d %H:%M:%S}" in page.locator(
        "table.table-hover tbody tr", has_text="一级单位创建二级单位账号").inner_text()
    db.session.expire_all()
    assert campaign.window(Stage.UNIT_ACCOUNTS).ends_at == new_end

    navbar(city, "单位与账号", "一级单位")
    assert "海淀区" in city.body() and "朝阳区" in city.body()
    city.shoot("city-units")
    return campaign


# --- 2. the district creates its second-level units and accounts ---------------------------------------------------

def district_creates_accounts(world, l1):
    page = l1.page
    l1.sign_in("l1-haidian", factories.PASSWORD)
    name, username, contact, phone = FORM_UNIT

    # One unit and its account by form.
    navbar(l1, "单位与账号", "二级单位")
    go(l1, "a[href*='/units/second-level/add']")
    assert page.input_value("#parent") == str(world.haidian.id)  # its only choice, chosen already
    page.fill("#name", name)
    page.fill("#code", username)
    page.fill("#contact_name", contact)
    page.fill("#contact_phone", phone)
    go(l1, "#model_form [type=submit]")
    assert urlsplit(page.url).path.startswith("/units/second-level/show/")  # the new unit, not page 1 of the list
    assert name in l1.body()
    navbar(l1, "单位与账号", "单位账号")
    go(l1, "a[href*='/accounts/add']")
    choose(page, "unit", name)
    page.fill("#username", username)
    page.fill("#first_name", contact)
    page.fill("#phone", phone)
    go(l1, "#model_form [type=submit]")
    notice = page.inner_text(".alert-warning")
    password = re.search(r"初始密码：(\S+?) 。", notice).group(1)
    passwords = {username: password}
    assert urlsplit(page.url).path == "/accounts/list/"
    l1.shoot("first-accounts")

    # Three more from the Excel sheet.
    navbar(l1, "单位与账号", "二级单位")
    go(l1, "a[href*='/units/second-level/import']")
    page.select_option("#parent_id", label="海淀区")
    page.set_input_files("#sheet", str(import_sheet(world.tmp / "二级单位导入.xlsx")))
    with page.expect_navigation(url=re.compile(r"/units/second-level/import\?job=")):
        page.click("form [type=submit]")
    l1.check()
    rows = page.eval_on_selector_all(
        "table.created-accounts tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    assert [row[:2] for row in rows] == [[n, u] for n, u, _c, _p in IMPORTED_UNITS], rows
    passwords.update({row[1]: row[2] for row in rows})
    l1.shoot("first-import")
    return passwords


# --- 3. citizens register and apply on their phones ------------------------------------------------------------------

def register(citizen, name, mobile, shoot=False):
    page = citizen.page
    citizen.visit("/")
    go(citizen, "a[href='/register/']")
    page.locator("#mobile").press_sequentially(mobile)
    page.fill("#name", name)
    page.fill("#password", CITIZEN_PASSWORD)
    page.fill("#conf_password", CITIZEN_PASSWORD)
    page.wait_for_function("() => document.getElementById('captcha-image').naturalWidth > 0")
    page.locator("#captcha").press_sequentially("aaaa")
    if shoot:
        citizen.shoot("citizen-register")
    go(citizen, "form [type=submit]")
    assert urlsplit(page.url).path == "/apply/", page.inner_text("body")[:800]


def wait_status(page, box, text):
    page.wait_for_function(
        "([box, text]) => document.getElementById(box).textContent.includes(text)"
        " || document.getElementById(box).classList.contains('bad')", arg=[box, text])


def fill_application(citizen, person, media, refusals=False):
    page = citizen.page
    name, mobile, id_number, unit, work_unit = person
    with page.expect_response(lambda r: "/apply/units?category=district" in r.url):
        page.select_option("#category", label="区")
    page.wait_for_function("() => document.querySelectorAll('#first_level option').length > 1")
    with page.expect_response(lambda r: "/apply/units?parent=" in r.url):
        page.select_option("#first_level", label="海淀区")
    page.wait_for_function("() => document.querySelectorAll('#unit_id option').length > 1")
    page.select_option("#unit_id", label=unit)
    page.fill("#name", name)
    page.fill("#id_number", id_number)
    page.locator("#id_number").blur()
    page.fill("#mobile", mobile)
    page.fill("#work_unit", work_unit)
    page.fill("#position", "退休职工" if "老年" in unit else "职员")
    page.fill("#address", "北京市海淀区中关村大街 27 号")
    page.fill("#deeds", DEEDS)
    if refusals:
        citizen.shoot("citizen-form")
        page.set_input_files("#photo", media["grey"])
        page.wait_for_function("() => document.getElementById('photo-status').classList.contains('bad')")
        refused = page.inner_text("#photo-status")
        assert "背景" in refused, refused
        checks.expect_console_error(page, "status of 422")  # the refusal's answer
        page.locator("#photo-status").scroll_into_view_if_needed()
        citizen.shoot("citizen-photo-refused")
    page.set_input_files("#photo", media["photo"])
    wait_status(page, "photo-status", "已上传")
    assert page.inner_text("#photo-status") == "照片已上传：证件照.jpg"
    if refusals:
        page.set_input_files("#video", media["hevc"])
        page.wait_for_function("() => document.getElementById('video-status').classList.contains('bad')")
        refused = page.inner_text("#video-status")
        assert "HEVC" in refused and "H.264" in refused, refused
        checks.expect_console_error(page, "status of 422")
        page.locator("#video-box").scroll_into_view_if_needed()
        citizen.shoot("citizen-video-refused")
    page.set_input_files("#video", media["video"])
    wait_status(page, "video-status", "已上传")
    assert page.inner_text("#video-status") == "视频已上传：学习视频.mp4"
    bar = page.locator("#video-progress .progress-bar")
    assert bar.get_attribute("aria-valuenow") == "100" and bar.inner_text() == "100%"
    if refusals:
        page.locator("#video-box").scroll_into_view_if_needed()
        citizen.shoot("citizen-video-progress")
    page.check("#is_permanent_resident")
    page.check("#declaration_confirmed")
    submit_application(citizen)


def submit_application(citizen):
    page = citizen.page
    page.click("button[name=intent][value=submit]")
    assert page.locator("#submit-confirm").is_visible()
    go(citizen, "#confirm-ok")
    assert "报名已提交" in citizen.body(), citizen.body()[:800]
    assert page.locator("#apply-form").count() == 0


def citizens_apply(world, media):
    citizens = []
    for index, person in enumerate(CITIZENS):
        citizen = world.actor("申报人", phone=True)
        register(citizen, person[0], person[1], shoot=index == 0)
        fill_application(citizen, person, media, refusals=index == 0)
        citizens.append(citizen)
    return citizens


def street_returns(world, clerk, name):
    page = clerk.page
    clerk.open_review_list()
    assert name in clerk.listed_names()
    clerk.open_detail(name)
    with page.expect_navigation(url=re.compile(r"/applications/decide\?")):
        page.click("#decide-choice button[value=return]")
    clerk.check()
    page.fill("#opinion", RETURN_REASON)
    go(clerk, "#decision-form button[type=submit]")
    assert "退回" in page.inner_text(".alert-success")


def citizen_corrects(citizen):
    page = citizen.page
    citizen.visit("/apply/")
    assert RETURN_REASON in page.inner_text("#return-reason")
    page.fill("#deeds", CORRECTED)
    submit_application(citizen)
    steps = [step for step, _opinion in history(page)]
    assert "退回修改" in steps and steps[-1] == "提交报名", steps
    page.locator("table.history").scroll_into_view_if_needed()
    citizen.shoot("citizen-status")


# --- 4. the recommendation chain ------------------------------------------------------------------------------------

def decide_in_bulk(clerk, names, opinion, screens=None):
    """Tick the rows, 操作 → 推荐, the opinion, 确认推荐."""
    page = clerk.page
    clerk.open_review_list()
    for name in names:
        page.locator("table.table-hover tbody tr", has_text=name).locator("input.action_check").check()
    if screens:
        clerk.shoot(screens[0])
    actions = page.locator(".btn-group", has=page.locator(".recommend_menu_item"))
    actions.locator("button.dropdown-toggle").click()
    with page.expect_navigation(url=re.compile(r"/applications/decide\?")):
        actions.locator(".recommend_menu_item").click()
    clerk.check()
    page.fill("#opinion", opinion)
    if screens:
        clerk.shoot(screens[1])
    go(clerk, "#decision-form button[type=submit]")
    assert page.inner_text(".alert-success").strip().endswith(f"已推荐 {len(names)} 份")


def recommendation_chain(world, streets, citizens):
    first, second, third = (person[0] for person in CITIZENS)
    world.open_stage("l2_review")
    decide_in_bulk(streets[0], [first], STREET_OPINION, ("second-applications", "second-decision"))
    assert "提交" in streets[0].submit_unit("提交至一级单位")
    decide_in_bulk(streets[1], [second], STREET_OPINION)
    streets[1].submit_unit("提交至一级单位")
    # 海淀区科技馆's clerk never signs in: its window passes with 宋知行's application undecided.

    world.open_stage("l1_review")
    l1 = world.l1_actor
    decide_in_bulk(l1, [first, second], DISTRICT_OPINION, ("first-applications", "first-decision"))
    assert third not in l1.listed_names()
    l1.submit_unit("上报市学习办")
    assert "上报市学习办：推荐 2 人" in l1.page.inner_text(".review-progress")

    late = citizens[2]
    late.visit("/apply/")
    assert "过期无效" in late.page.inner_text(".apply-page .label")
    assert "海淀区科技馆" in late.page.inner_text("#void-notice")


# --- 5. the expert review ------------------------------------------------------------------------------------------

def review_world(world, campaign):
    """The generated rest of the city and the score sheets: every total distinct, so the rankings are known. Our
    two reported applications lead both rounds."""
    import random

    made = generate(GENERATED, N_EXPERTS)
    assert made.campaign.id == campaign.id and made.applications == GENERATED
    reported = db.session.query(Application).filter_by(campaign_id=campaign.id, status="reported") \
        .order_by(Application.id).all()
    ours = [a for a in reported if a.name in (CITIZENS[0][0], CITIZENS[1][0])]
    assert len(ours) == 2 and len(reported) == GENERATED + 2
    others = [a for a in reported if a not in ours]
    rng = random.Random(12)
    rng.shuffle(others)
    initial_order = sorted(ours, key=lambda a: a.name != CITIZENS[0][0]) + others
    shortlist = initial_order[:SHORTLIST]
    final_order = shortlist[:2] + rng.sample(shortlist[2:], SHORTLIST - 2)
    return {"campaign": campaign, "made": made, "initial_order": initial_order, "final_order": final_order,
            "sheets": {"initial_review": dict(zip((a.id for a in initial_order), score_sheets(len(initial_order)))),
                       "final_review": dict(zip((a.id for a in final_order), score_sheets(SHORTLIST)))}}


def expert_scores_one(expert, review, stage, shoot=False):
    page = expert.page
    assert urlsplit(page.url).path == "/expert/"
    if shoot:
        expert.shoot("expert-todo")
    submit(expert, "#next-review")
    assignment_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    application_id = db.session.get(ReviewAssignment, assignment_id).application_id
    scores, total = review["sheets"][stage.value][application_id]
    for input_, key in zip(page.locator("input.score-input").all(),
                           ("values", "dedication", "results", "influence", "lifelong", "welfare")):
        input_.fill(str(scores[key]))
    assert Decimal(page.inner_text("#running-total")) == total
    page.fill("#comment", COMMENT)
    if shoot:
        page.locator("input.score-input").first.scroll_into_view_if_needed()  # the rubric, not the page's end
        expert.shoot("expert-score")
    submit(expert, "button[value=submit]")
    assert urlsplit(page.url).path == "/expert/"
    assert page.inner_text("#done-count").startswith("已完成 1 / ")


def expert_review(world, city, campaign):
    page = city.page
    world.open_stage("initial_review")
    review = review_world(world, campaign)
    n_initial = len(review["initial_order"])

    open_menu(city, "专家")
    city.shoot("city-experts")
    open_menu(city, "评审分配")
    submit(city, "#assign-run")
    assert f"自动分配完成：新分配 {n_initial * 3} 份" in page.inner_text("#assign-result")
    city.shoot("city-assignment")

    experts = [username for username, *_rest in review["made"].experts]
    first = world.actor("专家")
    first.sign_in(experts[0], DEMO_PASSWORD)
    expert_scores_one(first, review, Stage.INITIAL_REVIEW, shoot=True)
    first.close()
    assert score_by_rest(world.app, review, Stage.INITIAL_REVIEW) == n_initial * 3 - 1

    world.open_stage("final_review")
    open_menu(city, "评审进度")
    click_tab(city, "专家初审")
    city.shoot("city-review-progress")
    close_round(city)
    assert "「专家初审」已结束" in page.inner_text(".alert-success")

    open_menu(city, "评审排名")
    assert page.locator("#ranking-table tr.ranking-row").first.get_attribute("data-name") == CITIZENS[0][0]
    page.fill("#k", str(SHORTLIST))
    submit(city, "#top-form button[type=submit]")
    assert f"新入围复审 {SHORTLIST} 人" in city.body()
    city.shoot("city-ranking")

    open_menu(city, "评审分配")
    click_tab(city, "专家复审")
    submit(city, "#assign-run")
    assert f"自动分配完成：新分配 {SHORTLIST * 5} 份" in page.inner_text("#assign-result")
    second = world.actor("专家")
    second.sign_in(experts[1], DEMO_PASSWORD)
    expert_scores_one(second, review, Stage.FINAL_REVIEW)
    second.close()
    assert score_by_rest(world.app, review, Stage.FINAL_REVIEW) == SHORTLIST * 5 - 1
    open_menu(city, "评审进度")
    click_tab(city, "专家复审")
    close_round(city)
    assert "「专家复审」已结束" in page.inner_text(".alert-success")

    open_menu(city, "评审排名")
    click_tab(city, "复审排名")
    assert page.input_value("#top-candidate-n") == str(WINNERS)
    submit(city, "#top-candidate-form button[type=submit]")
    assert f"已列入拟评选 {WINNERS} 人" in city.body()
    submit(city, "#top-feature-form button[type=submit]")
    assert f"已列为重点宣传 {FEATURED} 人" in city.body()
    open_menu(city, "拟评选名单")
    rows = page.locator("#candidates-table tr.candidate-row")
    assert rows.count() == WINNERS
    assert rows.first.get_attribute("data-name") == CITIZENS[0][0]
    city.shoot("city-shortlist")
    return review


# --- 6. 公示, an objection, 审核确定, the list and a certificate ---------------------------------------------------------

def publicity_and_approval(world, city, review):
    world.open_stage("publicity")
    public = world.actor("公众", phone=True)
    target = review["final_order"][42]  # a candidate, not featured
    public.visit("/gongshi")
    assert CITIZENS[0][0] in public.body()
    public.shoot("public-gongshi")
    receipt = lodge_objection(public, target)
    public.shoot("public-objection")

    handle_and_withdraw(city, receipt, target)
    city.shoot("city-objections")
    look_up(public, receipt)

    world.open_stage("approval")
    pdf = world.tmp / "领导小组审核决定.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.drawString(72, 720, "Decision of the leading group")
    sheet.save()
    record_approval(city, pdf)
    city.shoot("city-approval")

    public.visit("/mingdan")
    assert public.page.locator("#pub-list > li").count() == WINNERS - 1
    assert public.page.locator("#pub-list > li.is-featured", has_text=CITIZENS[0][0]).count() == 1
    public.shoot("public-mingdan")
    code, qr, _printed = open_certificate(city, world.live_server, checks.problems_of(city.page))
    public.visit(urlsplit(qr).path)
    assert public.page.inner_text("#certificate-status").startswith("有效")
    public.shoot("public-certificate")


# --- 7. the office's other screens, the auditor ---------------------------------------------------------------------

def office_screens(city):
    page = city.page
    navbar(city, "评审推荐", "报名信息")
    with page.expect_navigation(url=re.compile(r"/jobs/")):
        page.click("text=导出 Excel")
    city.check()
    page.wait_for_function("() => document.querySelector('.progress-bar').getAttribute('aria-valuenow') === '100'")
    assert page.inner_text(".job-state") == "已完成"
    city.shoot("city-jobs")
    page.click(".navbar >> text=工作台")
    page.wait_for_url("**/dashboard/")
    city.check()
    page.wait_for_function("() => [...document.querySelectorAll('canvas')].length > 0")
    city.shoot("city-dashboard")


def security_admin_reads_permissions(world):
    """角色权限 is the 安全管理员's (三员分立, app/roles.yaml), not the city office's: the guides' city-permissions
    picture is taken as them."""
    admin = world.actor("安全管理员")
    admin.sign_in("secadmin1", factories.PASSWORD)
    navbar(admin, "用户权限", "角色权限")
    assert "市学习办" in admin.body()
    admin.shoot("city-permissions")
    admin.close()


def auditor_reads(world):
    auditor = world.actor("审计员")
    auditor.sign_in("auditor1", factories.PASSWORD)
    navbar(auditor, "审计", "审计日志")
    assert "审计日志" in auditor.body()
    auditor.shoot("auditor-audit-log")
    auditor.close()


def test_a_whole_campaign_is_rehearsed_in_the_browser_by_every_role(rehearsal, csrf_on, tmp_path):
    world = rehearsal
    started = time.perf_counter()
    stages = []

    def done(stage):
        stages.append((stage, time.perf_counter() - started - sum(seconds for _s, seconds in stages)))

    media = media_files(tmp_path)
    city = world.actor("市学习办")
    campaign = office_opens_the_campaign(world, city)
    done("1 campaign and schedule")

    l1 = world.l1_actor = world.actor("一级单位")
    passwords = district_creates_accounts(world, l1)
    done("2 second-level accounts")

    world.open_stage("apply")
    citizens = citizens_apply(world, media)
    streets = []
    for username in (FORM_UNIT[1], IMPORTED_UNITS[0][1]):
        street = world.actor("二级单位")
        change_initial_password(street, username, passwords[username])
        streets.append(street)
    street_returns(world, streets[0], CITIZENS[0][0])
    citizen_corrects(citizens[0])
    done("3 registration, application, return")

    recommendation_chain(world, streets, citizens)
    for actor in streets + citizens[1:]:
        actor.close()
    done("4 recommendation chain")

    review = expert_review(world, city, campaign)
    done("5 expert review (generated data, REST scoring)")
    publicity_and_approval(world, city, review)
    done("6 publicity, objection, approval, certificate")
    office_screens(city)
    security_admin_reads_permissions(world)
    auditor_reads(world)
    done("7 dashboard, export, permissions, audit log")

    print(f"\nrehearsal: {time.perf_counter() - started:.1f} s")
    for stage, seconds in stages:
        print(f"  {stage:<50} {seconds:6.1f} s")
    print(checks.report(world.timings))
    if checks.screenshots_dir() is not None:
        assert sorted(world.saved) == sorted(checks.SCREENSHOT_NAMES), \
            sorted(set(checks.SCREENSHOT_NAMES) - set(world.saved))
