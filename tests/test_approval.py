"""审核确定 (app/approval.py): once, after 公示, with the decision's PDF; candidates become winners and past winners."""
import io
from datetime import timedelta

import pytest
from reportlab.pdfgen import canvas

from app import approval, clock, roles, schedule
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
