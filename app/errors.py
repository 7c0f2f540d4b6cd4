"""Error pages in Chinese (JSON under /api/): refusals and missing rows look the same to every role."""
from flask import g, jsonify, render_template, request
from flask_login import current_user
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app import request_limits


def register_error_pages(app) -> None:
    messages = {
        400: lambda: (_("请求有误"), _("提交的内容无法处理，请返回重试。")),
        403: lambda: (_("无权访问"), _("您的账号没有权限访问该页面或该记录。")),
        404: lambda: (_("页面不存在"), _("找不到该页面或记录，或者您无权查看它。")),
        413: lambda: (_("内容太大"), request_limits.refusal()),
        429: lambda: (_("操作过于频繁"), _("短时间内尝试次数太多，请稍等一分钟再试。")),
    }

    def render(error: HTTPException):
        _ensure_user()
        title, message = messages[error.code]()
        if error.code == 429 and request.path.startswith("/gongshi/yiyi"):
            # The objection form's limit counts per hour (OBJECTION_RATE_LIMIT), not per minute.
            message = _("同一网络地址短时间内提交次数太多，请一小时后再试；如有急事，请致电市学习办（见“联系我们”）。")
        if request.path.startswith("/api/"):
            return jsonify(message=message), error.code
        return render_template("error.html", title=title, message=message, appbuilder=app.appbuilder), error.code

    for code in messages:
        app.register_error_handler(code, render)

    def csrf_failed(error: CSRFError):
        _ensure_user()
        message = _("页面已过期或来源不明（缺少安全令牌），请刷新页面后重试。")
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json" or request.is_json:
            return jsonify(message=message), 400
        return render_template("error.html", title=_("请刷新页面"), message=message, appbuilder=app.appbuilder), 400

    app.register_error_handler(CSRFError, csrf_failed)


def _ensure_user():
    # Refusals raised before FAB's own before_request (CSRF is checked first) still render the layout, which reads g.user.
    if "user" not in g:
        g.user = current_user
