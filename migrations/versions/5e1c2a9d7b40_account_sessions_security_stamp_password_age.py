"""account sessions (server-side, revocable), the account's security stamp and password age

Revision ID: 5e1c2a9d7b40
Revises: 8f2c8b8339c3
Create Date: 2026-11-30 04:45:00

"""
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "5e1c2a9d7b40"
down_revision = "8f2c8b8339c3"
branch_labels = None
depends_on = None

END_REASONS = ("logout", "idle", "absolute", "password", "roles", "deactivated", "stamp")


def upgrade():
    with op.batch_alter_table("ab_user") as batch:
        # Existing tokens carry no stamp: they are refused after the upgrade, as after a logout.
        batch.add_column(sa.Column("security_stamp", sa.String(32), nullable=False, server_default="0"))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
    # Existing passwords count from the upgrade (Beijing wall-clock, like every stored time): nobody is forced to
    # change on the day of the release.
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    op.execute(sa.text("UPDATE ab_user SET password_changed_at = :now").bindparams(now=now))
    op.create_table(
        "account_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("security_stamp", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.Column("source_address", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(255), nullable=True),
        sa.CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ck_account_session_ended_with_reason"),
        sa.CheckConstraint(
            "end_reason IS NULL OR end_reason IN (" + ", ".join(f"'{r}'" for r in END_REASONS) + ")",
            name="ck_account_session_end_reason",
        ),
        sa.CheckConstraint("last_seen_at >= created_at", name="ck_account_session_seen_after_start"),
    )
    op.create_index("ix_account_session_account_id", "account_session", ["account_id"])


def downgrade():
    op.drop_index("ix_account_session_account_id", table_name="account_session")
    op.drop_table("account_session")
    with op.batch_alter_table("ab_user") as batch:
        batch.drop_column("password_changed_at")
        batch.drop_column("security_stamp")
