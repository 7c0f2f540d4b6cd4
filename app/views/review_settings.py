"""推荐名额 (quota per unit level, set by the city office per campaign) and 提交情况 (who submitted, when, how many)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import DataRequired

from app import scoping
from app.datamodel import PortalInterface
from app.models import RecommendationQuota, UnitSubmission
from app.views.base import PortalModelView


class RecommendationQuotaView(PortalModelView):
    route_base = "/quotas"
    datamodel = PortalInterface(RecommendationQuota)
    class_permission_name = "RecommendationQuota"
    include_route_methods = {"list", "show", "add", "edit", "delete"}
    list_title = _l("推荐名额")
    add_title = _l("设定推荐名额")
    edit_title = _l("修改推荐名额")
    label_columns = {"campaign": _l("评选批次"), "level": _l("单位级别"), "level_label": _l("单位级别"),
                     "max_recommended": _l("每个单位最多推荐人数")}
    list_columns = ["campaign", "level_label", "max_recommended"]
    add_columns = ["campaign", "level", "max_recommended"]
    edit_columns = ["max_recommended"]
    add_form_extra_fields = {
        "level": SelectField(_l("单位级别"), coerce=int, choices=[(2, _l("二级单位")), (1, _l("一级单位"))],
                             validators=[DataRequired()]),
    }
    description_columns = {"max_recommended": _l("不设定则不限；例如 1 表示每个单位至多推荐 1 人")}

    def pre_add(self, item):
        if item.max_recommended is None or item.max_recommended < 0:
            raise ValueError(_("人数不能为负数"))


class UnitSubmissionView(PortalModelView):
    route_base = "/submissions"
    datamodel = PortalInterface(UnitSubmission)
    class_permission_name = "UnitSubmission"
    include_route_methods = {"list", "show"}
    list_title = _l("提交情况")
    base_filters = [["id", scoping.SubmissionScopeFilter, None]]
    base_order = ("at", "desc")
    label_columns = {"campaign": _l("评选批次"), "unit": _l("单位"), "level": _l("级别"), "at": _l("提交时间"),
                     "actor_name": _l("提交人"), "recommended": _l("推荐人数"), "not_recommended": _l("不推荐人数")}
    list_columns = ["campaign", "unit", "at", "actor_name", "recommended", "not_recommended"]
    search_columns = ["campaign", "unit", "level"]
    search_form_query_rel_fields = {"unit": scoping.scoped_choices(scoping.UnitScopeFilter)}
