"""Every list page other than the application list sends the same number of SQL statements whether its table holds
30 rows or 3,000 (issue 11): no query per row, per related row nor per choice of a filter. Rows are bulk-inserted,
each pointing at its own related rows (unit, account, expert), so a lazy load per row would show as growth."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from app import clock, roles
from app.extensions import db
from app.models import (
    Account,
    Application,
    AuditEvent,
    Expert,
    Objection,
    ReviewAssignment,
    Unit,
)
from tests import factories

_batch = iter(range(1, 1000))


def _id_number(batch, i):
    """A valid number unique per (batch, i): the sequence runs to 999, the birth day moves on after that."""
    birth = date(1950, 1, 1) + timedelta(days=batch * 20 + i // 1000)
    return factories.id_number(birth.strftime("%Y%m%d"), i % 1000)


def _ids(model, column, values):
    return [row_id for (row_id,) in db.session.execute(select(model.id).where(column.in_(values)).order_by(model.id))]


def grow(world, n):
    """n more rows of each kind: second-level units (half under the clerk's district, half under the other), a unit
    account for each, an applicant and a submitted application in each, an expert employed by each, an assignment of
    each application to the world's expert, an objection to each, an audit event by each account."""
    b = next(_batch)
    now = clock.now()
    half = n // 2
    parents = [world["district"].id] * half + [world["other"].id] * (n - half)
    names = [f"街道{b}-{i}" for i in range(n)]
    db.session.execute(insert(Unit), [
        {"name": name, "category": "district", "level": 2, "parent_id": parent, "parent_level": 1, "created_at": now}
        for name, parent in zip(names, parents)])
    unit_ids = _ids(Unit, Unit.name, names)

    def accounts(prefix, role, units):
        usernames = [f"{prefix}{b}x{i}" for i in range(len(units))]
        db.session.execute(insert(Account), [
            {"username": u, "first_name": f"姓名{i}", "last_name": "", "email": f"{u}@accounts.invalid",
             "active": True, "password": "x", "unit_id": unit_id, "security_stamp": "0", "must_change_password": False}
            for i, (u, unit_id) in enumerate(zip(usernames, units))])
        ids = _ids(Account, Account.username, usernames)
        role_id = db.session.scalar(select(factories.db.Model.metadata.tables["ab_role"].c.id).where(
            factories.db.Model.metadata.tables["ab_role"].c.name == role))
        db.session.execute(insert(factories.db.Model.metadata.tables["ab_user_role"]),
                           [{"user_id": i, "role_id": role_id} for i in ids])
        return ids

    clerk_ids = accounts("clerk", roles.L2_CLERK, unit_ids)
    applicant_ids = accounts("citizen", roles.APPLICANT, [None] * n)
    expert_account_ids = accounts("expert", roles.EXPERT, [None] * n)
    db.session.execute(insert(Expert), [
        {"account_id": a, "employer": f"单位{i}", "employer_unit_id": u, "field": "终身教育", "created_at": now}
        for i, (a, u) in enumerate(zip(expert_account_ids, unit_ids))])
    db.session.execute(insert(Application), [
        {"campaign_id": world["campaign"].id, "applicant_id": a, "status": "reported", "name": f"申报人{b}-{i}",
         "gender": "male", "id_number": _id_number(b, i), "mobile": "13911588771", "work_unit": "某单位",
         "position": "职员", "address": "北京", "is_permanent_resident": True, "declaration_confirmed": True,
         "unit_id": u, "deeds": "学习", "created_at": now, "updated_at": now, "submitted_at": now - timedelta(minutes=i)}
        for i, (a, u) in enumerate(zip(applicant_ids, unit_ids))])
    application_ids = _ids(Application, Application.applicant_id, applicant_ids)
    review_round = world["round"]
    db.session.execute(insert(ReviewAssignment), [
        {"round_id": review_round.id, "campaign_id": review_round.campaign_id, "application_id": a,
         "expert_id": world["expert"].id, "status": "assigned", "assigned_at": now, "updated_at": now}
        for a in application_ids])
    db.session.execute(insert(Objection), [
        {"receipt_number": f"Y{b:03d}{i:06d}", "campaign_id": world["campaign"].id, "application_id": a,
         "objector_name": "李四", "objector_phone": "13800138000", "facts": "与事实不符", "status": "received",
         "lodged_at": now - timedelta(minutes=i), "updated_at": now}
        for i, a in enumerate(application_ids)])
    db.session.execute(insert(AuditEvent), [
        {"at": now - timedelta(seconds=i), "actor_id": a, "actor_name": f"clerk{b}x{i}", "ip": "10.0.0.1",
         "action": "unit.update", "object_type": "unit", "object_id": str(u), "object_label": f"街道{b}-{i}",
         "detail": {"unit_id": u, "contact_name": ["甲", "乙"]}, "result": "success"}
        for i, (a, u) in enumerate(zip(clerk_ids, unit_ids))])
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def world():
    campaign = factories.campaign(open_stage="initial_review")
    district, (street,) = factories.district_with_streets(name="海淀区", streets=("中关村街道",))
    other, _ = factories.district_with_streets(name="朝阳区", streets=("望京街道",))
    expert = factories.expert()
    return {
        "campaign": campaign, "district": district, "street": street, "other": other, "expert": expert,
        "round": factories.review_round(campaign),
        "city": factories.account(roles.CITY_OFFICE),
        "auditor": factories.account(roles.AUDITOR),
        "sysadmin": factories.account(roles.SYSTEM_ADMIN),
        "l1": factories.account(roles.L1_CLERK, unit=district),
    }


# (role key in world, path, a text the full page shows): the pages whose rows grow with the campaign.
PAGES = [
    ("auditor", "/audit/list/", "审计日志"),
    ("city", "/units/second-level/list/", "二级单位"),
    ("l1", "/units/second-level/list/", "二级单位"),
    ("city", "/accounts/list/", "单位账号"),
    ("l1", "/accounts/list/", "单位账号"),
    ("sysadmin", "/users/list/", "clerk"),
    ("city", "/experts/list/", "评审专家"),
    ("city", "/expert-conflicts/list/", "回避关系"),  # its expert filter: every expert, by name
    ("city", "/expert-conflicts/add", "登记回避关系"),  # every expert and unit; applicants searched as typed
    ("expert", "/expert/", "评审"),
    ("city", "/review-records/", "评审"),
    ("city", "/objections/list/", "异议"),
    ("city", "/review-progress/", "评审"),
    ("city", "/review-assignments/", "评审分配"),  # the round's assignments, a page at a time
    ("city", "/ranking/", "排名"),
]


def _user(world, key):
    return world["expert"].account if key == "expert" else world[key]


def _statements(client, path, text):
    response = []
    count = factories.count_statements(lambda: response.append(client.get(path)))
    assert response[0].status_code == 200, (path, response[0].status_code)
    assert text in response[0].get_data(as_text=True), path
    return count


def test_statements_do_not_grow_with_rows(app, world):
    """Each page as the role that uses it: the same count at 30 rows as at 3,000 (each measured after a warm-up
    request, so what a request caches in the session, such as the signed-in user, is not counted twice)."""
    clients = {}
    for who in {who for who, _path, _text in PAGES}:
        clients[who] = app.test_client()
        factories.login(clients[who], _user(world, who))

    def measure():
        counts = {}
        for who, path, text in PAGES:
            _statements(clients[who], path, text)
            counts[who, path] = _statements(clients[who], path, text)
        return counts

    grow(world, 30)
    few = measure()
    grow(world, 2970)
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.level == 2)) >= 3000
    many = measure()
    grown = {key: (few[key], many[key]) for key in few if many[key] != few[key]}
    assert not grown, f"statements at 30 rows, at 3,000: {grown}"


def test_unit_accounts_are_searched_by_unit_name_within_scope(app, world):
    """The search form's 所属单位 is a typed part of the unit's name (no dropdown of every unit); the result stays
    within the clerk's scope: another district's street is never found."""
    mine = factories.account(roles.L2_CLERK, unit=world["street"], username="zgc-clerk")
    wangjing = db.session.query(Unit).filter_by(name="望京街道").one()
    factories.account(roles.L2_CLERK, unit=wangjing, username="wj-clerk")
    grow(world, 30)
    client = app.test_client()
    factories.login(client, world["l1"])
    factories.unit(name="无账号街道", parent=world["district"])
    page = client.get("/accounts/list/").get_data(as_text=True)
    assert "无账号街道" not in page, "the search form no longer lists every unit"
    found = client.get("/accounts/list/?_flt_0_unit=中关村").get_data(as_text=True)
    assert mine.username in found and "wj-clerk" not in found
    assert "wj-clerk" not in client.get("/accounts/list/?_flt_0_unit=望京").get_data(as_text=True)
    city = app.test_client()
    factories.login(city, world["city"])
    assert "wj-clerk" in city.get("/accounts/list/?_flt_0_unit=望京").get_data(as_text=True)
    assert "zgc-clerk" not in city.get("/accounts/list/?_flt_0_unit=望京").get_data(as_text=True)


def test_experts_are_searched_by_employer_unit_name(app, world):
    grow(world, 30)
    employed = db.session.query(Expert).filter(Expert.employer_unit_id.isnot(None)).order_by(Expert.id).all()
    wanted, other = employed[7], employed[8]
    client = app.test_client()
    factories.login(client, world["city"])
    page = client.get(f"/experts/list/?_flt_0_employer_unit={wanted.employer_unit.name}").get_data(as_text=True)
    assert wanted.account.username in page and other.account.username not in page


def test_audit_log_counts_at_most_ten_thousand_and_filters_on_the_result(app, world):
    from app.views.audit import LIST_COUNT_CAP

    now = clock.now()
    db.session.execute(insert(AuditEvent), [
        {"at": now, "actor_name": f"who-{i}-", "action": "account.signin", "object_type": "account",
         "detail": {}, "result": "refused" if i < 3 else "success"} for i in range(LIST_COUNT_CAP + 5)])
    db.session.commit()
    client = app.test_client()
    factories.login(client, world["auditor"])
    page = client.get("/audit/list/").get_data(as_text=True)
    assert "超过 10,000 条" in page
    refused = client.get("/audit/list/?_flt_3_result=refused").get_data(as_text=True)
    # Names no account on the page shares (the auditor's own "user914" held "user9").
    assert "超过" not in refused and refused.count("who-") == 3 and "who-9-" not in refused
