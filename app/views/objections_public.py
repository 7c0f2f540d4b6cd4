"""公示异议, the public's side (no sign-in): lodge an objection to a candidate at /gongshi/yiyi/ with the portal's own
captcha, keep the receipt, and look up how it stands at /gongshi/yiyi/chaxun with the receipt and the phone.

Both POSTs are rate limited per address (OBJECTION_RATE_LIMIT, app/__init__.py). The rules are app/objections.py's.
"""
from flask import Response, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.forms import DynamicForm
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField

from app import captcha, objections, schedule
from app.models.publicity import ObjectionStatus

CAPTCHA = "objection"  # app/captcha.py's purpose: its own image, apart from registration's
RECEIPT_KEY = "objection_receipt"  # the last receipt lodged in this browser, for the receipt page


class LodgeForm(DynamicForm):
    # The checks are app/objections.py's (one place for the page and any other caller); the form only carries.
    application_id = SelectField(_l("异议对象（候选人）"), choices=[], validate_choice=False)
    facts = TextAreaField(
        _l("异议的事实和理由"),
        description=_l("请具体写明候选人的哪些情况与事实不符，以及您了解的情况（20 至 2000 字）"),
    )
    objector_name = StringField(_l("您的真实姓名"))
    objector_phone = StringField(_l("您的手机号码"), description=_l("市学习办将通过此号码与您联系核实；查询办理情况也需要它"))
    objector_unit = StringField(_l("工作单位或住址（选填）"), description=_l("便于核实情况"))
    captcha = StringField(_l("验证码"))


class LookupForm(DynamicForm):
    receipt_number = StringField(_l("回执编号"), description=_l("提交异议后页面显示的编号，如 YY2026-7KQ4M9"))
    phone = StringField(_l("提交异议时填写的手机号码"))


def candidate_label(application) -> str:
    unit = application.unit.name if application.unit is not None else ""
    return f"{application.name}（{unit}）" if unit else application.name


class ObjectionPublicView(BaseView):
    route_base = "/gongshi/yiyi"
    default_view = "lodge"

    def _lodge_page(self, form, campaign, closed, message=None):
        candidates = objections.public_candidates(campaign) if not closed else []
        form.application_id.choices = [("", _("请选择候选人"))] + [(str(a.id), candidate_label(a)) for a in candidates]
        window = campaign.window("publicity") if campaign is not None else None
        return self.render_template(
            "objections/lodge.html", form=form, closed=closed, message=message, window=window,
            format_time=schedule.format_time,
        )

    @expose("/", methods=["GET", "POST"])
    def lodge(self):
        form = LodgeForm()
        campaign = schedule.current_campaign()
        closed = objections.window_refusal(campaign)
        if request.method == "GET":
            form.application_id.data = request.args.get("candidate", "")
            return self._lodge_page(form, campaign, closed)
        message = None
        # Every post uses up the image's answer, whatever else is wrong: one guess per picture.
        if not captcha.matches(CAPTCHA, form.captcha.data or ""):
            form.captcha.errors = [_("验证码不正确，请看新图片重新输入")]
            message = _("验证码不正确：您填写的内容都已保留，请输入新的验证码后再提交")
            fields = (form.application_id.data, form.objector_name.data, form.objector_phone.data,
                      form.objector_unit.data, form.facts.data)
            for name, error in objections.lodge_errors(campaign, *fields).items():
                getattr(form, name).errors = [error]
        elif not closed:
            try:
                objection = objections.lodge(
                    campaign, form.application_id.data, form.objector_name.data, form.objector_phone.data,
                    form.objector_unit.data, form.facts.data,
                )
            except objections.WorkflowError as refused:
                for name, error in refused.errors.items():
                    getattr(form, name).errors = [error]
                message = str(refused)
            else:
                session[RECEIPT_KEY] = objection.receipt_number
                return redirect(url_for(".receipt"))
        form.captcha.data = ""
        return self._lodge_page(form, campaign, closed, message)

    @expose("/huizhi")
    def receipt(self):
        """The receipt of the objection just lodged in this browser (reloading it lodges nothing again)."""
        receipt_number = session.get(RECEIPT_KEY)
        if not receipt_number:
            return redirect(url_for(".lodge"))
        return self.render_template("objections/receipt.html", receipt_number=receipt_number)

    @expose("/captcha.png")
    def captcha(self):
        return Response(captcha.new_image(CAPTCHA), mimetype="image/png", headers={"Cache-Control": "no-store"})

    @expose("/chaxun", methods=["GET", "POST"])
    def lookup(self):
        form = LookupForm()
        found, not_found = None, False
        if request.method == "POST":
            found = objections.lookup(form.receipt_number.data or "", form.phone.data or "")
            not_found = found is None
        elif session.get(RECEIPT_KEY):
            form.receipt_number.data = session[RECEIPT_KEY]
        return self.render_template(
            "objections/lookup.html", form=form, found=found, not_found=not_found,
            finished=found is not None and found.status_enum in (ObjectionStatus.CONCLUDED, ObjectionStatus.DISMISSED),
        )
