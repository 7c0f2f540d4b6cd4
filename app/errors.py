"""Error pages in Chinese (JSON under /api/): refusals and missing rows look the same to every role."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def register_error_pages(app) -> None:
    messages = {
        400: lambda: (_("请求有误"), _("提交的内容无法处理，请返回重试。")),
        403: lambda: (_("无权访问"), _("您的账号没有权限访问该页面或该记录。")),
        404: lambda: (_("页面不存在"), _("找不到该页面或记录，或者您无权查看它。")),
        413: lambda: (_("文件太大"), _("上传的文件超过了允许的大小。")),
    }

    def render(error: HTTPException):
        title, message = messages[error.code]()
        if request.path.startswith("/api/"):
            return jsonify(message=message), error.code
        return render_template("error.html", title=title, message=message, appbuilder=app.appbuilder), error.code

    for code in messages:
        app.register_error_handler(code, render)
