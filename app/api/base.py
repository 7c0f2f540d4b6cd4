"""What every portal REST API shares: read/write permissions and refusals answered with a status and a message."""
from functools import wraps

import re

from flask import request
from flask_appbuilder.api import BaseApi, ModelRestApi, expose, protect, safe
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.const import API_ADD_COLUMNS_RIS_KEY, API_EDIT_COLUMNS_RIS_KEY
from flask_babel import gettext as _
from marshmallow import ValidationError, fields
from marshmallow_sqlalchemy.fields import Related
from sqlalchemy import BigInteger, Integer
from werkzeug.exceptions import RequestEntityTooLarge

from app import clock, request_limits
from app.bounds import MAX_ID, Refusal, row_id
from app.datamodel import Conflict
from app.experts import ExpertError, field_errors
from app.extensions import db
from app.workflow import WorkflowError

READ_WRITE = {
    "get": "read",
    "get_list": "read",
    "info": "read",
    "post": "write",
    "put": "write",
    "delete": "write",
}


class Refused(Exception):
    """A domain refusal inside pre_add/pre_update/pre_delete; answered with `status` and the Chinese message."""

    def __init__(self, message, status: int = 422):
        super().__init__(str(message))
        self.status = status


def json_object(message, missing_ok: bool = False) -> dict:
    """The request's JSON object; anything else is Refused(message, 400). With `missing_ok`, no body is {}."""
    body = request.get_json(silent=True)
    if missing_ok and not body:
        return {}
    if not isinstance(body, dict):
        raise Refused(message, 400)
    return body


def refusal_body(refused: Exception) -> dict:
    """{message, errors by field} of a domain refusal (errors only where the refusal names fields)."""
    if isinstance(refused, ExpertError):
        return {"message": str(refused), "errors": field_errors(refused)}
    if isinstance(refused, WorkflowError):
        return {"message": str(refused), "errors": refused.errors}
    return {"message": str(refused)}


def answers_refusals(endpoint):
    """For a hand-written endpoint: a Refused, WorkflowError or ExpertError raised inside rolls the session back and
    is answered with its status and refusal_body()."""

    @wraps(endpoint)
    def answered(self, *args, **kwargs):
        try:
            return endpoint(self, *args, **kwargs)
        except (Refused, WorkflowError, ExpertError) as refused:
            db.session.rollback()
            return self.response(refused.status, **refusal_body(refused))
        except RequestEntityTooLarge:  # a chunked upload past its limit, found while streaming (else @safe's 500)
            db.session.rollback()
            return self.response(413, message=request_limits.refusal())

    return answered


class ChineseAnswers:
    """FAB's own answers in the portal's words, as every other refusal of its APIs: its 401 "Not authorized", 403
    "Forbidden", 404 "Not found" and the 500 its @safe gives any uncaught error ("Fatal error"; the traceback itself
    only where FAB_API_SHOW_STACKTRACE asks for it)."""

    def response_401(self):
        return self.response(401, message=_("请先登录：请求须带有效的令牌（Authorization: Bearer …）"))

    def response_403(self):
        return self.response(403, message=_("您的账号没有权限访问该页面或该记录。"))

    def response_404(self):
        return self.response(404, message=_("找不到该页面或记录，或者您无权查看它。"))

    def response_500(self, message=None):
        if message is None or message in ("Fatal error", "Internal error"):
            message = _("处理您的请求时出错，已记录下来，请稍后重试；如仍有问题，请联系市学习办。")
        return self.response(500, message=message)


class PortalBaseApi(ChineseAnswers, BaseApi):
    """A hand-written REST API of the portal: a Bearer token or the browser's sign-in."""

    allow_browser_login = True


class ListAndGetApi(PortalBaseApi):
    """GET / answers {count, result: [row]} and GET /<pk> {result: row} or 404; a subclass says which rows the
    signed-in user may see (`_found`, `_one`) and how one is shown (`_json`)."""

    def _found(self) -> list:
        raise NotImplementedError

    def _one(self, pk):
        raise NotImplementedError

    def _json(self, row) -> dict:
        raise NotImplementedError

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """Every row the signed-in user may see.
        ---
        get:
          responses:
            200: {description: "count, result: the rows"}
        """
        found = self._found()
        return self.response(200, count=len(found), result=[self._json(row) for row in found])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One row.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: "result: the row"}
            404: {description: no such row in scope}
        """
        row = self._one(pk)
        if row is None:
            return self.response_404()
        return self.response(200, result=self._json(row))


# The largest number a column holds (PostgreSQL's INTEGER, BIGINT): a larger one is the client's error, not the database's.
_INTEGER_LIMITS = {Integer: 2**31 - 1, BigInteger: 2**63 - 1}


def _within(limit):
    def check(value):
        if not -limit - 1 <= value <= limit:
            raise ValidationError(_("数值超出范围"))
    return check


class BeijingDateTime(fields.DateTime):
    """A moment with an offset (…Z, …+00:00) is converted to the Beijing time it is stored as (app/clock.py)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return clock.beijing(super()._deserialize(value, attr, data, **kwargs))
        except OverflowError:  # 0001-01-01T00:00:00+05:00 is before the first day Python can write in Beijing time
            raise ValidationError(_("时间超出范围")) from None


class BoundedRelated(Related):
    """A relation given by id: anything but an id a row may have names no row (the database would fail on it)."""

    def _deserialize(self, value, *args, **kwargs):
        keys = {column.key for column in self.related_keys}
        if isinstance(value, dict) and set(value) != keys:
            raise ValidationError(_("关联的记录不存在"))
        ids = value.values() if isinstance(value, dict) else [value]
        if any(row_id(one) is None for one in ids):
            raise ValidationError(_("关联的记录不存在"))
        return super()._deserialize(value, *args, **kwargs)


class PortalSchemaConverter(Model2SchemaConverter):
    """FAB's marshmallow schemas with numbers bounded by their column and moments converted to Beijing time."""

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        field = super()._column2field(datamodel, column, nested=nested, parent_schema_name=parent_schema_name)
        sql_column = datamodel.list_columns.get(column.name)
        sql_type = getattr(sql_column, "type", None)
        if isinstance(field, fields.DateTime) and not isinstance(field, BeijingDateTime):
            converted = BeijingDateTime(required=field.required, allow_none=field.allow_none,
                                        validate=field.validators, dump_only=field.dump_only, load_only=field.load_only)
            converted.unique = getattr(field, "unique", False)
            field = converted
        if type(field) is Related:
            field.__class__ = BoundedRelated
        for sql_class, limit in _INTEGER_LIMITS.items():
            if type(sql_type) is sql_class and isinstance(field, fields.Integer):
                field.validators.append(_within(limit))
        return field


# marshmallow's English messages, as the portal's API answers them (any other: the generic one).
_FIELD_MESSAGES = (
    (re.compile(r"^Missing data for required field\.$"), lambda m: _("必填")),
    (re.compile(r"^Field may not be null\.$"), lambda m: _("不能为空")),
    (re.compile(r"^Not a valid integer\.$"), lambda m: _("须为整数")),
    (re.compile(r"^Not a valid number\.$"), lambda m: _("须为数字")),
    (re.compile(r"^Not a valid (string|text)\.$"), lambda m: _("须为文字")),
    (re.compile(r"^Not a valid boolean\.$"), lambda m: _("须为 true 或 false")),
    (re.compile(r"^Not a valid (datetime|date)\.$"), lambda m: _("须为日期时间，例如 2027-04-27T23:59:59")),
    (re.compile(r"^Not a valid (mapping type|list)\.$"), lambda m: _("格式不对")),
    (re.compile(r"^Number too large\.$"), lambda m: _("数值超出范围")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: _("不能超过 %(max)s 个字", max=m.group(1))),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: _("不能少于 %(min)s 个字", min=m.group(1))),
    (re.compile(r"^Must be one of: .*\.$"), lambda m: _("不是可选的值")),
    (re.compile(r"^Unknown field\.$"), lambda m: _("不接受该字段")),
    (re.compile(r"^Invalid input type\.$"), lambda m: _("请求内容须为 JSON 对象")),
    (re.compile(r"^Related object doesn't exist in DB$"), lambda m: _("关联的记录不存在")),
)


def chinese_messages(messages):
    """marshmallow's {field: [message]} (nested) with each English message in Chinese; Chinese ones kept."""
    if isinstance(messages, dict):
        return {key: chinese_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [chinese_messages(value) for value in messages]
    text = str(messages)
    if not text.isascii():
        return text
    for pattern, message in _FIELD_MESSAGES:
        match = pattern.match(text)
        if match:
            return message(match)
    return _("该项的值无效")


class PortalRestApi(ChineseAnswers, ModelRestApi):
    method_permission_name = READ_WRITE
    allow_browser_login = True
    model2schemaconverter = PortalSchemaConverter

    def _handle_page_args(self, rison_args):
        page, page_size = super()._handle_page_args(rison_args)
        # A negative page is a negative OFFSET, which the database refuses.
        for value in (page, page_size):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID):
                raise Refusal(_("页码和每页条数须为不小于 0 的整数"))
        return page, page_size

    def response_422(self, message=None):
        return super().response_422(message=chinese_messages(message) if message is not None else None)

    def response_400(self, message=None):
        # FAB's own 400s are English ("Request is not JSON", "Not a valid rison/json argument", werkzeug's text).
        if message == "Request is not JSON":
            message = _("请求内容须为 JSON（Content-Type: application/json）")
        elif isinstance(message, (dict, list)):
            message = chinese_messages(message)
        elif message is not None and str(message).isascii():
            message = _("请求有误：提交的内容无法处理，请检查参数。")
        return super().response_400(message=message)

    def _answer_refusal(self, call, *args):
        try:
            # No autoflush: the checks in pre_* query the database while the item already carries the new values.
            with db.session.no_autoflush:
                return call(*args)
        except Refused as refused:
            db.session.rollback()
            return self.response(refused.status, message=str(refused))
        except Conflict as conflict:
            return self.response(409, message=str(conflict))

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        # FAB translates a missing description as gettext(""), which is the catalog's header ("Project-Id-Version…").
        if not self.description_columns.get(field.name):
            info["description"] = ""
        return info

    def post_headless(self):
        if request.is_json and not isinstance(request.get_json(silent=True), dict):
            return self.response_400(message=_("请求内容须为 JSON 对象，例如 {\"name\": \"…\"}"))
        return self._answer_refusal(super().post_headless)

    def put_headless(self, pk):
        if request.is_json and not isinstance(request.get_json(silent=True), dict):
            return self.response_400(message=_("请求内容须为 JSON 对象，例如 {\"name\": \"…\"}"))
        return self._answer_refusal(super().put_headless, pk)

    def delete_headless(self, pk):
        answer = self._answer_refusal(super().delete_headless, pk)
        if answer.status_code == 200:  # FAB's {"message": "OK"}
            return self.response(200, message=_("已删除"))
        return answer

    def _offers(self, method: str) -> bool:
        return self.include_route_methods is None or method in self.include_route_methods

    def set_response_key_mappings(self, response, func, rison_args, **kwargs):
        """FAB's _info describes add_columns and edit_columns, with every choice of a relation, even for an API that
        takes no POST or PUT and so declares no scoped choices: describe only what this API accepts."""
        if getattr(func, "__name__", "") == "info":
            skip = {key for method, key in (("post", API_ADD_COLUMNS_RIS_KEY), ("put", API_EDIT_COLUMNS_RIS_KEY))
                    if not self._offers(method)}
            keys = [k for k in (rison_args.get("keys") or func._response_key_func_mappings) if k not in skip]
            rison_args = {**rison_args, "keys": keys or ["-"]}
        return super().set_response_key_mappings(response, func, rison_args, **kwargs)
