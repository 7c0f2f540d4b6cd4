"""评审分配 and 声明回避 through the HTML pages, as the city office, the auditor and the expert use them."""
import re

import pytest

from app import clock, roles
from app.extensions import db
from app.models.review import ExpertPanelMember, ReviewAssignment
from tests import factories


@pytest.fixture
def round_world():
    district, streets = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    campaign = factories.campaign(open_stage="initial_review")
    round_ = factories.review_round(campaign, experts_per_application=2)
    experts = [factories.expert(employer=f"第{i}研究所", first_name=f"专家{i}") for i in range(4)]
    factories.panel(round_, experts, name="第一组")
    apps = [factories.application(unit=streets[i % 2], campaign=campaign, status="reported", name=f"申报人{i}",
                                  work_unit=f"单位{i}号") for i in range(6)]
    return {"round": round_, "experts": experts, "apps": apps, "district": district, "streets": streets,
            "campaign": campaign}


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_city_office_runs_the_assignment_and_sees_the_loads(client, round_world):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    page = client.get("/review-assignments/")
    assert page.status_code == 200
    text = page_text(page)
    assert "评审分配" in text and "第一组" in text and "自动分配" in text and "还没有分配" in text
    assert "有 6 份申报还缺评审专家。" in text
    run = client.post(f"/review-assignments/run/{round_world['round'].id}", follow_redirects=True)
    assert run.status_code == 200
    text = page_text(run)
    assert "自动分配完成：新分配 12 份，保留 0 份，调整 0 份。 每位专家的任务数 3–3 份。" in text
    assert "还缺评审专家" not in text
    assert text.count("申报人0") == 2  # two experts each
    assert db.session.query(ReviewAssignment).count() == 12


def test_the_impossible_case_lists_the_applications_and_assigns_nothing(client, round_world):
    factories.conflict(round_world["experts"][0], unit=round_world["district"], reason="曾任职")
    factories.conflict(round_world["experts"][1], unit=round_world["district"], reason="曾任职")
    factories.conflict(round_world["experts"][2], unit=round_world["streets"][0], reason="亲属")
    factories.login(client, factories.account(roles.CITY_OFFICE))
    run = client.post(f"/review-assignments/run/{round_world['round'].id}", follow_redirects=True)
    assert run.status_code == 422
    text = page_text(run)
    assert "无法完成分配，本次没有分配任何任务。" in text
    assert "申报人0（东城区 · 东华门街道）：需要 2 位专家，「第一组」只有 1 位可以评审它；回避：" in text
    unplaceable = text.split("排不开：")[1].split("专家组与任务数")[0]
    assert "申报人2" in unplaceable and "申报人1" not in unplaceable  # 景山街道's have two experts left: fine
    assert db.session.query(ReviewAssignment).count() == 0


def test_move_with_a_conflict_is_refused_at_the_field(client, round_world):
    row = factories.assignment(round_world["round"], round_world["apps"][0], round_world["experts"][0])
    factories.conflict(round_world["experts"][1], application=round_world["apps"][0], reason="师生")
    factories.login(client, factories.account(roles.CITY_OFFICE))
    page = client.get("/review-assignments/")
    options = re.findall(r'<select name="expert_id" id="move-%d".*?</select>' % row.id, page.get_data(as_text=True), re.S)
    assert options and "专家0" not in options[0] and "专家3" in options[0]  # the round's other experts only
    refused = client.post(f"/review-assignments/move/{row.id}", data={"expert_id": round_world["experts"][1].id})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "不能改派给专家1：专家已声明回避该申报人（师生）" in html
    assert f'<option value="{round_world["experts"][1].id}" selected>' in html  # the choice is kept
    moved = client.post(f"/review-assignments/move/{row.id}", data={"expert_id": round_world["experts"][3].id})
    assert moved.status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, row.id).expert_id == round_world["experts"][3].id


def test_filters_by_expert_and_application(client, round_world):
    factories.assignment(round_world["round"], round_world["apps"][0], round_world["experts"][0])
    factories.assignment(round_world["round"], round_world["apps"][1], round_world["experts"][1])
    factories.login(client, factories.account(roles.CITY_OFFICE))
    table = lambda r: r.get_data(as_text=True).split('id="assignments-table"')[1]  # noqa: E731
    by_expert = table(client.get(f"/review-assignments/?expert={round_world['experts'][1].id}"))
    assert "申报人1" in by_expert and "申报人0" not in by_expert
    by_name = table(client.get("/review-assignments/?application=申报人0"))
    assert "申报人0" in by_name and "申报人1" not in by_name


def test_the_auditor_reads_but_cannot_run_or_move(client, round_world):
    row = factories.assignment(round_world["round"], round_world["apps"][0], round_world["experts"][0])
    factories.login(client, factories.account(roles.AUDITOR))
    page = client.get("/review-assignments/")
    assert page.status_code == 200 and "第一组" in page_text(page)
    assert 'id="assign-run"' not in page.get_data(as_text=True) and "move-form" not in page.get_data(as_text=True)
    assert client.post(f"/review-assignments/run/{round_world['round'].id}").status_code in (302, 403)
    assert client.post(f"/review-assignments/move/{row.id}", data={"expert_id": round_world["experts"][2].id}
                       ).status_code in (302, 403)
    assert db.session.query(ReviewAssignment).count() == 1


def test_the_run_button_needs_the_csrf_token(app, client, round_world, csrf_on):
    city = factories.account(roles.CITY_OFFICE)
    login_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login/").text).group(1)
    client.post("/login/", data={"username": city.username, "password": factories.PASSWORD, "csrf_token": login_token})
    page = client.get("/review-assignments/").get_data(as_text=True)
    token = re.search(r'id="assign-form".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    assert client.post(f"/review-assignments/run/{round_world['round'].id}").status_code == 400
    assert db.session.query(ReviewAssignment).count() == 0
    assert client.post(f"/review-assignments/run/{round_world['round'].id}", data={"csrf_token": token},
                       follow_redirects=True).status_code == 200
    assert db.session.query(ReviewAssignment).count() == 12


def test_the_expert_declines_with_a_reason(client, round_world):
    a, b = round_world["experts"][:2]
    row = factories.assignment(round_world["round"], round_world["apps"][0], a)
    factories.login(client, a.account)
    form = client.get(f"/expert/review/{row.id}/decline")
    assert form.status_code == 200 and "声明回避" in page_text(form) and "申报人0" in page_text(form)
    empty = client.post(f"/expert/review/{row.id}/decline", data={"reason": "  "})
    assert empty.status_code == 422 and "请填写回避理由" in page_text(empty)
    done = client.post(f"/expert/review/{row.id}/decline", data={"reason": "申报人是我的学生"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/expert/")
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, row.id).status == "declined"
    assert db.session.query(ReviewAssignment).filter_by(status="assigned").count() == 1
    # Declined: the form is gone.
    assert client.get(f"/expert/review/{row.id}/decline").status_code == 404


def test_an_expert_cannot_decline_anothers_assignment(client, round_world):
    a, b = round_world["experts"][:2]
    row = factories.assignment(round_world["round"], round_world["apps"][0], a)
    factories.login(client, b.account)
    assert client.get(f"/expert/review/{row.id}/decline").status_code == 404
    assert client.post(f"/expert/review/{row.id}/decline", data={"reason": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, row.id).status == "assigned"


def test_the_open_rounds_tab_comes_first_and_a_round_without_panels_says_so(client, round_world):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    first = page_text(client.get("/review-assignments/"))
    assert "第一组" in first  # 初审 is open: its tab
    final = page_text(client.get("/review-assignments/?stage=final_review"))
    assert "本轮还没有专家组" in final and "自动分配" not in final.split("专家复审")[-1]
    from app.models.review import ReviewRound
    assert db.session.query(ReviewRound).count() == 1  # reading made no round


def test_the_decline_form_leads_back_to_the_scoring_page_it_came_from(client, round_world):
    """声明回避 is a link on the scoring page: changing one's mind leads back to that application, not to the list."""
    a = round_world["experts"][0]
    row = factories.assignment(round_world["round"], round_world["apps"][0], a)
    factories.login(client, a.account)
    html = client.get(f"/expert/review/{row.id}").get_data(as_text=True)
    assert f'href="/expert/review/{row.id}/decline"' in html
    form = client.get(f"/expert/review/{row.id}/decline").get_data(as_text=True)
    assert re.search(rf'href="/expert/review/{row.id}"[^>]*>\s*返回评审页面', form)
    assert 'href="/expert/"' in form  # and 我的评审 is one click away too


def test_an_impossible_assignment_says_where_to_fix_it(client, round_world):
    """排不开: the refusal names the way out (专家组) and links there; each panel's heading opens that panel."""
    for expert in round_world["experts"][:3]:
        factories.conflict(expert, unit=round_world["district"], reason="曾任职")
    factories.login(client, factories.account(roles.CITY_OFFICE))
    run = client.post(f"/review-assignments/run/{round_world['round'].id}", follow_redirects=True)
    assert run.status_code == 422
    html = run.get_data(as_text=True)
    assert "可在专家组中为该组增加专家" in page_text(run) and 'href="/expert-panels/list/"' in html
    panel = db.session.query(ExpertPanelMember).first().panel
    assert f'href="/expert-panels/show/{panel.id}"' in html


def test_the_run_is_a_background_job_whose_result_only_its_owner_sees(app, client, round_world):
    """自动分配 runs as a job (app/jobs.py): its page forwards to 评审分配 with the result; another city office account
    given the same address sees the list without it, and a closed round fails with its reason in Chinese."""
    factories.login(client, factories.account(roles.CITY_OFFICE))
    run = client.post(f"/review-assignments/run/{round_world['round'].id}")
    assert run.status_code == 302 and run.headers["Location"].startswith("/jobs/")
    result_url = client.get(run.headers["Location"]).headers["Location"]
    assert result_url.startswith("/review-assignments/") and "job=" in result_url
    assert "自动分配完成：新分配 12 份" in page_text(client.get(result_url))
    other = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    page = other.get(result_url)
    assert page.status_code == 200 and "自动分配完成" not in page_text(page)

    closer = factories.account(roles.CITY_OFFICE)
    round_world["round"].closed_at, round_world["round"].closed_by_id = clock.now(), closer.id
    db.session.commit()
    failed = client.post(f"/review-assignments/run/{round_world['round'].id}", follow_redirects=True)
    assert "失败" in page_text(failed) and "本轮评审已结束，不能再分配" in page_text(failed)
