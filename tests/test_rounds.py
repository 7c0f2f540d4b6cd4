"""app/rounds.py's round management: closing a round (when, who, once), each expert's progress, the missing reviews,
and reminders as in-app messages — each audited."""
from datetime import datetime, timedelta

import pytest

from app import clock, roles, rounds
from app.extensions import db
from app.models import AuditEvent, InboxMessage, Stage
from app.workflow import WorkflowError
from tests import factories

NOW = datetime(2026, 6, 1, 10, 0)
# campaign(open_stage=…, at=NOW) moves the notice's schedule so that 初审 (5/30 00:00 to 6/15 23:59:59) opened at 9:00.
END = datetime(2026, 6, 18, 8, 59, 59)
AFTER = END + timedelta(seconds=1)
SCORES = {"values": 8, "dedication": 9, "results": 7, "influence": 6, "lifelong": 8, "welfare": 9}


@pytest.fixture
def world(app):
    """初审 open since an hour; 东城区 (two streets) reviewed by 第一组 (张、李、王), 赵 in no panel but with a review."""
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.INITIAL_REVIEW, at=NOW)
    district, (street, other_street) = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    review_round = factories.review_round(campaign)
    zhang, li, wang, zhao = (factories.expert(first_name=name, employer=f"{name}所在大学")
                             for name in ("张专家", "李专家", "王专家", "赵专家"))
    factories.panel(review_round, [zhang, li, wang], [district], name="第一组")
    apps = [factories.application(unit=street if i % 2 else other_street, campaign=campaign, status="reported",
                                  name=f"申报人{i}") for i in range(4)]
    return {"campaign": campaign, "round": review_round, "district": district, "apps": apps,
            "zhang": zhang, "li": li, "wang": wang, "zhao": zhao,
            "city": factories.account(roles.CITY_OFFICE, first_name="市学习办甲"),
            "auditor": factories.account(roles.AUDITOR), "l1": factories.account(roles.L1_CLERK, unit=district)}


def mixed(world):
    """张: 2 submitted, 1 draft; 李: 1 submitted, 1 assigned, 1 declined; 王: none; 赵 (no panel): 1 assigned."""
    r, (a0, a1, a2, a3), f = world["round"], world["apps"], factories.assignment
    clock.freeze(NOW + timedelta(minutes=5))
    f(r, a0, world["zhang"], "submitted", SCORES)
    clock.freeze(NOW + timedelta(minutes=20))
    f(r, a1, world["zhang"], "submitted", SCORES)
    clock.freeze(NOW + timedelta(minutes=30))
    f(r, a2, world["zhang"], "draft", {"values": 5})
    clock.freeze(NOW + timedelta(minutes=10))
    f(r, a0, world["li"], "submitted", SCORES)
    f(r, a1, world["li"], "assigned")
    f(r, a2, world["li"], "declined")
    f(r, a3, world["zhao"], "assigned")
    clock.freeze(NOW)


def by_name(rows):
    return {row.expert.name: row for row in rows}


# --- progress ---------------------------------------------------------------------------------------------------


def test_progress_counts_each_experts_reviews_by_state(world):
    mixed(world)
    rows = rounds.progress(world["round"])
    assert [row.expert.name for row in rows] == ["张专家", "李专家", "王专家", "赵专家"]  # panel first, then the rest
    zhang, li, wang, zhao = (by_name(rows)[n] for n in ("张专家", "李专家", "王专家", "赵专家"))
    assert (zhang.panel, zhang.assigned, zhang.submitted, zhang.draft, zhang.not_started, zhang.declined) == \
        ("第一组", 3, 2, 1, 0, 0)
    assert (li.assigned, li.submitted, li.draft, li.not_started, li.declined) == (2, 1, 0, 1, 1)
    assert (wang.panel, wang.assigned, wang.last_activity) == ("第一组", 0, None)
    assert (zhao.panel, zhao.assigned, zhao.not_started) == (None, 1, 1)
    # The last save or submission; a review merely assigned is no activity of the expert's.
    assert zhang.last_activity == NOW + timedelta(minutes=30)
    assert li.last_activity == NOW + timedelta(minutes=10) and zhao.last_activity is None
    assert (zhang.percent, li.percent, wang.percent) == (67, 50, 0)
    totals = rounds.totals(rows)
    assert (totals.experts, totals.assigned, totals.submitted, totals.draft, totals.not_started, totals.declined) == \
        (4, 6, 3, 1, 2, 1)
    assert totals.unfinished == 3 and totals.percent == 50


def test_missing_lists_every_review_neither_submitted_nor_declined(world):
    mixed(world)
    missing = rounds.missing(world["round"])
    assert [(m.expert_name, m.application_name, str(m.status_label)) for m in missing] == [
        ("张专家", "申报人2", "已暂存"), ("李专家", "申报人1", "待评"), ("赵专家", "申报人3", "待评")]
    assert missing[0].units == "东城区 · 景山街道"


def test_progress_takes_the_same_few_queries_for_any_number_of_experts(world):
    mixed(world)
    db.session.expire_all()
    few = factories.count_statements(lambda: rounds.progress(world["round"]) and rounds.missing(world["round"]))
    for i in range(6):
        extra = factories.expert(first_name=f"新专家{i}")
        factories.assignment(world["round"], world["apps"][i % 4], extra, "submitted" if i % 2 else "draft", SCORES)
    db.session.expire_all()
    again = factories.count_statements(lambda: rounds.progress(world["round"]) and rounds.missing(world["round"]))
    assert again == few <= 6


# --- close ------------------------------------------------------------------------------------------------------


def test_closing_inside_the_window_is_refused_while_reviews_are_missing(world):
    mixed(world)
    with pytest.raises(WorkflowError) as refused:
        rounds.close(world["city"], world["round"].id)
    assert refused.value.status == 409
    assert "还有 3 份评审未提交" in str(refused.value) and "2026-06-18 08:59:59" in str(refused.value)
    db.session.expire_all()
    assert not world["round"].is_closed and rounds.is_open(world["round"])


def test_closing_early_once_every_review_not_declined_is_submitted(world):
    r, (a0, a1, _a2, _a3) = world["round"], world["apps"]
    factories.assignment(r, a0, world["zhang"], "submitted", SCORES)
    factories.assignment(r, a1, world["li"], "submitted", SCORES)
    factories.assignment(r, a1, world["wang"], "declined")
    closed = rounds.close(world["city"], r.id)
    assert closed.is_closed and closed.closed_at == NOW and closed.closed_by_id == world["city"].id
    assert not rounds.is_open(closed)  # scoring refuses from now on
    log = db.session.query(AuditEvent).filter_by(action="review_round.close").one()
    assert log.object_id == str(r.id) and log.detail == {"early": True, "submitted": 2, "missing": 0}
    from app.views.audit import action_label, object_type_label

    assert (str(action_label(log.action)), str(object_type_label(log.object_type))) == ("结束评审轮次", "评审轮次")


def test_a_round_with_nothing_submitted_does_not_close_before_its_end(world):
    with pytest.raises(WorkflowError) as refused:
        rounds.close(world["city"], world["round"].id)
    assert "还没有提交的评审" in str(refused.value)


def test_after_the_window_the_round_closes_with_reviews_missing(world):
    mixed(world)
    clock.freeze(AFTER)
    closed = rounds.close(world["city"], world["round"].id)
    assert closed.is_closed
    log = db.session.query(AuditEvent).filter_by(action="review_round.close").one()
    assert log.detail == {"early": False, "submitted": 3, "missing": 3}


def test_a_round_closes_once(world):
    clock.freeze(AFTER)
    rounds.close(world["city"], world["round"].id)
    with pytest.raises(WorkflowError) as refused:
        rounds.close(world["city"], world["round"].id)
    assert refused.value.status == 409 and "已于 2026-06-18 09:00:00 结束，不能重复结束" in str(refused.value)
    assert db.session.query(AuditEvent).filter_by(action="review_round.close").count() == 1


@pytest.mark.parametrize("who", ["auditor", "l1", "zhang"])
def test_only_the_city_office_closes(world, who):
    clock.freeze(AFTER)
    actor = world[who].account if who == "zhang" else world[who]
    with pytest.raises(WorkflowError) as refused:
        rounds.close(actor, world["round"].id)
    assert refused.value.status == 403 and "只有市学习办" in str(refused.value)
    db.session.expire_all()
    assert not world["round"].is_closed


def test_an_unknown_round_is_a_404(world):
    for round_id in (world["round"].id + 1000, "1", None):
        with pytest.raises(WorkflowError) as refused:
            rounds.close(world["city"], round_id)
        assert refused.value.status == 404


# --- remind -----------------------------------------------------------------------------------------------------


def test_remind_writes_to_the_experts_with_unfinished_reviews_only(world):
    mixed(world)
    assert rounds.remind(world["city"], world["round"].id) == 3  # 张 (draft), 李 (assigned), 赵; not 王
    messages = {m.account_id: m for m in db.session.query(InboxMessage)}
    assert set(messages) == {world[n].account_id for n in ("zhang", "li", "zhao")}
    li = messages[world["li"].account_id]
    assert li.text == "请于 2026-06-18 08:59:59 前完成专家初审：尚有 1 份未提交"
    assert (li.link, li.sender_id, li.read_at, li.at) == (f"/expert/?round={world['round'].id}", world["city"].id, None, NOW)
    assert messages[world["zhang"].account_id].text.endswith("尚有 1 份未提交")
    log = db.session.query(AuditEvent).filter_by(action="review_round.remind").one()
    assert log.detail == {"experts": sorted(world[n].id for n in ("zhang", "li", "zhao")), "unfinished": 3}


def test_remind_the_chosen_experts(world):
    mixed(world)
    assert rounds.remind(world["city"], world["round"].id, [world["li"].id, world["wang"].id]) == 1
    assert [m.account_id for m in db.session.query(InboxMessage)] == [world["li"].account_id]


def test_nobody_to_remind_when_nothing_is_missing(world):
    factories.assignment(world["round"], world["apps"][0], world["zhang"], "submitted", SCORES)
    assert rounds.remind(world["city"], world["round"].id) == 0
    assert db.session.query(InboxMessage).count() == 0
    assert db.session.query(AuditEvent).filter_by(action="review_round.remind").count() == 0


def test_remind_is_the_city_offices_and_only_while_experts_may_score(world):
    mixed(world)
    with pytest.raises(WorkflowError) as refused:
        rounds.remind(world["auditor"], world["round"].id)
    assert refused.value.status == 403
    clock.freeze(AFTER)
    with pytest.raises(WorkflowError) as refused:
        rounds.remind(world["city"], world["round"].id)
    assert "评审时间已于 2026-06-18 08:59:59 截止，专家已不能评分" in str(refused.value)
    rounds.close(world["city"], world["round"].id)
    with pytest.raises(WorkflowError) as refused:
        rounds.remind(world["city"], world["round"].id)
    assert "已经结束" in str(refused.value)
    assert db.session.query(InboxMessage).count() == 0


def test_time_left_reads_in_days_then_hours(world):
    r = world["round"]
    assert world["campaign"].window(Stage.INITIAL_REVIEW).ends_at == END
    assert rounds.time_left(r) == END - NOW
    assert rounds.duration_text(rounds.time_left(r)) == "还剩 16 天 22 小时"
    assert rounds.duration_text(rounds.time_left(r, datetime(2026, 6, 18, 6, 30))) == "还剩 2 小时 29 分钟"
    assert rounds.time_left(r, END) == timedelta(0) and rounds.time_left(r, AFTER) is None
    assert rounds.duration_text(None) == ""


@pytest.mark.postgres
def test_ten_parallel_closes_close_once_with_one_audit_event(app, world):
    from tests.test_concurrency import race

    mixed(world)
    clock.freeze(AFTER)
    clients = [factories.api_client(app, world["city"]) for _ in range(10)]
    url = f"/api/v1/review_progress/{world['round'].id}/close"
    responses = race(app, 10, lambda i: clients[i].post(url))
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert all("不能重复结束" in r.json["message"] for r in responses if r.status_code == 409)
    db.session.expire_all()
    assert db.session.query(AuditEvent).filter_by(action="review_round.close").count() == 1
