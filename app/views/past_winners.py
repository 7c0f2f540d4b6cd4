"""历届学习之星: the register the online application checks so that a past winner cannot apply again."""
from flask import flash, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.forms import DynamicForm
from app.datamodel import PortalInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired

from app import masking, past_winners
from app.extensions import db
from app.models import PastWinner
from app.views.base import PortalModelView, xlsx_download


class PastWinnerImportForm(DynamicForm):
    sheet = FileField(
        _l("Excel 文件（.xlsx）"),
        validators=[FileRequired(_l("请选择要上传的 Excel 文件")), FileAllowed(["xlsx"], _l("请上传 .xlsx 格式的 Excel 文件"))],
    )


class PastWinnerView(PortalModelView):
    route_base = "/past-winners"
    datamodel = PortalInterface(PastWinner)
    class_permission_name = "PastWinner"
    method_permission_name = {**PortalModelView.method_permission_name, "import_sheet": "write", "template": "read"}
    include_route_methods = {"list", "show", "delete", "import_sheet", "template"}
    list_title = _l("历届首都市民学习之星")
    list_template = "past_winners/list.html"
    base_order = ("id", "desc")
    label_columns = {"name": _l("姓名"), "id_number": _l("身份证号"), "batch": _l("批次"), "year": _l("年度")}
    list_columns = ["name", "id_number", "batch", "year"]
    search_columns = ["name", "id_number", "batch", "year"]  # a full number is still found: only the shown value is masked
    formatters_columns = {"id_number": masking.mask_id_number}

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_sheet(self):
        form = PastWinnerImportForm()
        errors = []
        if form.validate_on_submit():
            added, errors = past_winners.import_sheet(form.sheet.data.stream)
            if not errors:
                db.session.commit()
                flash(_("已导入 %(n)s 人", n=added), "success")
                return redirect(url_for(".list"))
            db.session.rollback()
        return self.render_template("past_winners/import.html", form=form, errors=errors, columns=past_winners.COLUMNS)

    @expose("/import/template.xlsx")
    @has_access
    def template(self):
        return xlsx_download(past_winners.template_bytes(), _("历届首都市民学习之星导入模板.xlsx"))
