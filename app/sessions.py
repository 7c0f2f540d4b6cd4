"""Sign-in sessions kept on the server, so they can be ended: one `account_session` row per browser sign-in, named
by a random token in the signed cookie, and the account's security stamp carried by every row and every API token.

A session ends on logout, after SESSION_IDLE_MINUTES without a request, SESSION_ABSOLUTE_HOURS after sign-in, and
with every other session and token of its account when the account's password, roles or active flag change —
whichever screen, API or command changes them (the flush hook below watches the model, not the front doors).
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, has_request_context, request, session
from flask_login import user_logged_in, user_logged_out
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from app import clock
from app.extensions import db
from app.models import Account, AccountSession

# The key of the session token in Flask's signed cookie (beside Flask-Login's _user_id).
COOKIE_KEY = "_portal_session"
# Changes to these end every session and token of the account: (attribute, end reason).
_ENDING_CHANGES = (("password", "password"), ("roles", "roles"), ("active", "deactivated"))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _setting(key: str, default):
    return current_app.config.get(key, default)


def start(account: Account) -> AccountSession:
    """A new session for account, its token put in this request's cookie session. Commits."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    row = AccountSession(
        id=_digest(token), account_id=account.id, security_stamp=account.security_stamp, created_at=now,
        last_seen_at=now,
        source_address=request.remote_addr if has_request_context() else None,
        user_agent=(request.user_agent.string or "")[:255] if has_request_context() else None,
    )
    db.session.add(row)
    db.session.commit()
    session[COOKIE_KEY] = token
    return row


def end(row: AccountSession, reason: str) -> None:
    """End one session (the caller commits)."""
    if row.ended_at is None:
        row.ended_at, row.end_reason = clock.now(), reason


def end_all(account: Account, reason: str) -> None:
    """End every session and refuse every token of account: a new security stamp; the rows are closed at the
    flush (the caller commits)."""
    account.security_stamp = secrets.token_hex(16)
    db.session.info.setdefault("sessions_to_end", {})[account.id] = reason


def cookie_session_id() -> str | None:
    """The id of the account_session row this request's cookie names, None without one."""
    token = session.get(COOKIE_KEY)
    return _digest(token) if isinstance(token, str) else None


_LOOK_UP = object()


def touch(account: Account, row: "AccountSession | None" = _LOOK_UP) -> bool:
    """Whether this request's cookie names a live session of account; refreshes last_seen_at at most once a
    SESSION_TOUCH_SECONDS. A dead one is ended (idle, absolute) and g.session_expired set. `row`: the cookie's
    session row (None: there is none) when the caller has read it already (app/security.py reads it with the
    account); looked up here otherwise."""
    if row is _LOOK_UP:
        session_id = cookie_session_id()
        row = db.session.get(AccountSession, session_id) if session_id is not None else None
    if row is None or row.account_id != account.id or row.ended_at is not None:
        return _expired()
    if row.security_stamp != account.security_stamp:
        end(row, "stamp")
        return _expired(commit=True)
    now = clock.now()
    if now - row.created_at >= timedelta(hours=_setting("SESSION_ABSOLUTE_HOURS", 12)):
        end(row, "absolute")
        return _expired(commit=True)
    if now - row.last_seen_at >= timedelta(minutes=_setting("SESSION_IDLE_MINUTES", 30)):
        end(row, "idle")
        return _expired(commit=True)
    # One write a minute at most: a page with its API calls does not write once per request.
    if now - row.last_seen_at >= timedelta(seconds=_setting("SESSION_TOUCH_SECONDS", 60)):
        row.last_seen_at = now
        db.session.commit()
    return True


def _expired(commit: bool = False) -> bool:
    if commit:
        db.session.commit()
    g.session_expired = True
    return False


def forget_cookie_session() -> None:
    """Drop the signed-in keys of an ended session from the cookie (the locale stays)."""
    for key in (COOKIE_KEY, "_user_id", "_fresh", "_id"):
        session.pop(key, None)


# API tokens (flask_jwt_extended, registered in app/security.py)


def token_claims(identity) -> dict:
    """Claims added to every access and refresh token: the account's security stamp."""
    account = db.session.get(Account, int(identity)) if str(identity).isdigit() else None
    return {"stamp": account.security_stamp} if account is not None else {}


def token_revoked(_jwt_header, jwt_data) -> bool:
    """A token issued under another stamp (before a logout, password, role or active change) is refused."""
    identity = str(jwt_data.get("sub", ""))
    account = db.session.get(Account, int(identity)) if identity.isdigit() else None
    return account is None or jwt_data.get("stamp") != account.security_stamp


# Sign-in and logout (Flask-Login's signals, sent by FAB's login and logout views)


@user_logged_in.connect
def _started(_app, user, **_extra):
    start(user)


@user_logged_out.connect
def _logged_out(_app, user, **_extra):
    session.pop(COOKIE_KEY, None)
    if isinstance(user, Account):
        end_all(user, "logout")
        from app.audit import record

        event = record("account.signout", "account", user.id, user.username)
        event.actor_id, event.actor_name = user.id, user.username
        db.session.commit()


# The model-level hook: every front door that changes an account ends its sessions alike.


@event.listens_for(Session, "before_flush")
def _end_sessions_of_changed_accounts(session_: Session, _flush_context, _instances) -> None:
    now = clock.now()
    for obj in session_.new:
        if isinstance(obj, Account) and obj.password_changed_at is None:
            obj.password_changed_at = now
    for obj in session_.dirty:
        if not isinstance(obj, Account):
            continue
        state = inspect(obj)
        changed = [reason for key, reason in _ENDING_CHANGES if _really_changed(state.attrs[key].history)]
        if not changed:
            continue
        if "password" in changed:
            obj.password_changed_at = now
        obj.security_stamp = secrets.token_hex(16)
        session_.info.setdefault("sessions_to_end", {}).setdefault(obj.id, changed[0])


def _really_changed(history) -> bool:
    # Setting a value (or a list of roles) equal to the old one is not a change.
    return bool(history.added or history.deleted) and set(history.added) != set(history.deleted)


@event.listens_for(Session, "after_flush")
def _close_rows(session_: Session, _flush_context) -> None:
    pending = session_.info.pop("sessions_to_end", None)
    if not pending:
        return
    table = AccountSession.__table__
    connection = session_.connection()
    now = clock.now()
    for account_id, reason in pending.items():
        connection.execute(
            update(table).where(table.c.account_id == account_id, table.c.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason)
        )
    # Rows already loaded in this session would otherwise still look open.
    for obj in list(session_.identity_map.values()):
        if isinstance(obj, AccountSession) and obj.account_id in pending:
            session_.expire(obj)
