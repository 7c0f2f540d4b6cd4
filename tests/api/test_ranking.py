"""/api/v1/ranking/ with a Bearer token: the round's rows as JSON for the city office and the auditor, and the city
office's picks with the same checks and Chinese messages as the page; OpenAPI describes both."""
import pytest

from app.extensions import db
from app.models import Application
from tests import factories
from tests.ranking_setup import World


@pytest.fixture
def world():
    return World()


def test_the_ranking_as_json_for_the_city_office_and_the_auditor(app, world):
    world.scored(world.initial, world.applicant("甲"), 95, 65)
    world.scored(world.initial, world.applicant("乙"), 80, 80)
    world.applicant("丙")
    for who in (world.city, world.auditor):
        response = factories.api_client(app, who).get(f"/api/v1/ranking/{world.initial.id}")
        assert response.status_code == 200, response.json
        body = response.json
        assert body["stage"] == "initial_review" and body["stage_label"] == "专家初审" and body["order"] == "mean"
        rows = body["rows"]
        assert [(r["rank"], r["tied"], r["mean"]) for r in rows] == [(1, True, 80.0), (1, True, 80.0),
                                                                     (None, False, None)]
        first = next(r for r in rows if r["name"] == "甲")
        assert first["spread"] == 30.0 and first["disagreement"] is True and first["n_reviews"] == 2
        assert sorted(first["totals"].values()) == [65.0, 95.0] and first["status_label"] == "一级单位已上报市学习办"
        assert rows[2]["name"] == "丙" and rows[2]["n_reviews"] == 0


def _pages(client, round_id, size, **args):
    """Every page of the ranking through ?page / ?page_size, as a client reads a large round: (count, rows)."""
    query = "".join(f"&{k}={v}" for k, v in args.items())
    rows, number = [], 0
    while True:
        body = client.get(f"/api/v1/ranking/{round_id}?page={number}&page_size={size}{query}").json
        assert body["page"] == number and body["page_size"] == size
        rows += body["rows"]
        if not body["rows"]:
            return body["count"], rows
        number += 1


def test_the_ranking_comes_a_page_at_a_time_with_each_rows_totals(app, world):
    """A round may rank 100,000 applications: the answer is one page (100 rows unless asked) and the whole count; the
    pages put together are the ranking, each scored row with its experts' totals, the unscored last."""
    for name, totals in (("甲", (95, 65)), ("乙", (90,)), ("丙", (70, 80)), ("丁", (60,))):
        world.scored(world.initial, world.applicant(name), *totals)
    world.applicant("戊")
    client = factories.api_client(app, world.city)
    whole = client.get(f"/api/v1/ranking/{world.initial.id}").json
    assert whole["count"] == 5 and whole["page"] == 0 and whole["page_size"] == 100
    assert [r["name"] for r in whole["rows"]] == ["乙", "甲", "丙", "丁", "戊"]
    count, paged = _pages(client, world.initial.id, 2)
    assert count == 5 and paged == whole["rows"]
    assert sorted(paged[1]["totals"].values()) == [65.0, 95.0] and paged[4]["totals"] == {}
    count, by_z = _pages(client, world.initial.id, 3, order="z")
    assert count == 5 and by_z == client.get(f"/api/v1/ranking/{world.initial.id}?order=z").json["rows"]
    past = client.get(f"/api/v1/ranking/{world.initial.id}?page=7&page_size=2").json
    assert past["rows"] == [] and past["count"] == 5
    for bad in ("page=-1", "page=x", "page_size=0", "page_size=1001", "page_size=", "page=１"):
        refused = client.get(f"/api/v1/ranking/{world.initial.id}?{bad}")
        assert refused.status_code == 400 and "page_size 须为 1 到 1000 的整数" in refused.json["message"], bad


def test_a_stored_rankings_pages_read_the_stored_figures(app, world, large_rounds, queued_jobs):
    """A large round's final figures, once stored, are read a page at a time (with the totals of the page's rows)."""
    from datetime import timedelta

    from app import clock, jobs

    for name, total in (("甲", 90), ("乙", 80), ("丙", 85)):
        world.scored(world.initial, world.applicant(name), total)
    world.applicant("丁")
    client = factories.api_client(app, world.city)
    clock.freeze(world.campaign.window("initial_review").ends_at + timedelta(hours=1))
    closed = client.post(f"/api/v1/review_progress/{world.initial.id}/close")
    assert jobs.run(app, closed.json["round"]["ranking_job_id"]) == "done"
    db.session.expire_all()
    count, rows = _pages(client, world.initial.id, 3)
    assert count == 4 and [r["name"] for r in rows] == ["甲", "丙", "乙", "丁"]
    assert [r["totals"] and list(r["totals"].values()) for r in rows] == [[90.0], [85.0], [80.0], {}]
    assert client.get(f"/api/v1/ranking/{world.initial.id}").json["source"] == "final"


def test_order_and_unknown_round(app, world):
    client = factories.api_client(app, world.city)
    assert client.get(f"/api/v1/ranking/{world.initial.id}?order=z").json["order"] == "z"
    assert client.get(f"/api/v1/ranking/{world.initial.id}?order=median").status_code == 400
    assert client.get("/api/v1/ranking/99999").status_code == 404


@pytest.mark.parametrize("role", ["一级单位", "二级单位", "专家", "申报人"])
def test_other_roles_are_refused(app, world, role):
    unit = world.district if role == "一级单位" else world.street if role == "二级单位" else None
    client = factories.api_client(app, factories.account(role, unit=unit))
    assert client.get(f"/api/v1/ranking/{world.initial.id}").status_code == 403
    assert client.post("/api/v1/ranking/pick", json={"application_id": 1, "action": "shortlist"}).status_code == 403


def test_picks_over_rest_with_reason_refusals_and_quota(app, world):
    world.quotas(1, 1)
    world.close(world.initial)
    best = world.scored(world.initial, world.applicant("甲"), 90)
    lower = world.scored(world.initial, world.applicant("乙"), 70)
    client = factories.api_client(app, world.city)
    missing = client.post("/api/v1/ranking/pick", json={"application_id": lower.id, "action": "shortlist"})
    assert missing.status_code == 422 and "排名更前的「甲」" in missing.json["errors"]["opinion"]
    done = client.post("/api/v1/ranking/pick", json={"application_ids": [lower.id, best.id], "action": "shortlist"})
    assert done.status_code == 200 and sorted(done.json["done"]) == sorted([best.id, lower.id])
    assert done.json["refused"] == {}
    early = client.post("/api/v1/ranking/pick", json={"application_id": best.id, "action": "candidate"})
    assert early.status_code == 409 and "专家复审尚未结束" in early.json["message"]
    world.close(world.final)
    world.scored(world.final, best, 90)
    world.scored(world.final, lower, 95)  # 复审 turns the order round
    both = client.post("/api/v1/ranking/pick", json={"application_ids": [best.id, lower.id], "action": "candidate"})
    assert both.json["done"] == [lower.id]
    assert "拟评选名额已满：本批次最多 1 人，已有 1 人" in both.json["refused"][str(best.id)]
    feature = client.post("/api/v1/ranking/pick", json={"application_id": lower.id, "action": "feature"})
    assert feature.status_code == 200 and feature.json["status_label"] == "拟评选（重点宣传）"
    assert client.post("/api/v1/ranking/pick", json={"application_id": lower.id, "action": "fly"}).status_code == 400


def test_the_auditor_cannot_pick(app, world):
    world.close(world.initial)
    application = world.scored(world.initial, world.applicant("甲"), 90)
    response = factories.api_client(app, world.auditor).post(
        "/api/v1/ranking/pick", json={"application_id": application.id, "action": "shortlist"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "reported"


def test_top_k_over_rest(app, world):
    world.close(world.initial)
    for name, total in (("甲", 90), ("乙", 80), ("丙", 80)):
        world.scored(world.initial, world.applicant(name), total)
    client = factories.api_client(app, world.city)
    bad = client.post("/api/v1/ranking/pick", json={"action": "shortlist_top", "round_id": world.initial.id, "k": 0})
    assert bad.status_code == 422 and "k" in bad.json["errors"]
    response = client.post("/api/v1/ranking/pick",
                           json={"action": "shortlist_top", "round_id": world.initial.id, "k": 2})
    assert response.status_code == 200 and len(response.json["done"]) == 3 and response.json["tied_extra"] == 1


def test_openapi_describes_the_ranking(app, world):
    spec = factories.api_client(app, world.city).get("/api/v1/_openapi").json
    assert "/api/v1/ranking/{round_id}" in spec["paths"] and "/api/v1/ranking/pick" in spec["paths"]
    assert "post" in spec["paths"]["/api/v1/ranking/pick"]


def test_a_pick_of_an_id_beyond_the_column_is_refused_not_a_server_error(app):
    from app import roles
    from tests import factories

    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    for body in ({"action": "shortlist", "application_id": 700449524625}, {"action": "shortlist", "application_id": True},
                 {"action": "candidate", "application_ids": [1, 2**40]}):
        response = client.post("/api/v1/ranking/pick", json=body)
        assert response.status_code == 400, (body, response.json)


def test_a_large_rounds_ranking_waits_for_its_job_and_the_round_says_so(app, world, large_rounds, queued_jobs):
    """RANKING_LIVE_LIMIT 0: every round counts as large. Closed through /api/v1/review_progress/ with a Bearer
    token, the 初审's ranking answers 409 with the reason until the job has stored the final figures."""
    from datetime import timedelta

    from app import clock, jobs

    world.scored(world.initial, world.applicant("甲"), 90)
    world.scored(world.initial, world.applicant("乙"), 80)
    client = factories.api_client(app, world.city)
    clock.freeze(world.campaign.window("initial_review").ends_at + timedelta(hours=1))
    closed = client.post(f"/api/v1/review_progress/{world.initial.id}/close")
    assert closed.status_code == 200, closed.json
    assert closed.json["round"]["ranking_final"] is False and closed.json["round"]["ranking_job_id"]
    pending = client.get(f"/api/v1/ranking/{world.initial.id}")
    assert pending.status_code == 409 and "排名正在计算" in pending.json["message"]
    shortlist = client.post("/api/v1/ranking/pick", json={"action": "shortlist_top", "round_id": world.initial.id,
                                                          "k": 1})
    assert shortlist.status_code == 409 and "排名正在计算" in shortlist.json["message"]

    assert jobs.run(app, closed.json["round"]["ranking_job_id"]) == "done"
    db.session.expire_all()
    ranked = client.get(f"/api/v1/ranking/{world.initial.id}")
    assert ranked.status_code == 200 and ranked.json["source"] == "final"
    assert [r["name"] for r in ranked.json["rows"]] == ["甲", "乙"]


def test_a_pick_in_the_wrong_shape_is_answered_in_chinese(app, world):
    """An action that is a list or an object, a round id past any row's: 400 / 404 in Chinese (each was a 500)."""
    client = factories.api_client(app, world.city)
    for action in (["shortlist"], {"a": 1}, 5):
        response = client.post("/api/v1/ranking/pick", json={"application_id": 1, "action": action, "reason": "r"})
        assert response.status_code == 400 and response.json["message"].startswith("action 须为"), action
    response = client.post("/api/v1/ranking/pick", json={"action": "shortlist_top", "round_id": 99999999999999999999,
                                                         "k": 5})
    assert response.status_code == 404 and response.json["message"] == "找不到该初审轮次"
    response = client.post("/api/v1/ranking/pick", json={"action": "candidate_top", "round_id": 99999999999999999999})
    assert response.status_code == 404 and response.json["message"] == "找不到该复审轮次"
