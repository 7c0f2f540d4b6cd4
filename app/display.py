"""How stored times read on every page, export and print form: Beijing time, one format.

Every time the portal stores is Beijing wall-clock (app/clock.py), Flask-AppBuilder's account stamps included
(app/models/account.py makes them so); this module only formats. Templates use it as the `format_time` filter,
ModelViews through app/views/base.py's display_value, exports and print forms by calling it.
"""
from datetime import date, datetime

from app.clock import BEIJING

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # 2026-04-27 23:59:59: windows end on the second, so seconds always show
DATE_FORMAT = "%Y-%m-%d"
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"  # the same, as Excel writes it


def beijing(moment: datetime) -> datetime:
    """A naive Beijing wall-clock time; an aware one is converted first."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(BEIJING).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def format_time(moment, empty: str = "") -> str:
    """2026-04-27 23:59:59 for a time, 2026-04-27 for a date, `empty` for none."""
    if moment is None or moment == "":
        return empty
    if isinstance(moment, datetime):
        return beijing(moment).strftime(TIME_FORMAT)
    if isinstance(moment, date):
        return moment.strftime(DATE_FORMAT)
    return str(moment)
