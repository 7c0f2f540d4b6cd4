"""Sign-in in a real browser: after two wrong passwords the form shows the portal's captcha image, the clerk types
what it shows (read from the server-side store by the image's id: the cookie holds nothing else) and gets in; a
locked account is told the support desk's number. The HTTP side is tests/test_signin.py."""
from urllib.parse import urlsplit

from app import captcha, roles
from app.security import LOGIN_CAPTCHA
from tests import factories
from tests.browser.test_review import Flow


def shown_answer(app, page) -> str:
    """What the captcha image on the page reads, from the server-side store (the test's hook), found by the id the
    browser's session cookie carries."""
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == app.config["SESSION_COOKIE_NAME"])
    captcha_id = app.session_interface.get_signing_serializer(app).loads(cookie)[captcha.session_key(LOGIN_CAPTCHA)]
    return captcha.stored_answer(LOGIN_CAPTCHA, captcha_id)


def submit(page, username, password):
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")


def test_after_two_failures_the_clerk_types_the_captcha_and_gets_in(app, page):
    clerk = factories.account(roles.CITY_OFFICE, username="cityoffice")
    flow = Flow(page)
    page.goto("/login/")
    assert page.locator("#captcha").count() == 0
    for _ in range(2):
        submit(page, "cityoffice", "Wrong#2026")
        assert "用户名或密码不正确" in flow.body()
    flow.check()
    assert page.input_value("#username") == "cityoffice"  # kept after the failures
    image = page.locator("#captcha-image")
    image.wait_for()
    page.wait_for_function("document.getElementById('captcha-image').complete")
    assert image.evaluate("img => img.naturalWidth") == 160
    page.fill("#password", factories.PASSWORD)
    page.locator("#captcha").press_sequentially(shown_answer(app, page).lower())
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert urlsplit(page.url).path == "/dashboard/", page.url
    flow.check()
    assert clerk.username in page.content()


def test_a_locked_account_is_told_whom_to_call(app, page):
    factories.account(roles.CITY_OFFICE, username="cityoffice")
    page.goto("/login/")
    for attempt in range(5):
        page.fill("#password", "Wrong#2026")
        page.fill("#username", "cityoffice")
        if page.locator("#captcha").count():
            page.wait_for_function("document.getElementById('captcha-image').complete")
            page.fill("#captcha", shown_answer(app, page))
        with page.expect_navigation():
            page.click("input[type=submit]")
    Flow(page).check()
    body = page.inner_text("body")
    assert "账号已锁定 30 分钟" in body and "82364980" in body
