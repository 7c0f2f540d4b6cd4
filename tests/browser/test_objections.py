"""公示异议 in a real browser: on a phone, a member of the public types an objection (the captcha's answer made known
by patching its alphabet to one letter) and keeps the receipt; the city office, in another browser context, handles
it (受理 → 开始核实 → 办结) and withdraws the candidate; the public then looks the status up by receipt and phone.

The HTTP side is tests/views/test_objections.py; here the controls count: the select, the typing, the captcha image,
the receipt, the handling forms and the prefilled reason.
"""
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app import captcha, clock, roles
from app.extensions import db
from app.models import Application, Objection, Stage
from tests import factories
from tests.browser.test_review import Flow

NOW = datetime(2026, 7, 10, 10, 0)
FACTS = "该候选人所报的“社区学习带头人”称号并不存在，所在社区从未组织过相关评选活动。"
CONCLUSION = "经核实，反映问题属实，已撤销其候选人资格。"


@pytest.fixture
def world(monkeypatch):
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    monkeypatch.setattr(captcha, "ALPHABET", "A")  # every image reads AAAA
    campaign = factories.campaign(open_stage=Stage.PUBLICITY, at=NOW)
    _district, (street, _other) = factories.district_with_streets("西城区", ("德胜街道", "新街口街道"))
    candidates = [factories.application(unit=street, campaign=campaign, status="candidate", name=name,
                                        id_number=factories.id_number())
                  for name in ("王学习", "李读书")]
    return {"candidates": candidates, "city": factories.account(roles.CITY_OFFICE, username="cityoffice")}


def test_objection_lodged_on_a_phone_handled_by_the_office_and_looked_up(world, phone_page, page):
    public = Flow(phone_page)
    phone_page.goto("/gongshi/yiyi/")
    public.check()
    phone_page.select_option("#application_id", label="李读书（德胜街道）")
    phone_page.fill("#facts", FACTS)
    phone_page.click("#objector_name")
    phone_page.keyboard.type("欧阳异议")
    phone_page.locator("#objector_phone").press_sequentially("13612345678")
    phone_page.locator("#objector_unit").press_sequentially("西城区某小区")
    assert phone_page.locator("#captcha-image").evaluate("img => img.complete && img.naturalWidth") == 160
    phone_page.locator("#captcha").press_sequentially("aaaa")
    with phone_page.expect_navigation():
        phone_page.click("#objection-form button[type=submit]")
    public.check()
    receipt = phone_page.inner_text("#receipt-number").strip()
    assert re.fullmatch(r"YY2026-[0-9A-Z]{6}", receipt)
    objection = db.session.query(Objection).one()
    assert objection.receipt_number == receipt and objection.application.name == "李读书"

    office = Flow(page)
    office.log_in(world["city"])
    page.click(".navbar >> text=公示与表彰")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=异议处理")
    assert urlsplit(page.url).path == "/objections/list/"
    office.check()
    with page.expect_navigation():
        page.locator("table tbody tr", has_text=receipt).locator("a[href*='/objections/show/']").click()
    office.check()
    assert "欧阳异议" in page.inner_text("#objector") and FACTS in page.inner_text("#objection-facts")
    for step in ("accept", "verify"):
        with page.expect_navigation():
            page.click(f"#step-{step} button[type=submit]")
    assert page.inner_text("#objection-status") == "核实中"
    page.select_option("#finding-conclude", label="反映问题属实")
    page.fill("#text-conclude", CONCLUSION)
    with page.expect_navigation():
        page.click("#step-conclude button[type=submit]")
    office.check()
    assert page.inner_text("#objection-status") == "已办结"

    with page.expect_navigation():
        page.click("#withdraw-link")
    office.check()
    assert page.input_value("#reason") == f"经核实，反映问题属实（异议 {receipt}）"
    page.fill("#reason", f"经核实，所报称号不存在（异议 {receipt}）")
    with page.expect_navigation():
        page.click("#withdraw-form button[type=submit]")
    assert "已撤销「李读书」的候选人资格" in page.inner_text("body")
    db.session.expire_all()
    assert db.session.get(Application, world["candidates"][1].id).status == "withdrawn"

    phone_page.goto("/gongshi/yiyi/chaxun")
    phone_page.fill("#receipt_number", "")
    phone_page.locator("#receipt_number").press_sequentially(receipt.lower())
    phone_page.locator("#phone").press_sequentially("13612345678")
    with phone_page.expect_navigation():
        phone_page.keyboard.press("Enter")
    public.check()
    assert phone_page.inner_text("#objection-status-label") == "已办结"
    assert phone_page.inner_text("#objection-conclusion") == CONCLUSION
