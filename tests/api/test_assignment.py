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


def finished(client, run) -> dict:
    """自动分配 answers 202 with its background job; the job's status (Bearer token, no cookie) once it is done."""
    assert run.status_code == 202, run.json
    assert run.json["status_url"] == f"/api/v1/jobs/{run.json['id']}"
    status = client.get(run.json["status_url"])
    assert status.status_code == 200 and status.json["state"] == "done", status.json
    assert status.json["percent"] == 100 and status.json["error"] is None
    return status.json


def test_the_city_office_runs_and_lists(app, world):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    run = client.post(f"/api/v1/review_assignment/run/{world['round'].id}")
    result = finished(client, run)["result"]
    summary = result["assignment"]
    assert result["ok"] is True and "next" not in result
    assert summary["placed"] == 6 and summary["spread"] == 0 and summary["unplaceable"] == []
    assert sorted(summary["loads"].values()) == [2, 2, 2]
    assert db.session.query(ReviewAssignment).count() == 6
    other = factories.review_round(world["round"].campaign, stage="final_review")
    q = prison.dumps({"filters": [{"col": "round_id", "opr": "eq", "value": world["round"].id}]})
    listed = client.get(f"/api/v1/review_assignment/?q={q}")
    assert listed.status_code == 200 and listed.json["count"] == 6
    q = prison.dumps({"filters": [{"col": "round_id", "opr": "eq", "value": other.id}]})
    assert client.get(f"/api/v1/review_assignment/?q={q}").json["count"] == 0


def test_an_impossible_run_finishes_with_the_list_and_assigns_nothing(app, world):
    for e in world["experts"][:2]:
        factories.conflict(e, unit=world["district"], reason="曾任职")
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    result = finished(client, client.post(f"/api/v1/review_assignment/run/{world['round'].id}"))["result"]
    assert result["ok"] is False
    unplaceable = result["assignment"]["unplaceable"]
    assert sorted(i for i, _reason in unplaceable) == sorted(a.id for a in world["apps"])
    assert "只有 1 位可以评审它" in unplaceable[0][1]
    assert db.session.query(ReviewAssignment).count() == 0


def test_a_refused_run_is_the_failed_jobs_chinese_error(app, world):
    from app import clock

    city = factories.account(roles.CITY_OFFICE)
    world["round"].closed_at, world["round"].closed_by_id = clock.now(), city.id
    db.session.commit()
    client = factories.api_client(app, city)
    run = client.post(f"/api/v1/review_assignment/run/{world['round'].id}")
    assert run.status_code == 202
    status = client.get(run.json["status_url"]).json
    assert status["state"] == "failed" and status["result"] is None
    assert status["error"] == "本轮评审已结束，不能再分配"
    assert db.session.query(ReviewAssignment).count() == 0


def test_a_jobs_status_is_its_owners_alone(app, world):
    city = factories.api_client(app, factories.account(roles.CITY_OFFICE, username="desk"))
    run = city.post(f"/api/v1/review_assignment/run/{world['round'].id}")
    url = run.json["status_url"]
    assert city.get(url).status_code == 200
    for other in (factories.account(roles.CITY_OFFICE, username="desk2"), factories.account(roles.AUDITOR)):
        assert factories.api_client(app, other).get(url).status_code == 404
    assert city.get("/api/v1/jobs/no-such-job").status_code == 404
    assert app.test_client().get(url).status_code == 401  # no token
    assert city.post(f"/api/v1/review_assignment/run/999999").status_code == 404


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


def test_a_move_or_a_decline_in_the_wrong_shape_is_the_fields_error(app, world):
    """改派 to true, 1.5, "２" or an id past any row's is no expert (it was read as expert 1 or failed with a 500); a
    body that is no object, a reason that is no text: answered in Chinese, nothing changed."""
    row = factories.assignment(world["round"], world["apps"][0], world["experts"][0])
    office = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    for expert_id in (True, 1.5, "２", 99999999999999999999, None, {"id": 1}):
        response = office.put(f"/api/v1/review_assignment/{row.id}", json={"expert_id": expert_id})
        assert response.status_code == 422 and response.json["errors"] == {"expert_id": "请选择专家"}, expert_id
    response = office.put(f"/api/v1/review_assignment/{row.id}", json=[1])
    assert response.status_code == 400 and response.json["message"].startswith("请求内容须为 JSON 对象")
    expert = factories.api_client(app, world["experts"][0].account)
    response = expert.post(f"/api/v1/review_assignment/{row.id}/decline", json=[1])
    assert response.status_code == 400 and response.json["message"].startswith("请求内容须为 JSON 对象")
    for reason in (5, {"a": 1}, ["亲属"]):
        response = expert.post(f"/api/v1/review_assignment/{row.id}/decline", json={"reason": reason})
        assert response.status_code == 422 and response.json["errors"] == {"reason": "回避理由须为文字"}, reason
    theirs = factories.assignment(world["round"], world["apps"][1], world["experts"][1])
    response = expert.post(f"/api/v1/review_assignment/{theirs.id}/decline", json={"reason": 5})
    assert response.status_code == 404  # someone else's: not found, whatever the body
    db.session.expire_all()
    assert {r.status for r in db.session.query(ReviewAssignment)} == {"assigned"}
    assert db.session.get(ReviewAssignment, row.id).expert_id == world["experts"][0].id
