"""Campaigns (评选批次) and their schedule: one dated window per stage, as rows the city office can move."""
import enum
from datetime import date, datetime, time

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship

from app import clock


class Stage(str, enum.Enum):
    """The stages of a campaign, in order."""

    REGISTER = "register"
    UNIT_ACCOUNTS = "unit_accounts"
    APPLY = "apply"
    L2_REVIEW = "l2_review"
    L1_REVIEW = "l1_review"
    INITIAL_REVIEW = "initial_review"
    FINAL_REVIEW = "final_review"
    PUBLICITY = "publicity"
    APPROVAL = "approval"

    @property
    def label(self):
        return STAGE_LABELS[self]


STAGE_LABELS = {
    Stage.REGISTER: _l("系统开放注册"),
    Stage.UNIT_ACCOUNTS: _l("一级单位创建二级单位账号"),
    Stage.APPLY: _l("在线报名"),
    Stage.L2_REVIEW: _l("二级单位自评推荐"),
    Stage.L1_REVIEW: _l("一级单位推荐上报"),
    Stage.INITIAL_REVIEW: _l("专家初审"),
    Stage.FINAL_REVIEW: _l("专家复审"),
    Stage.PUBLICITY: _l("公示"),
    Stage.APPROVAL: _l("审核确定"),
}

# The notice's schedule (京学习办〔2018〕1号, 五、时间安排) as (month, day) of start and last day.
# Registration opens on 3/26 and stays open as long as citizens may apply. Publicity and approval
# have no dates in the notice: the city office sets them.
NOTICE_SCHEDULE = {
    Stage.REGISTER: ((3, 26), (4, 27)),
    Stage.UNIT_ACCOUNTS: ((3, 27), (4, 3)),
    Stage.APPLY: ((4, 4), (4, 27)),
    Stage.L2_REVIEW: ((4, 28), (5, 15)),
    Stage.L1_REVIEW: ((5, 16), (5, 29)),
    Stage.INITIAL_REVIEW: ((5, 30), (6, 15)),
    Stage.FINAL_REVIEW: ((6, 19), (6, 30)),
    Stage.PUBLICITY: None,
    Stage.APPROVAL: None,
}

_STAGE_VALUES = ", ".join(f"'{s.value}'" for s in Stage)


class Campaign(Model):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("winner_quota > 0", name="ck_campaign_winner_quota"),
        CheckConstraint("featured_quota >= 0 AND featured_quota <= winner_quota", name="ck_campaign_featured_quota"),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(50), nullable=False, unique=True)
    year = Column(Integer, nullable=False, index=True)
    winner_quota = Column(Integer, nullable=False, default=100)
    featured_quota = Column(Integer, nullable=False, default=10)
    created_at = Column(DateTime, nullable=False, default=clock.now)

    windows = relationship(
        "StageWindow",
        back_populates="campaign",
        cascade="all, delete-orphan",
        order_by="StageWindow.position",
    )

    def window(self, stage: "Stage | str") -> "StageWindow | None":
        stage = Stage(stage)
        return next((w for w in self.windows if w.stage == stage.value), None)

    @property
    def batch_name(self) -> str:
        """The batch as the notice's titles put it before “首都市民学习之星” (第九批): the name without that title at its
        end, so that a campaign named 第九批首都市民学习之星 does not read 第九批首都市民学习之星“首都市民学习之星”名单."""
        for title in ("“首都市民学习之星”评选", "首都市民学习之星评选", "“首都市民学习之星”", "首都市民学习之星"):
            if self.name.endswith(title) and len(self.name) > len(title):
                return self.name[: -len(title)]
        return self.name

    def __repr__(self):
        return self.name


def window_open(starts_at: datetime | None, ends_at: datetime | None, at: datetime | None = None) -> bool:
    """Whether a window is open at `at` (now): from its start to its end inclusive, to the second; never when it has
    no dates."""
    if starts_at is None or ends_at is None:
        return False
    at = (at or clock.now()).replace(microsecond=0)
    return starts_at <= at <= ends_at


def default_windows(year: int) -> list["StageWindow"]:
    """The notice's schedule moved to the given year."""
    windows = []
    for position, stage in enumerate(Stage):
        dates = NOTICE_SCHEDULE[stage]
        starts_at = ends_at = None
        if dates is not None:
            (m1, d1), (m2, d2) = dates
            starts_at = datetime.combine(date(year, m1, d1), time(0, 0, 0))
            ends_at = datetime.combine(date(year, m2, d2), time(23, 59, 59))
        windows.append(StageWindow(stage=stage.value, position=position, starts_at=starts_at, ends_at=ends_at))
    return windows


class StageWindow(Model):
    """One stage of one campaign, open from starts_at to ends_at inclusive (Beijing time, to the second).

    A window with no dates is not scheduled yet, and so is closed.
    """

    __tablename__ = "stage_window"
    __table_args__ = (
        UniqueConstraint("campaign_id", "stage", name="uq_stage_window_campaign_stage"),
        CheckConstraint(f"stage IN ({_STAGE_VALUES})", name="ck_stage_window_stage"),
        CheckConstraint(
            "(starts_at IS NULL AND ends_at IS NULL) OR (starts_at IS NOT NULL AND ends_at IS NOT NULL"
            " AND ends_at > starts_at)",
            name="ck_stage_window_dates",
        ),
    )

    id = Column(Integer, primary_key=True)
    campaign_id = Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True)
    stage = Column(String(20), nullable=False)
    position = Column(Integer, nullable=False, default=0)
    starts_at = Column(DateTime)
    ends_at = Column(DateTime)

    campaign = relationship("Campaign", back_populates="windows")

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)

    @property
    def stage_label(self):
        return Stage(self.stage).label

    def is_open(self, at: datetime | None = None) -> bool:
        return window_open(self.starts_at, self.ends_at, at)

    def status(self, at: datetime | None = None):
        at = (at or clock.now()).replace(microsecond=0)
        if self.starts_at is None:
            return _l("未设定")
        if at < self.starts_at:
            return _l("未开始")
        if at > self.ends_at:
            return _l("已结束")
        return _l("进行中")

    def __repr__(self):
        return f"{self.campaign.name if self.campaign else ''} {self.stage_label}"
