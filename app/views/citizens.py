"""申报人注册: a citizen registers with a mobile number, a password and a captcha drawn by the portal itself."""
from flask import Response, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from wtforms import PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from app import accounts, captcha, citizens, schedule
from app.extensions import db
from app.models import Stage
from app.names import Name
from app.phones import PhoneError, normalize_mobile

CAPTCHA = "register"  # app/captcha.py's purpose: its own image, apart from the objection form's


def valid_mobile(form, field):
    try:
        field.data = normalize_mobile(field.data or "")
    except PhoneError as bad:
        raise ValidationError(str(bad)) from bad


class RegisterForm(DynamicForm):
    mobile = StringField(_l("手机号码（登录账号）"), validators=[DataRequired(_l("请填写手机号码")), valid_mobile])
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名")), Name(), Length(max=50)])
    password = PasswordField(
        _l("密码"), validators=[DataRequired(_l("请设置密码")), PasswordComplexityValidator()],
        description=accounts.PASSWORD_RULE,  # the rule the validator applies, as on the change-password page
    )
    conf_password = PasswordField(
        _l("确认密码"), validators=[DataRequired(_l("请再次输入密码")), EqualTo("password", _l("两次输入的密码不一致"))]
    )
    captcha = StringField(_l("验证码"), validators=[DataRequired(_l("请填写验证码"))])


class CitizenRegisterView(BaseView):
    route_base = "/register"
    default_view = "form"

    @expose("/", methods=["GET", "POST"])
    def form(self):
        form = RegisterForm()
        closed = None
        try:
            schedule.require_open(Stage.REGISTER)
        except schedule.StageClosed as refused:
            closed = str(refused)
        if request.method == "POST" and closed is None:
            # Every post uses up the image's answer, whatever else is wrong: one guess per picture.
            captcha_ok = captcha.matches(CAPTCHA, form.captcha.data or "")
            valid = form.validate_on_submit()
            if not captcha_ok:
                form.captcha.errors = list(form.captcha.errors or []) + [_("验证码不正确，请看新图片重新输入")]
            elif valid:
                try:
                    account = citizens.register(self.appbuilder.sm, form.mobile.data, form.name.data, form.password.data)
                    db.session.commit()
                except citizens.RegistrationError as bad:
                    db.session.rollback()
                    getattr(form, bad.field).errors.append(str(bad))
                else:
                    login_user(account)
                    flash(_("注册成功，欢迎您！请填写在线报名信息。"), "success")
                    return redirect(url_for("CitizenApplicationView.edit"))
        form.captcha.data = ""
        form.password.data = form.conf_password.data = ""
        return self.render_template("citizen/register.html", form=form, closed=closed)

    @expose("/captcha.png")
    def captcha(self):
        return Response(captcha.new_image(CAPTCHA), mimetype="image/png", headers={"Cache-Control": "no-store"})
