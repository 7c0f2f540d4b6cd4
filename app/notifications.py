"""站内通知 (R-OPS-8): who is told what, when a step concerns them, and the channels it goes out on.

`notify(recipients, kind, title, text, …)` adds the rows to the caller's session, inside the caller's transaction:
a step that rolls back has told nobody. Each step calls it at the one place the step happens (app/workflow.py's
perform, submit_unit and award; app/assignment.py; app/rounds.py; app/scoring.py; app/objections.py's lodge). What
no step does — a unit's deadline coming near, an application left 过期无效 (derived, never stored) — is found by
`run_due()`: `flask notify deadlines` and the task worker's hourly task; a key per message makes a second run send
nothing twice.

E-mail (SMTP when MAIL_SERVER is set) and SMS (SMS_BACKEND, app/sms.py) leave only after the commit, from the task
worker: never inside a step's lock, and a failed send is logged, never the step's failure.
"""
import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, event, func, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app import clock, request_cache, roles, schedule, sms
from app.extensions import db
from app.models import Account, Application, ApplicationStatus, Stage, StageWindow, Unit, UnitSubmission
from app.models.notification import KEY_MAX, TEXT_MAX, TITLE_MAX, Notification

logger = logging.getLogger(__name__)
S = ApplicationStatus

KINDS = {
    "message": _l("通知"),
    "returned": _l("报名退回"),
    "recommended": _l("推荐结果"),
    "not_recommended": _l("推荐结果"),
    "void": _l("过期无效"),
    "withdrawn": _l("撤销"),
    "awarded": _l("评选结果"),
    "deadline": _l("截止提醒"),
    "assignment": _l("评审任务"),
    "review_reminder": _l("评审提醒"),
    "review_reopened": _l("评审重新打开"),
    "objection": _l("公示异议"),
}

# Where each kind of reader goes from a message.
CITIZEN_PAGE = "/apply/"
UNIT_PAGE = "/applications/list/"
# A deadline reminder is sent when at most this much of the window is left, once per threshold and window end.
REMINDER_THRESHOLDS = (timedelta(days=1), timedelta(days=3))
# 过期无效 is told about windows that ended at most this long ago (not every old campaign on a first run).
VOID_LOOKBACK = timedelta(days=30)
OUTBOX = "notifications.outbox"


def _clip(text, most: int) -> str:
    text = str(text)
    return text if len(text) <= most else text[: most - 1] + "…"


@dataclass(frozen=True)
class Delivery:
    """What leaves by e-mail or SMS for one notification, read while the transaction was open."""

    email: str | None
    phone: str | None
    title: str
    text: str
    link: str | None

    def as_dict(self) -> dict:
        return {"email": self.email, "phone": self.phone, "title": self.title, "text": self.text, "link": self.link}


def _mail_on() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def _sms_on() -> bool:
    return bool(current_app.config.get("SMS_BACKEND"))


def _email_of(account) -> str | None:
    email = (account.email or "").strip()
    # Citizens and experts get a placeholder address (app/accounts.py): never a real mailbox.
    return email if email and not email.endswith(".invalid") else None


def _phone_of(account) -> str | None:
    phone = (account.phone or "").strip()
    if not phone and re.fullmatch(r"1\d{10}", account.username or ""):
        phone = account.username  # a citizen signs in with their mobile number
    return phone or None


def preload(account_ids) -> list[Account]:
    """The accounts a step is about to notify one by one (a unit's 提交, 审核确定's winners), read in one query into
    the session, where _accounts finds them: one statement for the batch, not one per application. The caller keeps
    the list while it notifies (the session holds its rows weakly)."""
    ids = sorted({i for i in account_ids if i is not None})
    return db.session.scalars(select(Account).where(Account.id.in_(ids))).all() if ids else []


def _accounts(recipients) -> list[Account]:
    """Accounts (or their ids), once each, active only: a deactivated account is told nothing."""
    objects = [r for r in recipients if isinstance(r, Account)]
    ids = {r for r in recipients if isinstance(r, int)} - {a.id for a in objects}
    for account_id in list(ids):  # already in the session (preload): no query
        known = db.session.identity_map.get(identity_key(Account, account_id))
        if known is not None:
            objects.append(known)
            ids.discard(account_id)
    if ids:
        objects += db.session.scalars(select(Account).where(Account.id.in_(ids))).all()
    seen, result = set(), []
    for account in sorted(objects, key=lambda a: a.id):
        if account.id not in seen and account.active:
            seen.add(account.id)
            result.append(account)
    return result


def notify(recipients, kind: str, title, text, link: str | None = None, sender=None,
           key: str | None = None) -> list[Notification]:
    """A notification of `kind` to each recipient (Accounts or account ids), in the caller's transaction; the
    caller commits. With `key`, an account that already has a notification with that key gets none again."""
    if kind not in KINDS:
        raise ValueError(kind)
    accounts = _accounts(list(recipients))
    if key is not None:
        key = key[:KEY_MAX]
        done = set(db.session.scalars(select(Notification.account_id).where(
            Notification.dedupe_key == key, Notification.account_id.in_([a.id for a in accounts]))))
        accounts = [a for a in accounts if a.id not in done]
    title, text = _clip(title, TITLE_MAX), _clip(text, TEXT_MAX)
    at = clock.now()
    made = []
    outbox = db.session.info.setdefault(OUTBOX, [])
    mail, phone = _mail_on(), _sms_on()
    for account in accounts:
        row = Notification(account_id=account.id, kind=kind, title=title, text=text, link=link, at=at,
                           sender_id=getattr(sender, "id", None), dedupe_key=key)
        db.session.add(row)
        made.append(row)
        delivery = Delivery(_email_of(account) if mail else None, _phone_of(account) if phone else None,
                            title, text, link)
        if delivery.email or delivery.phone:
            outbox.append((row, delivery))
    return made


# --- after the commit: e-mail and SMS -----------------------------------------------------------------------------


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    """Hand what the committed transaction notified to the task worker. A notification rolled back is no longer
    persistent and is dropped. Runs after the commit: no lock is held, and nothing here may fail the step."""
    outbox = session.info.pop(OUTBOX, None)
    if not outbox:
        return
    payloads = [delivery.as_dict() for row, delivery in outbox if inspect(row).persistent]
    if not payloads or not has_app_context():
        return
    try:
        from app import jobs

        jobs.huey().deliver_notifications(payloads)
    except Exception:
        logger.exception("could not queue %s notification deliveries", len(payloads))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    # The whole transaction rolled back: nothing it notified may leave. (A savepoint's rows are dropped at the
    # commit instead, being no longer persistent then.)
    if not session.in_transaction():
        session.info.pop(OUTBOX, None)


def deliver(payloads: list[dict]) -> dict:
    """The task worker's part: each payload by e-mail and/or SMS. Failures are logged and counted, never raised
    (the steps are done; a message lost on a channel is still in 我的通知)."""
    config = current_app.config
    counts = {"mail": 0, "sms": 0, "failed": 0}
    mails = [p for p in payloads if p.get("email")]
    if mails and config.get("MAIL_SERVER"):
        try:
            with _smtp(config) as connection:
                for payload in mails:
                    try:
                        connection.send_message(_email(config, payload))
                        counts["mail"] += 1
                    except (smtplib.SMTPException, OSError):
                        logger.exception("e-mail notification to %s failed", payload["email"])
                        counts["failed"] += 1
        except (smtplib.SMTPException, OSError):
            logger.exception("SMTP server %s unreachable: %s e-mails not sent", config.get("MAIL_SERVER"), len(mails))
            counts["failed"] += len(mails)
    phones = [p for p in payloads if p.get("phone")]
    if phones and config.get("SMS_BACKEND"):
        gateway = sms.load(config.get("SMS_BACKEND"), config)
        for payload in phones:
            try:
                gateway.send(payload["phone"], _sms_text(config, payload))
                counts["sms"] += 1
            except Exception:
                logger.exception("SMS notification failed")
                counts["failed"] += 1
    return counts


def _smtp(config):
    host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    if config.get("MAIL_USE_SSL"):
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
        if config.get("MAIL_USE_TLS"):
            connection.starttls()
    if config.get("MAIL_USERNAME"):
        connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    return connection


def _absolute(config, link: str | None) -> str | None:
    if not link:
        return None
    base = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return base + link if base and link.startswith("/") else link


def _email(config, payload: dict) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"【{config.get('APP_NAME', '')}】{payload['title']}"
    message["From"] = formataddr((config.get("APP_NAME", ""), config.get("MAIL_DEFAULT_SENDER") or "noreply@localhost"))
    message["To"] = payload["email"]
    body = payload["text"]
    link = _absolute(config, payload.get("link"))
    if link:
        body += "\n\n" + link
    message.set_content(body)
    return message


def _sms_text(config, payload: dict) -> str:
    return f"【{config.get('APP_NAME', '')}】{payload['title']}：{payload['text']}"


# --- who is told what ----------------------------------------------------------------------------------------------


def application_moved(application: Application, action: str, actor=None, opinion: str | None = None) -> None:
    """A transition of app/workflow.py that concerns the citizen, told inside its transaction."""
    citizen = application.applicant_id
    if action == "return":
        unit = application.unit.name if application.unit is not None else ""
        window = application.campaign.window(Stage.APPLY)
        end = schedule.format_time(window.ends_at if window else None)
        notify([citizen], "returned", _("您的报名被退回修改"),
               _("推荐单位（%(unit)s）退回了您的报名，请按退回理由修改后在 %(end)s 前重新提交。退回理由：%(reason)s",
                 unit=unit, end=end, reason=opinion or ""), CITIZEN_PAGE, sender=actor)
    elif action == "withdraw":
        notify([citizen], "withdrawn", _("您的拟评选资格已撤销"),
               _("经公示异议核实，市学习办撤销了您的拟评选资格。理由：%(reason)s", reason=opinion or ""),
               CITIZEN_PAGE, sender=actor)
    elif action in ("award", "award_featured"):
        notify([citizen], "awarded", _("您已当选首都市民学习之星"),
               _("经审核确定，您已当选「%(campaign)s」首都市民学习之星，荣誉证书可在「我的报名」中下载。",
                 campaign=application.campaign.name), CITIZEN_PAGE, sender=actor)


def unit_submitted(applications, actor=None) -> None:
    """A unit's 提交 / 上报 (app/workflow.py's submit_unit): each citizen hears whether they were recommended."""
    citizens = preload(a.applicant_id for a in applications)  # noqa: F841 (held while the loop notifies them)
    for application in sorted(applications, key=lambda a: a.id):
        street = application.unit
        district = street.parent if street is not None else None
        status = application.status_enum
        if status == S.L2_FORWARDED:
            notify([application.applicant_id], "recommended", _("您的报名已获推荐"),
                   _("%(street)s已推荐您的报名，并提交至%(district)s评审。", street=street.name,
                     district=district.name if district else ""), CITIZEN_PAGE, sender=actor)
        elif status == S.REPORTED:
            notify([application.applicant_id], "recommended", _("您的报名已上报市学习办"),
                   _("%(district)s已推荐您的报名，并上报市学习办参加专家评审。",
                     district=district.name if district else ""), CITIZEN_PAGE, sender=actor)
        elif status in (S.L2_REJECTED, S.L1_REJECTED):
            who = street if status == S.L2_REJECTED else district
            notify([application.applicant_id], "not_recommended", _("您的报名未获推荐"),
                   _("%(unit)s评审后未推荐您的报名，本次报名不再进入下一环节。感谢您的参与。",
                     unit=who.name if who else ""), CITIZEN_PAGE, sender=actor)


def experts_assigned(actor, expert_counts, review_round, link: str) -> None:
    """New review assignments: one message per expert per batch (自动分配, 改派, a replacement after 拒绝)."""
    for expert, count in expert_counts:
        notify([expert.account_id], "assignment", _("新的评审任务"),
               _("您有 %(n)s 份新的评审任务（%(round)s），请在评审时间内完成", n=count,
                 round=review_round.stage_label), link, sender=actor)


def objection_lodged(objection, application) -> None:
    """A member of the public's objection: the city office's accounts are told (the receipt and whom it is about;
    never the objector, whose name and phone stay on 异议处理)."""
    office = db.session.scalars(
        select(Account.id).where(Account.active.is_(True), Account.roles.any(name=roles.CITY_OFFICE))
    ).all()
    notify(office, "objection", _("收到公示异议"),
           _("收到对拟评选人选「%(name)s」的公示异议（回执号 %(receipt)s），请及时受理。", name=application.name,
             receipt=objection.receipt_number), f"/objections/show/{objection.id}")


# --- what no step does: deadlines near, 过期无效 ------------------------------------------------------------------

# The unit that acts in each review window, the statuses still waiting on it, and the one that is undecided.
UNIT_WINDOWS = {
    Stage.L2_REVIEW: (2, (S.SUBMITTED, S.L2_RECOMMENDED, S.L2_NOT_RECOMMENDED), S.SUBMITTED),
    Stage.L1_REVIEW: (1, (S.L2_FORWARDED, S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED), S.L2_FORWARDED),
}


def _waiting_per_unit(window: StageWindow, level: int, statuses, undecided) -> dict[int, tuple[int, int]]:
    """unit id -> (undecided, decided but not submitted), for the units of the level that have not submitted."""
    unit_column = Application.unit_id if level == 2 else Unit.parent_id
    query = select(unit_column, Application.status, func.count(Application.id)).where(
        Application.campaign_id == window.campaign_id, Application.status.in_([s.value for s in statuses]))
    if level == 1:
        query = query.join(Unit, Unit.id == Application.unit_id)
    submitted = select(UnitSubmission.unit_id).where(UnitSubmission.campaign_id == window.campaign_id)
    query = query.where(unit_column.not_in(submitted)).group_by(unit_column, Application.status)
    result: dict[int, list[int]] = {}
    for unit_id, status, count in db.session.execute(query):
        counts = result.setdefault(unit_id, [0, 0])
        counts[0 if status == undecided.value else 1] += count
    return {unit_id: (a, b) for unit_id, (a, b) in result.items()}


def remind_deadlines(now: datetime) -> int:
    """Units with applications still waiting on them, when their review window ends within 3 days and again within
    1 day. Once per unit, threshold and window end (a window moved later reminds again). Returns messages made."""
    made = 0
    windows = db.session.scalars(select(StageWindow).where(
        StageWindow.stage.in_([s.value for s in UNIT_WINDOWS]), StageWindow.starts_at <= now,
        StageWindow.ends_at >= now, StageWindow.ends_at <= now + max(REMINDER_THRESHOLDS))).all()
    for window in windows:
        stage = Stage(window.stage)
        level, statuses, undecided = UNIT_WINDOWS[stage]
        left = window.ends_at - now
        threshold = min(t for t in REMINDER_THRESHOLDS if left <= t)
        days = threshold.days
        end = schedule.format_time(window.ends_at)
        for unit_id, (open_, decided) in sorted(_waiting_per_unit(window, level, statuses, undecided).items()):
            clerks = db.session.scalars(select(Account.id).where(Account.unit_id == unit_id)).all()
            key = f"deadline:{window.id}:{window.ends_at:%Y%m%d%H%M%S}:{days}"
            made += len(notify(
                clerks, "deadline", _("%(stage)s还有不到 %(days)s 天截止", stage=stage.label, days=days),
                _("%(stage)s将于 %(end)s 截止：本单位尚有 %(open)s 份报名未处理、%(decided)s 份已处理但未提交。"
                  "截止时仍未提交的，报名将过期无效。", stage=stage.label, end=end, open=open_, decided=decided),
                UNIT_PAGE, key=key))
    return made


def notify_voids(now: datetime) -> int:
    """Citizens whose application went 过期无效 when a window ended (within VOID_LOOKBACK): once per application
    and state. Returns messages made."""
    from app import workflow

    made = 0
    stages_of = {}
    for status, stage in workflow.VOID_AFTER.items():
        stages_of.setdefault(stage.value, []).append(status.value)
    windows = db.session.scalars(select(StageWindow).where(
        StageWindow.stage.in_(list(stages_of)), StageWindow.ends_at < now,
        StageWindow.ends_at >= now - VOID_LOOKBACK)).all()
    for window in windows:
        applications = db.session.scalars(
            select(Application).where(Application.campaign_id == window.campaign_id,
                                      Application.status.in_(stages_of[window.stage])).order_by(Application.id)
        ).all()
        for application in applications:
            notice = workflow.void_notice(application, now)
            if notice is None:
                continue
            made += len(notify([application.applicant_id], "void", _("您的报名已过期无效"),
                               f"{notice.message}{notice.contact}", CITIZEN_PAGE,
                               key=f"void:{application.id}:{application.status}"))
    return made


def run_due(now: datetime | None = None) -> dict:
    """`flask notify deadlines` and the worker's hourly task: deadline reminders and 过期无效 notices due now, each
    once (commits). Two runs at once: the second's duplicates hit the unique key and it runs again, finding them."""
    now = now or clock.now()
    for attempt in (1, 2):
        try:
            counts = {"deadline": remind_deadlines(now), "void": notify_voids(now)}
            db.session.commit()
            return counts
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    return {}


def purge(now: datetime | None = None) -> int:
    """Read notifications older than NOTIFICATION_KEEP_DAYS are removed (commits); unread ones are kept."""
    now = now or clock.now()
    days = int(current_app.config.get("NOTIFICATION_KEEP_DAYS", 180))
    result = db.session.execute(delete(Notification).where(
        Notification.read_at.is_not(None), Notification.at < now - timedelta(days=days)))
    db.session.commit()
    return result.rowcount or 0


# --- 我的通知 -------------------------------------------------------------------------------------------------------


def unread_count_of(account_id):
    """The unread notifications of account_id (a value or a column) as a scalar subquery."""
    return (select(func.count(Notification.id))
            .where(Notification.account_id == account_id, Notification.read_at.is_(None)).scalar_subquery())


def unread_count(account) -> int:
    """The navbar's badge. Kept for the rest of the request (forgotten at any write, like the request cache): the
    sign-in reads it with the account (app/security.py's load_user, remember_unread)."""
    return request_cache.remember(("unread", account.id),
                                  lambda: db.session.scalar(select(unread_count_of(account.id))) or 0)


def remember_unread(account, count: int) -> None:
    request_cache.put(("unread", account.id), count)


def mine(account, page: int = 0, page_size: int = 20, unread_only: bool = False) -> tuple[list[Notification], int]:
    """The account's notifications, newest first, one page; and how many there are in all."""
    where = [Notification.account_id == account.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = db.session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    rows = db.session.scalars(select(Notification).where(*where)
                              .order_by(Notification.at.desc(), Notification.id.desc())
                              .offset(max(page, 0) * page_size).limit(page_size)).all()
    return list(rows), total


def find(account, notification_id) -> Notification | None:
    """The account's own notification; None for another's or an unknown id (the caller answers 404)."""
    if not str(notification_id).isdigit() or int(notification_id) > 2**31 - 1:
        return None
    return db.session.scalars(select(Notification).where(
        Notification.id == int(notification_id), Notification.account_id == account.id)).first()


def mark_read(account, notification_id) -> Notification | None:
    """Opening a notification marks it read (commits); None when it is not the account's."""
    row = find(account, notification_id)
    if row is not None and row.read_at is None:
        row.read_at = clock.now()
        db.session.commit()
    return row


def mark_all_read(account) -> int:
    """全部标为已读 (commits); returns how many were unread."""
    result = db.session.execute(update(Notification).where(
        Notification.account_id == account.id, Notification.read_at.is_(None)).values(read_at=clock.now()))
    db.session.commit()
    return result.rowcount or 0


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, KINDS["message"]))
