"""review list indexes: the list's order per scope (partial: drafts are never listed) and the progress counts

Revision ID: e4b8c2d61f07
Revises: e4b7c2d9a613
Create Date: 2026-11-30 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b8c2d61f07'
down_revision = "e4b7c2d9a613"  # after the other list pages' indexes
branch_labels = None
depends_on = None

NOT_DRAFT = "status <> 'draft'"
# app/models/application.py's L1_VISIBLE as it stands in this revision: what a district's list shows.
L1_VISIBLE = (
    "status IN ('l2_forwarded', 'l1_recommended', 'l1_not_recommended', 'reported', 'l1_rejected', 'shortlisted', "
    "'candidate', 'featured', 'withdrawn', 'winner', 'featured_winner')"
)
# Ascending: PostgreSQL and SQLite read them backwards for the list's ORDER BY submitted_at DESC, id DESC.
ORDER = ("submitted_at", "id")


def _where(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade():
    op.create_index("ix_application_listed", "application", list(ORDER), **_where(NOT_DRAFT))
    op.create_index("ix_application_unit_listed", "application", ["unit_id", *ORDER], **_where(NOT_DRAFT))
    op.create_index("ix_application_l1_listed", "application", list(ORDER), **_where(L1_VISIBLE))
    op.create_index("ix_application_progress", "application", ["campaign_id", "unit_id", "status"])


def downgrade():
    for name in ("ix_application_progress", "ix_application_l1_listed", "ix_application_unit_listed",
                 "ix_application_listed"):
        op.drop_index(name, table_name="application")
