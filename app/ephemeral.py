"""Short-lived state the server keeps between requests: captcha answers (app/captcha.py), sign-in failure counters
and locks (app/signin.py). In Redis when REDIS_URL is set, otherwise in the database (table ephemeral_entry): either
way every gunicorn worker sees the same state. Never in one worker's memory, never in the client's cookie.

Every entry expires `ttl` seconds after it was written (a counter: after its first hit).
"""
from datetime import timedelta
from typing import Protocol

from flask import current_app
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from app import clock
from app.extensions import db
from app.models import EphemeralEntry


class Store(Protocol):
    def incr(self, key: str, ttl: int) -> int:
        """Count one more; a new (or expired) counter starts at 1 and expires ttl seconds later. The new count."""

    def count(self, key: str) -> int:
        """The counter's value, 0 when absent or expired."""

    def put(self, key: str, value: str, ttl: int) -> None:
        """Keep value under key for ttl seconds, replacing what was there."""

    def get(self, key: str) -> str | None:
        """The value, None when absent or expired."""

    def take(self, key: str) -> str | None:
        """The value, removed in the same step: of two requests taking one key, only one gets it."""

    def delete(self, *keys: str) -> None:
        """Forget these keys."""

    def values_under(self, prefix: str) -> dict[str, str]:
        """Every live value whose key starts with prefix, by key (few: e.g. the locks of the moment)."""


class RedisStore:
    def __init__(self, client, prefix: str):
        self.client = client
        self.prefix = prefix

    def incr(self, key, ttl):
        name = self.prefix + key
        pipe = self.client.pipeline(transaction=True)
        pipe.set(name, 0, ex=ttl, nx=True)  # the expiry starts with the first hit; INCR keeps it
        pipe.incr(name)
        return int(pipe.execute()[1])

    def count(self, key):
        value = self.client.get(self.prefix + key)
        return int(value) if value is not None else 0

    def put(self, key, value, ttl):
        self.client.set(self.prefix + key, value, ex=ttl)

    def get(self, key):
        value = self.client.get(self.prefix + key)
        return value.decode() if value is not None else None

    def take(self, key):
        value = self.client.getdel(self.prefix + key)
        return value.decode() if value is not None else None

    def delete(self, *keys):
        if keys:
            self.client.delete(*(self.prefix + key for key in keys))

    def values_under(self, prefix):
        names = list(self.client.scan_iter(match=self.prefix + prefix + "*"))
        values = self.client.mget(names) if names else []
        return {name.decode()[len(self.prefix):]: value.decode() for name, value in zip(names, values) if value}


class DatabaseStore:
    """The table ephemeral_entry, written on a connection of its own and committed at once: a count or a used-up
    captcha stays written whatever becomes of the request's own transaction. Times are app/clock.py's."""

    table = EphemeralEntry.__table__

    def _upsert(self, connection, values: dict, on_conflict: dict):
        insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
        statement = insert(self.table).values(**values)
        return statement.on_conflict_do_update(index_elements=[self.table.c.key], set_=on_conflict)

    def _purge(self, connection, now):
        # Expired rows are never read again; removing them on each write keeps the table as small as its live state.
        connection.execute(delete(self.table).where(self.table.c.expires_at <= now))

    def incr(self, key, ttl):
        now = clock.now()
        expires_at = now + timedelta(seconds=ttl)
        expired = self.table.c.expires_at <= now
        with db.engine.begin() as connection:
            statement = self._upsert(
                connection,
                {"key": key, "count": 1, "expires_at": expires_at},
                {
                    "count": case((expired, 1), else_=self.table.c.count + 1),
                    "expires_at": case((expired, expires_at), else_=self.table.c.expires_at),
                },
            )
            count = connection.execute(statement.returning(self.table.c.count)).scalar_one()
            self._purge(connection, now)
        return count

    def _live(self, key, column):
        with db.engine.connect() as connection:
            return connection.execute(
                select(column).where(self.table.c.key == key, self.table.c.expires_at > clock.now())
            ).scalar_one_or_none()

    def count(self, key):
        return self._live(key, self.table.c.count) or 0

    def put(self, key, value, ttl):
        now = clock.now()
        expires_at = now + timedelta(seconds=ttl)
        with db.engine.begin() as connection:
            self._purge(connection, now)
            connection.execute(
                self._upsert(
                    connection,
                    {"key": key, "value": value, "count": 0, "expires_at": expires_at},
                    {"value": value, "count": 0, "expires_at": expires_at},
                )
            )

    def get(self, key):
        return self._live(key, self.table.c.value)

    def take(self, key):
        with db.engine.begin() as connection:
            row = connection.execute(
                delete(self.table)
                .where(self.table.c.key == key)
                .returning(self.table.c.value, self.table.c.expires_at)
            ).first()
        if row is None or row.expires_at <= clock.now():
            return None
        return row.value

    def delete(self, *keys):
        if keys:
            with db.engine.begin() as connection:
                connection.execute(delete(self.table).where(self.table.c.key.in_(keys)))

    def values_under(self, prefix):
        with db.engine.connect() as connection:
            rows = connection.execute(
                select(self.table.c.key, self.table.c.value).where(
                    self.table.c.key.startswith(prefix, autoescape=True), self.table.c.expires_at > clock.now(),
                    self.table.c.value.is_not(None),
                )
            )
            return dict(rows.all())


def store() -> Store:
    """The application's store: Redis when REDIS_URL is set, the database otherwise (made once per app)."""
    app = current_app._get_current_object()
    found = app.extensions.get("ephemeral_store")
    if found is None:
        url = app.config.get("REDIS_URL")
        if url:
            import redis

            found = RedisStore(redis.Redis.from_url(url), app.config.get("EPHEMERAL_KEY_PREFIX", "xxzx:"))
        else:
            found = DatabaseStore()
        app.extensions["ephemeral_store"] = found
    return found
