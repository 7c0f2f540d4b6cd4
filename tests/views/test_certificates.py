"""荣誉证书 on the screens: the public check /zhengshu/ (no sign-in, one neutral 404, rate limited), the office's list,
A4 page, PDFs and 撤销, who may reach them, and the winner's own PDF from 我的报名."""
import io
import re
import uuid

import pytest
from pypdf import PdfReader

from app import roles
from app.extensions import db
from app.models import AuditEvent, Certificate
from tests import factories
from tests.certificate_setup import winners
from tests.test_rate_limit import limited_app

NEUTRAL = "未找到该证书编号，请核对"


def test_a_code_verifies_on_the_public_page_without_signing_in(client):
    featured, plain = winners(2, featured=1)
    page = client.get(f"/zhengshu/{featured.code}")
    assert page.status_code == 200
    text = page.text
    assert featured.name in text and featured.campaign.name in text and "首都市民学习之星" in text
    assert "重点宣传" in text and "有效" in text and NEUTRAL not in text
    # nothing personal beyond the name: the application's ID number, phone, address, unit
    application = featured.application
    for private in (application.id_number, application.mobile, application.address, application.work_unit):
        assert private not in text
    other = client.get(f"/zhengshu/{plain.code.lower().replace('-', '')}")
    assert other.status_code == 200 and plain.name in other.text and "重点宣传</span>" not in other.text


def test_the_lookup_form_takes_the_code_however_typed(client):
    (certificate,) = winners(1)
    form = client.get("/zhengshu/")
    assert form.status_code == 200 and 'name="code"' in form.text
    typed = client.get("/zhengshu/", query_string={"code": " " + certificate.code.lower().replace("-", "") + " "})
    assert typed.status_code == 302 and typed.headers["Location"].endswith(f"/zhengshu/{certificate.code}")


def _body(response) -> str:
    return factories.without_nonce(response.get_data(as_text=True))


def test_a_made_up_code_and_a_malformed_one_get_the_same_neutral_404(client):
    winners(1)
    made_up = client.get("/zhengshu/AAAA-BBBB-CCCC")
    malformed = client.get("/zhengshu/%3Cscript%3E")
    too_short = client.get("/zhengshu/AB")
    assert made_up.status_code == malformed.status_code == too_short.status_code == 404
    assert NEUTRAL in _body(made_up)
    assert _body(made_up) == _body(malformed) == _body(too_short)
    assert "AAAA-BBBB" not in _body(made_up) and "&lt;script" not in _body(malformed)
    # typed into the form, a nonsense code ends on the same page
    typed = client.get("/zhengshu/", query_string={"code": "!!!"}, follow_redirects=True)
    assert typed.status_code == 404 and _body(typed) == _body(made_up)


def test_the_code_typed_is_never_echoed_back(client):
    winners(1)
    for code in ("ZZZZ-ZZZZ-ZZZZ", "QQQQQQQQ"):
        assert code not in _body(client.get(f"/zhengshu/{code}"))


def test_a_revoked_certificate_shows_revoked_and_when_but_not_why(app, client):
    (certificate,) = winners(1)
    office = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    answer = office.post(f"/certificates/revoke/{certificate.id}", data={"reason": "经核实，事迹材料不实"})
    assert answer.status_code == 302
    page = client.get(f"/zhengshu/{certificate.code}")
    assert page.status_code == 200 and "已撤销" in page.text and "有效</strong>" not in page.text
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at.date().isoformat() in page.text
    assert "事迹材料不实" not in page.text


def test_the_public_check_is_rate_limited_per_address(app):
    (certificate,) = winners(1)
    limited = limited_app(app, "memory://", f"portal-test-{uuid.uuid4().hex}")
    limited.config["CERTIFICATE_RATE_LIMIT"] = "3 per minute"
    client = limited.test_client()
    codes = [client.get(f"/zhengshu/{certificate.code}").status_code for _ in range(3)]
    refused = client.get(f"/zhengshu/{certificate.code}")
    assert codes == [200, 200, 200] and refused.status_code == 429 and "操作过于频繁" in refused.text
    # the API counts the same way, and another address has a count of its own
    api = limited.test_client()
    api.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    answers = [api.get(f"/api/v1/public/zhengshu/{certificate.code}").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]


# --- the office's screen -----------------------------------------------------------------------------------------


def test_the_office_lists_prints_and_downloads(app):
    issued = winners(3, featured=1)
    campaign = issued[0].campaign
    office = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    listing = office.get("/certificates/list/")
    assert listing.status_code == 200
    for certificate in issued:
        assert certificate.code in listing.text and certificate.name in listing.text
        assert f"/certificates/print/{certificate.id}" in listing.text
        assert f"/certificates/pdf/{certificate.id}" in listing.text
    assert f"/certificates/campaign/{campaign.id}.pdf" in listing.text and "有效" in listing.text
    page = office.get(f"/certificates/print/{issued[0].id}")
    assert page.status_code == 200 and "@page { size: A4" in page.text and "<svg" in page.text
    assert issued[0].name in page.text and issued[0].code in page.text and "北京市建设学习型城市工作领导小组办公室" in page.text
    assert f"http://localhost/zhengshu/{issued[0].code}" in page.text and "重点宣传" in page.text
    assert not re.search(r"""(src|href)=["']https?://""", page.text)  # nothing fetched from outside
    single = office.get(f"/certificates/pdf/{issued[1].id}")
    assert single.status_code == 200 and single.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(single.data)).pages) == 1
    everything = factories.job_file(office, office.post(f"/certificates/campaign/{campaign.id}.pdf"))
    assert everything.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(everything.data))
    assert len(reader.pages) == 3 and issued[2].code in reader.pages[2].extract_text()
    assert office.get("/certificates/campaign/999999.pdf").status_code == 404


def test_revoking_needs_a_reason_kept_on_a_refused_form_and_happens_once(app):
    (certificate,) = winners(1)
    office = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    shown = office.get(f"/certificates/show/{certificate.id}")
    assert shown.status_code == 200 and f"/certificates/revoke/{certificate.id}" in shown.text
    refused = office.post(f"/certificates/revoke/{certificate.id}", data={"reason": "   "})
    assert refused.status_code == 422 and "请填写撤销理由" in refused.text
    long_reason = "很长" * 200
    refused = office.post(f"/certificates/revoke/{certificate.id}", data={"reason": long_reason})
    assert refused.status_code == 422 and long_reason in refused.text  # what was typed is kept
    assert office.post(f"/certificates/revoke/{certificate.id}", data={"reason": "撤销"}).status_code == 302
    again = office.post(f"/certificates/revoke/{certificate.id}", data={"reason": "再撤销"})
    assert again.status_code == 409 and "不能重复撤销" in again.text
    assert db.session.query(AuditEvent).filter_by(action="certificate.revoke").count() == 1
    assert f"/certificates/revoke/{certificate.id}" not in office.get(f"/certificates/show/{certificate.id}").text
    log = factories.login(app.test_client(), factories.account(roles.AUDITOR)).get("/audit/list/")
    assert "撤销荣誉证书" in log.text and "撤销理由：撤销" in log.text


def test_the_auditor_reads_but_does_not_revoke(app):
    (certificate,) = winners(1)
    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR))
    assert auditor.get("/certificates/list/").status_code == 200
    assert auditor.get(f"/certificates/print/{certificate.id}").status_code == 200
    assert auditor.get(f"/certificates/pdf/{certificate.id}").status_code == 200
    shown = auditor.get(f"/certificates/show/{certificate.id}")
    assert shown.status_code == 200 and f"/certificates/revoke/{certificate.id}" not in shown.text
    assert auditor.post(f"/certificates/revoke/{certificate.id}", data={"reason": "x"}).status_code in (302, 403)
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None


@pytest.mark.parametrize("role", [roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT])
def test_others_reach_no_office_screen(app, role):
    (certificate,) = winners(1)
    district, (street, _) = factories.district_with_streets(name=f"区{role}")
    unit = {roles.L1_CLERK: district, roles.L2_CLERK: street}.get(role)
    client = factories.login(app.test_client(), factories.account(role, unit=unit))
    for url in ("/certificates/list/", f"/certificates/show/{certificate.id}", f"/certificates/print/{certificate.id}",
                f"/certificates/pdf/{certificate.id}", f"/certificates/campaign/{certificate.campaign_id}.pdf"):
        assert client.get(url).status_code in (302, 403, 404), (role, url)
    assert "荣誉证书" not in client.get("/").text


# --- the winner -----------------------------------------------------------------------------------------------


def test_the_winner_sees_the_award_and_downloads_their_own_certificate_only(app):
    mine, theirs = winners(2, featured=0)
    client = factories.login(app.test_client(), mine.application.applicant)
    page = client.get("/apply/")
    assert page.status_code == 200 and "您已被评为首都市民学习之星" in page.text
    assert f"/certificates/mine/{mine.application_id}.pdf" in page.text
    own = client.get(f"/certificates/mine/{mine.application_id}.pdf")
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    assert mine.code in PdfReader(io.BytesIO(own.data)).pages[0].extract_text()
    assert client.get(f"/certificates/mine/{theirs.application_id}.pdf").status_code == 404
    assert client.get("/certificates/mine/999999.pdf").status_code == 404
    assert client.get(f"/certificates/pdf/{mine.id}").status_code in (302, 403)  # the office's route


def test_a_citizen_who_did_not_win_sees_no_award(app):
    (certificate,) = winners(1)
    (other,) = factories.candidates(1, campaign=certificate.campaign)
    client = factories.login(app.test_client(), other.applicant)
    page = client.get("/apply/")
    assert page.status_code == 200 and "您已被评为" not in page.text
    assert client.get(f"/certificates/mine/{certificate.application_id}.pdf").status_code == 404
