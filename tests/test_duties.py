"""app/duties.py, 三员分立 (R-OPS-10): three administrators who cannot do one another's work, a city office that
cannot grant itself or anyone an administrator role or Admin, and the command line as the only way to them."""
import re

import pytest
from flask import current_app

from app import roles
from app.extensions import db
from app.models import Account, AuditEvent
from tests import factories

NEW_PASSWORD = "Neu#Pass2026x"


def role_id(name):
    return current_app.appbuilder.sm.find_role(name).id


def offered_roles(page: str) -> set[str]:
    """The options of the form's 角色 select."""
    select = re.search(r'<select[^>]*name="roles"[^>]*>(.*?)</select>', page, re.S)
    return set(re.findall(r"<option[^>]*>([^<]+)</option>", select.group(1))) if select else set()


def new_account_form(username, *role_names):
    return {"first_name": "芳", "last_name": "王", "username": username, "active": "y",
            "email": f"{username}@example.cn", "roles": [str(role_id(name)) for name in role_names],
            "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}


def events(action):
    return db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).all()


# --- the matrix: each administrator has its own screens and none of another's ---------------------------------

SCREENS = {
    "accounts": "/users/list/",  # 用户列表: the system administrator's (and the city office's, for unit accounts)
    "permissions": "/role-permissions/",  # 角色权限: the security administrator's
    "grants": "/account-roles/list/",  # 账号授权: the security administrator's
    "audit": "/audit/list/",  # 审计日志: the audit administrator's (审计员)
    "audit_export": "/audit/export.xlsx",
}
MAY = {
    roles.SYSTEM_ADMIN: {"accounts"},
    roles.SECURITY_ADMIN: {"permissions", "grants"},
    roles.AUDITOR: {"audit", "audit_export"},
    # The city office runs the campaign and its accounts; it reads the log but edits no permission nor grant.
    roles.CITY_OFFICE: {"accounts", "audit", "audit_export"},
}


@pytest.mark.parametrize("role", list(MAY))
def test_each_administrator_reaches_its_own_screens_and_none_of_anothers(client, role):
    factories.login(client, factories.account(role))
    for screen, url in SCREENS.items():
        status = client.get(url, follow_redirects=True).status_code  # an export: its job's page
        if screen in MAY[role]:
            assert status == 200, (role, url)
        else:
            assert status == 403, (role, url, status)
    menu = client.get("/").text
    assert ('href="/role-permissions/"' in menu) == ("permissions" in MAY[role])
    assert ('href="/users/list/"' in menu) == ("accounts" in MAY[role])
    assert ('href="/audit/list/"' in menu) == ("audit" in MAY[role])


@pytest.mark.parametrize("role, landing", [(roles.SYSTEM_ADMIN, "/users/list/"),
                                           (roles.SECURITY_ADMIN, "/role-permissions/"),
                                           (roles.AUDITOR, "/dashboard/")])
def test_each_administrator_lands_on_its_own_work_after_signing_in(client, role, landing):
    account = factories.account(role)
    response = client.post("/login/", data={"username": account.username, "password": factories.PASSWORD})
    assert response.status_code == 302 and response.location.endswith(landing)
    assert client.get(response.location).status_code == 200


def test_the_system_and_security_administrators_see_no_campaign_data(client):
    for role in (roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN):
        client = factories.login(current_app.test_client(), factories.account(role))
        for url in ("/applications/list/", "/units/first-level/list/", "/accounts/list/", "/campaigns/list/"):
            assert client.get(url).status_code == 403, (role, url)


# --- 用户列表: the city office grants unit roles only ----------------------------------------------------------


def test_the_city_offices_role_choices_are_the_unit_roles_only(client):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    assert offered_roles(client.get("/users/add").text) == {roles.L1_CLERK, roles.L2_CLERK}
    clerk = factories.account(roles.L2_CLERK, unit=factories.unit())
    assert offered_roles(client.get(f"/users/edit/{clerk.id}").text) == {roles.L1_CLERK, roles.L2_CLERK}


@pytest.mark.parametrize("role", [roles.ADMIN, roles.SECURITY_ADMIN, roles.SYSTEM_ADMIN, roles.AUDITOR,
                                  roles.CITY_OFFICE])
def test_the_server_refuses_the_city_office_a_role_it_may_not_grant(client, role):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.post("/users/add", data=new_account_form("wangfang", role))
    assert response.status_code == 200  # the form again, with what was typed
    assert "不能在网页上授予或收回管理员角色" in response.text or "您无权授予或收回角色" in response.text
    assert role in response.text and 'value="wangfang"' in response.text
    assert db.session.query(Account).filter_by(username="wangfang").first() is None


def test_the_city_office_cannot_make_itself_admin_by_editing_its_own_account(client):
    desk = factories.account(roles.CITY_OFFICE, username="desk")
    factories.login(client, desk)
    form = {"first_name": "desk", "last_name": "王", "username": "desk", "active": "y", "email": desk.email,
            "roles": [str(role_id(roles.CITY_OFFICE)), str(role_id(roles.ADMIN))]}
    response = client.post(f"/users/edit/{desk.id}", data=form)
    assert "不能在网页上授予或收回管理员角色（Admin）" in response.text
    db.session.expire_all()
    assert db.session.get(Account, desk.id).role_names == {roles.CITY_OFFICE}


def test_the_city_office_creates_a_unit_account_that_must_change_its_password(client):
    factories.login(client, factories.account(roles.CITY_OFFICE, username="desk"))
    response = client.post("/users/add", data=new_account_form("haidian-l1", roles.L1_CLERK))
    assert response.status_code == 302
    account = db.session.query(Account).filter_by(username="haidian-l1").one()
    assert account.role_names == {roles.L1_CLERK} and account.must_change_password
    (created,) = events("account.create")[-1:]
    assert created.actor_name == "desk" and created.ip == "127.0.0.1" and created.result == "success"
    assert NEW_PASSWORD not in str(created.detail)


def test_editing_a_colleague_keeps_the_roles_the_form_does_not_offer(client):
    """The city office's form offers no 市学习办: saving a colleague's name must not take that role away."""
    factories.login(client, factories.account(roles.CITY_OFFICE))
    colleague = factories.account(roles.CITY_OFFICE, username="colleague")
    form = {"first_name": "李娜", "last_name": "李", "username": "colleague", "active": "y", "email": colleague.email}
    assert client.post(f"/users/edit/{colleague.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Account, colleague.id).role_names == {roles.CITY_OFFICE}
    assert db.session.get(Account, colleague.id).first_name == "李娜"


def test_administrators_accounts_are_not_on_the_city_offices_list_nor_reset_by_address(client):
    security = factories.account(roles.SECURITY_ADMIN, username="anquan")
    hashed = security.password
    factories.login(client, factories.account(roles.CITY_OFFICE))
    assert "anquan" not in client.get("/users/list/").text
    assert client.get(f"/users/edit/{security.id}").status_code == 404
    assert client.get(f"/resetpassword/form?pk={security.id}").status_code == 404
    response = client.post(f"/resetpassword/form?pk={security.id}",
                           data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Account, security.id).password == hashed


# --- the system administrator: accounts, no grants ------------------------------------------------------------


def test_the_system_administrator_creates_deactivates_and_resets_but_grants_nothing(client):
    factories.login(client, factories.account(roles.SYSTEM_ADMIN, username="xitong"))
    assert offered_roles(client.get("/users/add").text) == set()
    refused = client.post("/users/add", data=new_account_form("zhangsan", roles.L2_CLERK))
    assert "您无权授予或收回角色：二级单位" in refused.text
    assert client.post("/users/add", data=new_account_form("zhangsan")).status_code == 302
    account = db.session.query(Account).filter_by(username="zhangsan").one()
    assert account.roles == [] and account.must_change_password
    clerk = factories.account(roles.L2_CLERK, unit=factories.unit(), username="clerk")
    form = {"first_name": "clerk", "last_name": "王", "username": "clerk", "email": clerk.email}  # active unticked
    assert client.post(f"/users/edit/{clerk.id}", data=form).status_code == 302
    assert client.post(f"/resetpassword/form?pk={clerk.id}",
                       data={"password": NEW_PASSWORD, "conf_password": NEW_PASSWORD}).status_code == 302
    db.session.expire_all()
    clerk = db.session.get(Account, clerk.id)
    assert not clerk.active and clerk.must_change_password and clerk.role_names == {roles.L2_CLERK}
    assert events("account.password_reset")[-1].actor_name == "xitong"


# --- the security administrator: grants on 账号授权, roles and permissions, nothing else -----------------------


def test_the_security_administrator_grants_portal_roles_but_no_administrator_role(client):
    factories.login(client, factories.account(roles.SECURITY_ADMIN, username="anquan"))
    clerk = factories.account(roles.L2_CLERK, unit=factories.unit(), username="clerk")
    page = client.get(f"/account-roles/edit/{clerk.id}").text
    assert offered_roles(page) == {roles.CITY_OFFICE, roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT}
    assert 'name="password"' not in page and 'name="active"' not in page  # roles only
    ok = client.post(f"/account-roles/edit/{clerk.id}",
                     data={"roles": [str(role_id(roles.L2_CLERK)), str(role_id(roles.EXPERT))]})
    assert ok.status_code == 302
    refused = client.post(f"/account-roles/edit/{clerk.id}",
                          data={"roles": [str(role_id(roles.L2_CLERK)), str(role_id(roles.SYSTEM_ADMIN))]})
    assert "不能在网页上授予或收回管理员角色（系统管理员）" in refused.text
    db.session.expire_all()
    assert db.session.get(Account, clerk.id).role_names == {roles.L2_CLERK, roles.EXPERT}
    (granted,) = events("account.update")[-1:]
    assert granted.actor_name == "anquan" and granted.ip == "127.0.0.1" and granted.object_id == str(clerk.id)
    assert granted.detail["roles"] == {"added": [roles.EXPERT], "removed": []}
    assert granted.detail["roles_before_after"] == [[roles.L2_CLERK], [roles.L2_CLERK, roles.EXPERT]]


def test_the_role_choices_of_every_screen_offer_no_administrator_role(client):
    for role in (roles.CITY_OFFICE, roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN, roles.ADMIN):
        client = factories.login(current_app.test_client(), factories.account(role))
        target = factories.account(roles.L2_CLERK, unit=factories.unit())
        for url in ("/users/add", f"/users/edit/{target.id}", f"/account-roles/edit/{target.id}"):
            offered = offered_roles(client.get(url).text)
            assert not offered & set(roles.PRIVILEGED_ROLES), (role, url, offered)


# --- the command line: the only way to an administrator role or Admin ---------------------------------------


def test_grant_admin_on_the_command_line_is_audited(app):
    account = factories.account(roles.CITY_OFFICE, username="desk")
    result = app.test_cli_runner().invoke(args=["accounts", "grant-admin", "desk"])
    assert result.exit_code == 0, result.output
    assert "已授予 desk 角色 Admin" in result.output
    db.session.expire_all()
    assert db.session.get(Account, account.id).role_names == {roles.CITY_OFFICE, roles.ADMIN}
    (event,) = events("account.role_granted")
    assert event.detail["role"] == roles.ADMIN and event.detail["via"] == "command_line" and event.detail["os_user"]
    assert event.detail["roles_before_after"] == [[roles.CITY_OFFICE], [roles.CITY_OFFICE, roles.ADMIN]]
    again = app.test_cli_runner().invoke(args=["accounts", "grant-admin", "desk"])
    assert again.exit_code != 0 and "已有角色 Admin" in again.output
    revoked = app.test_cli_runner().invoke(args=["accounts", "revoke", "desk", "Admin"])
    assert revoked.exit_code == 0 and len(events("account.role_revoked")) == 1
    assert app.test_cli_runner().invoke(args=["accounts", "grant", "nobody", roles.AUDITOR]).exit_code != 0


def test_a_new_administrator_must_change_the_generated_password_at_first_sign_in(app):
    result = app.test_cli_runner().invoke(args=["accounts", "create-admin", "anquan", "--role", roles.SECURITY_ADMIN,
                                                "--name", "赵敏"])
    assert result.exit_code == 0, result.output
    password = re.search(r"初始密码：(\S+)（", result.output).group(1)
    account = db.session.query(Account).filter_by(username="anquan").one()
    assert account.must_change_password and account.role_names == {roles.SECURITY_ADMIN}
    client = factories.login(app.test_client(), "anquan", password)
    assert client.get("/role-permissions/").headers["Location"].endswith("/resetmypassword/form")
    (created,) = events("account.admin_created")
    assert created.detail["via"] == "command_line" and password not in str(created.detail)


def test_fabs_own_create_admin_also_forces_a_password_change(app):
    from flask_appbuilder.cli import fab

    result = app.test_cli_runner().invoke(fab, ["create-admin", "--username", "root", "--firstname", "r",
                                                "--lastname", "r", "--email", "root@example.cn",
                                                "--password", "Root#2026pass"])
    assert result.exit_code == 0, result.output
    assert db.session.query(Account).filter_by(username="root").one().must_change_password


def test_no_rest_endpoint_edits_accounts_or_roles(app):
    """FAB's security REST API (users, roles) is off: a role can be granted on the two screens and the CLI only."""
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert not [rule for rule in rules if rule.startswith("/api/v1/security/") and rule not in (
        "/api/v1/security/login", "/api/v1/security/refresh")]
