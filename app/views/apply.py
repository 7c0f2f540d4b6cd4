"""在线报名: the citizen's own application — form, photo and video upload, submit, print — and scoped file serving."""
from urllib.parse import unquote

from flask import abort, flash, jsonify, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.forms import DynamicForm
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app import applications, certificates, media_intake, schedule, scoping, storage, workflow
from app.bounds import row_id
from app.extensions import db
from app.models import Application, ApplicationStatus, Stage, Unit, UnitCategory
from app.models.application import DEEDS_MAX_CHARS

READ_WRITE = {"edit": "read", "save": "write", "upload_photo": "write", "upload_video": "write", "units": "read"}


class ApplicationForm(DynamicForm):
    name = StringField(_l("姓名"))
    # Shown, never posted (disabled): taken from the ID number; applications.apply_fields checks any value sent.
    gender = SelectField(_l("性别"), choices=[("", _l("按身份证号自动填写")), ("male", _l("男")), ("female", _l("女"))],
                         description=_l("按身份证号自动填写"), validate_choice=False)
    birth_date = DateField(_l("出生日期"), validators=[Optional()], description=_l("按身份证号自动填写"))
    id_number = StringField(_l("居民身份证号"), description=_l("18 位，最后一位可以是 X"))
    mobile = StringField(_l("手机号码"))
    work_unit = StringField(_l("工作单位"))
    position = StringField(_l("职务"))
    address = StringField(_l("住址"), description=_l("北京市内的常住地址"))
    is_permanent_resident = BooleanField(_l("本人是北京市辖区内的常住居民"))
    # The cascade's choices are filled only to render (fill_unit_choices); apply_fields checks the unit chosen.
    category = SelectField(_l("单位类别"), choices=[], validate_choice=False)
    first_level = SelectField(_l("一级单位"), choices=[], validate_choice=False)
    unit_id = SelectField(_l("二级单位（推荐单位）"), choices=[], validate_choice=False)
    deeds = TextAreaField(
        _l("个人先进事迹"), description=_l("突出以学习为主要内容，%(n)s 字以内", n=DEEDS_MAX_CHARS)
    )
    declaration_confirmed = BooleanField(_l("本人承诺以上信息及上传材料真实、准确"))
    photo = FileField(_l("一寸白底彩色照片"), description=_l("jpg 或 png，不超过 2MB，白色背景、彩色、竖版"))
    video = FileField(_l("视频"), description=_l("mp4 格式，H.264(AVC) 编码，5 分钟以内，不超过 50MB"))

    def fill_unit_choices(self, unit: Unit | None):
        """The cascade's three selects, filled for what is chosen (the page's script refills them live)."""
        chosen_category = self.category.data or (unit.category if unit else "")
        chosen_parent = self.first_level.data or (str(unit.parent_id) if unit else "")
        self.category.choices = [("", _("请选择"))] + [(c.value, c.label) for c in UnitCategory]
        parents = db.session.query(Unit).filter_by(level=1, category=chosen_category).order_by(Unit.id).all()
        self.first_level.choices = [("", _("请选择"))] + [(str(u.id), u.name) for u in parents]
        children = (
            db.session.query(Unit).filter_by(level=2, parent_id=row_id(chosen_parent)).order_by(Unit.id).all()
            if row_id(chosen_parent) is not None
            else []
        )
        self.unit_id.choices = [("", _("请选择"))] + [(str(u.id), u.name) for u in children]
        self.category.data, self.first_level.data = chosen_category, chosen_parent


FIELDS = ["name", "gender", "birth_date", "id_number", "mobile", "work_unit", "position", "address",
          "is_permanent_resident", "unit_id", "deeds", "declaration_confirmed"]


class CitizenApplicationView(BaseView):
    route_base = "/apply"
    default_view = "edit"
    class_permission_name = "MyApplication"
    method_permission_name = READ_WRITE

    def _campaign(self):
        campaign = schedule.current_campaign()
        if campaign is None:
            abort(404)
        return campaign

    def _mine(self, create=False) -> Application | None:
        campaign = self._campaign()
        application = applications.application_of(current_user, campaign)
        if application is None and create:
            application = applications.new_draft(current_user, campaign)
        return application

    def _render(self, form, application):
        campaign = self._campaign()
        form.fill_unit_choices(application.unit if application else None)
        try:
            schedule.require_open(Stage.APPLY, campaign)
            closed = None
        except schedule.StageClosed as refused:
            closed = str(refused)
        return self.render_template(
            "citizen/apply.html",
            form=form,
            application=application,
            campaign=campaign,
            apply_window=campaign.window(Stage.APPLY),
            apply_closed=closed,
            editing_closed=schedule.editing_closed(campaign),
            can_submit=application is not None and workflow.allowed(current_user, application, "submit"),
            deeds_max=DEEDS_MAX_CHARS,
            photo_max=media_intake.PHOTO_MAX_BYTES,
            video_max=media_intake.VIDEO_MAX_BYTES,
        )

    @expose("/", methods=["GET"])
    @has_access
    def edit(self):
        """我的报名: the form while the citizen may still change it; afterwards the application read-only, with what
        happened to it when it went no further (过期无效) and whom to ask."""
        campaign = self._campaign()
        application = self._mine()
        closed = schedule.editing_closed(campaign)
        if application is not None and (closed or not application.editable_by_applicant):
            return self.render_template(
                "citizen/application_detail.html", application=application, event_labels=workflow.labels(),
                full_numbers=True,  # the citizen's own
                void_notice=workflow.void_notice(application), editing_closed=closed,
                certificate=certificates.of_application(application),
            )
        if application is None and closed:
            return self.render_template("citizen/apply_closed.html", campaign=campaign, editing_closed=closed)
        form = ApplicationForm(obj=application, formdata=None)
        if application is not None:
            form.unit_id.data = str(application.unit_id or "")
        else:
            # First visit: the draft is made on the first save (applications.new_draft), but the form already
            # starts from what the citizen gave at registration.
            form.name.data = current_user.first_name or None
            form.mobile.data = current_user.username if current_user.username.isdigit() else None
        return self._render(form, application)

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint=endpoint, static_folder=static_folder)
        blueprint.before_request(self._refuse_changes_after_close)
        return blueprint

    def _refuse_changes_after_close(self):
        """Once 在线报名 has ended nothing is saved or uploaded any more (a page left open, a second tab)."""
        if request.method != "POST" or not current_user.is_authenticated:
            return None
        campaign = schedule.current_campaign()
        closed = schedule.editing_closed(campaign) if campaign is not None else None
        if closed is None:
            return None
        if request.endpoint and request.endpoint.endswith((".upload_photo", ".upload_video")):
            return jsonify(message=closed), 409
        flash(closed, "danger")
        return redirect(url_for("CitizenApplicationView.edit"))

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        form = ApplicationForm()
        form.validate()  # only to parse types (date); our own checks follow
        data = {name: getattr(form, name).data for name in FIELDS}
        errors = {}
        if form.birth_date.raw_data and form.birth_date.raw_data[0] and data["birth_date"] is None:
            form.birth_date.errors = []
            errors["birth_date"] = _("出生日期格式应为 YYYY-MM-DD")
            del data["birth_date"]  # unreadable: keep what was saved before
        files = {kind: (upload.stream, upload.filename)
                 for kind, upload in ((k, request.files.get(k)) for k in ("photo", "video")) if upload and upload.filename}
        try:
            saved = applications.save_draft(current_user, self._campaign(), data, files)
        except applications.NotEditable as refused:
            flash(str(refused), "warning")
            return redirect(url_for(".edit"))
        application = saved.application
        errors.update(saved.errors)
        if errors:
            for field, message in errors.items():
                getattr(form, field).errors = list(getattr(form, field).errors or []) + [message]
            flash(_("有内容需要修改，请看标红的栏目；其余内容和已上传的文件已保存"), "danger")
            return self._render(form, application)
        if request.form.get("intent") != "submit":
            flash(_("草稿已保存。截止时间前请记得提交。"), "success")
            return redirect(url_for(".edit"))
        try:
            workflow.perform(current_user, application.id, "submit")
        except workflow.WorkflowError as refused:
            for field, message in refused.errors.items():
                target = getattr(form, {"photo_file": "photo", "video_file": "video"}.get(field, field), None)
                if target is not None:
                    target.errors = list(target.errors or []) + [str(message)]
            flash(str(refused), "danger")
            application = db.session.get(Application, application.id)
            return self._render(form, application)
        flash(_("报名已提交。提交后不能再修改；可以随时查看和打印申报表。"), "success")
        return redirect(url_for(".edit"))

    @expose("/photo", methods=["POST"])
    @has_access
    def upload_photo(self):
        return self._upload("photo")

    @expose("/video", methods=["POST"])
    @has_access
    def upload_video(self):
        return self._upload("video")

    def _upload(self, kind):
        """XHR upload of one file (multipart field `file`, or the raw body with X-File-Name); JSON answer."""
        if request.files.get("file"):
            stream, filename = request.files["file"].stream, request.files["file"].filename
        else:
            # The page's script percent-encodes the name (a header carries no 汉字 as such): decode it back.
            stream, filename = request.stream, unquote(request.headers.get("X-File-Name", ""))
        try:
            application = applications.upload(current_user, self._campaign(), kind, stream, filename)
        except applications.NotEditable as refused:
            return jsonify(message=str(refused)), 409
        except media_intake.MediaRefused as refused:
            db.session.rollback()
            return jsonify(message=str(refused)), 422
        return jsonify(
            message=_("已上传"),
            url=url_for("ApplicationFileView.file", application_id=application.id, kind=kind, v=getattr(application, f"{kind}_file")[-12:]),
            name=getattr(application, f"{kind}_original_name"),
            warning=(application.video_warning or "") if kind == "video" else "",
        )

    @expose("/units")
    @has_access
    def units(self):
        """The cascade: ?category=district → first-level units; ?parent=ID → its second-level units."""
        query = db.session.query(Unit.id, Unit.name).order_by(Unit.id)
        if row_id(request.args.get("parent")) is not None:
            rows = query.filter(Unit.level == 2, Unit.parent_id == row_id(request.args["parent"]))
        else:
            rows = query.filter(Unit.level == 1, Unit.category == request.args.get("category", ""))
        return jsonify(units=[{"id": row.id, "name": row.name} for row in rows])


class ApplicationFileView(BaseView):
    """An application's photo, video and printable form, for whoever may see the application (scoping decides)."""

    route_base = "/application-files"
    class_permission_name = "ApplicationFile"
    method_permission_name = {"file": "read", "print_form": "read"}

    @expose("/<int:application_id>/<kind>")
    @has_access
    def file(self, application_id, kind):
        application = db.session.get(Application, application_id)
        if kind not in ("photo", "video") or not scoping.can_see_application(current_user, application):
            abort(404)
        stored = getattr(application, f"{kind}_file")
        if not stored:
            abort(404)
        response = storage.send(stored, "image/jpeg" if kind == "photo" else "video/mp4",
                                getattr(application, f"{kind}_original_name"))
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/print/<int:application_id>")
    @has_access
    def print_form(self, application_id):
        application = db.session.get(Application, application_id)
        # The printed 申报表 carries the ID number and phone: not for an expert, who may see the photo and video.
        if not scoping.can_see_identity(current_user, application):
            abort(404)
        if application.status_enum == ApplicationStatus.DRAFT:
            # Only its owner sees a draft: a form that was never submitted is not a 申报表 to print.
            flash(_("草稿不能打印：提交报名后才能打印申报表。"), "warning")
            return redirect(url_for("CitizenApplicationView.edit"))
        # Full numbers on the citizen's own 申报表; masked on a reviewer's print (the show page reveals them on request).
        response = make_response(self.render_template(
            "citizen/print.html", application=application, full_numbers=application.applicant_id == current_user.id))
        response.headers["Cache-Control"] = "private, no-store"
        return response
