"""workflow.pick_top — 按排名选前 N 名为拟评选 / 重点宣传 from the 复审 ranking: in ranking order without a reason,
N defaulting to the places the quota has left and never beyond them, a tie at the boundary left to the office with
the tied names; and the same through the ranking page and POST /api/v1/ranking/pick."""
import pytest

from app import roles, workflow
from app.extensions import db
from app.models import Application, ApplicationEvent, AuditEvent
from app.workflow import WorkflowError
from tests import factories
from tests.ranking_setup import World


@pytest.fixture
def world():
    return World()


def shortlisted(world, *pairs):
    """Shortlisted applications scored in 复审 with these totals (by the first experts), by name."""
    return {name: world.scored(world.final, world.applicant(name, status="shortlisted"), total, total)
            for name, total in pairs}


def statuses(apps):
    db.session.expire_all()
    return {name: db.session.get(Application, a.id).status for name, a in apps.items()}


def test_candidates_by_ranking_fill_the_quota_in_order_without_a_reason(world):
    apps = shortlisted(world, ("甲", 95), ("乙", 90), ("丙", 85), ("丁", 80), ("戊", 75))
    world.close(world.final)
    world.quotas(3, 2)
    result = workflow.pick_top(world.city, world.final.id, "candidate")  # N: the 3 places left
    assert result.n == 3 and not result.tied and not result.refused and result.tie_message is None
    assert [a.name for a in result.done] == ["甲", "乙", "丙"]
    assert statuses(apps) == {"甲": "candidate", "乙": "candidate", "丙": "candidate", "丁": "shortlisted",
                              "戊": "shortlisted"}
    events = db.session.query(ApplicationEvent).filter_by(action="candidate").all()
    assert len(events) == 3 and {e.opinion for e in events} == {"按复审排名选前 3 名"}
    assert db.session.query(AuditEvent).filter_by(action="application.candidate").count() == 3
    # The quota is full now: refused as a whole, at the N field.
    with pytest.raises(WorkflowError) as full:
        workflow.pick_top(world.city, world.final.id, "candidate")
    assert full.value.status == 409 and "名额已满" in full.value.errors["n"]

    featured = workflow.pick_top(world.city, world.final.id, "feature")  # the 2 places of 重点宣传
    assert [a.name for a in featured.done] == ["甲", "乙"]
    assert workflow.pick_counts(world.campaign.id) == {"candidates": 3, "featured": 2}


def test_a_tie_at_the_boundary_picks_those_above_and_names_the_tied(world):
    apps = shortlisted(world, ("甲", 95), ("乙", 90), ("丙", 80), ("丁", 80), ("戊", 70))
    world.close(world.final)
    world.quotas(3, 1)
    result = workflow.pick_top(world.city, world.final.id, "candidate", 3)
    assert [a.name for a in result.done] == ["甲", "乙"]
    assert {r.application.name for r in result.tied} == {"丙", "丁"} and result.room == 1
    message = result.tie_message
    assert "第 3 名有 2 人并列" in message and "丙" in message and "丁" in message and "勾选 1 人" in message
    assert statuses(apps)["丙"] == statuses(apps)["丁"] == "shortlisted"
    # The office decides by hand, with a reason; then the quota is full.
    workflow.perform(world.city, apps["丁"].id, "candidate", "服务社区时间更长。")
    assert workflow.pick_counts(world.campaign.id)["candidates"] == 3


def test_a_tie_within_n_is_no_boundary(world):
    shortlisted(world, ("甲", 95), ("乙", 90), ("丙", 90), ("丁", 80))
    world.close(world.final)
    result = workflow.pick_top(world.city, world.final.id, "candidate", 3)
    assert {a.name for a in result.done} == {"甲", "乙", "丙"}
    assert not result.tied


def test_everyone_tied_at_the_boundary_picks_nobody(world):
    shortlisted(world, ("甲", 80), ("乙", 80))
    world.close(world.final)
    result = workflow.pick_top(world.city, world.final.id, "candidate", 1)
    assert result.done == [] and len(result.tied) == 2 and result.room == 1


def test_n_beyond_the_places_left_or_not_a_number_is_refused_at_the_field(world):
    shortlisted(world, ("甲", 95), ("乙", 90))
    world.close(world.final)
    world.quotas(5, 1)
    with pytest.raises(WorkflowError) as beyond:
        workflow.pick_top(world.city, world.final.id, "candidate", 6)
    assert beyond.value.status == 422 and "只剩 5 人" in beyond.value.errors["n"]
    for bad in ("0", "abc", -2):
        with pytest.raises(WorkflowError) as refused:
            workflow.pick_top(world.city, world.final.id, "candidate", bad)
        assert refused.value.errors["n"] == "请填写人数（大于 0 的整数）"
    # No candidate yet: nothing to feature.
    with pytest.raises(WorkflowError) as nothing:
        workflow.pick_top(world.city, world.final.id, "feature")
    assert nothing.value.status == 409 and "没有可以" in str(nothing.value)


def test_refused_before_the_final_round_closes_for_others_and_for_an_unknown_round(world):
    shortlisted(world, ("甲", 95))
    with pytest.raises(WorkflowError) as open_round:
        workflow.pick_top(world.city, world.final.id, "candidate")
    assert open_round.value.status == 409 and "复审尚未结束" in str(open_round.value)
    world.close(world.final)
    with pytest.raises(WorkflowError) as other:
        workflow.pick_top(world.auditor, world.final.id, "candidate")
    assert other.value.status == 403
    with pytest.raises(WorkflowError) as initial:
        workflow.pick_top(world.city, world.initial.id, "candidate")
    assert initial.value.status == 404
    with pytest.raises(WorkflowError) as unknown:
        workflow.pick_top(world.city, world.final.id, "shortlist")
    assert unknown.value.status == 400


def test_the_ranking_page_offers_both_and_ticks_the_tied_rows(app, world):
    apps = shortlisted(world, ("甲", 95), ("乙", 90), ("丙", 80), ("丁", 80))
    world.close(world.final)
    world.quotas(3, 1)
    client = factories.login(app.test_client(), world.city)
    page = client.get("/ranking/?stage=final_review").text
    assert "按排名选前 N 名为拟评选" in page and "按排名选前 N 名重点宣传" in page
    assert 'id="top-candidate-n" name="n" value="3"' in page and 'id="top-feature-n" name="n" value="1"' in page
    assert "按排名选前 N 名" not in client.get("/ranking/?stage=initial_review").text

    response = client.post("/ranking/pick-top", data={"campaign": world.campaign.id, "action": "candidate", "n": "3"})
    assert response.status_code == 200
    text = response.text
    assert "已列入拟评选 2 人" in text and "第 3 名有 2 人并列" in text
    for name in ("丙", "丁"):
        assert f'value="{apps[name].id}" id="pick-{apps[name].id}" checked' in text
    assert statuses(apps)["甲"] == "candidate"

    refused = client.post("/ranking/pick-top", data={"campaign": world.campaign.id, "action": "candidate", "n": "9"})
    assert refused.status_code == 200 and 'id="top-candidate-error"' in refused.text
    assert "只剩 1 人" in refused.text and 'id="top-candidate-n" name="n" value="9"' in refused.text
    assert client.post("/ranking/pick-top", data={"campaign": world.campaign.id, "action": "x"}).status_code == 400

    done = client.post("/ranking/pick-top", data={"campaign": world.campaign.id, "action": "feature", "n": "1"})
    assert done.status_code == 302
    assert statuses(apps)["甲"] == "featured"


def test_the_auditor_sees_no_bulk_pick_and_may_not_post_it(app, world):
    shortlisted(world, ("甲", 95))
    world.close(world.final)
    client = factories.login(app.test_client(), world.auditor)
    assert "按排名选前 N 名" not in client.get("/ranking/?stage=final_review").text
    response = client.post("/ranking/pick-top", data={"campaign": world.campaign.id, "action": "candidate"})
    assert response.status_code in (302, 403)
    assert workflow.pick_counts(world.campaign.id)["candidates"] == 0


def test_rest_candidate_top_and_feature_top(app, world):
    apps = shortlisted(world, ("甲", 95), ("乙", 90), ("丙", 80), ("丁", 80))
    world.close(world.final)
    world.quotas(3, 1)
    api = factories.api_client(app, world.city)
    tie = api.post("/api/v1/ranking/pick", json={"action": "candidate_top", "round_id": world.final.id})
    assert tie.status_code == 200
    assert tie.json["done"] == [apps["甲"].id, apps["乙"].id] and tie.json["n"] == 3 and tie.json["room"] == 1
    assert sorted(tie.json["tied"]) == sorted([apps["丙"].id, apps["丁"].id]) and "并列" in tie.json["message"]
    beyond = api.post("/api/v1/ranking/pick", json={"action": "candidate_top", "round_id": world.final.id, "n": 5})
    assert beyond.status_code == 422 and "只剩 1 人" in beyond.json["errors"]["n"]
    featured = api.post("/api/v1/ranking/pick", json={"action": "feature_top", "round_id": world.final.id})
    assert featured.status_code == 200 and featured.json["done"] == [apps["甲"].id] and featured.json["tied"] == []
    other = factories.api_client(app, factories.account(roles.AUDITOR))
    assert other.post("/api/v1/ranking/pick", json={"action": "feature_top",
                                                    "round_id": world.final.id}).status_code == 403
