"""How big a request body may be, per route, refused before the body is read (HTTP 413).

A body is refused from its Content-Length before anything reads it; a body without one (chunked) is read through
a stream that stops at the limit. Sign-in takes a few KB, other JSON a little more, HTML forms 1 MB; the routes
that take a file take that file's limit (R-APP-4/5: photo 2 MB, video 50 MB), spreadsheet imports MAX_CONTENT_LENGTH.
Without this every route took MAX_CONTENT_LENGTH (60 MB): an unauthenticated 59 MB JSON sign-in was read whole.
"""
from flask import Flask, abort, current_app, request
from flask_babel import gettext as _

from app.approval import DECISION_MAX_BYTES
from app.media_intake import FORM_MAX_BYTES, PHOTO_MAX_BYTES, VIDEO_MAX_BYTES

# Room for the multipart envelope around one file (boundaries, headers, the file's name).
_ENVELOPE = 64 * 1024

SIGN_IN = {"PortalAuthDBView.login", "SecurityApi.login", "SecurityApi.refresh", "CitizenRegisterView.form"}
SPREADSHEETS = {"SecondLevelUnitView.import_sheet", "ExpertView.import_sheet", "PastWinnerView.import_sheet"}


def _upload_limits() -> dict[str, tuple[int, object]]:
    """endpoint -> (limit, what the citizen or clerk is told); the API's upload by its `kind`."""
    photo = (PHOTO_MAX_BYTES + _ENVELOPE, lambda: _("照片不能超过 2MB，请压缩或换一张后重新上传"))
    video = (VIDEO_MAX_BYTES + _ENVELOPE, lambda: _("视频不能超过 50MB，请压缩或剪短后重新上传"))
    decision = (DECISION_MAX_BYTES + _ENVELOPE, lambda: _("审核决定文件不能超过 20MB，请压缩后重新上传"))
    return {
        "CitizenApplicationView.upload_photo": photo,
        "CitizenApplicationView.upload_video": video,
        "MyApplicationApi.upload/photo": photo,
        "MyApplicationApi.upload/video": video,
        "CitizenApplicationView.save": (
            FORM_MAX_BYTES, lambda: _("照片不能超过 2MB、视频不能超过 50MB，请压缩后重新上传")
        ),
        "ApprovalView.approve": decision,
        "ApprovalApi.post_decision": decision,
    }


_UPLOADS = _upload_limits()


def _route() -> str:
    endpoint = request.endpoint or ""
    if endpoint == "MyApplicationApi.upload":
        return f"{endpoint}/{(request.view_args or {}).get('kind')}"
    return endpoint


def limit() -> int:
    """The largest body the current request's route accepts, in bytes."""
    route = _route()
    config = current_app.config
    if route in _UPLOADS:
        return _UPLOADS[route][0]
    if route in SPREADSHEETS:
        return config["MAX_CONTENT_LENGTH"]
    if route in SIGN_IN:
        return config["BODY_LIMIT_SIGN_IN"]
    if request.path.startswith("/api/"):
        return config["BODY_LIMIT_JSON"]
    return config["BODY_LIMIT_FORM"]


def refusal() -> str:
    """The Chinese message of a 413 for the current request: the file's own limit where a file is taken."""
    route = _route()
    if route in _UPLOADS:
        return _UPLOADS[route][1]()
    if route in SPREADSHEETS:
        return _("Excel 文件不能超过 %(mb)s MB，请分成几个文件上传", mb=current_app.config["MAX_CONTENT_LENGTH"] // 2**20)
    return _("提交的内容过大（不能超过 %(kb)s KB），请检查后重新提交", kb=max(1, limit() // 1024))


def refuse_oversized_body():
    """before_request, registered ahead of everything that reads a body (CSRF reads the form)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    allowed = limit()
    # Flask 3.1: werkzeug's stream and form parser stop at this, for bodies without a Content-Length too.
    request.max_content_length = allowed
    if request.content_length is not None:
        if request.content_length > allowed:
            abort(413)
    elif allowed <= current_app.config["BODY_LIMIT_FORM"]:
        # A chunked body to a route without a file: read it now, bounded (cached for the view), so that its 413
        # comes from here and not from inside a REST view whose @safe would answer 500. Werkzeug's whole-body read
        # stops quietly at the limit, so one byte more is let in to tell "too long" from "exactly the limit".
        request.max_content_length = allowed + 1
        if len(request.get_data(cache=True)) > allowed:
            abort(413)
        request.max_content_length = allowed


def init_app(app: Flask) -> None:
    app.before_request(refuse_oversized_body)
