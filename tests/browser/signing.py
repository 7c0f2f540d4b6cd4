"""Signing in through the sign-in page, as a user does: the browser tests' shared first step."""
from urllib.parse import urlsplit

from tests import factories


def log_in(page, account, password=factories.PASSWORD):
    """Type the account's username and password into /login/ and submit; the browser must leave the sign-in page."""
    page.goto("/login/")
    page.fill("#username", account.username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert urlsplit(page.url).path != "/login/", f"login of {account.username} failed"
