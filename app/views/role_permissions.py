"""用户权限 → 角色权限: the security administrator ticks, per role, what may be done on each screen (app/permissions.py)."""
from itertools import groupby

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import permissions, roles


class RolePermissionView(BaseView):
    route_base = "/role-permissions"
    default_view = "index"
    class_permission_name = "RolePermissions"
    method_permission_name = {"index": "read", "save": "write"}

    def _page(self, role_name, ticked, errors=None, status=200):
        rows = permissions.screens()
        return self.render_template(
            "security/role_permissions.html",
            title=_l("角色权限"),
            role_names=roles.ALL_ROLES,
            role_name=role_name,
            groups=[(label, list(screens)) for label, screens in groupby(rows, lambda s: s.category_label)],
            actions=permissions.ACTIONS,
            hints=permissions.ACTION_HINTS,
            ticked=ticked,
            errors=errors or {},
        ), status

    @expose("/")
    @has_access
    def index(self):
        role_name = request.args.get("role") or roles.ALL_ROLES[0]
        try:
            role = permissions.editable_role(role_name)
        except permissions.PermissionEditError:
            abort(404)
        return self._page(role_name, permissions.ticked(role, permissions.screens()))

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):
        role_name = request.form.get("role", "")
        wanted = set(request.form.getlist("grant"))
        try:
            change = permissions.set_role_permissions(current_user, role_name, wanted)
        except permissions.NotAllowed:
            abort(403)
        except permissions.PermissionEditError as error:
            if role_name not in roles.ALL_ROLES:
                abort(404)
            flash(str(error), "danger")
            # Shown again as ticked by the user, so that nothing they changed is lost.
            return self._page(role_name, wanted, error.errors, status=400)
        if change.granted or change.withdrawn:
            flash(_("已保存“%(role)s”的权限：授予 %(granted)s 项，收回 %(withdrawn)s 项。", role=role_name,
                    granted=len(change.granted), withdrawn=len(change.withdrawn)), "success")
        else:
            flash(_("“%(role)s”的权限没有变化。", role=role_name), "info")
        return redirect(url_for(".index", role=role_name))
