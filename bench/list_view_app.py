"""The portal as gunicorn serves it (run.py's app), plus what bench/list_view.py measures it against, in the same
workers: a **floor** route, the same 25 rows of the same scope fetched by bare SQL and rendered by a trivial Jinja
template, and an `X-Bench-Statements` header on every answer (the SQL statements the request sent) and `X-Bench-CPU-ms` (the
worker's CPU time for it, from the first before_request hook to the last after_request one).

    gunicorn --chdir <checkout> --pythonpath bench list_view_app:app     (bench/list_view.py starts it)
    python bench/list_view_app.py setup                                  (the bench accounts; prints JSON)

The checkout served is whatever directory gunicorn runs in (`--chdir`): this one, or another (main, for "before").
"""
import json
import os
import sys
import time

if __name__ == "__main__":  # `setup`: run from the checkout's directory, like gunicorn
    sys.path.insert(0, os.getcwd())

from flask import abort, g, render_template, request
from sqlalchemy import event, text

from run import app

from app.extensions import db

PAGE_SIZE = 25
# The review list's scopes as bare SQL (app/scoping.py's identity_clause, written out by hand).
L1_VISIBLE = ("l2_forwarded", "l1_recommended", "l1_not_recommended", "reported", "l1_rejected", "shortlisted",
              "candidate", "featured", "withdrawn", "winner", "featured_winner")
SCOPES = {
    "city": "a.status <> 'draft'",
    "l2": "a.status <> 'draft' AND a.unit_id = :unit",
    "l1": "a.status IN ({}) AND a.unit_id IN (SELECT id FROM unit WHERE parent_id = :unit)".format(
        ", ".join(f"'{s}'" for s in L1_VISIBLE)),
}
FLOOR_TEMPLATE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>floor</title></head><body><table>
<tr><th>姓名</th><th>证件号</th><th>性别</th><th>工作单位</th><th>推荐单位</th><th>状态</th><th>提交时间</th></tr>
{% for r in rows %}<tr><td>{{ r.name }}</td><td>{{ r.id_number[:6] }}********{{ r.id_number[-4:] }}</td>
<td>{{ '男' if r.gender == 'male' else '女' }}</td><td>{{ r.work_unit }}</td><td>{{ r.parent }} · {{ r.unit }}</td>
<td>{{ r.status }}</td><td>{{ r.submitted_at }}</td></tr>{% endfor %}</table></body></html>"""


def _floor():
    scope = SCOPES.get(request.args.get("scope", ""))
    if scope is None:
        abort(404)
    where, params = scope, {"unit": request.args.get("unit", type=int),
                            "offset": request.args.get("page", 0, type=int) * PAGE_SIZE}
    if request.args.get("status"):
        where += " AND a.status = :status"
        params["status"] = request.args["status"]
    rows = db.session.execute(text(
        "SELECT a.id, a.name, a.id_number, a.gender, a.work_unit, u.name AS unit, p.name AS parent, a.status,"
        " a.submitted_at FROM application a JOIN unit u ON u.id = a.unit_id LEFT JOIN unit p ON p.id = u.parent_id"
        f" WHERE {where} ORDER BY a.submitted_at DESC, a.id DESC LIMIT {PAGE_SIZE} OFFSET :offset"), params).all()
    return render_template(_FLOOR, rows=rows)


# Compiled once per process, as Flask keeps a template file once loaded, and rendered through render_template (context
# processors and signals as for any page). render_template_string compiled it anew at every request (Jinja keeps no
# compiled string templates): 2–5 ms of the floor's CPU in one process that no page pays.
_FLOOR = app.jinja_env.from_string(FLOOR_TEMPLATE)


app.add_url_rule("/bench-floor/", "bench_floor", _floor)

with app.app_context():
    _engine = db.engine


@app.before_request
def _cpu_start():
    g.bench_cpu = time.thread_time()


@event.listens_for(_engine, "before_cursor_execute")
def _count(*_args):
    g.bench_statements = g.get("bench_statements", 0) + 1


@app.after_request
def _statements_header(response):
    response.headers["X-Bench-Statements"] = str(g.get("bench_statements", 0))
    # The worker's own CPU time for the request (not the database's): steadier than wall time on a busy machine.
    if "bench_cpu" in g:
        response.headers["X-Bench-CPU-ms"] = f"{(time.thread_time() - g.bench_cpu) * 1000:.2f}"
    return response


def setup(password: str) -> dict:
    """Accounts for the city office, the district and the street with the most listed applications (made once,
    password reset each run); what each one's list holds."""
    from werkzeug.security import generate_password_hash

    from app import clock, roles
    from app.models import Account, Unit

    sm = app.appbuilder.sm
    street_id = db.session.execute(text(
        "SELECT unit_id FROM application WHERE status <> 'draft' GROUP BY unit_id ORDER BY count(*) DESC LIMIT 1"
    )).scalar_one()
    street = db.session.get(Unit, street_id)
    district = street.parent
    made = {}
    for who, role, unit in (("city", roles.CITY_OFFICE, None), ("l1", roles.L1_CLERK, district),
                            ("l2", roles.L2_CLERK, street)):
        username = f"bench_{who}"
        account = db.session.query(Account).filter_by(username=username).one_or_none()
        if account is None:
            account = Account(username=username, first_name=f"基准{who}", last_name="",
                              email=f"{username}@example.invalid", active=True)
            db.session.add(account)
        account.roles, account.unit = [sm.find_role(role)], unit
        account.password = generate_password_hash(password, method="pbkdf2:sha256:1000")
        account.must_change_password, account.password_changed_at = False, clock.now()
        made[who] = {"username": username, "unit": unit.id if unit else None}
    db.session.commit()
    for who, scope in SCOPES.items():
        made[who]["rows"] = db.session.execute(
            text(f"SELECT count(*) FROM application a WHERE {scope}"), {"unit": made[who]["unit"]}).scalar_one()
    return made


if __name__ == "__main__" and sys.argv[1:2] == ["setup"]:
    with app.app_context():
        print(json.dumps(setup(sys.argv[2])))
