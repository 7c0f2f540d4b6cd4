"""app/permissions.py: the editor's screens × actions cover every permission the portal's roles hold, and
set_role_permissions grants, withdraws, audits and checks who acts."""
import pytest
from flask import current_app

from app import permissions, roles
from app.cli import sync_security
from app.extensions import db
from app.models import AuditEvent
from tests import factories


def pairs_of(role_name):
    return permissions.role_pairs(current_app.appbuilder.sm.find_role(role_name))


def ticked_of(role_name):
    return permissions.ticked(current_app.appbuilder.sm.find_role(role_name), permissions.screens())


def not_editable(pair):
    return pair[1] in permissions.NOT_EDITABLE


# --- the mapping --------------------------------------------------------------------------------------------


def test_every_pair_roles_yaml_grants_has_a_cell_or_is_listed_as_not_editable():
    editable = permissions.editable_pairs(permissions.screens())
    missing = [
        f"{role}: {pair}"
        for role, pairs in roles.load_roles_file().items()
        for pair in pairs
        if pair not in editable and not not_editable(pair)
    ]
    assert not missing, "granted in roles.yaml but neither in the editor nor in NOT_EDITABLE:\n" + "\n".join(missing)


def test_every_registered_permission_is_editable_or_listed_as_not_editable():
    """Every permission-view pair FAB made for the registered views and menus: a new view shows up or fails here."""
    sm = current_app.appbuilder.sm
    editable = permissions.editable_pairs(permissions.screens())
    registered = {(pv.permission.name, pv.view_menu.name) for pv in db.session.query(sm.permissionview_model)}
    assert not [p for p in registered if p not in editable and not not_editable(p)]
    assert not [p for p in editable if not_editable(p)], "a pair is both editable and not editable"
    assert editable <= registered, "the editor offers a pair no view checks"


def test_rows_are_the_menus_screens_with_their_labels_and_the_actions_their_views_check():
    rows = {screen.label: screen for screen in permissions.screens()}
    assert list(rows) == ["工作台", "我的任务", "评选批次", "时间安排", "历届学习之星", "推荐名额", "我的报名", "报名信息", "提交情况",
                          "一级单位", "二级单位", "单位账号", "专家", "专家组", "回避关系", "评审设置", "评审分配", "评审进度", "评审记录", "评审排名", "拟评选名单", "我的评审",
                          "异议处理", "审核确定", "荣誉证书", "审计日志"]
    actions = {label: [cell.action for cell in screen.cells] for label, screen in rows.items()}
    assert actions["报名信息"] == ["menu_access", "can_read", "can_decide"]
    assert actions["工作台"] == ["menu_access", "can_read"]
    assert rows["工作台"].category_label == ""  # top-level, first in the menu
    # 我的任务: a menu entry only (the job pages are their owner's, with no permission of their own).
    assert actions["我的任务"] == ["menu_access"] and rows["我的任务"].category_label == ""
    assert actions["单位账号"] == ["menu_access", "can_read", "can_write", "reset_password"]
    assert actions["审计日志"] == ["menu_access", "can_read"]
    assert actions["我的评审"] == ["menu_access", "can_read", "can_write"]
    assert actions["评审记录"] == ["menu_access", "can_read", "can_reopen"]
    assert rows["我的评审"].cell("can_read").pairs == (("can_read", "MyReview"), ("can_read", "ApplicationFile"))
    # 专家评审: reading the rankings and the candidate list; picking (入围复审, 拟评选, 重点宣传) is writing.
    assert actions["评审排名"] == ["menu_access", "can_read", "can_write"]
    assert rows["评审排名"].category_label == "专家评审"
    assert rows["审计日志"].category_label == "审计"
    # 公示与表彰 → 荣誉证书: reading (list, A4 page, PDFs) apart from 撤销.
    assert actions["荣誉证书"] == ["menu_access", "can_read", "can_write"]
    assert rows["荣誉证书"].category_label == "公示与表彰"
    # 公示与表彰 → 异议处理: reading the register (and its export), handling and withdrawing are writing.
    assert actions["异议处理"] == ["menu_access", "can_read", "can_write"]
    assert rows["异议处理"].category_label == "公示与表彰"
    # 公示与表彰 → 审核确定: reading the decision and the official lists; recording the decision is writing.
    assert actions["审核确定"] == ["menu_access", "can_read", "can_write"]
    assert rows["审核确定"].category_label == "公示与表彰"
    # 评审进度: reading it (and its score sheets) apart from reminding experts and closing a round.
    assert actions["评审进度"] == ["menu_access", "can_read", "can_write"]
    assert rows["评审进度"].category_label == "专家评审"
    # Photos, videos and the printed form go with reading applications.
    assert rows["报名信息"].cell("can_read").pairs == (("can_read", "Application"), ("can_read", "ApplicationFile"))
    # FAB's 用户权限 (the editor itself included) is not a row: nobody edits their way out of it.
    assert not {"用户列表", "角色列表", "用户组列表", "角色权限"} & set(rows)


def test_every_permission_a_screen_checks_has_a_column(monkeypatch):
    assert permissions.unmapped_permissions() == []
    # A new permission on a screen (say an export right) is caught here until ACTIONS gives it a label.
    view = next(v for v in current_app.appbuilder.baseviews if type(v).__name__ == "AuditEventView")
    monkeypatch.setattr(view, "base_permissions", [*view.base_permissions, "can_export"])
    assert permissions.unmapped_permissions() == [("can_export", "AuditEvent")]
    assert [c.action for c in next(s for s in permissions.screens() if s.name == "AuditLog").cells] == [
        "menu_access", "can_read"]


# --- the command --------------------------------------------------------------------------------------------


def test_the_security_administrator_takes_a_screen_away_and_gives_another(roles_restored):
    city = factories.account(roles.SECURITY_ADMIN, username="desk")
    wanted = ticked_of(roles.AUDITOR) - {"AuditLog:menu_access", "AuditLog:can_read"}
    wanted |= {"Quotas:menu_access", "Quotas:can_read"}

    change = permissions.set_role_permissions(city, roles.AUDITOR, wanted)

    held = pairs_of(roles.AUDITOR)
    assert not {("menu_access", "AuditLog"), ("can_read", "AuditEvent"), ("menu_access", "Audit")} & held
    assert {("menu_access", "Quotas"), ("can_read", "RecommendationQuota"), ("menu_access", "Campaigns")} <= held
    assert ticked_of(roles.AUDITOR) == wanted
    assert change.granted == ["评选管理 › 推荐名额 · 菜单可见", "评选管理 › 推荐名额 · 查看"]
    assert change.withdrawn == ["审计 › 审计日志 · 菜单可见", "审计 › 审计日志 · 查看"]
    # One event, in words, naming the role; no per-pair events with FAB's identifiers.
    events = db.session.query(AuditEvent).filter(AuditEvent.action.like("role.%")).all()
    assert [(e.action, e.object_label) for e in events] == [("role.permissions_edited", roles.AUDITOR)]
    assert events[0].detail == {"role": roles.AUDITOR, "granted": change.granted, "withdrawn": change.withdrawn}


def test_a_pair_two_ticked_screens_share_stays_while_one_is_unticked(roles_restored):
    """一级单位 and 二级单位 both read units through /api/v1/unit/: unticking one keeps the other working."""
    city = factories.account(roles.SECURITY_ADMIN)
    wanted = ticked_of(roles.AUDITOR) - {"FirstLevelUnits:menu_access", "FirstLevelUnits:can_read"}
    permissions.set_role_permissions(city, roles.AUDITOR, wanted)
    held = pairs_of(roles.AUDITOR)
    assert ("can_read", "FirstLevelUnit") not in held
    assert {("can_read", "Unit"), ("can_read", "SecondLevelUnit"), ("menu_access", "Units")} <= held


def test_the_not_editable_pairs_are_never_touched(roles_restored):
    city = factories.account(roles.SECURITY_ADMIN)
    before = {p for p in pairs_of(roles.CITY_OFFICE) if not_editable(p)}
    permissions.set_role_permissions(city, roles.CITY_OFFICE, set())
    assert {p for p in pairs_of(roles.CITY_OFFICE) if not_editable(p)} == before
    # The editor (and everything else of 用户权限) is not a business role's: the security administrator's only.
    assert not {p for p in pairs_of(roles.CITY_OFFICE) if p[1] in ("RolePermissions", "AccountRoles")}


def test_saving_what_is_there_changes_nothing(roles_restored):
    city = factories.account(roles.SECURITY_ADMIN)
    before = pairs_of(roles.L2_CLERK)
    change = permissions.set_role_permissions(city, roles.L2_CLERK, ticked_of(roles.L2_CLERK))
    assert change.granted == change.withdrawn == []
    assert pairs_of(roles.L2_CLERK) == before
    assert db.session.query(AuditEvent).filter(AuditEvent.action.like("role.%")).count() == 0


@pytest.mark.parametrize("role", [roles.L1_CLERK, roles.L2_CLERK, roles.AUDITOR, roles.APPLICANT, roles.EXPERT,
                                  roles.CITY_OFFICE, roles.SYSTEM_ADMIN])
def test_only_the_security_administrator_or_admin_may(roles_restored, role):
    actor = factories.account(role)
    before = pairs_of(roles.AUDITOR)
    with pytest.raises(permissions.NotAllowed):
        permissions.set_role_permissions(actor, roles.AUDITOR, set())
    assert pairs_of(roles.AUDITOR) == before
    admin = factories.account(roles.ADMIN)
    permissions.set_role_permissions(admin, roles.AUDITOR, ticked_of(roles.AUDITOR) - {"AuditLog:menu_access"})
    assert ("menu_access", "AuditLog") not in pairs_of(roles.AUDITOR)


@pytest.mark.parametrize("role_name", ["Admin", "Public", "无此角色", roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN])
def test_only_the_six_roles_are_editable(roles_restored, role_name):
    with pytest.raises(permissions.PermissionEditError):
        permissions.set_role_permissions(factories.account(roles.SECURITY_ADMIN), role_name, set())


def test_an_action_without_reading_the_screen_is_refused_at_its_row(roles_restored):
    city = factories.account(roles.SECURITY_ADMIN)
    before = pairs_of(roles.AUDITOR)
    wanted = ticked_of(roles.AUDITOR) - {"AuditLog:can_read"}
    with pytest.raises(permissions.PermissionEditError) as refused:
        permissions.set_role_permissions(city, roles.AUDITOR, wanted | {"Quotas:can_write"})
    assert refused.value.errors == {
        "AuditLog": "审计日志：勾选“菜单可见”须同时勾选“查看”",
        "Quotas": "推荐名额：勾选“新增·修改·删除”须同时勾选“查看”",
    }
    assert pairs_of(roles.AUDITOR) == before
    with pytest.raises(permissions.PermissionEditError, match="不认识"):
        permissions.set_role_permissions(city, roles.AUDITOR, {"AuditLog:can_fly"})


def test_seeding_does_not_give_back_what_the_city_office_took_away(roles_restored):
    city = factories.account(roles.SECURITY_ADMIN)
    everything = ticked_of(roles.AUDITOR)
    permissions.set_role_permissions(city, roles.AUDITOR, everything - {"AuditLog:menu_access"})
    sync_security()  # `flask deploy`
    assert ("menu_access", "AuditLog") not in pairs_of(roles.AUDITOR)
    # Given back in the editor, it is an ordinary grant again: taken away by hand elsewhere, seeding restores it.
    permissions.set_role_permissions(city, roles.AUDITOR, everything)
    role = current_app.appbuilder.sm.find_role(roles.AUDITOR)
    assert permissions.withdrawn_pairs(role) == set()
    pv = current_app.appbuilder.sm.find_permission_view_menu("menu_access", "AuditLog")
    current_app.appbuilder.sm.del_permission_role(role, pv)
    sync_security()
    assert ("menu_access", "AuditLog") in pairs_of(roles.AUDITOR)


def test_upgrading_an_existing_database_takes_fabs_role_screen_from_the_city_office(app, roles_restored):
    """roles.yaml no longer grants 角色列表 to 市学习办 and seeding never removes: migration 4127b99a8010 does."""
    from flask_migrate import downgrade, upgrade

    sm = app.appbuilder.sm
    office = sm.find_role(roles.CITY_OFFICE)
    fab_screen = {("can_list", "RoleModelView"), ("can_edit", "RoleModelView"), ("menu_access", "List Roles")}
    for permission, view in fab_screen:
        sm.add_permission_role(office, sm.add_permission_view_menu(permission, view))
    assert fab_screen <= pairs_of(roles.CITY_OFFICE)
    db.session.remove()
    downgrade(revision="4127b99a8010-1")
    upgrade()
    db.session.remove()
    held = pairs_of(roles.CITY_OFFICE)
    assert not fab_screen & held
    assert ("can_write", "UnitAccount") in held
    assert fab_screen <= pairs_of("Admin")


def test_upgrading_an_existing_database_takes_the_permission_editor_from_the_city_office(app, roles_restored):
    """三员分立: 角色权限 is the security administrator's; migration d7e3a91c5b20 takes it from 市学习办 where
    seeding (which never removes) left it."""
    from flask_migrate import downgrade, upgrade

    sm = app.appbuilder.sm
    editor = {("can_read", "RolePermissions"), ("can_write", "RolePermissions"), ("menu_access", "RolePermissions")}
    for permission, view in editor:
        sm.add_permission_role(sm.find_role(roles.CITY_OFFICE), sm.add_permission_view_menu(permission, view))
    db.session.remove()
    downgrade(revision="d7e3a91c5b20-1")
    upgrade()
    db.session.remove()
    assert not editor & pairs_of(roles.CITY_OFFICE)
    assert editor <= pairs_of(roles.SECURITY_ADMIN)


def test_certificates_are_the_city_offices_and_the_auditor_reads_them():
    """公示与表彰 → 荣誉证书: the city office prints and revokes, the auditor reads, nobody else sees the menu."""
    menu = {("menu_access", "Publicity"), ("menu_access", "Certificates"), ("can_read", "Certificate")}
    assert menu | {("can_write", "Certificate")} <= pairs_of(roles.CITY_OFFICE)
    assert menu <= pairs_of(roles.AUDITOR) and ("can_write", "Certificate") not in pairs_of(roles.AUDITOR)
    for role in (roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT):
        assert not {p for p in pairs_of(role) if p[1] in ("Publicity", "Certificates", "Certificate")}, role


def test_the_three_administrators_hold_exactly_their_own_screens():
    """三员分立 (R-OPS-10): system administration (用户列表), security administration (角色权限, 账号授权) and audit
    administration (审计日志, 审计员) share no screen, and none of them holds a campaign screen."""
    base = set(roles.load_roles_file()[roles.APPLICANT]) - {p for p in pairs_of(roles.APPLICANT) if p[1] in (
        "MyApplication", "ApplicationFile", "Apply")}
    own = {
        roles.SYSTEM_ADMIN: {("menu_access", "Security"), ("menu_access", "List Users"),
                             ("can_list", "AccountDBModelView"), ("can_show", "AccountDBModelView"),
                             ("can_add", "AccountDBModelView"), ("can_edit", "AccountDBModelView"),
                             ("resetpasswords", "AccountDBModelView"), ("can_this_form_get", "ResetPasswordView"),
                             ("can_this_form_post", "ResetPasswordView")},
        roles.SECURITY_ADMIN: {("menu_access", "Security"), ("can_read", "RolePermissions"),
                               ("can_write", "RolePermissions"), ("menu_access", "RolePermissions"),
                               ("can_read", "AccountRoles"), ("can_write", "AccountRoles"),
                               ("menu_access", "AccountRoles")},
    }
    for role, pairs in own.items():
        assert pairs_of(role) == base | pairs, role
    auditor = pairs_of(roles.AUDITOR)
    assert {("can_read", "AuditEvent"), ("menu_access", "AuditLog")} <= auditor
    assert not {p for p in auditor if p[0] not in ("can_read", "menu_access") and p not in base}  # changes nothing
    assert not {p for p in auditor - base if p[1] in ("AccountDBModelView", "RolePermissions", "AccountRoles",
                                                      "ResetPasswordView")}
    office = pairs_of(roles.CITY_OFFICE)
    assert not {p for p in office if p[1] in ("RolePermissions", "AccountRoles", "RoleModelView")}


def test_the_audit_administrator_is_given_nothing_but_reading(roles_restored):
    security = factories.account(roles.SECURITY_ADMIN)
    before = pairs_of(roles.AUDITOR)
    wanted = ticked_of(roles.AUDITOR) | {"CampaignList:can_write", "Applications:can_decide"}
    with pytest.raises(permissions.PermissionEditError) as refused:
        permissions.set_role_permissions(security, roles.AUDITOR, wanted)
    assert refused.value.errors == {
        "CampaignList": "评选批次：审计员只能查看，不能勾选“新增·修改·删除”（三员分立）",
        "Applications": "报名信息：审计员只能查看，不能勾选“推荐决定”（三员分立）",
    }
    assert pairs_of(roles.AUDITOR) == before
