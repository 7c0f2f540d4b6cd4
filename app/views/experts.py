"""专家评审 → 专家 / 专家组 / 回避关系 / 评审设置: the city office's screens to set up the review (the auditor reads).

Lists and detail pages are FAB's; the forms are ours, since an expert spans an account and its Expert row and a
panel its members and units. Every change goes through app/experts.py, whose refusals land at the field.
"""
from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import Select2ManyWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileAllowed, FileField, FileRequired
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField

from app import expert_import, experts, import_jobs, masking, rounds, schedule, scoping, units
from app.bounds import row_id
from app.datamodel import PortalInterface
from app.extensions import db
from app.models import (Application, Expert, ExpertConflict, ExpertPanel, ExpertPanelMember, ExpertPanelUnit,
                        ReviewRound, Unit)
from app.views.base import PortalModelView, xlsx_download
from app.views.fields import search_select

EXPERT_LABELS = {
    "name": _l("姓名"),
    "account.username": _l("账号用户名"),
    "account.phone": _l("手机号"),
    "account.active": _l("启用"),
    "account.must_change_password": _l("待修改初始密码"),
    "account.last_login": _l("最近登录"),
    "employer": _l("工作单位"),
    "employer_unit": _l("所在单位（本系统）"),
    "field": _l("专业领域"),
    "conflicts": _l("回避关系"),
    "memberships": _l("所在专家组"),
    "created_at": _l("创建时间"),
}


def _optional_int(value):
    return int(value) if value not in (None, "", "None", "__None") else None


def _unit_choices(first_level_only=False):
    """Every unit (or every first-level one), each second-level unit after its first-level unit: one statement."""
    query = db.session.query(Unit).options(joinedload(Unit.parent))
    if first_level_only:
        query = query.filter(Unit.level == 1)
    found = sorted(query.all(), key=lambda u: (u.parent.id if u.parent else u.id, u.level, u.id))
    return [(u.id, u.full_name) for u in found]


def _experts():
    """Every expert with their account (their name is the account's): one statement."""
    return db.session.query(Expert).options(joinedload(Expert.account)).order_by(Expert.id).all()


def _expert_choices() -> list[tuple[int, str]]:
    return [(e.id, f"{e.name}（{e.employer}）") for e in _experts()]


def _place_errors(form, error: experts.ExpertError):
    """Put the service's messages at their fields; a message for no field of the form is flashed."""
    for field_name, messages in experts.field_errors(error).items():
        field = form._fields.get(field_name) if field_name else None
        if field is None:
            for message in messages:
                flash(message, "danger")
            continue
        field.errors = list(field.errors) + messages


def _in_scope(view, pk):
    """The view's row pk, if the signed-in user's scope holds it; else 404."""
    row = view.datamodel.get(pk, view._base_filters)
    if row is None:
        abort(404)
    return row


def _commit(form, change, clash=None):
    """change() and commit: (its result, None); or, refused, rolled back with the refusal placed at its field of form:
    (None, 422), or (None, 409) when the database refuses a duplicate and clash(error) names the ExpertError."""
    try:
        result = change()
        db.session.commit()
    except experts.ExpertError as refused:
        db.session.rollback()
        _place_errors(form, refused)
        return None, 422
    except IntegrityError as error:
        db.session.rollback()
        if clash is None:
            raise
        _place_errors(form, clash(error))
        return None, 409
    return result, None


def _delete_row(view, pk, delete, done: str, refused_to: str):
    """The delete button of a row in the view's scope (else 404): delete(actor, row) and commit, then back to the list;
    a refusal, or a row other records still point to, is flashed on `refused_to`."""
    row = _in_scope(view, pk)
    try:
        delete(current_user, row)
        db.session.commit()
    except experts.ExpertError as refused:
        db.session.rollback()
        flash(str(refused), "danger")
        return redirect(refused_to)
    except IntegrityError:
        db.session.rollback()
        flash(_("不能删除：仍有其他记录引用它"), "danger")
        return redirect(refused_to)
    flash(done, "success")
    return redirect(url_for(".list"))


class ExpertForm(DynamicForm):
    name = StringField(_l("姓名"))
    username = StringField(_l("账号用户名"), description=_l("可不填，由系统生成"))
    phone = StringField(_l("手机号"))
    employer = StringField(_l("工作单位"), description=_l("如实填写，如“北京开放大学”"))
    employer_unit = SelectField(_l("所在单位（本系统中的单位）"), coerce=_optional_int, widget=Select2Widget(),
                                description=_l("专家的工作单位是本系统中的单位时选择它，评审分配时自动回避该单位的申报"))
    field = StringField(_l("专业领域"))
    active = BooleanField(_l("启用"), description=_l("停用后该专家不能登录，已分配的评审保持不变"))


class ImportForm(DynamicForm):
    sheet = FileField(
        _l("Excel 文件（.xlsx）"),
        validators=[
            FileRequired(_l("请选择要上传的 Excel 文件")),
            FileAllowed(["xlsx"], _l("请上传 .xlsx 格式的 Excel 文件（可先下载模板）")),
        ],
    )


class ExpertView(PortalModelView):
    route_base = "/experts"
    datamodel = PortalInterface(Expert, eager=(joinedload(Expert.account), joinedload(Expert.employer_unit)),
                                searched_by_name={"employer_unit"})
    search_form_extra_fields = {"employer_unit": StringField(_l("所在单位（本系统）"))}
    class_permission_name = "Expert"
    method_permission_name = {**PortalModelView.method_permission_name, "import_sheet": "write",
                              "import_template": "read"}
    include_route_methods = {"list", "show", "add", "edit", "import_sheet", "import_template"}
    list_title = _l("评审专家")
    show_title = _l("专家详情")
    list_template = "experts/expert_list.html"
    show_template = "experts/expert_show.html"
    base_filters = [["id", scoping.ExpertScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = EXPERT_LABELS
    list_columns = ["name", "account.username", "account.phone", "employer", "employer_unit", "field",
                    "account.active", "account.must_change_password"]
    show_columns = ["name", "account.username", "account.phone", "employer", "employer_unit", "field",
                    "account.active", "account.must_change_password", "account.last_login", "memberships",
                    "conflicts", "created_at"]
    search_columns = ["employer", "field", "employer_unit"]
    formatters_columns = {
        "account.phone": masking.mask_phone,
        "memberships": lambda ms: "、".join(f"{m.panel.round.stage_label}·{m.panel.name}" for m in ms),
        "conflicts": lambda cs: "、".join(
            c.unit.full_name if c.unit is not None else (c.application.name if c.application else "") for c in cs),
    }

    def _form_page(self, form, title, pk=None, status=200):
        return self.render_template("experts/form.html", form=form, title=title, pk=pk,
                                    back=url_for(".list"), fields=self._fields(form, pk)), status

    @staticmethod
    def _fields(form, pk):
        names = ["name", "username", "phone", "employer", "employer_unit", "field"] if pk is None else \
            ["name", "phone", "employer", "employer_unit", "field", "active"]
        return [form[n] for n in names]

    def _data(self, form) -> experts.ExpertInput:
        return experts.ExpertInput(name=form.name.data, employer=form.employer.data, field=form.field.data,
                                   phone=form.phone.data, employer_unit_id=form.employer_unit.data,
                                   username=form.username.data)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        form = ExpertForm()
        form.employer_unit.choices = [(None, _("（不是本系统中的单位）"))] + _unit_choices()
        title = _("新增评审专家")
        if request.method == "POST" and form.validate_on_submit():
            created, refused = _commit(
                form, lambda: experts.create_expert(self.appbuilder.sm, current_user, self._data(form)),
                clash=lambda _error: experts.ExpertError(_("账号用户名或手机号刚被占用，请修改后重试"), field="username"))
            if refused:
                return self._form_page(form, title, status=refused)
            expert, password = created
            flash(_("专家 %(name)s 的账号 %(username)s 已创建，初始密码：%(password)s 。密码只显示这一次，请转交专家本人；"
                    "首次登录须修改密码。", name=expert.name, username=expert.account.username, password=password),
                  "warning")
            return redirect(url_for(".show", pk=expert.id))
        return self._form_page(form, title)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        expert = _in_scope(self, pk)
        if request.method == "POST":
            form = ExpertForm()
        else:
            form = ExpertForm(data=dict(name=expert.account.first_name, phone=expert.account.phone,
                                        employer=expert.employer, employer_unit=expert.employer_unit_id,
                                        field=expert.field, active=expert.account.active))
        form.employer_unit.choices = [(None, _("（不是本系统中的单位）"))] + _unit_choices()
        title = _("编辑评审专家")
        if request.method == "POST" and form.validate_on_submit():
            refused = _commit(
                form, lambda: experts.update_expert(current_user, expert, self._data(form), active=form.active.data))[1]
            if refused:
                return self._form_page(form, title, pk=pk, status=refused)
            flash(_("已保存专家 %(name)s 的信息", name=expert.name), "success")
            return redirect(url_for(".show", pk=expert.id))
        return self._form_page(form, title, pk=pk)

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def import_sheet(self):
        form = ImportForm()
        if form.validate_on_submit():
            # A background job imports (app/import_jobs.py), then forwards back here with ?job= to show its result.
            job = import_jobs.start(current_user, import_jobs.EXPERTS, _("批量导入评审专家"), form.sheet.data.stream)
            return redirect(url_for("JobView.show", job_id=job.id))
        result, already_shown = import_jobs.shown_once(current_user, request.args.get("job", ""), import_jobs.EXPERTS)
        if result is not None and result.ok and result.created:
            flash(_("已导入 %(n)s 位评审专家", n=len(result.created)), "success")
        return self.render_template("experts/import.html", form=form, result=result, already_shown=already_shown,
                                    columns=expert_import.COLUMNS, title=_("批量导入评审专家"))

    @expose("/import/template.xlsx")
    @has_access
    def import_template(self):
        return xlsx_download(expert_import.template_bytes(), _("评审专家导入模板.xlsx"))


# --- 专家组 -----------------------------------------------------------------------------------------------------

class PanelForm(DynamicForm):
    round_id = SelectField(_l("评审轮次"), coerce=_optional_int)
    name = StringField(_l("专家组名称"), description=_l("如“第一组”"))
    experts = SelectMultipleField(_l("专家"), coerce=int, widget=Select2ManyWidget(),
                                  description=_l("每位专家每轮只能在一个专家组"))
    units = SelectMultipleField(_l("负责的一级单位"), coerce=int, widget=Select2ManyWidget(),
                                description=_l("不选：负责本轮其他专家组未负责的全部申报（每轮至多一个这样的组）"))


def current_rounds():
    """初审 and 复审 of the current campaign (made on first use), or [] without a campaign."""
    campaign = schedule.current_campaign()
    if campaign is None:
        return []
    found = [rounds.round_for(campaign, stage) for stage in rounds.ROUNDS]
    db.session.commit()
    return found


class ExpertPanelView(PortalModelView):
    route_base = "/expert-panels"
    datamodel = PortalInterface(ExpertPanel, eager=(
        joinedload(ExpertPanel.round),
        selectinload(ExpertPanel.members).joinedload(ExpertPanelMember.expert).joinedload(Expert.account),
        selectinload(ExpertPanel.units).joinedload(ExpertPanelUnit.unit)))
    class_permission_name = "ExpertPanel"
    method_permission_name = {**PortalModelView.method_permission_name, "copy_initial": "write"}
    include_route_methods = {"list", "show", "add", "edit", "delete", "copy_initial"}
    list_title = _l("专家组")
    show_title = _l("专家组详情")
    list_template = "experts/panel_list.html"
    show_template = "experts/panel_show.html"
    base_filters = [["id", scoping.ReviewSetupScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = {"round": _l("评审轮次"), "name": _l("专家组名称"), "members": _l("专家"), "units": _l("负责的一级单位"),
                     "created_at": _l("创建时间")}
    list_columns = ["round", "name", "members", "units"]
    show_columns = ["round", "name", "members", "units", "created_at"]
    search_columns = ["round", "name"]
    formatters_columns = {
        "members": lambda ms: "、".join(m.expert.name for m in ms),
        "units": lambda us: "、".join(u.unit.name for u in us) or _("其余单位"),
    }

    def _setup(self, form, review_rounds, panel=None):
        form.round_id.choices = [(r.id, str(r)) for r in review_rounds]
        form.experts.choices = [
            (e.id, f"{e.name}（{e.employer}）" + ("" if e.account.active else _("，已停用"))) for e in _experts()
        ]
        form.units.choices = _unit_choices(first_level_only=True)

    def _page(self, form, title, pk=None, status=200):
        fields = [form.round_id, form.name, form.experts, form.units] if pk is None else \
            [form.name, form.experts, form.units]
        return self.render_template("experts/form.html", form=form, title=title, pk=pk, back=url_for(".list"),
                                    fields=fields), status

    def _save(self, form, review_round, title, panel=None):
        saved, refused = _commit(
            form, lambda: experts.save_panel(current_user, review_round, form.name.data, form.experts.data,
                                             form.units.data, panel=panel),
            clash=experts.panel_conflict)
        if refused:
            return None, self._page(form, title, pk=panel.id if panel else None, status=refused)
        flash(_("已保存专家组「%(name)s」", name=saved.name), "success")
        return saved, redirect(url_for(".show", pk=saved.id))

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        review_rounds = current_rounds()
        if not review_rounds:
            flash(_("还没有评选批次，请先在“评选管理”中创建"), "danger")
            return redirect(url_for(".list"))
        form = PanelForm()
        self._setup(form, review_rounds)
        title = _("新增专家组")
        if request.method == "GET" and row_id(request.args.get("round")) is not None:
            form.round_id.data = row_id(request.args["round"])
        if request.method == "POST" and form.validate_on_submit():
            review_round = next((r for r in review_rounds if r.id == form.round_id.data), None)
            if review_round is None:
                form.round_id.errors = [_("请选择评审轮次")]
                return self._page(form, title, status=422)
            return self._save(form, review_round, title)[1]
        return self._page(form, title)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        panel = _in_scope(self, pk)
        form = PanelForm() if request.method == "POST" else PanelForm(
            data=dict(name=panel.name, experts=[m.expert_id for m in panel.members],
                      units=[u.unit_id for u in panel.units]))
        self._setup(form, [panel.round], panel)
        form.round_id.data = panel.round_id
        title = _("编辑专家组（%(round)s）", round=str(panel.round))
        if request.method == "POST" and form.validate_on_submit():
            return self._save(form, panel.round, title, panel)[1]
        return self._page(form, title, pk=pk)

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        return _delete_row(self, pk, experts.delete_panel, _("已删除专家组"), url_for(".show", pk=pk))

    @expose("/copy-initial", methods=["POST"])
    @has_access
    def copy_initial(self):
        review_rounds = current_rounds()
        if len(review_rounds) != 2:
            abort(404)
        try:
            count = experts.copy_panels(current_user, review_rounds[0], review_rounds[1])
            db.session.commit()
        except experts.ExpertError as refused:
            db.session.rollback()
            flash(_("未能复制：%(reason)s", reason=str(refused)), "danger")
            return redirect(url_for(".list"))
        except IntegrityError:
            db.session.rollback()
            flash(_("未能复制：复审中已有专家组包含相同的专家或单位"), "danger")
            return redirect(url_for(".list"))
        flash(_("已将 %(n)s 个初审专家组复制到复审", n=count), "success")
        return redirect(url_for(".list"))


# --- 回避关系 ---------------------------------------------------------------------------------------------------

_SEARCH_TEXT_MOST = 50  # characters of a typed name searched


def _conflict_applications(actor):
    """The applications a conflict may name (experts.conflict_application_clause), with their units to label them;
    None without a current campaign."""
    campaign = schedule.current_campaign()
    if campaign is None:
        return None
    return db.session.query(Application).options(joinedload(Application.unit).joinedload(Unit.parent)).filter(
        experts.conflict_application_clause(actor, campaign))


def _applicant_label(application) -> str:
    return f"{application.name}（{application.unit.full_name if application.unit else ''}）"


def _applicant_search(field, **_kwargs) -> Markup:
    """The 回避申报人 box (a field widget): the applicant already chosen (a form sent back with an error), the rest
    searched on demand (ExpertConflictView.application_choices)."""
    chosen = []
    applications = _conflict_applications(current_user) if field.data else None
    if applications is not None:
        chosen = [(a.id, _applicant_label(a)) for a in applications.filter(Application.id == field.data)]
    return search_select(field, url_for("ExpertConflictView.application_choices"), _("输入申报人姓名搜索"), chosen)


class ConflictForm(DynamicForm):
    expert = SelectField(_l("专家"), coerce=_optional_int, widget=Select2Widget())
    unit = SelectField(_l("回避单位"), coerce=_optional_int, widget=Select2Widget(),
                       description=_l("选一级单位时包括其全部二级单位"))
    # A campaign has up to 100,000 applicants: searched by name as the city office types, never all on the page.
    application = SelectField(_l("回避申报人"), coerce=_optional_int, validate_choice=False,
                              widget=_applicant_search,
                              description=_l("或者只回避本批次的某一位申报人（二者选一）"))
    reason = TextAreaField(_l("回避原因"), description=_l("如“曾在该单位任职”“与申报人是亲属”"))


class ExpertConflictView(PortalModelView):
    route_base = "/expert-conflicts"
    datamodel = PortalInterface(ExpertConflict, eager=(
        joinedload(ExpertConflict.expert).joinedload(Expert.account), joinedload(ExpertConflict.unit),
        joinedload(ExpertConflict.application).joinedload(Application.unit).joinedload(Unit.parent)),
        searched_by_name={"unit"})
    # The expert filter's choices in one statement (FAB's reads every expert, then each one's account).
    search_form_extra_fields = {
        "unit": StringField(_l("回避单位")),
        "expert": SelectField(_l("专家"), choices=lambda: [(str(i), label) for i, label in _expert_choices()],
                              widget=Select2Widget(), render_kw={"required": True}),
    }
    class_permission_name = "ExpertConflict"
    method_permission_name = {**PortalModelView.method_permission_name, "application_choices": "write"}
    include_route_methods = {"list", "show", "add", "delete", "application_choices"}
    list_title = _l("回避关系")
    show_title = _l("回避关系详情")
    base_filters = [["id", scoping.ReviewSetupScopeFilter, None]]
    base_order = ("id", "asc")
    label_columns = {"expert": _l("专家"), "unit": _l("回避单位"), "application": _l("回避申报人"),
                     "reason": _l("回避原因"), "declared_at": _l("登记时间"), "declared_by": _l("登记人")}
    list_columns = ["expert", "unit", "application", "reason", "declared_at"]
    show_columns = ["expert", "unit", "application", "reason", "declared_at", "declared_by"]
    search_columns = ["expert", "unit"]
    formatters_columns = {
        "application": lambda a: _applicant_label(a) if a is not None else "",
        "declared_by": lambda a: a.person_label if a is not None else "",
    }

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        form = ConflictForm()
        form.expert.choices = [(None, _("请选择"))] + _expert_choices()
        form.unit.choices = [(None, _("（不回避单位）"))] + _unit_choices()
        campaign = schedule.current_campaign()
        if request.method == "GET" and row_id(request.args.get("expert")) is not None:
            form.expert.data = row_id(request.args["expert"])
        title = _("登记回避关系")
        if request.method == "POST" and form.validate_on_submit():
            refused = _commit(
                form, lambda: experts.add_conflict(
                    current_user, db.session.get(Expert, form.expert.data) if form.expert.data else None,
                    unit_id=form.unit.data, application_id=form.application.data, reason=form.reason.data,
                    campaign=campaign),
                clash=lambda _error: experts.ExpertError(_("已登记过这条回避关系"), field="unit"))[1]
            if refused:
                return self._page(form, title, status=refused)
            flash(_("已登记回避关系"), "success")
            return redirect(url_for(".list"))
        return self._page(form, title)

    def _page(self, form, title, status=200):
        return self.render_template("experts/form.html", form=form, title=title, pk=None, back=url_for(".list"),
                                    fields=[form.expert, form.unit, form.application, form.reason]), status

    @expose("/delete/<pk>", methods=["POST"])
    @has_access
    def delete(self, pk):
        return _delete_row(self, pk, experts.delete_conflict, _("已删除回避关系"), url_for(".list"))

    @expose("/api/applications")
    @has_access
    def application_choices(self):
        """The 回避申报人 box's choices for ?q=<part of a name>: applications of the current campaign a conflict may
        name, a few at a time, oldest first."""
        applications = _conflict_applications(current_user)
        text = request.args.get("q", "").strip()[:_SEARCH_TEXT_MOST]
        if applications is None:
            return jsonify(results=[])
        if text:
            applications = applications.filter(Application.name.contains(text, autoescape=True))
        found = applications.order_by(Application.id).limit(units.SEARCH_CHOICES)
        return jsonify(results=[{"id": a.id, "text": _applicant_label(a)} for a in found])


# --- 评审设置 ---------------------------------------------------------------------------------------------------

class ReviewSettingsView(BaseView):
    """Per round of the current campaign: how many experts read each application, and the rubric."""

    route_base = "/review-settings"
    default_view = "index"
    class_permission_name = "ReviewSettings"
    method_permission_name = {"index": "read", "edit": "write"}

    @expose("/")
    @has_access
    def index(self):
        review_rounds = current_rounds()
        return self.render_template("experts/review_settings.html", title=_("评审设置"), rounds=review_rounds,
                                    locked={r.id: experts.settings_locked(r) for r in review_rounds},
                                    window={r.id: r.campaign.window(r.stage) for r in review_rounds},
                                    can_write=self.appbuilder.sm.has_access("can_write", "ReviewSettings"))

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        review_round = db.session.get(ReviewRound, pk) if scoping.is_city_office(current_user) else None
        if review_round is None:
            abort(404)
        locked = experts.settings_locked(review_round)
        values = {"experts_per_application": review_round.experts_per_application,
                  **{f"criteria-{c.id}-{k}": getattr(c, k) for c in review_round.criteria
                     for k in ("label", "weight", "max_score")}}
        errors = {}
        if request.method == "POST":
            values = {key: request.form.get(key, "") for key in values}
            criteria = {c.id: experts.CriterionInput(values[f"criteria-{c.id}-label"],
                                                     values[f"criteria-{c.id}-weight"],
                                                     values[f"criteria-{c.id}-max_score"])
                        for c in review_round.criteria}
            try:
                experts.update_round(current_user, review_round, values["experts_per_application"], criteria)
                db.session.commit()
            except experts.ExpertError as refused:
                db.session.rollback()
                errors = experts.field_errors(refused)
                if "" in errors:
                    for message in errors.pop(""):
                        flash(message, "danger")
            else:
                flash(_("已保存「%(round)s」的评审设置", round=str(review_round)), "success")
                return redirect(url_for(".index"))
        return self.render_template("experts/review_round_form.html", title=_("评审设置：%(round)s", round=str(review_round)),
                                    review_round=review_round, values=values, errors=errors, locked=locked), \
            422 if errors else 200
