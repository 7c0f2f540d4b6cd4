"""Races that only a real server shows: PostgreSQL, several connections at once."""
import threading
from datetime import datetime

import pytest

from app import clock, roles
from app.extensions import db
from app.models import Account, Stage, Unit
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)
pytestmark = pytest.mark.postgres


def race(app, n, request):
    """Run request(client) in n threads released together; returns their responses."""
    barrier = threading.Barrier(n)
    responses = [None] * n

    def worker(i):
        with app.app_context():
            barrier.wait()
            responses[i] = request(i)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return responses


def test_two_clerks_creating_the_same_street_at_once_get_one_unit(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    district = factories.unit(name="海淀区")
    clerks = [factories.account(roles.L1_CLERK, unit=district) for _ in range(2)]
    clients = [factories.login(app.test_client(), clerk) for clerk in clerks]

    responses = race(app, 2, lambda i: clients[i].post("/api/v1/unit/", json={"name": "上地街道", "parent": district.id}))
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 201 and statuses[1] in (409, 422), [r.json for r in responses]
    db.session.expire_all()
    assert db.session.query(Unit).filter_by(name="上地街道").count() == 1


def test_two_accounts_with_one_username_at_once_get_one_account(app):
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    city = [factories.account(roles.CITY_OFFICE) for _ in range(2)]
    clients = [factories.login(app.test_client(), c) for c in city]

    def create(i):
        return clients[i].post("/accounts/add", data={"unit": street.id, "username": "l2-same", "first_name": f"甲{i}"})

    race(app, 2, create)
    db.session.expire_all()
    assert db.session.query(Account).filter_by(username="l2-same").count() == 1


def test_fifty_parallel_recommendations_make_one_decision_and_one_audit_event(app):
    from app.models import ApplicationEvent, AuditEvent

    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    application = factories.application(unit=street)
    clerk = factories.account(roles.L2_CLERK, unit=street)
    clients = [factories.login(app.test_client(), clerk) for _ in range(50)]

    def recommend(i):
        return clients[i].post(
            "/applications/decide", data={"decision": "recommend", "ids": application.id, "opinion": f"同意{i}"}
        )

    responses = race(app, 50, recommend)
    assert all(r is not None and r.status_code == 302 for r in responses)
    db.session.expire_all()
    assert db.session.query(ApplicationEvent).filter_by(application_id=application.id).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="application.l2_recommend").count() == 1


def test_two_clerks_racing_for_the_last_quota_place_one_wins(app):
    from app.models import Application, RecommendationQuota

    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    db.session.add(RecommendationQuota(campaign=campaign, level=2, max_recommended=1))
    db.session.commit()
    applications = [factories.application(unit=street) for _ in range(2)]
    clients = [factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street)) for _ in range(2)]

    def recommend(i):
        return clients[i].post(
            "/applications/decide", data={"decision": "recommend", "ids": applications[i].id, "opinion": "同意"}
        )

    race(app, 2, recommend)
    db.session.expire_all()
    statuses = sorted(db.session.get(Application, a.id).status for a in applications)
    assert statuses == ["l2_recommended", "submitted"]
