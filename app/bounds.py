"""What a request may carry before the database sees it: an id in a URL above what a BIGINT holds (or negative, or
not a number at all) is a missing row (404), not a database error — the `int` URL converter and the `<pk>` of FAB's
routes both go through `row_id`; text the database cannot store (NUL, unpaired surrogates from JSON's \\ud800) is
refused with 400 wherever it comes (query, form, JSON, path); list filters (FAB's `?q=` rison, `_flt_…`) take one
plain value, a bounded number on number columns and relations."""
import re

from flask import abort, request
from flask_appbuilder.models.filters import Filters
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# The largest value of PostgreSQL's BIGINT (and SQLite's INTEGER): anything above can name no row.
MAX_ID = 2**63 - 1


def row_id(value) -> int | None:
    """value as an id a row may have (0 … MAX_ID), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 <= number <= MAX_ID else None


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` that matches only what row_id accepts; a larger number does not match the route (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app) -> None:
    """Before any view is added (a rule binds its converter when it is added). FAB's own routes take `<pk>` as a
    string: one that is no id is answered 404 before the view runs."""
    app.url_map.converters["int"] = BoundedIntegerConverter

    @app.url_value_preprocessor
    def bounded_pk(endpoint, values):
        if values and "pk" in values and isinstance(values["pk"], str) and row_id(values["pk"]) is None:
            abort(404)

    @app.before_request
    def storable_text():
        texts = [*request.args.values(), *(request.view_args or {}).values()]
        if request.method in ("POST", "PUT", "PATCH"):
            texts += request.form.values()
            if request.is_json:
                texts.append(request.get_json(silent=True))
        if any(not storable(text) for text in texts):
            raise Refusal(_("提交的内容含有无法保存的字符（如空字符或不成对的代理字符），请删除后重试。"))


class Refusal(BadRequest):
    """400 whose str() is its Chinese message alone: FAB's REST endpoints answer a BadRequest with str(error)."""

    def __str__(self):
        return str(self.description)


def storable(value) -> bool:
    """No NUL and no unpaired surrogate anywhere in value (a string, or JSON's lists and objects)."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(v) for v in value)
    return True


class CheckedFilters(Filters):
    """FAB's filters, refusing (400) what the database would fail on: a list or object where one value is
    expected, a number too large, or anything but a whole number on a number column or a relation."""

    def apply_all(self, query):
        for flt, values in zip(self.filters, self.values):
            many = isinstance(values, list) and flt.arg_name in {"in", "not_in"}
            if isinstance(values, list) and not many and len(values) == 1:
                values = values[0]  # FAB's `_flt_` of one value arrives as a list of one
            for value in values if many else [values]:
                if not self._plain(flt, value):
                    raise Refusal(_("筛选条件“%(column)s”的值无效：请填写一个%(kind)s。", column=flt.column_name,
                                    kind=_("整数") if self._numeric(flt) else _("值")))
        return super().apply_all(query)

    def get_joined_filters(self, filters) -> "CheckedFilters":
        joined = super().get_joined_filters(filters)
        joined.__class__ = CheckedFilters
        return joined

    def copy(self) -> "CheckedFilters":
        copied = super().copy()
        copied.__class__ = CheckedFilters
        return copied

    def _numeric(self, flt) -> bool:
        return flt.datamodel.is_integer(flt.column_name) or flt.datamodel.is_relation(flt.column_name)

    def _plain(self, flt, value) -> bool:
        datamodel, column = flt.datamodel, flt.column_name
        if value is None:
            return True
        if isinstance(value, (list, dict)):
            return False
        if datamodel.is_relation(column):
            return row_id(value) is not None  # a related row's id, looked up as it is
        if datamodel.is_integer(column):
            if isinstance(value, bool) or isinstance(value, float):
                return False
            if isinstance(value, str) and not _WHOLE_NUMBER.fullmatch(value.strip()):
                return True  # FAB reads it as no number: no match
            return -MAX_ID <= int(value) <= MAX_ID
        if datamodel.is_string(column) or datamodel.is_text(column):
            return isinstance(value, str)
        return isinstance(value, (str, bool)) or (isinstance(value, (int, float)) and abs(value) <= MAX_ID)


_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}")
