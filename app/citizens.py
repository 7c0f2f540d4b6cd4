"""Citizens' own accounts (申报人): registration (its captcha: app/captcha.py), sign-in by mobile number."""
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app import names, roles
from app.accounts import placeholder_email
from app.extensions import db
from app.models import Account


class RegistrationError(ValueError):
    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def register(security_manager, mobile: str, name: str, password: str) -> Account:
    """Create and activate a citizen account whose user name is the mobile number (caller commits)."""
    if db.session.query(Account.id).filter(Account.username == mobile).first():
        raise RegistrationError(_("该手机号已注册，请直接登录；忘记密码请联系技术支持"), field="mobile")
    try:
        name = names.clean(name, _("姓名"))
    except names.BadName as bad:
        raise RegistrationError(str(bad), field="name") from None
    role = security_manager.find_role(roles.APPLICANT)
    try:
        # Flushed in a savepoint so that a registration of the same number racing this one (the check above saw
        # neither) ends as the sequential case does, not in a 500 from the unique key.
        with db.session.begin_nested():
            account = Account(
                username=mobile,
                first_name=name[:64],
                last_name="",
                email=placeholder_email(mobile),
                active=True,
                password=generate_password_hash(password),
                phone=mobile,
                roles=[role],
            )
            db.session.add(account)
    except IntegrityError:
        raise RegistrationError(_("该手机号已注册，请直接登录；忘记密码请联系技术支持"), field="mobile") from None
    return account
