"""Issue 8's "done when", end to end: from a generated campaign (app/demo/generate.py: 130 applications reported by
their first-level units, 10 experts in two 初审 panels and one 复审 panel, a few conflicts) the city office runs both
rounds in the browser and comes out with 100 candidates and 10 featured.

The office works in Chromium: 评审分配 → 自动分配 (and reads the loads), 评审进度 → 结束本轮 once the 初审 window has
passed, 评审排名 → 前 K 名入围 typing K = 110, 自动分配 for 复审, 结束本轮 of 复审 once every review is in, then the
two bulk picks 按排名选前 N 名为拟评选 / 重点宣传 with the N the page offers, and 拟评选名单. One expert scores their
first application in the browser, typing; every other review goes through the REST API with a Bearer token, as a
scripted client would (tests.factories.api_client).

Scores are chosen so that every application's mean is distinct in both rounds: the top 110, 100 and 10 are known in
advance and no tie interferes.
"""
import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from app import clock, roles, rounds
from app.demo.generate import generate
from app.extensions import db
from app.models import Application, ReviewAssignment, Stage
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


def test_the_city_office_takes_a_generated_campaign_through_both_rounds(app, page, live_server, campaign_world,
                                                                       csrf_on):
    started = time.perf_counter()
    world, flow = campaign_world, Flow(page)
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
    print(f"\nthe browser flow took {time.perf_counter() - started:.1f} s after setup")
