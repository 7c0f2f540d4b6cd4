"""Benchmark: every list page other than the application list, as the role that uses it, against /contact/.

    DATABASE_URL=postgresql+psycopg://…/bench_lists2 .venv/bin/python bench/list_pages.py [--repeat 20]
        [--audit-rows 500000] [--only /ranking/ --only /review-progress/]

Runs against the database DATABASE_URL names, already filled (`flask demo load`, then `flask demo generate
--applications 100000`); --audit-rows bulk-inserts audit events until the log holds that many (it never deletes).
In-process through Flask's test client (no network, no server: what is measured is the app's own work), signed in
with the demo accounts (DEMO_PASSWORD), the median and p95 wall time of --repeat GETs of each page, its ratio to the
baseline's median (`/contact/`, the 联系我们 page: FAB's layout, no query of ours) and its SQL statements.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (demo account, path): a filtered page and a deep page where the list has filters and pages.
PAGES = [
    (None, "/contact/"),
    ("auditor", "/audit/list/"),
    ("auditor", "/audit/list/?_flt_3_result=refused"),
    ("auditor", "/audit/list/?_flt_3_action=review.assign"),
    ("auditor", "/audit/list/?page_AuditEventView=300"),
    ("city", "/units/second-level/list/"),
    ("l1-haidian", "/units/second-level/list/"),
    ("city", "/accounts/list/"),
    ("l1-haidian", "/accounts/list/"),
    ("sysadmin", "/users/list/"),
    ("city", "/experts/list/"),
    ("city", "/expert-panels/list/"),
    ("city", "/expert-conflicts/list/"),
    ("expert1", "/expert/"),
    ("city", "/review-records/"),
    ("city", "/objections/list/"),
    ("city", "/review-progress/"),
    ("city", "/ranking/"),
    # Pages that read a whole campaign (a count, a dropdown) as well as their rows.
    ("city", "/expert-conflicts/add"),
    ("city", "/review-assignments/"),
    ("city", "/dashboard/"),
    ("l1-haidian", "/dashboard/"),
    ("city", "/submissions/list/"),
]


def OwnRequestClient(*args, **kwargs):
    """Flask's test client, clearing `g` before each request: every client runs inside the one app context, and
    Flask-Login caches the signed-in user in `g` (as tests/conftest.py's client does)."""
    from flask import g, has_app_context
    from flask.testing import FlaskClient

    class Client(FlaskClient):
        def open(self, *a, **kw):
            if has_app_context():
                g.__dict__.clear()
            return super().open(*a, **kw)

    return Client(*args, **kwargs)


def fill_audit(db, target):
    from sqlalchemy import func, insert, select

    from app import clock
    from app.models import AuditEvent

    have = db.session.scalar(select(func.count()).select_from(AuditEvent))
    actions = ["account.signin", "unit.update", "application.l2_recommend", "review.save", "export.applications"]
    now = clock.now()
    while have < target:
        n = min(20_000, target - have)
        db.session.execute(insert(AuditEvent), [
            {"at": now, "actor_name": f"user{i % 400}", "ip": "10.0.0.1", "action": actions[i % len(actions)],
             "object_type": "application", "object_id": str(i), "object_label": f"申报人{i}",
             "detail": {"from_status": "submitted", "to_status": "l2_recommended"},
             "result": "refused" if i % 1000 == 0 else "success"} for i in range(have, have + n)])
        db.session.commit()
        have += n
    return have


def timed(client, path, repeat, db):
    from sqlalchemy import event

    statements = []
    listener = lambda *a: statements.append(1)  # noqa: E731
    client.get(path)  # warm
    times = []
    for _ in range(repeat):
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", listener)
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200, (path, response.status_code)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times) * 1000, p95 * 1000, len(statements)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--audit-rows", type=int, default=0)
    parser.add_argument("--only", action="append", default=[],
                        help="Measure only the pages whose path contains this (repeatable); /contact/ always.")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL: the filled database to measure")
    import logging

    from app import create_app
    from app.extensions import db

    logging.disable(logging.WARNING)
    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    app.test_client_class = OwnRequestClient
    password = app.config.get("DEMO_PASSWORD") or "Demo@2026"
    with app.app_context():
        from sqlalchemy import func, select

        from app.models import Application, AuditEvent

        if args.audit_rows:
            fill_audit(db, args.audit_rows)
        applications = db.session.scalar(select(func.count()).select_from(Application))
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    print(f"list pages: {applications:,} applications, {events:,} audit events, {args.repeat} requests each")
    clients = {}
    rows = []
    base = None
    with app.app_context():
        for who, path in PAGES:
            if args.only and who is not None and not any(part in path for part in args.only):
                continue
            if who not in clients:
                client = clients[who] = app.test_client()
                if who is not None:
                    response = client.post("/login/", data={"username": who, "password": password})
                    assert response.status_code == 302, (who, response.status_code)
            if not rows:
                print(f"{'as':<12} {'page':<46} {'median ms':>10} {'p95 ms':>8} {'ratio':>6} {'SQL':>4}", flush=True)
            try:
                median, p95, statements = timed(clients[who], path, args.repeat, db)
            except AssertionError as failed:
                print(f"{who or '-':<12} {path:<46} failed: {failed}", flush=True)
                continue
            base = base or median
            rows.append((who, path))
            print(f"{who or '-':<12} {path:<46} {median:>10.1f} {p95:>8.1f} {median / base:>6.1f} {statements:>4}",
                  flush=True)


if __name__ == "__main__":
    main()
