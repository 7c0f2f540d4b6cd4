"""notifications: the experts' inbox_message becomes every account's notification (kind, title, a key for what a
repeated job sends once, indexes for "my unread, newest first")

Revision ID: b7d4e2a9c815
Revises: e4b8c2d61f07
Create Date: 2026-11-30 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b7d4e2a9c815"
down_revision = "f1a7c3e9b240"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_inbox_message_account_unread", table_name="inbox_message")
    op.rename_table("inbox_message", "notification")
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("kind", sa.String(30), nullable=False, server_default="message"))
        batch.add_column(sa.Column("title", sa.String(100)))
        batch.add_column(sa.Column("dedupe_key", sa.String(120)))
        batch.create_unique_constraint("uq_notification_account_key", ["account_id", "dedupe_key"])
    op.create_index("ix_notification_account_unread", "notification", ["account_id", "read_at", "at"])
    op.create_index("ix_notification_account_at", "notification", ["account_id", "at"])


def downgrade():
    op.drop_index("ix_notification_account_at", table_name="notification")
    op.drop_index("ix_notification_account_unread", table_name="notification")
    with op.batch_alter_table("notification") as batch:
        batch.drop_constraint("uq_notification_account_key", type_="unique")
        batch.drop_column("dedupe_key")
        batch.drop_column("title")
        batch.drop_column("kind")
    op.rename_table("notification", "inbox_message")
    op.create_index("ix_inbox_message_account_unread", "inbox_message", ["account_id", "read_at"])
