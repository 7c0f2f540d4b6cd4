"""Test setup: one app per run on a fresh database (SQLite by default, TEST_DATABASE_URL for PostgreSQL),
migrated with the real Alembic scripts and seeded with the real roles; every test starts from no data."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import clock

# `make test` runs the suite in several processes (pytest-xdist): on PostgreSQL each gets a database of its own,
# named after TEST_DATABASE_URL's with the worker's name (test_gw0, test_gw1), created on first use.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
_SHARED_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = (_SHARED_DATABASE_URL or "").startswith("postgresql")
TEST_DATABASE_URL = (
    f"{_SHARED_DATABASE_URL.rsplit('?', 1)[0]}_{_XDIST_WORKER}" if ON_POSTGRES and _XDIST_WORKER else _SHARED_DATABASE_URL
)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def pytest_configure(config):
    # WTForms 3.3 deprecates the tuple choices Flask-AppBuilder's own widgets still use; not ours to fix.
    config.addinivalue_line("filterwarnings", "ignore:.*(SelectChoice|Choice instances).*:DeprecationWarning")
    config.addinivalue_line(
        "markers",
        "postgres: needs PostgreSQL (row locks, concurrent connections): skipped on SQLite, but fails when"
        " REQUIRE_POSTGRES is set, as in .ci/run's PostgreSQL pass",
    )


def pytest_runtest_setup(item):
    """A `postgres` test on SQLite skips locally and on .ci/run's SQLite pass; on .ci/run's PostgreSQL pass
    (REQUIRE_POSTGRES=1) a missing PostgreSQL is a failure, since a skip there would hide the test for good."""
    if item.get_closest_marker("postgres") is None or ON_POSTGRES:
        return
    if _flag("REQUIRE_POSTGRES"):
        pytest.fail(f"REQUIRE_POSTGRES is set but TEST_DATABASE_URL is {TEST_DATABASE_URL!r}, not PostgreSQL")
    pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL=postgresql://… (.ci/run's second pass does)")


def _fresh_database_url(tmp: Path) -> str:
    if not TEST_DATABASE_URL:
        return f"sqlite:///{tmp / 'test.db'}"
    url = TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    if TEST_DATABASE_URL != _SHARED_DATABASE_URL:
        _create_worker_database(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _create_worker_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    shared = create_engine(_SHARED_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    with shared.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    shared.dispose()


class RequestIsolatingClient(FlaskClient):
    """Tests run inside an app context, which Flask then reuses for every request, `g` (and the logged-in user
    Flask-Login caches there) included. In production each request has its own: so clear `g` first."""

    # Set by factories.api_client: a token client must never be handed a cookie (its session would authenticate
    # the next request and hide a token that does not work).
    refuses_cookies = False

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        response = super().open(*args, **kwargs)
        if self.refuses_cookies:
            assert "Set-Cookie" not in response.headers, f"{response.request.path} set {response.headers['Set-Cookie']}"
        return response


# `make mutation` runs a pytest session per mutant in processes forked from one that already ran a session: they
# start from a copy of its freshly migrated SQLite file instead of migrating again. One session: no difference.
_MIGRATED_SQLITE: Path | None = None


@pytest.fixture(scope="session")
def app():
    tmp = Path(tempfile.mkdtemp(prefix="portal-test-"))
    os.environ.setdefault("INSTANCE_DIR", str(tmp / "instance"))
    from flask_migrate import upgrade

    from app import create_app
    from app.cli import sync_security
    from app.extensions import db as db_ext

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp),
            "WTF_CSRF_ENABLED": False,
            "UPLOAD_DIR": str(tmp / "uploads"),
            "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
            "DEMO_PASSWORD": "Demo@2026",
            "RATELIMIT_ENABLED": False,  # hundreds of sign-ins from 127.0.0.1; tests/test_rate_limit.py turns it on
            # Tests move the clock by hours and months with a browser signed in: the idle and absolute session
            # timeouts and the periodic password change are off here; tests/test_sessions.py and
            # tests/test_accounts.py turn them on (fixture `security_timeouts`).
            "SESSION_IDLE_MINUTES": 10 * 365 * 24 * 60,
            "SESSION_ABSOLUTE_HOURS": 10 * 365 * 24,
            "PASSWORD_MAX_AGE_DAYS": 0,
            # Background jobs (app/jobs.py) run at once inside the request that starts them; tests/test_jobs.py
            # runs a real worker against SQLite and Redis.
            "JOBS_IMMEDIATE": True,
        }
    )
    app.test_client_class = RequestIsolatingClient
    global _MIGRATED_SQLITE
    database = tmp / "test.db"
    if _MIGRATED_SQLITE is not None and not TEST_DATABASE_URL:
        shutil.copyfile(_MIGRATED_SQLITE, database)
    else:
        with app.app_context():
            upgrade()
            sync_security()
            db_ext.session.remove()
            db_ext.engine.dispose()  # SQLite: the last connection closed writes the -wal into the file copied below
        if not TEST_DATABASE_URL:
            _MIGRATED_SQLITE = tmp / "migrated.db"
            shutil.copyfile(database, _MIGRATED_SQLITE)
    yield app


@pytest.fixture(autouse=True)
def _clean(app):
    """Every test runs in an app context on an empty database (roles and permissions kept)."""
    from app.extensions import db

    with app.app_context():
        yield
        db.session.rollback()
        clock.freeze(None)
        wipe_audit_log(db.session)
        for statement in (
            "DELETE FROM ephemeral_entry",
            "DELETE FROM background_job",
            "DELETE FROM withdrawn_grant",
            "DELETE FROM notification",
            "DELETE FROM objection_event",
            "DELETE FROM objection",
            "DELETE FROM certificate",
            "DELETE FROM campaign_approval",
            "DELETE FROM review_score",
            "DELETE FROM review_assignment",
            "DELETE FROM expert_conflict",
            "DELETE FROM expert_panel_unit",
            "DELETE FROM expert_panel_member",
            "DELETE FROM expert_panel",
            "DELETE FROM rubric_criterion",
            "DELETE FROM review_round",
            "DELETE FROM expert",
            "DELETE FROM application_event",
            "DELETE FROM past_winner",
            "DELETE FROM application",
            "DELETE FROM account_session",
            "DELETE FROM ab_user_role",
            "DELETE FROM ab_user_group",
            "DELETE FROM ab_user",
            "DELETE FROM stage_window",
            "DELETE FROM campaign",
            "DELETE FROM unit WHERE level = 2",
            "DELETE FROM unit",
        ):
            db.session.execute(text(statement))
        db.session.commit()
        db.session.remove()


def wipe_audit_log(session):
    """Empty the audit log between tests. On PostgreSQL a row trigger refuses DELETE on it (append-only, migration
    d7e3a91c5b20); TRUNCATE is not a row event."""
    session.execute(text("TRUNCATE audit_event" if ON_POSTGRES else "DELETE FROM audit_event"))


@pytest.fixture
def roles_restored(app):
    """For tests that change roles' permissions (the editor): every role's grants are put back afterwards."""
    from app.extensions import db

    sm = app.appbuilder.sm
    before = {role.id: [pv.id for pv in role.permissions] for role in sm.get_all_roles()}
    yield
    db.session.rollback()
    for role in sm.get_all_roles():
        role.permissions = [db.session.get(sm.permissionview_model, pv_id) for pv_id in before.get(role.id, [])]
    db.session.execute(text("DELETE FROM withdrawn_grant"))
    db.session.commit()


@pytest.fixture
def db():
    from app.extensions import db

    return db


@pytest.fixture
def csrf_on(app):
    """CSRF protection on, as in production: every form (FAB's action forms too) must carry its token."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def security_timeouts(app):
    """The production values of the session timeouts and the password age (config.py)."""
    import config

    keys = ("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS", "PASSWORD_MAX_AGE_DAYS")
    before = {key: app.config[key] for key in keys}
    app.config.update({key: getattr(config, key) for key in keys})
    yield
    app.config.update(before)


@pytest.fixture
def large_rounds(app):
    """RANKING_LIVE_LIMIT 0: every round counts as large (100,000 applications, tens of seconds to rank), so no request
    computes a ranking: 结束本轮 and 刷新排名 leave it to the figures' background job."""
    previous, app.config["RANKING_LIVE_LIMIT"] = app.config.get("RANKING_LIVE_LIMIT"), 0
    yield
    app.config["RANKING_LIVE_LIMIT"] = previous


@pytest.fixture
def queued_jobs(app, tmp_path):
    """A real queue (SQLite, in the test's folder) that nobody consumes: jobs wait, as in production until the worker
    takes them, and the test runs each with `jobs.run(app, job_id)`. Without it tests run jobs at once."""
    from app import jobs

    immediate = app.extensions["huey"]
    app.extensions["huey"] = jobs.make_huey({**app.config, "JOBS_IMMEDIATE": False, "REDIS_URL": None,
                                             "JOBS_REDIS_URL": None, "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db")},
                                            app)
    yield
    app.extensions["huey"] = immediate


@pytest.fixture
def client(app):
    return app.test_client()


def requires_postgres():
    """Old spelling of `@pytest.mark.postgres`, kept so that branches written against it still mean the same."""
    return pytest.mark.postgres
