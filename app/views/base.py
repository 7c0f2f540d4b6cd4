"""What every portal ModelView shares: read/write permissions, and re-checked scope for FAB's actions."""
from flask import abort
from flask_appbuilder import ModelView
from flask_appbuilder.models.sqla.interface import SQLAInterface

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


class PortalModelView(ModelView):
    method_permission_name = READ_WRITE
    # FAB's legacy JSON endpoints (/api/read, /api/create...) bypass our forms: not registered at all.
    include_route_methods = {"list", "show", "add", "edit", "delete", "action", "action_post"}
    list_widget_args = {}
    page_size = 25

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


def interface(model):
    return SQLAInterface(model)
