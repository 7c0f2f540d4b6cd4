"""PostgreSQL plans a page's statements once per connection, not once per request.

psycopg prepares a statement on its connection once the connection has run it five times, and PostgreSQL then
plans it once (or, when a plan for the values at hand is much better, for each execution as before). But psycopg
forgets every prepared statement, and starts counting again, at each ROLLBACK: it cannot tell what the rolled-back
work dropped. Every request ended with one (Flask-SQLAlchemy closes the session, SQLAlchemy rolls the transaction
back), so every statement of every page was planned anew: 1.5–3 ms of the database's time for the sign-in's
statement alone (app/security.py's load_user), more than it takes to run.

A transaction that sent only SELECTs ends the same whether committed or rolled back: nothing to undo, its locks
released either way. Such a transaction is committed at the database when SQLAlchemy rolls it back; the Session
still sees a rollback (its listeners, app/storage.py's clean-up of files stored by a failed request included, run
as before). Any other statement (a write, a savepoint, DDL), a statement that failed, or a transaction PostgreSQL
has aborted, and the rollback is a ROLLBACK."""
from psycopg import pq
from sqlalchemy import bindparam, event

_READ_ONLY = "portal_read_only"


def install(engine) -> None:
    """For a psycopg engine (PostgreSQL); SQLite plans each statement cheaply and keeps nothing across a rollback."""
    if engine.dialect.driver != "psycopg":
        return
    dialect = engine.dialect
    roll_back = dialect.do_rollback

    @event.listens_for(engine, "begin")
    def _began(conn):
        conn.info[_READ_ONLY] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _sent(conn, _cursor, statement, *_args):
        if conn.info.get(_READ_ONLY) and not statement.lstrip()[:6].upper() == "SELECT":
            conn.info[_READ_ONLY] = False

    @event.listens_for(engine, "handle_error")
    def _failed(context):
        if context.connection is not None:
            context.connection.info[_READ_ONLY] = False

    def do_rollback(dbapi_connection):
        try:
            read_only = dbapi_connection.info.pop(_READ_ONLY, False)
        except NotImplementedError:  # the engine's first connection, not yet the pool's: it has no info
            read_only = False
        driver_connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
        if read_only and driver_connection.info.transaction_status == pq.TransactionStatus.INTRANS:
            dbapi_connection.commit()
        else:
            roll_back(dbapi_connection)

    dialect.do_rollback = do_rollback


def written(value):
    """A value written into the statement's SQL instead of sent as a parameter: for the few constants and choices
    that decide which index serves a list (a scope's states and first-level unit, the state or campaign filtered on,
    the page size).

    A prepared statement is planned once for every value of its parameters (a generic plan) only when PostgreSQL
    finds that plan no worse than the ones made for the values at hand; a plan for unknown parameters cannot use an
    index whose WHERE names a state (`status <> 'draft'`) nor know that LIMIT is 25, so the review list's statements
    were planned anew at every request (0.7–0.9 ms of the database's time, more than they took to run). Written
    into the SQL, each value makes a statement of its own, planned once with that value known: a rare state gets
    the plan for a rare state. Only for values from a small set (the states, the campaigns, the page sizes, the
    first-level units): each distinct value is one more statement kept on every connection."""
    return bindparam(None, value, expanding=isinstance(value, (list, tuple)), literal_execute=True)
