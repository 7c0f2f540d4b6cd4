"""专家评审 in a real browser: with 初审 closed, the city office opens 初审排名, shortlists the top K by typing K; with
复审 closed it marks candidates on 复审排名 — one out of ranking order, which asks for a reason at the textarea —
and a featured one, and reads the counts and the 拟评选名单.

The HTTP side is tests/views/test_ranking.py; here the controls count: the menu, the K input, the row checkboxes,
the action buttons, the field message and the textarea under it.
"""
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import Application
from tests.browser.test_review import Flow
from tests.ranking_setup import World

SCREENSHOT = "/tmp/ranking-final.png"
REASON = "扎根社区二十年，代表基层学习者。"


@pytest.fixture
def world():
    world = World()  # the live server runs in this process: its clock is frozen too
    world.close(world.initial)
    world.named = {}
    for name, total in (("王学习", 90), ("李读书", 85), ("赵终身", 80), ("钱明理", 80), ("孙笃行", 70)):
        world.named[name] = world.scored(world.initial, world.applicant(name), total, total)
    return world


def status(application) -> str:
    db.session.expire_all()
    return db.session.get(Application, application.id).status


def row(page, name):
    return page.locator("#ranking-table tr.ranking-row", has_text=name)


def test_city_office_shortlists_the_top_k_then_marks_candidates_and_featured(world, page):
    flow = Flow(page)
    flow.log_in(world.city)
    page.click(".navbar >> text=专家评审")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=评审排名")
    assert urlsplit(page.url).path == "/ranking/"
    flow.check()
    assert "初审排名" in page.inner_text("h2")
    # 赵终身 and 钱明理 share third place.
    assert row(page, "赵终身").locator(".rank").inner_text() == "3 并列"
    assert row(page, "钱明理").locator(".rank").inner_text() == "3 并列"

    page.fill("#k", "3")
    with page.expect_navigation():
        page.click("#top-form button[type=submit]")
    flow.check()
    message = page.inner_text("body")
    assert "新入围复审 4 人" in message and "第 3 名有并列" in message
    assert [status(world.named[n]) for n in ("王学习", "李读书", "赵终身", "钱明理", "孙笃行")] == [
        "shortlisted"] * 4 + ["reported"]
    assert row(page, "孙笃行").locator(".status").inner_text() == "一级单位已上报市学习办"
    assert row(page, "王学习").locator(".status").inner_text() == "入围复审"

    # 复审 is scored and closed (the rounds' own screens are another helper's): 李读书 first, 王学习 last.
    for name, total in (("李读书", 95), ("赵终身", 88), ("钱明理", 84), ("王学习", 80)):
        world.scored(world.final, world.named[name], total, total)
    world.close(world.final)

    with page.expect_navigation():
        page.click("text=复审排名")
    flow.check()
    assert page.locator("#pick-counts").inner_text() == "拟评选 0 / 100，重点宣传 0 / 10"
    row(page, "李读书").locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.click("#pick-form button[value=candidate]")
    assert "已列入拟评选 1 份" in page.inner_text("body")

    # 王学习 ranks 4th of 复审 while 赵终身 and 钱明理 wait: the reason is asked for at the textarea.
    row(page, "王学习").locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.click("#pick-form button[value=candidate]")
    flow.check()
    error = page.locator("#opinion-error")
    assert "排名更前的「赵终身」" in error.inner_text() or "排名更前的「钱明理」" in error.inner_text()
    assert page.get_attribute("#opinion", "aria-invalid") == "true"
    assert row(page, "王学习").locator("input[type=checkbox]").is_checked()  # the tick is kept
    assert status(world.named["王学习"]) == "shortlisted"
    page.fill("#opinion", REASON)
    with page.expect_navigation():
        page.click("#pick-form button[value=candidate]")
    assert "已列入拟评选 1 份" in page.inner_text("body")
    assert status(world.named["王学习"]) == "candidate"

    row(page, "李读书").locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.click("#pick-form button[value=feature]")
    flow.check()
    assert page.locator("#pick-counts").inner_text() == "拟评选 2 / 100，重点宣传 1 / 10"
    assert row(page, "李读书").locator(".status").inner_text() == "拟评选（重点宣传）"
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.click(".navbar >> text=专家评审")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=拟评选名单")
    flow.check()
    names = page.locator("#candidates-table tr.candidate-row").all_inner_texts()
    assert names[0].split("\t")[1] == "李读书" and "王学习" in names[1] and REASON in names[1]


def test_closing_a_large_round_shows_the_ranking_being_computed_then_the_ranking(app, page, large_rounds, queued_jobs):
    """RANKING_LIVE_LIMIT 0 makes the round count as large (100,000 applications): 结束本轮 closes it at once and a
    background job computes the final ranking. The queue is a real one nobody consumes until the test runs the job
    (as the worker would): meanwhile 评审排名 says 排名正在计算 and offers no top K; the job's page then goes on to
    the ranking by itself."""
    from playwright.sync_api import expect

    from app import jobs
    from tests.browser.test_review_progress import close_round

    world = World()
    for name, total in (("王学习", 90), ("李读书", 85), ("孙笃行", 70)):
        world.scored(world.initial, world.applicant(name), total, total)
    flow = Flow(page)
    flow.log_in(world.city)
    page.goto("/review-progress/?stage=initial_review")
    close_round(flow)
    assert "最终排名正在后台计算" in flow.body()

    page.click(".navbar >> text=专家评审")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=评审排名")
    flow.check()
    source = page.locator("#ranking-source")
    expect(source).to_contain_text("排名正在计算（0%）")
    assert page.locator("#ranking-table tr.ranking-row").count() == 0 and page.locator("#top-form").count() == 0

    with page.expect_navigation():
        page.click("#ranking-job-link")
    flow.check()
    expect(page.locator(".job-state")).to_have_text("排队中")
    db.session.expire_all()
    job_id = db.session.get(type(world.initial), world.initial.id).ranking_job_id
    with page.expect_navigation(url="**/ranking/**", timeout=15000):
        assert jobs.run(app, job_id) == "done"  # the page's poll sees it done and goes on to the ranking
    flow.check()
    expect(page.locator("#ranking-table tr.ranking-row").first).to_have_attribute("data-name", "王学习")
    assert page.locator("#ranking-source").count() == 0 and page.locator("#top-form").count() == 1
    assert row(page, "孙笃行").locator(".rank").inner_text() == "3"
