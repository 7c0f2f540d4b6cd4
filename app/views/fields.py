"""Form fields the portal's forms share: a date-time typed as 2027-01-06 23:59:59 or picked from a Chinese calendar
(and, with `picker(..., date_only=True)`, a day such as 审核确定's decision date); and a select searched on demand
(`search_select`: a list's unit filter, a conflict's applicant), for choices too many to put on a page.

FAB renders DateTime columns with bootstrap-datepicker, which is English, picks days without a time and overwrites
what was typed on Tab, Esc or Enter. Every DateTime column in a portal form gets this field instead (see
`app.views.base.ChineseDisplay`): a plain text box, so typing and pasting always work, plus a calendar button that
opens flatpickr (app/static/js/datetime-field.js, app/static/vendor/flatpickr/) and writes the same text. Values are Beijing wall-clock time, stored naive to the
second, like every campaign date (app/clock.py).
"""
import json
import re
from datetime import datetime

from flask_babel import get_locale, gettext as _
from markupsafe import Markup
from wtforms import Field
from wtforms.widgets import html_params

FORMAT = "%Y-%m-%d %H:%M:%S"
EXAMPLE = "2027-01-06 23:59:59"
DATE_EXAMPLE = "2018-07-20"

# What people type besides the canonical form: full-width digits and punctuation from a Chinese input method,
# slashes or dots between date parts, "T" as datetime-local and ISO write it.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９：－／．　", "0123456789:-/. ")
_DATE_SEPARATORS = re.compile(r"(?<=\d)[/.](?=\d)")
_CANONICAL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T]+(\d{1,2}):(\d{1,2}):(\d{1,2})$")


def parse(text: str) -> datetime | None:
    """The moment in text, or None when it is not a full date and time to the second."""
    text = _DATE_SEPARATORS.sub("-", text.translate(_FULL_WIDTH).strip())
    match = _CANONICAL.match(" ".join(text.split()))
    if match is None:
        return None
    try:
        return datetime(*(int(part) for part in match.groups()))
    except ValueError:  # 2027-02-30, 24:00:00 ...
        return None


def picker_texts() -> dict:
    """The portal's words around the calendar, from the catalogs (the language the page is shown in): the labels
    flatpickr's locales lack, and the hint under a value that does not read as a moment. Month and weekday names
    are flatpickr's own locale's (zh, or its English)."""
    return {
        "open": _("选择日期和时间"),
        "previous": _("上一月"),
        "next": _("下一月"),
        "year": _("年份"),
        "month": _("月份"),
        "hour": _("时"),
        "minute": _("分"),
        "second": _("秒"),
        "invalid": _("请按“年-月-日 时:分:秒”填写，例如 %(example)s", example=EXAMPLE),
    }


def picker_locale() -> str:
    """The calendar's locale: flatpickr's English on an English page, its zh locale otherwise."""
    return "en" if str(get_locale() or "").startswith("en") else "zh"


class DateTimePickerWidget:
    """A text box with the value as 2027-01-06 23:59:59 and a button that opens the calendar."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        kwargs["name"] = kwargs.pop("name_", None) or kwargs.get("name") or field.name  # FAB's search form: name_
        kwargs.setdefault("aria-invalid", "true" if field.errors else "false")
        return picker(field._value(), **kwargs)


def picker(text: str, date_only: bool = False, **kwargs) -> Markup:
    """The field's HTML: its text box (name, id and other attributes from kwargs) and the calendar button. With
    `date_only` a day without a time (2018-07-20): the calendar then picks a day and closes."""
    example = DATE_EXAMPLE if date_only else EXAMPLE
    label = _("选择日期") if date_only else _("选择日期和时间")
    params = html_params(
        type="text",
        value=text,
        placeholder=_("例如 %(example)s", example=example),
        autocomplete="off",
        maxlength=30,
        **{"class": "form-control", "aria-invalid": "false", **kwargs},
    )
    button = html_params(
        type="button",
        title=label,
        **{"class": "btn btn-default dt-open", "aria-label": label, "aria-haspopup": "dialog",
           "aria-expanded": "false"},
    )
    texts = picker_texts()
    if date_only:
        texts.update(open=label, invalid=_("请按“年-月-日”填写，例如 %(example)s", example=DATE_EXAMPLE))
    data = html_params(**{"data-texts": json.dumps(texts, ensure_ascii=False), "data-locale": picker_locale(),
                          "data-mode": "date" if date_only else "datetime"})
    return Markup(
        f'<div class="input-group dt-field" data-dt-field {data}>'
        f"<input {params}>"
        f'<span class="input-group-btn"><button {button}><i class="fa fa-calendar"></i></button></span>'
        "</div>"
    )


class BeijingDateTimeField(Field):
    """Beijing time to the second. A value that does not read as one keeps what was typed and says how to write it."""

    widget = DateTimePickerWidget()

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.pop("format", None)  # what FAB's DateTimeField was given: the format here is FORMAT
        kwargs.pop("widget", None)
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime(FORMAT) if self.data else ""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = " ".join(valuelist).strip()
        if not text:
            self.data = None
            return
        self.data = parse(text)
        if self.data is None:
            raise ValueError(_("请按“年-月-日 时:分:秒”填写，例如 %(example)s", example=EXAMPLE))


def search_select(field, endpoint: str, placeholder: str, chosen: list[tuple[object, str]], select=True) -> Markup:
    """A select searched on demand: app/static/js/search-select.js asks `endpoint`?q=… as the user types and offers
    what it answers ({"results": [{"id", "text"}]}); the page carries only `chosen` (the value already picked, as
    (value, text), selected unless `select` is false), never every row the search could find."""
    from markupsafe import escape

    selected = " selected" if select else ""
    options = "".join(f'<option value="{escape(value)}"{selected}>{escape(text)}</option>' for value, text in chosen)
    params = html_params(id=field.id, name=field.name, class_="search-select form-control",
                         data_endpoint=endpoint, data_placeholder=placeholder)
    return Markup(f"<select {params}><option value=\"\"></option>{options}</select>")


class UnitSearchWidget:
    """A unit filter searched on demand (search_select): the page carries only the unit(s) already filtered on, not
    every unit in scope."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def __call__(self, field, **kwargs):
        from flask import request, url_for
        from flask_babel import lazy_gettext as _l
        from flask_login import current_user

        from app import units
        from app.bounds import row_id

        pattern = re.compile(rf"^_flt_\d+_{re.escape(field.name)}$")
        wanted = [row_id(v) for key in request.args if pattern.match(key) for v in request.args.getlist(key)]
        chosen = units.search_choices(current_user, ids=[i for i in wanted if i is not None]) if wanted else []
        # Not selected here: FAB's filter bar copies this markup for each unit filter added, and sets each one's value.
        return search_select(field, url_for(self.endpoint), str(_l("输入单位名称搜索")),
                             [(unit.id, unit.full_name) for unit in chosen], select=False)
