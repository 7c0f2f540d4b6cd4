"""citizens and experts no longer see 评选管理 (data only)

Until now roles.yaml's `base` granted every role read access to campaigns and their schedule, with the 评选管理 →
评选批次 / 时间安排 menus. roles.yaml now grants them to the staff only, and `flask deploy` never takes a grant away
(the city office's own changes in 角色列表 must survive a release). So this revision takes those grants back from
申报人 and 专家 once, in databases seeded before; if the city office later gives them back by hand, they stay.

Revision ID: 5e7b2f1c9a01
Revises: af757395f8c0
Create Date: 2026-11-29 18:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e7b2f1c9a01"
down_revision = "af757395f8c0"
branch_labels = None
depends_on = None

ROLES = ("申报人", "专家")
GRANTS = (
    ("can_read", "Campaign"),
    ("menu_access", "Campaigns"),
    ("menu_access", "CampaignList"),
    ("menu_access", "Schedule"),
    ("can_read", "StageWindow"),
)


def upgrade():
    connection = op.get_bind()
    for permission, view in GRANTS:
        connection.execute(
            sa.text(
                "DELETE FROM ab_permission_view_role WHERE role_id IN (SELECT id FROM ab_role WHERE name IN :roles)"
                " AND permission_view_id IN (SELECT pv.id FROM ab_permission_view pv"
                " JOIN ab_permission p ON p.id = pv.permission_id JOIN ab_view_menu v ON v.id = pv.view_menu_id"
                " WHERE p.name = :permission AND v.name = :view)"
            ).bindparams(sa.bindparam("roles", expanding=True)),
            {"roles": list(ROLES), "permission": permission, "view": view},
        )


def downgrade():
    # Nothing to restore by hand: the older release's `flask deploy` grants them again from its roles.yaml.
    pass
