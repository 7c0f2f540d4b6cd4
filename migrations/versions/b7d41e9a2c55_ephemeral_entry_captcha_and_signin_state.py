"""ephemeral_entry: captcha answers and sign-in failure counters and locks, kept on the server without Redis

Revision ID: b7d41e9a2c55
Revises: d3e1a7c5b902
Create Date: 2026-11-30 04:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41e9a2c55'
down_revision = "d3e1a7c5b902"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ephemeral_entry',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('count', sa.Integer(), server_default='0', nullable=False),
        sa.Column('value', sa.String(length=200), nullable=True),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('count >= 0', name='ck_ephemeral_entry_count'),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('ephemeral_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ephemeral_entry_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ephemeral_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ephemeral_entry_expires_at'))
    op.drop_table('ephemeral_entry')
