"""/api/v1/my_application/: the signed-in citizen's own application — read, save, upload, submit.

The same checks as the 在线报名 page: app/applications.py for fields, app/media_intake.py for files,
app/workflow.py for the submission. There is no id in these URLs: a citizen can only ever reach their own.
"""
from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from app import applications, media_intake, request_limits, schedule, workflow
from app.api.base import ChineseAnswers
from app.extensions import db
from app.models import Application

FIELDS = ["name", "gender", "birth_date", "id_number", "mobile", "work_unit", "position", "address",
          "is_permanent_resident", "unit_id", "deeds", "declaration_confirmed"]


def as_json(application: Application) -> dict:
    data = {field: getattr(application, field) for field in FIELDS}
    data["birth_date"] = application.birth_date.isoformat() if application.birth_date else None
    data.update(
        id=application.id,
        campaign=application.campaign.name,
        status=application.status,
        status_label=str(application.status_label),
        photo=application.photo_original_name,
        video=application.video_original_name,
        video_duration=application.video_duration,
        video_warning=application.video_warning,
        # Photo and video removed after the retention period (app/retention.py), or null.
        media_purged_at=application.media_purged_at.isoformat() if application.media_purged_at else None,
        submitted_at=application.submitted_at.isoformat() if application.submitted_at else None,
        history=[
            {"at": e.at.isoformat(), "action": e.action, "actor": e.actor_label, "opinion": e.opinion}
            for e in application.events
        ],
    )
    return data


class MyApplicationApi(ChineseAnswers, BaseApi):
    resource_name = "my_application"
    class_permission_name = "MyApplication"
    method_permission_name = {"get": "read", "put": "write", "upload": "write", "submit": "write"}
    allow_browser_login = True
    openapi_spec_tag = "My application"

    def _mine(self, create=False):
        campaign = schedule.current_campaign()
        if campaign is None:
            return None
        application = applications.application_of(current_user, campaign)
        if application is None and create:
            application = applications.new_draft(current_user, campaign)
        return application

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get(self):
        """The citizen's application in the current campaign.
        ---
        get:
          responses:
            200: {description: the application}
            404: {description: none yet}
        """
        application = self._mine()
        if application is None:
            return self.response_404()
        return self.response(200, result=as_json(application))

    @expose("/", methods=["PUT"])
    @protect()
    @safe
    def put(self):
        """Save fields of the draft (any subset of them); valid ones are kept, 422 lists every bad field.
        ---
        put:
          responses:
            200: {description: saved}
            409: {description: already submitted}
            422: {description: bad fields listed in errors; every valid field was saved}
        """
        if not isinstance(request.get_json(silent=True), dict):  # not JSON, unreadable JSON, or not an object
            return self.response_400(message=_("请以 JSON 提交"))
        campaign = schedule.current_campaign()
        if campaign is None:
            return self.response_404()
        data = {k: v for k, v in request.get_json().items() if k in FIELDS}
        try:
            saved = applications.save_draft(current_user, campaign, data)
        except applications.NotEditable as refused:
            return self.response(409, message=str(refused))
        if saved.errors:
            # As on the page: every valid field is saved, the bad ones are listed (and keep their stored value).
            return self.response(422, message=_("有内容需要修改，请看标红的栏目；其余内容和已上传的文件已保存"),
                                 errors=saved.errors, result=as_json(saved.application))
        return self.response(200, result=as_json(saved.application))

    @expose("/<kind>", methods=["POST"])
    @protect()
    @safe
    def upload(self, kind):
        """Upload the photo or the video (multipart field `file`), checked by content.
        ---
        post:
          responses:
            200: {description: stored}
            413: {description: too large}
            422: {description: refused, with the reason}
        """
        if kind not in ("photo", "video"):
            return self.response_404()
        campaign = schedule.current_campaign()
        if campaign is None:
            return self.response_404()
        try:
            # A body without a Content-Length is refused here, at its limit (app/request_limits.py) as it streams.
            upload = request.files.get("file")
            if upload is None:
                return self.response_400(message=_("请用 multipart/form-data 的 file 字段上传文件"))
            application = applications.upload(current_user, campaign, kind, upload.stream, upload.filename)
        except RequestEntityTooLarge:
            db.session.rollback()
            return self.response(413, message=request_limits.refusal())
        except applications.NotEditable as refused:
            return self.response(409, message=str(refused))
        except media_intake.MediaRefused as refused:
            db.session.rollback()
            return self.response(422, message=str(refused))
        return self.response(200, result=as_json(application))

    @expose("/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self):
        """Submit the application (only inside the 在线报名 window).
        ---
        post:
          responses:
            200: {description: submitted}
            403: {description: outside the window}
            422: {description: incomplete, with the fields to fix}
        """
        application = self._mine()
        if application is None:
            return self.response_404()
        try:
            workflow.perform(current_user, application.id, "submit")
        except workflow.WorkflowError as refused:
            return self.response(refused.status, message=str(refused), errors={k: str(v) for k, v in refused.errors.items()})
        return self.response(200, result=as_json(db.session.get(Application, application.id)))
