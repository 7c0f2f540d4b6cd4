"""The audit log: what is recorded, by whom, with what result, and that nobody can change it."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import clock, roles, workflow
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
    # The sign-in itself is logged (app/signin.py), FAB's counters it updates are not.
    assert [e.action for e in events()[count:]] == ["account.signin"]


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
    desk.post("/applications/export.xlsx?stage=l2")

    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR))
    listing = _table(auditor.get("/audit/list/").text)
    expected = {
        "unit.create": ["新增单位", "单位名称：海淀区", "类别：区", "联系人：周丽华", "市学习办 · 王立群（desk）"],
        "stage_window.update": ["修改阶段时间", "截止时间（北京时间）：", "→ 2027-05-03 23:59:59"],
        "account.password_reset": ["重置密码", "待修改初始密码：否 → 是"],
        "application.l2_recommend": ["报名：推荐", "原状态：已提交，待二级单位评审",
                                     "新状态：二级单位拟推荐（未提交）", "意见：同意推荐"],
        "export.applications": ["导出报名信息", "导出行数：1", "评选批次：", "阶段：二级单位已推荐",
                                "完整身份证号和手机号：否"],
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



def test_an_account_moved_through_its_unit_field_is_logged_by_name():
    """What a form's 所属单位 does (it sets account.unit, not account.unit_id): before, such a move left no event."""
    from app.views.audit import detail_lines

    district, (street, other_street) = factories.district_with_streets()
    account = factories.account(roles.L2_CLERK, unit=street)
    account.unit = other_street
    db.session.commit()
    (moved,) = events(action="account.update")
    assert moved.detail == {"unit_id": [street.id, other_street.id]}
    assert detail_lines(moved) == [("所属单位", "海淀区 · 中关村街道 → 海淀区 · 学院路街道")]
    db.session.expire(account)  # the relationship not loaded: the old unit is the stored column
    account.unit = district
    db.session.commit()
    assert events(action="account.update")[-1].detail == {"unit_id": [other_street.id, district.id]}
    account.unit = district  # the same unit again: nothing changed, nothing logged
    db.session.commit()
    assert len(events(action="account.update")) == 2


def test_a_street_moved_to_another_district_through_its_parent_is_logged():
    from app.views.audit import detail_lines

    district, (street, _) = factories.district_with_streets()
    other = factories.unit(name="朝阳区")
    street.parent = other
    db.session.commit()
    (moved,) = events(action="unit.update")[-1:]
    assert ("所属一级单位", "海淀区 → 朝阳区") in detail_lines(moved)


def test_rows_created_through_their_relationships_name_what_they_point_to():
    """An expert and a conflict made as the screens make them (relationships, no ids yet): the creation events say
    whose account, which unit and which applicant, by name."""
    from app.models import ExpertConflict
    from app.views.audit import detail_lines

    district, (street, _) = factories.district_with_streets()
    expert = factories.expert(employer_unit=district, first_name="李明")
    applicant = factories.application(unit=street, name="王芳")
    db.session.add(ExpertConflict(expert=expert, application=applicant, reason="同事"))
    db.session.commit()
    created = dict(detail_lines(events(action="expert.create")[-1]))
    assert created["专家账号"].endswith("李明") and created["所在单位（本系统）"] == "海淀区"
    conflict = dict(detail_lines(events(action="expert_conflict.create")[-1]))
    assert conflict["回避申报人"] == "王芳" and conflict["专家"] == "李明"

# --- 三员分立 / issue 10: result, refusals, exports, append-only, retention, what never reaches the log -----------


ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


def test_a_signed_in_users_refusals_are_logged_with_who_where_and_result(client):
    district, (street, _) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-zgc")
    factories.login(client, clerk)
    assert client.get("/audit/list/").status_code == 403
    assert client.get("/applications/show/999999?q=110108198001010011").status_code == 404  # a scoped lookup
    refused = events(action="access.refused")
    assert [(e.actor_name, e.ip, e.result, e.object_label, e.detail["status"]) for e in refused] == [
        ("l2-zgc", "127.0.0.1", "refused", "/audit/list/", 403),
        ("l2-zgc", "127.0.0.1", "refused", "/applications/show/999999", 404),
    ]
    assert "110108198001010011" not in str([(e.object_label, e.detail) for e in refused])  # no query string
    client.application.test_client().get("/audit/list/")
    assert len(events(action="access.refused")) == 2  # an anonymous visitor's: not logged


def test_the_audit_administrator_filters_by_result_time_and_address_and_exports(client):
    import io

    from openpyxl import load_workbook

    clock.freeze(datetime(2026, 3, 1, 9, 0))
    record("export.applications", "application", rows=3)
    db.session.commit()  # an event's time is taken when it is written
    clock.freeze(datetime(2026, 4, 1, 9, 0))
    record("access.refused", "request", None, "/audit/list/", result="refused", method="GET", status=403)
    db.session.commit()
    clock.freeze(None)
    auditor = factories.login(client, factories.account(roles.AUDITOR, username="shenji"))
    page = auditor.get("/audit/list/?_flt_3_result=refused").text
    assert "拒绝访问" in page and "导出报名信息" not in page
    assert 'action="/audit/export.xlsx?_flt_3_result=refused"' in page
    ranged = auditor.get("/audit/list/?_flt_1_at=2026-02-01+00:00:00&_flt_2_at=2026-03-15+00:00:00").text
    assert "导出报名信息" in ranged and "拒绝访问" not in ranged
    response = factories.job_file(auditor, auditor.post("/audit/export.xlsx?_flt_3_result=refused"))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    body = [row for row in rows if row and row[3] == "拒绝访问"]
    assert len(body) == 1 and body[0][4] == "拒绝" and not [row for row in rows if row and row[3] == "导出报名信息"]
    (exported,) = events(action="export.audit")
    assert exported.actor_name == "shenji" and exported.detail["rows"] == 1
    assert exported.detail["filters"] == [["result", "refused"]]


def test_print_and_pdf_exports_are_logged(client):
    application = factories.application(unit=factories.district_with_streets()[1][0])
    factories.login(client, factories.account(roles.CITY_OFFICE, username="desk"))
    assert client.get(f"/applications/print/{application.id}").status_code == 200
    (printed,) = events(action="export.print_recommendation")
    assert printed.actor_name == "desk" and printed.object_id == str(application.id)


@pytest.mark.postgres
def test_the_log_is_append_only_on_postgresql():
    factories.account(roles.CITY_OFFICE)
    event = events()[0]
    for statement in ("UPDATE audit_event SET action = 'x' WHERE id = :id", "DELETE FROM audit_event WHERE id = :id",
                      "UPDATE audit_event SET actor_id = NULL, action = 'x' WHERE id = :id"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement), {"id": event.id})
        db.session.rollback()
    assert events()[0].action == event.action


@pytest.mark.postgres
def test_deleting_an_account_that_acted_keeps_its_events_on_postgresql(client):
    desk = factories.account(roles.CITY_OFFICE, username="desk")
    factories.login(client, desk)
    client.get("/users/list/")
    factories.unit(name="朝阳区")  # not by desk: committed outside a request
    client.post("/units/first-level/add", data={"name": "丰台区", "category": "district"})
    acted = db.session.query(AuditEvent).filter(AuditEvent.actor_id == desk.id).count()
    assert acted
    db.session.execute(text("DELETE FROM ab_user_role WHERE user_id = :id"), {"id": desk.id})
    db.session.execute(text("DELETE FROM ab_user WHERE id = :id"), {"id": desk.id})
    db.session.commit()
    assert db.session.query(AuditEvent).filter(AuditEvent.actor_name == "desk").count() == acted


def test_purge_keeps_six_months_whatever_it_is_asked(app):
    clock.freeze(datetime.now() - timedelta(days=400))
    record("export.applications", "application", rows=1)
    db.session.commit()
    clock.freeze(datetime.now() - timedelta(days=30))
    record("export.applications", "application", rows=2)
    db.session.commit()
    clock.freeze(None)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["audit", "purge", "--older-than-days", "90"])
    assert refused.exit_code != 0 and "至少保存 180 天" in refused.output
    assert len(events(action="export.applications")) == 2
    done = runner.invoke(args=["audit", "purge", "--older-than-days", "365"])
    assert done.exit_code == 0, done.output
    assert [e.detail["rows"] for e in events(action="export.applications")] == [2]
    (purged,) = events(action="audit.purged")
    assert purged.detail["rows"] == 1 and purged.detail["older_than_days"] == 365


@pytest.mark.postgres
def test_the_database_refuses_to_delete_younger_events_even_in_a_purge():
    record("export.applications", "application", rows=1)
    db.session.commit()
    db.session.execute(text("SET LOCAL portal.audit_purge = 'on'"))
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_event"))
    db.session.rollback()


def test_a_retention_under_six_months_refuses_to_start(tmp_path):
    from tests.test_config import python

    started = python("import config", tmp_path, AUDIT_RETENTION_DAYS="90")
    assert started.returncode != 0 and "at least 180 days" in started.stderr
    assert python("import config; print(config.AUDIT_RETENTION_DAYS)", tmp_path,
                  AUDIT_RETENTION_DAYS="365").stdout.strip() == "365"


def test_no_id_number_and_no_password_ever_reaches_the_log(app, client):
    """Typical actions of a day: accounts made and reset, passwords changed, an application decided, exported,
    refused requests. Then every row of the log, read as text, holds no 18-digit ID number and no password."""
    clock.freeze(datetime(2026, 5, 1, 10, 0))
    campaign = factories.campaign(open_stage="l2_review", at=datetime(2026, 5, 1, 10, 0))
    district, (street, _) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-zgc")
    numbers = [factories.id_number(sequence=n) for n in (11, 12)]
    applications = [factories.application(unit=street, campaign=campaign, id_number=n) for n in numbers]
    passwords = ["Neu#Pass2026x", "Zwei#Pass2026y", "Drei#Pass2026z", factories.PASSWORD]

    desk = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE, username="desk"))
    desk.post("/users/add", data={"first_name": "芳", "last_name": "王", "username": "wangfang", "active": "y",
                                  "email": "wf@example.cn", "password": passwords[0], "conf_password": passwords[0],
                                  "roles": [str(app.appbuilder.sm.find_role(roles.L1_CLERK).id)]})
    desk.post(f"/resetpassword/form?pk={clerk.id}", data={"password": passwords[1], "conf_password": passwords[1]})
    desk.get(f"/applications/print/{applications[0].id}")
    desk.post("/applications/export.xlsx", data={"full": "1"})
    desk.get(f"/applications/list/?_flt_0_id_number={numbers[1]}")
    l2 = factories.login(app.test_client(), "l2-zgc", passwords[1])
    l2.post("/resetmypassword/form", data={"current_password": passwords[1], "password": passwords[2],
                                         "conf_password": passwords[2]})
    workflow.perform(clerk, applications[0].id, "l2_recommend", f"同意推荐（身份证 {numbers[0][:6]}…）")
    l2.get("/audit/list/")
    l2.get(f"/applications/show/{applications[1].id}?id={numbers[1]}")
    app.test_cli_runner().invoke(args=["accounts", "create-admin", "shenji", "--role", roles.AUDITOR])

    rows = db.session.query(AuditEvent).all()
    assert len(rows) >= 10
    assert {"account.create", "account.password_reset", "account.password_changed", "access.refused",
            "export.print_recommendation", "export.applications", "account.admin_created"} <= {e.action for e in rows}
    for event in rows:
        written = " ".join(str(v) for v in (event.actor_name, event.ip, event.action, event.object_type,
                                            event.object_id, event.object_label, event.detail, event.result))
        assert not ID_NUMBER.search(written), (event.action, written)
        assert not [p for p in passwords if p in written], (event.action, written)
        assert "pbkdf2:" not in written and "scrypt:" not in written, event.action


def _recorded_codes():
    """(action, object type) of every audit.record(...) in app/ whose action is written out; the f-string families
    (application.{action}, objection.{action}, …) as one code per member of their transition tables."""
    import pathlib
    import re

    from app import objections, scoring

    families = {
        "application": workflow_actions(), "unit": workflow_actions(),
        "review": list(scoring.TRANSITIONS), "objection": [*objections.TRANSITIONS, "lodge"],
    }
    call = re.compile(r'audit\.record\(\s*(f?)"([a-z_.{}]+)"\s*,\s*"([a-z_]+)"')
    codes = set()
    for path in pathlib.Path("app").rglob("*.py"):
        for is_f, action, object_type in call.findall(path.read_text(encoding="utf-8")):
            if is_f:
                family = action.split(".")[0]
                codes |= {(f"{family}.{member}", object_type) for member in families[family]}
            else:
                codes.add((action, object_type))
    return codes


def workflow_actions():
    from app import workflow

    return list(workflow.labels())


def test_every_action_the_portal_records_reads_in_chinese():
    """The auditor reads 审计日志 in words: no code the portal writes is shown as stored (campaign.approve and
    objection.* once were)."""
    from app.views.audit import action_label, object_type_label

    codes = _recorded_codes()
    assert ("campaign.approve", "campaign") in codes and ("objection.lodge", "objection") in codes
    for action, object_type in sorted(codes):
        assert str(action_label(action)) != action, action
        assert str(object_type_label(object_type)) != object_type, object_type


def test_an_objection_and_the_approval_read_in_words(app):
    """异议 lodged and handled, 审核确定 recorded: the auditor's page names the candidate, the states, the finding and
    the approval's figures in Chinese, never their codes."""
    from app import audit as audit_module
    from app.views.audit import _field_label, action_label, value_text

    street = factories.unit(name="中关村街道", parent=factories.unit(name="海淀区"))
    application = factories.application(unit=street, name="李学习")
    with app.test_request_context():
        audit_module.record("objection.conclude", "objection", 1, "R1 · 李学习", from_status="verifying",
                            to_status="concluded", finding="partly_upheld", application_id=application.id)
        audit_module.record("campaign.approve", "campaign", application.campaign_id, "第十批", decided_on="2027-07-01",
                            document_number="京学习办〔2027〕3号", winners=99, featured=10)
        db.session.commit()
        assert str(action_label("objection.conclude")) == "异议：办结"
        assert value_text("from_status", "verifying", "objection") == "核实中"
        assert value_text("finding", "partly_upheld", "objection") == "反映问题部分属实"
        assert value_text("application_id", application.id, "objection") == "李学习"
        assert [_field_label("campaign", k) for k in ("decided_on", "document_number", "winners", "featured")] == \
            ["审核日期", "文号", "入选人数", "重点宣传人数"]
    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR))
    listing = _table(auditor.get("/audit/list/").text)
    for text in ("异议：办结", "原状态：核实中", "新状态：已办结", "核实结论：反映问题部分属实", "审核确定", "文号：京学习办〔2027〕3号",
                 "入选人数：99"):
        assert text in listing, text
    for raw in ("objection.", "campaign.approve", "verifying", "partly_upheld", "document_number", "winners"):
        assert raw not in listing, raw


def test_a_quota_set_for_a_campaign_names_the_campaign_in_chinese():
    """The quota's 评选批次 is recorded as campaign_id since rows made through relationships name what they point to;
    its label came from FAB's own for the view's column, "Campaign Id"."""
    from app.models import RecommendationQuota
    from app.views.audit import detail_lines

    campaign = factories.campaign(year=2027)
    db.session.add(RecommendationQuota(campaign=campaign, level=2, max_recommended=1))
    db.session.commit()
    lines = dict(detail_lines(events(action="recommendation_quota.create")[-1]))
    assert lines["评选批次"] == campaign.name and "Campaign Id" not in lines
