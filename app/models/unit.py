"""Organisations: first-level units (districts, commissions, universities, schools) and their second-level units."""
import enum

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import relationship

from app import clock


class UnitCategory(str, enum.Enum):
    DISTRICT = "district"
    COMMISSION = "commission"
    UNIVERSITY = "university"
    SECONDARY_SCHOOL = "secondary_school"

    @property
    def label(self):
        return CATEGORY_LABELS[self]

    @classmethod
    def from_label(cls, label: str) -> "UnitCategory | None":
        for category, category_label in CATEGORY_LABELS.items():
            if str(category_label) == label.strip() or category.value == label.strip():
                return category
        return None

    @classmethod
    def choices(cls):
        return [(c.value, c.label) for c in cls]


# The notice's four kinds of organisation (七(二)).
CATEGORY_LABELS = {
    UnitCategory.DISTRICT: _l("区"),
    UnitCategory.COMMISSION: _l("委办局"),
    UnitCategory.UNIVERSITY: _l("高校"),
    UnitCategory.SECONDARY_SCHOOL: _l("中等专业学校"),
}

_CATEGORY_VALUES = ", ".join(f"'{c.value}'" for c in UnitCategory)


class Unit(Model):
    """A unit that recommends applications. Level 1 has no parent; level 2 has a level-1 parent of its category.

    The composite foreign key (parent_id, category, parent_level) -> (id, category, level) lets the database itself
    refuse a second-level unit under another second-level unit or under a parent of another category.
    """

    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("id", "category", "level", name="uq_unit_id_category_level"),
        UniqueConstraint("parent_id", "name", name="uq_unit_parent_name"),
        ForeignKeyConstraint(
            ["parent_id", "category", "parent_level"],
            ["unit.id", "unit.category", "unit.level"],
            name="fk_unit_parent_same_category",
            ondelete="RESTRICT",
        ),
        CheckConstraint(f"category IN ({_CATEGORY_VALUES})", name="ck_unit_category"),
        CheckConstraint(
            "(level = 1 AND parent_id IS NULL AND parent_level IS NULL)"
            " OR (level = 2 AND parent_id IS NOT NULL AND parent_level = 1)",
            name="ck_unit_level_parent",
        ),
        # First-level names are unique among themselves (their parent_id is NULL, which a plain unique ignores).
        Index(
            "uq_unit_top_level_name",
            "name",
            unique=True,
            sqlite_where=text("parent_id IS NULL"),
            postgresql_where=text("parent_id IS NULL"),
        ),
    )

    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)
    category = Column(String(20), nullable=False)
    level = Column(Integer, nullable=False)
    parent_id = Column(Integer, index=True)
    parent_level = Column(Integer)
    # Short ASCII code, used for demo account names (l1-haidian, l2-haidian-zhongguancun).
    code = Column(String(50))
    contact_name = Column(String(50))
    contact_phone = Column(String(30))
    created_at = Column(DateTime, nullable=False, default=clock.now)

    parent = relationship(
        "Unit",
        remote_side=[id],
        foreign_keys=[parent_id],
        primaryjoin="Unit.parent_id == Unit.id",
        back_populates="children",
    )
    children = relationship(
        "Unit",
        foreign_keys=[parent_id],
        primaryjoin="Unit.parent_id == Unit.id",
        back_populates="parent",
        order_by="Unit.id",
    )
    accounts = relationship("Account", back_populates="unit")

    def __init__(self, **kwargs):
        parent = kwargs.get("parent")
        if parent is not None:
            kwargs.setdefault("level", 2)
            kwargs.setdefault("category", parent.category)
        kwargs.setdefault("level", 1)
        super().__init__(**kwargs)
        self.sync_parent_level()

    def sync_parent_level(self):
        self.parent_level = 1 if (self.parent is not None or self.parent_id is not None) else None

    @property
    def category_label(self):
        try:
            return UnitCategory(self.category).label
        except ValueError:
            return self.category

    @property
    def level_label(self):
        return _l("一级单位") if self.level == 1 else _l("二级单位")

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} · {self.name}" if self.parent is not None else self.name

    def __repr__(self):
        return self.full_name
