"""/api/v1/unit/: units, scoped like 一级单位/二级单位 screens, changed through app/units.py like them."""
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import labels, scoping, units
from app.api.base import PortalRestApi, Refused
from app.models import Unit
from app.datamodel import PortalInterface


def _refused(call, item):
    try:
        call(current_user, item)
    except units.UnitError as bad:
        raise Refused(bad, status=bad.status) from bad


class UnitApi(PortalRestApi):
    resource_name = "unit"
    datamodel = PortalInterface(Unit)
    class_permission_name = "Unit"
    base_filters = [["id", scoping.UnitScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = {**labels.UNIT}
    list_title, show_title, add_title, edit_title = _l("单位列表"), _l("单位"), _l("新增单位"), _l("修改单位")
    list_columns = ["id", "name", "category", "level", "parent_id", "code", "contact_name", "contact_phone"]
    show_columns = list_columns
    add_columns = ["name", "category", "parent", "code", "contact_name", "contact_phone"]
    edit_columns = ["name", "code", "contact_name", "contact_phone"]
    search_columns = ["name", "category", "level", "parent"]
    # The parent choices offered by _info are those this user may add under; pre_add checks again.
    add_query_rel_fields = {"parent": scoping.scoped_choices(scoping.AddableParentFilter)}

    def pre_add(self, item):
        _refused(units.check_create, item)

    def pre_update(self, item):
        _refused(units.check_update, item)

    def pre_delete(self, item):
        _refused(units.check_delete, item)
