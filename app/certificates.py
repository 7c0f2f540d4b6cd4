"""荣誉证书 (R-PUB-4): one per winner, issued at 审核确定, with a code that anyone can verify on /zhengshu/<code>."""
from flask_babel import gettext as _

from app import clock
from app.extensions import db
from app.models import Application, ApplicationStatus, Certificate
from app.models.publicity import CERTIFICATE_TITLE


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
