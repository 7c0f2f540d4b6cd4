"""专家评审 → 评审进度 in a real browser: the city office reads a round's progress, reminds one expert, is told it
cannot close the round while reviews are missing inside the window, and closes it once the window has passed.

The HTTP side is tests/views/test_review_progress.py; here it is the page's controls that count: the navbar, the
提醒 button of one row, the 结束本轮 button's confirm() dialog and the flashes.
"""
from urllib.parse import urlsplit

import pytest

from app import clock, roles
from app.extensions import db
from app.models import InboxMessage
from tests import factories
from tests.browser.test_review import Flow
from tests.test_rounds import AFTER, NOW, mixed
from tests.test_rounds import world as rounds_world  # noqa: F401


@pytest.fixture
def world(rounds_world):  # noqa: F811
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    mixed(rounds_world)
    rounds_world["desk"] = factories.account(roles.CITY_OFFICE, username="review_desk", first_name="刘办公室")
    return rounds_world


def close_round(flow):
    """结束本轮, accepting its confirm(); returns the dialog's message."""
    page, messages = flow.page, []

    def accept(dialog):
        messages.append((dialog.type, dialog.message))
        dialog.accept()

    page.once("dialog", accept)
    with page.expect_navigation():
        page.click("#close-round-form button[type=submit]")
    assert len(messages) == 1 and messages[0][0] == "confirm", messages
    flow.check()
    return messages[0][1]


def test_the_city_office_reminds_an_expert_and_closes_the_round(page, live_server, world, csrf_on):
    flow = Flow(page)
    flow.log_in(world["desk"])
    page.click(".navbar >> text=专家评审")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=评审进度")
    assert urlsplit(page.url).path == "/review-progress/"
    flow.check()
    assert page.inner_text(".round-switch li.active").strip() == "专家初审"
    assert "已提交 3 / 6 份评审" in page.inner_text("#round-totals")
    assert "还剩 16 天 22 小时" in page.inner_text("#round-window")
    li_row = page.locator("tr.expert-row", has_text="李专家")
    assert li_row.locator("td .done").inner_text().strip() == "1 / 2"

    # 提醒 for 李专家 alone.
    with page.expect_navigation():
        li_row.locator(".remind-form button").click()
    flow.check()
    assert page.inner_text(".alert-success").strip().endswith("已向 1 位专家发送站内提醒。")
    assert [m.account_id for m in db.session.query(InboxMessage)] == [world["li"].account_id]

    # Inside the window with reviews missing: refused, with how many and until when.
    message = close_round(flow)
    assert "不能重新开启" in message
    refusal = page.inner_text(".alert-danger")
    assert "还有 3 份评审未提交" in refusal and "2026-06-18 08:59:59" in refusal, refusal
    assert page.locator("#round-closed").count() == 0

    # The window has passed: the round closes, for good.
    clock.freeze(AFTER)
    page.reload()
    flow.check()
    assert page.locator("#time-left").count() == 0
    close_round(flow)
    assert "「专家初审」已结束" in page.inner_text(".alert-success")
    closed = page.inner_text("#round-closed")
    assert "本轮已于 2026-06-18 09:00:00 由 刘办公室 结束" in closed and "不能重新开启" in closed
    assert page.locator("#close-round-form").count() == 0 and page.locator(".remind-form").count() == 0
    db.session.expire_all()
    assert world["round"].is_closed and world["round"].closed_by_id == world["desk"].id
