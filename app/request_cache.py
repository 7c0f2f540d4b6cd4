"""Answers kept for the rest of one request: the user's granted permissions, the current campaign, a unit's
progress. Each was asked several times per page (once per menu entry, by the view, the template and the workflow).

Only inside a request (the CLI and code run between a test's requests always ask the database), and forgotten at
every flush, commit and rollback, so that a write made by this request is seen by what it asks afterwards."""
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "_request_cache"


def remember(key, compute):
    """compute(), once per request for this key."""
    if not has_request_context():
        return compute()
    cache = g.setdefault(_KEY, {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def put(key, value) -> None:
    """Keep value for key for the rest of the request (a statement that answered several questions at once)."""
    if has_request_context():
        g.setdefault(_KEY, {})[key] = value


def active() -> bool:
    """Whether answers are kept (inside a request)."""
    return has_request_context()


def forget(*_args) -> None:
    if has_request_context():
        g.pop(_KEY, None)


for _event in ("after_flush", "after_commit", "after_soft_rollback"):
    event.listen(Session, _event, forget)
