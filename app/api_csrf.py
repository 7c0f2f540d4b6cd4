"""CSRF on the REST API: a request signed in by the session cookie must carry the session's CSRF token for any
change (POST, PUT, PATCH, DELETE), as the HTML forms do; a request with a Bearer token needs none.

FAB exempts its API blueprints from CSRFProtect (app/extensions.py): a token client has no page to take a CSRF
token from. But the API also accepts the browser's session cookie, and SameSite=Lax sends it with requests from any
page of the same site (another host under the same domain). A page elsewhere cannot set an `Authorization` or
`X-CSRFToken` header without a CORS preflight, which the portal never grants: so a Bearer request cannot be forged,
and a cookie request can be told apart by its token.
"""
from flask import Flask, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.extensions import csrf
from app.security import bearer_token_request


def check_api_csrf():
    if not request.path.startswith("/api/") or request.method not in current_app.config["WTF_CSRF_METHODS"]:
        return None
    if not current_app.config["WTF_CSRF_ENABLED"] or bearer_token_request(request):
        return None
    # Without a signed-in session the request acts for no one (sign-in itself, the public API): nothing to forge.
    if not current_user.is_authenticated:
        return None
    try:
        csrf.protect()  # the token from the X-CSRFToken header (or a form's csrf_token field), and the referrer on HTTPS
    except CSRFError:
        message = _("使用网页登录状态调用接口修改数据时，须在 X-CSRFToken 请求头中带上页面的安全令牌；"
                    "程序调用请改用登录令牌（Authorization: Bearer）。")
        return jsonify(message=message), 400  # as CSRFProtect refuses a form (app/errors.py)
    return None


def register_api_csrf(app: Flask) -> None:
    app.before_request(check_api_csrf)
