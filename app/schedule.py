"""Which stage of which campaign is open: the one place that answers "过期无效" or not."""
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import clock, display, request_cache
from app.extensions import db
from app.models import Campaign, Stage, StageWindow


class StageClosed(Exception):
    """A stage-bound action was attempted outside its window. str() is the message for the user."""


def campaigns() -> list[Campaign]:
    """Every campaign with its stage windows, the most recent year's first: one statement per request for all that a
    page asks of campaigns (the current one, the 评选批次 filter's choices, the windows of last year's rows on the
    city office's list). A city runs one campaign a year, so this stays a handful of rows."""
    return request_cache.remember("campaigns", lambda: db.session.execute(_CAMPAIGNS).unique().scalars().all())


_CAMPAIGNS = select(Campaign).options(joinedload(Campaign.windows)).order_by(Campaign.year.desc(), Campaign.id.desc())


def current_campaign() -> Campaign | None:
    """The campaign being run: the most recent year's (a page asked it three times before it was kept per request),
    with its stage windows: what is asked of it next is nearly always whether a stage is open."""
    every = campaigns()
    return every[0] if every else None


def campaign(campaign_id: int) -> Campaign | None:
    """One campaign with its windows: from campaigns() within a request, else read alone."""
    if request_cache.active():
        return next((c for c in campaigns() if c.id == campaign_id), None)
    return db.session.get(Campaign, campaign_id, options=(joinedload(Campaign.windows),))


def is_open(stage: Stage | str, campaign: Campaign | None = None, at: datetime | None = None) -> bool:
    campaign = campaign or current_campaign()
    if campaign is None:
        return False
    window = campaign.window(stage)
    return window is not None and window.is_open(at or clock.now())


def require_open(stage: Stage | str, campaign: Campaign | None = None, at: datetime | None = None) -> None:
    """Raise StageClosed with a Chinese message unless the stage is open now."""
    stage = Stage(stage)
    campaign = campaign or current_campaign()
    if campaign is None:
        raise StageClosed(_("当前没有评选批次，请联系市学习办。"))
    window = campaign.window(stage)
    at = at or clock.now()
    if window is None or window.starts_at is None:
        raise StageClosed(_("「%(stage)s」阶段尚未设定时间。", stage=stage.label))
    if at < window.starts_at:
        raise StageClosed(
            _("「%(stage)s」阶段将于 %(start)s 开始，现在还不能办理。", stage=stage.label, start=format_time(window.starts_at))
        )
    if at > window.ends_at:
        raise StageClosed(
            _("「%(stage)s」阶段已于 %(end)s 截止，过期无效。", stage=stage.label, end=format_time(window.ends_at))
        )


def format_time(moment: datetime | None) -> str:
    return display.format_time(moment, empty="—")


def open_stage(campaign: Campaign, stage: Stage | str, at: datetime | None = None) -> None:
    """Shift the whole schedule so that `stage` opened an hour ago and the stages before it have closed.

    For demos and tests. Unscheduled windows (publicity, approval) first get dates after the final review.
    """
    stage = Stage(stage)
    at = at or clock.now()
    _fill_unscheduled(campaign)
    target = campaign.window(stage)
    delta = (at - timedelta(hours=1)) - target.starts_at
    for window in campaign.windows:
        window.starts_at += delta
        window.ends_at += delta


def _fill_unscheduled(campaign: Campaign) -> None:
    previous_end = None
    for window in sorted(campaign.windows, key=lambda w: w.position):
        if window.starts_at is None and previous_end is not None:
            window.starts_at = previous_end + timedelta(seconds=1)
            window.ends_at = window.starts_at + timedelta(days=10) - timedelta(seconds=1)
        if window.ends_at is not None:
            previous_end = window.ends_at


def windows_of(campaign: Campaign) -> list[StageWindow]:
    return sorted(campaign.windows, key=lambda w: w.position)


# The years a campaign may be of: the notice's schedule is laid into its year, which must be a real one near now
# (year 0 or 22079 is a typing error, and no date of it can be stored).
YEARS = range(2000, 2101)


def year_refused(year) -> str | None:
    """Why a campaign cannot be of this year, or None."""
    if isinstance(year, bool) or not isinstance(year, int) or year not in YEARS:
        return _("年度须在 %(first)s 至 %(last)s 之间", first=YEARS.start, last=YEARS.stop - 1)
    return None


def ensure_windows(campaign: Campaign) -> None:
    """Give a new campaign the notice's schedule for its year, unless it has one."""
    from app.models.campaign import default_windows

    if not campaign.windows:
        campaign.windows = default_windows(campaign.year)


def editing_closed(campaign, at: datetime | None = None) -> str | None:
    """Why a citizen can no longer save or upload anything: 在线报名 has ended (before it opens, drafts may be kept)."""
    window = campaign.window(Stage.APPLY) if campaign is not None else None
    if window is None or window.ends_at is None or (at or clock.now()).replace(microsecond=0) <= window.ends_at:
        return None
    return _("「%(stage)s」阶段已于 %(end)s 截止，过期无效：报名信息不能再保存、修改或提交。",
             stage=Stage.APPLY.label, end=format_time(window.ends_at))
