"""/api/v1/unit/: units, scoped like 一级单位/二级单位 screens."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import labels, scoping, units
from app.api.base import PortalRestApi, Refused
from app.models import Unit, UnitCategory
from app.datamodel import PortalInterface


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
    add_query_rel_fields = {"parent": [["id", scoping.ManageableParentFilter, None]]}

    def pre_add(self, item):
        try:
            if item.parent is not None:
                if not scoping.can_see_unit(current_user, item.parent) and not scoping.is_city_office(current_user):
                    raise Refused(_("只能在本单位下创建二级单位"), status=403)
                units.prepare_second_level(current_user, item)
                return
            if not scoping.is_city_office(current_user):
                raise Refused(_("一级单位由市学习办创建"), status=403)
            if item.category not in {c.value for c in UnitCategory}:
                raise Refused(_("类别须为：%(c)s", c="、".join(c.value for c in UnitCategory)))
            item.name = units.check_name(item.name, None)
            item.level = 1
            item.sync_parent_level()
        except units.UnitError as bad:
            raise Refused(bad, status=403 if isinstance(bad, units.OutsideWindow) else 422) from bad

    def pre_update(self, item):
        if not scoping.can_manage_unit(current_user, item):
            raise Refused(_("只能修改本单位的二级单位"), status=403)
        try:
            if item.level == 2:
                units.require_account_window(current_user)
            item.name = units.check_name(item.name, item.parent, exclude_id=item.id)
        except units.UnitError as bad:
            raise Refused(bad, status=403 if isinstance(bad, units.OutsideWindow) else 422) from bad

    def pre_delete(self, item):
        if not scoping.can_manage_unit(current_user, item):
            raise Refused(_("只能删除本单位的二级单位"), status=403)
        if item.accounts or item.children:
            raise Refused(_("该单位已有账号或二级单位，不能删除"))
