"""报名信息 for the units and the city office: submitted applications in the user's scope (never drafts)."""
from flask import abort
from flask_appbuilder import expose, has_access
from app.datamodel import PortalInterface
from flask_babel import lazy_gettext as _l

from app import scoping, workflow
from app.models import Application
from app.views.base import PortalModelView


class ApplicationView(PortalModelView):
    route_base = "/applications"
    datamodel = PortalInterface(Application)
    class_permission_name = "Application"
    include_route_methods = {"list", "show"}
    list_title = _l("报名信息列表")
    show_title = _l("报名信息")
    base_filters = [["id", scoping.ApplicationScopeFilter, None]]
    base_order = ("submitted_at", "desc")
    label_columns = {
        "name": _l("姓名"),
        "gender_label": _l("性别"),
        "unit": _l("推荐单位"),
        "work_unit": _l("工作单位"),
        "status_label": _l("状态"),
        "status": _l("状态"),
        "submitted_at": _l("提交时间"),
        "campaign": _l("评选批次"),
    }
    list_columns = ["name", "gender_label", "work_unit", "unit", "status_label", "submitted_at", "campaign"]
    search_columns = ["name", "work_unit", "unit", "status", "campaign"]

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        application = self.datamodel.get(pk, self._base_filters)
        if application is None:
            abort(404)
        return self.render_template(
            "citizen/application_detail.html", application=application, event_labels=workflow.labels()
        )
