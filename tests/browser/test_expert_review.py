"""专家评审 in a real browser, on a tablet held upright: an expert signs in, lands on 我的评审, scores the first
application, 暂存并下一份, scores the second, submits both and reads 已完成 2 / 2; and the score inputs work with
the keyboard alone (Tab reaches each, each has its label, the running total follows).

The HTTP side is tests/views/test_expert_review.py; here it is what the page does: the landing, the live total,
the buttons, the layout at 820 px.
"""
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import ReviewAssignment
from tests import factories
from tests.browser.test_review import Flow
from tests.views.test_expert_review import ID_NUMBER, MOBILE, scoring_world

TABLET = {"viewport": {"width": 820, "height": 1180}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
SCREENSHOT = "/tmp/expert-review-tablet.png"


@pytest.fixture
def tablet(live_server, browser):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **TABLET)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def world(app):
    return scoring_world()


def score(page, values):
    for input_, value in zip(page.locator("input.score-input").all(), values):
        input_.fill(str(value))


def test_an_expert_scores_two_applications_on_a_tablet_and_submits_both(tablet, world, csrf_on):
    page, flow = tablet, Flow(tablet)
    first, second = world["mine"]
    flow.log_in(world["alice"].account)
    assert urlsplit(page.url).path == "/expert/"  # the to-do list first
    assert "已完成 0 / 2" in page.inner_text("#done-count")
    assert "天" in page.inner_text("#time-left")

    with page.expect_navigation():
        page.click("#next-review")
    assert urlsplit(page.url).path == f"/expert/review/{first.id}"
    flow.check()
    body = flow.body()
    assert "王学习" in body and "二十年坚持社区读书会" in body and ID_NUMBER not in body and MOBILE not in body
    # Materials and rubric side by side at 820 px: the rubric starts to the right of the deeds, not below them.
    materials, rubric = page.locator(".materials").bounding_box(), page.locator(".rubric").bounding_box()
    assert rubric["x"] >= materials["x"] + materials["width"] - 1 and rubric["y"] < materials["y"] + 200
    assert page.inner_text("#running-total") == "—"
    score(page, [8, 9, 7.5, 6, 10, 8.5])
    assert page.inner_text("#running-total") == "81.75"  # the server's formula, live
    page.fill("#comment", "事迹突出，学以致用。")
    page.screenshot(path=SCREENSHOT, full_page=True)
    with page.expect_navigation():
        page.click("button[value=save_next]")
    assert urlsplit(page.url).path == f"/expert/review/{second.id}"
    flow.check()
    assert "已暂存" in page.inner_text(".alert-success")

    # The second: a quick pick for the first criterion, typed values for the rest.
    page.locator(".criterion").first.locator(".quick-pick[data-value='9']").click()
    assert page.locator("input.score-input").first.input_value() == "9"
    for input_, value in zip(page.locator("input.score-input").all()[1:], [9, 9, 9, 9, 9]):
        input_.fill(str(value))
    assert page.inner_text("#running-total") == "90.00"
    page.fill("#comment", "长期坚持公益学习活动。")
    with page.expect_navigation():
        page.click("button[value=submit_next]")
    # The next unfinished one is the first, saved as a draft: what was typed is there.
    assert urlsplit(page.url).path == f"/expert/review/{first.id}"
    assert [i.input_value() for i in page.locator("input.score-input").all()] == ["8", "9", "7.5", "6", "10", "8.5"]
    assert page.input_value("#comment") == "事迹突出，学以致用。"
    assert page.inner_text("#running-total") == "81.75"
    with page.expect_navigation():
        page.click("button[value=submit]")
    assert urlsplit(page.url).path == "/expert/"
    flow.check()
    assert "已完成 2 / 2" in page.inner_text("#done-count")
    assert "81.75" in flow.body() and "90.00" in flow.body()
    db.session.expire_all()
    assert [db.session.get(ReviewAssignment, a.id).status for a in (first, second)] == ["submitted", "submitted"]

    # Submitted: read-only, with the own scores.
    with page.expect_navigation():
        page.locator("tr.assignment-row", has_text="王学习").locator("a").click()
    assert page.locator("input.score-input").count() == 0 and "81.75" in page.inner_text("#own-total")


def test_the_score_inputs_are_reached_by_tab_and_labelled(tablet, world):
    page, flow = tablet, Flow(tablet)
    flow.log_in(world["alice"].account)
    page.goto(f"/expert/review/{world['mine'][0].id}")
    criteria = world["round"].criteria
    wanted = [f"score_{c.id}" for c in criteria]
    reached = []
    for _ in range(80):  # from the top of the page: the navbar, the links, then the rubric
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.id")
        if focused in wanted:
            reached.append(focused)
            page.keyboard.type("7")
        if focused == "comment":
            break
    assert reached == wanted  # each in order, the quick picks skipped
    for c in criteria:
        label = page.evaluate(f"() => document.querySelector('label[for=score_{c.id}]').textContent")
        assert c.label in label and f"权重 {c.weight}" in label
        accessible = page.evaluate(f"() => document.getElementById('score_{c.id}').labels.length")
        assert accessible == 1
    assert page.inner_text("#running-total") == "70.00"
    page.keyboard.type("键盘输入的意见")
    # Shift+Tab back from the comment lands on the last score input.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.id") == wanted[-1]
    assert factories.PASSWORD  # signed in with the factories' password


def test_the_applicants_facts_sit_beside_the_photo(tablet, world):
    """Found by a screenshot tour: Bootstrap's dl-horizontal clears floats after each entry, so every fact after 性别
    went below the right-floated photo, leaving a blank the photo's height; and its 160px labels squeezed 北京某老字号
    餐饮企业 into three lines on a tablet. The facts now make consecutive lines beside the photo."""
    from app import storage
    from tests.media import corpus

    first = world["mine"][0]
    first.application.photo_file = storage.store_bytes(corpus.encoded(corpus.portrait(), "JPEG"), "photo", "jpg")
    first.application.work_unit = "北京某老字号餐饮企业"
    db.session.commit()
    page = tablet
    Flow(page).log_in(world["alice"].account)
    page.goto(f"/expert/review/{first.id}")
    photo = page.locator(".materials img.photo").bounding_box()
    assert photo["height"] > 150  # the real photo, as a citizen uploaded it
    facts = page.locator(".materials dl dd").all()
    line = facts[0].evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    tops = [fact.bounding_box()["y"] for fact in facts]
    assert all(later - earlier < 1.5 * line for earlier, later in zip(tops, tops[1:])), tops  # one line each
    assert tops[-1] < photo["y"] + photo["height"]  # all beside the photo, none pushed below it
