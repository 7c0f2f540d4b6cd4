"""media retention: application.media_purged_at, when `flask retention purge-media` removed its photo and video

Revision ID: d3e1a7c5b902
Revises: 5e1c2a9d7b40
Create Date: 2026-11-30 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd3e1a7c5b902'
down_revision = "5e1c2a9d7b40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('media_purged_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('media_purged_at')
