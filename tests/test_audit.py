"""The audit log: what is recorded, by whom, and that nobody can change it."""
from app import roles
from app.audit import audit_as, record
from app.extensions import db
from app.models import AuditEvent, Stage, Unit
from tests import factories


def events(**filters):
    return db.session.query(AuditEvent).filter_by(**filters).order_by(AuditEvent.id).all()


def test_changes_to_audited_rows_are_logged_with_old_and_new_values():
    unit = factories.unit(name="海淀区")
    unit.contact_phone = "010-82364980"
    db.session.commit()
    update = events(action="unit.update")[0]
    assert update.detail == {"contact_phone": [None, "010-82364980"]}
    assert update.object_id == str(unit.id) and update.actor_name == "system"
    assert events(action="unit.create")[0].object_id == str(unit.id)


def test_passwords_never_reach_the_log():
    account = factories.account(roles.CITY_OFFICE)
    account.password = "hash-that-must-not-be-logged"
    db.session.commit()
    assert "hash-that-must-not-be-logged" not in str([e.detail for e in events()])
    assert events(action="account.update")[0].detail == {"password": "***"}


def test_login_bookkeeping_is_not_an_account_change(client):
    account = factories.account(roles.CITY_OFFICE)
    count = db.session.query(AuditEvent).count()
    factories.login(client, account)
    assert db.session.query(AuditEvent).count() == count


def test_named_actions_and_free_records():
    account = factories.account(roles.CITY_OFFICE)
    account.must_change_password = True
    audit_as(account, "account.password_reset", by="desk")
    record("export.download", "unit", 7, "海淀区", rows=3)
    db.session.commit()
    assert events(action="account.password_reset")[0].detail == {"must_change_password": [False, True], "by": "desk"}
    assert events(action="export.download")[0].detail == {"rows": 3}


def test_schedule_change_in_the_screen_is_logged(client):
    campaign = factories.campaign(year=2027)
    window = campaign.window(Stage.APPLY)
    factories.login(client, factories.account(roles.CITY_OFFICE, username="desk"))
    response = client.post(
        f"/campaigns/windows/edit/{window.id}",
        data={"starts_at": "2027-04-04 00:00:00", "ends_at": "2027-05-03 23:59:59"},
    )
    assert response.status_code == 302
    event = events(action="stage_window.update")[0]
    assert event.actor_name == "desk" and event.detail["ends_at"][1] == "2027-05-03 23:59:59"


def test_schedule_form_refuses_an_end_before_the_start(client):
    window = factories.campaign(year=2027).window(Stage.APPLY)
    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.post(
        f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-04 00:00:00", "ends_at": "2027-04-01 00:00:00"}
    )
    assert "截止时间必须晚于开始时间" in response.text


def test_audit_log_is_read_only_for_everybody(app, client):
    factories.unit(name="海淀区")
    event = events()[0]
    factories.login(client, factories.account(roles.AUDITOR))
    assert "海淀区" in client.get("/audit/list/").text
    assert client.get(f"/audit/show/{event.id}").status_code == 200
    for url in (f"/audit/edit/{event.id}", f"/audit/delete/{event.id}", "/audit/add", "/audit/action_post"):
        assert client.post(url).status_code == 404, url
    rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/audit/")}
    assert rules == {"/audit/list/", "/audit/show/<pk>", "/audit/export.xlsx"}


def test_only_the_auditor_and_the_city_office_read_the_log(client):
    factories.login(client, factories.account(roles.L1_CLERK, unit=factories.unit()))
    assert client.get("/audit/list/").status_code == 403


def test_workflow_steps_read_in_words_in_the_log(client):
    from app.views.audit import action_label

    assert str(action_label("application.l2_recommend")) == "报名：推荐"
    assert str(action_label("unit.l2_submit")) == "单位：提交至一级单位"
    assert str(action_label("unit.create")) == "新增单位"
    assert action_label("something.unknown") == "something.unknown"


def _table(html: str) -> str:
    """The text of the page's data table(s), without tags."""
    import re

    tables = "".join(re.findall(r"<table.*?</table>", html, flags=re.S))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", tables))


def test_the_log_reads_as_chinese_for_every_kind_of_event(app):
    """Unit created, window moved, password reset, decision, export: labels and old → new values in words."""
    from datetime import datetime

    from app import clock, workflow

    clock.freeze(datetime(2027, 5, 1, 10, 0))
    campaign = factories.campaign(year=2027, open_stage=Stage.L2_REVIEW)
    city = factories.account(roles.CITY_OFFICE, username="desk", first_name="王立群")
    desk = factories.login(app.test_client(), city)
    desk.post("/units/first-level/add", data={"name": "海淀区", "category": "district", "contact_name": "周丽华",
                                              "contact_phone": "010-82364980"})
    district = db.session.query(Unit).filter_by(name="海淀区").one()
    street = factories.unit(name="中关村街道", parent=district)
    window = campaign.window(Stage.L2_REVIEW)
    start = window.starts_at.strftime("%Y-%m-%d %H:%M:%S")
    desk.post(f"/campaigns/windows/edit/{window.id}", data={"starts_at": start, "ends_at": "2027-05-03 23:59:59"})
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-zgc", first_name="张伟")
    desk.post(f"/accounts/action/reset_password/{clerk.id}")
    application = factories.application(unit=street, campaign=campaign, name="李学习")
    with app.test_request_context():
        workflow.perform(clerk, application.id, "l2_recommend", "同意推荐")
    desk.get("/applications/export.xlsx?stage=l2")

    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR))
    listing = _table(auditor.get("/audit/list/").text)
    expected = {
        "unit.create": ["新增单位", "单位名称：海淀区", "类别：区", "联系人：周丽华", "市学习办 · 王立群（desk）"],
        "stage_window.update": ["修改阶段时间", "截止时间（北京时间）：", "→ 2027-05-03 23:59:59"],
        "account.password_reset": ["重置密码", "待修改初始密码：否 → 是"],
        "application.l2_recommend": ["报名：推荐", "原状态：已提交，待二级单位评审",
                                     "新状态：二级单位拟推荐（未提交）", "意见：同意推荐"],
        "export.applications": ["导出报名信息", "导出行数：1", "评选批次：", "阶段：二级单位已推荐",
                                "完整身份证号和手机号：是"],
    }
    for action, texts in expected.items():
        event = db.session.query(AuditEvent).filter_by(action=action).order_by(AuditEvent.id).first()
        assert event is not None, action
        shown = _table(auditor.get(f"/audit/show/{event.id}").text)
        for text in texts:
            assert text in shown, (action, text, shown)
            assert text in listing, (action, text)
        for raw in ("{", "}", "['", "'", "ends_at", "from_status", "l2_recommended", "must_change_password",
                    "full_numbers", "rows", "True", "False", "None", "[二级单位]"):
            assert raw not in shown, (action, raw, shown)
    account_created = db.session.query(AuditEvent).filter_by(action="account.create", object_id=str(clerk.id)).one()
    shown = _table(auditor.get(f"/audit/show/{account_created.id}").text)
    assert "角色：二级单位" in shown and "所属单位：海淀区 · 中关村街道" in shown and "[" not in shown


def test_role_changes_and_moved_units_read_by_name():
    from flask import current_app

    from app.views.audit import detail_lines

    district, (street, _) = factories.district_with_streets()
    other = factories.unit(name="朝阳区")
    account = factories.account(roles.L2_CLERK, unit=street)
    account.roles = [current_app.appbuilder.sm.find_role(roles.L1_CLERK)]
    account.unit_id = district.id
    db.session.commit()
    lines = [line for event in events(action="account.update") for line in detail_lines(event)]
    assert dict(lines) == {"角色": "增加 一级单位；去掉 二级单位", "角色（变更前 → 变更后）": "二级单位 → 一级单位",
                           "所属单位": "海淀区 · 中关村街道 → 海淀区"}
    street.parent_id = other.id
    db.session.commit()
    (moved,) = events(action="unit.update")[-1:]
    assert ("所属一级单位", "海淀区 → 朝阳区") in detail_lines(moved)
