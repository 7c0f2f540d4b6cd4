"""What every portal REST API shares: read/write permissions and refusals answered with a status and a message."""
from functools import wraps

from flask import request
from flask_appbuilder.api import BaseApi, ModelRestApi, expose, protect, safe
from flask_appbuilder.const import API_ADD_COLUMNS_RIS_KEY, API_EDIT_COLUMNS_RIS_KEY
from werkzeug.exceptions import RequestEntityTooLarge

from app import request_limits
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


class PortalBaseApi(BaseApi):
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


class PortalRestApi(ModelRestApi):
    method_permission_name = READ_WRITE
    allow_browser_login = True

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
        return self._answer_refusal(super().post_headless)

    def put_headless(self, pk):
        return self._answer_refusal(super().put_headless, pk)

    def delete_headless(self, pk):
        return self._answer_refusal(super().delete_headless, pk)

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
