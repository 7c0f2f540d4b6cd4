"""The Alembic scripts and the models agree: after upgrade, autogenerate finds nothing to do (`flask db check`)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_citizens_and_experts_lose_the_schedule_menus_once_and_the_staff_keep_them(app):
    """5e7b2f1c9a01: grants the old roles.yaml gave every role are taken back from 申报人 and 专家 in old databases."""
    from flask_migrate import downgrade, upgrade

    from app import roles

    sm = app.appbuilder.sm
    old_grants = [("can_read", "Campaign"), ("menu_access", "Campaigns"), ("menu_access", "CampaignList"),
                  ("menu_access", "Schedule"), ("can_read", "StageWindow")]

    def grants(role_name):
        role = sm.find_role(role_name)
        db.session.refresh(role)
        return {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}

    try:
        downgrade(revision="5e7b2f1c9a01-1")
        for role_name in (roles.APPLICANT, roles.EXPERT):  # as an older release's `flask deploy` left them
            role = sm.find_role(role_name)
            for permission, view in old_grants:
                sm.add_permission_role(role, sm.add_permission_view_menu(permission, view))
        assert set(old_grants) <= grants(roles.APPLICANT)
        db.session.commit()
    finally:
        upgrade()
    assert not set(old_grants) & grants(roles.APPLICANT)
    assert not set(old_grants) & grants(roles.EXPERT)
    for staff in (roles.CITY_OFFICE, roles.L1_CLERK, roles.L2_CLERK, roles.AUDITOR):
        assert set(old_grants) <= grants(staff), staff
