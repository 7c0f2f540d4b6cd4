"""unit status list index: each unit's listed rows by state in list order (partial: drafts are never listed), so that
a status filter in a street's or a district's list, and a district's deep pages, read each street's rows of the
states asked from one index instead of ANDing the status index's rows of the whole city into each street's

Revision ID: c9e1a3b5d7f2
Revises: b8d2f4a6c1e3
Create Date: 2026-11-30 21:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "c9e1a3b5d7f2"
down_revision = "b8d2f4a6c1e3"
branch_labels = None
depends_on = None

NOT_DRAFT = sa.text("status <> 'draft'")


def upgrade():
    op.create_index("ix_application_unit_status_listed", "application", ["unit_id", "status", "submitted_at", "id"],
                    sqlite_where=NOT_DRAFT, postgresql_where=NOT_DRAFT)


def downgrade():
    op.drop_index("ix_application_unit_status_listed", table_name="application")
