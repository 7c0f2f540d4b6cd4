"""用户权限 → 角色权限 in a real browser: the security administrator (三员分立) takes 审计日志 away from the auditor and gives it 推荐名额,
with the keyboard and the mouse, saves, and the auditor's next sign-in shows the change in the menu."""
from urllib.parse import urlsplit

from app import roles
from tests import factories
from tests.browser.test_review import Flow

SCREENSHOT = "/tmp/role-permissions.png"


def box(page, label):
    return page.get_by_role("checkbox", name=label, exact=True)


def test_the_security_administrator_changes_the_auditors_screens_and_the_auditor_sees_it(
        page, live_server, csrf_on, roles_restored):
    security = factories.account(roles.SECURITY_ADMIN, username="anquan")
    auditor = factories.account(roles.AUDITOR, username="auditor1")
    flow = Flow(page)

    # Before: the auditor has 审计 → 审计日志 and no 推荐名额.
    flow.log_in(auditor)
    assert page.locator(".navbar a[href='/audit/list/']").count() == 1
    assert page.locator(".navbar a[href='/quotas/list/']").count() == 0

    flow.log_in(security)
    page.click(".navbar >> text=用户权限")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=角色权限")
    assert urlsplit(page.url).path == "/role-permissions/"
    flow.check()
    with page.expect_navigation():
        page.click(".role-tabs >> text=审计员")
    flow.check()
    assert page.locator(".role-tabs li.active").inner_text().strip() == "审计员"
    assert page.locator("table.permission-matrix caption").inner_text() == "“审计员”可以做的事"
    assert box(page, "审计日志 · 菜单可见").is_checked() and box(page, "审计日志 · 查看").is_checked()
    assert not box(page, "推荐名额 · 菜单可见").is_checked()
    assert box(page, "报名信息 · 推荐决定").count() == 1 and box(page, "审计日志 · 推荐决定").count() == 0

    # Keyboard: Space on the focused box, Tab to the next one in the row.
    box(page, "推荐名额 · 菜单可见").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert box(page, "推荐名额 · 查看").is_checked()
    box(page, "审计日志 · 菜单可见").focus()
    page.keyboard.press("Space")
    # Mouse.
    box(page, "审计日志 · 查看").click()
    assert not box(page, "审计日志 · 菜单可见").is_checked() and not box(page, "审计日志 · 查看").is_checked()
    page.screenshot(path=SCREENSHOT, full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    flow.check()
    assert "已保存“审计员”的权限：授予 2 项，收回 2 项。" in page.inner_text(".alert-success")
    assert page.locator(".role-tabs li.active").inner_text().strip() == "审计员"
    assert box(page, "推荐名额 · 查看").is_checked() and not box(page, "审计日志 · 查看").is_checked()

    # The auditor's next sign-in: no 审计 menu, 推荐名额 under 评选管理 and it opens; the log is refused.
    flow.log_in(auditor)
    assert page.locator(".navbar >> text=审计").count() == 0
    page.click(".navbar >> text=评选管理")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=推荐名额")
    assert urlsplit(page.url).path == "/quotas/list/"
    flow.check()
    response = page.goto("/audit/list/")
    assert response.status == 403 and "无权访问" in flow.body()
