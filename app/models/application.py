"""Citizens' applications (在线报名), their history, and the register of past winners (R-APP-6)."""
import enum

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
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import relationship

from app import clock
from app.identity import derived_from
from app.models.account import label_person


class ApplicationStatus(str, enum.Enum):
    """Where an application stands in the chain 申报人 → 二级单位 → 一级单位 → 市学习办 (transitions: app/workflow.py)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for its second-level unit
    RETURNED = "returned"  # 退回修改: back with the citizen while 在线报名 is open
    L2_RECOMMENDED = "l2_recommended"  # decided by the second-level unit, still changeable until it submits
    L2_NOT_RECOMMENDED = "l2_not_recommended"
    L2_FORWARDED = "l2_forwarded"  # the second-level unit submitted its recommendation: with the first-level unit
    L2_REJECTED = "l2_rejected"  # not recommended, submitted: final
    L1_RECOMMENDED = "l1_recommended"  # decided by the first-level unit, changeable until it reports
    L1_NOT_RECOMMENDED = "l1_not_recommended"
    REPORTED = "reported"  # 上报: on the city office's desk
    L1_REJECTED = "l1_rejected"
    # 专家评审 (app/workflow.py, the city office's picks from the rankings of app/ranking.py)
    SHORTLISTED = "shortlisted"  # moved from 初审 into 复审
    CANDIDATE = "candidate"  # 拟评选: one of the campaign's winner_quota (100)
    FEATURED = "featured"  # 拟评选 and 重点宣传: one of the campaign's featured_quota (10)
    # 公示 and 审核确定 (app/workflow.py: withdraw; app/approval.py: the leading group's decision)
    WITHDRAWN = "withdrawn"  # 撤销: taken off the list during 公示, with the reason (an objection found true)
    WINNER = "winner"  # 首都市民学习之星: approved
    FEATURED_WINNER = "featured_winner"  # 首都市民学习之星, one of the 10 重点宣传

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ApplicationStatus.DRAFT: _l("草稿"),
    ApplicationStatus.SUBMITTED: _l("已提交，待二级单位评审"),
    ApplicationStatus.RETURNED: _l("退回修改"),
    ApplicationStatus.L2_RECOMMENDED: _l("二级单位拟推荐（未提交）"),
    ApplicationStatus.L2_NOT_RECOMMENDED: _l("二级单位拟不推荐（未提交）"),
    ApplicationStatus.L2_FORWARDED: _l("二级单位已推荐，待一级单位评审"),
    ApplicationStatus.L2_REJECTED: _l("二级单位不推荐"),
    ApplicationStatus.L1_RECOMMENDED: _l("一级单位拟推荐（未上报）"),
    ApplicationStatus.L1_NOT_RECOMMENDED: _l("一级单位拟不推荐（未上报）"),
    ApplicationStatus.REPORTED: _l("一级单位已上报市学习办"),
    ApplicationStatus.L1_REJECTED: _l("一级单位不推荐"),
    ApplicationStatus.SHORTLISTED: _l("入围复审"),
    ApplicationStatus.CANDIDATE: _l("拟评选"),
    ApplicationStatus.FEATURED: _l("拟评选（重点宣传）"),
    ApplicationStatus.WITHDRAWN: _l("公示后撤销"),
    ApplicationStatus.WINNER: _l("首都市民学习之星"),
    ApplicationStatus.FEATURED_WINNER: _l("首都市民学习之星（重点宣传）"),
}
# On the public notice (/gongshi) while 公示 runs, and on the final list (/mingdan) once approved.
PUBLIC_CANDIDATES = (ApplicationStatus.CANDIDATE, ApplicationStatus.FEATURED)
WINNERS = (ApplicationStatus.WINNER, ApplicationStatus.FEATURED_WINNER)
# What a first-level unit sees: only what its second-level units recommended and submitted (R-REV-2).
L1_VISIBLE = (
    ApplicationStatus.L2_FORWARDED,
    ApplicationStatus.L1_RECOMMENDED,
    ApplicationStatus.L1_NOT_RECOMMENDED,
    ApplicationStatus.REPORTED,
    ApplicationStatus.L1_REJECTED,
    ApplicationStatus.SHORTLISTED,
    ApplicationStatus.CANDIDATE,
    ApplicationStatus.FEATURED,
    ApplicationStatus.WITHDRAWN,
    ApplicationStatus.WINNER,
    ApplicationStatus.FEATURED_WINNER,
)
GENDER_LABELS = {"male": _l("男"), "female": _l("女")}
DEEDS_MAX_CHARS = 2000
_STATUS_VALUES = ", ".join(f"'{s.value}'" for s in ApplicationStatus)


def _listed_indexes() -> tuple:
    not_draft = text("status <> 'draft'")
    l1_visible = text(f"status IN ({', '.join(repr(s.value) for s in L1_VISIBLE)})")
    order = ("submitted_at", "id")  # read backwards for the list's newest first
    return (
        Index("ix_application_listed", *order, sqlite_where=not_draft, postgresql_where=not_draft),
        Index("ix_application_unit_listed", "unit_id", *order, sqlite_where=not_draft, postgresql_where=not_draft),
        Index("ix_application_l1_listed", *order, sqlite_where=l1_visible, postgresql_where=l1_visible),
        # A status filter in a street's list, or in a district's street by street (its deep pages too): each street's
        # rows of one state in list order (without it, ix_application_status's whole city was ANDed into each street).
        Index("ix_application_unit_status_listed", "unit_id", "status", *order, sqlite_where=not_draft,
              postgresql_where=not_draft),
        Index("ix_application_progress", "campaign_id", "unit_id", "status"),
        # A round's applications by campaign and status, their ids from the index alone (评审进度's 缺专家 count).
        Index("ix_application_campaign_status", "campaign_id", "status", "id"),
    )


class Application(Model):
    """One citizen's application to one campaign. Personal data may be incomplete while it is a draft."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("campaign_id", "applicant_id", name="uq_application_campaign_applicant"),
        # One application per ID number per campaign, counted from submission: a draft holding someone else's
        # number must not lock its owner out (R-APP-6).
        Index(
            "uq_application_campaign_id_number",
            "campaign_id",
            "id_number",
            unique=True,
            sqlite_where=text("status <> 'draft'"),
            postgresql_where=text("status <> 'draft'"),
        ),
        CheckConstraint(f"status IN ({_STATUS_VALUES})", name="ck_application_status"),
        # Anything past a draft was submitted once, by a resident who declared the data true.
        CheckConstraint(
            "status = 'draft' OR (submitted_at IS NOT NULL AND is_permanent_resident AND declaration_confirmed"
            " AND id_number IS NOT NULL AND unit_id IS NOT NULL)",
            name="ck_application_submitted_complete",
        ),
        CheckConstraint("gender IS NULL OR gender IN ('male', 'female')", name="ck_application_gender"),
        # The review list (app/views/applications.py) in its order, newest submission first, drafts never listed:
        # the city office's whole list, a street's list, a district's (what its streets forwarded), and the
        # progress panel's counts per state.
        *_listed_indexes(),
    )

    id = Column(Integer, primary_key=True)
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="RESTRICT"), nullable=False, index=True)
    applicant_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False, index=True)
    status = Column(String(20), nullable=False, default=ApplicationStatus.DRAFT.value, index=True)

    name = Column(String(50))
    gender = Column(String(10))
    birth_date = Column(Date)
    id_number = Column(String(18))
    mobile = Column(String(20))
    work_unit = Column(String(100))
    position = Column(String(50))
    address = Column(String(200))
    is_permanent_resident = Column(Boolean, nullable=False, default=False, server_default=false())
    # The second-level unit chosen (组织选择); its parent is the first-level unit, its category the category.
    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    deeds = Column(Text)
    declaration_confirmed = Column(Boolean, nullable=False, default=False, server_default=false())

    photo_file = Column(String(100))
    photo_original_name = Column(String(255))
    video_file = Column(String(100))
    video_original_name = Column(String(255))
    video_size = Column(Integer)
    video_duration = Column(Integer)
    # What the citizen is told about an accepted video before submitting (app/media/video.py: sound silent
    # throughout); NULL when there is nothing to say. Set on every upload, so a replaced video takes its own.
    video_warning = Column(String(300))
    # When the retention command (app/retention.py) removed the photo and video of an unsuccessful application,
    # PIPL minimisation: the row stays, its pages say 已按规定删除 instead of showing a broken picture.
    media_purged_at = Column(DateTime)

    created_at = Column(DateTime, nullable=False, default=clock.now)
    updated_at = Column(DateTime, nullable=False, default=clock.now, onupdate=clock.now)
    submitted_at = Column(DateTime)

    campaign = relationship("Campaign")
    applicant = relationship("Account")
    unit = relationship("Unit")
    events = relationship(
        "ApplicationEvent", back_populates="application", order_by="ApplicationEvent.id", cascade="all, delete-orphan"
    )

    def derive_from_id_number(self) -> None:
        """Birth date and gender as the ID number states them (none without one): never entered apart from it."""
        stated = derived_from(self.id_number)
        if stated is not None:
            self.birth_date, self.gender = stated
        elif not self.id_number:
            self.birth_date = self.gender = None

    @property
    def id_number_masked(self) -> str:
        """110108********123X: how reviewers tell namesakes apart without the full number (app/masking.py)."""
        from app.masking import mask_id_number

        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self) -> str:
        from app.masking import mask_mobile

        return mask_mobile(self.mobile)

    @property
    def status_enum(self) -> ApplicationStatus:
        return ApplicationStatus(self.status)

    @property
    def status_label(self):
        return ApplicationStatus(self.status).label

    @property
    def gender_label(self):
        return GENDER_LABELS.get(self.gender, "")

    @property
    def first_level_unit(self):
        return self.unit.parent if self.unit is not None else None

    @property
    def editable_by_applicant(self) -> bool:
        return self.status in (ApplicationStatus.DRAFT.value, ApplicationStatus.RETURNED.value)

    def __repr__(self):
        return f"{self.name or '（未填姓名）'} · {self.campaign.name if self.campaign else ''}"


@event.listens_for(Application, "before_insert")
@event.listens_for(Application, "before_update")
def _derive_from_id_number(mapper, connection, application: Application) -> None:
    # Whichever door wrote the row (the citizen's form, the REST API, a clerk screen, the demo), birth date and
    # gender are recomputed from the ID number on save.
    application.derive_from_id_number()


def _actor_label(actor, unit, stored_name: str) -> str:
    unit_name = unit.name if unit is not None else None
    if actor is None:  # the account is gone (ON DELETE SET NULL): the login name stored with the step is left
        return label_person(stored_name, unit_name)
    return actor.acting_label(unit_name)


OPINION_ACTIONS = ("return", "l2_recommend", "l2_reject", "l1_recommend", "l1_reject", "withdraw")
# The units' decisions and returns: the opinions the export and the printed 推荐表 show per level (app/exports.py's
# OPINION_LEVEL), a minority of the history (submissions, 提交 and 上报 are the rest).
UNIT_OPINION_ACTIONS = ("return", "l2_recommend", "l2_reject", "l1_recommend", "l1_reject")
_UNIT_OPINIONS = text("action IN (" + ", ".join(f"'{a}'" for a in UNIT_OPINION_ACTIONS) + ")")


class ApplicationEvent(Model):
    """The application's history: every transition with who, which unit, when, and the opinion given."""

    __tablename__ = "application_event"
    __table_args__ = (
        # A unit's decision or a return always carries its written opinion (推荐意见 / 退回理由).
        CheckConstraint(
            "action NOT IN (" + ", ".join(f"'{a}'" for a in OPINION_ACTIONS) + ") OR opinion IS NOT NULL",
            name="ck_application_event_opinion",
        ),
        # The export's opinions of a batch of applications, found without reading the rest of their history (2,000
        # applications among 330,000 events: 12-25 ms, against 36 ms by application_id and 82 ms by a scan).
        Index("ix_application_event_opinions", "application_id", "id", sqlite_where=_UNIT_OPINIONS,
              postgresql_where=_UNIT_OPINIONS),
    )

    id = Column(Integer, primary_key=True)
    application_id = Column(Integer, ForeignKey("application.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=clock.now)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_name = Column(String(128), nullable=False)
    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="SET NULL"))
    action = Column(String(30), nullable=False)
    from_status = Column(String(20), nullable=False)
    to_status = Column(String(20), nullable=False)
    opinion = Column(Text)

    application = relationship("Application", back_populates="events")
    unit = relationship("Unit")
    actor = relationship("Account")

    @property
    def actor_label(self) -> str:
        """Who acted, as people read it: "中关村街道 · 张伟" (the unit recorded with the step), or the citizen."""
        return _actor_label(self.actor, self.unit, self.actor_name)


class PastWinner(Model):
    """A 首都市民学习之星 of an earlier batch, kept by ID number: may not apply again (R-APP-6).

    Imported from the city office's lists of batches before the portal, or added by 审核确定 (app/approval.py),
    which links the winning application.
    """

    __tablename__ = "past_winner"
    __table_args__ = (
        UniqueConstraint("id_number", "batch", name="uq_past_winner_id_number_batch"),
        UniqueConstraint("application_id", name="uq_past_winner_application_id"),
    )

    id = Column(Integer, primary_key=True)
    id_number = Column(String(18), nullable=False, index=True)
    name = Column(String(50), nullable=False)
    batch = Column(String(50), nullable=False)
    year = Column(Integer)
    created_at = Column(DateTime, nullable=False, default=clock.now)
    application_id = Column(
        Integer, ForeignKey("application.id", ondelete="SET NULL", name="fk_past_winner_application_id")
    )

    application = relationship("Application")

    def __repr__(self):
        return f"{self.name}（{self.batch}）"


class UnitSubmission(Model):
    """A unit's 提交 (second level) or 上报 (first level) of its decisions in one campaign: once, then locked."""

    __tablename__ = "unit_submission"
    __table_args__ = (
        UniqueConstraint("campaign_id", "unit_id", name="uq_unit_submission_campaign_unit"),
        CheckConstraint("level IN (1, 2)", name="ck_unit_submission_level"),
    )

    id = Column(Integer, primary_key=True)
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="RESTRICT"), nullable=False, index=True)
    level = Column(Integer, nullable=False)
    at = Column(DateTime, nullable=False, default=clock.now)
    actor_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_name = Column(String(128), nullable=False)
    recommended = Column(Integer, nullable=False, default=0)
    not_recommended = Column(Integer, nullable=False, default=0)

    campaign = relationship("Campaign")
    unit = relationship("Unit")
    actor = relationship("Account")

    @property
    def actor_label(self) -> str:
        return _actor_label(self.actor, self.unit, self.actor_name)


class RecommendationQuota(Model):
    """Optional cap on how many applications each unit of a level may recommend in a campaign (e.g. 0–1)."""

    __tablename__ = "recommendation_quota"
    __table_args__ = (
        UniqueConstraint("campaign_id", "level", name="uq_recommendation_quota_campaign_level"),
        CheckConstraint("level IN (1, 2)", name="ck_recommendation_quota_level"),
        CheckConstraint("max_recommended >= 0", name="ck_recommendation_quota_max"),
    )

    id = Column(Integer, primary_key=True)
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False)
    level = Column(Integer, nullable=False)
    max_recommended = Column(Integer, nullable=False)

    campaign = relationship("Campaign")

    @property
    def level_label(self):
        return _l("一级单位") if self.level == 1 else _l("二级单位")

    def __repr__(self):
        # The audit log's label: "第九批 · 二级单位推荐名额".
        return f"{self.campaign.name if self.campaign else ''} · {self.level_label}{_l('推荐名额')}"


class ApplicationTally(Model):
    """How many applications of a campaign stand in each state at each unit, drafts left out: the review list's
    row count read from a few hundred rows instead of counted over up to 100,000 (app/tallies.py).

    Kept by row triggers on application (migration f1c3a5e7b9d2), in the transaction of the change whoever makes it:
    a transition, 提交/上报, 审核确定, the generator's bulk insert, a deletion. On PostgreSQL a change takes the
    tally rows' locks until its commit, so concurrent changes queue on them and none is lost."""

    __tablename__ = "application_tally"
    __table_args__ = (CheckConstraint("n >= 0", name="ck_application_tally_n"),)

    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True)
    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True)
    status = Column(String(20), primary_key=True)
    n = Column(Integer, nullable=False, default=0)
