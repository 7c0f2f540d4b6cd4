"""Expert review (专家评审): experts, their panels and declared conflicts, the two rounds with their rubrics, the
assignments of applications to experts and the scores given (R-EXP-1..3). Rules: app/experts.py, app/assignment.py,
app/scoring.py, app/ranking.py."""
import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import relationship

from app import clock
from app.models.notification import Notification

ROUND_STAGES = ("initial_review", "final_review")  # Stage.INITIAL_REVIEW, Stage.FINAL_REVIEW: a round is its window
_ROUND_VALUES = ", ".join(f"'{s}'" for s in ROUND_STAGES)

# The notice's six basic conditions (二、基本条件), the default rubric of both rounds: (key, label, weight, scale).
NOTICE_CONDITIONS = (
    ("values", _l("培育和弘扬社会主义核心价值观"), 15, 10),
    ("dedication", _l("爱岗敬业、勤于学习、努力钻研业务"), 20, 10),
    ("results", _l("学以致用，成效明显"), 20, 10),
    ("influence", _l("在相关领域有较大的影响力"), 15, 10),
    ("lifelong", _l("践行终身学习理念，坚持持续学习"), 15, 10),
    ("welfare", _l("积极参加公益性学习活动，示范带头作用明显"), 15, 10),
)


class Expert(Model):
    """An expert of the review (评审专家): an account with role 专家, where they work and their field.

    employer is the name as written; employer_unit_id is set when the employer is one of the portal's units, so that
    conflicts with that unit's applicants (and its second-level units') follow the unit tree, not the spelling.
    """

    __tablename__ = "expert"

    id = Column(Integer, primary_key=True)
    account_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"), nullable=False, unique=True)
    employer = Column(String(100), nullable=False)
    employer_unit_id = Column(Integer, ForeignKey("unit.id", ondelete="SET NULL"), index=True)
    field = Column(String(100))
    created_at = Column(DateTime, nullable=False, default=clock.now)

    account = relationship("Account")
    employer_unit = relationship("Unit")
    conflicts = relationship("ExpertConflict", back_populates="expert", cascade="all, delete-orphan")
    memberships = relationship("ExpertPanelMember", back_populates="expert", cascade="all, delete-orphan")

    @property
    def name(self) -> str:
        return self.account.display_name if self.account is not None else ""

    def __repr__(self):
        return f"{self.name}（{self.employer}）"


class ReviewRound(Model):
    """One round (初审 or 复审) of one campaign: how many experts read each application, the rubric, and whether the
    city office has closed it (then the scores are final and every expert may see the others')."""

    __tablename__ = "review_round"
    __table_args__ = (
        UniqueConstraint("campaign_id", "stage", name="uq_review_round_campaign_stage"),
        # Target of the composite foreign keys below: a panel member, an assignment belong to this very round.
        UniqueConstraint("id", "campaign_id", name="uq_review_round_id_campaign"),
        CheckConstraint(f"stage IN ({_ROUND_VALUES})", name="ck_review_round_stage"),
        CheckConstraint("experts_per_application BETWEEN 1 AND 15", name="ck_review_round_experts"),
        CheckConstraint("(closed_at IS NULL) = (closed_by_id IS NULL)", name="ck_review_round_closed"),
        # Final figures are those computed once the round was closed (its totals could no longer change).
        CheckConstraint("NOT ranking_final OR (closed_at IS NOT NULL AND ranked_at IS NOT NULL)",
                        name="ck_review_round_ranking_final"),
    )

    id = Column(Integer, primary_key=True)
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    stage = Column(String(20), nullable=False)
    experts_per_application = Column(Integer, nullable=False, default=3)
    closed_at = Column(DateTime)
    closed_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    # When the stored ranking's figures (RankingFigure) were computed: a snapshot of an open round (排名截至 HH:MM,
    # 刷新排名), or the final figures, computed by a background job once the round was closed (结束本轮).
    ranked_at = Column(DateTime)
    # The stored figures were computed after the round was closed: the picks and exports may rely on them.
    ranking_final = Column(Boolean, nullable=False, default=False, server_default=false())
    # The job computing the figures now or last (app/ranking.py's job): the ranking page shows its progress.
    ranking_job_id = Column(String(40), ForeignKey("background_job.id", ondelete="SET NULL",
                                                   name="fk_review_round_ranking_job_id_background_job"))

    campaign = relationship("Campaign")
    closed_by = relationship("Account")
    ranking_job = relationship("BackgroundJob")
    criteria = relationship("RubricCriterion", back_populates="round", order_by="RubricCriterion.position",
                            cascade="all, delete-orphan")
    panels = relationship("ExpertPanel", back_populates="round", order_by="ExpertPanel.id")

    @property
    def stage_label(self):
        from app.models.campaign import Stage

        return Stage(self.stage).label

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    def __repr__(self):
        return f"{self.campaign.name if self.campaign else ''} · {self.stage_label}"


class RubricCriterion(Model):
    """One line of a round's rubric: one of the notice's conditions, its weight and its scale (0..max_score)."""

    __tablename__ = "rubric_criterion"
    __table_args__ = (
        UniqueConstraint("round_id", "key", name="uq_rubric_criterion_round_key"),
        CheckConstraint("weight > 0 AND weight <= 100", name="ck_rubric_criterion_weight"),
        CheckConstraint("max_score > 0 AND max_score <= 100", name="ck_rubric_criterion_max_score"),
    )

    id = Column(Integer, primary_key=True)
    round_id = Column(Integer, ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, index=True)
    key = Column(String(30), nullable=False)
    label = Column(String(100), nullable=False)
    weight = Column(Integer, nullable=False)
    max_score = Column(Integer, nullable=False, default=10)
    position = Column(Integer, nullable=False, default=0)

    round = relationship("ReviewRound", back_populates="criteria")

    def __repr__(self):
        return self.label


class ExpertPanel(Model):
    """专家组: experts who review together in one round. units lists the first-level units whose applications the
    panel reviews; a panel without units reviews every application no other panel of the round claims (at most one
    such panel per round, app/experts.py)."""

    __tablename__ = "expert_panel"
    __table_args__ = (
        UniqueConstraint("round_id", "name", name="uq_expert_panel_round_name"),
        UniqueConstraint("id", "round_id", name="uq_expert_panel_id_round"),
    )

    id = Column(Integer, primary_key=True)
    round_id = Column(Integer, ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, index=True)
    name = Column(String(50), nullable=False)
    created_at = Column(DateTime, nullable=False, default=clock.now)

    round = relationship("ReviewRound", back_populates="panels")
    # In the order they joined: PostgreSQL returns rows unordered without ORDER BY, and lists should not reshuffle.
    members = relationship("ExpertPanelMember", back_populates="panel", cascade="all, delete-orphan",
                           order_by="ExpertPanelMember.id")
    units = relationship("ExpertPanelUnit", back_populates="panel", cascade="all, delete-orphan",
                         order_by="ExpertPanelUnit.id")

    @property
    def experts(self) -> list[Expert]:
        return [member.expert for member in self.members]

    def __repr__(self):
        return self.name


class ExpertPanelMember(Model):
    """An expert in a panel. round_id repeats the panel's round (composite foreign key) so that the database itself
    keeps an expert in one panel per round."""

    __tablename__ = "expert_panel_member"
    __table_args__ = (
        UniqueConstraint("round_id", "expert_id", name="uq_expert_panel_member_round_expert"),
        ForeignKeyConstraint(["panel_id", "round_id"], ["expert_panel.id", "expert_panel.round_id"],
                             name="fk_expert_panel_member_panel_round", ondelete="CASCADE"),
    )

    id = Column(Integer, primary_key=True)
    panel_id = Column(Integer, nullable=False, index=True)
    round_id = Column(Integer, nullable=False)
    expert_id = Column(Integer, ForeignKey("expert.id", ondelete="CASCADE"), nullable=False, index=True)

    panel = relationship("ExpertPanel", back_populates="members")
    expert = relationship("Expert", back_populates="memberships")


class ExpertPanelUnit(Model):
    """A first-level unit whose applications a panel reviews; one panel per unit and round."""

    __tablename__ = "expert_panel_unit"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", name="uq_expert_panel_unit_round_unit"),
        ForeignKeyConstraint(["panel_id", "round_id"], ["expert_panel.id", "expert_panel.round_id"],
                             name="fk_expert_panel_unit_panel_round", ondelete="CASCADE"),
    )

    id = Column(Integer, primary_key=True)
    panel_id = Column(Integer, nullable=False, index=True)
    round_id = Column(Integer, nullable=False)
    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="RESTRICT"), nullable=False)

    panel = relationship("ExpertPanel", back_populates="units")
    unit = relationship("Unit")


class ExpertConflict(Model):
    """A declared conflict of interest (回避): with a unit (and so its second-level units' applicants), or with one
    application. Declared by the city office, or by the expert on an assigned application (which reassigns it)."""

    __tablename__ = "expert_conflict"
    __table_args__ = (
        CheckConstraint("(unit_id IS NULL) <> (application_id IS NULL)", name="ck_expert_conflict_target"),
        Index("uq_expert_conflict_unit", "expert_id", "unit_id", unique=True,
              sqlite_where=text("unit_id IS NOT NULL"), postgresql_where=text("unit_id IS NOT NULL")),
        Index("uq_expert_conflict_application", "expert_id", "application_id", unique=True,
              sqlite_where=text("application_id IS NOT NULL"), postgresql_where=text("application_id IS NOT NULL")),
    )

    id = Column(Integer, primary_key=True)
    expert_id = Column(Integer, ForeignKey("expert.id", ondelete="CASCADE"), nullable=False, index=True)
    unit_id = Column(Integer, ForeignKey("unit.id", ondelete="CASCADE"))
    application_id = Column(Integer, ForeignKey("application.id", ondelete="CASCADE"))
    reason = Column(String(200))
    declared_at = Column(DateTime, nullable=False, default=clock.now)
    declared_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))

    expert = relationship("Expert", back_populates="conflicts")
    unit = relationship("Unit")
    application = relationship("Application")
    declared_by = relationship("Account")

    def __repr__(self):
        target = self.unit.full_name if self.unit is not None else (self.application.name if self.application else "")
        return f"{self.expert.name if self.expert else ''} 回避 {target}"


class AssignmentStatus(str, enum.Enum):
    """An expert's review of one application in one round (transitions: app/scoring.py)."""

    ASSIGNED = "assigned"  # not opened for scoring yet: the assigner may still move it
    DRAFT = "draft"  # scores saved, not submitted: started, kept by every re-run of the assigner
    SUBMITTED = "submitted"  # final unless the city office reopens it
    DECLINED = "declined"  # the expert declared a conflict: kept for the record, replaced by another expert

    @property
    def label(self):
        return ASSIGNMENT_LABELS[self]


ASSIGNMENT_LABELS = {
    AssignmentStatus.ASSIGNED: _l("待评"),
    AssignmentStatus.DRAFT: _l("已暂存"),
    AssignmentStatus.SUBMITTED: _l("已提交"),
    AssignmentStatus.DECLINED: _l("已回避"),
}
_ASSIGNMENT_VALUES = ", ".join(f"'{s.value}'" for s in AssignmentStatus)
STARTED = (AssignmentStatus.DRAFT.value, AssignmentStatus.SUBMITTED.value)


class ReviewAssignment(Model):
    """One application given to one expert in one round, and the expert's review of it (scores, comment, total)."""

    __tablename__ = "review_assignment"
    __table_args__ = (
        UniqueConstraint("round_id", "application_id", "expert_id", name="uq_review_assignment_round_app_expert"),
        CheckConstraint(f"status IN ({_ASSIGNMENT_VALUES})", name="ck_review_assignment_status"),
        # A submitted review has its weighted total and its time; a declined one its reason.
        CheckConstraint("status <> 'submitted' OR (submitted_at IS NOT NULL AND total IS NOT NULL)",
                        name="ck_review_assignment_submitted"),
        CheckConstraint("status <> 'declined' OR declined_reason IS NOT NULL", name="ck_review_assignment_declined"),
        CheckConstraint("total IS NULL OR (total >= 0 AND total <= 100)", name="ck_review_assignment_total"),
        ForeignKeyConstraint(["round_id", "campaign_id"], ["review_round.id", "review_round.campaign_id"],
                             name="fk_review_assignment_round_campaign", ondelete="CASCADE"),
        Index("ix_review_assignment_expert_round", "expert_id", "round_id"),
        Index("ix_review_assignment_round_application", "round_id", "application_id"),
        # The experts each application holds (not declined), counted from the index alone (评审进度's 缺专家).
        Index("ix_review_assignment_round_held", "round_id", "application_id",
              sqlite_where=text("status <> 'declined'"), postgresql_where=text("status <> 'declined'")),
        # 评审进度's counts per expert and state (app/rounds.py), from the index alone.
        Index("ix_review_assignment_round_expert_status", "round_id", "expert_id", "status", "updated_at"),
        # What the ranking of an open round reads (app/ranking.py), from the index alone.
        Index("ix_review_assignment_round_submitted", "round_id", "application_id", "expert_id", "total",
              sqlite_where=text("status = 'submitted'"), postgresql_where=text("status = 'submitted'")),
    )

    id = Column(Integer, primary_key=True)
    round_id = Column(Integer, nullable=False)
    campaign_id = Column(Integer, nullable=False)
    application_id = Column(Integer, ForeignKey("application.id", ondelete="CASCADE"), nullable=False)
    expert_id = Column(Integer, ForeignKey("expert.id", ondelete="RESTRICT"), nullable=False)
    status = Column(String(20), nullable=False, default=AssignmentStatus.ASSIGNED.value)
    comment = Column(Text)
    # The weighted total on 0..100: sum(weight * score / max_score) / sum(weight) * 100 (app/scoring.py).
    total = Column(Numeric(6, 2))
    declined_reason = Column(String(200))
    assigned_at = Column(DateTime, nullable=False, default=clock.now)
    updated_at = Column(DateTime, nullable=False, default=clock.now, onupdate=clock.now)
    submitted_at = Column(DateTime)

    round = relationship("ReviewRound", foreign_keys=[round_id], primaryjoin="ReviewAssignment.round_id == ReviewRound.id")
    application = relationship("Application")
    expert = relationship("Expert")
    scores = relationship("ReviewScore", back_populates="assignment", cascade="all, delete-orphan")

    @property
    def status_enum(self) -> AssignmentStatus:
        return AssignmentStatus(self.status)

    @property
    def status_label(self):
        return self.status_enum.label

    @property
    def started(self) -> bool:
        return self.status in STARTED

    def __repr__(self):
        return f"{self.expert.name if self.expert else ''} · {self.application.name if self.application else ''}"


class ReviewScore(Model):
    """The score one review gives on one criterion (0..the criterion's max_score, checked in app/scoring.py)."""

    __tablename__ = "review_score"
    __table_args__ = (
        UniqueConstraint("assignment_id", "criterion_id", name="uq_review_score_assignment_criterion"),
        CheckConstraint("value >= 0", name="ck_review_score_value"),
    )

    id = Column(Integer, primary_key=True)
    assignment_id = Column(Integer, ForeignKey("review_assignment.id", ondelete="CASCADE"), nullable=False)
    criterion_id = Column(Integer, ForeignKey("rubric_criterion.id", ondelete="RESTRICT"), nullable=False, index=True)
    value = Column(Numeric(5, 1), nullable=False)

    assignment = relationship("ReviewAssignment", back_populates="scores")
    criterion = relationship("RubricCriterion")


class RankingFigure(Model):
    """One application's place in a closed round's ranking, stored at 结束本轮 (app/ranking.py computes it; the
    submitted totals it comes from cannot change once the round is closed). Amounts in hundredths, exact on SQLite and
    PostgreSQL alike: mean and spread of the weighted totals in cents, the normalised score in hundredths. For each
    order (mean, z) the competition rank, whether it is shared (并列) and the row's printed position."""

    __tablename__ = "ranking_figure"
    __table_args__ = (
        UniqueConstraint("round_id", "mean_position", name="uq_ranking_figure_mean_position"),
        UniqueConstraint("round_id", "z_position", name="uq_ranking_figure_z_position"),
        CheckConstraint("n_reviews > 0", name="ck_ranking_figure_reviews"),
    )

    round_id = Column(Integer, ForeignKey("review_round.id", ondelete="CASCADE"), primary_key=True)
    application_id = Column(Integer, ForeignKey("application.id", ondelete="CASCADE"), primary_key=True)
    n_reviews = Column(Integer, nullable=False)
    mean_cents = Column(Integer, nullable=False)
    z_hundredths = Column(Integer, nullable=False)
    spread_cents = Column(Integer, nullable=False)
    mean_rank = Column(Integer, nullable=False)
    mean_tied = Column(Boolean, nullable=False)
    mean_position = Column(Integer, nullable=False)
    z_rank = Column(Integer, nullable=False)
    z_tied = Column(Boolean, nullable=False)
    z_position = Column(Integer, nullable=False)


# The experts' inbox became every account's 站内通知 (app/models/notification.py); the old name still reads.
InboxMessage = Notification
