"""Sign-in failure handling (MLPS 2.0 登录失败处理) for the sign-in form and the REST login alike: failures counted
per account and per source address, a lock after too many, a captcha after the first few, and the audit of every
sign-in. The counters live in app/ephemeral.py (Redis or the database), so every worker counts together.

An unknown user name is counted and locked like an account, under the name typed: the answers (text, lock, captcha)
never tell whether an account exists. PortalSecurityManager.auth_user_db (app/security.py) calls authenticate().
"""
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, has_request_context, request
from flask_babel import gettext as _

from app import clock, ephemeral
from app.audit import record
from app.display import format_time
from app.extensions import db
from app.models import Account


@dataclass
class Refusal:
    """Why a sign-in is refused before its password is looked at; retry_after in seconds (Retry-After)."""

    message: str
    retry_after: int


def _config(name: str) -> int:
    return int(current_app.config[name])


def _lock_seconds() -> int:
    return _config("LOGIN_LOCK_MINUTES") * 60


def _source() -> str:
    return (request.remote_addr if has_request_context() else None) or "unknown"


def find_account(security_manager, username: str | None) -> Account | None:
    """The account FAB would check for this user name (by name, then by e-mail), inactive ones included."""
    if not username:
        return None
    return security_manager.find_user(username=username) or security_manager.find_user(email=username)


def _account_id(account: Account | None, username: str | None) -> str:
    """The counters' name for an account: its id, or for an unknown name a digest of it (any length, any bytes)."""
    if account is not None:
        return f"account:{account.id}"
    typed = (username or "").strip().lower()
    return "name:" + hashlib.sha256(typed.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _keys(subject: str) -> tuple[str, str]:
    return f"signin:fail:{subject}", f"signin:lock:{subject}"


def _support_phone() -> str:
    from app.views.home import SUPPORT_DESK_PHONE

    return SUPPORT_DESK_PHONE


def _refusal(lock_key: str, source_lock: bool) -> Refusal | None:
    until_text = ephemeral.store().get(lock_key)
    if until_text is None:
        return None
    until = datetime.fromisoformat(until_text)
    retry_after = max(int((until - clock.now()).total_seconds()), 1)
    if source_lock:
        message = _(
            "该网络地址登录失败次数过多，已暂停登录，请于 %(until)s 后再试；如需帮助，请联系技术支持：%(phone)s",
            until=format_time(until), phone=_support_phone(),
        )
    else:
        message = _(
            "登录失败次数过多，账号已锁定 %(minutes)s 分钟，请于 %(until)s 后再试；如需提前解锁，请联系技术支持：%(phone)s",
            minutes=_config("LOGIN_LOCK_MINUTES"), until=format_time(until), phone=_support_phone(),
        )
    return Refusal(message, retry_after)


def _refusal_of(account, username, source) -> Refusal | None:
    return _refusal(_keys(_account_id(account, username))[1], False) or _refusal(_keys(f"source:{source}")[1], True)


def refusal(security_manager, username: str | None, source: str | None = None) -> Refusal | None:
    """The refusal of a sign-in of this user name from this address, if its account or the address is locked."""
    return _refusal_of(find_account(security_manager, username), username, source or _source())


def captcha_required(security_manager, username: str | None, source: str | None = None) -> bool:
    """After LOGIN_CAPTCHA_AFTER failures of this account (or name) or from this address, the form asks a captcha."""
    after = _config("LOGIN_CAPTCHA_AFTER")
    store = ephemeral.store()
    source_failures = store.count(_keys(f"source:{source or _source()}")[0])
    if source_failures >= after:
        return True
    if not username:
        return False
    account_subject = _account_id(find_account(security_manager, username), username)
    return store.count(_keys(account_subject)[0]) >= after


# The audit log's result column (app/audit.py) for each outcome: a lock refuses without checking the password.
AUDIT_RESULTS = {"success": "success", "failed": "failure", "locked": "refused"}


def _audit(action: str, username: str | None, account: Account | None, **detail):
    """An audit event of a sign-in. Its actor is the account that signed in, or for a failure the name typed (the
    person typing is not known to be the account's holder); never the password."""
    event = record(
        action, "account", getattr(account, "id", None), getattr(account, "username", None) or (username or "")[:200],
        result=AUDIT_RESULTS[detail.get("outcome", "failed")], username=(username or "")[:128], **detail,
    )
    if action == "account.signin":
        event.actor_id = account.id
        event.actor_name = account.username
    else:
        event.actor_id = None
        event.actor_name = (username or "")[:128] or "anonymous"
    return event


def _lock(subject: str, failures: int) -> datetime:
    fail_key, lock_key = _keys(subject)
    until = clock.now() + timedelta(seconds=_lock_seconds())
    store = ephemeral.store()
    store.put(lock_key, until.isoformat(), _lock_seconds())
    store.delete(fail_key)  # after the lock the account starts again from no failures
    return until


def _failed(username, account, source, via) -> int:
    """Count a failure for the account (or name) and the address, lock what reached its limit; the failures left
    before the account's lock."""
    store = ephemeral.store()
    account_subject = _account_id(account, username)
    failures = store.incr(_keys(account_subject)[0], _lock_seconds())
    source_failures = store.incr(_keys(f"source:{source}")[0], _lock_seconds())
    _audit("account.signin_failed", username, account, outcome="failed", via=via, failures=failures)
    if failures >= _config("LOGIN_MAX_FAILURES"):
        until = _lock(account_subject, failures)
        _audit("account.locked", username, account, scope="account", failures=failures, until=until.isoformat())
    if source_failures >= _config("LOGIN_SOURCE_MAX_FAILURES"):
        until = _lock(f"source:{source}", source_failures)
        _audit("account.locked", username, account, scope="source", source=source, failures=source_failures,
               until=until.isoformat())
    db.session.commit()
    # The failure that locked is answered with the lock, not with "try again".
    g.signin_refusal = _refusal_of(account, username, source)
    return max(_config("LOGIN_MAX_FAILURES") - failures, 0)


def authenticate(security_manager, username, password, check, via: str = "form"):
    """Sign in with `check` (FAB's password check) unless the account or the address is locked; count and audit.

    Returns the account or None. A refusal is left in `g.signin_refusal` (last_refusal()) for the caller's answer,
    and after a wrong password the failures left before the lock in `g.signin_failures_left`.
    """
    source = _source()
    account = find_account(security_manager, username)
    refused = _refusal_of(account, username, source)
    if refused is not None:
        g.signin_refusal = refused
        _audit("account.signin_failed", username, account, outcome="locked", via=via)
        db.session.commit()
        return None
    user = check(username, password)
    if user is None:
        g.signin_failures_left = _failed(username, account, source, via)
        return None
    ephemeral.store().delete(_keys(_account_id(user, username))[0])
    _audit("account.signin", username, user, outcome="success", via=via)
    db.session.commit()
    return user


def last_refusal() -> Refusal | None:
    return g.get("signin_refusal")


def failures_left() -> int | None:
    return g.get("signin_failures_left")


def locked_until(account: Account) -> datetime | None:
    """When the account's lock ends, None when it is not locked (for the account lists: one look-up of all the
    locks of the moment per request, however many rows the page shows)."""
    locks = g.get("signin_locks") if has_request_context() else None
    if locks is None:
        prefix = _keys("account:")[1]
        locks = {key[len(prefix):]: datetime.fromisoformat(value)
                 for key, value in ephemeral.store().values_under(prefix).items()}
        if has_request_context():
            g.signin_locks = locks
    return locks.get(str(account.id))


def unlock(account: Account) -> bool:
    """Lift the account's lock and forget its failures (the support desk's 解锁), audited; the caller commits.
    False when it was not locked."""
    fail_key, lock_key = _keys(_account_id(account, None))
    store = ephemeral.store()
    was_locked = store.take(lock_key) is not None
    store.delete(fail_key)
    g.pop("signin_locks", None)
    if was_locked:
        record("account.unlocked", "account", account.id, account.username)
    return was_locked
