"""三员分立 (R-OPS-10): which roles an acting user may grant on a screen, and the command-line grants.

System administration (accounts), security administration (roles and permissions) and audit administration (the
audit log) are separate roles, each with only its own screens (roles.yaml). No screen grants an administrator role
or FAB's Admin: only `flask accounts grant` / `grant-admin` on the server, audited, can. On a screen the security
administrator grants the portal's other roles (账号授权) and the city office only the unit roles (用户列表); the
forms offer nothing else and `check_role_change` refuses anything else in the POST.
"""
import getpass

from flask import current_app
from flask_babel import gettext as _

from app import roles
from app.audit import audit_as
from app.extensions import db
from app.models import Account

# Granted only on the command line.
PRIVILEGED = frozenset(roles.PRIVILEGED_ROLES)
BUSINESS_ROLES = (roles.CITY_OFFICE, roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT)
# Acting role -> the roles it may give or take away on a screen. The system administrator creates and deactivates
# accounts but grants nothing: that is the security administrator's work.
SCREEN_GRANTS = {
    roles.ADMIN: BUSINESS_ROLES,
    roles.SECURITY_ADMIN: BUSINESS_ROLES,
    roles.CITY_OFFICE: (roles.L1_CLERK, roles.L2_CLERK),
}


class GrantRefused(ValueError):
    """A role change the acting user may not make; str() is the message for the form's 角色 field."""


def _names(user) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", True):
        return set()
    return {role.name for role in getattr(user, "roles", [])}


def grantable_roles(actor) -> set[str]:
    """The roles actor may grant or withdraw on a screen (never an administrator role, never Admin)."""
    return {name for held in _names(actor) for name in SCREEN_GRANTS.get(held, ())}


def grantable_role_ids(actor=None) -> list[int]:
    """For the role choices of 用户列表 and 账号授权 (FAB's FilterInFunction asks it on every form)."""
    from flask_login import current_user

    sm = current_app.appbuilder.sm
    names = grantable_roles(actor if actor is not None else current_user)
    return [role.id for role in db.session.query(sm.role_model).filter(sm.role_model.name.in_(names))]


def is_privileged(account) -> bool:
    return bool(_names(account) & PRIVILEGED)


def check_role_change(actor, before: set[str], after: set[str]) -> None:
    """Refuse a change of an account's roles from `before` to `after` that names a role actor may not grant."""
    changed = (before ^ after) - grantable_roles(actor)
    if not changed:
        return
    if changed & PRIVILEGED:
        raise GrantRefused(_("不能在网页上授予或收回管理员角色（%(roles)s）：只能由服务器管理员在命令行办理，并记入审计日志",
                             roles="、".join(sorted(changed & PRIVILEGED))))
    raise GrantRefused(_("您无权授予或收回角色：%(roles)s", roles="、".join(sorted(changed))))


# --- the command line ----------------------------------------------------------------------------------------


class CommandError(ValueError):
    pass


def _find(username: str) -> Account:
    account = db.session.query(Account).filter(Account.username == username).first()
    if account is None:
        raise CommandError(f"没有账号 {username}")
    return account


def _role(name: str):
    role = current_app.appbuilder.sm.find_role(name)
    if role is None:
        raise CommandError(f"没有角色 {name}（先运行 flask deploy）")
    return role


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without passwd entry): the log says so
        return "unknown"


def grant(username: str, role_name: str) -> Account:
    """`flask accounts grant USERNAME ROLE`: any role, the administrator roles and Admin included; audited with
    the operating-system user who ran it."""
    account = _find(username)
    role = _role(role_name)
    if role in account.roles:
        raise CommandError(f"{username} 已有角色 {role_name}")
    audit_as(account, "account.role_granted", role=role_name, via="command_line", os_user=_who())
    account.roles = [*account.roles, role]
    db.session.commit()
    return account


def revoke(username: str, role_name: str) -> Account:
    account = _find(username)
    role = _role(role_name)
    if role not in account.roles:
        raise CommandError(f"{username} 没有角色 {role_name}")
    audit_as(account, "account.role_revoked", role=role_name, via="command_line", os_user=_who())
    account.roles = [r for r in account.roles if r != role]
    db.session.commit()
    return account


def create_administrator(username: str, name: str, role_name: str) -> tuple[Account, str]:
    """`flask accounts create-admin`: a new account holding role_name with a generated password that must be
    changed at first sign-in. Returns (account, password)."""
    from werkzeug.security import generate_password_hash

    from app.accounts import AccountError, generate_password, placeholder_email, validate_username

    try:
        username = validate_username(username)
    except AccountError as bad:
        raise CommandError(str(bad)) from bad
    role = _role(role_name)
    password = generate_password()
    account = Account(username=username, first_name=name or username, last_name="", email=placeholder_email(username),
                      active=True, password=generate_password_hash(password), must_change_password=True, roles=[role])
    audit_as(account, "account.admin_created", role=role_name, via="command_line", os_user=_who())
    db.session.add(account)
    db.session.commit()
    return account, password
