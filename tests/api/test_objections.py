"""/api/v1/objection/ with a Bearer token and no cookie: the city office lists, reads and handles objections; no
other role reads a single one."""
from datetime import datetime

import pytest

from app import clock, roles
from app.extensions import db
from app.models import Objection, Stage
from tests import factories

NOW = datetime(2026, 7, 10, 10, 0)


@pytest.fixture
def world():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.PUBLICITY, at=NOW)
    first, second = factories.candidates(2, campaign)
    return {"received": factories.objection(first, objector_name="王五", objector_phone="13612345678"),
            "concluded": factories.objection(second, status="concluded"), "first": first}


def test_the_city_office_lists_and_reads_with_chinese_labels(app, world):
    api = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    listed = api.get("/api/v1/objection/").json
    assert listed["count"] == 2
    assert listed["label_columns"]["receipt_number"] == "回执编号"
    assert listed["label_columns"]["status_label"] == "办理状态"
    by_receipt = {row["receipt_number"]: row for row in listed["result"]}
    received = by_receipt[world["received"].receipt_number]
    assert received["status"] == "received" and received["status_label"] == "已收到，待受理"
    assert received["application"]["name"] == world["first"].name
    assert by_receipt[world["concluded"].receipt_number]["finding_label"] == "反映问题不属实"
    only = api.get("/api/v1/objection/?q=(filters:!((col:status,opr:eq,value:received)))").json
    assert [row["receipt_number"] for row in only["result"]] == [world["received"].receipt_number]
    shown = api.get(f"/api/v1/objection/{world['received'].id}").json["result"]
    assert (shown["objector_name"], shown["objector_phone"]) == ("王五", "13612345678")
    assert shown["facts"] == world["received"].facts


def test_handling_over_rest_answers_field_errors_and_the_new_state(app, world):
    api = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    pk = world["received"].id
    url = f"/api/v1/objection/{pk}/handle"
    assert api.post(url, json={"action": "fly"}).status_code == 400
    assert api.post(url, data="not json", content_type="text/plain").status_code == 400
    assert api.post(url, json={"action": "accept", "text": 5}).status_code == 400
    dismiss = api.post(url, json={"action": "dismiss"})
    assert dismiss.status_code == 422 and dismiss.json["errors"] == {"text": "请填写不予受理的理由（将告知异议人）"}
    accepted = api.post(url, json={"action": "accept"})
    assert accepted.status_code == 200 and accepted.json["result"]["status_label"] == "已受理"
    assert api.post(url, json={"action": "accept"}).status_code == 409
    assert api.post(url, json={"action": "verify", "text": "已联系"}).status_code == 200
    missing = api.post(url, json={"action": "conclude", "text": "属实"})
    assert missing.status_code == 422 and set(missing.json["errors"]) == {"finding"}
    done = api.post(url, json={"action": "conclude", "finding": "upheld", "text": "经核实，反映问题属实。"})
    assert done.status_code == 200
    assert {"status": "concluded", "finding": "upheld", "finding_label": "反映问题属实"}.items() <= done.json[
        "result"].items()
    db.session.expire_all()
    assert db.session.get(Objection, pk).conclusion == "经核实，反映问题属实。"
    assert api.post("/api/v1/objection/999999/handle", json={"action": "accept"}).status_code == 404


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT])
def test_no_other_role_reads_or_handles(app, world, role):
    api = factories.api_client(app, factories.account(role))
    pk = world["received"].id
    for response in (api.get("/api/v1/objection/"), api.get(f"/api/v1/objection/{pk}"),
                     api.get("/api/v1/objection/_info"),
                     api.post(f"/api/v1/objection/{pk}/handle", json={"action": "accept"})):
        assert response.status_code in (403, 404) and "王五" not in response.text
    db.session.expire_all()
    assert db.session.get(Objection, pk).status == "received"


def test_there_is_no_public_rest_door_for_lodging(app, world):
    client = app.test_client(use_cookies=False)
    assert client.post("/api/v1/public/objection", json={}).status_code == 404
    assert client.get("/api/v1/objection/").status_code == 401
