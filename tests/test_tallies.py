"""app/tallies.py and the triggers that keep the tallies (migration f1c3a5e7b9d2): after every transition, 提交/上报,
bulk decision, return and resubmission, deletion and the generator, the tallies per (campaign, unit, status) equal
a recount of the applications; the review list's row count comes from them and says the same as counting the rows;
on PostgreSQL, decisions made at once on one unit's applications lose no change."""
import re
import threading
from datetime import datetime

import pytest
from sqlalchemy import event

from app import clock, roles, schedule, tallies, workflow
from app.extensions import db
from app.models import Application, Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)
LIST = "/applications/list/"


def assert_tallied():
    db.session.expire_all()
    assert tallies.tallies() == tallies.recount()


@pytest.fixture
def chain():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    return {
        "campaign": campaign,
        "street": street,
        "sibling": sibling,
        "l2": factories.account(roles.L2_CLERK, unit=street),
        "l2_sibling": factories.account(roles.L2_CLERK, unit=sibling),
        "l1": factories.account(roles.L1_CLERK, unit=district),
        "city": factories.account(roles.CITY_OFFICE),
    }


def open_stage(chain, stage):
    schedule.open_stage(chain["campaign"], stage, at=NOW)
    db.session.commit()


def test_the_tallies_equal_a_recount_after_every_step_of_the_chain(chain):
    draft = factories.application(unit=chain["street"], status="draft")
    assert tallies.tallies() == {}  # drafts are never listed, never tallied
    apps = [factories.application(unit=chain["street"] if i < 4 else chain["sibling"]) for i in range(6)]
    assert tallies.tallies() == {(chain["campaign"].id, chain["street"].id, "submitted"): 4,
                                 (chain["campaign"].id, chain["sibling"].id, "submitted"): 2}
    assert_tallied()
    workflow.perform(chain["l2"], apps[0].id, "l2_recommend", "同意")
    assert_tallied()
    workflow.perform(chain["l2"], apps[0].id, "l2_reject", "改为不推荐")
    assert_tallied()
    done, refused = workflow.perform_many(chain["l2"], [a.id for a in apps], "l2_recommend", "同意")  # bulk
    assert len(done) == 4 and len(refused) == 2  # the sibling's two are not this clerk's
    assert_tallied()
    workflow.perform(chain["l2_sibling"], apps[4].id, "l2_recommend", "同意")
    workflow.submit_unit(chain["l2"])  # 提交: four rows move at once
    assert_tallied()
    open_stage(chain, Stage.L1_REVIEW)
    workflow.perform(chain["l1"], apps[0].id, "l1_recommend", "区学习办同意推荐")
    workflow.perform(chain["l1"], apps[1].id, "l1_reject", "名额有限")
    assert_tallied()
    workflow.submit_unit(chain["l1"])  # 上报
    assert_tallied()
    db.session.delete(db.session.get(Application, apps[5].id))
    db.session.delete(draft)
    db.session.commit()
    assert_tallied()
    counted = tallies.recount()
    assert counted[(chain["campaign"].id, chain["street"].id, "reported")] == 1
    assert sum(counted.values()) == 5


def test_a_return_a_change_of_unit_and_the_resubmission_are_tallied(chain):
    open_stage(chain, Stage.APPLY)
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "return", "请补充学习成果证明")
    assert_tallied()
    application = db.session.get(Application, application.id)
    application.unit_id = chain["sibling"].id  # the citizen chooses another street while it is returned
    db.session.commit()
    assert_tallied()
    workflow.perform(application.applicant, application.id, "submit")
    assert_tallied()
    assert tallies.tallies() == {(chain["campaign"].id, chain["sibling"].id, "submitted"): 1}
    draft = factories.application(unit=chain["street"], status="draft")
    workflow.perform(draft.applicant, draft.id, "submit")  # a draft submitted: tallied from then on
    assert_tallied()
    assert tallies.tallies()[(chain["campaign"].id, chain["street"].id, "submitted")] == 1


def test_the_generator_leaves_the_tallies_equal_to_a_recount(app):
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--applications", "300"])
    assert result.exit_code == 0, result.output
    assert_tallied()
    assert sum(tallies.tallies().values()) == db.session.query(Application).filter(Application.status != "draft").count()
    assert sum(tallies.tallies().values()) > 200


def record_count(html: str) -> int:
    return int(re.search(r"</strong>\s*(\d+)\s*</div>", html).group(1))


def statements_of(client, url):
    sent = []

    def listener(conn, cursor, statement, *args):
        sent.append(" ".join(statement.split()).lower())

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return response.text, sent


def test_the_lists_row_count_comes_from_the_tallies_and_says_what_counting_says(client, chain):
    other = factories.campaign(year=2025, name="第八批")
    states = ("submitted", "l2_recommended", "l2_forwarded", "reported", "draft")
    for i in range(15):
        factories.application(unit=chain["street"] if i % 3 else chain["sibling"], status=states[i % 5],
                              campaign=other if i % 4 == 0 else chain["campaign"])
    listed = db.session.query(Application).filter(Application.status != "draft")
    l1_visible = ("l2_forwarded", "reported")
    cases = [
        ("city", "", listed.count()),
        ("city", "?_flt_0_status=reported", listed.filter(Application.status == "reported").count()),
        ("city", f"?_flt_0_campaign={other.id}", listed.filter(Application.campaign_id == other.id).count()),
        ("l2", "", listed.filter(Application.unit_id == chain["street"].id).count()),
        ("l1", "", listed.filter(Application.status.in_(l1_visible)).count()),
        ("l1", f"?_flt_0_unit={chain['sibling'].id}",
         listed.filter(Application.status.in_(l1_visible), Application.unit_id == chain["sibling"].id).count()),
        # A page past the last has no row to carry the count; a first page without rows holds none.
        ("l2", "?page_ApplicationView=3", listed.filter(Application.unit_id == chain["street"].id).count()),
        ("city", "?_flt_0_status=returned", 0),
    ]
    assert len({expected for *_, expected in cases}) > 3  # the cases differ
    for who, query, expected in cases:
        factories.login(client, chain[who])
        html, sent = statements_of(client, LIST + query)
        assert record_count(html) == expected, (who, query)
        # Neither the row count nor the progress panel's counts count the applications: they add up the tallies
        # (the row count rides on the rows' statement as a subquery, so "from application" is no sign).
        assert not any("count(application." in s or "count(*)" in s for s in sent), sent
        assert any("sum(application_tally.n)" in s for s in sent), sent
        client.get("/logout/")
    # A name searched is not tallied: the rows are counted, and the figure is the same kind of answer.
    factories.login(client, chain["city"])
    named = listed.first().name
    html, sent = statements_of(client, LIST + "?_flt_2_name=" + named)
    assert record_count(html) == listed.filter(Application.name.ilike(f"%{named}%")).count()
    assert not any("application_tally" in s for s in sent)


def test_an_applicants_own_scope_is_not_answered_from_the_tallies(chain):
    application = factories.application(unit=chain["street"])
    from app import scoping

    assert tallies.count(scoping.identity_clause(application.applicant)) is None
    assert tallies.count(scoping.identity_clause(chain["city"])) == 1
    assert tallies.count(scoping.identity_clause(chain["l1"])) == 0  # not forwarded yet


@pytest.mark.postgres
def test_decisions_made_at_once_on_one_units_applications_lose_no_change(app, chain):
    """Twelve clerks' sessions decide twelve applications of one street at the same moment, half moving
    submitted → l2_recommended and half l2_recommended → l2_not_recommended (the two directions over shared tally
    rows): every change is counted, no transaction deadlocks."""
    n = 12  # within the connection pool (5 + 10 overflow), so that all of them hold a transaction at once
    apps = [factories.application(unit=chain["street"], status="submitted" if i % 2 else "l2_recommended")
            for i in range(n)]
    ids = [(a.id, "l2_recommend" if i % 2 else "l2_reject") for i, a in enumerate(apps)]
    clerk_id = chain["l2"].id
    barrier, errors = threading.Barrier(n), []

    def decide(i):
        from app.models import Account

        with app.app_context():
            try:
                barrier.wait(timeout=30)  # before taking a connection: a thread waiting for one never blocks the rest
                clerk = db.session.get(Account, clerk_id)
                workflow.perform(clerk, ids[i][0], ids[i][1], "同意" if ids[i][1] == "l2_recommend" else "不同意")
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert_tallied()
    campaign, street = chain["campaign"].id, chain["street"].id
    assert tallies.tallies() == {(campaign, street, "l2_recommended"): n // 2,
                                 (campaign, street, "l2_not_recommended"): n // 2}


def test_the_migration_fills_the_tallies_from_the_applications_already_there(app, chain):
    from flask_migrate import downgrade, upgrade

    try:
        downgrade(revision="f1c3a5e7b9d2-1")  # before the tallies: applications made then have none
        db.session.info["audit_suppressed"] = True
        for i, status in enumerate(("submitted", "submitted", "l2_recommended", "draft")):
            factories.application(unit=chain["street"] if i % 2 else chain["sibling"], status=status)
    finally:
        db.session.info.pop("audit_suppressed", None)
        db.session.remove()
        upgrade()
    assert_tallied()
    assert sum(tallies.tallies().values()) == 3
    factories.application(unit=chain["street"])  # and kept from then on
    assert_tallied()
