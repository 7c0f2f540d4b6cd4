"""单位账号: clerks' accounts of first- and second-level units, with the support desk's password reset."""
from flask import flash, redirect, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from app.datamodel import PortalInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload
from wtforms import StringField, ValidationError
from wtforms.validators import StopValidation

from app import accounts, masking, scoping, signin
from app.extensions import db
from app.models import Account, Unit
from app.names import Name
from app.views.base import PortalModelView
from app.views.units import AccountWindowGate, valid_contact_phone


def valid_new_username(form, field):
    try:
        field.data = accounts.validate_username(field.data)
    except accounts.AccountError as bad:
        raise ValidationError(str(bad)) from bad


def unit_manageable(form, field):
    if field.data is None:
        # StopValidation: FAB's Optional() after this one (the column is nullable: citizens have no unit) would clear
        # a ValidationError, and the service's refusal came as a flash on another page, the form lost.
        raise StopValidation(_("请选择所属单位"))
    if not scoping.can_manage_unit(current_user, field.data):
        raise ValidationError(_("只能为本单位的二级单位创建账号"))


class UnitAccountView(AccountWindowGate, PortalModelView):
    route_base = "/accounts"
    datamodel = PortalInterface(Account, eager=(joinedload(Account.unit).joinedload(Unit.parent),),
                                searched_by_name={"unit"})
    class_permission_name = "UnitAccount"
    include_route_methods = {"list", "show", "add", "edit", "action", "action_post"}
    list_title = _l("单位账号列表")
    show_title = _l("单位账号详情")
    add_title = _l("新增单位账号")
    edit_title = _l("编辑单位账号")
    base_filters = [["id", scoping.AccountScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = {
        "username": _l("账号用户名"),
        "first_name": _l("联系人姓名"),
        "unit": _l("所属单位"),
        "phone": _l("联系电话"),
        "active": _l("启用"),
        "must_change_password": _l("待修改初始密码"),
        "last_login": _l("最近登录"),
        "roles": _l("角色"),
        "locked_until": _l("登录锁定至"),
    }
    list_columns = ["username", "first_name", "unit", "phone", "active", "must_change_password", "last_login",
                    "locked_until"]
    show_columns = ["username", "first_name", "unit", "roles", "phone", "active", "must_change_password", "last_login",
                    "locked_until"]
    # 解锁 is an edit of the account: whoever may edit it (in scope) may lift its sign-in lock.
    method_permission_name = {**PortalModelView.method_permission_name, "unlock": "write"}
    add_columns = ["unit", "username", "first_name", "phone"]
    edit_columns = ["first_name", "phone", "active"]
    search_columns = ["username", "first_name", "unit"]
    formatters_columns = {"phone": masking.mask_phone}  # the edit form keeps the full number to change it
    # The choices a form offers are the ones this user may pick (FAB's HTML views read the *_form_* names).
    add_form_query_rel_fields = {"unit": scoping.scoped_choices(scoping.ManageableUnitFilter)}
    # 所属单位 is searched by a part of its name (the rows stay scoped by base_filters), not picked from every unit.
    search_form_extra_fields = {"unit": StringField(_l("所属单位"))}
    validators_columns = {
        "username": [valid_new_username],
        "first_name": [Name(required=True)],
        "unit": [unit_manageable],
        "phone": [valid_contact_phone],
    }

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        return self._refuse_outside_window() or super().add()

    def pre_add(self, item):
        item._new_password = accounts.prepare_unit_account(self.appbuilder.sm, current_user, item)

    def post_add(self, item):
        flash(
            _(
                "账号 %(username)s 已创建，初始密码：%(password)s 。密码只显示这一次，请转交账号使用人；首次登录须修改密码。",
                username=item.username,
                password=item._new_password,
            ),
            "warning",
        )

    def pre_update(self, item):
        if not scoping.can_manage_unit(current_user, item.unit):
            raise ValueError(_("只能修改本单位二级单位的账号"))

    @action(
        "reset_password",
        _l("重置密码"),
        confirmation=_l("确定为该账号重置密码吗？新密码只显示一次。"),
        icon="fa-key",
        multiple=False,
    )
    def reset_password(self, item):
        item = self.in_scope(item)
        try:
            password = accounts.reset_password(current_user, item)
        except accounts.AccountError as refused:
            flash(str(refused), "danger")
            return redirect(url_for(".list"))
        db.session.commit()
        flash(
            _("账号 %(username)s 的密码已重置为：%(password)s 。新密码只显示这一次；下次登录须修改密码。",
              username=item.username, password=password),
            "warning",
        )
        return redirect(url_for(".show", pk=item.id))

    @action(
        "unlock",
        _l("解锁"),
        confirmation=_l("确定解除该账号的登录锁定吗？"),
        icon="fa-unlock",
        multiple=False,
    )
    def unlock(self, item):
        """The support desk's 解锁 of an account locked after too many failed sign-ins (app/signin.py), audited."""
        item = self.in_scope(item)
        if signin.unlock(item):
            db.session.commit()
            flash(_("账号 %(username)s 已解锁，可以重新登录。", username=item.username), "success")
        else:
            flash(_("账号 %(username)s 未被锁定。", username=item.username), "info")
        return redirect(url_for(".show", pk=item.id))
