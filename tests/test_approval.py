"""审核确定 (app/approval.py): once, after 公示, with the decision's PDF; candidates become winners and past winners."""
import io
import re
from datetime import timedelta

import pytest
from reportlab.pdfgen import canvas

from app import approval, clock, masking, roles
from app.extensions import db
from app.models import Application, AuditEvent, CampaignApproval, Certificate, PastWinner
from app.workflow import WorkflowError
from tests import factories


def decision_pdf() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Decision")
    page.save()
    return buffer.getvalue()


def held():
    return approval.receive_decision(io.BytesIO(decision_pdf()), "决定.pdf")


@pytest.fixture
def after_publicity():
    campaign = factories.campaign(open_stage="publicity")
    picked = factories.candidates(3, campaign=campaign, featured=1)
    office = factories.account(roles.CITY_OFFICE)
    clock.freeze(campaign.window("publicity").ends_at + timedelta(hours=1))
    return campaign, picked, office


def test_approval_makes_winners_past_winners_and_certificates(after_publicity):
    campaign, picked, office = after_publicity
    record = approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    assert (record.winners, record.featured) == (3, 1)
    statuses = sorted(db.session.query(Application.status).filter(Application.campaign_id == campaign.id).all())
    assert statuses == [("featured_winner",), ("winner",), ("winner",)]
    assert db.session.query(PastWinner).filter_by(batch=campaign.name).count() == 3
    assert db.session.query(Certificate).count() == 3
    assert db.session.query(AuditEvent).filter_by(action="campaign.approve").count() == 1


def test_approval_before_the_end_of_publicity_or_twice_is_refused(after_publicity):
    campaign, picked, office = after_publicity
    clock.freeze(campaign.window("publicity").ends_at - timedelta(hours=1))
    with pytest.raises(WorkflowError, match="结束后才能"):
        approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    clock.freeze(campaign.window("publicity").ends_at + timedelta(hours=1))
    approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    with pytest.raises(WorkflowError, match="不能重复"):
        approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕6号", held())
    assert db.session.query(CampaignApproval).count() == 1


def test_a_file_that_is_not_a_pdf_is_refused_at_its_field():
    factories.campaign()
    with pytest.raises(WorkflowError) as refused:
        approval.receive_decision(io.BytesIO(b"GIF89a not a pdf"), "x.pdf")
    assert "PDF" in refused.value.errors["decision_file"]


def test_open_objections_block_approval_until_they_are_concluded(after_publicity):
    campaign, picked, office = after_publicity
    objection = factories.objection(picked[0], status="accepted")
    assert "尚有 1 件异议未办结" in approval.refusal(campaign)
    with pytest.raises(WorkflowError, match="尚有 1 件异议未办结") as refused:
        approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    assert refused.value.status == 409
    objection.status, objection.finding = "concluded", "unfounded"
    objection.conclusion, objection.concluded_at = "经核实，反映问题不属实。", clock.now()
    db.session.commit()
    assert approval.refusal(campaign) is None
    assert approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held()).winners == 3


def test_every_field_is_refused_at_once_and_nothing_changes(after_publicity):
    campaign, picked, office = after_publicity
    tomorrow = clock.now().date() + timedelta(days=1)
    with pytest.raises(WorkflowError) as refused:
        approval.approve(office, campaign.id, tomorrow, "  ", None)
    assert refused.value.status == 422
    assert refused.value.errors == {
        "decided_on": "审核决定的日期不能晚于今天",
        "document_number": "请填写审核决定的文号，例如 京学习办〔2018〕5号",
        "decision_file": "请上传领导小组审核决定的 PDF 文件",
    }
    with pytest.raises(WorkflowError) as refused:
        approval.approve(office, campaign.id, "2026-02-30", "京学习办〔2026〕5号", held())
    assert "年-月-日" in refused.value.errors["decided_on"]
    before_the_end = campaign.window("publicity").ends_at.date() - timedelta(days=1)
    with pytest.raises(WorkflowError) as refused:
        approval.approve(office, campaign.id, before_the_end, "京学习办〔2026〕5号", held())
    assert "不能早于" in refused.value.errors["decided_on"]
    with pytest.raises(WorkflowError) as refused:
        approval.approve(office, campaign.id, clock.now().date(), "京" * 51, held())
    assert set(refused.value.errors) == {"document_number"}
    assert db.session.query(CampaignApproval).count() == 0
    assert {a.status for a in db.session.query(Application)} == {"candidate", "featured"}


def test_the_date_may_come_as_text_and_the_document_number_is_tidied(after_publicity):
    campaign, picked, office = after_publicity
    day = clock.now().date()
    record = approval.approve(office, campaign.id, day.strftime("%Y/%m/%d"), " 京学习办〔2026〕 5号 ", held())
    assert record.decided_on == day and record.document_number == "京学习办〔2026〕 5号"


def test_only_the_city_office_records_and_check_does_nothing(after_publicity):
    campaign, picked, office = after_publicity
    auditor = factories.account(roles.AUDITOR)
    with pytest.raises(WorkflowError) as refused:
        approval.approve(auditor, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    assert refused.value.status == 403
    decision = held()
    approval.check(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", decision)
    assert decision.path.is_file() and db.session.query(CampaignApproval).count() == 0
    with pytest.raises(WorkflowError) as refused:
        approval.check(office, 10**9, clock.now().date(), "京学习办〔2026〕5号", decision)
    assert refused.value.status == 404


def test_a_held_decision_is_found_again_only_by_its_own_name(after_publicity):
    decision = held()
    again = approval.held_decision(decision.held, "C:\\扫描\\决定.pdf")
    assert again.path == decision.path and again.original_name == "决定.pdf"
    assert approval.held_decision("../" + decision.held, "x.pdf") is None
    assert approval.held_decision("nothing_here.pdf", "x.pdf") is None


def test_the_lists_public_then_final(after_publicity):
    campaign, picked, office = after_publicity
    clock.freeze(campaign.window("publicity").starts_at + timedelta(hours=1))
    from app import workflow

    workflow.perform(office, picked[0].id, "withdraw", "经核实，反映问题属实。")  # the featured one
    clock.freeze(campaign.window("publicity").ends_at + timedelta(hours=1))
    listed = approval.public_list(office, campaign)
    assert [(i.application.id, i.featured, i.withdrawn) for i in listed] == [
        (picked[1].id, False, False), (picked[2].id, False, False), (picked[0].id, True, True)]
    assert approval.final_list(office, campaign) == []
    assert approval.counts(campaign) == {"candidates": 2, "featured": 0, "withdrawn": 1, "winners": 0,
                                         "featured_winners": 0}
    approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    assert [i.application.id for i in approval.final_list(office, campaign)] == [picked[1].id, picked[2].id]
    assert len(approval.public_list(office, campaign)) == 3
    # Scoped like every list of applications: a unit clerk's clause reaches none of another district's.
    clerk = factories.account(roles.L2_CLERK, unit=factories.district_with_streets("朝阳区", ("建外街道",))[1][0])
    assert approval.final_list(clerk, campaign) == []


@pytest.mark.postgres
def test_two_clicks_at_once_approve_once_and_the_other_gets_the_chinese_refusal(app, after_publicity):
    from tests.test_concurrency import race

    campaign, picked, office = after_publicity
    decisions = [held(), held()]
    at = clock.now()

    def approve(i):
        clock.freeze(at)
        try:
            from app.models import Account

            actor = db.session.get(Account, office.id)
            approval.approve(actor, campaign.id, at.date(), f"京学习办〔2026〕{i + 5}号", decisions[i])
            return "approved"
        except WorkflowError as refused:
            return (refused.status, str(refused))

    outcomes = race(app, 2, approve)
    assert outcomes.count("approved") == 1, outcomes
    refusal = next(o for o in outcomes if o != "approved")
    assert refusal[0] == 409 and "不能重复录入" in refusal[1]
    db.session.expire_all()
    assert db.session.query(CampaignApproval).count() == 1
    assert db.session.query(PastWinner).count() == 3 and db.session.query(Certificate).count() == 3
    assert db.session.query(AuditEvent).filter_by(action="campaign.approve").count() == 1


# --- R-APP-6 across campaigns: the winners of one are refused by the next, through the citizen's own doors --------


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory):
    from tests.media import corpus

    path = tmp_path_factory.mktemp("approval-media") / "ok.mp4"
    corpus.clip(path)
    return path.read_bytes()


def test_a_winner_of_one_campaign_is_refused_in_the_next_on_the_page_and_over_rest(app, after_publicity, clip_bytes):
    from app.models import Stage
    from tests.media import corpus
    from tests.views.test_apply import fields, upload

    campaign, picked, office = after_publicity
    winner_on_page, winner_over_rest, _third = picked
    record = approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    assert record.winners == 3

    # The next year's campaign opens 在线报名; both winners sign in with their old accounts.
    at = clock.now() + timedelta(days=200)
    clock.freeze(at)
    later = factories.campaign(year=campaign.year + 1, open_stage=Stage.APPLY, at=at)
    street = factories.district_with_streets("西城区", ("德胜街道",))[1][0]
    message = f"您已获评首都市民学习之星（{campaign.name}），按通知规定不再申报"
    photo = corpus.encoded(corpus.portrait(), "JPEG")

    page = factories.login(app.test_client(), winner_on_page.applicant)
    page.post("/apply/", data=fields(street, id_number=winner_on_page.id_number, intent="save"))
    assert upload(page, "photo", photo, "me.jpg").status_code == 200
    assert upload(page, "video", clip_bytes, "me.mp4").status_code == 200
    response = page.post("/apply/", data=fields(street, id_number=winner_on_page.id_number, intent="submit"))
    assert response.text.count(message) == 2  # the banner and the ID number's field
    field_error = r'id="id_number"[^>]*>\s*(?:<p[^>]*>[^<]*</p>\s*)?<span class="help-block field-error"[^>]*>([^<]+)<'
    at_field = re.search(field_error, response.text)
    assert at_field is not None and at_field.group(1) == message

    rest = factories.api_client(app, winner_over_rest.applicant)
    response = rest.put("/api/v1/my_application/", json={
        "name": winner_over_rest.name, "id_number": winner_over_rest.id_number, "mobile": "13911588771",
        "work_unit": "北京某研究院", "position": "工程师", "address": "北京市西城区", "unit_id": street.id,
        "deeds": "学习", "is_permanent_resident": True, "declaration_confirmed": True,
    })
    assert response.status_code == 200, response.json
    for kind, data, name in (("photo", photo, "me.jpg"), ("video", clip_bytes, "me.mp4")):
        sent = rest.post(f"/api/v1/my_application/{kind}", data={"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")
        assert sent.status_code == 200, sent.json
    response = rest.post("/api/v1/my_application/submit")
    assert response.status_code == 422 and response.json["errors"] == {"id_number": message}

    db.session.expire_all()
    later_statuses = {a.status for a in db.session.query(Application).filter_by(campaign_id=later.id)}
    assert later_statuses == {"draft"}

    # 历届学习之星 lists them with their batch.
    office_page = factories.login(app.test_client(), office).get("/past-winners/list/").text
    for application in picked:  # masked on the list (app/masking.py), as the city office now reads it
        assert masking.mask_id_number(application.id_number) in office_page
        assert application.id_number not in office_page
    assert office_page.count(campaign.name) >= 3
