"""ranking figures: each application's mean, normalised score, spread, ranks and positions in a closed round
(stored at 结束本轮), a partial index of the submitted reviews the ranking of an open round reads, and one for
评审进度's counts per expert

Revision ID: f1a7c3e9b240
Revises: e4b8c2d61f07
Create Date: 2026-11-30 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a7c3e9b240'
down_revision = "e4b8c2d61f07"
branch_labels = None
depends_on = None

SUBMITTED = "status = 'submitted'"


def upgrade():
    with op.batch_alter_table("review_round") as batch:
        batch.add_column(sa.Column("ranked_at", sa.DateTime(), nullable=True))
    op.create_table(
        "ranking_figure",
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("review_round.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("application_id", sa.Integer(), sa.ForeignKey("application.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("n_reviews", sa.Integer(), nullable=False),
        sa.Column("mean_cents", sa.Integer(), nullable=False),
        sa.Column("z_hundredths", sa.Integer(), nullable=False),
        sa.Column("spread_cents", sa.Integer(), nullable=False),
        sa.Column("mean_rank", sa.Integer(), nullable=False),
        sa.Column("mean_tied", sa.Boolean(), nullable=False),
        sa.Column("mean_position", sa.Integer(), nullable=False),
        sa.Column("z_rank", sa.Integer(), nullable=False),
        sa.Column("z_tied", sa.Boolean(), nullable=False),
        sa.Column("z_position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("round_id", "mean_position", name="uq_ranking_figure_mean_position"),
        sa.UniqueConstraint("round_id", "z_position", name="uq_ranking_figure_z_position"),
        sa.CheckConstraint("n_reviews > 0", name="ck_ranking_figure_reviews"),
    )
    op.create_index("ix_review_assignment_round_submitted", "review_assignment",
                    ["round_id", "application_id", "expert_id", "total"],
                    sqlite_where=sa.text(SUBMITTED), postgresql_where=sa.text(SUBMITTED))
    op.create_index("ix_review_assignment_round_expert_status", "review_assignment",
                    ["round_id", "expert_id", "status", "updated_at"])


def downgrade():
    op.drop_index("ix_review_assignment_round_expert_status", table_name="review_assignment")
    op.drop_index("ix_review_assignment_round_submitted", table_name="review_assignment")
    op.drop_table("ranking_figure")
    with op.batch_alter_table("review_round") as batch:
        batch.drop_column("ranked_at")
