"""app/prepared.py: a transaction that only read is committed where SQLAlchemy rolls it back, so that PostgreSQL keeps
the statements psycopg prepared; anything else is still rolled back."""
from datetime import datetime

import pytest
from sqlalchemy import text

from app.models import EphemeralEntry

# A statement each "request" sends again, marked so that it is told apart from what other tests prepared.
LIST_QUERY = text("SELECT count(*) /* read again */ FROM unit WHERE level = :level")
PREPARED = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%/* read again */ FROM unit%'")
INSERT = text("INSERT INTO ephemeral_entry (key, count, expires_at) VALUES (:key, 0, :at)")
STORED = text("SELECT count(*) FROM ephemeral_entry WHERE key = :key")
AT = datetime(2030, 1, 1)


@pytest.mark.postgres
def test_statements_read_in_many_transactions_are_prepared_once(db):
    with db.engine.connect() as conn:
        for _ in range(7):  # psycopg prepares a statement at its sixth run on the connection
            conn.execute(LIST_QUERY, {"level": 2})
            conn.rollback()  # what ends every request (Flask-SQLAlchemy closes the session)
        assert conn.execute(PREPARED).scalar_one() == 1
        conn.rollback()


@pytest.mark.postgres
def test_a_write_still_drops_them_with_its_rollback(db):
    with db.engine.connect() as conn:
        for _ in range(7):
            conn.execute(LIST_QUERY, {"level": 2})
            conn.rollback()
        conn.execute(INSERT, {"key": "prepared-write", "at": AT})
        conn.rollback()
        assert conn.execute(STORED, {"key": "prepared-write"}).scalar_one() == 0
        assert conn.execute(PREPARED).scalar_one() == 0
        conn.rollback()


def test_what_a_rolled_back_transaction_wrote_is_undone_after_reads_too(db):
    with db.engine.connect() as conn:
        conn.execute(LIST_QUERY, {"level": 1})
        conn.execute(INSERT, {"key": "read-then-write", "at": AT})
        conn.execute(LIST_QUERY, {"level": 2})
        conn.rollback()
        assert conn.execute(STORED, {"key": "read-then-write"}).scalar_one() == 0
        conn.rollback()


def test_a_flushed_row_is_rolled_back_with_the_session(db):
    db.session.execute(LIST_QUERY, {"level": 1})
    db.session.add(EphemeralEntry(key="flushed", count=1, expires_at=AT))
    db.session.flush()
    db.session.rollback()
    assert db.session.execute(STORED, {"key": "flushed"}).scalar_one() == 0


def test_a_failed_read_ends_in_a_rollback_and_the_connection_goes_on(db):
    with db.engine.connect() as conn:
        with pytest.raises(Exception):
            conn.execute(text("SELECT no_such_column FROM unit"))
        conn.rollback()
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
        conn.rollback()
