"""我的通知 (app/views/notifications.py) and the navbar's unread count: newest first, opening marks read, 全部标为已读,
another's message is 404, and the count is each account's own although the menu is cached per process."""
import re
from datetime import datetime, timedelta

from app import clock, notifications, roles
from app.extensions import db
from app.models import Notification
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


def badge(html: str) -> str | None:
    found = re.search(r'class="badge notification-count">([^<]*)<', html)
    return found.group(1) if found else None


def citizen_with_messages():
    clock.freeze(NOW)
    citizen = factories.account(roles.APPLICANT)
    notifications.notify([citizen], "returned", "您的报名被退回修改", "照片不清晰，请重新上传", "/apply/")
    db.session.commit()
    clock.freeze(NOW + timedelta(minutes=5))
    notifications.notify([citizen], "recommended", "您的报名已获推荐", "中关村街道已推荐您的报名", "/apply/")
    db.session.commit()
    return citizen


def test_the_list_is_newest_first_and_opening_one_marks_it_read(app):
    citizen = citizen_with_messages()
    client = factories.login(app.test_client(), citizen)
    page = client.get("/notifications/").get_data(as_text=True)
    assert badge(page) == "2" and "2 条未读" in page
    assert page.index("您的报名已获推荐") < page.index("您的报名被退回修改")
    returned = db.session.query(Notification).filter_by(kind="returned").one()
    shown = client.get(f"/notifications/{returned.id}").get_data(as_text=True)
    assert "照片不清晰，请重新上传" in shown and 'href="/apply/"' in shown and "前往办理" in shown
    assert badge(shown) == "1"
    db.session.expire_all()
    assert db.session.get(Notification, returned.id).read_at == NOW + timedelta(minutes=5)
    response = client.post("/notifications/read-all")
    assert response.status_code == 302
    page = client.get("/notifications/").get_data(as_text=True)
    assert badge(page) is None and "没有未读通知" in page and "全部标为已读" not in page


def test_another_accounts_message_is_not_found_and_stays_unread(app):
    citizen = citizen_with_messages()
    other = factories.login(app.test_client(), factories.account(roles.APPLICANT))
    mine = db.session.query(Notification).filter_by(account_id=citizen.id).first()
    assert other.get(f"/notifications/{mine.id}").status_code == 404
    assert other.get("/notifications/999999999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).read_at is None
    assert "还没有通知" in other.get("/notifications/").get_data(as_text=True)


def test_signed_out_visitors_go_to_sign_in_and_see_no_bell(app):
    response = app.test_client().get("/notifications/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert "notification-bell" not in app.test_client().get("/").get_data(as_text=True)


def test_the_count_is_each_accounts_own_although_the_menu_is_cached(app):
    """Two clerks of one role and language see the same cached menu, each with their own count."""
    clock.freeze(NOW)
    _, (street, sibling) = factories.district_with_streets()
    busy, idle = factories.account(roles.L2_CLERK, unit=street), factories.account(roles.L2_CLERK, unit=sibling)
    notifications.notify([busy], "deadline", "二级单位自评推荐还有不到 1 天截止", "尚有 3 份报名未处理", "/applications/list/")
    db.session.commit()
    busy_client, idle_client = (factories.login(app.test_client(), a) for a in (busy, idle))
    for _ in range(2):
        busy_page = busy_client.get("/applications/list/").get_data(as_text=True)
        idle_page = idle_client.get("/applications/list/").get_data(as_text=True)
        assert badge(busy_page) == "1" and badge(idle_page) is None
        assert 'aria-label="我的通知（1 条未读）"' in busy_page and "notification-bell" in idle_page
