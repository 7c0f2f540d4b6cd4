"""审计日志 of 专家评审 (issue 8): every new action — experts and their import, panels, conflicts, settings,
自动分配, 改派, 声明回避, 暂存/提交/重新打开, 提醒, 结束本轮, the picks and the exports — is in the log and reads in
Chinese: no code, no field key, no raw status or id."""
import io
import re
from datetime import timedelta
from decimal import Decimal

from flask import current_app

from app import assignment, audit, clock, expert_import, experts, rounds, schedule, scoring, workflow
from app import roles
from app.extensions import db
from app.models import AuditEvent, Stage
from app.models.review import ReviewAssignment
from app.views import audit as audit_view
from tests import factories

# What may stay ASCII in a rendered event: the login names the tests made, numbers, IP.
ASCII_WORD = re.compile(r"[A-Za-z_][A-Za-z_]+")
# A person or an application shown as its id.
RAW_ID = re.compile(r"(?:登记人|申报人|专家|提醒的专家|回避申报人|结束人)：\d")


def _rendered(event) -> str:
    parts = [str(audit_view.action_label(event.action)), str(audit_view.object_type_label(event.object_type)),
             event.object_label or ""]
    parts += [f"{label}：{text}" for label, text in audit_view.detail_lines(event)]
    return " | ".join(parts)


def _run_every_review_action(app):
    sm = current_app.appbuilder.sm
    city = factories.account(roles.CITY_OFFICE, username="city", first_name="王立群")
    district, (street, other) = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    campaign = factories.campaign(open_stage=Stage.L1_REVIEW)
    with app.test_request_context():
        # 专家: one by hand, changed, stopped and started again; two from the import template's example row.
        made = []
        for i in range(5):
            expert, _password = experts.create_expert(sm, city, experts.ExpertInput(
                name=f"专家{i}", employer=f"第{i}研究所", field="终身教育", phone=f"1360101000{i}",
                employer_unit_id=other.id if i == 3 else None))
            made.append(expert)
        db.session.commit()
        experts.update_expert(city, made[0], experts.ExpertInput(name="专家零", employer="北京开放大学",
                                                                  field="教育学", phone="13601010000"))
        db.session.commit()
        experts.set_active(city, made[0], False)
        db.session.commit()
        experts.set_active(city, made[0], True)
        db.session.commit()
        result = expert_import.import_sheet(sm, city, io.BytesIO(expert_import.template_bytes()))
        db.session.commit()
        assert result.created, result
        # 评审设置, before the round opens.
        review_round = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
        db.session.commit()
        criteria = {c.id: experts.CriterionInput(label=c.label, weight=c.weight + 5, max_score=c.max_score)
                    for c in review_round.criteria}
        experts.update_round(city, review_round, 2, criteria)
        db.session.commit()
        # 专家组: made, changed, a second one made and deleted.
        panel = experts.save_panel(city, review_round, "第一组", [e.id for e in made[:3]], [district.id])
        db.session.commit()
        experts.save_panel(city, review_round, "第一组", [e.id for e in made[:4]], [district.id], panel=panel)
        db.session.commit()
        spare = experts.save_panel(city, review_round, "备用组", [made[4].id], [])
        db.session.commit()
        experts.delete_panel(city, spare)
        db.session.commit()
        # 回避关系: by unit, by application, one deleted.
        apps = [factories.application(unit=street, campaign=campaign, status="reported", name=f"申报人{i}")
                for i in range(3)]
        experts.add_conflict(city, made[1], unit_id=other.id, reason="曾任职")
        conflict = experts.add_conflict(city, made[2], application_id=apps[2].id, reason="亲属", campaign=campaign)
        db.session.commit()
        experts.delete_conflict(city, conflict)
        db.session.commit()
        # 初审 opens: 自动分配, 改派, 声明回避, 暂存, 提交, 重新打开, 提醒, 结束本轮.
        schedule.open_stage(campaign, Stage.INITIAL_REVIEW)
        db.session.commit()
        assert assignment.assign_round(city, review_round.id).ok
        rows = db.session.query(ReviewAssignment).order_by(ReviewAssignment.id).all()
        busy = {r.expert_id for r in rows if r.application_id == rows[0].application_id}
        free = next(e for e in made[:4] if e.id not in busy)
        assignment.move(city, rows[0].id, free.id)
        row = db.session.get(ReviewAssignment, rows[1].id)
        assignment.decline(row.expert.account, row.id, "申报人是我的学生")
        row = db.session.query(ReviewAssignment).filter_by(status="assigned").order_by(ReviewAssignment.id).first()
        values = {c.id: Decimal(8) for c in review_round.criteria}
        scoring.save(row.expert.account, row.id, values, "事迹突出")
        scoring.save(row.expert.account, row.id, values, "事迹突出", submit=True)
        scoring.reopen(city, row.id, "请复核第二项")
        rounds.remind(city, review_round.id)
        clock.freeze(campaign.window(Stage.INITIAL_REVIEW).ends_at + timedelta(minutes=1))
        rounds.close(city, review_round.id)
        workflow.perform(city, apps[0].id, "shortlist", "初审成绩靠前")
    client = factories.login(app.test_client(), city)
    assert factories.job_file(client, client.post(f"/review-progress/{review_round.id}/scores.xlsx")).status_code == 200
    assert factories.job_file(client, client.post("/ranking/export.xlsx?stage=initial_review")).status_code == 200
    assert factories.job_file(client, client.post("/candidates/export.xlsx")).status_code == 200
    return city


NEW_ACTIONS = {
    "expert.create", "expert.update", "expert.deactivated", "expert.activated", "expert.imported",
    "review_round.update", "expert_panel.create", "expert_panel.update", "expert_panel.delete",
    "expert_conflict.create", "expert_conflict.delete", "review.assign", "review.move", "review.decline",
    "review.save", "review.submit", "review.reopen", "review_round.remind", "review_round.close",
    "application.shortlist", "export.score_sheet", "export.ranking", "export.candidates",
}


def test_every_review_action_is_logged_and_reads_in_chinese(app):
    _run_every_review_action(app)
    events = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
    logged = {e.action for e in events}
    assert NEW_ACTIONS <= logged, NEW_ACTIONS - logged
    problems = []
    for event in events:
        if event.action not in NEW_ACTIONS:
            continue
        text = _rendered(event)
        words = [w for w in ASCII_WORD.findall(text) if w not in ("city",)]
        raw_ids = RAW_ID.findall(text)
        if words or raw_ids:
            problems.append((event.action, words, raw_ids, text))
    assert not problems, "\n".join(map(str, problems))
    shown = {e.action: _rendered(e) for e in events}
    assert "改派 | 评审任务 | " in shown["review.move"] and re.search(r"原专家：专家\S+ \| 改派给：专家", shown["review.move"])
    assert "申报人：申报人0" in shown["review.decline"] and "接替专家：" in shown["review.decline"]
    assert "原状态：待评 | 新状态：已暂存" in shown["review.save"]
    assert "原状态：已暂存 | 新状态：已提交 |" in shown["review.submit"] and "加权总分：" in shown["review.submit"]
    assert "各项评分：培育和弘扬社会主义核心价值观：8" in shown["review.submit"]
    assert "原状态：已提交 | 新状态：已暂存" in shown["review.reopen"] and "理由：请复核第二项" in shown["review.reopen"]
    assert "新分配：" in shown["review.assign"] and "申报数：3" in shown["review.assign"]
    assert "提醒的专家：专家零、" in shown["review_round.remind"]
    assert "导入人数：1" in shown["expert.imported"]
    declared = [_rendered(e) for e in events if e.action == "expert_conflict.create"]
    by_expert = [re.search(r"(专家\S+) 回避 申报人0 .*登记人：(专家\S+)", text) for text in declared]
    assert any(m and m.group(1) == m.group(2) for m in by_expert), declared  # the expert's own declaration
    assert any("登记人：市学习办 · 王立群" in text for text in declared), declared


def test_the_auditor_reads_the_review_events_on_the_log_pages(app):
    _run_every_review_action(app)
    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR))
    listing = auditor.get("/audit/list/?psize_AuditEventView=100")
    assert listing.status_code == 200
    for event in db.session.query(AuditEvent).filter(AuditEvent.action.in_(NEW_ACTIONS)):
        page = auditor.get(f"/audit/show/{event.id}")
        assert page.status_code == 200, event.action
        assert str(audit_view.action_label(event.action)) in page.text
