"""公示, 审核确定 and 表彰 (R-PUB-1..4): objections lodged by the public against a candidate and how the city office
handled each, the leading group's approval of a campaign's list, and the winners' certificates.

Rules: app/objections.py (the objection's state machine), app/approval.py (审核确定), app/certificates.py.
"""
import enum
import secrets

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
)
from sqlalchemy.orm import backref, relationship

from app import clock


class ObjectionStatus(str, enum.Enum):
    """受理 → 核实 → 结论, or 不予受理 with the reason (transitions: app/objections.py)."""

    RECEIVED = "received"  # lodged on /gongshi, not yet looked at
    ACCEPTED = "accepted"  # 受理
    VERIFYING = "verifying"  # 核实
    CONCLUDED = "concluded"  # 结论: finding and its text recorded
    DISMISSED = "dismissed"  # 不予受理 (not about a candidate's deeds, no contact given...), with the reason

    @property
    def label(self):
        return OBJECTION_STATUS_LABELS[self]


OBJECTION_STATUS_LABELS = {
    ObjectionStatus.RECEIVED: _l("已收到，待受理"),
    ObjectionStatus.ACCEPTED: _l("已受理"),
    ObjectionStatus.VERIFYING: _l("核实中"),
    ObjectionStatus.CONCLUDED: _l("已办结"),
    ObjectionStatus.DISMISSED: _l("不予受理"),
}
# Still on the office's desk: approval waits until none is left (app/approval.py).
OPEN_OBJECTION_STATUSES = (ObjectionStatus.RECEIVED, ObjectionStatus.ACCEPTED, ObjectionStatus.VERIFYING)


class ObjectionFinding(str, enum.Enum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    UNFOUNDED = "unfounded"

    @property
    def label(self):
        return OBJECTION_FINDING_LABELS[self]


OBJECTION_FINDING_LABELS = {
    ObjectionFinding.UPHELD: _l("反映问题属实"),
    ObjectionFinding.PARTLY_UPHELD: _l("反映问题部分属实"),
    ObjectionFinding.UNFOUNDED: _l("反映问题不属实"),
}

_OBJECTION_STATUS_VALUES = ", ".join(f"'{s.value}'" for s in ObjectionStatus)
_FINDING_VALUES = ", ".join(f"'{f.value}'" for f in ObjectionFinding)

# Receipt numbers and certificate codes: no 0/O, 1/I/L, so that they can be read out on the phone and typed back.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class Objection(Model):
    """异议: one member of the public's objection to one candidate, lodged during 公示 with a real name and phone.

    The objector's name, phone and the facts are visible to the city office only (scoping: objection_clause). The
    receipt number and the phone together let the objector look up how it stands.
    """

    __tablename__ = "objection"
    __table_args__ = (
        CheckConstraint(f"status IN ({_OBJECTION_STATUS_VALUES})", name="ck_objection_status"),
        CheckConstraint(f"finding IS NULL OR finding IN ({_FINDING_VALUES})", name="ck_objection_finding_value"),
        # A conclusion is a finding with its text; a dismissal carries its reason; nothing else has either.
        CheckConstraint(
            "(status = 'concluded' AND finding IS NOT NULL AND conclusion IS NOT NULL AND concluded_at IS NOT NULL)"
            " OR (status = 'dismissed' AND finding IS NULL AND conclusion IS NOT NULL AND concluded_at IS NOT NULL)"
            " OR (status NOT IN ('concluded', 'dismissed') AND finding IS NULL AND concluded_at IS NULL)",
            name="ck_objection_conclusion",
        ),
        Index("ix_objection_campaign_status", "campaign_id", "status"),
        Index("ix_objection_lodged_at_id", "lodged_at", "id"),  # 异议登记's order
    )

    id = Column(Integer, primary_key=True)
    receipt_number = Column(String(20), nullable=False, unique=True)
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="RESTRICT"), nullable=False)
    application_id = Column(Integer, ForeignKey("application.id", ondelete="RESTRICT"), nullable=False, index=True)
    objector_name = Column(String(50), nullable=False)
    objector_phone = Column(String(20), nullable=False)  # E.164-free national form, as app/phones.py normalises
    objector_unit = Column(String(100))  # 工作单位或住址, optional: helps the office verify
    facts = Column(Text, nullable=False)
    status = Column(String(20), nullable=False, default=ObjectionStatus.RECEIVED.value)
    finding = Column(String(20))
    conclusion = Column(Text)  # 办理结论 (told to the objector) or the reason for 不予受理
    lodged_at = Column(DateTime, nullable=False, default=clock.now)
    concluded_at = Column(DateTime)
    updated_at = Column(DateTime, nullable=False, default=clock.now, onupdate=clock.now)

    campaign = relationship("Campaign")
    application = relationship("Application")
    events = relationship("ObjectionEvent", back_populates="objection", order_by="ObjectionEvent.id",
                          cascade="all, delete-orphan")

    @staticmethod
    def new_receipt_number(year: int) -> str:
        """"YY2026-7KQ4M9": the year and 6 random characters (≈ 30 bits; the lookup asks for the phone as well)."""
        return f"YY{year}-{random_code(6)}"

    @property
    def status_enum(self) -> ObjectionStatus:
        return ObjectionStatus(self.status)

    @property
    def status_label(self):
        return ObjectionStatus(self.status).label

    @property
    def finding_label(self):
        return ObjectionFinding(self.finding).label if self.finding else ""

    @property
    def is_open(self) -> bool:
        return self.status_enum in OPEN_OBJECTION_STATUSES

    def __repr__(self):
        # The audit log's label: the receipt and whom it is about, never the objector.
        candidate = self.application.name if self.application is not None else ""
        return f"{self.receipt_number} · {candidate}"


class ObjectionEvent(Model):
    """How an objection was handled, step by step: who, when, from which state to which, and the note written."""

    __tablename__ = "objection_event"

    id = Column(Integer, primary_key=True)
    objection_id = Column(Integer, ForeignKey("objection.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=clock.now)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_name = Column(String(128), nullable=False)  # "public" for the lodging itself
    action = Column(String(30), nullable=False)
    from_status = Column(String(20))
    to_status = Column(String(20), nullable=False)
    note = Column(Text)

    objection = relationship("Objection", back_populates="events")
    actor = relationship("Account")


class CampaignApproval(Model):
    """审核确定: the leading group's decision on a campaign's list, recorded once by the city office after 公示.

    Recording it makes the candidates winners (app/approval.py): the list is published on /mingdan, each winner gets
    a certificate and joins the past winners (R-APP-6).
    """

    __tablename__ = "campaign_approval"
    __table_args__ = (
        CheckConstraint("winners >= 0 AND featured >= 0 AND featured <= winners", name="ck_campaign_approval_counts"),
    )

    id = Column(Integer, primary_key=True)
    # Unique: a campaign is approved once; two clicks at once meet here.
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="RESTRICT"), nullable=False, unique=True)
    decided_on = Column(Date, nullable=False)  # the date of the leading group's decision
    document_number = Column(String(50), nullable=False)  # 文号, e.g. 京学习办〔2018〕5号
    decision_file = Column(String(100), nullable=False)  # the decision's PDF (app/storage.py name)
    decision_original_name = Column(String(255))
    recorded_at = Column(DateTime, nullable=False, default=clock.now)
    recorded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    recorded_by_name = Column(String(128), nullable=False)
    winners = Column(Integer, nullable=False)
    featured = Column(Integer, nullable=False)

    # campaign.approval: the decision, if recorded (one per campaign), loaded once per campaign in a request.
    campaign = relationship("Campaign", backref=backref("approval", uselist=False))
    recorded_by = relationship("Account")

    def __repr__(self):
        return f"{self.campaign.name if self.campaign else ''} · {self.document_number}"


CERTIFICATE_TITLE = _l("首都市民学习之星")


class Certificate(Model):
    """荣誉证书: one per winner, with a code printed on it (and in its QR code) that /zhengshu/<code> verifies.

    Name, campaign and title are copied at issue, so the certificate reads as it was printed even if the application
    is later corrected. A certificate can be revoked (撤销) with a reason; the public page then says so.
    """

    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint(
            "(revoked_at IS NULL AND revoked_reason IS NULL) OR (revoked_at IS NOT NULL AND revoked_reason IS NOT NULL)",
            name="ck_certificate_revoked",
        ),
    )

    id = Column(Integer, primary_key=True)
    code = Column(String(20), nullable=False, unique=True)
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="RESTRICT"), nullable=False, index=True)
    application_id = Column(Integer, ForeignKey("application.id", ondelete="RESTRICT"), nullable=False, unique=True)
    name = Column(String(50), nullable=False)
    title = Column(String(50), nullable=False)
    featured = Column(Boolean, nullable=False, default=False, server_default=false())
    issued_at = Column(DateTime, nullable=False, default=clock.now)
    revoked_at = Column(DateTime)
    revoked_reason = Column(String(300))

    campaign = relationship("Campaign")
    application = relationship("Application")

    @staticmethod
    def new_code() -> str:
        """"XK7P-Q3MV-9T2C": 12 random characters (≈ 59 bits), so that codes cannot be guessed from one another."""
        raw = random_code(12)
        return "-".join(raw[i:i + 4] for i in range(0, 12, 4))

    @staticmethod
    def normalise_code(text: str) -> str:
        """What a person typed or a scanner read, in the stored form: upper case, grouped by 4."""
        raw = "".join(c for c in (text or "").upper() if c.isalnum())
        return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))

    def __repr__(self):
        return f"{self.code} · {self.name}"
