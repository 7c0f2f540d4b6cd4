"""/api/v1/review_assignment/ with a Bearer token: run, list, move, decline — the same checks as the pages."""
import prison
import pytest

from app import roles
from app.extensions import db
from app.models.review import ReviewAssignment
from tests import factories


@pytest.fixture
def world():
    district, streets = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    campaign = factories.campaign(open_stage="initial_review")
    round_ = factories.review_round(campaign, experts_per_application=2)
    experts = [factories.expert(employer=f"第{i}研究所", first_name=f"专家{i}") for i in range(3)]
    factories.panel(round_, experts, name="第一组")
    apps = [factories.application(unit=streets[i % 2], campaign=campaign, status="reported", work_unit=f"单位{i}号")
            for i in range(3)]
    return {"round": round_, "experts": experts, "apps": apps, "district": district}


def test_the_city_office_runs_and_lists(app, world):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    run = client.post(f"/api/v1/review_assignment/run/{world['round'].id}")
    assert run.status_code == 200, run.json
    assert run.json["placed"] == 6 and run.json["spread"] == 0 and run.json["unplaceable"] == []
    assert sorted(run.json["loads"].values()) == [2, 2, 2]
    other = factories.review_round(world["round"].campaign, stage="final_review")
    q = prison.dumps({"filters": [{"col": "round_id", "opr": "eq", "value": world["round"].id}]})
    listed = client.get(f"/api/v1/review_assignment/?q={q}")
    assert listed.status_code == 200 and listed.json["count"] == 6
    q = prison.dumps({"filters": [{"col": "round_id", "opr": "eq", "value": other.id}]})
    assert client.get(f"/api/v1/review_assignment/?q={q}").json["count"] == 0


def test_an_impossible_run_answers_409_with_the_list(app, world):
    for e in world["experts"][:2]:
        factories.conflict(e, unit=world["district"], reason="曾任职")
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    run = client.post(f"/api/v1/review_assignment/run/{world['round'].id}")
    assert run.status_code == 409
    assert run.json["message"] == "无法完成分配，本次没有分配任何任务"
    assert len(run.json["unplaceable"]) == 3
    assert "只有 1 位可以评审它" in run.json["unplaceable"][0]["reason"]
    assert db.session.query(ReviewAssignment).count() == 0


def test_move_and_its_refusals(app, world):
    row = factories.assignment(world["round"], world["apps"][0], world["experts"][0])
    factories.conflict(world["experts"][1], application=world["apps"][0], reason="同事")
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    refused = client.put(f"/api/v1/review_assignment/{row.id}", json={"expert_id": world["experts"][1].id})
    assert refused.status_code == 422 and "同事" in refused.json["errors"]["expert_id"]
    moved = client.put(f"/api/v1/review_assignment/{row.id}", json={"expert_id": world["experts"][2].id})
    assert moved.status_code == 200 and moved.json["expert_id"] == world["experts"][2].id
    assert client.put("/api/v1/review_assignment/999999", json={"expert_id": 1}).status_code == 404


def test_the_expert_declines_over_rest(app, world):
    a = world["experts"][0]
    row = factories.assignment(world["round"], world["apps"][0], a)
    client = factories.api_client(app, a.account)
    missing = client.post(f"/api/v1/review_assignment/{row.id}/decline", json={})
    assert missing.status_code == 422 and missing.json["errors"] == {"reason": "请填写回避理由"}
    done = client.post(f"/api/v1/review_assignment/{row.id}/decline", json={"reason": "亲属"})
    assert done.status_code == 200 and done.json["status"] == "declined"
    assert done.json["replacement_expert_id"] in {world["experts"][1].id, world["experts"][2].id}
    # An expert can neither run nor move.
    assert client.post(f"/api/v1/review_assignment/run/{world['round'].id}").status_code == 403
    assert client.put(f"/api/v1/review_assignment/{row.id}", json={"expert_id": a.id}).status_code == 403


def test_another_expert_cannot_decline_nor_list_the_assignments(app, world):
    a, b = world["experts"][:2]
    factories.assignment(world["round"], world["apps"][0], b)
    theirs = factories.assignment(world["round"], world["apps"][1], a)
    client = factories.api_client(app, b.account)
    assert client.post(f"/api/v1/review_assignment/{theirs.id}/decline", json={"reason": "x"}).status_code == 404
    # The expert's own list is the scoring API's; the office's list is not theirs.
    assert client.get("/api/v1/review_assignment/").status_code == 403
    assert client.get(f"/api/v1/review_assignment/{theirs.id}").status_code == 403
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, theirs.id).status == "assigned"


def test_the_auditor_reads_only_and_clerks_get_nothing(app, world):
    factories.assignment(world["round"], world["apps"][0], world["experts"][0])
    auditor = factories.api_client(app, factories.account(roles.AUDITOR))
    assert auditor.get("/api/v1/review_assignment/").json["count"] == 1
    assert auditor.post(f"/api/v1/review_assignment/run/{world['round'].id}").status_code == 403
    clerk = factories.api_client(app, factories.account(roles.L1_CLERK, unit=world["district"]))
    assert clerk.get("/api/v1/review_assignment/").status_code == 403


def test_openapi_shows_it(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    spec = client.get("/api/v1/_openapi").json
    paths = spec["paths"]
    assert {"/api/v1/review_assignment/", "/api/v1/review_assignment/run/{pk}",
            "/api/v1/review_assignment/{pk}/decline"} <= set(paths)
    assert "put" in paths["/api/v1/review_assignment/{pk}"]
