"""用户权限 → 角色权限 over HTTP: the security administrator reads and saves a role's ticks; nobody else may (not
the city office since 三员分立); CSRF holds."""
import re

import pytest
from flask import current_app

from app import permissions, roles
from tests import factories
from tests.test_csrf import token_of

URL = "/role-permissions/"


def ticked_on(page: str) -> set[str]:
    return set(re.findall(r'name="grant" value="([^"]+)"[^>]*\bchecked\b', page, re.S))


def pairs_of(role_name):
    return permissions.role_pairs(current_app.appbuilder.sm.find_role(role_name))


def test_the_security_administrator_finds_the_editor_under_user_permissions_and_not_fabs_role_screen(client):
    factories.login(client, factories.account(roles.SECURITY_ADMIN))
    home = client.get("/").text
    assert 'href="/role-permissions/"' in home and "角色权限" in home
    assert 'href="/roles/list/"' not in home
    assert client.get("/roles/list/").status_code in (302, 403)


def test_the_page_shows_one_role_with_its_ticks_and_tabs_for_the_six_roles(client):
    factories.login(client, factories.account(roles.SECURITY_ADMIN))
    page = client.get(URL, query_string={"role": roles.AUDITOR}).text
    for name in roles.ALL_ROLES:
        assert f">{name}</a>" in page
    assert ">Admin<" not in page and ">Public<" not in page
    for label in ("评选批次", "时间安排", "报名信息", "二级单位", "单位账号", "审计日志", "菜单可见", "查看", "推荐决定", "重置密码"):
        assert label in page
    role = current_app.appbuilder.sm.find_role(roles.AUDITOR)
    assert ticked_on(page) == permissions.ticked(role, permissions.screens())
    assert {"AuditLog:menu_access", "AuditLog:can_read"} <= ticked_on(page)
    assert "Applications:can_decide" not in ticked_on(page)
    assert client.get(URL, query_string={"role": "Admin"}).status_code == 404


def test_saving_grants_and_withdraws_and_returns_to_the_role(client, roles_restored):
    factories.login(client, factories.account(roles.SECURITY_ADMIN))
    page = client.get(URL, query_string={"role": roles.AUDITOR}).text
    wanted = (ticked_on(page) - {"AuditLog:menu_access", "AuditLog:can_read"}) | {"Quotas:menu_access", "Quotas:can_read"}
    response = client.post(URL + "save", data={"role": roles.AUDITOR, "grant": sorted(wanted)})
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "已保存“审计员”的权限：授予 2 项，收回 2 项。" in page
    assert ticked_on(page) == wanted
    assert ("menu_access", "Quotas") in pairs_of(roles.AUDITOR)
    assert ("can_read", "AuditEvent") not in pairs_of(roles.AUDITOR)


def test_a_refused_change_is_shown_at_its_row_with_the_users_ticks_kept(client, roles_restored):
    factories.login(client, factories.account(roles.SECURITY_ADMIN))
    before = pairs_of(roles.AUDITOR)
    wanted = ticked_on(client.get(URL, query_string={"role": roles.AUDITOR}).text) - {"AuditLog:can_read"}
    wanted |= {"Quotas:menu_access"}
    response = client.post(URL + "save", data={"role": roles.AUDITOR, "grant": sorted(wanted)})
    assert response.status_code == 400
    assert ticked_on(response.text) == wanted
    assert re.search(r'id="screen-AuditLog" class="danger".*审计日志：勾选“菜单可见”须同时勾选“查看”', response.text, re.S)
    assert "推荐名额：勾选“菜单可见”须同时勾选“查看”" in response.text
    assert pairs_of(roles.AUDITOR) == before


@pytest.mark.parametrize("role", [roles.L1_CLERK, roles.AUDITOR, roles.APPLICANT, roles.CITY_OFFICE, roles.SYSTEM_ADMIN])
def test_other_roles_can_neither_read_nor_save(client, roles_restored, role):
    user = factories.account(role, unit=factories.unit() if role == roles.L1_CLERK else None)
    factories.login(client, user)
    before = pairs_of(roles.AUDITOR)
    assert client.get(URL).status_code in (302, 403)
    assert client.post(URL + "save", data={"role": roles.AUDITOR, "grant": []}).status_code in (302, 403)
    assert pairs_of(roles.AUDITOR) == before


def test_the_system_administrator_keeps_fabs_role_screen(client):
    factories.login(client, factories.account(roles.ADMIN))
    assert client.get("/roles/list/").status_code == 200
    assert client.get(URL).status_code == 200


def test_a_save_without_the_forms_token_is_refused(app, csrf_on, roles_restored):
    factories.account(roles.SECURITY_ADMIN, username="desk")
    client = app.test_client()
    client.post("/login/", data={"username": "desk", "password": factories.PASSWORD,
                                 "csrf_token": token_of(client.get("/login/").text)})
    page = client.get(URL, query_string={"role": roles.AUDITOR}).text
    before = pairs_of(roles.AUDITOR)
    forged = client.post(URL + "save", data={"role": roles.AUDITOR, "grant": []})
    assert forged.status_code == 400 and pairs_of(roles.AUDITOR) == before
    genuine = client.post(URL + "save", data={"role": roles.AUDITOR, "grant": [], "csrf_token": token_of(page)})
    assert genuine.status_code == 302 and ("can_read", "AuditEvent") not in pairs_of(roles.AUDITOR)
