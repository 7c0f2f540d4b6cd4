"""/gongshi on a phone (390×844): 30 candidates with photos; the list renders with the featured marked, the photos
load lazily (not all at once), typing in the search box and pressing Enter narrows the list, no console error and
no request to another host. The HTTP side is tests/views/test_public_notice.py."""
from urllib.parse import urlsplit

import pytest

from app import storage
from app.extensions import db
from tests import factories
from tests.media.corpus import encoded, portrait

SCREENSHOT = "/tmp/gongshi-phone.png"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"


@pytest.fixture
def notice():
    campaign = factories.campaign(open_stage="publicity")
    _, (zhongguancun,) = factories.district_with_streets("海淀区", ("中关村街道",))
    _, (jianwai,) = factories.district_with_streets("朝阳区", ("建外街道",))
    photo = encoded(portrait((300, 420)), "JPEG")
    people = factories.candidates(20, campaign, featured=10, unit=zhongguancun) + factories.candidates(
        10, campaign, unit=jianwai)
    for i, application in enumerate(people):
        application.name = f"{SURNAMES[i]}学习{i:02d}"
        application.deeds = "坚持终身学习，组织社区读书会，带动居民参与学习型城市建设。" * 3
        application.photo_file = storage.store_bytes(photo, "photo", "jpg")
    db.session.commit()
    return people


def test_the_notice_on_a_phone_lazy_photos_search_by_typing(notice, phone_page, live_server, requested_urls):
    page = phone_page
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto("/gongshi")
    page.wait_for_load_state("load")
    rows = page.locator("#pub-list > li")
    assert rows.count() == 30
    assert "候选人共 30 人" in page.inner_text("#pub-count")
    featured = page.locator("#pub-list > li.is-featured")
    assert featured.count() == 10
    assert all("重点宣传" in featured.nth(i).inner_text() for i in range(10))
    assert "重点宣传" not in rows.nth(10).inner_text()  # the featured come first
    # Sized for the list and lazy: the photos far below the first screen are not fetched yet.
    images = page.locator("#pub-list img")
    assert images.evaluate_all("els => els.every(e => e.loading === 'lazy' && e.width === 96 && e.height === 128)")
    assert images.first.evaluate("e => e.complete && e.naturalWidth > 0")
    fetched = [u for u in requested_urls if urlsplit(u).path.startswith("/gongshi/photo/")]
    assert 0 < len(fetched) < 30, len(fetched)
    page.screenshot(path=SCREENSHOT)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"

    # Search: type into the box and press Enter (a plain GET form, no script needed).
    page.fill("#q", "")
    page.locator("#q").type("建外")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/gongshi"
    assert rows.count() == 10
    assert "找到 10 人（共 30 人）" in page.inner_text("#pub-count")
    assert all("建外街道" in rows.nth(i).inner_text() for i in range(10))

    page.fill("#q", notice[3].name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert rows.count() == 1 and notice[3].name in rows.first.inner_text()
    assert "重点宣传" in rows.first.inner_text()
    # The objection form's address for this candidate.
    assert rows.first.locator("a", has_text="提出异议").get_attribute("href") == (
        f"/gongshi/yiyi/?candidate={notice[3].id}")

    assert errors == []
    foreign = {urlsplit(u).netloc for u in requested_urls} - {live_server.netloc}
    assert foreign == set(), foreign
