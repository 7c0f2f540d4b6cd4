"""app/scoring.py: an expert's review — its transitions, the window, the role, the expert's own assignment only,
the values per field, the weighted total, the city office's reopen, and a save racing a submit."""
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from app import clock, roles, scoping, scoring
from app.extensions import db
from app.models import AuditEvent, InboxMessage, ReviewAssignment, ReviewRound, ReviewScore, RubricCriterion, Stage
from app.workflow import WorkflowError
from tests import factories

NOW = datetime(2026, 6, 10, 10, 0)


@pytest.fixture
def world():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.INITIAL_REVIEW, at=NOW)
    district, (street, _) = factories.district_with_streets()
    review_round = factories.review_round(campaign)
    alice, bob = factories.expert(username="alice"), factories.expert(username="bob")
    apps = [factories.application(unit=street, campaign=campaign, status="reported", name=n) for n in ("王学习", "李读书")]
    mine = factories.assignment(review_round, apps[0], alice)
    theirs = factories.assignment(review_round, apps[0], bob)
    return {"campaign": campaign, "round": review_round, "alice": alice, "bob": bob, "apps": apps, "mine": mine,
            "theirs": theirs, "city": factories.account(roles.CITY_OFFICE)}


def ids(review_round) -> dict[str, int]:
    return {c.key: c.id for c in review_round.criteria}


def full(review_round, values=(8, 9, 7.5, 6, 10, 8.5)) -> dict:
    return {c.id: v for c, v in zip(review_round.criteria, values)}


def test_the_weighted_total_worked_by_hand(world, app):
    # The notice's rubric: weights 15 20 20 15 15 15 (sum 100), every scale 0..10.
    # 15*8/10 + 20*9/10 + 20*7.5/10 + 15*6/10 + 15*10/10 + 15*8.5/10 = 12 + 18 + 15 + 9 + 15 + 12.75 = 81.75
    assert scoring.weighted_total(world["round"], full(world["round"])) == Decimal("81.75")
    # Uneven weights and scales: (1*1/3 + 2*7/10) / 3 * 100 = 57.777… -> 57.78 (half up, two places)
    odd = ReviewRound(campaign=world["campaign"], stage="final_review", experts_per_application=3)
    odd.criteria = [RubricCriterion(key="a", label="甲", weight=1, max_score=3, position=0),
                    RubricCriterion(key="b", label="乙", weight=2, max_score=10, position=1)]
    db.session.add(odd)
    db.session.commit()
    a, b = odd.criteria
    assert scoring.weighted_total(odd, {a.id: 1, b.id: 7}) == Decimal("57.78")
    assert scoring.weighted_total(odd, {str(a.id): "3", str(b.id): "10"}) == Decimal("100.00")
    assert scoring.weighted_total(odd, {}) == Decimal("0.00")
    # Half up, not to even: (1*1.5/3) / 3 * 100 = 16.666… -> 16.67; (1*0/3 + 2*0.5/10) / 3 * 100 = 3.333… -> 3.33
    assert scoring.weighted_total(odd, {a.id: Decimal("1.5")}) == Decimal("16.67")
    assert scoring.weighted_total(odd, {b.id: Decimal("0.5")}) == Decimal("3.33")
    # An exact half at the third place rounds up (half even would give 3.12): 0.5 / 16 * 100 = 3.125 -> 3.13
    tie = factories.review_round(factories.campaign(), rubric=False)
    tie.criteria = [RubricCriterion(key="t", label="戊", weight=5, max_score=16, position=0)]
    db.session.commit()
    assert scoring.weighted_total(tie, {tie.criteria[0].id: "0.5"}) == Decimal("3.13")


def test_the_factory_computes_the_same_total(world):
    review_round = world["round"]
    values = dict(zip([c.key for c in review_round.criteria], (8, 9, 7.5, 6, 10, 8.5)))
    made = factories.assignment(review_round, world["apps"][1], world["alice"], status="submitted", scores=values)
    assert made.total == scoring.weighted_total(review_round, full(review_round)) == Decimal("81.75")


def test_a_draft_keeps_every_valid_value_and_names_the_bad_ones(world):
    review_round, alice = world["round"], world["alice"].account
    c = review_round.criteria
    entered = {c[0].id: "8", c[1].id: "11", c[2].id: "7.3", c[3].id: "好", c[4].id: "9.5", c[5].id: ""}
    with pytest.raises(WorkflowError) as refused:
        scoring.save(alice, world["mine"].id, entered, "事迹突出")
    assert refused.value.status == 422
    assert set(refused.value.errors) == {f"score_{c[1].id}", f"score_{c[2].id}", f"score_{c[3].id}"}
    assert "0 到 10" in refused.value.errors[f"score_{c[1].id}"]
    assert "0.5" in refused.value.errors[f"score_{c[2].id}"]
    assert "数字" in refused.value.errors[f"score_{c[3].id}"]
    db.session.expire_all()
    mine = db.session.get(ReviewAssignment, world["mine"].id)
    assert mine.status == "draft" and mine.comment == "事迹突出" and mine.total is None
    assert scoring.scores_of(mine) == {c[0].id: Decimal("8.0"), c[4].id: Decimal("9.5")}
    # Clearing a value removes it; a criterion not named keeps its value.
    scoring.save(alice, mine.id, {c[0].id: ""}, None)
    db.session.expire_all()
    assert scoring.scores_of(db.session.get(ReviewAssignment, mine.id)) == {c[4].id: Decimal("9.5")}


def test_a_criterion_of_another_round_is_refused_at_its_field(world):
    other = factories.review_round(world["campaign"], stage="final_review")
    foreign = other.criteria[0].id
    with pytest.raises(WorkflowError) as refused:
        scoring.save(world["alice"].account, world["mine"].id, {foreign: 5}, None)
    assert refused.value.errors == {f"score_{foreign}": "本轮评审没有这一评分项"}
    assert db.session.query(ReviewScore).count() == 0


def test_submit_needs_every_criterion_and_a_comment_and_then_changes_nothing(world):
    review_round, alice = world["round"], world["alice"].account
    c = review_round.criteria
    with pytest.raises(WorkflowError) as refused:
        scoring.save(alice, world["mine"].id, {c[0].id: 8}, "", submit=True)
    errors = refused.value.errors
    assert refused.value.status == 422 and "comment" in errors and errors["comment"] == "请填写评审意见"
    assert {f"score_{x.id}" for x in c[1:]} <= set(errors) and f"score_{c[0].id}" not in errors
    assert c[1].label in errors[f"score_{c[1].id}"]
    db.session.expire_all()
    mine = db.session.get(ReviewAssignment, world["mine"].id)
    assert mine.status == "assigned" and not mine.scores


def test_submit_stores_the_total_and_the_audit_and_is_final(world):
    review_round, alice = world["round"], world["alice"].account
    done = scoring.save(alice, world["mine"].id, full(review_round), "坚持学习，成效明显。", submit=True)
    assert done.status == "submitted" and done.total == Decimal("81.75") and done.submitted_at == NOW
    event = db.session.query(AuditEvent).filter_by(action="review.submit").one()
    assert event.object_id == str(done.id) and event.detail["total"] == "81.75"
    assert event.detail["from_status"] == "assigned" and event.detail["to_status"] == "submitted"
    for submit in (False, True):
        with pytest.raises(WorkflowError) as refused:
            scoring.save(alice, done.id, full(review_round, (1,) * 6), "改一下", submit=submit)
        assert refused.value.status == 409 and "已提交" in str(refused.value)
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, done.id).total == Decimal("81.75")


def test_a_draft_then_a_submit_of_the_rest(world):
    review_round, alice = world["round"], world["alice"].account
    c = review_round.criteria
    scoring.save(alice, world["mine"].id, {x.id: 10 for x in c[:3]}, "初稿")
    done = scoring.save(alice, world["mine"].id, {x.id: 0 for x in c[3:]}, None, submit=True)
    # (15 + 20 + 20) of 100 weight at full marks, the rest 0; the comment saved with the draft counts.
    assert done.total == Decimal("55.00") and done.comment == "初稿"


def test_only_the_assigned_expert_scores_their_own_assignment(world):
    review_round = world["round"]
    for actor in (world["bob"].account, world["city"], factories.account(roles.APPLICANT),
                  factories.account(roles.AUDITOR)):
        with pytest.raises(WorkflowError) as refused:
            scoring.save(actor, world["mine"].id, full(review_round), "越权", submit=True)
        assert refused.value.status in (403, 404), actor.username
    with pytest.raises(WorkflowError) as refused:
        scoring.save(world["alice"].account, 999999, {}, None)
    assert refused.value.status == 404
    declined = factories.assignment(review_round, world["apps"][1], world["alice"], status="declined")
    with pytest.raises(WorkflowError) as refused:
        scoring.save(world["alice"].account, declined.id, {}, None)
    assert refused.value.status == 404
    assert db.session.query(ReviewScore).count() == 0


def test_scoping_of_assignments(world):
    alice, bob, city = world["alice"].account, world["bob"].account, world["city"]
    declined = factories.assignment(world["round"], world["apps"][1], world["alice"], status="declined")

    def listed(user):
        return {a.id for a in db.session.query(ReviewAssignment).filter(scoping.assignment_clause(user))}

    assert listed(alice) == {world["mine"].id}
    assert listed(bob) == {world["theirs"].id}
    assert listed(city) == listed(factories.account(roles.AUDITOR)) == {world["mine"].id, world["theirs"].id, declined.id}
    for nobody in (factories.account(roles.L1_CLERK, unit=factories.unit()), factories.account(roles.APPLICANT),
                   factories.account(roles.EXPERT)):  # an expert account with no Expert row has nothing
        assert listed(nobody) == set()
    for user in (alice, bob, city):
        for a in db.session.query(ReviewAssignment):
            assert scoping.can_see_assignment(user, a) == (a.id in listed(user))
    assert scoping.can_see_assignment(city, world["mine"]) and not scoping.is_own_assignment(city, world["mine"])
    # Applications: the expert's assigned one (not the declined one), and the printed form (personal data) never.
    app0, app1 = world["apps"]
    assert scoping.can_see_application(alice, app0) and not scoping.can_see_application(alice, app1)
    assert not scoping.can_see_identity(alice, app0) and scoping.can_see_identity(city, app0)


@pytest.mark.parametrize("when, words", [
    (NOW - timedelta(days=400), "开始"),
    (NOW + timedelta(days=400), "截止"),
])
def test_outside_the_window_nothing_is_saved_and_the_message_gives_the_times(world, when, words):
    clock.freeze(when)
    window = world["campaign"].window(Stage.INITIAL_REVIEW)
    with pytest.raises(WorkflowError) as refused:
        scoring.save(world["alice"].account, world["mine"].id, full(world["round"]), "迟到", submit=True)
    message = str(refused.value)
    assert refused.value.status == 403 and words in message and "专家初审" in message
    from app.schedule import format_time

    assert format_time(window.ends_at) in message
    assert db.session.query(ReviewScore).count() == 0


def test_a_closed_round_takes_no_more_scores_and_no_reopen(world):
    done = factories.assignment(world["round"], world["apps"][1], world["alice"], status="submitted",
                                scores={c.key: 5 for c in world["round"].criteria})
    world["round"].closed_at, world["round"].closed_by_id = NOW, world["city"].id
    db.session.commit()
    with pytest.raises(WorkflowError) as refused:
        scoring.save(world["alice"].account, world["mine"].id, full(world["round"]), None)
    assert refused.value.status == 403 and "关闭" in str(refused.value)
    with pytest.raises(WorkflowError) as refused:
        scoring.reopen(world["city"], done.id, "重新考虑")
    assert "关闭" in str(refused.value)


def test_the_city_office_reopens_with_a_reason_audited_and_the_expert_is_told(world):
    review_round, alice = world["round"], world["alice"].account
    done = scoring.save(alice, world["mine"].id, full(review_round), "很好", submit=True)
    with pytest.raises(WorkflowError) as refused:
        scoring.reopen(world["city"], done.id, "  ")
    assert refused.value.status == 422 and refused.value.errors == {"reason": "请填写重新打开的理由"}
    for actor in (alice, world["bob"].account, factories.account(roles.AUDITOR)):
        with pytest.raises(WorkflowError) as refused:
            scoring.reopen(actor, done.id, "想改")
        assert refused.value.status == 403
    reopened = scoring.reopen(world["city"], done.id, "第三项分数与评语不符")
    assert reopened.status == "draft" and reopened.total is None and reopened.submitted_at is None
    assert scoring.scores_of(reopened) == {k: Decimal(str(v)) for k, v in full(review_round).items()}
    event = db.session.query(AuditEvent).filter_by(action="review.reopen").one()
    assert event.detail["reason"] == "第三项分数与评语不符" and event.detail["total"] == "81.75"
    notice = db.session.query(InboxMessage).filter_by(account_id=alice.id).one()
    assert "王学习" in notice.text and "第三项分数与评语不符" in notice.text and notice.link == f"/expert/review/{done.id}"
    with pytest.raises(WorkflowError) as refused:
        scoring.reopen(world["city"], done.id, "再来一次")
    assert refused.value.status == 409  # a draft is not submitted
    # The expert changes one value and submits again.
    again = scoring.save(alice, done.id, {review_round.criteria[2].id: 10}, None, submit=True)
    assert again.total == Decimal("86.75")


def test_the_transition_table(world):
    table = scoring.TRANSITIONS
    assert {a: (sorted(s.value for s in t.sources), t.target.value) for a, t in table.items()} == {
        "save": (["assigned", "draft"], "draft"),
        "submit": (["assigned", "draft"], "submitted"),
        "reopen": (["submitted"], "draft"),
    }
    assert scoring.allowed(world["alice"].account, world["mine"], "save")
    assert not scoring.allowed(world["bob"].account, world["mine"], "save")
    assert not scoring.allowed(world["city"], world["mine"], "reopen")  # not submitted


@pytest.mark.postgres
def test_a_save_racing_a_submit_never_changes_a_submitted_review(app, world):
    """The row lock orders them: either the save lands first and the submit follows, or the submit wins and the
    save is refused; a submitted review never carries scores other than those it was submitted with."""
    review_round = world["round"]
    assignment_id, alice_id = world["mine"].id, world["alice"].account.id
    submitted_values = full(review_round)
    barrier = threading.Barrier(2)
    outcome = {}

    def worker(kind):
        with app.app_context():
            from app.models import Account

            actor = db.session.get(Account, alice_id)
            barrier.wait()
            try:
                if kind == "submit":
                    scoring.save(actor, assignment_id, submitted_values, "提交", submit=True)
                else:
                    scoring.save(actor, assignment_id, {c.id: 1 for c in review_round.criteria}, "暂存")
                outcome[kind] = "ok"
            except WorkflowError as refused:
                outcome[kind] = refused.status
            finally:
                db.session.remove()

    for _ in range(5):
        threads = [threading.Thread(target=worker, args=(k,)) for k in ("submit", "save")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        db.session.expire_all()
        row = db.session.get(ReviewAssignment, assignment_id)
        assert outcome["submit"] == "ok" and outcome["save"] in ("ok", 409), outcome
        assert row.status == "submitted" and row.total == Decimal("81.75")
        assert scoring.scores_of(row) == {k: Decimal(str(v)) for k, v in submitted_values.items()}
        # Back to the start for the next try.
        db.session.query(ReviewScore).delete()
        row.status, row.total, row.submitted_at, row.comment = "assigned", None, None, None
        db.session.commit()
