"""Unit clerks' accounts: creation with a generated password shown once, and the support desk's password reset;
the password policy (strength, and the change due at first sign-in and every PASSWORD_MAX_AGE_DAYS)."""
import re
import secrets
import string
from datetime import timedelta

from flask import current_app
from zxcvbn import zxcvbn

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import generate_password_hash

from app import clock, names, roles, scoping, units
from app.audit import audit_as
from app.extensions import db
from app.models import Account, Unit

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{2,63}$")
USERNAME_RULE = _l("账号用户名为 3–64 位字母、数字、点、下划线或连字符，以字母或数字开头")
_PASSWORD_ALPHABET = string.ascii_letters + string.digits
_PASSWORD_SYMBOLS = "@#%+=?"
PASSWORD_RULE = _l("至少 8 位，包含大写字母、小写字母、数字、符号中的至少三类，且不能是常见或易猜的密码")
# zxcvbn's cost grows with the length; nobody types more.
PASSWORD_MAX_LENGTH = 128
_PASSWORD_CLASSES = (r"[A-Z]", r"[a-z]", r"\d", r"[^A-Za-z0-9]")
# zxcvbn's score 0–4: 3 is "safely unguessable: moderate protection from offline slow-hash scenario".
_MIN_STRENGTH = 3
# Words anyone guessing a password on this portal tries first (pinyin of its name and city), beside zxcvbn's lists.
_PORTAL_WORDS = ("beijing", "shoudu", "shimin", "xuexi", "zhixing", "xuexizhixing", "pingxuan", "xuexiban")
PASSWORD_CHANGE_NOTICES = {
    "initial": _l("您的密码是系统生成的初始密码，请先修改密码。"),
    "expired": _l("您的密码已超过规定的使用期限，请修改密码。"),
}


class AccountError(ValueError):
    """Bad input for an account; str() is the message for the user, `field` the form field it belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def password_complexity(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: at least 8 characters of 3 of the 4 classes (upper, lower, digit, symbol),
    and not guessable: zxcvbn (its lists of common and breached passwords, words, names, keyboard patterns,
    repeats, dates) scores it at least 3 of 4 and does not find it whole in one of its lists."""
    password = password or ""
    if len(password) < 8 or sum(bool(re.search(c, password)) for c in _PASSWORD_CLASSES) < 3:
        raise PasswordComplexityValidationError(_("密码至少 8 位，须包含大写字母、小写字母、数字、符号中的至少三类"))
    if len(password) > PASSWORD_MAX_LENGTH:
        raise PasswordComplexityValidationError(_("密码不能超过 %(n)d 位", n=PASSWORD_MAX_LENGTH))
    verdict = zxcvbn(password, user_inputs=_PORTAL_WORDS)
    whole_word = any(
        match["pattern"] == "dictionary" and len(match["token"]) >= len(password) - 1 for match in verdict["sequence"]
    )
    if verdict["score"] < _MIN_STRENGTH or whole_word:
        raise PasswordComplexityValidationError(
            _("该密码过于常见或容易被猜到（如常用密码、单词加数字、重复或键盘排列），请换一个")
        )


def password_change_due(account) -> str | None:
    """Why account must change its password before going on: "initial" (generated: new account, reset), "expired"
    (older than PASSWORD_MAX_AGE_DAYS, for every account but a citizen's), or None."""
    if account.must_change_password:
        return "initial"
    if account.role_names <= {roles.APPLICANT} and account.role_names:
        return None
    max_age = current_app.config.get("PASSWORD_MAX_AGE_DAYS")
    changed = account.password_changed_at
    if max_age and (changed is None or clock.now() - changed >= timedelta(days=max_age)):
        return "expired"
    return None


def generate_password() -> str:
    """A readable random password that satisfies password_complexity()."""
    while True:
        body = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(10))
        candidate = body[:5] + secrets.choice(_PASSWORD_SYMBOLS) + body[5:]
        try:
            password_complexity(candidate)
        except PasswordComplexityValidationError:
            continue
        return candidate


def role_for_unit(unit: Unit) -> str:
    return roles.L1_CLERK if unit.level == 1 else roles.L2_CLERK


def placeholder_email(username: str) -> str:
    # FAB requires a unique e-mail; unit clerks log in by user name and many have none to give.
    return f"{username.lower()}@accounts.invalid"


def validate_username(username: str) -> str:
    try:
        username = names.clean(username, _("账号用户名"))
    except names.BadName as bad:
        raise AccountError(str(bad), field="username") from None
    if not USERNAME_PATTERN.match(username):
        raise AccountError(str(USERNAME_RULE), field="username")
    if db.session.query(Account.id).filter(Account.username == username).first():
        raise AccountError(_("账号用户名 %(name)s 已被使用", name=username), field="username")
    return username


class NotAllowed(AccountError):
    """Not this user's account to create or reset."""


def prepare_unit_account(security_manager, actor, account: Account) -> str:
    """Complete a clerk account that carries username, name, phone and unit: role, e-mail, generated password.

    The actor must manage the unit (app/scoping.py) inside its window (app/units.py). Returns the password, to be
    shown once to whoever created the account.
    """
    if account.unit is None:
        raise AccountError(_("请选择所属单位"), field="unit")
    # No autoflush: the new account is not complete yet, and its unit's backref would try to flush it.
    with db.session.no_autoflush:
        if not scoping.can_manage_unit(actor, account.unit):
            raise NotAllowed(_("只能为本单位的二级单位创建账号"), field="unit")
        try:
            units.require_account_window(actor)
        except units.OutsideWindow as closed:
            raise NotAllowed(str(closed)) from closed
    account.username = (account.username or "").strip()
    try:
        account.first_name = names.clean(account.first_name, _("联系人姓名"))[:64]
    except names.BadName as bad:
        raise AccountError(str(bad), field="first_name") from None
    if not account.first_name:
        raise AccountError(_("请填写联系人姓名"), field="first_name")
    password = generate_password()
    with db.session.no_autoflush:
        role = security_manager.find_role(role_for_unit(account.unit))
    account.last_name = account.last_name or ""
    account.email = account.email or placeholder_email(account.username)
    account.active = True
    account.password = generate_password_hash(password)
    account.must_change_password = True
    account.phone = (account.phone or "").strip() or None
    account.roles = [role]
    return password


def new_unit_account(security_manager, actor, unit: Unit, username: str, name: str, phone: str | None = None):
    """Build and add (not commit) a clerk account for unit. Returns (account, password)."""
    account = Account(username=validate_username(username), first_name=name, phone=phone, unit=unit)
    password = prepare_unit_account(security_manager, actor, account)
    db.session.add(account)
    return account, password


def reset_password(actor, account: Account) -> str:
    """The support desk's reset (notice 七(六)): a new generated password, to be changed at next login.

    Only the city office resets passwords, and only of unit accounts."""
    if not scoping.is_city_office(actor):
        raise NotAllowed(_("只有市学习办可以重置密码"))
    if account.unit_id is None:
        raise NotAllowed(_("只能重置单位账号的密码"))
    password = generate_password()
    account.password = generate_password_hash(password)
    account.must_change_password = True
    account.fail_login_count = 0
    audit_as(account, "account.password_reset")
    from app import signin

    signin.unlock(account)  # the new password must work at once, not after the sign-in lock runs out
    return password
