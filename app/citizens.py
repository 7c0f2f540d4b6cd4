"""Citizens' own accounts (申报人): registration with a locally drawn captcha, sign-in by mobile number."""
import hashlib
import hmac
import secrets

from flask import current_app, session
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from app import roles
from app.accounts import placeholder_email
from app.extensions import db
from app.models import Account

# No 0/O, 1/I/L: a captcha should test for a person, not for eyesight.
_CAPTCHA_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CAPTCHA_KEY = "captcha_digest"


def _digest(answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, answer.strip().upper().encode(), hashlib.sha256).hexdigest()


def new_captcha() -> bytes:
    """A fresh 4-character captcha PNG; its answer is kept (hashed) in the session for one check."""
    from captcha.image import ImageCaptcha

    answer = "".join(secrets.choice(_CAPTCHA_ALPHABET) for _ in range(4))
    session[_CAPTCHA_KEY] = _digest(answer)
    return ImageCaptcha(width=160, height=60).generate(answer).getvalue()


def captcha_matches(answer: str) -> bool:
    """One try per image: the stored answer is consumed whatever the outcome."""
    expected = session.pop(_CAPTCHA_KEY, None)
    return bool(expected and answer) and hmac.compare_digest(expected, _digest(answer))


class RegistrationError(ValueError):
    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def register(security_manager, mobile: str, name: str, password: str) -> Account:
    """Create and activate a citizen account whose user name is the mobile number (caller commits)."""
    if db.session.query(Account.id).filter(Account.username == mobile).first():
        raise RegistrationError(_("该手机号已注册，请直接登录；忘记密码请联系技术支持"), field="mobile")
    account = Account(
        username=mobile,
        first_name=name.strip()[:64],
        last_name="",
        email=placeholder_email(mobile),
        active=True,
        password=generate_password_hash(password),
        phone=mobile,
        roles=[security_manager.find_role(roles.APPLICANT)],
    )
    db.session.add(account)
    return account
