"""/api/v1/notifications/: the signed-in account's 站内通知 (app/notifications.py), newest first, and marking them
read. Every account may (roles.yaml base: Notifications), about its own only: another's id is 404."""
from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_login import current_user

from app import notifications
from app.api.base import PortalBaseApi

PAGE_SIZE_MAX = 100


def _json(row) -> dict:
    return {"id": row.id, "kind": row.kind, "kind_label": notifications.kind_label(row.kind), "title": row.title,
            "text": row.text, "link": row.link, "created_at": row.at.isoformat(),
            "read_at": row.read_at.isoformat() if row.read_at else None}


def _number(name: str, default: int, most: int) -> int:
    value = request.args.get(name, "")
    return min(int(value), most) if value.isdigit() else default


class NotificationApi(PortalBaseApi):
    resource_name = "notifications"
    class_permission_name = "Notifications"
    method_permission_name = {"get_list": "read", "get": "read", "mark_read": "write", "mark_all_read": "write"}

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The account's notifications, newest first.
        ---
        get:
          parameters:
          - {in: query, name: unread, schema: {type: integer}, description: "1: unread ones only"}
          - {in: query, name: page, schema: {type: integer}}
          - {in: query, name: page_size, schema: {type: integer}}
          responses:
            200: {description: "count (of the filter), unread (all unread), result: the page's rows"}
        """
        size = max(_number("page_size", 20, PAGE_SIZE_MAX), 1)
        rows, total = notifications.mine(current_user, _number("page", 0, 10**6), size,
                                         unread_only=request.args.get("unread") == "1")
        return self.response(200, count=total, unread=notifications.unread_count(current_user),
                             result=[_json(row) for row in rows])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One notification of the account (reading it does not mark it read: POST …/read does).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: "result: the notification"}
            404: {description: "no such notification of this account"}
        """
        row = notifications.find(current_user, pk)
        if row is None:
            return self.response_404()
        return self.response(200, result=_json(row))

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    @safe
    def mark_read(self, pk):
        """Mark one notification of the account read.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: "result: the notification; unread: how many are left"}
            404: {description: "no such notification of this account"}
        """
        row = notifications.mark_read(current_user, pk)
        if row is None:
            return self.response_404()
        return self.response(200, result=_json(row), unread=notifications.unread_count(current_user))

    @expose("/read", methods=["POST"])
    @protect()
    @safe
    def mark_all_read(self):
        """全部标为已读.
        ---
        post:
          responses:
            200: {description: "marked: how many were unread; unread: 0"}
        """
        marked = notifications.mark_all_read(current_user)
        return self.response(200, marked=marked, unread=0)
