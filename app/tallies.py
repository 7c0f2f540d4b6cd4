"""How many applications match a condition, read from the tallies per (campaign, unit, status) that the database
keeps (ApplicationTally, migration f1c3a5e7b9d2) instead of counting the applications themselves: the review list
counts its scope on every page, ~90,000 rows for the city office at 100,000 applications.

The same condition is asked of the tallies: its application.campaign_id, unit_id and status become the tally's.
A condition naming any other column of application (a name searched, an applicant's own) has no tally; the caller
counts the rows then."""
from sqlalchemy import String, cast, func, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause

from app.extensions import db
from app.models import Application, ApplicationTally

_APPLICATION = Application.__table__
_TALLY = ApplicationTally.__table__
_TALLIED = {name: _TALLY.c[name] for name in ("campaign_id", "unit_id", "status")}


class NotTallied(Exception):
    """The condition names something the tallies do not keep."""


def _on_tallies(element, **_kw):
    if element is _APPLICATION:  # the correlated outer row of an EXISTS (Application.unit.has(…))
        return _TALLY
    if isinstance(element, ColumnClause) and getattr(element, "table", None) is _APPLICATION:
        if element.name not in _TALLIED:
            raise NotTallied(element.name)
        return _TALLIED[element.name]
    return None


def count(where) -> int | None:
    """The number of applications that are not drafts and match `where` (a SQL condition on Application; the
    caller's condition must leave drafts out, as every unit's and the city office's scope does), or None when the
    condition names a column the tallies do not keep."""
    counted = count_clause(where)
    return db.session.execute(select(counted)).scalar_one() if counted is not None else None


def on_tallies(where):
    """`where` (a condition on Application) as the same condition on the tallies, or None when it names a column
    the tallies do not keep."""
    try:
        return visitors.replacement_traverse(where, {}, _on_tallies)
    except NotTallied:
        return None


def count_clause(where):
    """count() as a scalar subquery, for a statement that reads it beside other columns (the review list reads it
    with its rows); it correlates with nothing. None when the condition names a column the tallies do not keep."""
    try:
        on_tallies = visitors.replacement_traverse(where, {}, _on_tallies)
    except NotTallied:
        return None
    return (select(func.coalesce(func.sum(_TALLY.c.n), 0)).where(on_tallies).correlate(None)
            .scalar_subquery().label("tallied_count"))


def by_status_clause(where):
    """count() per status, as a scalar subquery for a statement that reads it beside other columns (a unit's 评审进度
    reads it with its submission and quota): one string, "status=n,status=n" (statuses with none left out), for
    read_by_status(). None when the condition names a column the tallies do not keep."""
    try:
        on_tallies = visitors.replacement_traverse(where, {}, _on_tallies)
    except NotTallied:
        return None
    per_status = (select(_TALLY.c.status, func.sum(_TALLY.c.n).label("n")).where(on_tallies)
                  .group_by(_TALLY.c.status).subquery())
    pairs = func.aggregate_strings(per_status.c.status + "=" + cast(per_status.c.n, String), ",")
    return select(pairs).where(per_status.c.n != 0).correlate(None).scalar_subquery().label("by_status")


def read_by_status(aggregated: str | None) -> dict[str, int]:
    """by_status_clause()'s string as {status: applications} (the states are identifiers: no "=" or "," in them)."""
    return {status: int(n) for status, n in (pair.split("=") for pair in (aggregated or "").split(",") if pair)}


def recount() -> dict[tuple[int, int, str], int]:
    """Every (campaign, unit, status) with its applications counted row by row (tests and `flask` checks compare
    the tallies with it)."""
    rows = db.session.execute(
        select(Application.campaign_id, Application.unit_id, Application.status, func.count(Application.id))
        .where(Application.status != "draft")
        .group_by(Application.campaign_id, Application.unit_id, Application.status)
    )
    return {(c, u, s): n for c, u, s, n in rows}


def tallies() -> dict[tuple[int, int, str], int]:
    """The tallies as kept, rows at zero left out."""
    rows = db.session.execute(select(_TALLY.c.campaign_id, _TALLY.c.unit_id, _TALLY.c.status, _TALLY.c.n)
                              .where(_TALLY.c.n != 0))
    return {(c, u, s): n for c, u, s, n in rows}
