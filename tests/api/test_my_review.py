"""/api/v1/my_review/: the expert's reviews over REST (Bearer token), with the pages' checks and messages."""
from datetime import timedelta

import pytest

from app import clock, roles
from app.extensions import db
from app.models import AuditEvent, ReviewAssignment
from tests import factories
from tests.views.test_expert_review import ADDRESS, BOB_COMMENT, ID_NUMBER, MOBILE, NOW, scoring_world


@pytest.fixture
def world(app):
    return scoring_world()


@pytest.fixture
def alice(app, world):
    return factories.api_client(app, world["alice"].account)


def body(world, values, comment=None):
    data = {"scores": {str(c.id): v for c, v in zip(world["round"].criteria, values)}}
    if comment is not None:
        data["comment"] = comment
    return data


def test_the_list_holds_only_the_experts_own_assignments(alice, world):
    response = alice.get("/api/v1/my_review/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json["result"]] == ["王学习", "李读书"]
    assert response.json["done"] == 0 and response.json["total"] == 2
    assert response.json["result"][0]["status_label"] == "待评" and response.json["result"][0]["stage_label"] == "专家初审"


def test_one_review_has_materials_and_rubric_but_no_personal_data_nor_others_scores(alice, world):
    response = alice.get(f"/api/v1/my_review/{world['mine'][0].id}")
    assert response.status_code == 200
    result = response.json["result"]
    materials = result["materials"]
    assert materials["name"] == "王学习" and materials["l2_opinion"] == "街道推荐：事迹感人。"
    assert materials["l1_opinion"] == "区里同意上报。" and materials["first_level_unit"] == "东城区"
    assert [r["weight"] for r in result["rubric"]] == [15, 20, 20, 15, 15, 15]
    assert result["rubric"][0]["field"] == f"score_{world['round'].criteria[0].id}"
    assert result["editable"] is True and result["scores"] == {} and "other_totals" not in result
    for secret in (ID_NUMBER, MOBILE, ADDRESS, "1975-03-12", BOB_COMMENT, "id_number", "mobile", "birth_date"):
        assert secret not in response.text, secret


def test_put_saves_a_draft_and_names_bad_fields_and_submit_computes_the_total(alice, world):
    mine = world["mine"][0]
    c = world["round"].criteria
    response = alice.put(f"/api/v1/my_review/{mine.id}", json={"scores": {str(c[0].id): 8, str(c[1].id): 10.5},
                                                               "comment": "初稿"})
    assert response.status_code == 422
    assert response.json["errors"] == {f"score_{c[1].id}": "分数应在 0 到 10 之间"}
    got = alice.get(f"/api/v1/my_review/{mine.id}").json["result"]
    assert got["status"] == "draft" and got["scores"] == {str(c[0].id): 8.0} and got["comment"] == "初稿"

    response = alice.post(f"/api/v1/my_review/{mine.id}/submit", json={"scores": {str(c[1].id): 9}})
    assert response.status_code == 422 and set(response.json["errors"]) == {f"score_{x.id}" for x in c[2:]}
    response = alice.post(f"/api/v1/my_review/{mine.id}/submit", json=body(world, [8, 9, 7.5, 6, 10, 8.5], "很好"))
    assert response.status_code == 200, response.json
    assert response.json["result"]["total"] == 81.75 and response.json["result"]["status"] == "submitted"
    response = alice.put(f"/api/v1/my_review/{mine.id}", json=body(world, [1] * 6))
    assert response.status_code == 409 and "已提交" in response.json["message"]
    assert alice.get("/api/v1/my_review/").json["done"] == 1


def test_outside_the_window_and_foreign_ids_are_refused(alice, world):
    for assignment in (world["bobs"], world["bob_other"]):
        assert alice.get(f"/api/v1/my_review/{assignment.id}").status_code == 404
        assert alice.put(f"/api/v1/my_review/{assignment.id}", json=body(world, [5] * 6)).status_code == 404
        assert alice.post(f"/api/v1/my_review/{assignment.id}/submit", json=body(world, [5] * 6, "x")).status_code == 404
    assert alice.post(f"/api/v1/my_review/{world['bobs'].id}/reopen", json={"reason": "x"}).status_code == 403
    assert alice.get(f"/api/v1/application/{world['first'].id}").status_code in (403, 404)
    clock.freeze(NOW + timedelta(days=365))
    response = alice.put(f"/api/v1/my_review/{world['mine'][0].id}", json=body(world, [5] * 6))
    assert response.status_code == 403 and "截止" in response.json["message"]
    assert alice.put(f"/api/v1/my_review/{world['mine'][0].id}", json=[1, 2]).status_code == 400
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, world["bobs"].id).status == "submitted"


def test_the_city_office_reopens_over_rest(app, world):
    city = factories.api_client(app, world["city"])
    url = f"/api/v1/my_review/{world['bobs'].id}/reopen"
    response = city.post(url, json={})
    assert response.status_code == 422 and response.json["errors"] == {"reason": "请填写重新打开的理由"}
    response = city.post(url, json={"reason": "请补充评语"})
    assert response.status_code == 200 and response.json["result"]["status"] == "draft"
    assert db.session.query(AuditEvent).filter_by(action="review.reopen").one().detail["reason"] == "请补充评语"
    assert city.post(url, json={"reason": "再次"}).status_code == 409
    assert city.get("/api/v1/my_review/").status_code == 403  # the office has no reviews of its own
    auditor = factories.api_client(app, factories.account(roles.AUDITOR))
    assert auditor.post(url, json={"reason": "x"}).status_code == 403


def test_openapi_shows_the_review_api(app, world):
    city = factories.api_client(app, world["city"])
    spec = city.get("/api/v1/_openapi").json
    paths = spec["paths"]
    assert {"/api/v1/my_review/", "/api/v1/my_review/{pk}", "/api/v1/my_review/{pk}/submit",
            "/api/v1/my_review/{pk}/reopen"} <= set(paths)
    assert "put" in paths["/api/v1/my_review/{pk}"] and "post" in paths["/api/v1/my_review/{pk}/reopen"]
