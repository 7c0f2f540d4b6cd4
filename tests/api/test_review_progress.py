"""/api/v1/review_progress/ with a Bearer token: the same progress, refusals and messages as 评审进度."""
import pytest

from app import clock, roles
from app.extensions import db
from app.models import AuditEvent, InboxMessage
from tests import factories
from tests.test_rounds import AFTER, mixed
from tests.test_rounds import world as rounds_world  # noqa: F401


@pytest.fixture
def world(app, rounds_world):  # noqa: F811
    mixed(rounds_world)
    rounds_world["api"] = factories.api_client(app, rounds_world["city"])
    return rounds_world


def test_progress_over_rest(world):
    api, r = world["api"], world["round"]
    listed = api.get("/api/v1/review_progress/").json["rounds"]
    assert [(x["id"], x["stage"], x["stage_label"], x["open"]) for x in listed] == [
        (r.id, "initial_review", "专家初审", True)]
    body = api.get(f"/api/v1/review_progress/{r.id}").json
    assert body["round"]["ends_at"] == "2026-06-18T08:59:59" and body["round"]["closed_at"] is None
    assert body["totals"] == {"experts": 4, "assigned": 6, "submitted": 3, "draft": 1, "not_started": 2,
                              "declined": 1, "unfinished": 3}
    li = next(e for e in body["experts"] if e["name"] == "李专家")
    assert (li["panel"], li["assigned"], li["submitted"], li["not_started"], li["declined"]) == ("第一组", 2, 1, 1, 1)
    assert li["expert_id"] == world["li"].id and li["employer"] == "李专家所在大学"
    assert [(m["expert"], m["application"], m["status"]) for m in body["missing"]] == [
        ("张专家", "申报人2", "draft"), ("李专家", "申报人1", "assigned"), ("赵专家", "申报人3", "assigned")]
    assert api.get(f"/api/v1/review_progress/{r.id + 999}").status_code == 404


def test_close_over_rest_with_the_pages_messages(world):
    api, url = world["api"], f"/api/v1/review_progress/{world['round'].id}/close"
    response = api.post(url)
    assert response.status_code == 409 and "还有 3 份评审未提交" in response.json["message"]
    clock.freeze(AFTER)
    response = api.post(url)
    assert response.status_code == 200 and response.json["round"]["closed_at"] == "2026-06-18T09:00:00"
    assert response.json["round"]["closed_by"] == "市学习办甲" and response.json["round"]["open"] is False
    response = api.post(url)
    assert response.status_code == 409 and "不能重复结束" in response.json["message"]
    assert api.post("/api/v1/review_progress/99999/close").status_code == 404


def test_remind_over_rest(world):
    api, url = world["api"], f"/api/v1/review_progress/{world['round'].id}/remind"
    assert api.post(url, json={"expert_ids": [world["wang"].id]}).json == {"reminded": 0}
    assert api.post(url, json={"expert_ids": [world["zhang"].id, world["zhao"].id]}).json == {"reminded": 2}
    assert api.post(url).json == {"reminded": 3}
    assert db.session.query(InboxMessage).count() == 5
    for bad in ({"expert_ids": "all"}, {"expert_ids": ["1"]}, {"expert_ids": [True]},
                {"expert_ids": [99999999999999999999]}):  # past any id: was a 500
        response = api.post(url, json=bad)
        assert response.status_code == 400 and "expert_ids" in response.json["message"]
    assert db.session.query(AuditEvent).filter_by(action="review_round.remind").count() == 2


def test_the_auditor_reads_only_and_other_roles_nothing(app, world):
    r = world["round"]
    auditor = factories.api_client(app, world["auditor"])
    assert auditor.get(f"/api/v1/review_progress/{r.id}").status_code == 200
    clock.freeze(AFTER)
    assert auditor.post(f"/api/v1/review_progress/{r.id}/close").status_code == 403
    assert auditor.post(f"/api/v1/review_progress/{r.id}/remind").status_code == 403
    for role in (roles.L1_CLERK, roles.EXPERT, roles.APPLICANT):
        other = factories.api_client(app, factories.account(role))
        assert other.get(f"/api/v1/review_progress/{r.id}").status_code == 403
        assert other.post(f"/api/v1/review_progress/{r.id}/close").status_code == 403
    db.session.expire_all()
    assert not r.is_closed


def test_openapi_shows_the_round_management(app, world):
    spec = world["api"].get("/api/v1/_openapi").json
    paths = spec["paths"]
    base = "/api/v1/review_progress/"
    assert {base, base + "{round_id}", base + "{round_id}/close", base + "{round_id}/remind"} <= set(paths)
    assert "409" in paths[base + "{round_id}/close"]["post"]["responses"]
    assert "expert_ids" in str(paths[base + "{round_id}/remind"]["post"]["requestBody"])
