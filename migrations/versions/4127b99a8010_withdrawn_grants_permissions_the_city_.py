"""withdrawn grants: permissions the city office took away in the editor

Also takes FAB's role screen (角色列表) away from 市学习办 in existing databases: its 角色权限 editor replaces it and
roles.yaml no longer grants it, but seeding never removes a grant. Downgrade drops the table only.

Revision ID: 4127b99a8010
Revises: 3c5d06784104
Create Date: 2026-11-29 18:04:50.182741

"""
from alembic import op
import sqlalchemy as sa
import flask_appbuilder.models.mixins  # noqa: F401  (FAB column types used by ab_* tables)


# revision identifiers, used by Alembic.
revision = '4127b99a8010'
down_revision = '3c5d06784104'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('withdrawn_grant',
    sa.Column('role_id', sa.Integer(), nullable=False),
    sa.Column('permission_view_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['permission_view_id'], ['ab_permission_view.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_id'], ['ab_role.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_id', 'permission_view_id')
    )
    op.execute(
        "DELETE FROM ab_permission_view_role"
        " WHERE role_id IN (SELECT id FROM ab_role WHERE name = '市学习办')"
        " AND permission_view_id IN (SELECT pv.id FROM ab_permission_view pv"
        " JOIN ab_view_menu vm ON vm.id = pv.view_menu_id WHERE vm.name IN ('RoleModelView', 'List Roles'))"
    )


def downgrade():
    op.drop_table('withdrawn_grant')
