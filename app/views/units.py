"""Unit screens: 一级单位 (kept by the city office) and 二级单位 (kept by each first-level unit), with bulk import."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from sqlalchemy.orm import joinedload
from app.datamodel import PortalInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_appbuilder.forms import DynamicForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, ValidationError
from wtforms.validators import DataRequired, StopValidation

from app import import_jobs, labels, scoping, unit_import, units
from app.extensions import db
from app.models import Unit, UnitCategory
from app.names import Name
from app.phones import PhoneError, normalize_contact_phone
from app.views.base import PortalModelView, xlsx_download

class UniqueNameUnderParent:
    """WTForms validator: the unit name is free under the chosen (or edited unit's) parent."""

    def __init__(self, parent_of):
        self.parent_of = parent_of

    def __call__(self, form, field):
        try:
            field.data = units.check_name(field.data, self.parent_of(form), exclude_id=getattr(form, "_id", None))
        except units.UnitError as bad:
            # StopValidation: the name's one message (FAB's Length after this one said the length again, in its words).
            raise StopValidation(str(bad)) from bad


def valid_contact_phone(form, field):
    if isinstance(field.data, str) and not field.data.strip():
        field.data = None  # spaces only: no phone (they were stored as typed, past the check)
        return
    if field.data:
        try:
            field.data = normalize_contact_phone(field.data)
        except PhoneError as bad:
            raise StopValidation(str(bad)) from bad  # its one message, not FAB's length message after it too


def _edited_parent(form):
    pk = getattr(form, "_id", None)
    if pk is not None:
        return db.session.get(Unit, pk).parent
    parent = getattr(form, "parent", None)
    return parent.data if parent is not None else None


class ImportForm(DynamicForm):
    parent_id = SelectField(_l("所属一级单位"), coerce=int, validators=[DataRequired(_l("请选择所属一级单位"))])
    sheet = FileField(
        _l("Excel 文件（.xlsx）"),
        validators=[
            FileRequired(_l("请选择要上传的 Excel 文件")),
            FileAllowed(["xlsx"], _l("请上传 .xlsx 格式的 Excel 文件（可先下载模板）")),
        ],
    )


class AccountWindowGate:
    """Second-level units and their accounts are created only in 一级单位创建二级单位账号 (the city office any time)."""

    def _refuse_outside_window(self, pk=None):
        if pk is not None and self.datamodel.get(pk, self._base_filters) is None:
            abort(404)  # someone else's row: say nothing about windows
        try:
            units.require_account_window(current_user)
        except units.UnitError as closed:
            flash(str(closed), "danger")
            return redirect(url_for(".list"))
        return None


class FirstLevelUnitView(PortalModelView):
    route_base = "/units/first-level"
    datamodel = PortalInterface(Unit)
    class_permission_name = "FirstLevelUnit"
    list_title = _l("一级单位列表")
    show_title = _l("一级单位详情")
    add_title = _l("新增一级单位")
    edit_title = _l("编辑一级单位")
    base_filters = [["id", scoping.UnitScopeFilter, None], ["level", FilterEqual, 1]]
    base_order = ("id", "asc")
    label_columns = {**labels.UNIT}
    list_columns = ["name", "category_label", "contact_name", "contact_phone"]
    show_columns = ["name", "category_label", "code", "contact_name", "contact_phone", "children", "created_at"]
    add_columns = ["name", "category", "code", "contact_name", "contact_phone"]
    edit_columns = add_columns
    search_columns = ["name", "category", "contact_name"]
    add_form_extra_fields = edit_form_extra_fields = {
        "category": SelectField(_l("类别"), choices=UnitCategory.choices(), validators=[DataRequired()]),
    }
    validators_columns = {
        "name": [UniqueNameUnderParent(lambda form: None)],
        "contact_name": [Name()],
        "contact_phone": [valid_contact_phone],
    }

    # app/units.py decides; FAB flashes its refusal and keeps the form.
    def pre_add(self, item):
        units.check_create(current_user, item)

    def pre_update(self, item):
        units.check_update(current_user, item)

    def pre_delete(self, item):
        units.check_delete(current_user, item)


class SecondLevelUnitView(AccountWindowGate, PortalModelView):
    route_base = "/units/second-level"
    datamodel = PortalInterface(Unit, eager=(joinedload(Unit.parent),))
    class_permission_name = "SecondLevelUnit"
    method_permission_name = {
        **PortalModelView.method_permission_name,
        "import_sheet": "write",
        "import_template": "read",
    }
    include_route_methods = PortalModelView.include_route_methods | {"import_sheet", "import_template"}
    list_title = _l("二级单位列表")
    show_title = _l("二级单位详情")
    add_title = _l("新增二级单位")
    edit_title = _l("编辑二级单位")
    list_template = "units/second_level_list.html"
    base_filters = [["id", scoping.UnitScopeFilter, None], ["level", FilterEqual, 2]]
    base_order = ("id", "asc")
    label_columns = {**labels.UNIT}
    list_columns = ["name", "parent", "category_label", "contact_name", "contact_phone"]
    show_columns = ["name", "parent", "category_label", "code", "contact_name", "contact_phone", "accounts", "created_at"]
    add_columns = ["parent", "name", "code", "contact_name", "contact_phone"]
    edit_columns = ["name", "code", "contact_name", "contact_phone"]
    search_columns = ["name", "parent", "contact_name"]
    # The choices a form offers are the ones this user may pick (FAB's HTML views read the *_form_* names).
    add_form_query_rel_fields = {"parent": scoping.scoped_choices(scoping.AddableParentFilter)}
    search_form_query_rel_fields = {"parent": scoping.scoped_choices(scoping.ParentChoiceFilter)}
    validators_columns = {
        "name": [UniqueNameUnderParent(_edited_parent)],
        "contact_name": [Name()],
        "contact_phone": [valid_contact_phone],
    }

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._refuse_outside_window() or super().add()

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        return self._refuse_outside_window(pk) or super().edit(pk)

    @expose("/delete/<pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        return self._refuse_outside_window(pk) or super().delete(pk)

    def pre_add(self, item):
        units.check_create(current_user, item)

    def post_add(self, item):
        g.added_unit_id = item.id

    def post_add_redirect(self):
        # To the new unit's own page: the list opens on its first page, where a unit added last is not (the
        # rehearsal's district clerk saw 记录已添加 over 25 other streets and not the one just made).
        added = g.pop("added_unit_id", None)
        return redirect(url_for(".show", pk=added)) if added is not None else super().post_add_redirect()

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        # A first-level clerk may add under one unit only, their own: it is chosen already. Left at 请选择, the
        # save was refused as 一级单位由市学习办创建 and the form typed was gone.
        if request.method == "GET" and form.parent.data is None:
            parents = [unit for _pk, unit in form.parent._get_object_list()]
            if len(parents) == 1:
                form.parent.data = parents[0]
        return super()._get_add_widget(form, exclude_cols=exclude_cols, widgets=widgets)

    def pre_update(self, item):
        units.check_update(current_user, item)

    def pre_delete(self, item):
        units.check_delete(current_user, item)

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_sheet(self):
        parents = db.session.query(Unit).filter(scoping.addable_parent_clause(current_user)).order_by(Unit.id).all()
        form = ImportForm()
        form.parent_id.choices = [(p.id, p.name) for p in parents]
        if form.validate_on_submit():
            # Thousands of rows and accounts take a while: a background job imports (app/import_jobs.py), then
            # forwards back here with ?job= to show its result.
            job = import_jobs.start(current_user, import_jobs.UNITS, _("批量导入二级单位"), form.sheet.data.stream,
                                    {"parent_id": form.parent_id.data})
            return redirect(url_for("JobView.show", job_id=job.id))
        result, already_shown = import_jobs.shown_once(current_user, request.args.get("job", ""), import_jobs.UNITS)
        if result is not None and result.ok and result.created:
            flash(_("已导入 %(n)s 个二级单位及其账号", n=len(result.created)), "success")
        return self.render_template(
            "units/import.html", form=form, result=result, already_shown=already_shown, columns=unit_import.COLUMNS,
            title=_("批量导入二级单位")
        )

    @expose("/import/template.xlsx")
    @has_access
    def import_template(self):
        return xlsx_download(unit_import.template_bytes(), _("二级单位导入模板.xlsx"))
