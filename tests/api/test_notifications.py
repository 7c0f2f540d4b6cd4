"""/api/v1/notifications/ with a Bearer token and no cookie: the account's own, newest first, marked read one by
one or all at once; another's is 404."""
from datetime import datetime, timedelta

from app import clock, notifications, roles
from app.extensions import db
from app.models import Notification
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


def test_a_token_lists_and_marks_its_own_notifications(app):
    clock.freeze(NOW)
    citizen, other = factories.account(roles.APPLICANT), factories.account(roles.APPLICANT)
    notifications.notify([citizen], "returned", "您的报名被退回修改", "请补充事迹材料", "/apply/")
    notifications.notify([other], "returned", "别人的通知", "不属于您", "/apply/")
    db.session.commit()
    clock.freeze(NOW + timedelta(hours=1))
    notifications.notify([citizen], "recommended", "您的报名已获推荐", "中关村街道已推荐您的报名", "/apply/")
    db.session.commit()
    token = factories.api_client(app, citizen)
    body = token.get("/api/v1/notifications/").json
    assert (body["count"], body["unread"]) == (2, 2)
    assert [r["title"] for r in body["result"]] == ["您的报名已获推荐", "您的报名被退回修改"]
    first = body["result"][1]
    assert (first["kind"], first["kind_label"], first["link"]) == ("returned", "报名退回", "/apply/")
    assert first["read_at"] is None
    assert first["created_at"] == NOW.isoformat()

    theirs = db.session.query(Notification).filter_by(account_id=other.id).one()
    assert token.get(f"/api/v1/notifications/{theirs.id}").status_code == 404
    assert token.post(f"/api/v1/notifications/{theirs.id}/read").status_code == 404
    read = token.post(f"/api/v1/notifications/{first['id']}/read")
    assert read.status_code == 200 and read.json["unread"] == 1 and read.json["result"]["read_at"]
    unread = token.get("/api/v1/notifications/?unread=1").json
    assert unread["count"] == 1 and unread["result"][0]["title"] == "您的报名已获推荐"
    assert token.get("/api/v1/notifications/?page_size=1&page=1").json["result"][0]["id"] == first["id"]
    assert token.post("/api/v1/notifications/read").json == {"marked": 1, "unread": 0}
    db.session.expire_all()
    assert db.session.get(Notification, theirs.id).read_at is None


def test_without_a_token_nothing(app):
    assert app.test_client(use_cookies=False).get("/api/v1/notifications/").status_code == 401
