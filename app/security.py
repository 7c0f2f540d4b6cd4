"""The portal's security manager: FAB's, with unit-bound accounts, sign-in failure handling (app/signin.py) on the
sign-in form and the REST login, revocable sessions and tokens (app/sessions.py), the current password asked to change
one's own, and a forced change of generated and aged passwords."""
from functools import cached_property
from types import SimpleNamespace

from flask import Response, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_appbuilder.api import safe
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
from flask_appbuilder.security.forms import ResetPasswordForm, UserInfoEdit
from flask_appbuilder.models.sqla.filters import FilterInFunction
from flask_appbuilder.security.views import (
    AuthDBView, ResetPasswordView, RoleModelView, UserDBModelView, UserGroupModelView, UserInfoEditView,
)
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import create_access_token, create_refresh_token, get_current_user, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from flask_login import current_user, login_user
from jwt.exceptions import PyJWTError
from sqlalchemy import and_, bindparam, func, inspect, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, ValidationError

from app import accounts, captcha, duties, masking, notifications, request_cache, schedule, scoping, sessions, signin
from app.audit import audit_as
from app.datamodel import PortalInterface
from app.models import Account, AccountSession
from app.names import Name
from app.views.base import CheckedListArgs, ChineseDisplay, PortalModelView, StrictActions, display_value
from app.views.list_widget import PortalListWidget

# Endpoints a holder of a generated password may still reach before choosing their own.
_ALLOWED_BEFORE_PASSWORD_CHANGE = {
    "ResetMyPasswordView.this_form_get",
    "ResetMyPasswordView.this_form_post",
    "PortalAuthDBView.logout",
    "PortalAuthDBView.login",
    "PortalAuthDBView.captcha",
    "LocaleView.index",
    "ContactView.index",
    "static",
    "appbuilder.static",
    "favicon",
}
# Where an ended session needs no notice: signing in again, and what a page loads beside itself.
_NO_SESSION_NOTICE = {
    "PortalAuthDBView.login", "PortalAuthDBView.logout", "PortalAuthDBView.captcha", "static", "appbuilder.static", "favicon",
}


def _session_expired():
    """An ended or expired session: forget it; a page goes to the sign-in page, the API answers 401."""
    sessions.forget_cookie_session()
    message = _("会话已过期，请重新登录")
    if request.path.startswith("/api/"):
        return jsonify(message=message), 401
    flash(message, "warning")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("PortalAuthDBView.login", next=target.rstrip("?") if target else None))


def roles_grantable(form, field):
    """The 角色 field: refuse, at the field, a posted role the acting user may not grant (app/duties.py); FAB's
    "Not a valid choice" for a role outside the offered choices is replaced by the reason."""
    from flask import current_app

    from app.extensions import db

    posted = {int(value) for value in field.raw_data or [] if str(value).isdigit() and len(str(value)) < 10}
    refused = posted - set(duties.grantable_role_ids())
    if not refused:
        return
    role_model = current_app.appbuilder.sm.role_model
    names = {role.name for role in db.session.query(role_model).filter(role_model.id.in_(refused))}
    field.errors[:] = []
    try:
        duties.check_role_change(current_user, set(), names or {"?"})
    except duties.GrantRefused as reason:
        raise ValidationError(str(reason)) from reason


class GrantedRolesOnly:
    """用户列表 and 账号授权: the 角色 choices are the roles the acting user may grant, the POST is checked against
    them (field and model), and roles the user may not grant that an account already holds stay untouched."""

    _role_choices = {"roles": [["id", FilterInFunction, duties.grantable_role_ids]]}
    add_form_query_rel_fields = _role_choices
    edit_form_query_rel_fields = _role_choices
    validators_columns = {"roles": [roles_grantable]}
    base_filters = [["id", scoping.StaffAccountFilter, None]]

    @staticmethod
    def _check_roles(item) -> None:
        history = inspect(item).attrs.roles.history
        kept = [role for role in history.deleted if role.name not in duties.grantable_roles(current_user)]
        if kept:
            item.roles = [*item.roles, *kept]  # not offered on the form, so not withdrawn by it
        before = {role.name for role in [*history.unchanged, *history.deleted]}
        duties.check_role_change(current_user, before, {role.name for role in item.roles})

    def pre_update(self, item):
        self._check_roles(item)


class AccountDBModelView(GrantedRolesOnly, CheckedListArgs, ChineseDisplay, StrictActions, UserDBModelView):
    """FAB's user screen (用户列表): the system administrator's and the city office's, showing the unit an account
    belongs to. Groups are not offered: a group's roles would be a way around the role choices."""

    base_order = ("id", "asc")  # FAB's has none: PostgreSQL's first page was whatever its heap returned
    list_widget = PortalListWidget  # every portal list's (app/views/list_widget.py)

    list_columns = ["first_name", "username", "unit", "active", "roles"]
    add_columns = ["first_name", "last_name", "username", "active", "email", "roles", "password", "conf_password"]
    edit_columns = ["first_name", "last_name", "username", "active", "email", "roles"]
    show_fieldsets = [
        (_l("User info"), {"fields": ["username", "active", "roles", "login_count", "unit", "phone"]}),
        (_l("Personal Info"), {"fields": ["display_name", "email"], "expanded": True}),
        (_l("Audit Info"), {"fields": ["last_login", "fail_login_count", "created_on", "changed_on"], "expanded": False}),
    ]
    # 个人信息 (/users/userinfo/, every account's own page): what the portal knows of the person, in its words. FAB's
    # shows the placeholder e-mail the portal gives accounts, an empty 姓 and 名 where the portal keeps one 姓名.
    user_show_fieldsets = [
        (_l("账号信息"), {"fields": ["username", "display_name", "unit", "roles", "phone", "last_login"]}),
    ]
    # Added to FAB's labels, not instead of them: a missing label shows the column name in English.
    label_columns = {**UserDBModelView.label_columns, "unit": _l("所属单位"), "phone": _l("联系电话"),
                     "display_name": _l("姓名")}
    # A citizen's user name is their mobile number: masked like every phone (app/masking.py). Roles by name.
    formatters_columns = {"username": masking.mask_username, "phone": masking.mask_phone, "email": masking.mask_email,
                          "roles": lambda roles: "、".join(role.name for role in roles),
                          "last_login": display_value}
    # Names normalised, invisible and direction-control characters refused (app/names.py).
    validators_columns = {
        **UserDBModelView.validators_columns, **GrantedRolesOnly.validators_columns,
        "first_name": [Name()], "last_name": [Name()], "username": [Name()],
    }

    def pre_add(self, item):
        self._check_roles(item)
        # The password was chosen by whoever made the account: its holder picks their own at first sign-in.
        item.must_change_password = True


class PortalUserInfoEdit(UserInfoEdit):
    """FAB's own 编辑个人信息 form, with the names checked as everywhere else."""

    first_name = StringField(_l("First Name"), validators=[DataRequired(), Name()], widget=BS3TextFieldWidget())
    last_name = StringField(_l("Last Name"), validators=[DataRequired(), Name()], widget=BS3TextFieldWidget())


class PortalUserInfoEditView(UserInfoEditView):
    # FAB's address and permission name, so roles and links stay as they are.
    route_base = "/userinfoeditview"
    class_permission_name = "UserInfoEditView"
    form = PortalUserInfoEdit


class AccountRoleView(GrantedRolesOnly, PortalModelView):
    """用户权限 → 账号授权: the security administrator grants and withdraws the portal's roles (never an
    administrator role or Admin: app/duties.py) and changes nothing else of an account."""

    route_base = "/account-roles"
    datamodel = PortalInterface(Account, eager=(selectinload(Account.roles), joinedload(Account.unit)))
    class_permission_name = "AccountRoles"
    include_route_methods = {"list", "show", "edit"}
    list_title = _l("账号授权")
    show_title = _l("账号授权")
    edit_title = _l("修改账号的角色")
    base_order = ("id", "asc")
    label_columns = {"username": _l("账号用户名"), "first_name": _l("姓名"), "unit": _l("所属单位"),
                     "active": _l("启用"), "roles": _l("角色")}
    list_columns = ["username", "first_name", "unit", "active", "roles"]
    show_columns = list_columns
    search_columns = ["username", "first_name", "unit", "roles"]
    edit_columns = ["roles"]


class PortalResetPasswordView(ResetPasswordView):
    """FAB's reset of someone else's password (from 用户列表): only of an account that list shows the acting user,
    never an administrator's (FAB's own view takes any id from the address)."""

    class_permission_name = "ResetPasswordView"  # FAB's name: roles.yaml and existing roles hold

    def _target(self):
        pk = request.args.get("pk", "")
        account = self.appbuilder.sm.get_user_by_id(int(pk)) if pk.isdigit() and len(pk) < 10 else None
        if not scoping.can_manage_account(current_user, account):
            from flask import abort

            abort(404)
        return account

    def form_get(self, form):
        self._target()

    def form_post(self, form):
        self._target()
        super().form_post(form)


# Subclassed only for StrictActions; they keep FAB's permission names, so roles.yaml and existing roles hold.
class PortalRoleModelView(CheckedListArgs, StrictActions, RoleModelView):
    class_permission_name = "RoleModelView"
    # FAB labels only name and permissions; its search offers "User" and "Groups" too, unlabelled.
    label_columns = {**RoleModelView.label_columns, "user": _l("用户"), "groups": _l("Groups")}


class PortalGroupModelView(CheckedListArgs, StrictActions, UserGroupModelView):
    class_permission_name = "UserGroupModelView"


def bearer_token_request(request_) -> bool:
    return request_.headers.get("Authorization", "").startswith("Bearer ")


class TokenRequestsGetNoCookie(SecureCookieSessionInterface):
    """A request that carries `Authorization: Bearer` and no signed-in session is answered without a session cookie:
    a REST client does not keep one, and one would authenticate requests the token no longer covers. (FAB writes the
    locale into the session on every request, so without this every answer would carry one.)"""

    def save_session(self, app, session, response):
        if bearer_token_request(request) and "_user_id" not in session:
            return None
        # The public photo copies (app/views/publicity.py) are for shared caches: no cookie (nor Vary: Cookie) on them.
        if g.get("shared_cache_response"):
            return None
        return super().save_session(app, session, response)


class OwnPasswordForm(ResetPasswordForm):
    """Changing one's own password asks for the current one: a session left open is not enough to take over."""

    current_password = PasswordField(
        _l("当前密码"), validators=[DataRequired(message=_l("请输入当前密码"))], widget=BS3PasswordFieldWidget()
    )
    # FAB's own description says the application does not check passwords; this one does.
    password = PasswordField(
        _l("新密码"), description=accounts.PASSWORD_RULE,
        validators=ResetPasswordForm.password.kwargs["validators"], widget=BS3PasswordFieldWidget(),
    )

    def validate_current_password(self, field):
        if not check_password_hash(g.user.password or "", field.data or ""):
            raise ValidationError(_("当前密码不正确"))

    def validate_password(self, field):
        if field.data and check_password_hash(g.user.password or "", field.data):
            raise ValidationError(_("新密码不能与当前密码相同"))


OwnPasswordForm.current_password.creation_counter = 0  # first on the form


class ResetMyPasswordView(FabResetMyPasswordView):
    """FAB's 修改密码 with the current password asked first. Same class name: same endpoints and permission."""

    form = OwnPasswordForm

    def form_post(self, form):
        super().form_post(form)
        # Then the user's own first page (工作台, 我的报名, 我的评审), as after signing in: FAB goes to the public home
        # page, where the rehearsal's new street clerk, made to change the initial password first, was left.
        return self.appbuilder.sm.auth_view._landing(self.appbuilder.get_url_for_index)
LOGIN_CAPTCHA = "signin"  # app/captcha.py's purpose: the sign-in form's own image
# The user name of the last failed sign-in of this browser: the form shows it again (FAB answers a failure with a
# redirect to the empty form) and asks the captcha if that account needs one.
LAST_USERNAME = "signin_username"


class PortalLoginForm(LoginForm_db):
    captcha = StringField(_l("验证码"))


class PortalAuthDBView(AuthDBView):
    """FAB's sign-in, through app/signin.py: a locked account or address is refused with the support desk's number,
    a captcha is asked after the first failures. A citizen signing in with nowhere else to go lands on 我的报名,
    where its state is, and an expert on 我的评审, their to-do list, the staff (city office, auditor, unit clerks) on
    工作台."""

    invalid_login_message = _l("用户名或密码不正确，请重新输入")

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(self._get_safe_next_url())
        sm = self.appbuilder.sm
        form = PortalLoginForm()
        if request.method == "GET" and not form.username.data:
            form.username.data = session.get(LAST_USERNAME, "")
        captcha_needed = signin.captcha_required(sm, form.username.data)
        if form.validate_on_submit():
            next_url = get_safe_redirect(request.args.get("next", ""))
            username = form.username.data
            # A locked account is told so (by authenticate) rather than asked for a captcha it cannot use.
            locked = signin.refusal(sm, username) is not None
            if captcha_needed and not locked and not captcha.matches(LOGIN_CAPTCHA, form.captcha.data or ""):
                form.captcha.errors = [_("验证码不正确，请看新图片重新输入") if form.captcha.data else _("请填写验证码")]
            else:
                user = sm.auth_user_db(username, form.password.data)
                if not user:
                    flash(self._failure_message(), "warning")
                    session[LAST_USERNAME] = username[:128]
                    return redirect(self.appbuilder.get_url_for_login_with(next_url))
                session.pop(LAST_USERNAME, None)
                login_user(user, remember=False)
                return self._landing(next_url)
        form.password.data = form.captcha.data = ""
        return self.render_template(
            self.login_template, title=self.title, form=form, appbuilder=self.appbuilder,
            captcha_needed=captcha_needed,
        )

    def _failure_message(self) -> str:
        refused = signin.last_refusal()
        if refused is not None:
            return refused.message
        left = signin.failures_left()
        if left is not None and left <= 2:
            return _("用户名或密码不正确；再输错 %(left)s 次，账号将被锁定 %(minutes)s 分钟", left=left,
                     minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        return str(self.invalid_login_message)

    def _landing(self, next_url):
        if next_url != self.appbuilder.get_url_for_index:
            return redirect(next_url)
        from app import roles

        names = {role.name for role in current_user.roles}
        if roles.APPLICANT in names:
            return redirect(url_for("CitizenApplicationView.edit"))
        if roles.EXPERT in names:
            return redirect(url_for("ExpertReviewView.todo"))  # 我的评审: the to-do list
        sm = self.appbuilder.sm
        if sm.has_access("can_read", "Dashboard"):
            return redirect(url_for("DashboardView.index"))  # 工作台: the staff's progress at a glance
        # The administrators without a 工作台 (三员分立) land on their own work.
        if sm.has_access("can_read", "RolePermissions"):
            return redirect(url_for("RolePermissionView.index"))  # 安全管理员: 角色权限
        if sm.has_access("can_list", "AccountDBModelView"):
            return redirect(url_for("AccountDBModelView.list"))  # 系统管理员: 用户列表
        return redirect(next_url)

    @expose("/login/captcha.png")
    def captcha(self):
        return Response(captcha.new_image(LOGIN_CAPTCHA), mimetype="image/png", headers={"Cache-Control": "no-store"})


class PortalSecurityApi(SecurityApi):
    """FAB's REST login through the same counters and locks as the form (app/signin.py), answered in Chinese.
    It asks no captcha (a REST client cannot show one): the account and address limits are its bound."""

    @expose("/login", methods=["POST"])
    @safe
    def login(self) -> Response:
        response = self._login()
        refused = signin.last_refusal()
        if refused is not None:
            response = self.response(429, message=refused.message)
            response.headers["Retry-After"] = str(refused.retry_after)
        elif response.status_code == 401:
            response = self.response(401, message=_("用户名或密码不正确"))
        # Translating the message makes FAB's babel write the locale into the session; a REST client keeps no
        # cookie, so none is sent (TokenRequestsGetNoCookie spares only requests that carry a token).
        if "_user_id" not in session:
            session.modified = False
        return response

    def _login(self) -> Response:
        """FAB's login with its body checked first, in Chinese: a JSON object with a user name and a password as
        strings; `provider` may be left out (the portal has only "db"), `refresh` is a boolean. (FAB's own answers
        500 without `provider` and 400 in English.)"""
        body = request.get_json(silent=True) if request.is_json else None
        if not isinstance(body, dict):
            return self.response_400(message=_("请以 JSON 对象提交用户名（username）和密码（password）"))
        errors = {}
        for key, label in (("username", _("用户名")), ("password", _("密码"))):
            if not isinstance(body.get(key), str) or not body[key]:
                errors[key] = [_("请填写%(label)s（文本）", label=label)]
        if body.get("provider", "db") != "db":
            errors["provider"] = [_("只支持 db（用户名和密码）")]
        if not isinstance(body.get("refresh", False), bool):
            errors["refresh"] = [_("须为 true 或 false")]
        if errors:
            return self.response_400(message=errors)
        user = self.appbuilder.sm.auth_user_db(body["username"], body["password"])
        if not user:
            return self.response_401()
        tokens = {"access_token": create_access_token(identity=str(user.id), fresh=True)}
        if body.get("refresh"):
            tokens["refresh_token"] = create_refresh_token(identity=str(user.id))
        return self.response(200, **tokens)


class PortalSecurityManager(SecurityManager):
    user_model = Account
    authdbview = PortalAuthDBView
    security_api = PortalSecurityApi
    userdbmodelview = AccountDBModelView
    userinfoeditview = PortalUserInfoEditView
    rolemodelview = PortalRoleModelView
    resetpasswordview = PortalResetPasswordView
    groupmodelview = PortalGroupModelView
    # Its charts load from Google, which is out of reach where the portal runs.
    userstatschartview = None
    resetmypasswordview = ResetMyPasswordView

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        # 用户列表 shows each account's roles and unit: loaded with the page (two queries), not per row.
        self.userdbmodelview.datamodel = PortalInterface(
            self.user_model, eager=(selectinload(Account.roles), joinedload(Account.unit)))

    # --- permissions: FAB asks the database once per has_access and per menu entry (24 queries for the menu of
    # one page); here one query per request fetches every (permission, view) pair of the user's roles, and both
    # questions are answered from it. Per request, not per session: a change in 角色权限 applies to the next page.

    def _granted(self, role_ids) -> frozenset:
        key = tuple(sorted(role_ids))

        def load():
            from flask_appbuilder.security.sqla.models import assoc_permissionview_role as grants

            rows = (
                self.session.query(self.permission_model.name, self.viewmenu_model.name)
                .select_from(self.permissionview_model)
                .join(grants, grants.c.permission_view_id == self.permissionview_model.id)
                .join(self.permission_model, self.permission_model.id == self.permissionview_model.permission_id)
                .join(self.viewmenu_model, self.viewmenu_model.id == self.permissionview_model.view_menu_id)
                .filter(grants.c.role_id.in_(key))
            )
            return frozenset(tuple(row) for row in rows)

        return request_cache.remember(("granted", key), load)

    # The signed-in account's pairs come with the account itself (load_user): one string, aggregated by the database
    # (string_agg on PostgreSQL, group_concat on SQLite), of "permission<US>view" joined by <RS>.
    _PAIR, _NEXT = "\x1f", "\x1e"

    def _granted_to(self, account_id):
        """Every (permission, view) pair of account_id's roles, as one string (a scalar subquery)."""
        from flask_appbuilder.security.sqla.models import assoc_permissionview_role as grants
        from flask_appbuilder.security.sqla.models import assoc_user_role as holds

        return (
            select(func.aggregate_strings(self.permission_model.name + self._PAIR + self.viewmenu_model.name,
                                          self._NEXT))
            .select_from(self.permissionview_model)
            .join(grants, grants.c.permission_view_id == self.permissionview_model.id)
            .join(self.permission_model, self.permission_model.id == self.permissionview_model.permission_id)
            .join(self.viewmenu_model, self.viewmenu_model.id == self.permissionview_model.view_menu_id)
            .join(holds, holds.c.role_id == grants.c.role_id)
            .where(holds.c.user_id == account_id)
            # Correlated to the account being loaded: never every account's roles (a nested IN (SELECT …) would
            # have pulled ab_user into its own FROM).
            .correlate(self.user_model)
            .scalar_subquery()
        )

    def _remember_granted(self, user, aggregated: str | None) -> None:
        pairs = frozenset(tuple(pair.split(self._PAIR, 1)) for pair in (aggregated or "").split(self._NEXT) if pair)
        request_cache.put(("granted", tuple(sorted(role.id for role in user.roles))), pairs)

    def has_access(self, permission_name, view_name) -> bool:
        """FAB's question, asked some 40 times per page (the menu, the list's buttons and actions), answered from the
        signed-in user's permissions, read once per request: one set lookup each instead of FAB's walk through the
        current user, its roles and groups. Forgotten at every flush and commit like the rest of the request cache,
        so that a change of roles or permissions made by this request applies to what it asks next."""
        granted = request_cache.remember("signed_in_permissions", self._signed_in_permissions)
        if granted is None:
            return super().has_access(permission_name, view_name)
        return (permission_name, view_name) in granted

    def _signed_in_permissions(self) -> frozenset | None:
        """The (permission, view) pairs of the signed-in user (session or Bearer token), or None when FAB's own
        has_access must answer: a visitor, an API key, a user with groups or a built-in role."""
        user = g.get("user")
        if g.get("_api_key_user") or not getattr(user, "is_authenticated", False):
            return None
        if not user.is_active:
            return frozenset()
        roles = user.roles
        if user.groups or any(role.name in self.builtin_roles for role in roles):
            return None
        return self._granted([role.id for role in roles]) if roles else frozenset()

    def get_public_permissions(self):
        """What a visitor who is not signed in may open: FAB reads it for every menu entry of a public page."""
        return request_cache.remember("public_permissions", lambda: list(super(PortalSecurityManager, self)
                                                                          .get_public_permissions() or []))

    def exist_permission_on_roles(self, view_name, permission_name, role_ids) -> bool:
        return (permission_name, view_name) in self._granted(role_ids)

    def find_roles_permission_view_menus(self, permission_name, role_ids):
        """FAB reads only `.view_menu.name` of what this returns (the menu entries the roles may open)."""
        return [
            SimpleNamespace(view_menu=SimpleNamespace(name=view))
            for permission, view in self._granted(role_ids)
            if permission == permission_name
        ]

    def get_user_by_id(self, pk):
        """The account with its roles and groups in one statement (three before): every page asks for them right
        after loading it (its permissions, its password rules, its scope)."""
        return self.session.get(self.user_model, pk, options=(joinedload(self.user_model.roles),
                                                               joinedload(self.user_model.groups)))

    def load_user(self, pk):
        """The session's user, if its server-side session is alive (app/sessions.py). One statement reads what every
        page asks first: the account with its roles and groups, the cookie's session row, the navbar's count of
        unread notifications, the permissions of its roles (four statements before) and the fingerprint of the
        campaigns' dates (app/schedule.py's campaign_dates: kept per process while it stands)."""
        if not str(pk).isdigit():
            return None
        found = self.session.execute(self._signed_in_statement, {
            "account_id": int(pk), "session_id": sessions.cookie_session_id()}).unique().all()
        if not found:
            return None
        user, row, unread, granted, campaigns = found[0]
        if not user.is_active or not sessions.touch(user, row):
            return None
        notifications.remember_unread(user, unread)
        self._remember_granted(user, granted)
        schedule.remember_fingerprint(campaigns)
        return user

    @cached_property
    def _signed_in_statement(self):
        """load_user's statement, built once (its account and session row as parameters)."""
        account = self.user_model
        return (
            select(account, AccountSession, notifications.unread_count_of(account.id), self._granted_to(account.id),
                   schedule.dates_fingerprint())
            .outerjoin(AccountSession, and_(AccountSession.id == bindparam("session_id"),
                                            AccountSession.account_id == account.id))
            .options(joinedload(account.roles), joinedload(account.groups))
            .where(account.id == bindparam("account_id"))
        )

    def auth_user_db(self, username, password):
        """FAB's password check, behind app/signin.py's locks and counters (the form's and the REST login's)."""
        via = "api" if request.path.startswith("/api/") else "form"
        return signin.authenticate(self, username, password, super().auth_user_db, via=via)

    def reset_password(self, userid, password):
        """Own change clears the first-login flag; someone else's reset sets it again. Both are audited."""
        user = self.get_user_by_id(userid)
        own = getattr(g, "user", None) is not None and getattr(g.user, "id", None) == user.id
        user.password = generate_password_hash(password)
        user.must_change_password = not own
        audit_as(user, "account.password_changed" if own else "account.password_reset")
        if not own:
            signin.unlock(user)  # a reset password must work at once, not after the sign-in lock runs out
        # The change ends every session of the account (app/sessions.py), this one too: the holder goes on in a new one.
        self.update_user(user)
        if own:
            sessions.start(user)

    def add_user(self, username, first_name, last_name, email, role=None, password="", hashed_password="",
                 groups=None, commit=True):
        """FAB's `flask fab create-admin` / `create-user`: an administrator made this way changes the password
        chosen for them at first sign-in (the portal's own `flask accounts create-admin` does so too)."""
        user = super().add_user(username, first_name, last_name, email, role, password, hashed_password, groups,
                                commit=False)
        if user and duties.is_privileged(user):
            user.must_change_password = True
        if user and commit:
            self.session.commit()
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """A token of an account that must change its password (generated or aged) is refused: the API offers no way
        to change it; so is one issued before the account's last logout, password, role or active change."""
        sub = str(jwt_data.get("sub", ""))
        user = self.get_user_by_id(int(sub)) if sub.isdigit() else None
        if user is None or not user.is_active or accounts.password_change_due(user):
            return None
        if jwt_data.get("stamp") != user.security_stamp:
            return None
        g.user = user
        return user

    def create_login_manager(self, app):
        login_manager = super().create_login_manager(app)
        # The two ways in, resolved here alike: the session (FAB's user_loader) and a Bearer token (below).
        login_manager.request_loader(self.load_user_from_bearer_token)
        app.session_interface = TokenRequestsGetNoCookie()
        return login_manager

    @staticmethod
    def load_user_from_bearer_token(request_):
        """The acting user of a request without a session user but with `Authorization: Bearer <access token>`.

        Flask-Login asks this only when the session names nobody, so flask_login's `current_user`, FAB's `g.user`
        and `sm.current_user` are the token's user everywhere (scoping, workflow, the audit log) and the session
        stays empty: no cookie is set. A bad, expired or refused token leaves the request anonymous; FAB's
        `protect()` then verifies the token itself and answers 401 with the reason.
        """
        if not bearer_token_request(request_):
            return None
        try:
            verify_jwt_in_request(optional=True, locations="headers")
        except (JWTExtendedException, PyJWTError):
            return None
        # load_user_jwt (above) has refused inactive accounts and generated passwords.
        return get_current_user()

    def create_jwt_manager(self, app):
        """Token refusals answer 401 in Chinese (flask_jwt_extended answers a malformed token with 422, in English)."""
        jwt_manager = super().create_jwt_manager(app)

        def refused(message):
            return jsonify(message=message), 401

        jwt_manager.unauthorized_loader(lambda _reason: refused(_("请先登录：请求须带有效的登录令牌")))
        jwt_manager.invalid_token_loader(lambda _reason: refused(_("登录令牌无效，请重新登录")))
        jwt_manager.expired_token_loader(lambda _header, _data: refused(_("登录令牌已过期，请重新登录")))
        jwt_manager.user_lookup_error_loader(
            lambda _header, _data: refused(_("该账号已停用，或须先在网页上修改密码，令牌不能使用"))
        )
        # Every token carries the account's security stamp; one issued before a logout, a password, role or active
        # change (a new stamp) is refused, the refresh token too (app/sessions.py).
        jwt_manager.additional_claims_loader(sessions.token_claims)
        jwt_manager.token_in_blocklist_loader(sessions.token_revoked)
        jwt_manager.revoked_token_loader(
            lambda _header, _data: refused(_("登录令牌已失效（已退出登录，或账号已停用、密码或角色已变更），请重新登录"))
        )
        return jwt_manager

    @staticmethod
    def before_request():
        SecurityManager.before_request()
        user = g.user
        # current_user is lazy: asking it loads the session's user, which finds an ended session (app/sessions.py).
        authenticated = getattr(user, "is_authenticated", False)
        endpoint = request.endpoint or ""
        if g.pop("session_expired", False) and not (endpoint in _NO_SESSION_NOTICE or endpoint.endswith(".static")):
            return _session_expired()
        if not authenticated:
            return None
        due = accounts.password_change_due(user)
        if due is None:
            return None
        if endpoint in _ALLOWED_BEFORE_PASSWORD_CHANGE or endpoint.endswith(".static"):
            return None
        message = accounts.PASSWORD_CHANGE_NOTICES[due]
        if request.path.startswith("/api/"):
            return jsonify(message=str(message)), 403
        flash(str(message), "warning")
        return redirect(url_for("ResetMyPasswordView.this_form_get"))
