"""荣誉证书 (R-PUB-4): one per winner, issued at 审核确定, with a code that anyone can verify on /zhengshu/<code>.

Issued by app/approval.py (`issue`); found by the public page (`find`); revoked by the city office with a reason
(`revoke`, once, audited). Each certificate prints as one A4 page — HTML (`sheet`, the QR as inline SVG) or PDF drawn
by reportlab (`pdf`, several certificates one page each) — whose QR code holds the absolute public address
`<PUBLIC_BASE_URL or the request's root>/zhengshu/<code>`, so a forged certificate is caught by scanning it.
"""
import io
from dataclasses import dataclass
from datetime import date

import segno
from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit, clock, jobs, scoping
from app.extensions import db
from app.models import Application, ApplicationStatus, Campaign, Certificate
from app.models.publicity import CERTIFICATE_TITLE
from app.workflow import WorkflowError

# The issuer, as the notice 京学习办〔2018〕1号 signs (../shared/seed/).
ISSUER = _l("北京市建设学习型城市工作领导小组办公室")
# The public page's one answer to a code that names no certificate, malformed or unknown alike: it says nothing more.
NOT_FOUND = _l("未找到该证书编号，请核对")
REASON_MAX_CHARS = 300


def issue(application: Application) -> Certificate:
    """The winner's certificate, added to the session (the caller commits). A code clash is astronomically rare
    and would fail the unique index, so it is simply drawn again until unused."""
    code = Certificate.new_code()
    while db.session.query(Certificate.id).filter_by(code=code).first() is not None:
        code = Certificate.new_code()
    certificate = Certificate(
        code=code, campaign_id=application.campaign_id, application=application, name=application.name,
        title=str(CERTIFICATE_TITLE), featured=application.status == ApplicationStatus.FEATURED_WINNER.value,
        issued_at=clock.now(),
    )
    db.session.add(certificate)
    return certificate


def find(code: str) -> Certificate | None:
    """The certificate a typed or scanned code names, or None (the public page then reveals nothing)."""
    normalised = Certificate.normalise_code(code)
    if len(normalised) != 14:
        return None
    return db.session.query(Certificate).filter_by(code=normalised).one_or_none()


def status_text(certificate: Certificate) -> str:
    return _("已撤销") if certificate.revoked_at is not None else _("有效")


def of_application(application: Application | None) -> Certificate | None:
    if application is None:
        return None
    return db.session.query(Certificate).filter_by(application_id=application.id).one_or_none()


def of_campaign(campaign_id: int, user) -> list[Certificate]:
    """The campaign's valid certificates the user may see, for the print shop: featured first, then as issued."""
    return (
        db.session.query(Certificate)
        .filter(Certificate.campaign_id == campaign_id, Certificate.revoked_at.is_(None),
                scoping.certificate_clause(user))
        .order_by(Certificate.featured.desc(), Certificate.id)
        .all()
    )


def campaigns_with_certificates(user) -> list[Campaign]:
    ids = select(Certificate.campaign_id).where(scoping.certificate_clause(user))
    return db.session.query(Campaign).filter(Campaign.id.in_(ids)).order_by(Campaign.year.desc(), Campaign.id).all()


# --- revoking ----------------------------------------------------------------------------------------------------

def revoke(actor, certificate_id: int, reason: str) -> Certificate:
    """撤销: the city office withdraws a certificate, with the reason (kept for the office; the public page says
    only 已撤销 and when). Once: a revoked certificate stays revoked."""
    if not scoping.is_city_office(actor):
        raise WorkflowError(_("只有市学习办可以撤销荣誉证书"), status=403)
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(_("请填写撤销理由"), errors={"reason": _("请填写撤销理由")}, status=422)
    if len(reason) > REASON_MAX_CHARS:
        message = _("撤销理由不能超过 %(n)s 个字", n=REASON_MAX_CHARS)
        raise WorkflowError(message, errors={"reason": message}, status=422)
    if not isinstance(certificate_id, int) or isinstance(certificate_id, bool):
        raise WorkflowError(_("找不到该证书"), status=404)
    try:
        certificate = (
            db.session.query(Certificate).filter(Certificate.id == certificate_id).with_for_update()
            .populate_existing().one_or_none()
        )
        if certificate is None:
            raise WorkflowError(_("找不到该证书"), status=404)
        if certificate.revoked_at is not None:
            raise WorkflowError(_("该证书已于 %(day)s 撤销，不能重复撤销", day=chinese_date(certificate.revoked_at)),
                                status=409)
        certificate.revoked_at = clock.now()
        certificate.revoked_reason = reason
        audit.record("certificate.revoke", "certificate", certificate.id, repr(certificate), reason=reason)
        db.session.commit()
    except WorkflowError:
        db.session.rollback()
        raise
    return certificate


# --- what a certificate says ---------------------------------------------------------------------------------------

def chinese_date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def awarded_on(certificate: Certificate) -> date:
    """The date printed: the leading group's decision (审核确定), else the day of issue."""
    approval = certificate.campaign.approval
    return approval.decided_on if approval is not None else certificate.issued_at.date()


def base_url() -> str:
    """Where the public pages live: PUBLIC_BASE_URL when set (behind a proxy, or printing from an office address),
    else the address this request came in on."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    return request.url_root.rstrip("/") if has_request_context() else "http://localhost"


def public_url(code: str, base: str | None = None) -> str:
    return f"{(base or base_url()).rstrip('/')}/zhengshu/{code}"


def qr_code(url: str) -> segno.QRCode:
    """A regular QR code (no Micro QR: phones do not read those), medium error correction or better."""
    return segno.make(url, error="m", micro=False)


@dataclass
class Sheet:
    """What one certificate says, as the HTML page and the PDF print it."""

    name: str
    campaign: str
    title: str
    featured: bool
    awarded: str  # 2026年7月15日
    code: str
    url: str
    revoked: bool

    @property
    def citation(self) -> str:
        return _("被评为%(campaign)s“%(title)s”", campaign=self.campaign, title=self.title)

    def qr_svg(self) -> str:
        return qr_code(self.url).svg_inline(scale=4, border=4, omitsize=True, svgclass="qr", light="#fff",
                                            title=_("扫码核验证书"))


def sheet(certificate: Certificate, base: str | None = None) -> Sheet:
    return Sheet(
        name=certificate.name, campaign=certificate.campaign.name, title=certificate.title,
        featured=certificate.featured, awarded=chinese_date(awarded_on(certificate)), code=certificate.code,
        url=public_url(certificate.code, base), revoked=certificate.revoked_at is not None,
    )


def public_facts(certificate: Certificate) -> dict:
    """What the public page and its API confirm: name, campaign, title, date, status. Nothing else personal."""
    return {
        "code": certificate.code,
        "name": certificate.name,
        "campaign": certificate.campaign.name,
        "title": certificate.title,
        "featured": bool(certificate.featured),
        "title_display": f"{certificate.title}（{_('重点宣传')}）" if certificate.featured else certificate.title,
        "issued_on": awarded_on(certificate).isoformat(),
        "issuer": str(ISSUER),
        "valid": certificate.revoked_at is None,
        "status": status_text(certificate),
        "revoked_on": certificate.revoked_at.date().isoformat() if certificate.revoked_at else None,
    }


# --- PDF ---------------------------------------------------------------------------------------------------------

CJK_FONT = "STSong-Light"  # one of reportlab's built-in CID fonts: the reader's own font, nothing to ship
RED = (0.66, 0.08, 0.08)
GOLD = (0.72, 0.55, 0.2)
QR_MODULE = 1.1 * 72 / 25.4  # one QR module: 1.1 mm, in points (the code is about 36 mm wide)


def _fonts():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def pdf(certificates: list[Certificate], base: str | None = None, out=None, progress=None) -> bytes | None:
    """One A4 page per certificate: the bytes, or written to out (a path or a binary file) when given.
    progress(done, total) is told as pages are drawn (a campaign's PDF is a background job, app/jobs.py)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _fonts()
    target = io.BytesIO() if out is None else out
    page = canvas.Canvas(target, pagesize=A4, pageCompression=1)
    page.setTitle(_("荣誉证书"))
    page.setAuthor(str(ISSUER))
    for n, certificate in enumerate(certificates, start=1):
        _draw(page, sheet(certificate, base))
        page.showPage()
        if progress is not None:
            progress(n, len(certificates))
    page.save()
    return target.getvalue() if out is None else None


@jobs.handler("certificates.campaign_pdf")
def campaign_pdf_job(work: "jobs.Work") -> "jobs.Outcome":
    """Every valid certificate of a campaign the owner may see, one page each, for the print shop."""
    campaign = db.session.get(Campaign, work.params["campaign_id"])
    rows = of_campaign(campaign.id, work.owner) if campaign is not None else []
    if not rows:
        raise jobs.JobFailed(_("该批次没有可打印的荣誉证书。"))
    path = work.path("pdf")
    pdf(rows, out=str(path), progress=work.progress)
    audit.record("export.certificates_pdf", "request", campaign.id, request.path[:200], pages=len(rows))
    db.session.commit()
    return jobs.Outcome(path=path, download_name=_("荣誉证书-%(campaign)s.pdf", campaign=campaign.name),
                        ascii_name=f"certificates-{campaign.id}.pdf", mimetype="application/pdf")


def _centred(page, text, y, size, colour=(0, 0, 0), font=CJK_FONT, spacing=0):
    from reportlab.lib.pagesizes import A4

    page.setFillColorRGB(*colour)
    if spacing:
        text_obj = page.beginText()
        text_obj.setFont(font, size)
        text_obj.setCharSpace(spacing)
        width = page.stringWidth(text, font, size) + spacing * (len(text) - 1)
        text_obj.setTextOrigin((A4[0] - width) / 2, y)
        text_obj.textOut(text)
        page.drawText(text_obj)
    else:
        page.setFont(font, size)
        page.drawCentredString(A4[0] / 2, y, text)


def _draw(page, s: Sheet) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    width, height = A4
    # Frame: a red outer line and a gold inner one.
    page.setStrokeColorRGB(*RED)
    page.setLineWidth(3)
    page.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm, stroke=1, fill=0)
    page.setStrokeColorRGB(*GOLD)
    page.setLineWidth(1)
    page.rect(16 * mm, 16 * mm, width - 32 * mm, height - 32 * mm, stroke=1, fill=0)

    _centred(page, _("荣誉证书"), height - 70 * mm, 44, RED, spacing=10)
    page.setFillColorRGB(0, 0, 0)
    page.setFont(CJK_FONT, 22)
    page.drawString(34 * mm, height - 112 * mm, _("%(name)s 同志：", name=s.name))
    _centred(page, s.citation, height - 135 * mm, 24)
    if s.featured:
        _centred(page, _("（重点宣传）"), height - 150 * mm, 18, RED)
    _centred(page, _("特发此证，以资鼓励。"), height - 168 * mm, 18)

    if s.revoked:
        page.saveState()
        page.setFillColorRGB(0.8, 0, 0)
        page.translate(width / 2, height / 2)
        page.rotate(20)
        page.setFont(CJK_FONT, 64)
        page.drawCentredString(0, 0, _("已撤销"))
        page.restoreState()

    # Issuer and date, right-aligned above the bottom.
    right = width - 32 * mm
    page.setFillColorRGB(0, 0, 0)
    page.setFont(CJK_FONT, 15)
    page.drawRightString(right, 88 * mm, str(ISSUER))
    page.drawRightString(right, 78 * mm, s.awarded)

    # QR bottom left, drawn module by module as vector squares (sharp at any printer's resolution).
    module = QR_MODULE
    origin_x, origin_y = 32 * mm, 30 * mm
    matrix = qr_code(s.url).matrix
    size = len(matrix)
    quiet = 4 * module
    page.setFillColorRGB(1, 1, 1)
    page.rect(origin_x - quiet, origin_y - quiet, size * module + 2 * quiet, size * module + 2 * quiet,
              stroke=0, fill=1)
    page.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                page.rect(origin_x + col_index * module, origin_y + (size - 1 - row_index) * module, module, module,
                          stroke=0, fill=1)
    text_x = origin_x + size * module + 6 * mm
    page.setFont(CJK_FONT, 10)
    page.drawString(text_x, origin_y + 14 * mm, _("证书编号"))
    page.setFont("Courier-Bold", 13)
    page.drawString(text_x, origin_y + 8 * mm, s.code)
    page.setFont(CJK_FONT, 9)
    page.drawString(text_x, origin_y + 2 * mm, _("扫码或访问以下网址核验真伪"))
    page.setFont("Helvetica", 8)
    page.drawString(text_x, origin_y - 3 * mm, s.url)
