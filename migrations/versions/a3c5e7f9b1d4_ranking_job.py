"""ranking job: the ranking's figures computed by a background job — an open round's snapshot (刷新排名) or a
closed round's final figures (结束本轮 starts the job) — whether the stored figures are final, and the job computing
them; two indexes for 评审进度's count of the applications short of experts (from the indexes alone)

Revision ID: a3c5e7f9b1d4
Revises: f1c3a5e7b9d2
Create Date: 2026-11-30 14:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = "a3c5e7f9b1d4"
down_revision = "f1c3a5e7b9d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("review_round") as batch:
        batch.add_column(sa.Column("ranking_final", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("ranking_job_id", sa.String(40), nullable=True))
        batch.create_foreign_key("fk_review_round_ranking_job_id_background_job", "background_job",
                                 ["ranking_job_id"], ["id"], ondelete="SET NULL")
    # Figures stored at 结束本轮 until now were computed in the closing's transaction: final.
    op.execute("UPDATE review_round SET ranking_final = (closed_at IS NOT NULL AND ranked_at IS NOT NULL)")
    with op.batch_alter_table("review_round") as batch:
        batch.create_check_constraint("ck_review_round_ranking_final",
                                      "NOT ranking_final OR (closed_at IS NOT NULL AND ranked_at IS NOT NULL)")
    op.create_index("ix_application_campaign_status", "application", ["campaign_id", "status", "id"])
    held = sa.text("status <> 'declined'")
    op.create_index("ix_review_assignment_round_held", "review_assignment", ["round_id", "application_id"],
                    sqlite_where=held, postgresql_where=held)


def downgrade():
    op.drop_index("ix_review_assignment_round_held", table_name="review_assignment")
    op.drop_index("ix_application_campaign_status", table_name="application")
    with op.batch_alter_table("review_round") as batch:
        batch.drop_constraint("ck_review_round_ranking_final", type_="check")
        batch.drop_constraint("fk_review_round_ranking_job_id_background_job", type_="foreignkey")
        batch.drop_column("ranking_job_id")
        batch.drop_column("ranking_final")
