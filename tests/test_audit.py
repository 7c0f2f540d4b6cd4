"""The audit log: what is recorded, by whom, and that nobody can change it."""
from app import roles
from app.audit import audit_as, record
from app.extensions import db
from app.models import AuditEvent, Stage
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
    assert rules == {"/audit/list/", "/audit/show/<pk>"}


def test_only_the_auditor_and_the_city_office_read_the_log(client):
    factories.login(client, factories.account(roles.L1_CLERK, unit=factories.unit()))
    assert client.get("/audit/list/").status_code == 403


def test_workflow_steps_read_in_words_in_the_log(client):
    from app.views.audit import action_label

    assert str(action_label("application.l2_recommend")) == "报名：推荐"
    assert str(action_label("unit.l2_submit")) == "单位：提交至一级单位"
    assert str(action_label("unit.create")) == "新增单位"
    assert action_label("something.unknown") == "something.unknown"
