"""荣誉证书 (app/certificates.py): issued at 审核确定, found by a typed code, revoked once (audited), printed as one
A4 PDF page each whose QR code holds the public address of the check."""
import io
from datetime import timedelta

import pytest
import segno
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from app import approval, certificates, clock, roles
from app.extensions import db
from app.models import AuditEvent, Certificate
from app.workflow import WorkflowError
from tests import factories
from tests.test_approval import held


@pytest.fixture
def winners():
    """A campaign approved after 公示 (decided on 2026-07-15): three winners, the first featured."""
    campaign = factories.campaign(open_stage="publicity")
    picked = factories.candidates(3, campaign=campaign, featured=1)
    office = factories.account(roles.CITY_OFFICE)
    clock.freeze(campaign.window("publicity").ends_at + timedelta(days=1))
    approval.approve(office, campaign.id, clock.now().date(), "京学习办〔2026〕5号", held())
    issued = db.session.query(Certificate).order_by(Certificate.featured.desc(), Certificate.id).all()
    return campaign, picked, office, issued


def test_each_winner_gets_a_certificate_featured_ones_marked(winners):
    campaign, picked, _office, issued = winners
    assert sorted(c.application_id for c in issued) == sorted(a.id for a in picked)
    assert [c.featured for c in issued] == [True, False, False]
    assert {c.name for c in issued} == {a.name for a in picked}
    assert all(c.title == "首都市民学习之星" and c.campaign_id == campaign.id for c in issued)
    assert len({c.code for c in issued}) == 3


def test_a_code_is_found_however_it_is_typed(winners):
    certificate = winners[3][0]
    typed = certificate.code.lower().replace("-", "")
    assert Certificate.normalise_code(typed) == certificate.code
    assert certificates.find(typed) == certificate
    assert certificates.find(f"  {certificate.code.lower()} ") == certificate
    assert certificates.find(certificate.code[:-1]) is None  # malformed: one character short
    assert certificates.find("'; DROP TABLE certificate;--") is None
    assert certificates.find("") is None
    assert certificates.find("AAAA-AAAA-AAAA") is None  # well formed, unknown


def test_new_codes_use_the_unambiguous_alphabet():
    for _ in range(50):
        code = Certificate.new_code()
        assert len(code) == 14 and code.count("-") == 2
        assert not set(code.replace("-", "")) & set("01OIL")


def test_the_certificate_is_dated_by_the_leading_groups_decision():
    campaign = factories.campaign(open_stage="publicity")
    factories.candidates(1, campaign=campaign)
    office = factories.account(roles.CITY_OFFICE)
    clock.freeze(campaign.window("publicity").ends_at + timedelta(days=20))
    decided = clock.now().date() - timedelta(days=3)
    approval.approve(office, campaign.id, decided, "京学习办〔2026〕5号", held())
    certificate = db.session.query(Certificate).one()
    assert certificates.awarded_on(certificate) == decided
    assert certificates.sheet(certificate, "https://x.test").awarded == certificates.chinese_date(decided)


def test_the_city_office_revokes_once_with_a_reason_and_it_is_audited(winners):
    _campaign, _picked, office, issued = winners
    certificate = issued[1]
    with pytest.raises(WorkflowError) as refused:
        certificates.revoke(office, certificate.id, "  ")
    assert refused.value.status == 422 and "撤销理由" in refused.value.errors["reason"]
    certificates.revoke(office, certificate.id, "经核实，事迹材料不实")
    db.session.expire_all()
    revoked = db.session.get(Certificate, certificate.id)
    assert revoked.revoked_at == clock.now() and revoked.revoked_reason == "经核实，事迹材料不实"
    assert certificates.status_text(revoked) == "已撤销"
    with pytest.raises(WorkflowError) as twice:
        certificates.revoke(office, certificate.id, "再次撤销")
    assert twice.value.status == 409 and "不能重复撤销" in str(twice.value)
    assert db.session.get(Certificate, certificate.id).revoked_reason == "经核实，事迹材料不实"
    events = db.session.query(AuditEvent).filter_by(action="certificate.revoke").all()
    assert [(e.object_type, e.object_id, e.detail) for e in events] == [
        ("certificate", str(certificate.id), {"reason": "经核实，事迹材料不实"})]


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.L1_CLERK, roles.APPLICANT, roles.EXPERT])
def test_only_the_city_office_revokes(winners, role):
    certificate = winners[3][0]
    with pytest.raises(WorkflowError) as refused:
        certificates.revoke(factories.account(role), certificate.id, "理由")
    assert refused.value.status == 403
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None
    assert db.session.query(AuditEvent).filter_by(action="certificate.revoke").count() == 0


def test_revoking_an_unknown_certificate_is_404(winners):
    with pytest.raises(WorkflowError) as refused:
        certificates.revoke(winners[2], 999999, "理由")
    assert refused.value.status == 404


def test_public_facts_hold_nothing_personal_beyond_name_campaign_and_title(winners):
    certificate = winners[3][0]
    facts = certificates.public_facts(certificate)
    assert set(facts) == {"code", "name", "campaign", "title", "featured", "title_display", "issued_on", "issuer",
                          "valid", "status", "revoked_on"}
    application = certificate.application
    text = repr(facts)
    for private in (application.id_number, application.mobile, application.address, application.work_unit):
        assert private not in text
    assert facts["title_display"] == "首都市民学习之星（重点宣传）" and facts["valid"] and facts["status"] == "有效"


# --- the PDF and its QR code ------------------------------------------------------------------------------------

BASE = "https://xuexi.example.cn"


def qr_modules(page) -> list[list[bool]]:
    """The QR code as drawn on a page: the squares of one module's size (reportlab's `re` operations), put back on
    their grid."""
    module = certificates.QR_MODULE
    squares = []
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"re":
            x, y, w, h = (float(v) for v in operands)
            if abs(w - module) < 0.01 and abs(h - module) < 0.01:
                squares.append((x, y))
    left, top = min(x for x, _ in squares), max(y for _, y in squares)
    cells = {(round((top - y) / module), round((x - left) / module)) for x, y in squares}
    size = max(max(r, c) for r, c in cells) + 1
    return [[(r, c) in cells for c in range(size)] for r in range(size)]


def decode(modules: list[list[bool]]) -> list[str]:
    """Decode a QR matrix with a real reader (zxing-cpp), from a picture with the quiet zone."""
    import zxingcpp

    scale, border = 8, 4
    size = len(modules)
    image = Image.new("L", ((size + 2 * border) * scale,) * 2, 255)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                image.paste(0, ((c + border) * scale, (r + border) * scale, (c + border + 1) * scale,
                                (r + border + 1) * scale))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_pdf_has_one_page_per_certificate_with_name_and_code(winners):
    issued = winners[3]
    reader = PdfReader(io.BytesIO(certificates.pdf(issued, BASE)))
    assert len(reader.pages) == len(issued)
    for page, certificate in zip(reader.pages, issued):
        assert page.mediabox.width == pytest.approx(595.27, abs=0.1)  # A4
        assert page.mediabox.height == pytest.approx(841.89, abs=0.1)
        text = page.extract_text()
        assert certificate.code in text  # drawn in a plain Latin font: always extractable
        assert certificate.name in text and "荣誉证书" in text and "北京市建设学习型城市工作领导小组办公室" in text
        assert f"{BASE}/zhengshu/{certificate.code}" in text
    assert "重点宣传" in reader.pages[0].extract_text() and "重点宣传" not in reader.pages[1].extract_text()


def test_the_qr_code_on_the_pdf_holds_the_public_address(winners):
    certificate = winners[3][0]
    page = PdfReader(io.BytesIO(certificates.pdf([certificate], BASE))).pages[0]
    url = f"{BASE}/zhengshu/{certificate.code}"
    drawn = qr_modules(page)
    assert drawn == [[bool(v) for v in row] for row in segno.make(url, error="m", micro=False).matrix]
    assert decode(drawn) == [url]


def test_the_public_address_comes_from_public_base_url_when_set(app, winners):
    certificate = winners[3][0]
    with app.test_request_context("/certificates/print/1", base_url="http://10.0.0.5:8080"):
        assert certificates.public_url(certificate.code) == f"http://10.0.0.5:8080/zhengshu/{certificate.code}"
        app.config["PUBLIC_BASE_URL"] = "https://xuexi.example.cn/"
        try:
            assert certificates.public_url(certificate.code) == f"https://xuexi.example.cn/zhengshu/{certificate.code}"
            svg = certificates.sheet(certificate).qr_svg()
        finally:
            app.config["PUBLIC_BASE_URL"] = None
    assert svg.startswith("<svg") and "http" not in svg  # inline: no reference to anything outside


def test_a_revoked_certificate_prints_marked(winners):
    _campaign, _picked, office, issued = winners
    certificates.revoke(office, issued[0].id, "撤销")
    text = PdfReader(io.BytesIO(certificates.pdf([db.session.get(Certificate, issued[0].id)], BASE))).pages[0]
    assert "已撤销" in text.extract_text()


def test_the_campaigns_pdf_leaves_out_revoked_certificates(winners):
    campaign, _picked, office, issued = winners
    certificates.revoke(office, issued[2].id, "撤销")
    assert [c.id for c in certificates.of_campaign(campaign.id, office)] == [issued[0].id, issued[1].id]
    assert certificates.of_campaign(campaign.id, factories.account(roles.L1_CLERK)) == []
