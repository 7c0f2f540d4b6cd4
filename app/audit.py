"""Writes the audit log. Changes to audited models are recorded from the session itself, so that a change made
by a view, the REST API or a CLI command is logged alike; domain actions name themselves via `audit_as`."""
import logging
from contextlib import contextmanager

from flask import g, has_request_context, request
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import MANYTOONE, Session
from sqlalchemy.orm.base import NO_VALUE

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

logger = logging.getLogger(__name__)

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


def record(action: str, object_type: str, object_id=None, object_label: str = "", result: str = "success",
           **detail) -> AuditEvent:
    """Add an audit event for something that is not a row change (the caller commits)."""
    from app.extensions import db

    event_ = _new_event(action, object_type, object_id, object_label, detail, result)
    db.session.add(event_)
    return event_


def _actor():
    user = getattr(g, "user", None) if has_request_context() else None
    if user is None and has_request_context():
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    return user


def _new_event(action, object_type, object_id, object_label, detail, result="success") -> AuditEvent:
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
        result=result,
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
    for key, rel in _references(state.mapper):
        # A row pointed elsewhere through its relationship (a form's 所属单位 sets account.unit): its foreign-key
        # column changes only in the flush, after this listener has looked.
        history = state.attrs[rel.key].history
        if not history.added or key in changes or key in secret or key in IGNORED_ATTRIBUTES:
            continue
        new = _reference(rel, history.added[0])
        if history.deleted:
            old = _reference(rel, history.deleted[0])
        else:  # the relationship was not loaded: what it pointed to is the stored column
            old = _stored_values(session, obj, [key]).get(key) if state.identity else None
        if old != new:
            changes[key] = [_value(old), _value(new)]
    for rel in ("roles", "permissions"):
        if rel in state.mapper.relationships:
            history = state.attrs[rel].history
            if history.added or history.deleted:
                changes[rel] = {"added": [str(r) for r in history.added], "removed": [str(r) for r in history.deleted]}
                # The whole list before and after too: "which roles did this account hold then" from one row.
                unchanged = [str(r) for r in history.unchanged]
                changes[f"{rel}_before_after"] = [unchanged + [str(r) for r in history.deleted],
                                                  unchanged + [str(r) for r in history.added]]
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
    for key, rel in _references(state.mapper):
        # Set through the relationship (a form's choice), the foreign key is still empty before the flush.
        if key in snapshot or rel.key in snapshot or key in secret or key in IGNORED_ATTRIBUTES:
            continue
        target = state.attrs[rel.key].loaded_value
        if target is not None and target is not NO_VALUE:
            snapshot[key] = _value(_reference(rel, target))
    return snapshot


def _references(mapper):
    """(foreign-key column's key, relationship) of each many-to-one relationship on one column: account.unit is
    ("unit_id", Account.unit)."""
    for rel in mapper.relationships:
        if rel.direction is MANYTOONE and not rel.viewonly and len(rel.local_columns) == 1:
            (column,) = rel.local_columns
            yield mapper.get_property_by_column(column).key, rel


def _reference(rel, target):
    """What a many-to-one relationship's column would hold for target: its key, or its name while it has none yet
    (a unit created in the same flush)."""
    if target is None:
        return None
    ((_local, remote),) = rel.local_remote_pairs
    value = getattr(target, rel.mapper.get_property_by_column(remote).key)
    return value if value is not None else str(target)


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
        if kind == "create" and getattr(obj, "id", None) is None:
            # The row gets its id in this flush: its event is added after it, id included (the log is
            # append-only, so an id cannot be filled in afterwards). Committing flushes it.
            session.info.setdefault("audit_pending_creates", []).append((event_, obj))
        else:
            session.add(event_)


@event.listens_for(Session, "after_flush_postexec")
def _add_creation_events(session: Session, flush_context) -> None:
    for event_, obj in session.info.pop("audit_pending_creates", []):
        if getattr(obj, "id", None) is not None:
            event_.object_id = str(obj.id)
        session.add(event_)


@event.listens_for(Session, "after_soft_rollback")
def _forget_creation_events(session: Session, previous_transaction) -> None:
    session.info.pop("audit_pending_creates", None)


# --- requests: refusals and the print/PDF exports that do not log themselves ------------------------------------

# Endpoint -> action for downloads and printable pages of personal data whose views do not record themselves (the
# Excel exports do, with their row counts: export.applications, export.ranking, ...).
EXPORT_ENDPOINTS = {
    "ApplicationView.print_recommendation": "export.print_recommendation",
    "ApplicationFileView.print_form": "export.print_application_form",
    "ApprovalView.candidates_print": "export.print_public_list",
    "ApprovalView.winners_print": "export.print_final_list",
    "CertificateView.print_page": "export.print_certificate",
    "CertificateView.pdf": "export.certificate_pdf",
    "MyCertificateView.pdf": "export.certificate_pdf",
    # A background job's file (app/jobs.py): the export itself is logged by the job; each fetch of it here.
    "JobView.download": "export.job_file",
}
REFUSED_STATUSES = (403, 404)


def register_request_audit(app) -> None:
    """Log a signed-in user's refused requests (403, and the 404 a scoped lookup answers for someone else's row)
    and the print/PDF exports of EXPORT_ENDPOINTS. Only the path is kept: query strings may carry searched-for
    names or numbers."""

    @app.after_request
    def _audit_request(response):
        endpoint = request.endpoint or ""
        refused = response.status_code in REFUSED_STATUSES
        exported = response.status_code == 200 and endpoint in EXPORT_ENDPOINTS
        if not (refused or exported) or endpoint == "static" or endpoint.endswith(".static"):
            return response
        actor = _actor()
        if actor is None or not getattr(actor, "is_authenticated", False):
            return response
        from app.extensions import db

        try:
            if refused:
                # The refused request's own changes, if any, are not to be kept with its record.
                db.session.rollback()
                record("access.refused", "request", None, request.path[:200], result="refused",
                       method=request.method, status=response.status_code)
            else:
                row_id = next(iter((request.view_args or {}).values()), None)  # the printed row, if one
                record(EXPORT_ENDPOINTS[endpoint], "request", row_id, request.path[:200])
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            logger.exception("audit of %s %s not written", request.method, request.path)
        return response


# --- retention --------------------------------------------------------------------------------------------------

# MLPS level 3 keeps audit records at least six months; config refuses a shorter AUDIT_RETENTION_DAYS and the
# PostgreSQL trigger refuses to delete younger rows whatever the caller says.
MIN_RETENTION_DAYS = 180


class RetentionError(ValueError):
    pass


def purge(older_than_days: int) -> int:
    """Delete the events older than older_than_days days (at least AUDIT_RETENTION_DAYS); audited. Returns how many."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import delete, text

    from app import clock
    from app.extensions import db

    keep = max(int(current_app.config.get("AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS)), MIN_RETENTION_DAYS)
    if older_than_days < keep:
        raise RetentionError(f"审计记录至少保存 {keep} 天（AUDIT_RETENTION_DAYS）：不能删除 {older_than_days} 天以内的记录")
    cutoff = clock.now() - timedelta(days=older_than_days)
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL portal.audit_purge = 'on'"))  # this transaction only (the trigger)
    removed = db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount
    record("audit.purged", "audit_event", None, "", rows=removed, older_than_days=older_than_days,
           before=cutoff.strftime("%Y-%m-%d %H:%M:%S"))
    db.session.commit()
    return removed
