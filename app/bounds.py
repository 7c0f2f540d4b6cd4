"""What a request may carry before the database sees it: an id in a URL above what an INTEGER column holds (or negative, or
not a number at all) is a missing row (404), not a database error — the `int` URL converter and the `<pk>` of FAB's
routes both go through `row_id`; text the database cannot store (NUL, unpaired surrogates from JSON's \\ud800) is
refused with 400 wherever it comes (query, form, JSON, path); list filters (FAB's `?q=` rison, `_flt_…`) take one
plain value, a bounded number on number columns and relations."""
from flask import abort, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# Every id column is an INTEGER, and SQLAlchemy casts a bound id to INTEGER on PostgreSQL: anything above
# 2^31-1 can name no row, and would be the database's "integer out of range" instead of "no such row".
MAX_ID = 2**31 - 1


def row_id(value) -> int | None:
    """value as an id a row may have (0 … MAX_ID), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
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
        # Only a form's own encodings are parsed here: an upload's raw body is the view's to check (and to refuse
        # before reading it when it is too large).
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            texts += request.form.values()
        if request.is_json:
            texts.append(request.get_json(silent=True))
        if request.args.get("q") and _reads_rison():
            texts.append(_rison_arguments(request.args["q"]))
        if any(not storable(text) for text in texts):
            raise Refusal(_("提交的内容含有无法保存的字符（如空字符或不成对的代理字符），请删除后重试。"))


def _reads_rison() -> bool:
    """Whether the endpoint is one of FAB's model APIs, whose `?q=` is rison; elsewhere (the public notice's
    /api/v1/public/gongshi?q=王) q is plain text."""
    from flask import current_app
    from flask_appbuilder.api import ModelRestApi

    view = current_app.view_functions.get(request.endpoint or "")
    return isinstance(getattr(view, "__self__", None), ModelRestApi)


def _rison_arguments(value: str):
    """`?q=` as FAB's REST APIs read it (rison, else JSON): refused unless it is an object."""
    import json

    import prison

    try:
        arguments = prison.loads(value)
    except RecursionError:  # "((": prison recurses without end; FAB's own parse would then fail the request with a 500
        raise Refusal(_("查询参数 q 无法解析：请检查括号是否成对，例如 (page:0,page_size:25)")) from None
    except Exception:  # noqa: BLE001  (prison raises more than its ParserException on some input)
        try:
            arguments = json.loads(value)
        except ValueError:
            return {}  # FAB answers what it cannot read with its own 400
    if not isinstance(arguments, dict):
        raise Refusal(_("查询参数 q 须为一个对象，例如 (page:0,page_size:25)"))
    return arguments


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


def check_filters(filters) -> None:
    """Refuse (400) the filter values the database would fail on: a list or object where one value is expected, a
    number too large, anything but a whole number on a number column, anything but an id on a relation."""
    if not filters:
        return
    for flt, values in zip(filters.filters, filters.values):
        many = isinstance(values, list) and flt.arg_name in {"in", "not_in"}
        if isinstance(values, list) and not many and len(values) == 1:
            values = values[0]  # FAB's `_flt_` of one value arrives as a list of one
        for value in values if many else [values]:
            if not _plain(flt, value):
                numeric = flt.datamodel.is_integer(flt.column_name) or flt.datamodel.is_relation(flt.column_name)
                raise Refusal(_("筛选条件“%(column)s”的值无效：请填写一个%(kind)s。", column=flt.column_name,
                                kind=_("整数") if numeric else _("值")))


def _plain(flt, value) -> bool:
    datamodel, column = flt.datamodel, flt.column_name
    if value is None or callable(value):
        return True  # a callable is the code's own filter (FilterInFunction of a form's choices), not user input
    if not storable(value):
        return False
    if isinstance(value, (list, dict)):
        return False
    if datamodel.is_relation(column) and not getattr(flt, "takes_text", False):
        return row_id(value) is not None  # a related row's id, looked up as it is
    if datamodel.is_integer(column):
        if isinstance(value, (bool, float)):
            return False
        try:
            number = int(value)  # as FAB reads it
        except ValueError:
            return True  # FAB reads it as no number: no match
        return -MAX_ID - 1 <= number <= MAX_ID
    if datamodel.is_string(column) or datamodel.is_text(column):
        return isinstance(value, str)
    return isinstance(value, (str, bool)) or (isinstance(value, (int, float)) and abs(value) <= MAX_ID)
