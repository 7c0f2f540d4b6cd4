"""我的通知: every signed-in account's 站内通知 (app/notifications.py), newest first; opening one marks it read and
shows where to act; 全部标为已读. Like 我的任务 these pages need no permission: a notification is its recipient's
alone, anyone else gets 404. The navbar's count is drawn per request beside the cached menu (appbuilder/navbar.html)."""
from flask import abort, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import notifications
from app.views.jobs import signed_in

PAGE_SIZE = 20


def unread_notifications() -> int:
    """The navbar's badge: the signed-in account's unread count (one query), 0 for a visitor."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    return notifications.unread_count(current_user)


class NotificationView(BaseView):
    route_base = "/notifications"
    default_view = "mine"

    @expose("/")
    @signed_in
    def mine(self):
        page = request.args.get("page", "")
        page = int(page) if page.isdigit() and len(page) < 7 else 0
        rows, total = notifications.mine(current_user, page, PAGE_SIZE)
        return self.render_template(
            "notifications/list.html", rows=rows, total=total, page=page,
            pages=(total + PAGE_SIZE - 1) // PAGE_SIZE, unread=notifications.unread_count(current_user),
            kind_label=notifications.kind_label, title=_l("我的通知"))

    @expose("/<int:notification_id>")
    @signed_in
    def show(self, notification_id):
        row = notifications.mark_read(current_user, notification_id)
        if row is None:
            abort(404)
        return self.render_template("notifications/show.html", row=row, kind_label=notifications.kind_label,
                                    title=row.title or _("通知"))

    @expose("/read-all", methods=["POST"])
    @signed_in
    def read_all(self):
        notifications.mark_all_read(current_user)
        return redirect(url_for(".mine"))


def register(app) -> None:
    app.add_template_global(unread_notifications)
