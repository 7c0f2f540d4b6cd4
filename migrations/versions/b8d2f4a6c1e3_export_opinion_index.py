"""export opinion index: the units' decisions and returns of each application in id order (partial), so that the
Excel export reads a batch's opinions without the rest of the history

Revision ID: b8d2f4a6c1e3
Revises: a3c5e7f9b1d4
Create Date: 2026-11-30 17:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = "b8d2f4a6c1e3"
down_revision = "a3c5e7f9b1d4"
branch_labels = None
depends_on = None

UNIT_OPINIONS = sa.text("action IN ('return', 'l2_recommend', 'l2_reject', 'l1_recommend', 'l1_reject')")


def upgrade():
    op.create_index("ix_application_event_opinions", "application_event", ["application_id", "id"],
                    sqlite_where=UNIT_OPINIONS, postgresql_where=UNIT_OPINIONS)


def downgrade():
    op.drop_index("ix_application_event_opinions", table_name="application_event")
