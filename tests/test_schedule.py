from datetime import datetime, timedelta

import pytest

from app import clock, schedule
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
    assert schedule.campaign(older.id) == older and schedule.campaign(10**6) is None
    with app.test_request_context("/"):
        read = factories.count_statements(lambda: (
            schedule.current_campaign(), schedule.campaign(older.id), schedule.campaigns(),
            [c.window(Stage.APPLY) for c in schedule.campaigns()]))
        assert read == 1
        assert schedule.campaigns() == [latest, older] and schedule.current_campaign() == latest
        assert schedule.campaign(older.id) == older and schedule.campaign(10**6) is None
