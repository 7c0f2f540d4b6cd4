"""background_job: long work (exports, imports, assignment, certificates) run by the task worker with progress

Revision ID: e4b8c2d6a1f3
Revises: d7e3a91c5b20
Create Date: 2026-11-30 07:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e4b8c2d6a1f3"
down_revision = "d7e3a91c5b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "background_job",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=True),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("download_name", sa.String(length=300), nullable=True),
        sa.Column("ascii_name", sa.String(length=200), nullable=True),
        sa.Column("mimetype", sa.String(length=120), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="ck_background_job_state"),
        sa.CheckConstraint("progress_done >= 0", name="ck_background_job_progress"),
        sa.CheckConstraint("state = 'failed' OR error IS NULL", name="ck_background_job_error_only_when_failed"),
        sa.CheckConstraint("state = 'done' OR file_name IS NULL", name="ck_background_job_file_only_when_done"),
        sa.ForeignKeyConstraint(["owner_id"], ["ab_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("background_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_background_job_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_background_job_expires_at"), ["expires_at"], unique=False)


def downgrade():
    with op.batch_alter_table("background_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_background_job_expires_at"))
        batch_op.drop_index(batch_op.f("ix_background_job_owner_id"))
    op.drop_table("background_job")
