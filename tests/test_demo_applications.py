"""The demo's applications: every state of the chain, work waiting for every demo clerk, consistent data and files."""
from collections import Counter

import pytest
from sqlalchemy import func

from app import demo, schedule, scoping, storage
from app.applications import completeness_errors
from app.extensions import db
from app.identity import parse_id_number
from app.media.photo import check_photo
from app.media.video import check_video
from app.models import Account, Application, ApplicationEvent, ApplicationStatus, Stage, UnitSubmission
from app.models.application import DEEDS_MAX_CHARS, OPINION_ACTIONS
from app.phones import normalize_mobile
from app.workflow import TRANSITIONS, UNIT_STEPS
from tests import factories

PASSWORD = "Demo@2026"


# What makes a demo load slow: hashing a password and generating media. Counted, not timed.
COSTLY = (
    ("app.demo", "generate_password_hash"),
    ("app.demo.applications", "generate_password_hash"),
    ("app.demo.applications", "portrait_jpeg"),
    ("app.demo.applications", "video_mp4"),
)


@pytest.fixture
def loaded(app, monkeypatch):
    import importlib

    costs = Counter()

    def counted(name, original):
        def wrapper(*args, **kwargs):
            costs[name] += 1
            return original(*args, **kwargs)

        return wrapper

    for module_name, name in COSTLY:
        module = importlib.import_module(module_name)
        monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    counts = demo.load(PASSWORD)
    db.session.commit()
    counts["costs"] = dict(costs)
    return counts


def account(username):
    return db.session.query(Account).filter_by(username=username).one()


def visible(username):
    return db.session.query(Application).filter(scoping.application_clause(account(username))).all()


def test_every_state_occurs_and_the_load_is_quick(loaded):
    statuses = Counter(status for (status,) in db.session.query(Application.status))
    # Every state of the recommendation chain; the experts' (入围复审, 拟评选) come from running 初审 and 复审,
    # 公示后撤销 and the winners' from 公示 and 审核确定 (`flask demo advance`).
    review_states = {ApplicationStatus.SHORTLISTED.value, ApplicationStatus.CANDIDATE.value,
                     ApplicationStatus.FEATURED.value, ApplicationStatus.WITHDRAWN.value,
                     ApplicationStatus.WINNER.value, ApplicationStatus.FEATURED_WINNER.value}
    assert set(statuses) == {s.value for s in ApplicationStatus} - review_states
    assert loaded["applications"] == sum(statuses.values()) >= 30
    assert statuses["draft"] >= 2 and statuses["submitted"] >= 6
    # Quick whatever the number of accounts and applications: one hash per loader, one portrait, one clip.
    assert loaded["costs"] == {"generate_password_hash": 2, "portrait_jpeg": 1, "video_mp4": 1}


def test_each_demo_clerk_has_work_left(loaded):
    zhongguancun = visible("l2-haidian-zhongguancun")
    assert not any(a.status == "draft" for a in zhongguancun)
    assert all(a.unit.name == "中关村街道" for a in zhongguancun)
    assert sum(a.status == "submitted" for a in zhongguancun) >= 3
    assert {"returned", "l2_recommended", "l2_not_recommended"} <= {a.status for a in zhongguancun}
    jianwai = visible("l2-chaoyang-jianwai")
    assert sum(a.status == "submitted" for a in jianwai) >= 3 and not any(a.status == "draft" for a in jianwai)

    for district, name in (("l1-haidian", "海淀区"), ("l1-chaoyang", "朝阳区")):
        seen = visible(district)
        assert sum(a.status == "l2_forwarded" for a in seen) >= 2
        assert all(a.unit.parent.name == name for a in seen)
        # Only what the streets submitted reaches the district, and the district has not reported yet.
        assert {a.status for a in seen} <= {"l2_forwarded", "l1_recommended", "l1_not_recommended"}

    city = visible("city")
    assert sum(a.status == "reported" for a in city) >= 3 and not any(a.status == "draft" for a in city)
    assert visible("auditor") and not visible("expert1")

    # The demo clerks' own units have not submitted: they still can.
    submitted_units = {s.unit.name for s in db.session.query(UnitSubmission)}
    assert not submitted_units & {"中关村街道", "建外街道", "海淀区", "朝阳区"}
    assert {"学院路街道", "三里屯街道", "东华门街道", "东城区", "西城区"} <= submitted_units


def test_the_data_is_consistent(loaded):
    applications = db.session.query(Application).all()
    assert len({a.id_number for a in applications}) == len(applications)
    assert len({a.mobile for a in applications}) == len(applications)
    assert len({a.deeds for a in applications if a.deeds}) == sum(1 for a in applications if a.deeds)
    files = [a.photo_file for a in applications if a.photo_file] + [a.video_file for a in applications if a.video_file]
    assert len(set(files)) == len(files)  # every application owns its files
    for application in applications:
        applicant = application.applicant
        assert applicant.username == application.mobile == normalize_mobile(application.mobile)
        assert {r.name for r in applicant.roles} == {"申报人"}
        resident = parse_id_number(application.id_number, today=application.created_at.date())
        assert (resident.birth_date, resident.gender) == (application.birth_date, application.gender)
        if application.status == "draft":
            assert application.submitted_at is None and not application.events
            continue
        assert application.address.startswith("北京市")
        assert 200 <= len(application.deeds) <= DEEDS_MAX_CHARS
        assert completeness_errors(application) == {}
        assert application.first_level_unit.name in ("海淀区", "朝阳区", "东城区", "西城区")


def test_the_history_is_the_chain_s_own(loaded):
    campaign = schedule.current_campaign()
    moves = {action: ({s.value for s in t.sources}, t.target.value) for action, t in TRANSITIONS.items()}
    for step in UNIT_STEPS.values():
        moves[step.action] = ({s.value for s in step.moves}, None)
    stage_of = {action: t.stage for action, t in TRANSITIONS.items()}
    stage_of.update({step.action: step.stage for step in UNIT_STEPS.values()})
    for application in db.session.query(Application).filter(Application.status != "draft"):
        events = application.events
        status = "draft"
        for event in events:
            sources, target = moves[event.action]
            assert event.from_status == status and event.from_status in sources, (application.name, event.action)
            if target is not None:
                assert event.to_status == target
            if event.action in OPINION_ACTIONS:
                assert event.opinion
            window = campaign.window(stage_of[event.action])
            assert window.starts_at <= event.at <= window.ends_at, (application.name, event.action)
            if event.action == "submit":
                assert event.actor_id == application.applicant_id and event.unit_id is None
            else:
                acting = application.unit if event.action in ("return", "l2_recommend", "l2_reject", "l2_submit") \
                    else application.unit.parent
                clerk = db.session.get(Account, event.actor_id)
                assert event.unit_id == acting.id == clerk.unit_id and event.actor_name == clerk.username
            status = event.to_status
        assert status == application.status
        assert [e.at for e in events] == sorted(e.at for e in events)
        assert application.submitted_at == max(e.at for e in events if e.action == "submit")
    returned = db.session.query(Application).filter_by(status="returned").first()
    assert returned.events[-1].action == "return" and returned.events[-1].opinion

    # Each submission matches the history it closed.
    for submission in db.session.query(UnitSubmission):
        action = "l2_submit" if submission.level == 2 else "l1_report"
        assert submission.level == submission.unit.level
        rows = (
            db.session.query(ApplicationEvent.to_status, func.count())
            .filter(ApplicationEvent.action == action, ApplicationEvent.unit_id == submission.unit_id)
            .group_by(ApplicationEvent.to_status)
            .all()
        )
        counts = dict(rows)
        yes = counts.get("l2_forwarded" if submission.level == 2 else "reported", 0)
        assert (submission.recommended, submission.not_recommended) == (yes, sum(counts.values()) - yes)


def test_stored_files_exist_and_pass_the_media_checks(loaded):
    applications = db.session.query(Application).filter(Application.video_file.isnot(None)).all()
    for application in applications:
        assert storage.path_of(application.photo_file).is_file()
        assert storage.path_of(application.video_file).stat().st_size == application.video_size
    sample = applications[0]
    photo = storage.path_of(sample.photo_file)
    assert check_photo(photo.read_bytes()).ok
    verdict = check_video(storage.path_of(sample.video_file))
    assert verdict.ok and verdict.video_codec == "AVC" and round(verdict.duration_seconds) == sample.video_duration
    assert (verdict.width, verdict.height) == (640, 360) and verdict.warning == "" and sample.video_warning is None
    total = sum(storage.path_of(a.video_file).stat().st_size + photo.stat().st_size for a in applications)
    assert total < 5 * 1024 * 1024


def test_street_clerk_sees_names_over_http(loaded, app):
    client = factories.login(app.test_client(), "l2-haidian-zhongguancun", PASSWORD)
    page = client.get("/applications/list/").get_data(as_text=True)
    ours = db.session.query(Application).filter(Application.unit.has(name="中关村街道")).all()
    for application in ours:
        assert (application.name in page) == (application.status != "draft"), application.name
    assert not any(a.name in page for a in db.session.query(Application).filter(Application.unit.has(name="建外街道")))
    submitted = next(a for a in ours if a.status == "submitted")
    assert submitted.name in client.get(f"/applications/show/{submitted.id}").get_data(as_text=True)
    photo = client.get(f"/application-files/{submitted.id}/photo")
    assert photo.status_code == 200 and photo.data[:3] == b"\xff\xd8\xff"


def test_an_applicant_signs_in_with_the_mobile_number(loaded, app):
    reported = db.session.query(Application).filter_by(status="reported").first()
    client = factories.login(app.test_client(), reported.applicant.username, PASSWORD)
    page = client.get("/apply/").get_data(as_text=True)
    assert reported.name in page


def test_cli_loads_the_applications_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--if-empty"])
    assert first.exit_code == 0 and "applications" in first.output, first.output
    counts = (db.session.query(Application).count(), db.session.query(Account).count(),
              db.session.query(UnitSubmission).count())
    second = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in second.output
    assert (db.session.query(Application).count(), db.session.query(Account).count(),
            db.session.query(UnitSubmission).count()) == counts
    assert counts[0] >= 30


def test_windows_used_are_the_campaign_s(loaded):
    campaign = schedule.current_campaign()
    first = db.session.query(func.min(ApplicationEvent.at)).scalar()
    last = db.session.query(func.max(ApplicationEvent.at)).scalar()
    assert campaign.window(Stage.APPLY).starts_at <= first and last <= campaign.window(Stage.L1_REVIEW).ends_at


# --- 专家评审 (app/demo/experts.py) ------------------------------------------------------------------------------

def _conflicted(expert, application) -> bool:
    """The rule app/assignment.py applies: employer unit, or a declared unit (a district covers its streets), or the
    application itself."""
    units = {application.unit_id, application.unit.parent_id}
    if expert.employer_unit_id in units:
        return True
    return any(c.unit_id in units or c.application_id == application.id for c in expert.conflicts)


def test_experts_in_panels_with_conflicts_and_initial_review_can_start_at_once(app, loaded):
    from app import rounds
    from app.models import Campaign, Expert, ExpertConflict

    experts = db.session.query(Expert).all()
    assert loaded["experts"] == len(experts) == 8
    assert all(e.employer and e.field and e.account.phone for e in experts)
    by_name = {e.account.username: e for e in experts}
    assert by_name["expert2"].employer_unit.full_name == "东城区 · 东华门街道"  # a conflict by employer
    assert {c.unit.name for c in db.session.query(ExpertConflict).filter(ExpertConflict.unit_id.isnot(None))} == {"西城区"}
    assert db.session.query(ExpertConflict).filter(ExpertConflict.application_id.isnot(None)).count() == 1

    reported = db.session.query(Application).filter_by(status="reported").all()
    districts = Counter(a.unit.parent.name for a in reported)
    assert districts["东城区"] >= 3 and districts["西城区"] >= 3 and len(reported) >= 6

    result = app.test_cli_runner().invoke(args=["campaign", "open-stage", "initial_review"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    campaign = db.session.query(Campaign).one()
    initial = rounds.current_round(campaign)
    assert initial is not None and initial.stage == "initial_review" and rounds.is_open(initial)
    panels = {p.name: p for p in initial.panels}
    assert [u.unit.name for u in panels["第一组"].units] == ["东城区"] and panels["第二组"].units == []
    final = rounds.round_for(campaign, Stage.FINAL_REVIEW)
    assert len(final.panels) == 1 and len(final.panels[0].members) == 8
    # Every reported application has enough experts without a conflict in the panel that covers it.
    claimed = {u.unit_id: p for p in initial.panels for u in p.units}
    rest = next(p for p in initial.panels if not p.units)
    for application in reported:
        panel = claimed.get(application.unit.parent_id, rest)
        free = [e for e in panel.experts if not _conflicted(e, application)]
        assert len(free) >= initial.experts_per_application, application.name
    assert any(_conflicted(e, a) for a in reported for e in panels["第一组"].experts)
    assert any(_conflicted(e, a) for a in reported for e in panels["第二组"].experts)
