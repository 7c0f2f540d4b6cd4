"""三员分立 and the audit log: result column, append-only trigger (PostgreSQL), 角色权限 to the security administrator

- audit_event.result: what came of the audited act ("success", "refused", "failure").
- On PostgreSQL a trigger refuses UPDATE and DELETE on audit_event, except the ON DELETE SET NULL of a deleted
  account's actor_id (nothing else changed; actor_name keeps who it was) and the retention purge of rows older
  than 180 days (`flask audit purge`, which sets portal.audit_purge for its transaction). TRUNCATE is not a row
  event: the test suite empties the table with it.
- 市学习办 loses 角色权限 (RolePermissions) in existing databases: the editor is the security administrator's now,
  roles.yaml no longer grants it and seeding never removes a grant. Downgrade leaves the grants: the older
  release's `flask deploy` seeds it again from its roles.yaml.

Revision ID: d7e3a91c5b20
Revises: b7d41e9a2c55
Create Date: 2026-11-30 04:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = "d7e3a91c5b20"
down_revision = "b7d41e9a2c55"
branch_labels = None
depends_on = None

# The floor the database keeps, whatever AUDIT_RETENTION_DAYS says (config refuses less than this).
MIN_RETENTION_DAYS = 180

APPEND_ONLY = f"""
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' AND current_setting('portal.audit_purge', true) = 'on'
       AND OLD.at < localtimestamp - interval '{MIN_RETENTION_DAYS} days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % of event % refused', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

ROLE_PERMISSIONS = (
    "SELECT pv.id FROM ab_permission_view pv JOIN ab_view_menu vm ON vm.id = pv.view_menu_id"
    " WHERE vm.name = 'RolePermissions'"
)


def upgrade():
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.add_column(sa.Column("result", sa.String(length=16), nullable=False, server_default="success"))
        batch_op.create_index("ix_audit_event_result", ["result"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)
    op.execute(
        "DELETE FROM ab_permission_view_role"
        " WHERE role_id IN (SELECT id FROM ab_role WHERE name = '市学习办')"
        f" AND permission_view_id IN ({ROLE_PERMISSIONS})"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_index("ix_audit_event_result")
        batch_op.drop_column("result")
