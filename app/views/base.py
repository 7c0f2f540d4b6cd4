"""What every portal ModelView shares: read/write permissions, and re-checked scope for FAB's actions."""
import re
from datetime import date, datetime
from urllib.parse import quote, urlsplit

from flask import Response, abort, redirect, request, session, url_for
from flask_appbuilder import ModelView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeField, IntegerField
from wtforms.validators import NumberRange
from wtforms.fields.core import UnboundField

from app.display import format_time
from app.views.fields import BeijingDateTimeField
from app.views.list_widget import PortalListWidget

# FAB's per-method permissions folded into two, so roles.yaml reads "Unit: [can_read, can_write]".
READ_WRITE = {
    "list": "read",
    "show": "read",
    "download": "read",
    "api_read": "read",
    "api_get": "read",
    "api_column_add": "write",
    "api_column_edit": "write",
    "api_readvalues": "read",
    "add": "write",
    "edit": "write",
    "delete": "write",
    "api_create": "write",
    "api_update": "write",
    "api_delete": "write",
    "api": "read",
}


def xlsx_download(data: bytes, filename: str) -> Response:
    """An .xlsx attachment under a Chinese file name (RFC 5987), with an ASCII fallback for old clients."""
    from app.exports import XLSX_MIMETYPE

    response = Response(data, mimetype=XLSX_MIMETYPE)
    response.headers.set("Content-Disposition", "attachment", filename="download.xlsx",
                         **{"filename*": "UTF-8''" + quote(filename)})
    return response


class StrictActions:
    """FAB answers an unknown action name with a 500 and a refused one with a redirect: make them 404 and 403."""

    def _check_action(self, name):
        if name not in self.actions:
            abort(404)
        if not self.appbuilder.sm.has_access(self.get_action_permission_name(name), self.class_permission_name):
            abort(403)

    # POST only: FAB also accepts GET here, refusing it with a redirect whenever CSRF protection is on (always).
    @expose("/action/<string:name>/<pk>", methods=["POST"])
    def action(self, name, pk):
        self._check_action(name)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        self._check_action(request.form.get("action", ""))
        return super().action_post()


def display_value(value):
    """How a column value reads on list and show pages: FAB prints the Python value (None, True, False,
    2026-04-27 15:59:59.123456)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, (date, datetime)):
        return format_time(value)
    return value


_PAGE_NUMBER = re.compile(r"-?[0-9]{1,9}")


class CheckedListArgs:
    """A list's address arguments as FAB reads them, checked first: FAB fails with a 500 on ?_flt_<n>_<column>= with
    n past the column's operators, on a page_ or psize_ that is no number, and on sorting (_oc_) by a column that
    is not sortable — and sorts by any column at all that is not listed (the password's hash). An old bookmark or a
    hand-made address gets the 400 page instead."""

    def _list(self, **kwargs):
        operators = self._filters.get_search_filters()
        for arg, value in request.args.items():
            found = re.match(r"_flt_(\d)_(.*)", arg)
            if found and found.group(2) in operators and int(found.group(1)) >= len(operators[found.group(2)]):
                abort(400)
            if arg.startswith(("page_", "psize_")) and not _PAGE_NUMBER.fullmatch(value):
                abort(400)
            if arg == f"_oc_{self.__class__.__name__}" and value not in self.order_columns:
                abort(400)
        return super()._list(**kwargs)


class ChineseDisplay:
    """No English from FAB's rendering of values: empty for None, 是/否 for booleans, 请选择 for no choice;
    date-times typed or picked in Chinese to the second (app/views/fields.py) instead of FAB's English date picker."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        shown = dict.fromkeys([*self.list_columns, *self.show_columns], display_value)
        self.formatters_columns = {**shown, **self.formatters_columns}

    def _init_forms(self):
        self.validators_columns = _FreshLists(self.validators_columns)
        super()._init_forms()
        # WTForms labels the blank option of an optional relation with its value, "__None".
        for form in (self.add_form, self.edit_form, self.search_form):
            for field in vars(form).values():
                if isinstance(field, UnboundField) and field.kwargs.get("allow_blank"):
                    field.kwargs.setdefault("blank_text", _l("请选择"))
        for form in (self.add_form, self.edit_form, self.search_form):
            for name, field in list(vars(form).items()):
                if isinstance(field, UnboundField) and issubclass(field.field_class, DateTimeField):
                    setattr(form, name, BeijingDateTimeField(*field.args, **field.kwargs))
        # A number larger than the column holds is the field's error, not the database's.
        for form in (self.add_form, self.edit_form):
            for field in vars(form).values():
                if isinstance(field, UnboundField) and issubclass(field.field_class, IntegerField):
                    field.kwargs["validators"] = [*field.kwargs.get("validators", []), _within_integer]


_INTEGER_RANGE = NumberRange(min=-(2**31), max=2**31 - 1, message=_l("数值超出范围"))


def _within_integer(form, field):
    """A number the column holds; nothing to say of a value that is no number at all (the field says so already:
    NumberRange added 「数值超出范围」 to 「不是有效的整数」)."""
    if field.data is not None:
        _INTEGER_RANGE(form, field)


class _FreshLists(dict):
    """A view's validators_columns as FAB's form builder gets them: a copy of a column's list each time. FAB appends
    its own validators (Length, InputRequired) to the list it is given, so the add form's and the edit form's both
    ended up in the one list, and every length error of a form showed two or three times."""

    def get(self, key, default=None):
        value = super().get(key, default)
        return list(value) if isinstance(value, list) else value


class ReturnsToList:
    """After saving, back to the list the user came from (its filters and page kept). FAB goes back through the
    session's short page history instead, which is the home page when the form was the first page seen (opened from
    a link or after signing in) and any other page the user passed on the way."""

    def _list_url(self):
        list_path = url_for(f"{self.__class__.__name__}.list")
        for url in reversed(session.get("page_history", [])):
            parts = urlsplit(url)
            if parts.path == list_path:
                return list_path + (f"?{parts.query}" if parts.query else "")  # this site's path, never a host
        return list_path

    def post_add_redirect(self):
        return redirect(self._list_url())

    def post_edit_redirect(self):
        return redirect(self._list_url())


class PortalModelView(CheckedListArgs, ChineseDisplay, StrictActions, ModelView):
    list_widget = PortalListWidget
    method_permission_name = READ_WRITE
    # FAB's legacy JSON endpoints (/api/read, /api/create...) bypass our forms: not registered at all.
    include_route_methods = {"list", "show", "add", "edit", "delete", "action", "action_post"}
    list_widget_args = {}
    page_size = 25

    def update_redirect(self):
        """FAB's page history (for 后退 and the return after a form), written only when this page is not already its
        last entry: FAB assigns it to the session on every list and show page, which signs and sends the session
        cookie again with each answer, a reload or a refreshed list included."""
        history = session.get("page_history")
        if history and history[-1] == request.url:
            return
        super().update_redirect()

    def in_scope(self, items):
        """FAB fetches action rows without base filters: fetch them again through them, or refuse."""
        single = not isinstance(items, list)
        items = [items] if single else items
        scoped = []
        for item in items:
            if item is None:
                abort(404)
            pk = self.datamodel.get_pk_value(item)
            again = self.datamodel.get(pk, self._base_filters)
            if again is None:
                abort(404)
            scoped.append(again)
        return scoped[0] if single else scoped
