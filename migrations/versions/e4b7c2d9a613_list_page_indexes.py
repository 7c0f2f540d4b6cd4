"""list page indexes: the audit log's filters in its order, 异议登记's order, unit accounts among citizens

- audit_event: (action, id), (actor_name, id), (object_type, id), and (result, id) of the events that were not a
  success (partial): each filter of the audit log read newest first without sorting hundreds of thousands of rows.
- objection: (lodged_at, id), the register's order.
- ab_user: id of the accounts with a unit (partial): 单位账号 pages and counts a few hundred rows, not every citizen.

Revision ID: e4b7c2d9a613
Revises: e4b8c2d6a1f3
Create Date: 2026-11-30 08:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = "e4b7c2d9a613"
down_revision = "e4b8c2d6a1f3"
branch_labels = None
depends_on = None

NOT_SUCCESS = sa.text("result <> 'success'")
UNIT_ACCOUNTS = sa.text("unit_id IS NOT NULL")


def upgrade():
    op.create_index("ix_audit_event_action_id", "audit_event", ["action", "id"])
    op.create_index("ix_audit_event_actor_name_id", "audit_event", ["actor_name", "id"])
    op.create_index("ix_audit_event_object_type_id", "audit_event", ["object_type", "id"])
    op.create_index("ix_audit_event_not_success", "audit_event", ["result", "id"], sqlite_where=NOT_SUCCESS,
                    postgresql_where=NOT_SUCCESS)
    op.create_index("ix_objection_lodged_at_id", "objection", ["lodged_at", "id"])
    op.create_index("ix_ab_user_unit_accounts", "ab_user", ["id"], sqlite_where=UNIT_ACCOUNTS,
                    postgresql_where=UNIT_ACCOUNTS)


def downgrade():
    op.drop_index("ix_ab_user_unit_accounts", table_name="ab_user")
    op.drop_index("ix_objection_lodged_at_id", table_name="objection")
    op.drop_index("ix_audit_event_not_success", table_name="audit_event")
    op.drop_index("ix_audit_event_object_type_id", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_name_id", table_name="audit_event")
    op.drop_index("ix_audit_event_action_id", table_name="audit_event")
