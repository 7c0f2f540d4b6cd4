"""Which stage of which campaign is open: the one place that answers "过期无效" or not."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import joinedload

from app import clock, display, request_cache
from app.extensions import db
from app.models import Campaign, Stage, StageWindow
from app.models.campaign import window_open


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


@dataclass(frozen=True)
class WindowDates:
    """A stage window's dates, read only (StageWindow's reading side)."""

    stage: str
    starts_at: datetime | None
    ends_at: datetime | None

    def is_open(self, at: datetime | None = None) -> bool:
        return window_open(self.starts_at, self.ends_at, at)


@dataclass(frozen=True)
class CampaignDates:
    """A campaign's id, name and stage windows, read only: what most pages ask of campaigns (is a stage open, when
    does it end, the 评选批次 choices), without mapped objects."""

    id: int
    name: str
    year: int
    windows: tuple[WindowDates, ...]

    def window(self, stage: Stage | str) -> WindowDates | None:
        stage = Stage(stage).value
        return next((w for w in self.windows if w.stage == stage), None)


def campaign_dates() -> tuple[CampaignDates, ...]:
    """Every campaign's dates, the most recent year's first (as campaigns()). Kept per process, keyed by their
    fingerprint: all the columns read, as one string, which the signed-in user's statement (app/security.py's
    load_user) reads with the account, so that a signed-in page asks nothing more of campaigns. The fingerprint of
    what is kept comes from the very statement that read it, so a fingerprint always stands for the same dates, and
    a window changed by any worker changes the next request's fingerprint. Without one (no signed-in user, a Bearer
    token, the CLI) the dates are read, once per request."""
    return request_cache.remember("campaign_dates", _campaign_dates)


def current_campaign_dates() -> CampaignDates | None:
    every = campaign_dates()
    return every[0] if every else None


def campaign_dates_of(campaign_id: int) -> CampaignDates | None:
    return next((c for c in campaign_dates() if c.id == campaign_id), None)


# Every campaign with its windows, one row per window, in campaigns()'s order.
_DATES = (
    select(Campaign.id, Campaign.name, Campaign.year, StageWindow.stage, StageWindow.starts_at, StageWindow.ends_at)
    .outerjoin(StageWindow, StageWindow.campaign_id == Campaign.id)
    .order_by(Campaign.year.desc(), Campaign.id.desc(), StageWindow.position, StageWindow.id)
)
_kept: dict[str, tuple[CampaignDates, ...]] = {}


def dates_fingerprint():
    """The campaigns' and windows' columns that CampaignDates holds, as one string (a scalar subquery; '' when there
    is no campaign): equal strings, equal dates."""
    rows = _DATES.subquery()
    text = literal("")
    for column in rows.c:
        text = text + func.coalesce(cast(column, String), "") + "\x1f"
    return select(func.coalesce(func.aggregate_strings(text, "\x1e"), "")).scalar_subquery()


def remember_fingerprint(fingerprint: str | None) -> None:
    """The fingerprint as read with the signed-in user (None: not read)."""
    if fingerprint is not None:
        request_cache.put("campaign_dates_fingerprint", fingerprint)


def _campaign_dates() -> tuple[CampaignDates, ...]:
    fingerprint = request_cache.remember("campaign_dates_fingerprint", lambda: None)
    if fingerprint is not None and fingerprint in _kept:
        return _kept[fingerprint]
    rows = db.session.execute(_DATES_STATEMENT).all()
    found = tuple(
        CampaignDates(*campaign, tuple(WindowDates(*row[3:6]) for row in its_rows if row[3] is not None))
        for campaign, its_rows in groupby(rows, key=lambda row: tuple(row[:3]))
    )
    if len(_kept) >= 16:  # campaigns changed many times over in this process's life: keep the recent ones only
        _kept.clear()
    _kept[rows[0][-1] if rows else ""] = found
    return found


_DATES_STATEMENT = _DATES.add_columns(dates_fingerprint())


def is_open(stage: Stage | str, campaign: Campaign | CampaignDates | None = None, at: datetime | None = None) -> bool:
    campaign = campaign or current_campaign_dates()
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


def moment_refused(moment) -> str | None:
    """Why a stage cannot start or end at this moment (a year outside YEARS: 0001 or 9999 typed, which the date
    arithmetic of the windows then fails on), or None."""
    if moment is not None and moment.year not in YEARS:
        return _("时间须在 %(first)s 年至 %(last)s 年之间", first=YEARS.start, last=YEARS.stop - 1)
    return None


MAX_QUOTA = 100_000  # places: a campaign names 100 winners; more than a campaign's applications is a typing mistake


def quotas_refused(winner_quota, featured_quota) -> dict[str, str]:
    """What is wrong with a campaign's 拟评选人数 and 重点宣传人数, by field (empty: nothing): at least one winner, and
    the featured among them. The database's check constraints say the same, but only as a refused save."""
    errors = {}
    if isinstance(winner_quota, int) and not 1 <= winner_quota <= MAX_QUOTA:
        errors["winner_quota"] = _("拟评选人数须在 1 至 %(max)s 之间", max=f"{MAX_QUOTA:,}")
    if isinstance(featured_quota, int):
        if featured_quota < 0:
            errors["featured_quota"] = _("重点宣传人数不能为负数")
        elif "winner_quota" not in errors and isinstance(winner_quota, int) and featured_quota > winner_quota:
            errors["featured_quota"] = _("重点宣传人数不能多于拟评选人数（%(n)s）", n=winner_quota)
    return errors


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
