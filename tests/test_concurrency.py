"""Races that only a real server shows: PostgreSQL, several connections at once."""
import threading
from datetime import datetime

import pytest

from app import clock, roles
from app.extensions import db
from app.models import Account, Stage, Unit
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)
pytestmark = pytest.mark.postgres


def race(app, n, request):
    """Run request(client) in n threads released together; returns their responses."""
    barrier = threading.Barrier(n)
    responses = [None] * n

    def worker(i):
        with app.app_context():
            barrier.wait()
            responses[i] = request(i)
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return responses


def test_two_clerks_creating_the_same_street_at_once_get_one_unit(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    district = factories.unit(name="海淀区")
    clerks = [factories.account(roles.L1_CLERK, unit=district) for _ in range(2)]
    clients = [factories.api_client(app, clerk) for clerk in clerks]

    responses = race(app, 2, lambda i: clients[i].post("/api/v1/unit/", json={"name": "上地街道", "parent": district.id}))
    statuses = sorted(r.status_code for r in responses)
    assert statuses[0] == 201 and statuses[1] in (409, 422), [r.json for r in responses]
    db.session.expire_all()
    assert db.session.query(Unit).filter_by(name="上地街道").count() == 1


def test_two_accounts_with_one_username_at_once_get_one_account(app):
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    city = [factories.account(roles.CITY_OFFICE) for _ in range(2)]
    clients = [factories.login(app.test_client(), c) for c in city]

    def create(i):
        return clients[i].post("/accounts/add", data={"unit": street.id, "username": "l2-same", "first_name": f"甲{i}"})

    race(app, 2, create)
    db.session.expire_all()
    assert db.session.query(Account).filter_by(username="l2-same").count() == 1


def test_fifty_parallel_recommendations_make_one_decision_and_one_audit_event(app):
    from app.models import ApplicationEvent, AuditEvent

    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    application = factories.application(unit=street)
    clerk = factories.account(roles.L2_CLERK, unit=street)
    clients = [factories.login(app.test_client(), clerk) for _ in range(50)]

    def recommend(i):
        return clients[i].post(
            "/applications/decide", data={"decision": "recommend", "ids": application.id, "opinion": f"同意{i}"}
        )

    responses = race(app, 50, recommend)
    assert all(r is not None and r.status_code == 302 for r in responses)
    db.session.expire_all()
    assert db.session.query(ApplicationEvent).filter_by(application_id=application.id).count() == 1
    assert db.session.query(AuditEvent).filter_by(action="application.l2_recommend").count() == 1


def test_two_clerks_deciding_the_same_thirty_in_opposite_orders_at_once_each_decide_them_in_turn_and_no_500(app):
    """One clerk recommends 30 applications, ticked top to bottom, while another rejects the same 30 bottom to top.
    A batch is one transaction holding every row it moved until it commits: were the rows locked in the order given,
    each would hold what the other waits for (a deadlock, a 500). Locked in id order, one waits for the other, and
    each decides every application in turn."""
    from app.models import Application, ApplicationEvent

    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    ids = [factories.application(unit=street).id for _ in range(30)]
    clerks = [factories.account(roles.L2_CLERK, unit=street) for _ in range(2)]
    clients = [factories.login(app.test_client(), clerk) for clerk in clerks]
    batches = [("recommend", ids), ("reject", ids[::-1])]

    def decide(i):
        decision, order = batches[i]
        return clients[i].post("/applications/decide", data={
            "decision": decision, "ids": ",".join(map(str, order)), "opinion": "材料齐全，事迹属实"})

    for _ in range(3):  # released together three times: each time both batches overlap on every row
        db.session.query(Application).filter(Application.id.in_(ids)).update({"status": "submitted"})
        db.session.query(ApplicationEvent).delete()
        db.session.commit()
        responses = race(app, 2, decide)
        assert [r.status_code for r in responses] == [302, 302]
        db.session.expire_all()
        statuses = [db.session.get(Application, i).status for i in ids]
        assert set(statuses) <= {"l2_recommended", "l2_not_recommended"}, statuses
        # A clerk may change a decision until the unit submits: each batch decided every row, one after the other.
        events = db.session.query(ApplicationEvent.application_id, ApplicationEvent.actor_id).all()
        assert sorted(events) == sorted((i, c) for i in ids for c in (clerks[0].id, clerks[1].id))


def test_two_clerks_racing_for_the_last_quota_place_one_wins(app):
    from app.models import Application, RecommendationQuota

    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    db.session.add(RecommendationQuota(campaign=campaign, level=2, max_recommended=1))
    db.session.commit()
    applications = [factories.application(unit=street) for _ in range(2)]
    clients = [factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street)) for _ in range(2)]

    def recommend(i):
        return clients[i].post(
            "/applications/decide", data={"decision": "recommend", "ids": applications[i].id, "opinion": "同意"}
        )

    race(app, 2, recommend)
    db.session.expire_all()
    statuses = sorted(db.session.get(Application, a.id).status for a in applications)
    assert statuses == ["l2_recommended", "submitted"]


def test_edits_racing_a_submission_never_leave_it_incomplete_and_never_answer_500(app):
    """提交 and 保存草稿 of one citizen at once (two tabs, the page and the REST API): the submission sees the
    row as it is when it locks it, and an edit that comes after it is refused, never written onto it."""
    from app import applications
    from app.models import Application

    at = datetime(2026, 4, 10, 9, 0)
    clock.freeze(at)
    campaign = factories.campaign(open_stage=Stage.APPLY, at=at)
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    outcomes = set()
    for _round in range(6):
        citizen = factories.account(roles.APPLICANT)
        application = factories.application(unit=street, applicant=citizen, campaign=campaign, status="draft")
        clients = [factories.login(app.test_client(), citizen) for _ in range(3)]
        requests = [
            lambda: clients[0].post("/api/v1/my_application/submit"),
            lambda: clients[1].post("/apply/", data={"intent": "save"}),  # the page's form, every field emptied
            lambda: clients[2].put("/api/v1/my_application/", json={"position": "", "id_number": ""}),
        ]
        responses = race(app, 3, lambda i: requests[i]())
        assert all(r is not None and r.status_code < 500 for r in responses), [r and r.status_code for r in responses]
        db.session.expire_all()
        application = db.session.get(Application, application.id)
        outcomes.add(application.status)
        if application.status == "submitted":
            assert applications.completeness_errors(application) == {}, application.id
            assert application.position == "职员"
        else:
            assert application.status == "draft"
    assert outcomes <= {"draft", "submitted"}


def test_uploads_racing_a_submission_never_change_the_submitted_files(app):
    """A photo upload (the page's XHR, the REST API) and 提交 at once: the upload is attached under the row lock, so
    it either lands before the submission or is refused; never written onto a submitted application."""
    import io

    from app.models import Application
    from tests.media import corpus

    at = datetime(2026, 4, 10, 9, 0)
    clock.freeze(at)
    campaign = factories.campaign(open_stage=Stage.APPLY, at=at)
    district, (street,) = factories.district_with_streets("海淀区", ("中关村街道",))
    jpeg = corpus.encoded(corpus.portrait(), "JPEG")
    for _round in range(4):
        citizen = factories.account(roles.APPLICANT)
        application = factories.application(unit=street, applicant=citizen, campaign=campaign, status="draft")
        clients = [factories.login(app.test_client(), citizen) for _ in range(2)] + [factories.api_client(app, citizen)]
        requests = [
            lambda: clients[0].post("/api/v1/my_application/submit"),
            lambda: clients[1].post("/apply/photo", data=jpeg, headers={"X-File-Name": "a.jpg"}),
            lambda: clients[2].post("/api/v1/my_application/photo", data={"file": (io.BytesIO(jpeg), "b.jpg")},
                                    content_type="multipart/form-data"),
        ]
        responses = race(app, 3, lambda i: requests[i]())
        assert all(r is not None and r.status_code < 500 for r in responses), [r and r.status_code for r in responses]
        db.session.expire_all()
        application = db.session.get(Application, application.id)
        assert application.status == "submitted", application.status
        late = [r for r in responses[1:] if r.status_code == 409]
        if len(late) == 2:
            assert application.photo_file == "photo/none.jpg"
        for response in late:
            assert "已提交" in (response.json or {}).get("message", "")


def _picks_world(app, winner_quota, featured_quota, status):
    """A campaign whose 复审 is closed, 50 applications in `status` each scored, and the city office; the quotas
    leave one place."""
    from decimal import Decimal

    from tests.ranking_setup import World

    world = World(freeze=True)
    world.quotas(winner_quota, featured_quota)
    world.close(world.initial)
    world.close(world.final)
    applications = []
    for i in range(50):
        application = world.applicant(f"候选{i:02d}", status=status)
        factories.assignment(world.final, application, world.experts[i % 3], status="submitted",
                             scores={c.key: Decimal(50 + i) / 10 for c in world.final.criteria})
        applications.append(application)
    return world, applications


@pytest.mark.parametrize("action, status, quotas, message", [
    ("candidate", "shortlisted", (3, 1), "拟评选名额已满：本批次最多 3 人，已有 3 人"),
    ("feature", "candidate", (52, 1), "重点宣传名额已满：本批次最多 1 人，已有 1 人"),
])
def test_fifty_clicks_for_the_last_candidate_or_featured_place_one_wins(app, action, status, quotas, message):
    """50 city-office clicks at once, each on a different application, for the one place left: exactly one gets
    it, the 49 others read the quota message, nobody a 500."""
    from app.models import Application, ApplicationEvent

    world, applications = _picks_world(app, *quotas, status=status)
    # Two candidates besides the 50 hold places already: 拟评选 3 leaves one; 重点宣传 1 with nobody featured, one.
    for name in ("已选一", "已选二"):
        world.applicant(name, status="candidate")
    clients = [factories.api_client(app, world.city) for _ in range(50)]

    def click(i):
        return clients[i].post("/api/v1/ranking/pick",
                               json={"application_id": applications[i].id, "action": action, "reason": "代表性强"})

    responses = race(app, 50, click)
    assert all(r is not None for r in responses)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * 49, codes
    assert all(message in r.json["message"] for r in responses if r.status_code == 409)
    db.session.expire_all()
    target = "candidate" if action == "candidate" else "featured"
    won = [a for a in applications if db.session.get(Application, a.id).status == target]
    assert len(won) == 1
    assert db.session.query(ApplicationEvent).filter_by(action=action).count() == 1


def test_thirty_registrations_of_one_mobile_number_at_once_make_one_account_and_no_500(app, monkeypatch):
    """Issue 10: these raced into the unique key and answered 500. The losers read what a second registration
    reads one after the other."""
    from app import captcha

    monkeypatch.setattr(captcha, "matches", lambda purpose, answer: True)  # the race is past the captcha
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.REGISTER, at=NOW)
    clients = [app.test_client() for _ in range(30)]
    form = {"mobile": "13911588771", "name": "张学习", "password": "Xuexi@2026!", "conf_password": "Xuexi@2026!",
            "captcha": "ABCD"}

    responses = race(app, 30, lambda i: clients[i].post("/register/", data=form))
    assert all(r is not None and r.status_code < 500 for r in responses), [r and r.status_code for r in responses]
    assert sum(r.status_code == 302 for r in responses) == 1
    for response in responses:
        if response.status_code != 302:
            assert "该手机号已注册，请直接登录" in response.text
    db.session.expire_all()
    assert db.session.query(Account).filter_by(username="13911588771").count() == 1


@pytest.mark.parametrize("front_door", ["page", "api"])
def test_the_first_draft_saved_twice_at_once_is_one_application_and_no_500(app, front_door):
    from app.models import Application

    at = datetime(2026, 4, 10, 9, 0)
    clock.freeze(at)
    factories.campaign(open_stage=Stage.APPLY, at=at)
    factories.district_with_streets("海淀区", ("中关村街道",))
    citizen = factories.account(roles.APPLICANT, username="13911588771")
    if front_door == "page":
        clients = [factories.login(app.test_client(), citizen) for _ in range(2)]
        save = lambda i: clients[i].post("/apply/", data={"name": f"张学习{i}", "intent": "save"})  # noqa: E731
        ok = 302
    else:
        clients = [factories.api_client(app, citizen) for _ in range(2)]
        save = lambda i: clients[i].put("/api/v1/my_application/", json={"name": f"张学习{i}"})  # noqa: E731
        ok = 200
    for _round in range(3):
        db.session.query(Application).delete()
        db.session.commit()
        responses = race(app, 2, save)
        assert [r.status_code for r in responses] == [ok, ok], [r.get_data(as_text=True)[:300] for r in responses]
        db.session.expire_all()
        assert db.session.query(Application).count() == 1


def test_uploads_racing_each_other_leave_exactly_the_named_file_on_disk(app):
    """Issue 10: concurrent uploads to one application left files no row names. In the even rounds every upload
    also creates the first draft (the loser of that insert must keep its own file), in the odd ones each replaces
    the photo of the round before."""
    import io
    from pathlib import Path

    from app import storage
    from app.models import Application
    from tests.media import corpus

    at = datetime(2026, 4, 10, 9, 0)
    clock.freeze(at)
    factories.campaign(open_stage=Stage.APPLY, at=at)
    factories.district_with_streets("海淀区", ("中关村街道",))
    jpeg = corpus.encoded(corpus.portrait(), "JPEG")
    citizen = factories.account(roles.APPLICANT, username="13911588771")
    pages = [factories.login(app.test_client(), citizen) for _ in range(3)]
    apis = [factories.api_client(app, citizen) for _ in range(3)]

    def upload(i):
        if i < 3:
            return pages[i].post("/apply/photo", data=jpeg, headers={"X-File-Name": f"{i}.jpg"})
        return apis[i - 3].post("/api/v1/my_application/photo", data={"file": (io.BytesIO(jpeg), f"{i}.jpg")},
                                content_type="multipart/form-data")

    with app.app_context():
        photos = storage.root() / "photo"
    # The session's upload folder is shared by the tests before this one (as in tests/test_storage.py): only the
    # temporary files this race leaves count.
    tmp = photos.parent / "tmp"
    earlier = set(tmp.glob("*"))
    for round_ in range(4):
        if round_ % 2 == 0:
            db.session.query(Application).delete()
            db.session.commit()
            for old in photos.glob("*") if photos.exists() else ():
                old.unlink()
        responses = race(app, 6, upload)
        assert all(r is not None and r.status_code == 200 for r in responses), [r and r.status_code for r in responses]
        db.session.expire_all()
        (application,) = db.session.query(Application).all()
        on_disk = sorted(str(Path("photo") / p.name) for p in photos.glob("*"))
        assert on_disk == [application.photo_file]
        assert set(tmp.glob("*")) <= earlier, "temporary files left behind"
