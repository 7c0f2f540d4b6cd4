"""The review list (评审推荐, app/views/applications.py) at scale: a fixed, small number of SQL statements per page
whatever the number of applications, for the city office, a district clerk and a street clerk; permissions read
once per request yet changed at once; only the listed columns read; on PostgreSQL, the street's first page served
by an index (migration e4b8c2d61f07)."""
import json
import re
from datetime import datetime, timedelta

import pytest
from flask import current_app
from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy import and_, event, insert, select, text

from app import notifications, roles
from app.extensions import db
from app.models import Account, Application
from tests import factories
from tests.conftest import ON_POSTGRES

LIST = "/applications/list/"
# What a page may send at most here (main sent 38 to 52). Served by gunicorn a page also loads the account with its
# roles and groups (one statement), which this test's session already holds: bench/list_view.py counts 9 to 12.
MOST_STATEMENTS = 7
# Street, district and city see these states differently: a street its own not-yet-forwarded and forwarded ones,
# the district only the forwarded ones (and beyond).
STATES = ("submitted", "l2_recommended", "l2_forwarded", "reported")


@pytest.fixture
def world():
    district, streets = factories.district_with_streets()
    campaign = factories.campaign()
    return {
        "campaign": campaign,
        "streets": streets,
        "users": {
            "city": factories.account(roles.CITY_OFFICE),
            "l1": factories.account(roles.L1_CLERK, unit=district),
            "l2": factories.account(roles.L2_CLERK, unit=streets[0]),
        },
    }


def add_applications(world, n: int) -> None:
    """n submitted applications (and their applicants) in bulk, spread over both streets and the states above."""
    start = db.session.scalar(select(db.func.count(Account.id)))
    db.session.execute(insert(Account), [
        {"username": f"bulk{start + i}", "first_name": f"申报人{start + i}", "last_name": "",
         "email": f"bulk{start + i}@example.invalid", "active": True, "password": "x"}
        for i in range(n)
    ])
    ids = db.session.scalars(select(Account.id).where(Account.username.like("bulk%")).order_by(Account.id.desc())
                             .limit(n)).all()
    base = datetime(2026, 3, 1, 9, 0)
    db.session.execute(insert(Application), [
        {"campaign_id": world["campaign"].id, "applicant_id": applicant, "status": STATES[i % len(STATES)],
         "name": f"申报人{applicant}", "gender": "male", "birth_date": born(applicant),
         "id_number": factories.id_number(f"{born(applicant):%Y%m%d}", sequence=2 * (applicant % 500) + 1), "mobile": "13911588771", "work_unit": "北京某单位",
         "position": "职员", "address": "北京市", "is_permanent_resident": True, "declaration_confirmed": True,
         "deeds": "坚持终身学习。" * 100, "unit_id": world["streets"][i % 2].id,
         "submitted_at": base + timedelta(minutes=i), "created_at": base, "updated_at": base}
        for i, applicant in enumerate(ids)
    ])
    db.session.commit()
    if ON_POSTGRES:
        db.session.execute(text("ANALYZE application"))
        db.session.commit()


def born(applicant: int):
    return datetime(1950, 1, 1).date() + timedelta(days=applicant // 500)


def statements_of(client, url=LIST) -> list[tuple[str, object]]:
    """The SQL statements (with their parameters) one GET of url sends, after a first GET has warmed the app up."""
    assert client.get(url).status_code == 200
    sent = []
    listener = lambda _conn, _cursor, statement, parameters, *_: sent.append((statement, parameters))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return sent


@pytest.mark.parametrize("who", ["city", "l1", "l2"])
def test_the_list_sends_as_many_statements_at_3000_applications_as_at_30(client, world, who):
    factories.login(client, world["users"][who])
    add_applications(world, 30)
    few = statements_of(client)
    add_applications(world, 2970)
    many = statements_of(client)
    assert len(many) == len(few) <= MOST_STATEMENTS, [s for s, _ in many]
    # Deep in the list and filtered by state, too.
    assert len(statements_of(client, LIST + "?page_ApplicationView=50")) == len(few)
    assert len(statements_of(client, LIST + "?_flt_0_status=reported")) == len(few)
    assert "申报人" in client.get(LIST).text


def test_permissions_are_read_once_per_page_and_a_withdrawn_one_applies_to_the_next_page(client, world, roles_restored):
    sm = current_app.appbuilder.sm
    factories.login(client, world["users"]["l2"])
    add_applications(world, 4)
    sent = [s for s, _ in statements_of(client)]
    assert sum("ab_permission_view" in s for s in sent) == 1, sent
    role = sm.find_role(roles.L2_CLERK)
    read = sm.find_permission_view_menu("can_read", "Application")
    sm.del_permission_role(role, read)
    assert client.get(LIST).status_code in (302, 403)
    sm.add_permission_role(role, read)
    assert client.get(LIST).status_code == 200


def test_a_permission_changed_during_a_request_applies_to_what_it_asks_next(app, world, roles_restored):
    """has_access answers from the permissions read once per request; a grant or withdrawal committed by the same
    request is seen by the next question (the request cache is forgotten at every commit)."""
    from flask_login import login_user

    sm = current_app.appbuilder.sm
    role, clerk = sm.find_role(roles.L2_CLERK), world["users"]["l2"]
    audit = sm.find_permission_view_menu("menu_access", "AuditLog")
    with app.test_request_context(LIST):
        login_user(clerk)
        sm.before_request()
        assert sm.has_access("can_read", "Application") and not sm.has_access("menu_access", "AuditLog")
        sm.add_permission_role(role, audit)
        assert sm.has_access("menu_access", "AuditLog")
        sm.del_permission_role(role, sm.find_permission_view_menu("can_read", "Application"))
        assert not sm.has_access("can_read", "Application")


def test_the_menu_shows_what_the_role_may_open_and_follows_a_change_at_once(client, world, roles_restored):
    """The menu is rendered once per process for each set of visible entries: a street clerk's holds 提交情况 but not
    审计日志; given 审计日志, the very next page shows it, and taken away again, hides it."""
    sm = current_app.appbuilder.sm
    role = sm.find_role(roles.L2_CLERK)
    audit = [sm.find_permission_view_menu("menu_access", name) for name in ("Audit", "AuditLog")]  # category, entry
    factories.login(client, world["users"]["l2"])
    menu = lambda: client.get(LIST).text.split("</nav>")[0]  # noqa: E731
    assert "提交情况" in menu() and "审计日志" not in menu()
    for grant in audit:
        sm.add_permission_role(role, grant)
    assert "审计日志" in menu()
    sm.del_permission_role(role, audit[1])
    assert "审计日志" not in menu() and "提交情况" in menu()


def test_the_signed_in_account_comes_with_its_roles_and_groups_in_one_statement(world):
    sm = current_app.appbuilder.sm
    clerk_id = world["users"]["l2"].id
    db.session.expunge_all()
    loaded = []
    assert factories.count_statements(lambda: loaded.append(sm.get_user_by_id(clerk_id))) == 1
    assert factories.count_statements(lambda: (loaded[0].role_names, list(loaded[0].groups))) == 0
    assert loaded[0].role_names == {roles.L2_CLERK}


def test_a_signed_in_page_reads_its_account_session_and_unread_count_in_one_statement(client, world):
    clerk = world["users"]["l2"]
    factories.login(client, clerk)
    notifications.notify([clerk], "returned", "有一份报名被退回", "请查看", "/applications/list/")
    db.session.commit()
    sent = [" ".join(s.split()).lower() for s, _ in statements_of(client)]
    first = sent[0]
    assert "from ab_user" in first and "account_session" in first and "from notification" in first, first
    assert not [s for s in sent[1:] if "account_session" in s or "from notification" in s], sent
    assert re.search(r'class="badge notification-count">1<', client.get(LIST).text)


def test_the_progress_is_counted_once_and_the_deeds_are_not_read(client, world):
    factories.login(client, world["users"]["l2"])
    add_applications(world, 8)
    sent = [" ".join(s.split()).lower() for s, _ in statements_of(client)]
    # Counted once, from the tallies per (campaign, unit, status) (app/tallies.py), not over the applications.
    assert sum("group by application_tally.status" in s for s in sent) == 1, sent
    assert not any("group by application.status" in s for s in sent), sent
    listed = [s for s in sent if s.startswith("select application.id")]
    assert listed and all("deeds" not in s for s in listed), listed


def test_the_city_office_reads_no_progress_panel_it_does_not_show(client, world):
    """The 评审进度 panel is a unit's: the city office's page asks nothing of it (no tallies by state, submission or
    quota), and shows none. Campaigns are read with the signed-in account only (their dates' fingerprint,
    app/schedule.py), for the 评选批次 filter and the rows' windows alike."""
    factories.login(client, world["users"]["city"])
    add_applications(world, 4)
    sent = [" ".join(s.split()).lower() for s, _ in statements_of(client)]
    panel = ("group by application_tally.status", "unit_submission", "recommendation_quota")
    assert not [s for s in sent if any(part in s for part in panel)], sent
    assert [s for s in sent if "from campaign" in s] == sent[:1] and "from ab_user" in sent[0], sent
    assert 'class="panel panel-default review-progress"' not in client.get(LIST).text


@pytest.mark.postgres
def test_a_streets_first_page_is_read_through_an_index(client, world):
    factories.login(client, world["users"]["l2"])
    add_applications(world, 3000)
    listed = [(s, p) for s, p in statements_of(client) if " ".join(s.split()).lower().startswith("select application.id")]
    assert listed
    statement, parameters = listed[0]
    with db.engine.connect() as connection:
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
    # Read in the list's order from one of the list's indexes (with two streets the planner may walk the whole
    # list's index and skip the other street's rows): no scan of the table, no sort of the street's rows.
    assert "Seq Scan on application" not in plan and "Sort" not in plan, plan
    assert "Index Scan Backward using ix_application_" in plan, plan


def test_the_status_is_searched_by_its_chinese_name_and_equality(client, world):
    factories.login(client, world["users"]["l2"])
    add_applications(world, 8)  # the clerk's street holds 4: submitted, l2_forwarded, submitted, l2_forwarded
    page = client.get(LIST).text
    # A choice of the status filter, by its Chinese name (FAB writes the search form into a script, JSON-escaped),
    # whose operators are 等于 and 属于 (several states), no "starts with".
    assert json.dumps("二级单位拟推荐（未提交）")[1:-1] in page
    assert json.dumps({"status": ["等于", "属于"]})[1:-1] in page
    rows = lambda html: len(re.findall(r'name="rowid"', html))  # noqa: E731
    assert rows(page) == 4
    assert rows(client.get(LIST + "?_flt_0_status=submitted").text) == 2
    # Equality: a prefix names no state.
    assert rows(client.get(LIST + "?_flt_0_status=l2_").text) == 0


def test_the_unit_filter_is_searched_on_demand_within_the_scope(client, world):
    other_district, other_streets = factories.district_with_streets("朝阳区", ("望京街道", "三里屯街道"))
    factories.login(client, world["users"]["l1"])
    page = client.get(LIST).text
    assert "学院路街道" not in page and "望京街道" not in page  # no unit preloaded into the filter
    found = client.get("/applications/api/units", query_string={"q": "学院"}).json["results"]
    assert [unit["text"] for unit in found] == ["海淀区 · 学院路街道"]
    assert client.get("/applications/api/units", query_string={"q": "望京"}).json["results"] == []
    everything = {unit["text"] for unit in client.get("/applications/api/units").json["results"]}
    assert everything == {"海淀区", "海淀区 · 中关村街道", "海淀区 · 学院路街道"}
    # A filter applied shows its unit (and only it) as the chosen option; one outside the scope shows none.
    street = world["streets"][1]
    filtered = client.get(LIST, query_string={"_flt_0_unit": street.id}).text
    # (FAB writes the search form into a script, JSON-escaped.)
    assert htmlsafe_json_dumps(f'<option value="{street.id}">海淀区 · 学院路街道</option>')[1:-1] in filtered
    outside = client.get(LIST, query_string={"_flt_0_unit": other_streets[0].id}).text
    assert htmlsafe_json_dumps("望京街道")[1:-1] not in outside and 'name="rowid"' not in outside
    client.get("/logout/")
    factories.login(client, world["users"]["l2"])
    assert [u["text"] for u in client.get("/applications/api/units").json["results"]] == ["海淀区 · 中关村街道"]


def test_a_filter_operator_the_status_no_longer_has_is_a_clear_400(client, world):
    factories.login(client, world["users"]["city"])
    for old in ("_flt_3_status", "_flt_8_status", "_flt_2_status"):  # FAB's text 等于 and 属于 (old links)
        response = client.get(LIST, query_string={old: "submitted"})
        assert response.status_code == 400 and "请求有误" in response.text, old
    assert client.get(LIST, query_string={"_flt_1_status": "submitted"}).status_code == 200


def test_a_visitors_page_reads_the_public_permissions_once(client):
    """Every page's menu asks what a visitor may open, once per menu entry: read once per request (main: 18)."""
    assert client.get("/contact/").status_code == 200
    assert factories.count_statements(lambda: client.get("/contact/")) <= 3


def test_the_states_and_the_page_size_are_written_into_the_sql(client, world):
    """app/prepared.py's written(): the scope's states, the state filtered on and LIMIT are in the statement's text
    (so that PostgreSQL can keep one plan per statement that uses the right index), the user's own words are not."""
    factories.login(client, world["users"]["l1"])
    add_applications(world, 8)

    def listed(url):
        return [" ".join(s.split()) for s, _ in statements_of(client, url)
                if " ".join(s.split()).lower().startswith("select application.id")]

    (first,) = listed(LIST)
    assert "'l2_forwarded', 'l1_recommended'" in first and " LIMIT 25" in first, first
    # The first-level unit too (a few dozen, of very different sizes); a street (hundreds) stays a parameter.
    assert f"unit.parent_id = {world['users']['l1'].unit_id}" in first, first
    (reported,) = listed(LIST + "?_flt_0_status=reported")
    assert "application.status = 'reported'" in reported, reported
    (named,) = listed(LIST + "?_flt_2_name=" + "申报人")
    assert "申报人" not in named, named  # a name searched is a parameter, as before
    client.get("/logout/")
    factories.login(client, world["users"]["l2"])
    (street,) = listed(LIST)
    assert f"application.unit_id = {world['users']['l2'].unit_id}" not in street, street


def test_a_state_that_is_none_is_searched_as_a_parameter_and_finds_nothing(client, world):
    factories.login(client, world["users"]["city"])
    add_applications(world, 4)
    page = client.get(LIST + "?_flt_0_status=reported'--")
    assert page.status_code == 200 and "申报人" not in page.text


@pytest.mark.postgres
def test_postgresql_keeps_one_plan_for_a_street_clerks_list(client, world):
    """Once psycopg prepares the list's statement (its sixth run on a connection), PostgreSQL plans it once for
    every later page: with the states written into the SQL its plan can use the partial indexes. With them as
    parameters it planned the statement anew at every request."""
    factories.login(client, world["users"]["l2"])
    add_applications(world, 300)
    for _ in range(12):
        assert client.get(LIST).status_code == 200
    plans = db.session.execute(text(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
        " WHERE statement LIKE 'SELECT application.id%'")).all()
    assert plans and max(generic for generic, _custom in plans) > 0, plans


def listed_names(html: str) -> list[str]:
    return re.findall(r'class="row-name">([^<]+)</a>', html)


def expected_names(where, offset=0) -> list[str]:
    """The first-page names the database holds for a scope, in the list's order."""
    return db.session.scalars(select(Application.name).where(where, Application.status != "draft")
                              .order_by(Application.submitted_at.desc(), Application.id.desc())
                              .limit(25).offset(offset)).all()


def test_a_kept_statement_serves_each_clerk_the_rows_of_their_own_scope(app, world):
    """The list's statement is kept per process for a scope, its filters and its order (app/views/applications.py):
    two street clerks and the district clerk, taking turns in one process, each read their own rows, also filtered."""
    add_applications(world, 120)
    street_a, street_b = world["streets"]
    clerk_b = factories.account(roles.L2_CLERK, unit=street_b)
    clients = {}
    for who, account in (("a", world["users"]["l2"]), ("b", clerk_b), ("district", world["users"]["l1"])):
        clients[who] = factories.login(app.test_client(), account)
    visible = {"a": Application.unit_id == street_a.id, "b": Application.unit_id == street_b.id,
               "district": Application.status.in_(["l2_forwarded", "reported"])}
    for _ in range(2):
        for who, client in clients.items():
            assert listed_names(client.get(LIST).text) == expected_names(visible[who]), who
            filtered = client.get(LIST + "?_flt_0_status=reported").text
            assert listed_names(filtered) == expected_names(and_(visible[who], Application.status == "reported"))


def test_each_page_of_a_kept_statement_shows_its_own_rows(client, world):
    """The first page's statement has no offset and a later page's takes it as a parameter: page 2, page 3, and
    page 2 again each show their own 25 rows."""
    add_applications(world, 120)
    factories.login(client, world["users"]["l2"])
    mine = Application.unit_id == world["streets"][0].id
    for page in (1, 2, 1, 0):
        html = client.get(f"{LIST}?page_ApplicationView={page}").text
        assert listed_names(html) == expected_names(mine, offset=25 * page), page
