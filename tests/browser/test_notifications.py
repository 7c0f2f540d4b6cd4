"""站内通知 in Chromium: a street's clerk returns an application on the detail page; the citizen, on a phone, sees
the count beside the menu button, opens 我的通知 and the message with the reason, and the count drops."""
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app import clock, notifications, roles
from app.extensions import db
from app.models import Stage
from tests import factories
from tests.browser.signing import log_in as sign_in

NOW = datetime(2026, 4, 20, 10, 0)
REASON = "请补充近三年的学习成果证明"


@pytest.fixture
def returned_world():
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    campaign = factories.campaign(open_stage=Stage.APPLY, at=NOW)
    _district, (street, _other) = factories.district_with_streets()
    citizen = factories.account(roles.APPLICANT, username="13911588771")
    application = factories.application(unit=street, applicant=citizen, campaign=campaign, name="王学习")
    # One older message, so that the count goes from 2 to 1 rather than vanishing.
    notifications.notify([citizen], "message", "欢迎使用", "报名开始后请及时填写。")
    db.session.commit()
    return {"citizen": citizen, "application": application,
            "clerk": factories.account(roles.L2_CLERK, unit=street, username="street_clerk")}



def test_a_returned_citizen_sees_the_count_on_the_phone_opens_the_message_and_the_count_drops(
        page, phone_page, returned_world):
    w = returned_world
    # --- The clerk returns the application from its detail page, with a reason. ---------------------------------
    sign_in(page, w["clerk"])
    page.goto(f"/applications/show/{w['application'].id}")
    with page.expect_navigation(url=re.compile(r"/applications/decide\?")):
        page.click("#decide-choice button[value=return]")
    page.fill("#opinion", REASON)
    with page.expect_navigation():
        page.click("#decision-form button[type=submit]")
    assert "已退回" in page.inner_text(".alert-success")

    # --- The citizen on a phone: the count beside the menu button, without opening the menu. --------------------
    phone = phone_page
    sign_in(phone, w["citizen"])
    bell = phone.locator(".navbar-header .notification-bell")
    assert bell.is_visible() and bell.locator(".notification-count").inner_text() == "2"
    assert bell.get_attribute("aria-label") == "我的通知（2 条未读）"
    with phone.expect_navigation():
        bell.click()
    assert urlsplit(phone.url).path == "/notifications/"
    items = phone.locator(".notification-list .notification")
    assert items.first.locator(".notification-title").inner_text() == "您的报名被退回修改"  # newest first
    assert REASON in items.first.inner_text()
    with phone.expect_navigation():
        items.first.locator(".notification-title").click()
    assert REASON in phone.inner_text(".notification-show") and "中关村街道" in phone.inner_text(".notification-show")
    assert phone.locator(".navbar-header .notification-bell .notification-count").inner_text() == "1"
    # 前往办理 leads to 我的报名, where the reason is on top.
    with phone.expect_navigation():
        phone.click("text=前往办理")
    assert urlsplit(phone.url).path == "/apply/" and REASON in phone.inner_text("#return-reason")
    phone.goto("/notifications/")
    assert "1 条未读" in phone.inner_text(".notification-summary")
    with phone.expect_navigation():
        phone.click("text=全部标为已读")
    assert phone.locator(".navbar-header .notification-bell .notification-count").count() == 0
    phone.screenshot(path="/tmp/notifications-phone.png")
