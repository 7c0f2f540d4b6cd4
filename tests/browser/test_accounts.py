"""单位账号 in Chromium: the city office adds a street's account, forgetting the unit first."""
from urllib.parse import urlsplit

from app import roles
from app.extensions import db
from app.models import Account
from tests import factories
from tests.browser.test_review import Flow


def test_an_account_without_its_unit_is_refused_at_the_unit_and_nothing_typed_is_lost(page, live_server, csrf_on):
    """所属单位 left at its placeholder: said at that field, the username, name and phone still there (it was a flash
    on the home page with everything typed gone); then the unit picked by typing, and the account is made."""
    district, (street, _) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE, username="cityoffice", first_name="王立群")
    flow = Flow(page)
    flow.log_in(city)
    flow.open_add_form("单位与账号", "单位账号", "/accounts/add")
    page.locator("#username").fill("zgc-clerk")
    page.locator("#first_name").fill("张伟")
    page.locator("#phone").fill("13800138001")
    with page.expect_navigation():
        page.click("#model_form [type=submit]")
    assert urlsplit(page.url).path == "/accounts/add"
    row = page.locator("tr", has=page.locator("#unit"))
    assert "请选择所属单位" in row.locator(".alert-danger").inner_text()
    assert [page.locator(f"#{name}").input_value() for name in ("username", "first_name", "phone")] == [
        "zgc-clerk", "张伟", "13800138001"]
    flow.check()
    page.locator("#group-unit .select2-container, tr:has(#unit) .select2-container").first.click()
    page.keyboard.type("中关村")
    page.locator(".select2-results__option", has_text="中关村街道").click()
    with page.expect_navigation():
        page.click("#model_form [type=submit]")
    flow.check()
    assert "初始密码" in flow.body()
    account = db.session.query(Account).filter_by(username="zgc-clerk").one()
    assert (account.unit_id, account.first_name, account.phone) == (street.id, "张伟", "13800138001")
