"""评审排名 and 拟评选名单 as the city office and the auditor use them: the table, the picks with their reason and
refusals, the top K, the counts, and the Excel exports."""
import io

import openpyxl
import pytest

from app.extensions import db
from app.models import Application, ApplicationEvent, AuditEvent
from tests import factories
from tests.ranking_setup import World


@pytest.fixture
def world():
    return World()


def status_of(application):
    db.session.expire_all()
    return db.session.get(Application, application.id).status


def test_the_initial_ranking_shows_ranks_ties_scores_and_disagreement(app, world):
    world.scored(world.initial, world.applicant("甲"), 95, 65)  # mean 80, spread 30: 分歧
    world.scored(world.initial, world.applicant("乙"), 80, 80)  # mean 80: tied with 甲
    world.applicant("丙")  # no review yet
    page = factories.login(app.test_client(), world.city).get("/ranking/?stage=initial_review")
    assert page.status_code == 200
    text = page.text
    assert "初审排名" in text and "复审排名" in text and "并列" in text and "分歧" in text and "无评分" in text
    assert "80.00" in text and "30.00" in text and "拟评选 0 / 100，重点宣传 0 / 10" in text
    assert 'name="ids"' in text and "入围复审" in text and 'name="k"' in text
    assert text.index("甲") < text.index("丙") and text.index("乙") < text.index("丙")


def test_the_auditor_reads_without_picking(app, world):
    world.scored(world.initial, world.applicant("甲"), 90)
    client = factories.login(app.test_client(), world.auditor)
    page = client.get("/ranking/?stage=initial_review")
    assert page.status_code == 200 and "甲" in page.text and 'name="ids"' not in page.text
    assert client.post("/ranking/pick", data={"stage": "initial_review", "action": "shortlist",
                                              "ids": "1"}).status_code in (302, 403)
    assert client.get("/candidates/").status_code == 200


def test_other_roles_are_refused(app, world):
    for role in ("一级单位", "专家", "申报人"):
        unit = world.district if role == "一级单位" else None
        client = factories.login(app.test_client(), factories.account(role, unit=unit))
        for url in ("/ranking/", "/candidates/", "/ranking/export.xlsx", "/candidates/export.xlsx"):
            assert client.get(url).status_code in (302, 403), (role, url)
            if url.endswith(".xlsx"):  # starting the export job
                assert client.post(url).status_code in (302, 403), (role, url)


def test_shortlisting_out_of_order_asks_for_the_reason_at_the_field_and_keeps_the_ticks(app, world):
    world.close(world.initial)
    best = world.scored(world.initial, world.applicant("甲"), 90)
    lower = world.scored(world.initial, world.applicant("乙"), 70)
    client = factories.login(app.test_client(), world.city)
    form = {"stage": "initial_review", "campaign": world.campaign.id, "action": "shortlist", "ids": [lower.id]}
    page = client.post("/ranking/pick", data={**form, "opinion": " "})
    assert page.status_code == 200 and 'id="opinion-error"' in page.text
    assert "排名更前的「甲」" in page.text and f'value="{lower.id}" id="pick-{lower.id}" checked' in page.text
    assert status_of(lower) == "reported"
    done = client.post("/ranking/pick", data={**form, "opinion": "基层代表"})
    assert done.status_code == 302
    assert status_of(lower) == "shortlisted" and status_of(best) == "reported"
    event = db.session.query(ApplicationEvent).filter_by(application_id=lower.id).one()
    assert (event.action, event.opinion) == ("shortlist", "基层代表")


def test_refusals_are_shown_per_application(app, world):
    world.scored(world.initial, world.applicant("甲"), 90)  # 初审 not closed: every pick refused
    client = factories.login(app.test_client(), world.city)
    ids = [a.id for a in db.session.query(Application)]
    page = client.post("/ranking/pick", data={"stage": "initial_review", "action": "shortlist", "ids": ids})
    assert page.status_code == 200 and "1 份未处理" in page.text and "甲：专家初审尚未结束" in page.text
    assert 'class="text-danger refusal"' in page.text


def test_top_k_by_typing_k_includes_ties_and_says_so(app, world):
    world.close(world.initial)
    for name, total in (("甲", 90), ("乙", 80), ("丙", 80), ("丁", 70)):
        world.scored(world.initial, world.applicant(name), total)
    client = factories.login(app.test_client(), world.city)
    bad = client.post("/ranking/top", data={"campaign": world.campaign.id, "k": "零"})
    assert bad.status_code == 200 and 'id="k-error"' in bad.text and "大于 0 的整数" in bad.text
    response = client.post("/ranking/top", data={"campaign": world.campaign.id, "k": "2"}, follow_redirects=True)
    assert "新入围复审 3 人" in response.text and "第 2 名有并列" in response.text
    assert sorted(a.name for a in db.session.query(Application).filter_by(status="shortlisted")) == ["丙", "乙", "甲"]


def test_candidates_and_featured_from_the_final_ranking_with_counts_and_quota(app, world):
    world.quotas(2, 1)
    world.close(world.initial)
    world.close(world.final)
    picks = [world.scored(world.final, world.applicant(n, status="shortlisted"), t)
             for n, t in (("甲", 90), ("乙", 80), ("丙", 70))]
    client = factories.login(app.test_client(), world.city)
    form = {"stage": "final_review", "campaign": world.campaign.id}
    first = client.post("/ranking/pick", data={**form, "action": "candidate", "ids": [picks[0].id, picks[1].id]})
    assert first.status_code == 302, first.text
    assert [status_of(p) for p in picks] == ["candidate", "candidate", "shortlisted"]
    client.post("/ranking/pick", data={**form, "action": "feature", "ids": [picks[0].id]})
    page = client.post("/ranking/pick", data={**form, "action": "candidate", "ids": [picks[2].id], "opinion": "x"})
    assert "拟评选名额已满：本批次最多 2 人，已有 2 人" in page.text
    page = client.get("/ranking/?stage=final_review")
    assert "拟评选 2 / 2，重点宣传 1 / 1" in page.text and "拟评选（重点宣传）" in page.text
    for label in ("拟评选", "重点宣传", "取消重点宣传", "取消拟评选"):
        assert f">{label}</button>" in page.text
    listing = client.get("/candidates/")
    assert listing.status_code == 200 and listing.text.index("甲") < listing.text.index("乙")
    assert "拟评选 2 / 2，重点宣传 1 / 1" in listing.text


def test_the_ranking_export_has_raw_and_normalised_scores_and_every_experts_total(app, world):
    world.scored(world.initial, world.applicant("=HYPERLINK(\"x\")"), 90, 60)
    world.scored(world.initial, world.applicant("乙"), 70)
    client = factories.login(app.test_client(), world.city)
    response = factories.job_file(client, client.post("/ranking/export.xlsx?stage=initial_review&order=z"))
    assert response.status_code == 200 and "ranking-initial_review" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    heads = rows[0]
    assert heads[:11] == ("名次", "并列", "姓名", "一级单位", "二级单位", "评审数", "平均分", "标准化分", "分差", "分歧", "状态")
    assert [h for h in heads[11:]] == sorted(f"专家：{e.name}" for e in world.experts[:2])
    first = {heads[i]: v for i, v in enumerate(rows[1])}
    assert first["姓名"] == "=HYPERLINK(\"x\")" and first["平均分"] == 75 and first["分差"] == 30
    assert first["分歧"] == "是" and first["状态"] == "一级单位已上报市学习办"
    assert sorted(v for v in rows[1][11:] if v is not None) == [60, 90]
    assert db.session.query(AuditEvent).filter_by(action="export.ranking").count() == 1


def test_the_candidate_export_lists_featured_first_with_reasons(app, world):
    world.close(world.final)
    best = world.scored(world.final, world.applicant("甲", status="shortlisted"), 90)
    other = world.scored(world.final, world.applicant("乙", status="shortlisted"), 80)
    from app import workflow

    workflow.perform(world.city, other.id, "candidate", "事迹突出")
    workflow.perform(world.city, best.id, "candidate")
    workflow.perform(world.city, other.id, "feature", "宣传价值高")
    auditor = factories.login(app.test_client(), world.auditor)
    response = factories.job_file(auditor, auditor.post("/candidates/export.xlsx"))
    rows = list(openpyxl.load_workbook(io.BytesIO(response.data)).active.values)
    heads = rows[0]
    named = [{heads[i]: v for i, v in enumerate(r)} for r in rows[1:]]
    assert [r["姓名"] for r in named] == ["乙", "甲"]
    assert (named[0]["重点宣传"], named[0]["拟评选理由"], named[0]["重点宣传理由"]) == ("是", "事迹突出", "宣传价值高")
    assert named[1]["复审名次"] == 1


def test_the_audit_log_reads_the_picks_and_exports_in_words(app, world):
    from app.views import audit as audit_view

    world.close(world.initial)
    application = world.scored(world.initial, world.applicant("甲"), 90)
    client = factories.login(app.test_client(), world.city)
    client.post("/ranking/pick", data={"stage": "initial_review", "action": "shortlist", "ids": [application.id]})
    client.post("/ranking/export.xlsx?stage=initial_review&order=z")
    labels = {str(audit_view.action_label(e.action)) for e in db.session.query(AuditEvent)}
    assert {"报名：入围复审", "导出评审排名"} <= labels
    assert audit_view.value_text("order", "z") == "按标准化分"
    assert str(audit_view.object_type_label("review_round")) == "评审轮次"


def test_bad_input_answers_400_or_404_never_500(app, world):
    client = factories.login(app.test_client(), world.city)
    assert client.get("/ranking/?stage=final").status_code == 404
    assert client.get("/ranking/?campaign=abc").status_code == 404
    assert client.get("/ranking/?order=median").status_code == 200  # falls back to the mean
    assert client.post("/ranking/pick", data={"stage": "initial_review", "action": "candidate", "ids": "1"}).status_code == 400
    assert client.post("/ranking/pick", data={"stage": "initial_review", "action": "shortlist", "ids": "x"}).status_code == 400
    empty = client.post("/ranking/pick", data={"stage": "initial_review", "action": "shortlist"})
    assert empty.status_code == 200 and "请先勾选要办理的报名" in empty.text
    assert client.get("/ranking/export.xlsx?stage=final_review&campaign=999").status_code == 404
    none_yet = client.post("/ranking/top", data={"k": "3"})
    assert none_yet.status_code == 200 and "初审还没有任何评分" in none_yet.text


def test_a_ranking_row_leads_to_that_applications_reviews(app, world):
    """评审数 links to 评审记录 narrowed to the row's application: each expert's scores behind the mean."""
    jia = world.scored(world.initial, world.applicant("甲"), 95, 65)
    world.scored(world.initial, world.applicant("乙"), 80, 80)
    for who in (world.city, world.auditor):
        client = factories.login(app.test_client(), who)
        text = client.get("/ranking/?stage=initial_review").text
        link = f"/review-records/?round={world.initial.id}&amp;application={jia.id}"
        assert f'href="{link}"' in text
        records = client.get(link.replace("&amp;", "&"))
        assert records.status_code == 200
        assert "只看申报人 甲 的评审" in records.text and "共 2 条" in records.text and "乙" not in records.text
        assert "95.00" in records.text and "65.00" in records.text


# --- a large round (RANKING_LIVE_LIMIT 0): figures from the background job, never computed in the request ----------


def test_a_closed_large_round_says_its_ranking_is_being_computed_and_refuses_the_top_k(app, world, large_rounds, queued_jobs):
    from app import jobs, rounds

    for name, total in (("甲", 90), ("乙", 80), ("丙", 70)):
        world.scored(world.initial, world.applicant(name), total)
    review_round = rounds.close(world.city, world.initial.id)
    client = factories.login(app.test_client(), world.city)
    page = client.get("/ranking/?stage=initial_review")
    assert page.status_code == 200 and "排名正在计算（0%）" in page.text and "查看计算进度" in page.text
    assert 'class="ranking-row' not in page.text and 'id="top-form"' not in page.text
    refused = client.post("/ranking/top", data={"campaign": world.campaign.id, "k": "2"})
    assert refused.status_code == 200 and "「专家初审」的排名正在计算" in refused.text
    assert db.session.query(Application).filter_by(status="shortlisted").count() == 0
    # The auditor reads the same state, without the job's page (it is the city office's) and without picking.
    audit = factories.login(app.test_client(), world.auditor).get("/ranking/?stage=initial_review").text
    assert "排名正在计算" in audit and "查看计算进度" not in audit

    assert jobs.run(app, review_round.ranking_job_id) == "done"
    db.session.expire_all()  # the worker wrote in a session of its own
    page = client.get("/ranking/?stage=initial_review").text
    assert "排名正在计算" not in page and 'id="ranking-source"' not in page
    assert page.index("甲") < page.index("乙") < page.index("丙") and 'id="top-form"' in page
    response = client.post("/ranking/top", data={"campaign": world.campaign.id, "k": "2"}, follow_redirects=True)
    assert "新入围复审 2 人" in response.text


def test_an_open_large_round_shows_its_snapshot_time_and_refreshes_through_the_job_page(app, world, large_rounds):
    from app import clock

    world.scored(world.initial, world.applicant("甲"), 90)
    client = factories.login(app.test_client(), world.city)
    page = client.get("/ranking/?stage=initial_review").text
    assert "尚未计算" in page and 'id="refresh-ranking"' in page and 'class="ranking-row' not in page
    response = client.post(f"/ranking/refresh?stage=initial_review&campaign={world.campaign.id}")
    assert response.status_code == 302 and response.location.startswith("/jobs/")
    # Done at once here (the test queue): the job's page sends the office on to the ranking it computed.
    page = client.get(response.location, follow_redirects=True).text
    assert f"排名截至 {clock.now():%Y-%m-%d %H:%M}" in page and 'class="ranking-row' in page
    assert 'id="refresh-ranking"' in page
    # The auditor reads the snapshot and may not refresh it.
    auditor = factories.login(app.test_client(), world.auditor)
    assert 'id="refresh-ranking"' not in auditor.get("/ranking/?stage=initial_review").text
    refused = auditor.post(f"/ranking/refresh?stage=initial_review&campaign={world.campaign.id}")
    assert refused.status_code in (302, 403) and db.session.query(Application).count() == 1
