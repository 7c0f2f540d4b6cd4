"""角色权限: what each of the portal's roles may do, by screen and action, and the one command that changes it.

The editor's rows are the menu's screens (name, label and category read from the registered menu, the FAB permission
names from the views behind it); its columns are the permissions those views check. Each cell stands for FAB
permission-view pairs; ticking grants them to the role, unticking takes them away and records that, so that seeding
from roles.yaml (`flask deploy`) does not give them back. Pairs that are no screen's are listed in NOT_EDITABLE.
"""
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import audit, roles, scoping
from app.extensions import db
from app.models import WithdrawnGrant

Pair = tuple[str, str]  # (permission, view or menu), as FAB names them

# The columns, in order: FAB's permission name -> label, and what it covers (shown under the table).
ACTIONS = {
    "menu_access": _l("菜单可见"),
    "can_read": _l("查看"),
    "can_write": _l("新增·修改·删除"),
    "can_decide": _l("推荐决定"),
    "reset_password": _l("重置密码"),
    "can_reopen": _l("重新打开评审"),
}
ACTION_HINTS = {
    "menu_access": _l("菜单中显示该项；打开页面还须勾选“查看”"),
    "can_read": _l("列表、详情，以及该页面的导出 Excel、打印、照片和视频"),
    "can_write": _l("新增、修改、删除，导入 Excel；我的报名：填写、上传、提交；评审排名：入围复审、拟评选、重点宣传；异议处理：受理、核实、办结、撤销候选人"),
    "can_decide": _l("推荐、不推荐、退回修改，提交至一级单位、上报市学习办"),
    "reset_password": _l("为账号重置密码"),
    "can_reopen": _l("将专家已提交的评审退回修改"),
}

# Pairs that go with a screen's action although another resource checks them: they are granted and taken away
# with it. The application files (photo, video, printed form) are read from 报名信息 and 我的报名; /api/v1/unit/
# serves the units of both unit screens.
COMPANIONS: dict[Pair, tuple[Pair, ...]] = {
    ("can_read", "Application"): (("can_read", "ApplicationFile"),),
    ("can_read", "MyApplication"): (("can_read", "ApplicationFile"),),
    # 我的评审 shows the assigned applications' photo and video.
    ("can_read", "MyReview"): (("can_read", "ApplicationFile"),),
    # ... and whoever scores there may declare a conflict on an assigned application (声明回避, 评审分配's route).
    ("can_write", "MyReview"): (("can_decline", "ReviewAssignment"),),
    ("can_read", "FirstLevelUnit"): (("can_read", "Unit"),),
    ("can_write", "FirstLevelUnit"): (("can_write", "Unit"),),
    ("can_read", "SecondLevelUnit"): (("can_read", "Unit"),),
    ("can_write", "SecondLevelUnit"): (("can_write", "Unit"),),
}

# Views and menus the editor neither shows nor changes (every permission on them), and why.
NOT_EDITABLE = {
    # What every account may do with itself: its profile and password, and the menu data every page loads.
    "ResetMyPasswordView": "own password",
    "UserInfoEditView": "own profile",
    "MenuApi": "the menu every page loads",
    "Jobs": "/api/v1/jobs/<id>: every account's own background jobs",
    "Notifications": "/api/v1/notifications/: every account's own notifications",
    # FAB's 用户权限 category is the administrators' (三员分立, roles.yaml), the editor included: whoever may edit
    # permissions must not be able to take that away from themselves, nor give the category to a business role. (AccountDBModelView also carries everybody's own
    # profile pages: can_userinfo, resetmypassword, userinfoedit.)
    "Security": "menu category 用户权限",
    "List Users": "menu 用户列表",
    "List Roles": "menu 角色列表",
    "List Groups": "menu 用户组列表",
    "RolePermissions": "this editor",
    "AccountRoles": "账号授权, the security administrator's grants of roles",
    "AccountDBModelView": "FAB's user screen and every account's profile",
    "ResetPasswordView": "FAB's password reset of another user",
    "RoleModelView": "FAB's role screen",
    "UserGroupModelView": "FAB's group screen",
    # The REST API's documentation.
    "OpenApi": "OpenAPI document",
    "SwaggerView": "Swagger UI",
}


@dataclass(frozen=True)
class Cell:
    screen: str
    action: str
    pairs: tuple[Pair, ...]  # the screen's own pair first, then its companions

    @property
    def key(self) -> str:
        return f"{self.screen}:{self.action}"


@dataclass(frozen=True)
class Screen:
    name: str  # the menu item's name, e.g. "AuditLog"
    label: str  # as the menu shows it, e.g. 审计日志
    category: str  # the menu category's name, e.g. "Audit"
    category_label: str
    cells: tuple[Cell, ...]  # in ACTIONS order

    def cell(self, action: str) -> Cell | None:
        return next((cell for cell in self.cells if cell.action == action), None)


class PermissionEditError(ValueError):
    """A change the editor refuses; `errors` maps a screen's name to what is wrong in its row."""

    def __init__(self, message, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class NotAllowed(PermissionEditError):
    """The acting user may not edit role permissions."""


def _view_permissions(appbuilder) -> dict[str, set[str]]:
    """class_permission_name -> the permissions its views and APIs check (a view and its API share the name)."""
    found: dict[str, set[str]] = {}
    for view in appbuilder.baseviews:
        name = getattr(view, "class_permission_name", None)
        if name and view.base_permissions:
            found.setdefault(name, set()).update(view.base_permissions)
    return found


def screens(appbuilder=None) -> list[Screen]:
    """The editor's rows: every menu item outside the not-editable categories, in menu order."""
    appbuilder = appbuilder or current_app.appbuilder
    permissions_of = _view_permissions(appbuilder)
    rows = []
    for category in appbuilder.menu.get_list():
        if category.name in NOT_EDITABLE:
            continue
        for item in category.childs or [category]:
            if item.name in NOT_EDITABLE or item.name == "-":
                continue
            resource = getattr(item.baseview, "class_permission_name", None)
            checked = permissions_of.get(resource, set())
            cells = []
            for action in ACTIONS:
                if action == "menu_access":
                    cells.append(Cell(item.name, action, ((action, item.name),)))
                elif action in checked:
                    own = (action, resource)
                    cells.append(Cell(item.name, action, (own, *COMPANIONS.get(own, ()))))
            parent = category if item is not category else None
            rows.append(Screen(
                name=item.name,
                label=str(item.label),
                category=parent.name if parent else "",
                category_label=str(parent.label) if parent else "",
                cells=tuple(cells),
            ))
    return rows


def unmapped_permissions(appbuilder=None) -> list[Pair]:
    """Permissions a screen's views check that have no column (tests/test_permissions.py wants none): give each
    a label in ACTIONS, so that the security administrator can grant it. The editor leaves them out meanwhile."""
    appbuilder = appbuilder or current_app.appbuilder
    permissions_of = _view_permissions(appbuilder)
    resources = {getattr(item.baseview, "class_permission_name", None)
                 for category in appbuilder.menu.get_list() for item in category.childs or [category]}
    companions = {pair for pairs in COMPANIONS.values() for pair in pairs}  # granted with the screen they go with
    return sorted((permission, resource) for resource in resources - {None} - set(NOT_EDITABLE)
                  for permission in permissions_of.get(resource, set()) - set(ACTIONS)
                  if (permission, resource) not in companions)


def category_menus(rows: list[Screen]) -> dict[str, list[str]]:
    """Menu category -> its screens' menu names. A category shows while the role sees one of its screens."""
    found: dict[str, list[str]] = {}
    for screen in rows:
        if screen.category:
            found.setdefault(screen.category, []).append(screen.name)
    return found


def editable_pairs(rows: list[Screen]) -> set[Pair]:
    pairs = {pair for screen in rows for cell in screen.cells for pair in cell.pairs}
    return pairs | {("menu_access", category) for category in category_menus(rows)}


def role_pairs(role) -> set[Pair]:
    return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}


def ticked(role, rows: list[Screen]) -> set[str]:
    """The cells shown ticked for a role: those whose screen's own pair it holds."""
    held = role_pairs(role)
    return {cell.key for screen in rows for cell in screen.cells if cell.pairs[0] in held}


def cell_label(screen: Screen, action: str) -> str:
    prefix = f"{screen.category_label} › " if screen.category_label else ""
    return f"{prefix}{screen.label} · {ACTIONS[action]}"


def editable_role(name: str):
    """One of the portal's six roles (never Admin or Public), or PermissionEditError."""
    role = current_app.appbuilder.sm.find_role(name) if name in roles.ALL_ROLES else None
    if role is None:
        raise PermissionEditError(_("只能修改本系统的六个角色的权限"))
    return role


@dataclass
class Change:
    granted: list[str]  # cell labels
    withdrawn: list[str]


def set_role_permissions(actor, role_name: str, wanted: set[str]) -> Change:
    """Make role_name's editable grants exactly the ticked cells `wanted` ("AuditLog:can_read", ...).

    Only the security administrator (or Admin) may (三员分立). Grants go through FAB's security manager; taken-away
    pairs are remembered (WithdrawnGrant) so that seeding does not restore them. One audit event names the cells.
    """
    if not scoping.is_security_admin(actor):
        raise NotAllowed(_("只有安全管理员可以修改角色权限"))
    role = editable_role(role_name)
    wanted = set(wanted)
    rows = screens()
    cells = {cell.key: (screen, cell) for screen in rows for cell in screen.cells}
    unknown = set(wanted) - set(cells)
    if unknown:
        raise PermissionEditError(_("不认识的权限：%(keys)s", keys="、".join(sorted(unknown))))
    errors = {}
    for screen in rows:
        read = screen.cell("can_read")
        others = [c for c in screen.cells if c is not read and c.key in wanted]
        if read is not None and others and read.key not in wanted:
            errors[screen.name] = _("%(screen)s：勾选“%(actions)s”须同时勾选“查看”",
                                    screen=screen.label, actions="”“".join(str(ACTIONS[c.action]) for c in others))
    if role.name == roles.AUDITOR:
        # 三员分立: the audit administrator reads and changes nothing, whoever edits its permissions.
        for key in sorted(wanted):
            screen, cell = cells[key]
            if cell.action not in ("menu_access", "can_read"):
                errors.setdefault(screen.name, _("%(screen)s：审计员只能查看，不能勾选“%(action)s”（三员分立）",
                                                 screen=screen.label, action=ACTIONS[cell.action]))
    if errors:
        raise PermissionEditError(_("有 %(n)s 行需要修改，见标红的行", n=len(errors)), errors)

    desired = {pair for key in wanted for pair in cells[key][1].pairs}
    for category, menus in category_menus(rows).items():
        if any(f"{menu}:menu_access" in wanted for menu in menus):
            desired.add(("menu_access", category))
    held = role_pairs(role)
    to_grant = sorted(desired - held)
    to_withdraw = sorted((held & editable_pairs(rows)) - desired)

    before = ticked(role, rows)
    with force_locale("zh"):  # the log is kept in Chinese, whatever language the editor was shown in
        change = Change(
            granted=[cell_label(screen, cell.action) for screen, cell in cells.values() if cell.key in wanted - before],
            withdrawn=[cell_label(screen, cell.action) for screen, cell in cells.values() if cell.key in before - wanted],
        )
    if not to_grant and not to_withdraw:
        return change
    sm = current_app.appbuilder.sm
    detail = {"role": role.name, "granted": change.granted, "withdrawn": change.withdrawn}
    with audit.summarized(db.session, "role.permissions_edited", "role",
                          object_id=role.id, object_label=role.name, **detail):
        for permission, view in to_grant:
            pv = sm.add_permission_view_menu(permission, view)
            sm.add_permission_role(role, pv)
            db.session.query(WithdrawnGrant).filter_by(role_id=role.id, permission_view_id=pv.id).delete()
        for permission, view in to_withdraw:
            pv = sm.find_permission_view_menu(permission, view)
            sm.del_permission_role(role, pv)
            if db.session.get(WithdrawnGrant, (role.id, pv.id)) is None:
                db.session.add(WithdrawnGrant(role_id=role.id, permission_view_id=pv.id))
        db.session.flush()
    db.session.commit()
    # FAB's calls log and roll back a failed write instead of raising: say so rather than report success.
    held = role_pairs(role)
    if not set(to_grant) <= held or set(to_withdraw) & held:
        raise PermissionEditError(_("部分权限未能保存，请刷新页面后重试"))
    return change


def withdrawn_pairs(role) -> set[Pair]:
    """What was taken away from role in the editor: seeding leaves these out."""
    sm = current_app.appbuilder.sm
    rows = (
        db.session.query(sm.permissionview_model)
        .join(WithdrawnGrant, WithdrawnGrant.permission_view_id == sm.permissionview_model.id)
        .filter(WithdrawnGrant.role_id == role.id)
    )
    return {(pv.permission.name, pv.view_menu.name) for pv in rows}
