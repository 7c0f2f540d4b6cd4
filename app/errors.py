"""The error boundary: every refusal and every failure is answered in Chinese (JSON under /api/), with the portal's
layout and no details; refusals and missing rows look the same to every role. An exception nobody handled is
logged with its traceback and answered 500 — the last net: each module still refuses its own bad input with a 4xx."""
from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app import request_limits


def _messages() -> dict:
    return {
        400: (_("请求有误"), _("提交的内容无法处理，请返回重试。")),
        403: (_("无权访问"), _("您的账号没有权限访问该页面或该记录。")),
        404: (_("页面不存在"), _("找不到该页面或记录，或者您无权查看它。")),
        405: (_("请求方式有误"), _("该地址不接受这种请求方式，请从页面上的链接或按钮进入。")),
        413: (_("内容太大"), request_limits.refusal()),
        429: (_("操作过于频繁"), _("短时间内尝试次数太多，请稍等一分钟再试。")),
        500: (_("系统出错"), _("处理您的请求时出错，已记录下来，请稍后重试；如仍有问题，请联系市学习办。")),
    }


def register_error_pages(app) -> None:
    def render(error: HTTPException):
        if error.code is None or error.code < 400:
            return error  # a redirect raised as an exception (routing's trailing slash) goes out as it is
        messages = _messages()
        code = error.code if error.code in messages else (500 if error.code >= 500 else 400)
        title, message = messages[code]
        if error.description and not str(error.description).isascii():
            message = str(error.description)  # a refusal that says why in Chinese (app/bounds.py); never werkzeug's English
        if error.code == 429 and request.path.startswith("/gongshi/yiyi"):
            # The objection form's limit counts per hour (OBJECTION_RATE_LIMIT), not per minute.
            message = _("同一网络地址短时间内提交次数太多，请一小时后再试；如有急事，请致电市学习办（见“联系我们”）。")
        return _answer(app, title, message, error.code, error)

    app.register_error_handler(HTTPException, render)

    def csrf_failed(error: CSRFError):
        message = _("页面已过期或来源不明（缺少安全令牌），请刷新页面后重试。")
        if request.accept_mimetypes.best == "application/json" or request.is_json:
            return jsonify(message=message), 400
        return _answer(app, _("请刷新页面"), message, 400, error)

    app.register_error_handler(CSRFError, csrf_failed)

    def failed(error: Exception):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render(InternalServerError(original_exception=error))

    app.register_error_handler(Exception, failed)


def _answer(app, title, message, status, error):
    """JSON under /api/, else the error page in the layout; if even the layout fails (the database is down), a
    bare Chinese page — never Werkzeug's English one."""
    from app.extensions import db

    if status >= 500:
        db.session.rollback()  # a failed statement leaves PostgreSQL's transaction unusable for the layout's queries
    headers = getattr(error, "get_headers", lambda: [])()
    headers = [(k, v) for k, v in headers if k.lower() in ("allow", "retry-after")]
    if request.path.startswith("/api/"):
        return jsonify(message=message), status, headers
    try:
        _ensure_user()
        return render_template("error.html", title=title, message=message, appbuilder=app.appbuilder), status, headers
    except Exception:  # noqa: BLE001  (the page of last resort must not fail itself)
        current_app.logger.exception("error page failed on %s", request.path)
        db.session.rollback()
        page = f"<!doctype html><meta charset=utf-8><title>{title}</title><h2>{title}</h2><p>{message}</p>"
        return page, status, [("Content-Type", "text/html; charset=utf-8")]


def _ensure_user():
    # Refusals raised before FAB's own before_request (CSRF is checked first) still render the layout, which reads g.user.
    if "user" not in g:
        g.user = current_user
