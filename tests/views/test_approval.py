"""公示与表彰 → 审核确定 through HTTP: the screen, its refusals that keep what was typed and uploaded, the confirm step,
the decision's PDF, the official lists (Excel and print) and who may do what."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app import clock, roles, workflow
from app.extensions import db
from app.models import Application, AuditEvent, BackgroundJob, CampaignApproval
from tests import factories
from tests.test_approval import decision_pdf

NUMBER = "京学习办〔2026〕5号"
ID_NUMBER = factories.id_number("19700101", 321)
MOBILE = "13912345678"


@pytest.fixture
def world(app):
    campaign = factories.campaign(open_stage="publicity")
    picked = factories.candidates(3, campaign=campaign, featured=1, mobile=MOBILE, work_unit="北京某研究院",
                                  position="工程师")
    picked[2].id_number = ID_NUMBER
    withdrawn = factories.candidates(1, campaign=campaign, featured=1)[0]
    db.session.commit()
    office = factories.account(roles.CITY_OFFICE, first_name="李娜")
    auditor = factories.account(roles.AUDITOR)
    # 公示 runs: the office withdraws one featured candidate after an objection, then the period ends.
    clock.freeze(campaign.window("publicity").starts_at + timedelta(days=1))
    workflow.perform(office, withdrawn.id, "withdraw", "经核实，反映问题属实。")
    clock.freeze(campaign.window("publicity").ends_at + timedelta(hours=2))
    return {"campaign": campaign, "picked": picked, "withdrawn": withdrawn, "office": office, "auditor": auditor,
            "client": factories.login(app.test_client(), office)}


def today() -> str:
    return clock.now().date().isoformat()


def post(client, campaign, **fields):
    data = {"campaign": str(campaign.id), "decided_on": today(), "document_number": NUMBER}
    data.update({k: v for k, v in fields.items() if v is not None})
    for key in [k for k, v in fields.items() if v is None]:
        data.pop(key, None)
    return client.post("/approval/approve", data=data, content_type="multipart/form-data")


def pdf_upload(name="领导小组审核决定.pdf"):
    return (io.BytesIO(decision_pdf()), name)


def held_of(page: str) -> tuple[str, str]:
    held = re.search(r'name="held" value="([^"]+)"', page).group(1)
    held_name = re.search(r'name="held_name" value="([^"]+)"', page).group(1)
    return held, held_name


def approved() -> CampaignApproval | None:
    db.session.expire_all()
    return db.session.query(CampaignApproval).one_or_none()


def test_the_office_sees_counts_period_and_the_form(world):
    page = world["client"].get("/approval/").text
    assert "拟评选" in page and "3 人（其中重点宣传 1 人）" in page
    assert re.search(r'id="count-withdrawn">1 人<', page)
    assert world["campaign"].window("publicity").ends_at.strftime("%Y-%m-%d %H:%M:%S") in page
    assert 'id="approval-form"' in page and 'name="decision_file"' in page and "京学习办〔2018〕N号" in page
    assert 'data-mode="date"' in page  # the portal's date picker, date only


def test_before_the_end_of_publicity_the_page_says_why_and_has_no_form(world):
    clock.freeze(world["campaign"].window("publicity").ends_at - timedelta(hours=1))
    page = world["client"].get("/approval/").text
    assert "结束后才能录入审核决定" in page and 'id="approval-form"' not in page
    response = post(world["client"], world["campaign"], decision_file=pdf_upload(), confirmed="1")
    assert "结束后才能录入审核决定" in response.text and approved() is None


def test_open_objections_are_counted_and_block_the_form(world):
    factories.objection(world["picked"][0], status="verifying")
    factories.objection(world["picked"][1], status="concluded")
    page = world["client"].get("/approval/").text
    assert re.search(r'id="open-objections">1 件<', page)
    assert "尚有 1 件异议未办结" in page and 'id="approval-form"' not in page


def test_a_refused_form_keeps_every_value_and_the_uploaded_pdf(world):
    client, campaign = world["client"], world["campaign"]
    response = post(client, campaign, document_number="", decision_file=pdf_upload())
    page = response.text
    assert response.status_code == 200 and approved() is None
    assert "请填写审核决定的文号" in page and f'value="{today()}"' in page
    assert "已上传：领导小组审核决定.pdf（可重新选择）" in page
    held, held_name = held_of(page)
    # Second try: the 文号 typed, no new file chosen — the held one goes on; then the confirm step.
    page = post(client, campaign, held=held, held_name=held_name).text
    assert 'id="approval-confirm"' in page and "审核确定后名单将公布，不能撤回" in page and NUMBER in page
    assert approved() is None  # nothing recorded before the confirmation
    held, held_name = held_of(page)
    response = post(client, campaign, held=held, held_name=held_name, confirmed="1")
    assert response.status_code == 302
    record = approved()
    assert (record.document_number, record.decided_on.isoformat(), record.winners, record.featured) == (
        NUMBER, today(), 3, 1)
    assert record.decision_original_name == "领导小组审核决定.pdf"
    page = client.get(response.headers["Location"]).text
    assert "领导小组审核决定" in page and NUMBER in page and "市学习办 · 李娜" in page
    assert 'href="/mingdan"' in page and 'href="/certificates/list/"' in page
    assert client.get("/certificates/list/").status_code == 200
    assert 'id="approval-form"' not in page
    download = client.get(f"/approval/decision/{campaign.id}.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf" and download.data[:5] == b"%PDF-"


def test_every_field_is_refused_at_once_and_a_bad_file_keeps_the_held_one(world):
    client, campaign = world["client"], world["campaign"]
    page = post(client, campaign, decided_on="", document_number="", decision_file=pdf_upload("第一份.pdf")).text
    assert "请填写审核决定的日期" in page and "请填写审核决定的文号" in page and "已上传：第一份.pdf" in page
    held, held_name = held_of(page)
    page = post(client, campaign, held=held, held_name=held_name, decided_on="2026-13-40",
                decision_file=(io.BytesIO(b"GIF89a not a pdf"), "scan.pdf")).text
    assert "日期应为“年-月-日”" in page and "审核决定须为 PDF 文件" in page
    assert "已上传：第一份.pdf" in page and 'value="2026-13-40"' in page
    tomorrow = (clock.now().date() + timedelta(days=1)).isoformat()
    page = post(client, campaign, held=held, held_name=held_name, decided_on=tomorrow).text
    assert "审核决定的日期不能晚于今天" in page
    page = post(client, campaign, decided_on=today()).text  # no file at all
    assert "请上传领导小组审核决定的 PDF 文件" in page and approved() is None


def test_a_forged_held_name_is_not_taken(world):
    page = post(world["client"], world["campaign"], held="../../etc/passwd", held_name="x.pdf", confirmed="1").text
    assert "请上传领导小组审核决定的 PDF 文件" in page and approved() is None


def test_back_from_the_confirm_step_keeps_everything(world):
    client, campaign = world["client"], world["campaign"]
    page = post(client, campaign, decision_file=pdf_upload()).text
    held, held_name = held_of(page)
    page = post(client, campaign, held=held, held_name=held_name, back="1").text
    assert 'id="approval-form"' in page and f'value="{NUMBER}"' in page and "已上传：领导小组审核决定.pdf" in page


def test_the_auditor_reads_but_cannot_record(app, world):
    auditor = factories.login(app.test_client(), world["auditor"])
    page = auditor.get("/approval/")
    assert page.status_code == 200 and "拟评选" in page.text and 'id="approval-form"' not in page.text
    assert post(auditor, world["campaign"], decision_file=pdf_upload(), confirmed="1").status_code == 403
    assert approved() is None
    post(world["client"], world["campaign"], decision_file=pdf_upload(), confirmed="1")
    assert approved() is not None
    page = auditor.get("/approval/").text
    assert NUMBER in page and 'id="record-file"' in page
    assert auditor.get(f"/approval/decision/{world['campaign'].id}.pdf").status_code == 200
    assert factories.job_file(auditor, auditor.post("/approval/winners.xlsx")).status_code == 200


@pytest.mark.parametrize("role", [roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT])
def test_other_roles_are_refused(app, world, role):
    post(world["client"], world["campaign"], decision_file=pdf_upload(), confirmed="1")
    unit = None
    if role in (roles.L1_CLERK, roles.L2_CLERK):
        unit = world["picked"][0].unit if role == roles.L2_CLERK else world["picked"][0].unit.parent
    client = factories.login(app.test_client(), factories.account(role, unit=unit))
    cid = world["campaign"].id
    for url in ("/approval/", "/approval/candidates.xlsx", "/approval/candidates/print", "/approval/winners.xlsx",
                "/approval/winners/print", f"/approval/decision/{cid}.pdf"):
        assert client.get(url).status_code == 403, url
    assert post(client, world["campaign"], decision_file=pdf_upload(), confirmed="1").status_code == 403
    assert 'href="/approval/"' not in client.get("/").text  # no menu item


def sheet_rows(response) -> list[list]:
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def no_personal_data(text: str, world) -> None:
    for application in world["picked"]:
        assert application.id_number not in text and MOBILE not in text
        assert application.address not in text if application.address else True


def test_the_candidate_list_marks_the_withdrawn_and_holds_nothing_personal(world):
    client = world["client"]
    names = [a.name for a in world["picked"]]
    response = factories.job_file(client, client.post("/approval/candidates.xlsx"))
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = sheet_rows(response)
    assert "公示名单" in rows[0][0]
    assert rows[1] == ["序号", "姓名", "性别", "单位", "工作单位及职务", "重点宣传", "备注"]
    body = rows[2:]
    assert [r[1] for r in body[:3]] == names  # featured first, then the units' order
    assert body[0][5] == "是" and not body[1][5]
    assert body[0][4] == "北京某研究院 工程师" and " · " in body[0][3]
    assert body[3][1] == world["withdrawn"].name and body[3][6] == "公示后撤销" and body[3][5] == "是"
    no_personal_data(repr(rows), world)
    printed = client.get("/approval/candidates/print")
    assert printed.status_code == 200 and "公示名单" in printed.text and "公示期" in printed.text
    for name in names + [world["withdrawn"].name]:
        assert name in printed.text
    assert "公示后撤销" in printed.text and "共 3 人，其中重点宣传 1 人" in printed.text
    no_personal_data(printed.text, world)
    assert db.session.query(AuditEvent).filter_by(action="export.public_list").count() == 1


def test_the_final_list_exists_only_after_approval_featured_first_with_the_decision(world):
    client = world["client"]
    assert client.get("/approval/winners.xlsx").status_code == 302
    assert client.post("/approval/winners.xlsx").status_code == 302  # no job: back to 审核确定 with the reason
    assert db.session.query(BackgroundJob).count() == 0
    assert client.get("/approval/winners/print").status_code == 302
    post(client, world["campaign"], decision_file=pdf_upload(), confirmed="1")
    rows = sheet_rows(factories.job_file(client, client.post("/approval/winners.xlsx")))
    assert NUMBER in rows[0][0]
    assert rows[1] == ["序号", "姓名", "性别", "单位", "工作单位及职务", "重点宣传"]
    assert [r[1] for r in rows[2:]] == [a.name for a in world["picked"]]  # the withdrawn one is not a winner
    assert rows[2][5] == "是"
    no_personal_data(repr(rows), world)
    printed = client.get("/approval/winners/print").text
    assert NUMBER in printed and today() in printed and world["withdrawn"].name not in printed
    assert all(a.name in printed for a in world["picked"])
    no_personal_data(printed, world)
    # The 公示名单 still names whom the notice published, approved since.
    rows = sheet_rows(factories.job_file(client, client.post("/approval/candidates.xlsx")))
    assert len(rows[2:]) == 4


def test_the_candidates_page_links_the_official_list(world):
    page = world["client"].get(f"/candidates/?campaign={world['campaign'].id}").text
    assert "/approval/candidates.xlsx" in page and "/approval/candidates/print" in page


def test_the_approval_is_audited_without_personal_data(world):
    post(world["client"], world["campaign"], decision_file=pdf_upload(), confirmed="1")
    events = db.session.query(AuditEvent).filter_by(action="campaign.approve").all()
    assert len(events) == 1
    assert ID_NUMBER not in repr(events[0].__dict__)
    statuses = {a.status for a in db.session.query(Application).filter(Application.campaign_id == world["campaign"].id)}
    assert statuses == {"winner", "featured_winner", "withdrawn"}


def test_the_form_needs_its_csrf_token(app, world, csrf_on):
    client = world["client"]
    assert post(client, world["campaign"], decision_file=pdf_upload(), confirmed="1").status_code == 400
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/approval/").text).group(1)
    response = post(client, world["campaign"], decision_file=pdf_upload(), confirmed="1", csrf_token=token)
    assert response.status_code == 302 and approved() is not None
