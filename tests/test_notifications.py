"""app/notifications.py: who is told what at each step, nothing told by a step that rolled back, deadline reminders
and 过期无效 notices once however often the job runs (the clock moved), e-mail really sent to a local SMTP sink, SMS
through the configured gateway, and old read notifications purged."""
import logging
import socket
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from app import clock, notifications, objections, roles, schedule, workflow
from app.extensions import db
from app.models import Notification, Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


class RecordingSms:
    """An SMS gateway that keeps what it was asked to send (SMS_BACKEND = "tests.test_notifications:RecordingSms")."""

    sent: list = []

    def __init__(self, config=None):
        pass

    def send(self, phone, text):
        RecordingSms.sent.append((phone, text))


@pytest.fixture
def recorded_sms(app, monkeypatch):
    RecordingSms.sent = []
    monkeypatch.setitem(app.config, "SMS_BACKEND", "tests.test_notifications:RecordingSms")
    return RecordingSms.sent


@pytest.fixture
def chain():
    """海淀区 with two streets and their clerks; the clock inside 在线报名 (a return is possible)."""
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    return {
        "campaign": campaign, "district": district, "street": street, "sibling": sibling,
        "l2": factories.account(roles.L2_CLERK, unit=street),
        "l2_sibling": factories.account(roles.L2_CLERK, unit=sibling),
        "l1": factories.account(roles.L1_CLERK, unit=district),
        "city": factories.account(roles.CITY_OFFICE),
    }


def notes(account=None, kind=None):
    query = db.session.query(Notification).order_by(Notification.id)
    if account is not None:
        query = query.filter(Notification.account_id == account.id)
    if kind is not None:
        query = query.filter(Notification.kind == kind)
    return query.all()


def open_stage(chain, stage, at=NOW):
    schedule.open_stage(chain["campaign"], stage, at=at)
    db.session.commit()


def test_a_returned_application_tells_its_citizen_with_the_reason_and_nobody_else(chain, recorded_sms):
    citizen = factories.account(roles.APPLICANT, username="13911588771")
    application = factories.application(unit=chain["street"], applicant=citizen)
    workflow.perform(chain["l2"], application.id, "return", "照片不清晰，请重新上传")
    (note,) = notes()
    assert (note.account_id, note.kind, note.title, note.link) == (citizen.id, "returned", "您的报名被退回修改", "/apply/")
    assert "照片不清晰，请重新上传" in note.text and "中关村街道" in note.text and note.read_at is None
    assert note.sender_id == chain["l2"].id
    # After the commit, by the task worker (run at once in tests): an SMS to the citizen's mobile.
    assert recorded_sms == [("13911588771", f"【首都市民学习之星评选系统】您的报名被退回修改：{note.text}")]


def test_a_step_that_rolls_back_tells_nobody_by_any_channel(chain, recorded_sms, monkeypatch):
    application = factories.application(unit=chain["street"],
                                        applicant=factories.account(roles.APPLICANT, username="13911588772"))
    told = notifications.application_moved

    def told_then_failed(*args, **kwargs):
        told(*args, **kwargs)
        raise workflow.WorkflowError("后面一步失败")

    monkeypatch.setattr(notifications, "application_moved", told_then_failed)
    with pytest.raises(workflow.WorkflowError):
        workflow.perform(chain["l2"], application.id, "return", "请补充")
    db.session.expire_all()
    assert application.status == "submitted" and notes() == [] and recorded_sms == []
    monkeypatch.setattr(notifications, "application_moved", told)
    # The next commit of the same session does not carry the rolled-back message either.
    workflow.perform(chain["l2"], application.id, "return", "请补充")
    assert len(notes()) == 1 and len(recorded_sms) == 1


def test_a_refused_step_tells_nobody(chain):
    application = factories.application(unit=chain["street"])
    with pytest.raises(workflow.WorkflowError):
        workflow.perform(chain["l2_sibling"], application.id, "return", "不是本单位的")
    with pytest.raises(workflow.WorkflowError):
        workflow.perform(chain["l2"], application.id, "return", "")
    assert notes() == []


def test_decisions_are_told_when_the_unit_submits_them_at_each_level(chain):
    open_stage(chain, Stage.L2_REVIEW)
    chosen, passed_over, undecided = (factories.application(unit=chain["street"]) for _ in range(3))
    workflow.perform(chain["l2"], chosen.id, "l2_recommend", "同意推荐")
    workflow.perform(chain["l2"], passed_over.id, "l2_reject", "名额有限")
    assert notes() == [], "a decision may still change until the unit submits it: nobody is told yet"
    workflow.submit_unit(chain["l2"], chain["campaign"])
    assert [(n.account_id, n.kind, n.title) for n in notes()] == [
        (chosen.applicant_id, "recommended", "您的报名已获推荐"),
        (passed_over.applicant_id, "not_recommended", "您的报名未获推荐"),
    ]
    assert "海淀区" in notes(kind="recommended")[0].text
    assert not [n for n in notes() if n.account_id == undecided.applicant_id]

    open_stage(chain, Stage.L1_REVIEW)
    workflow.perform(chain["l1"], chosen.id, "l1_recommend", "同意上报")
    workflow.submit_unit(chain["l1"], chain["campaign"])
    latest = notes()[-1]
    assert (latest.account_id, latest.kind, latest.title) == (chosen.applicant_id, "recommended", "您的报名已上报市学习办")


def test_an_objection_tells_every_active_city_office_account_but_not_who_lodged_it():
    clock.freeze(datetime(2026, 7, 10, 10, 0))
    campaign = factories.campaign(open_stage=Stage.PUBLICITY, at=clock.now())
    (candidate,) = factories.candidates(1, campaign)
    office, away = factories.account(roles.CITY_OFFICE), factories.account(roles.CITY_OFFICE, username="away")
    away.active = False
    clerk = factories.account(roles.L1_CLERK, unit=candidate.unit.parent)
    db.session.commit()
    objection = objections.lodge(campaign, candidate.id, "李四", "13911588771", "西城区某街道",
                                 "该候选人所报的“社区学习带头人”称号并不存在，所在社区从未组织过相关评选活动。")
    (note,) = notes(kind="objection")
    assert note.account_id == office.id and note.link == f"/objections/show/{objection.id}"
    assert objection.receipt_number in note.text and candidate.name in note.text
    assert "李四" not in note.text and "13911588771" not in note.text
    assert notes(away) == [] and notes(clerk) == []


@pytest.fixture
def deadline_world(chain):
    """In 二级单位评审: 中关村街道 has one undecided and one decided-but-unsubmitted application, 学院路街道 has
    submitted already, a third street has nothing; the window ends at END."""
    open_stage(chain, Stage.L2_REVIEW)
    window = chain["campaign"].window(Stage.L2_REVIEW)
    waiting = [factories.application(unit=chain["street"]) for _ in range(2)]
    workflow.perform(chain["l2"], waiting[1].id, "l2_recommend", "同意")
    done = factories.application(unit=chain["sibling"])
    workflow.perform(chain["l2_sibling"], done.id, "l2_reject", "不符合条件")
    workflow.submit_unit(chain["l2_sibling"], chain["campaign"])
    empty = factories.unit(name="海淀街道", parent=chain["district"])
    chain.update(window=window, end=window.ends_at, waiting=waiting, done=done,
                 clerk2=factories.account(roles.L2_CLERK, unit=chain["street"]),
                 empty_clerk=factories.account(roles.L2_CLERK, unit=empty))
    db.session.query(Notification).delete()
    db.session.commit()
    return chain


def test_deadline_reminders_three_days_and_one_day_before_once_each(deadline_world):
    w = deadline_world
    clock.freeze(w["end"] - timedelta(days=4))
    assert notifications.run_due() == {"deadline": 0, "void": 0}, "four days before: nothing yet"

    clock.freeze(w["end"] - timedelta(days=2, hours=23))
    assert notifications.run_due()["deadline"] == 2  # both clerks of 中关村街道
    for clerk in (w["l2"], w["clerk2"]):
        (note,) = notes(clerk)
        assert (note.kind, note.title, note.link) == ("deadline", "二级单位自评推荐还有不到 3 天截止", "/applications/list/")
        assert "尚有 1 份报名未处理、1 份已处理但未提交" in note.text
    assert notes(w["l2_sibling"]) == [] and notes(w["empty_clerk"]) == []
    clock.freeze(w["end"] - timedelta(days=2))
    assert notifications.run_due()["deadline"] == 0, "the same day again: nothing twice"

    clock.freeze(w["end"] - timedelta(hours=20))
    assert notifications.run_due()["deadline"] == 2
    assert [n.title for n in notes(w["l2"])] == ["二级单位自评推荐还有不到 3 天截止", "二级单位自评推荐还有不到 1 天截止"]
    clock.freeze(w["end"] - timedelta(hours=2))
    assert notifications.run_due()["deadline"] == 0


def test_a_window_moved_later_reminds_again_for_its_new_end(deadline_world):
    w = deadline_world
    clock.freeze(w["end"] - timedelta(hours=20))
    assert notifications.run_due()["deadline"] == 2
    w["window"].ends_at = w["end"] + timedelta(days=5)
    db.session.commit()
    clock.freeze(w["end"] + timedelta(days=4))
    assert notifications.run_due()["deadline"] == 2
    assert schedule.format_time(w["end"] + timedelta(days=5)) in notes(w["l2"])[-1].text


def test_void_applications_are_told_once_after_the_window_ends(deadline_world):
    w = deadline_world
    clock.freeze(w["end"] - timedelta(hours=1))
    notifications.run_due()
    assert notes(kind="void") == []
    clock.freeze(w["end"] + timedelta(hours=1))
    assert notifications.run_due()["void"] == 2
    void = notes(kind="void")
    assert sorted(n.account_id for n in void) == sorted(a.applicant_id for a in w["waiting"])
    assert all(n.title == "您的报名已过期无效" and "未在" in n.text and "中关村街道" in n.text for n in void)
    assert w["done"].applicant_id not in {n.account_id for n in void}, "submitted in time: not void"
    clock.freeze(w["end"] + timedelta(days=1))
    assert notifications.run_due() == {"deadline": 0, "void": 0}


def test_flask_notify_deadlines_sends_nothing_twice(app, deadline_world):
    clock.freeze(deadline_world["end"] - timedelta(hours=20))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["notify", "deadlines"])
    assert first.exit_code == 0, first.output
    assert "deadline reminders: 2, void notices: 0" in first.output
    second = runner.invoke(args=["notify", "deadlines"])
    assert "deadline reminders: 0, void notices: 0" in second.output
    assert len(notes(kind="deadline")) == 2


class Sink:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink(app, monkeypatch):
    """A real SMTP server on 127.0.0.1 that keeps what it receives; the app configured to send to it."""
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "xxzx@example.org")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://xxzx.example.org")
    try:
        yield sink
    finally:
        controller.stop()


def test_email_is_really_sent_through_smtp_when_configured(deadline_world, smtp_sink):
    from email import message_from_bytes, policy

    w = deadline_world
    w["l2"].email = "zgc@example.org"  # the other clerk keeps a placeholder address: no e-mail for it
    db.session.commit()
    clock.freeze(w["end"] - timedelta(hours=20))
    assert notifications.run_due()["deadline"] == 2
    (envelope,) = smtp_sink.envelopes
    assert envelope.rcpt_tos == ["zgc@example.org"] and envelope.mail_from == "xxzx@example.org"
    mail = message_from_bytes(envelope.content, policy=policy.default)
    assert mail["Subject"] == "【首都市民学习之星评选系统】二级单位自评推荐还有不到 1 天截止"
    body = mail.get_content()
    assert "尚有 1 份报名未处理" in body and "https://xxzx.example.org/applications/list/" in body
    notifications.run_due()
    assert len(smtp_sink.envelopes) == 1, "the second run sends no second e-mail"


def test_without_mail_server_nothing_is_mailed_and_an_unreachable_server_never_fails_the_step(
        app, chain, smtp_sink, monkeypatch, caplog):
    chain["l2"].email = "zgc@example.org"
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    application = factories.application(unit=chain["street"])
    workflow.perform(chain["l2"], application.id, "return", "请补充")
    assert smtp_sink.envelopes == []
    # A server that is down: the step is done, the message is in 我的通知, the failure is only logged.
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())
    office = factories.account(roles.CITY_OFFICE)
    office.email = "city@example.org"
    db.session.commit()
    clock.freeze(datetime(2026, 7, 10, 10, 0))
    campaign = factories.campaign(open_stage=Stage.PUBLICITY, at=clock.now())
    (candidate,) = factories.candidates(1, campaign)
    monkeypatch.setattr(notifications.logger, "disabled", False)  # alembic's logging config disabled it
    with caplog.at_level(logging.ERROR, logger="app.notifications"):
        objection = objections.lodge(campaign, candidate.id, "李四", "13911588771", "",
                                     "该候选人所报的“社区学习带头人”称号并不存在，所在社区从未组织过相关评选活动。")
    assert objection.id is not None and len(notes(office)) == 1
    assert "unreachable" in caplog.text


def test_the_default_sms_gateway_only_writes_the_log_with_the_phone_masked(app, chain, caplog, monkeypatch):
    from app import sms

    monkeypatch.setattr(sms.logger, "disabled", False)  # alembic's logging config disabled it
    assert app.config["SMS_BACKEND"] == "app.sms:LoggingSms"
    with caplog.at_level(logging.INFO, logger="app.sms"):
        sms.load(app.config["SMS_BACKEND"]).send("13911588771", "测试短信")
    assert "测试短信" in caplog.text and "13911588771" not in caplog.text
    assert sms.load("") is None
    with pytest.raises(ValueError):
        sms.load("app.sms.LoggingSms")


def test_read_notifications_are_purged_after_the_keeping_time_unread_ones_kept(app, chain):
    citizen = factories.account(roles.APPLICANT)
    old = NOW - timedelta(days=200)
    db.session.add_all([
        Notification(account_id=citizen.id, kind="message", text="旧的已读", at=old, read_at=old),
        Notification(account_id=citizen.id, kind="message", text="旧的未读", at=old),
        Notification(account_id=citizen.id, kind="message", text="新的已读", at=NOW, read_at=NOW),
    ])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["notify", "purge"])
    assert "removed 1 read notifications" in result.output
    assert sorted(n.text for n in notes(citizen)) == ["新的已读", "旧的未读"]


def test_a_units_submission_reads_its_citizens_once_for_2_or_8(chain):
    """提交 of 2 applications and of 8 reads the citizens' accounts in one statement for the batch
    (notifications.preload), not once each (each still gets its own notification row, as its own history event)."""
    from sqlalchemy import event

    open_stage(chain, Stage.L2_REVIEW)
    for street, clerk, n in ((chain["street"], chain["l2"], 2), (chain["sibling"], chain["l2_sibling"], 8)):
        for application in [factories.application(unit=street) for _ in range(n)]:
            workflow.perform(clerk, application.id, "l2_recommend", "同意推荐")
    reads = []

    def account_reads(clerk):
        db.session.expire_all()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            workflow.submit_unit(clerk, chain["campaign"])
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return [s for s in statements if s.lstrip().startswith("SELECT ab_user.")]

    reads = [account_reads(chain["l2"]), account_reads(chain["l2_sibling"])]
    assert len(notes(kind="recommended")) == 10
    assert len(reads[0]) == len(reads[1]) <= 2  # the batch's citizens, and the clerk's own account after expiry
