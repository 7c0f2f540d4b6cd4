"""The one clock of the application: Beijing wall-clock time, replaceable in tests.

Every campaign date is Beijing time (Asia/Shanghai, no daylight saving) and is stored naive, so the same
value reads the same on SQLite and PostgreSQL and in the city office's forms.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def now() -> datetime:
    """Current Beijing time, to the second."""
    if _frozen is not None:
        return _frozen
    return datetime.now(BEIJING).replace(tzinfo=None, microsecond=0)


def freeze(moment: datetime | None) -> None:
    """Pin the clock (tests, demos); None lets it run again."""
    global _frozen
    _frozen = moment.replace(microsecond=0) if moment is not None else None


def beijing(moment: datetime) -> datetime:
    """moment as the naive Beijing time it is stored as: one with an offset (2027-04-30T15:59:59Z) is converted,
    never has its offset dropped; a naive one is taken as Beijing time already."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment
    return moment.astimezone(BEIJING).replace(tzinfo=None)
