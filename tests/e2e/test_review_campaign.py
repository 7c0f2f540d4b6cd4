"""Issues 8 and 9's "done when", end to end: from a generated campaign (app/demo/generate.py: 130 applications
reported by their first-level units, 10 experts in two 初审 panels and one 复审 panel, a few conflicts) the city office
runs both rounds in the browser and comes out with 100 candidates and 10 featured; then 公示, an objection, 审核确定,
the published list and the certificates.

The office works in Chromium: 评审分配 → 自动分配 (and reads the loads), 评审进度 → 结束本轮 once the 初审 window has
passed, 评审排名 → 前 K 名入围 typing K = 110, 自动分配 for 复审, 结束本轮 of 复审 once every review is in, then the
two bulk picks 按排名选前 N 名为拟评选 / 重点宣传 with the N the page offers, and 拟评选名单. One expert scores their
first application in the browser, typing; every other review goes through the REST API with a Bearer token, as a
scripted client would (tests.factories.api_client).

Then (publish_and_commend): the office brings 公示 forward to today in 时间安排 with the calendar; on a phone, a
member of the public searches /gongshi for a candidate, objects (typing; the captcha's answer made known by patching
its alphabet) and keeps the receipt; the office finds it on 工作台, handles it in 异议处理 (受理 → 核实 → 办结, 属实)
and withdraws the candidate; the phone looks the receipt up and /gongshi has 99. A day after 公示 (the clock moved)
the office records 审核确定 (calendar, 文号, the PDF by the file picker, confirm); /mingdan lists the 99, featured
first; a certificate's A4 page gives its code and QR, whose /zhengshu/<code> confirms it on the phone; a later
campaign refuses that winner. Every page: no English UI words, no console error, no request to another host.

Scores are chosen so that every application's mean is distinct in both rounds: the top 110, 100 and 10 are known in
advance and no tie interferes.
"""
import io
import random
import re
import time
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from reportlab.pdfgen import canvas

from app import captcha, clock, roles, rounds
from app.applications import completeness_errors
from app.demo.generate import generate
from app.extensions import db
from app.models import Application, Certificate, ReviewAssignment, Stage
from tests import factories
from tests.browser.test_review import Flow

NOW = datetime(2026, 6, 1, 10, 0)
N_APPLICATIONS, N_EXPERTS, SHORTLIST, WINNERS, FEATURED = 130, 10, 110, 100, 10
PASSWORD = "Demo@2026"  # the test app's DEMO_PASSWORD: the generated experts' password
COMMENT = "事迹突出，学以致用，示范带动作用明显。"
SCREENSHOT = "/tmp/review-campaign-candidates.png"


def score_sheets(n):
    """n (scores by criterion key, weighted total), best first, every total different. values (weight 15) = x,
    dedication and results (20 each) = y, the other three (15 each) = z, in half points: total = 1.5x + 4y + 4.5z."""
    halves = [Decimal(10) - Decimal(i) / 2 for i in range(11)]
    by_total = {}
    for x in halves:
        for y in halves:
            for z in halves:
                by_total.setdefault(Decimal("1.5") * x + 4 * y + Decimal("4.5") * z, (x, y, z))
    totals = sorted(by_total, reverse=True)[:n]
    assert len(totals) == n
    sheets = []
    for total in totals:
        x, y, z = by_total[total]
        sheets.append(({"values": x, "dedication": y, "results": y, "influence": z, "lifelong": z, "welfare": z},
                       total))
    return sheets


@pytest.fixture
def campaign_world(app):
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    campaign = factories.campaign(open_stage=Stage.INITIAL_REVIEW, at=NOW)
    made = generate(N_APPLICATIONS, N_EXPERTS)
    assert made.campaign.id == campaign.id and made.applications == N_APPLICATIONS
    city = factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="王立群")
    apps = db.session.query(Application).filter_by(campaign_id=campaign.id).order_by(Application.id).all()
    rng = random.Random(8)
    initial_order = apps[:]
    rng.shuffle(initial_order)  # 初审's ranking, best first
    shortlist = initial_order[:SHORTLIST]
    final_order = shortlist[:]
    rng.shuffle(final_order)  # 复审's
    initial_sheets = dict(zip((a.id for a in initial_order), score_sheets(len(apps))))
    final_sheets = dict(zip((a.id for a in final_order), score_sheets(SHORTLIST)))
    return {"campaign": campaign, "made": made, "city": city, "initial_order": initial_order,
            "final_order": final_order, "sheets": {"initial_review": initial_sheets, "final_review": final_sheets}}


def log_in(flow, username, password):
    page = flow.page
    page.goto("/logout/")
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert urlsplit(page.url).path != "/login/", f"login of {username} failed"
    flow.check()


def open_menu(flow, item):
    page = flow.page
    page.click(".navbar >> text=专家评审")
    with page.expect_navigation():
        page.click(f".navbar .dropdown-menu >> text={item}")
    flow.check()


def click_tab(flow, label):
    with flow.page.expect_navigation():
        flow.page.click(f".nav-tabs >> text={label}")
    flow.check()


def submit(flow, selector):
    with flow.page.expect_navigation():
        flow.page.click(selector)
    flow.check()


def close_round(flow):
    """结束本轮, accepting its confirm()."""
    page = flow.page
    page.once("dialog", lambda dialog: dialog.accept())
    submit(flow, "#close-round-form button[type=submit]")


def score_by_rest(app, world, stage):
    """Every expert submits every unfinished review of the round through /api/v1/my_review/ with a Bearer token."""
    review_round = rounds.round_for(world["campaign"], stage, create=False)
    criterion_ids = {c.key: c.id for c in review_round.criteria}
    application_of = dict(db.session.query(ReviewAssignment.id, ReviewAssignment.application_id)
                          .filter(ReviewAssignment.round_id == review_round.id))
    submitted = 0
    for username, *_rest in world["made"].experts:
        client = factories.api_client(app, username, PASSWORD)
        listing = client.get("/api/v1/my_review/")
        assert listing.status_code == 200
        for row in listing.json["result"]:
            if row["stage"] != stage.value or row["status"] == "submitted":
                continue
            scores, total = world["sheets"][stage.value][application_of[row["id"]]]
            response = client.post(f"/api/v1/my_review/{row['id']}/submit", json={
                "scores": {str(criterion_ids[key]): float(value) for key, value in scores.items()},
                "comment": COMMENT})
            assert response.status_code == 200, response.json
            assert Decimal(str(response.json["result"]["total"])) == total
            submitted += 1
    return submitted


def test_a_generated_campaign_runs_through_both_rounds_to_the_published_list_and_certificates(
        app, page, phone_page, live_server, requested_urls, campaign_world, csrf_on, monkeypatch, tmp_path):
    monkeypatch.setattr(captcha, "ALPHABET", "A")  # every captcha image reads AAAA (tests/browser/test_objections.py)
    started = time.perf_counter()
    world, flow = campaign_world, Flow(page)
    problems = []  # console errors and uncaught exceptions, of every page of the flow
    watch(page, problems)
    watch(phone_page, problems)
    campaign = world["campaign"]

    # 初审: 自动分配, three experts per application, loads even within each panel.
    flow.log_in(world["city"])
    open_menu(flow, "评审分配")
    submit(flow, "#assign-run")
    result = page.inner_text("#assign-result")
    assert f"自动分配完成：新分配 {N_APPLICATIONS * 3} 份" in result, result
    loads = page.eval_on_selector_all(".loads-table tbody tr", "rows => rows.map(r => r.innerText)")
    assert len(loads) == N_EXPERTS, loads

    # One expert scores their first application in the browser, typing each score.
    expert_username = world["made"].experts[0][0]
    log_in(flow, expert_username, PASSWORD)
    assert urlsplit(page.url).path == "/expert/"
    submit(flow, "#next-review")
    assignment_id = int(urlsplit(page.url).path.rsplit("/", 1)[1])
    application_id = db.session.get(ReviewAssignment, assignment_id).application_id
    body = flow.body()  # both units' 推荐意见, from the generated history
    assert "同意推荐" in body and ("上报" in body or "区级评审" in body), body[:2000]
    scores, total = world["sheets"]["initial_review"][application_id]
    for input_, key in zip(page.locator("input.score-input").all(),
                           ("values", "dedication", "results", "influence", "lifelong", "welfare")):
        input_.fill(str(scores[key]))  # "9.5", "10"
    assert page.inner_text("#running-total") == f"{total:.2f}"
    page.fill("#comment", COMMENT)
    submit(flow, "button[value=submit]")
    assert urlsplit(page.url).path == "/expert/"
    assert page.inner_text("#done-count").startswith("已完成 1 / ")

    # Everyone else through the REST API.
    assert score_by_rest(app, world, Stage.INITIAL_REVIEW) == N_APPLICATIONS * 3 - 1

    # The 初审 window has passed (复审's has opened): the office closes 初审 on 评审进度.
    clock.freeze(campaign.window(Stage.FINAL_REVIEW).starts_at + timedelta(hours=1))
    flow.log_in(world["city"])
    open_menu(flow, "评审进度")
    click_tab(flow, "专家初审")
    close_round(flow)
    assert "「专家初审」已结束" in page.inner_text(".alert-success")

    # 评审排名: the top 110 of 初审 into 复审, typing K.
    open_menu(flow, "评审排名")
    assert "初审排名" in page.inner_text("h2")
    first = world["initial_order"][0].name
    assert page.locator("#ranking-table tr.ranking-row").first.get_attribute("data-name") == first
    page.fill("#k", str(SHORTLIST))
    submit(flow, "#top-form button[type=submit]")
    assert f"新入围复审 {SHORTLIST} 人" in flow.body()
    db.session.expire_all()
    shortlisted = {a.id for a in db.session.query(Application).filter_by(status="shortlisted")}
    assert shortlisted == {a.id for a in world["initial_order"][:SHORTLIST]}

    # 复审: 自动分配 (five experts per application), scores through REST, closed as soon as every review is in.
    open_menu(flow, "评审分配")
    click_tab(flow, "专家复审")
    submit(flow, "#assign-run")
    assert f"自动分配完成：新分配 {SHORTLIST * 5} 份" in page.inner_text("#assign-result")
    assert score_by_rest(app, world, Stage.FINAL_REVIEW) == SHORTLIST * 5
    open_menu(flow, "评审进度")
    click_tab(flow, "专家复审")
    close_round(flow)
    assert "「专家复审」已结束" in page.inner_text(".alert-success")

    # 复审排名: the two bulk picks, with the N the page offers (the places the quotas leave).
    open_menu(flow, "评审排名")
    click_tab(flow, "复审排名")
    assert page.locator("#pick-counts").inner_text() == f"拟评选 0 / {WINNERS}，重点宣传 0 / {FEATURED}"
    assert page.input_value("#top-candidate-n") == str(WINNERS)
    submit(flow, "#top-candidate-form button[type=submit]")
    assert f"已列入拟评选 {WINNERS} 人" in flow.body()
    assert page.locator("#pick-counts").inner_text() == f"拟评选 {WINNERS} / {WINNERS}，重点宣传 0 / {FEATURED}"
    assert page.input_value("#top-feature-n") == str(FEATURED)
    submit(flow, "#top-feature-form button[type=submit]")
    assert f"已列为重点宣传 {FEATURED} 人" in flow.body()
    assert page.locator("#pick-counts").inner_text() == \
        f"拟评选 {WINNERS} / {WINNERS}，重点宣传 {FEATURED} / {FEATURED}"

    # 拟评选名单: 100 rows, the 10 featured first in 复审 order, then the other 90.
    open_menu(flow, "拟评选名单")
    assert page.locator("#pick-counts").inner_text() == \
        f"拟评选 {WINNERS} / {WINNERS}，重点宣传 {FEATURED} / {FEATURED}"
    rows = page.locator("#candidates-table tr.candidate-row")
    assert rows.count() == WINNERS
    names = rows.evaluate_all("rows => rows.map(r => r.dataset.name)")
    featured = rows.evaluate_all("rows => rows.map(r => r.cells[3].innerText.trim())")
    assert names == [a.name for a in world["final_order"][:WINNERS]]
    assert featured == ["重点宣传"] * FEATURED + [""] * (WINNERS - FEATURED)
    page.screenshot(path=SCREENSHOT, full_page=True)
    db.session.expire_all()
    assert db.session.query(Application).filter_by(campaign_id=campaign.id, status="featured").count() == FEATURED
    assert db.session.query(Application).filter_by(campaign_id=campaign.id, status="candidate").count() == \
        WINNERS - FEATURED
    print(f"\nthe review rounds took {time.perf_counter() - started:.1f} s after setup")

    # Issue 9's "done when": on to 公示, an objection, 审核确定, the published list and the certificates.
    publish_and_commend(world, flow, phone_page, live_server, problems, tmp_path)
    assert problems == []
    elsewhere = sorted({url for url in requested_urls
                        if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != live_server.netloc})
    assert not elsewhere, f"requests to other hosts than the live server: {elsewhere}"
    print(f"the whole browser flow took {time.perf_counter() - started:.1f} s after setup")


# --- 公示 → 异议 → 审核确定 → 名单 → 荣誉证书 (issue 9) ------------------------------------------------------------------

FACTS = "该候选人申报材料中所列的区级荣誉称号经查无记录，请予核实。"
OBJECTOR, OBJECTOR_PHONE = "欧阳监督", "13612345678"
CONCLUSION = "经核实，反映问题属实，撤销其候选人资格。"
REASON_TEMPLATE = "经核实，申报材料所列荣誉称号不实（异议 {receipt}）"
DOCUMENT_NUMBER = "京学习办〔2026〕8号"
MINGDAN_SCREENSHOT = "/tmp/review-campaign-mingdan-phone.png"


def watch(page, problems):
    """Console errors and uncaught exceptions of `page`, appended to `problems`."""
    page.on("console", lambda message: message.type == "error" and problems.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))


def go(flow, selector):
    """Click a link or a submit button and wait for the page it leads to, checked for English."""
    with flow.page.expect_navigation():
        flow.page.click(selector)
    flow.check()


def navbar(flow, category, item):
    page = flow.page
    page.click(f".navbar >> text={category}")
    with page.expect_navigation():
        page.click(f".navbar .dropdown-menu >> text={item}")
    flow.check()


def move_publicity_start_to_today(flow):
    """评选管理 → 时间安排 → 公示: the office moves the notice's start to today with the calendar (keeping its time)."""
    page = flow.page
    navbar(flow, "评选管理", "时间安排")
    go(flow, "table.table-hover tbody tr:has(td:text-is('公示')) a[href*='/campaigns/windows/edit/']")
    field = page.locator(".dt-field", has=page.locator("#starts_at"))
    field.locator("button.dt-open").click()
    panel = page.locator(".flatpickr-calendar.open")
    today = clock.now().date()
    for _ in range(3):  # the notice starts ~10 days later: at most a month back
        shown = (int(panel.locator(".cur-year").input_value()),
                 int(panel.locator(".flatpickr-monthDropdown-months").input_value()) + 1)
        if shown == (today.year, today.month):
            break
        panel.locator(".flatpickr-prev-month").click()
    panel.locator(f'.flatpickr-day[aria-label="{today.year}年{today.month}月{today.day}日"]').click()
    page.locator("#model_form").click(position={"x": 2, "y": 2})  # outside the calendar: it closes
    assert page.locator(".flatpickr-calendar.open").count() == 0
    starts = page.input_value("#starts_at")
    assert starts.startswith(today.isoformat()) and starts[11:] < clock.now().strftime("%H:%M:%S"), starts
    go(flow, "#model_form [type=submit]")
    assert urlsplit(flow.page.url).path == "/campaigns/windows/list/"


def lodge_objection(public, target):
    """On the phone: /gongshi, search the name by typing, 对其提出异议, the form typed, the receipt number."""
    phone = public.page
    phone.goto("/gongshi")
    public.check()
    assert f"候选人共 {WINNERS} 人" in phone.inner_text("#pub-count")
    phone.locator("#q").press_sequentially(target.name)
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    public.check()
    person = phone.locator(f"#pub-list > li[data-id='{target.id}']")
    assert target.name in person.inner_text()
    with phone.expect_navigation():
        person.locator("a", has_text="提出异议").click()
    public.check()
    assert urlsplit(phone.url).path == "/gongshi/yiyi/"
    assert phone.input_value("#application_id") == str(target.id)  # the candidate is chosen already
    phone.click("#facts")
    phone.keyboard.type(FACTS)
    phone.click("#objector_name")
    phone.keyboard.type(OBJECTOR)
    phone.locator("#objector_phone").press_sequentially(OBJECTOR_PHONE)
    phone.locator("#objector_unit").press_sequentially("海淀区某小区")
    assert phone.locator("#captcha-image").evaluate("img => img.complete && img.naturalWidth") == 160
    phone.locator("#captcha").press_sequentially("aaaa")
    go(public, "#objection-form button[type=submit]")
    receipt = phone.inner_text("#receipt-number").strip()
    assert re.fullmatch(r"YY\d{4}-[0-9A-Z]{6}", receipt), receipt
    return receipt


def handle_and_withdraw(office, receipt, target):
    """工作台's open objections → 异议处理: 受理 → 核实 → 办结 (属实), then 撤销 the candidate with a reason."""
    page = office.page
    page.click(".navbar >> text=工作台")
    page.wait_for_load_state()
    office.check()
    assert urlsplit(page.url).path == "/dashboard/"
    waiting = page.locator("#dashboard-objections li", has_text="待受理")
    assert waiting.locator("a.dashboard-number").inner_text() == "1"
    go(office, "#dashboard-objections li:has-text('待受理') a.dashboard-number")
    assert urlsplit(page.url).path == "/objections/list/"
    go(office, f"table tbody tr:has-text('{receipt}') a[href*='/objections/show/']")
    assert OBJECTOR in page.inner_text("#objector") and FACTS in page.inner_text("#objection-facts")
    for step in ("accept", "verify"):
        go(office, f"#step-{step} button[type=submit]")
    assert page.inner_text("#objection-status") == "核实中"
    page.select_option("#finding-conclude", label="反映问题属实")
    page.fill("#text-conclude", CONCLUSION)
    go(office, "#step-conclude button[type=submit]")
    assert page.inner_text("#objection-status") == "已办结"
    go(office, "#withdraw-link")
    page.fill("#reason", REASON_TEMPLATE.format(receipt=receipt))
    go(office, "#withdraw-form button[type=submit]")
    assert f"已撤销「{target.name}」的候选人资格" in office.body()


def look_up(public, receipt):
    phone = public.page
    go(public, "a:has-text('查询办理情况')")  # on the receipt page, still open on the phone
    assert urlsplit(phone.url).path == "/gongshi/yiyi/chaxun"
    phone.fill("#receipt_number", "")
    phone.locator("#receipt_number").press_sequentially(receipt)
    phone.locator("#phone").press_sequentially(OBJECTOR_PHONE)
    with phone.expect_navigation():
        phone.keyboard.press("Enter")
    public.check()
    assert phone.inner_text("#objection-status-label") == "已办结"
    assert phone.inner_text("#objection-conclusion") == CONCLUSION


def record_approval(office, pdf):
    """公示与表彰 → 审核确定: the day by the calendar, the 文号 typed, the PDF by the file picker, then 确认."""
    from tests.browser.test_approval import pick_day

    page = office.page
    navbar(office, "公示与表彰", "审核确定")
    assert f"{WINNERS - 1} 人（其中重点宣传 {FEATURED} 人）" in page.inner_text("#approval-summary")
    day = clock.now().date()
    pick_day(page, day)
    assert page.input_value("#decided_on") == day.isoformat()
    page.locator("#document_number").press_sequentially(DOCUMENT_NUMBER)
    page.set_input_files("#decision_file", str(pdf))
    go(office, "#approval-submit")
    assert DOCUMENT_NUMBER in page.inner_text("#approval-confirm")
    go(office, "#confirm-approve")
    assert page.inner_text("#record-number") == DOCUMENT_NUMBER
    assert f"首都市民学习之星 {WINNERS - 1} 人（重点宣传 {FEATURED} 人）" in office.body()


def open_certificate(office, live_server, problems):
    """公示与表彰 → 荣誉证书 → the first row's A4 page: its code, and the URL its QR code holds."""
    import zxingcpp
    from PIL import Image

    page = office.page
    navbar(office, "公示与表彰", "荣誉证书")
    assert urlsplit(page.url).path == "/certificates/list/"
    with page.context.expect_page() as opened:
        page.locator("table tr a.print-link").first.click()
    sheet = opened.value
    watch(sheet, problems)
    sheet.wait_for_load_state()
    Flow(sheet).check()
    code = sheet.inner_text("#certificate-code").strip()
    name = sheet.inner_text(".sheet")
    picture = Image.open(io.BytesIO(sheet.locator("svg.qr").screenshot()))
    (qr,) = [r.text for r in zxingcpp.read_barcodes(picture)]
    assert qr == f"{live_server.url}/zhengshu/{code}"
    sheet.close()
    return code, qr, name


def publish_and_commend(world, flow, phone_page, live_server, problems, tmp_path):
    campaign = world["campaign"]
    public = Flow(phone_page)
    picked = world["final_order"][:WINNERS]
    target = picked[42]  # a candidate, not featured
    featured_ids = {a.id for a in picked[:FEATURED]}

    # 1. 时间安排: the office brings the notice forward to today (the 复审 window is still open, its round closed).
    move_publicity_start_to_today(flow)

    # 2. On a phone, a member of the public objects to one candidate and keeps the receipt.
    receipt = lodge_objection(public, target)

    # 3. The office: 工作台's open objection → 异议处理 → 受理, 核实, 办结 (属实) → 撤销 with a reason.
    handle_and_withdraw(flow, receipt, target)

    # 4. The public looks the receipt up; /gongshi has 99 candidates, without the withdrawn one.
    look_up(public, receipt)
    phone_page.goto(f"/gongshi?q={target.name}")
    public.check()
    assert phone_page.locator(f"#pub-list > li[data-id='{target.id}']").count() == 0
    phone_page.goto("/gongshi")
    assert f"候选人共 {WINNERS - 1} 人" in phone_page.inner_text("#pub-count")

    # 5. A day after the notice ends, the office records the leading group's decision.
    db.session.expire_all()
    clock.freeze(campaign.window(Stage.PUBLICITY).ends_at + timedelta(days=1))
    pdf = tmp_path / "领导小组审核决定.pdf"
    sheet = canvas.Canvas(str(pdf))
    sheet.drawString(72, 720, "Decision of the leading group")
    sheet.save()
    record_approval(flow, pdf)

    # 6. /mingdan: 99 winners, the 10 featured first; a certificate's code and QR; /zhengshu/<code> confirms it.
    phone_page.goto("/")
    public.check()
    go(public, ".public-list-link a[href='/mingdan']")  # the home page's 首都市民学习之星名单
    people = phone_page.locator("#pub-list > li")
    assert people.count() == WINNERS - 1
    assert phone_page.locator("#pub-list > li.is-featured").count() == FEATURED
    assert people.evaluate_all("els => els.map(e => e.classList.contains('is-featured'))") == \
        [True] * FEATURED + [False] * (WINNERS - 1 - FEATURED)
    listed = people.evaluate_all("els => els.map(e => Number(e.dataset.id))")
    assert target.id not in listed and set(listed) == {a.id for a in picked} - {target.id}
    assert DOCUMENT_NUMBER in phone_page.inner_text(".pub-decision")
    phone_page.screenshot(path=MINGDAN_SCREENSHOT)

    code, qr, printed = open_certificate(flow, live_server, problems)
    phone_page.goto(urlsplit(qr).path)  # what a phone's camera opens
    public.check()
    facts = phone_page.inner_text("#certificate-facts")
    assert phone_page.inner_text("#certificate-status").startswith("有效")
    name = phone_page.inner_text("#certificate-name").strip()
    assert name in printed and campaign.name in facts and "首都市民学习之星" in facts
    winner = db.session.query(Certificate).filter_by(code=code).one().application
    assert winner.name == name and winner.id in {a.id for a in picked} - {target.id}
    assert winner.status == ("featured_winner" if winner.id in featured_ids else "winner")

    # A later campaign refuses that winner (R-APP-6); the withdrawn candidate may apply again.
    later = factories.campaign(year=campaign.year + 1, name=f"{campaign.year + 1}年度首都市民学习之星")
    again = factories.application(campaign=later, status="draft", id_number=winner.id_number, name=winner.name)
    assert "您已获评首都市民学习之星" in completeness_errors(again).get("id_number", "")
    retry = factories.application(campaign=later, status="draft", id_number=target.id_number, name=target.name)
    assert "id_number" not in completeness_errors(retry)
    phone_page.goto("/mingdan")  # the published list stays while the next campaign runs
    assert people.count() == WINNERS - 1 and campaign.name in phone_page.inner_text("h1")
