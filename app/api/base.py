"""What every portal REST API shares: read/write permissions and refusals answered with a status and a message."""
from flask_appbuilder.api import ModelRestApi

from app.datamodel import Conflict
from app.extensions import db

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
