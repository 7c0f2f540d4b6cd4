"""The Alembic scripts: after upgrade the models agree with them (`flask db check`), and every revision downgrades
and upgrades again with data in every table, on SQLite and on PostgreSQL."""
import uuid
from contextlib import contextmanager
from datetime import datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from app.extensions import db
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL

# The revision before the recommendation chain: applications could only be draft, submitted or returned.
BEFORE_CHAIN = "a4a1c7c82be6"
BEFORE_REVIEW = "5e7b2f1c9a01"
BEFORE_PUBLICITY = "71b5b31bff11"
NOW = datetime(2026, 5, 1, 10, 0)


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
        # The older schema's audit_event lacks columns the model has now (result): write no events meanwhile.
        db.session.info["audit_suppressed"] = True
        for role_name in (roles.APPLICANT, roles.EXPERT):  # as an older release's `flask deploy` left them
            role = sm.find_role(role_name)
            for permission, view in old_grants:
                sm.add_permission_role(role, sm.add_permission_view_menu(permission, view))
        assert set(old_grants) <= grants(roles.APPLICANT)
        db.session.commit()
    finally:
        db.session.info.pop("audit_suppressed", None)
        upgrade()
    assert not set(old_grants) & grants(roles.APPLICANT)
    assert not set(old_grants) & grants(roles.EXPERT)
    for staff in (roles.CITY_OFFICE, roles.L1_CLERK, roles.L2_CLERK, roles.AUDITOR):
        assert set(old_grants) <= grants(staff), staff


@contextmanager
def own_database(tmp_path):
    """A database of the test's own, never the session's migrated one: a temporary SQLite file, or on PostgreSQL
    a schema created for the test (and dropped after it) that the app's connections use as their search path."""
    if not ON_POSTGRES:
        yield {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'roundtrip.db'}"}
        return
    url = TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"roundtrip_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {"SQLALCHEMY_DATABASE_URI": url,
               "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}}
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def app_on(tmp_path, database: dict):
    from app import create_app

    other = create_app({"TESTING": True, "SECRET_KEY": "test", "RATELIMIT_ENABLED": False,
                        "UPLOAD_DIR": str(tmp_path / "uploads"), **database})
    with other.app_context():
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()


def fill_every_table():
    """Rows in every table the product writes: units, accounts and roles, a campaign and its windows and quotas, an
    application in every status with history and opinions, a unit's 提交, a past winner and the audit log."""
    from app import audit, clock, roles
    from app.cli import sync_security
    from app.models import (
        ApplicationEvent,
        ApplicationStatus,
        PastWinner,
        RecommendationQuota,
        Stage,
        UnitSubmission,
    )
    from tests import factories

    sync_security()
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street)
    factories.account(roles.L1_CLERK, unit=district)
    applications = {
        status: factories.application(unit=street, campaign=campaign, status=status.value)
        for status in ApplicationStatus
    }
    for status, application in applications.items():
        if status is ApplicationStatus.DRAFT:
            continue
        db.session.add(ApplicationEvent(application=application, at=NOW, actor_id=application.applicant_id,
                                        actor_name=application.applicant.username, action="submit",
                                        from_status="draft", to_status="submitted"))
        if status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED):
            db.session.add(ApplicationEvent(application=application, at=NOW, actor_id=clerk.id,
                                            actor_name=clerk.username, unit_id=street.id, action="l2_recommend",
                                            from_status="submitted", to_status="l2_recommended", opinion="同意推荐"))
    db.session.add_all([
        RecommendationQuota(campaign=campaign, level=2, max_recommended=3),
        UnitSubmission(campaign=campaign, unit=sibling, level=2, at=NOW, actor_name="l2-sibling",
                       recommended=1, not_recommended=0),
        PastWinner(name="往届", id_number=factories.id_number(), batch="第八批", year=2024),
    ])
    audit.record("application.l2_recommend", "application", applications[ApplicationStatus.L2_RECOMMENDED].id, "x")
    fill_review(campaign, district, applications)
    fill_publicity(campaign, applications)
    db.session.commit()
    clock.freeze(None)
    return {status.value: application.id for status, application in applications.items()}


def fill_review(campaign, district, applications):
    """The expert review's tables: experts in a panel of each round, conflicts, reviews in every state, a reminder."""
    from app import rounds
    from app.models import ApplicationStatus as S
    from app.models import InboxMessage
    from tests import factories

    experts = [factories.expert(employer_unit=district if i == 0 else None) for i in range(3)]
    initial = rounds.round_for(campaign, "initial_review")
    final = rounds.round_for(campaign, "final_review")
    factories.panel(initial, experts, units=[district])
    factories.panel(final, experts[1:])
    factories.conflict(experts[0], unit=district)
    factories.conflict(experts[1], application=applications[S.REPORTED], reason="亲属")
    scores = {c.key: 8 for c in initial.criteria}
    for application, status in ((applications[S.REPORTED], "assigned"), (applications[S.SHORTLISTED], "submitted"),
                                (applications[S.CANDIDATE], "draft"), (applications[S.FEATURED], "declined")):
        factories.assignment(initial, application, experts[2], status=status,
                             scores=scores if status in ("submitted", "draft") else None)
    db.session.add(InboxMessage(account=experts[2].account, text="请尽快完成评审", link="/expert/"))


def fill_publicity(campaign, applications):
    """公示 and 审核确定's tables: an objection with its history, a withdrawal, the approval, a certificate and the
    past winner it made."""
    from app.models import ApplicationEvent, CampaignApproval, Certificate, ObjectionEvent, PastWinner
    from app.models import ApplicationStatus as S
    from tests import factories

    objection = factories.objection(applications[S.WITHDRAWN], status="concluded", finding="upheld")
    db.session.add(ObjectionEvent(objection=objection, at=NOW, actor_name="public", action="lodge",
                                  to_status="received"))
    db.session.add(ApplicationEvent(application=applications[S.WITHDRAWN], at=NOW, actor_name="city",
                                    action="withdraw", from_status="candidate", to_status="withdrawn",
                                    opinion="异议属实"))
    db.session.add(CampaignApproval(campaign=campaign, decided_on=NOW.date(), document_number="京学习办〔2026〕5号",
                                    decision_file="decision/x.pdf", recorded_by_name="city", winners=2, featured=1))
    for status in (S.WINNER, S.FEATURED_WINNER):
        winner = applications[status]
        db.session.add(Certificate(code=Certificate.new_code(), campaign_id=campaign.id, application=winner,
                                   name=winner.name, title="首都市民学习之星", featured=status is S.FEATURED_WINNER))
        db.session.add(PastWinner(name=winner.name, id_number=winner.id_number, batch=campaign.name, year=2026,
                                  application_id=winner.id))


def statuses() -> dict[int, str]:
    return dict(db.session.execute(text("SELECT id, status FROM application")).all())


def test_every_revision_downgrades_and_upgrades_again_with_data(app, tmp_path):
    from flask_migrate import downgrade, upgrade

    with own_database(tmp_path) as database, app_on(tmp_path, database):
        upgrade()
        ids = fill_every_table()
        db.session.remove()

        # Back to before the chain: the units' decisions cannot be held there, the citizens' applications are
        # kept, each waiting for its second-level unit again; drafts and returned ones stay as they were.
        # Back to before 公示: its tables go; withdrawn candidates and winners are candidates again.
        downgrade(revision=BEFORE_PUBLICITY)
        after = statuses()
        assert after[ids["withdrawn"]] == after[ids["winner"]] == "candidate"
        assert after[ids["featured_winner"]] == "featured"
        publicity = ("withdrawn", "winner", "featured_winner")
        assert all(after[i] == s for s, i in ids.items() if s not in publicity)
        db.session.remove()
        upgrade()
        assert statuses() == after
        db.session.remove()

        # Back to before the review: its tables go, the applications it had moved on wait on the city office's desk.
        downgrade(revision=BEFORE_REVIEW)
        after = statuses()
        review = ("shortlisted", "candidate", "featured") + publicity
        assert {after[ids[s]] for s in review} == {"reported"}
        assert all(after[i] == s for s, i in ids.items() if s not in review)
        db.session.remove()  # its read of the table would hold off the upgrade's ALTER TABLE on PostgreSQL
        upgrade()
        assert statuses() == after
        db.session.remove()

        downgrade(revision=BEFORE_CHAIN)
        after = statuses()
        assert set(after) == set(ids.values())
        assert after[ids["draft"]] == "draft" and after[ids["returned"]] == "returned"
        assert {after[i] for s, i in ids.items() if s not in ("draft", "returned")} == {"submitted"}
        history = db.session.execute(text("SELECT count(*) FROM application_event")).scalar()
        # The history stays: it still tells what the units had decided (and that one candidate was withdrawn).
        assert history == 2 * len(ids) - 4 + 1
        db.session.remove()

        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        assert statuses() == {}
        assert len(fill_every_table()) == len(ids)  # the schema upgraded again takes every state again


def test_figures_stored_at_the_closing_before_the_ranking_job_count_as_final(app, tmp_path):
    """a3c5e7f9b1d4: a round closed with its figures stored (in the closing's transaction, as before the job) has
    final figures; an open round and a closed one without figures have none; the downgrade drops the columns."""
    from flask_migrate import downgrade, upgrade

    from app.cli import sync_security
    from tests import factories

    with own_database(tmp_path) as database, app_on(tmp_path, database):
        upgrade()
        sync_security()
        campaign = factories.campaign()
        city = factories.account()
        ranked, unranked = (factories.review_round(campaign=campaign, stage=s) for s in ("initial_review",
                                                                                           "final_review"))
        ids = ranked.id, unranked.id
        db.session.execute(text("UPDATE review_round SET closed_at = :at, closed_by_id = :by"),
                           {"at": NOW, "by": city.id})
        db.session.execute(text("UPDATE review_round SET ranked_at = :at WHERE id = :id"), {"at": NOW, "id": ids[0]})
        db.session.commit()
        db.session.remove()
        downgrade(revision="f1c3a5e7b9d2")
        upgrade()
        final = dict(db.session.execute(text("SELECT id, ranking_final FROM review_round")).all())
        assert {i: bool(v) for i, v in final.items()} == {ids[0]: True, ids[1]: False}
        db.session.remove()
