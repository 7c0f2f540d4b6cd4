"""Writes the audit log. Changes to audited models are recorded from the session itself, so that a change made
by a view, the REST API or a CLI command is logged alike; domain actions name themselves via `audit_as`."""
from contextlib import contextmanager

from flask import g, has_request_context, request
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.models import (
    Account,
    AuditEvent,
    Campaign,
    Expert,
    ExpertConflict,
    PastWinner,
    RecommendationQuota,
    StageWindow,
    Unit,
)

# Model -> (object type in the log, attributes never written to the log in clear).
AUDITED = {
    Unit: ("unit", set()),
    Account: ("account", {"password"}),
    Campaign: ("campaign", set()),
    StageWindow: ("stage_window", set()),
    Role: ("role", set()),
    PastWinner: ("past_winner", {"id_number"}),  # no full ID number in the log (PIPL; app/masking.py)
    RecommendationQuota: ("recommendation_quota", set()),
    # 专家评审 (app/experts.py). Panels and round settings are logged by app/experts.py itself, in one event each
    # (a panel with its members and units; a round's settings as changed), not row by row.
    Expert: ("expert", set()),
    ExpertConflict: ("expert_conflict", set()),
}
# Bookkeeping FAB changes on every login: not an account change. The security stamp turns over on every logout and
# follows a logged change (password, roles, active); password_changed_at follows the logged password change.
IGNORED_ATTRIBUTES = {"last_login", "login_count", "fail_login_count", "changed_on", "changed_by_fk", "created_on",
                      "security_stamp", "password_changed_at"}


@contextmanager
def summarized(session, action: str, object_type: str, **detail):
    """Log one event for a bulk change (seeding roles) instead of one per row."""
    session.info["audit_suppressed"] = True
    try:
        yield
    finally:
        session.info.pop("audit_suppressed", None)
    record(action, object_type, **detail)


def audit_as(obj, action: str, **detail) -> None:
    """Name the next logged change of obj (e.g. "account.password_reset") and add detail to it."""
    obj._audit_action = action
    obj._audit_detail = detail


def record(action: str, object_type: str, object_id=None, object_label: str = "", **detail) -> AuditEvent:
    """Add an audit event for something that is not a row change (the caller commits)."""
    from app.extensions import db

    event_ = _new_event(action, object_type, object_id, object_label, detail)
    db.session.add(event_)
    return event_


def _actor():
    user = getattr(g, "user", None) if has_request_context() else None
    if user is None and has_request_context():
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    return user


def _new_event(action, object_type, object_id, object_label, detail) -> AuditEvent:
    actor = _actor()
    return AuditEvent(
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "system",
        ip=request.remote_addr if has_request_context() else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        object_label=str(object_label)[:200],
        detail=detail,
    )


def _value(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _stored_values(session, obj, keys) -> dict:
    """Values of keys as the database has them: an attribute set after a commit expired it has no old value."""
    mapper = inspect(obj).mapper
    columns = [mapper.column_attrs[key].columns[0] for key in keys]
    pk = mapper.primary_key[0]
    row = session.connection().execute(select(*columns).where(pk == inspect(obj).identity[0])).first()
    return dict(zip(keys, row)) if row is not None else {}


def _changes(session, obj, secret: set[str]) -> dict:
    changes = {}
    state = inspect(obj)
    changed = [
        attr.key
        for attr in state.mapper.column_attrs
        if attr.key not in IGNORED_ATTRIBUTES and state.attrs[attr.key].history.has_changes()
    ]
    unknown = [key for key in changed if not state.attrs[key].history.deleted]
    stored = _stored_values(session, obj, unknown) if unknown and state.identity else {}
    for key in changed:
        history = state.attrs[key].history
        old = history.deleted[0] if history.deleted else stored.get(key)
        new = history.added[0] if history.added else None
        if old == new:
            continue
        changes[key] = "***" if key in secret else [_value(old), _value(new)]
    for rel in ("roles", "permissions"):
        if rel in state.mapper.relationships:
            history = state.attrs[rel].history
            if history.added or history.deleted:
                changes[rel] = {"added": [str(r) for r in history.added], "removed": [str(r) for r in history.deleted]}
    return changes


def _snapshot(obj, secret: set[str]) -> dict:
    state = inspect(obj)
    snapshot = {
        attr.key: _value(getattr(obj, attr.key))
        for attr in state.mapper.column_attrs
        if attr.key not in secret and attr.key not in IGNORED_ATTRIBUTES and getattr(obj, attr.key) is not None
    }
    for rel in ("unit", "parent", "roles"):
        if rel in state.mapper.relationships and getattr(obj, rel):
            value = getattr(obj, rel)
            snapshot[rel] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return snapshot


@event.listens_for(Session, "before_flush")
def _log_changes(session: Session, flush_context, instances) -> None:
    if session.info.get("audit_suppressed"):
        return
    events = []
    for kind, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            spec = AUDITED.get(type(obj))
            if spec is None:
                continue
            object_type, secret = spec
            if kind == "update":
                detail = _changes(session, obj, secret)
                if not detail:
                    continue
            elif kind == "create":
                detail = _snapshot(obj, secret)
            else:
                detail = {}
            detail.update(obj.__dict__.pop("_audit_detail", None) or {})
            action = obj.__dict__.pop("_audit_action", None) or f"{object_type}.{kind}"
            events.append((obj, kind, action, object_type, detail))
    for obj, kind, action, object_type, detail in events:
        event_ = _new_event(action, object_type, getattr(obj, "id", None), repr(obj) if kind != "delete" else str(obj), detail)
        session.add(event_)
        if kind == "create":
            session.info.setdefault("audit_pending_ids", []).append((event_, obj))


@event.listens_for(Session, "after_flush_postexec")
def _fill_created_ids(session: Session, flush_context) -> None:
    # Rows created in this flush only get their id now; their events were written before: fill the id in.
    for event_, obj in session.info.pop("audit_pending_ids", []):
        if event_.object_id is None and getattr(obj, "id", None) is not None:
            event_.object_id = str(obj.id)
