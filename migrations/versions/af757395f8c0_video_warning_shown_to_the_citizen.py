"""video warning shown to the citizen: application.video_warning (e.g. sound silent throughout), NULL if none

Revision ID: af757395f8c0
Revises: 4127b99a8010
Create Date: 2026-11-29 18:14:31.024049

"""
from alembic import op
import sqlalchemy as sa
import flask_appbuilder.models.mixins  # noqa: F401  (FAB column types used by ab_* tables)


# revision identifiers, used by Alembic.
revision = 'af757395f8c0'
down_revision = '4127b99a8010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_warning', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('video_warning')
