from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from app import clock, roles, schedule
from app.extensions import db
from app.models import Stage
from tests import factories


def test_new_campaign_gets_the_notice_schedule_for_its_year():
    campaign = factories.campaign(year=2027)
    apply = campaign.window(Stage.APPLY)
    assert apply.starts_at == datetime(2027, 4, 4, 0, 0, 0)
    assert apply.ends_at == datetime(2027, 4, 27, 23, 59, 59)
    assert campaign.window(Stage.L2_REVIEW).starts_at == datetime(2027, 4, 28)
    assert campaign.window(Stage.FINAL_REVIEW).ends_at == datetime(2027, 6, 30, 23, 59, 59)
    assert campaign.window(Stage.PUBLICITY).starts_at is None
    assert [w.stage for w in schedule.windows_of(campaign)] == [s.value for s in Stage]


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime(2027, 4, 3, 23, 59, 59), False),
        (datetime(2027, 4, 4, 0, 0, 0), True),
        (datetime(2027, 4, 27, 23, 59, 59), True),
        (datetime(2027, 4, 28, 0, 0, 0), False),
    ],
)
def test_window_is_open_to_the_second(moment, expected):
    campaign = factories.campaign(year=2027)
    assert schedule.is_open(Stage.APPLY, campaign, at=moment) is expected


def test_require_open_explains_in_chinese():
    campaign = factories.campaign(year=2027)
    with pytest.raises(schedule.StageClosed, match="已于 2027-04-27 23:59:59 截止，过期无效"):
        schedule.require_open(Stage.APPLY, campaign, at=datetime(2027, 4, 28))
    with pytest.raises(schedule.StageClosed, match="将于 2027-04-04 00:00:00 开始"):
        schedule.require_open(Stage.APPLY, campaign, at=datetime(2027, 4, 1))
    with pytest.raises(schedule.StageClosed, match="尚未设定时间"):
        schedule.require_open(Stage.PUBLICITY, campaign, at=datetime(2027, 7, 1))
    schedule.require_open(Stage.APPLY, campaign, at=datetime(2027, 4, 10))


def test_the_injected_clock_decides():
    campaign = factories.campaign(year=2027)
    clock.freeze(datetime(2027, 5, 20, 9, 0))
    assert schedule.is_open(Stage.L1_REVIEW, campaign)
    assert not schedule.is_open(Stage.L2_REVIEW, campaign)


@pytest.mark.parametrize("stage", list(Stage))
def test_open_stage_opens_it_and_closes_the_ones_before(stage):
    now = datetime(2026, 11, 29, 10, 0)
    campaign = factories.campaign(year=2026, open_stage=stage, at=now)
    assert schedule.is_open(stage, campaign, at=now)
    later = [s for s in Stage if list(Stage).index(s) > list(Stage).index(stage)]
    for other in later:
        assert not schedule.is_open(other, campaign, at=now), other
    position = list(Stage).index(stage)
    for earlier in list(Stage)[:position]:
        if earlier == Stage.REGISTER and stage in (Stage.UNIT_ACCOUNTS, Stage.APPLY):
            continue  # registration opens 3/26 and stays open while citizens may apply
        assert not schedule.is_open(earlier, campaign, at=now), earlier


def test_current_campaign_is_the_latest_year():
    factories.campaign(year=2025, name="第八批")
    latest = factories.campaign(year=2026, name="第九批")
    assert schedule.current_campaign() == latest


def test_campaigns_are_read_once_per_request_with_their_windows(app):
    older = factories.campaign(year=2025, name="第八批")
    latest = factories.campaign(year=2026, name="第九批")
    # Outside a request (the CLI, the task worker) each question reads the database.
    assert factories.count_statements(schedule.current_campaign) == 1
    assert factories.count_statements(schedule.current_campaign) == 1
    with app.test_request_context("/"):
        read = factories.count_statements(lambda: (
            schedule.current_campaign(), schedule.campaigns(),
            [c.window(Stage.APPLY) for c in schedule.campaigns()]))
        assert read == 1
        assert schedule.campaigns() == [latest, older] and schedule.current_campaign() == latest


def test_campaign_dates_read_like_the_campaigns(app):
    older = factories.campaign(year=2025, name="第八批")
    latest = factories.campaign(year=2026, name="第九批")
    with app.test_request_context("/"):
        dates = schedule.campaign_dates()
        assert [(c.id, c.name, c.year) for c in dates] == [(latest.id, "第九批", 2026), (older.id, "第八批", 2025)]
        assert schedule.current_campaign_dates() == dates[0] and schedule.campaign_dates_of(older.id) == dates[1]
        assert schedule.campaign_dates_of(10**6) is None
        for kept, mapped in zip(dates, (latest, older)):
            assert [(w.stage, w.starts_at, w.ends_at) for w in kept.windows] == [
                (w.stage, w.starts_at, w.ends_at) for w in schedule.windows_of(mapped)]
        apply = dates[0].window(Stage.APPLY)
        assert apply.ends_at == datetime(2026, 4, 27, 23, 59, 59)
        assert apply.is_open(datetime(2026, 4, 27, 23, 59, 59, 999)) and not apply.is_open(datetime(2026, 4, 28))
        assert not dates[0].window(Stage.PUBLICITY).is_open(datetime(2026, 7, 1))  # not scheduled: closed


def test_without_a_campaign_there_are_no_dates(app):
    with app.test_request_context("/"):
        assert schedule.campaign_dates() == () and schedule.current_campaign_dates() is None
        assert not schedule.is_open(Stage.APPLY)


LIST = "/applications/list/"


def _street_clerk_with_a_recommendation():
    now = clock.now()
    campaign = factories.campaign(year=now.year, open_stage=Stage.L2_REVIEW, at=now)
    _district, (street, _other) = factories.district_with_streets()
    factories.application(unit=street, campaign=campaign, status="l2_recommended", name="王学习")
    return campaign, factories.account(roles.L2_CLERK, unit=street)


def test_a_signed_in_page_reads_the_campaigns_dates_with_the_account(client):
    """Kept per process while their fingerprint, read with the signed-in account, stands: the review list asks
    nothing more of campaigns (its 评选批次 choices, each row's 过期无效, the 评审进度 panel's window)."""
    _campaign, clerk = _street_clerk_with_a_recommendation()
    factories.login(client, clerk)
    assert client.get(LIST).status_code == 200
    sent = []
    listener = lambda _c, _cur, statement, *_: sent.append(" ".join(statement.split()).lower())  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get(LIST)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert page.status_code == 200 and "王学习" in page.text
    assert "from ab_user" in sent[0] and "from campaign" in sent[0], sent[0]
    assert not [s for s in sent[1:] if "from campaign" in s or "from stage_window" in s], sent


def test_a_window_changed_by_another_worker_shows_on_the_next_page_and_changed_back_too(client):
    """Another worker (here: a commit this process's pages had no part in) closes the street's review window: the
    next page marks the recommendation 过期无效; reopened to the very same dates, the page after shows it valid
    again (a cache keyed by anything but the dates themselves would serve the closed window here)."""
    campaign, clerk = _street_clerk_with_a_recommendation()
    factories.login(client, clerk)
    row = lambda: next(r for r in client.get(LIST).text.split("<tr") if "王学习" in r)  # noqa: E731
    assert "过期无效" not in row()
    window = campaign.window(Stage.L2_REVIEW)
    planned = window.ends_at
    window.ends_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    assert "过期无效" in row()
    window.ends_at = planned
    db.session.commit()
    assert "过期无效" not in row()


def test_outside_a_request_the_dates_are_read_each_time(app):
    campaign = factories.campaign(year=2026)
    assert factories.count_statements(schedule.campaign_dates) == 1
    assert factories.count_statements(schedule.campaign_dates) == 1
    campaign.name = "第十批"
    db.session.commit()
    assert schedule.current_campaign_dates().name == "第十批"
