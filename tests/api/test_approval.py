"""/api/v1/approval/<campaign_id>: 审核确定 over REST with a Bearer token (no cookie), the page's checks and messages."""
import io
from datetime import timedelta

import pytest

from app import clock, roles
from app.extensions import db
from app.models import CampaignApproval
from tests import factories
from tests.test_approval import decision_pdf

NUMBER = "京学习办〔2026〕5号"


@pytest.fixture
def world(app):
    campaign = factories.campaign(open_stage="publicity")
    picked = factories.candidates(3, campaign=campaign, featured=1)
    clock.freeze(campaign.window("publicity").ends_at + timedelta(hours=1))
    office = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    return {"campaign": campaign, "picked": picked, "office": office}


def form(**fields):
    data = {"decided_on": clock.now().date().isoformat(), "document_number": NUMBER,
            "decision_file": (io.BytesIO(decision_pdf()), "决定.pdf")}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def send(client, campaign, **fields):
    return client.post(f"/api/v1/approval/{campaign.id}", data=form(**fields), content_type="multipart/form-data")


def test_state_then_decision_then_state(world):
    office, campaign = world["office"], world["campaign"]
    state = office.get(f"/api/v1/approval/{campaign.id}")
    assert state.status_code == 200
    assert state.json["approved"] is False and state.json["refusal"] is None and state.json["decision"] is None
    assert state.json["counts"]["candidates"] == 3 and state.json["counts"]["featured"] == 1
    response = send(office, campaign)
    assert response.status_code == 201, response.json
    decision = response.json["decision"]
    assert (decision["document_number"], decision["winners"], decision["featured"]) == (NUMBER, 3, 1)
    assert decision["decision_url"] == f"/approval/decision/{campaign.id}.pdf"
    assert decision["decision_file_name"] == "决定.pdf"
    state = office.get(f"/api/v1/approval/{campaign.id}").json
    assert state["approved"] is True and state["decision"]["decided_on"] == clock.now().date().isoformat()
    assert state["counts"]["winners"] == 3
    again = send(office, campaign, document_number="京学习办〔2026〕6号")
    assert again.status_code == 409 and "不能重复录入" in again.json["message"]


def test_before_the_end_of_publicity_409_in_chinese(world):
    office, campaign = world["office"], world["campaign"]
    clock.freeze(campaign.window("publicity").ends_at - timedelta(minutes=1))
    assert "结束后才能录入审核决定" in office.get(f"/api/v1/approval/{campaign.id}").json["refusal"]
    response = send(office, campaign)
    assert response.status_code == 409 and "结束后才能录入审核决定" in response.json["message"]
    assert db.session.query(CampaignApproval).count() == 0


def test_open_objections_409(world):
    factories.objection(world["picked"][0])
    response = send(world["office"], world["campaign"])
    assert response.status_code == 409 and "异议未办结" in response.json["message"]


def test_fields_422_each_at_its_field(world):
    office, campaign = world["office"], world["campaign"]
    response = send(office, campaign, decided_on="7月20日", document_number="", decision_file=None)
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"decided_on", "document_number", "decision_file"}
    assert "年-月-日" in response.json["errors"]["decided_on"]
    response = send(office, campaign, document_number="", decision_file=(io.BytesIO(b"not a pdf"), "x.pdf"))
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"document_number", "decision_file"}
    assert "PDF" in response.json["errors"]["decision_file"]
    tomorrow = (clock.now().date() + timedelta(days=1)).isoformat()
    response = send(office, campaign, decided_on=tomorrow)
    assert response.status_code == 422 and response.json["errors"] == {"decided_on": "审核决定的日期不能晚于今天"}
    assert db.session.query(CampaignApproval).count() == 0


def test_unknown_campaign_404(world):
    assert world["office"].get("/api/v1/approval/999999").status_code == 404
    assert send(world["office"], type("C", (), {"id": 999999})).status_code == 404


def test_the_auditor_reads_and_nobody_else_records(app, world):
    campaign = world["campaign"]
    auditor = factories.api_client(app, factories.account(roles.AUDITOR))
    assert auditor.get(f"/api/v1/approval/{campaign.id}").status_code == 200
    assert send(auditor, campaign).status_code == 403
    street = world["picked"][0].unit
    for role, unit in ((roles.L1_CLERK, street.parent), (roles.L2_CLERK, street), (roles.EXPERT, None),
                       (roles.APPLICANT, None)):
        client = factories.api_client(app, factories.account(role, unit=unit))
        assert client.get(f"/api/v1/approval/{campaign.id}").status_code == 403, role
        assert send(client, campaign).status_code == 403, role
    assert db.session.query(CampaignApproval).count() == 0


def test_openapi_describes_the_approval(world):
    spec = world["office"].get("/api/v1/_openapi").json
    path = spec["paths"]["/api/v1/approval/{campaign_id}"]
    assert set(path) >= {"get", "post"}
    assert "multipart/form-data" in path["post"]["requestBody"]["content"]
