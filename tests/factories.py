"""Factories: build what a test needs in one call, committed, with sensible defaults."""
import itertools
import re
from datetime import datetime

from werkzeug.security import generate_password_hash

from app import clock, roles, schedule
from app.accounts import placeholder_email
from app.extensions import db
from app.models import Account, Campaign, Unit, UnitCategory

PASSWORD = "Test@1234"
# One PBKDF2 round: a factory's password protects nothing, and the default scrypt hash (~0.14 s of CPU each) was
# most of the suite's time. Sign-in checks it the same way (werkzeug reads the method from the hash).
CHEAP_HASH = "pbkdf2:sha256:1"
_counter = itertools.count(1)


def count_statements(action) -> int:
    """How many SQL statements action() sends to the database (a page or a query must not grow with the data)."""
    from sqlalchemy import event

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def unit(name=None, parent=None, category=UnitCategory.DISTRICT, **fields) -> Unit:
    n = next(_counter)
    if parent is not None:
        item = Unit(name=name or f"街道{n}", parent=parent, **fields)
    else:
        item = Unit(name=name or f"区{n}", category=UnitCategory(category).value, level=1, **fields)
    db.session.add(item)
    db.session.commit()
    return item


def account(role=roles.CITY_OFFICE, unit=None, username=None, password=PASSWORD, **fields) -> Account:
    from flask import current_app

    username = username or f"user{next(_counter)}"
    item = Account(
        username=username,
        first_name=fields.pop("first_name", username),
        last_name="",
        email=placeholder_email(username),
        active=True,
        password=generate_password_hash(password, method=CHEAP_HASH),
        unit=unit,
        roles=[current_app.appbuilder.sm.find_role(role)],
        **fields,
    )
    db.session.add(item)
    db.session.commit()
    return item


def campaign(year=2026, name=None, open_stage=None, at: datetime | None = None) -> Campaign:
    item = Campaign(name=name or f"第{next(_counter)}批", year=year)
    schedule.ensure_windows(item)
    if open_stage is not None:
        schedule.open_stage(item, open_stage, at=at)
    db.session.add(item)
    db.session.commit()
    return item


def district_with_streets(name="海淀区", streets=("中关村街道", "学院路街道")):
    parent = unit(name=name)
    children = [unit(name=s, parent=parent) for s in streets]
    return parent, children


def login(client, user_or_name, password=PASSWORD):
    username = getattr(user_or_name, "username", user_or_name)
    response = client.post("/login/", data={"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def finished_job(owner, content: bytes = b"PK export", **fields):
    """A background job of owner's that finished with a file (made directly, no worker, nothing audited)."""
    import secrets
    from datetime import timedelta

    from app import storage
    from app.models import BackgroundJob

    now = clock.now()
    job = BackgroundJob(id=secrets.token_urlsafe(24), owner_id=owner.id, kind="export.applications",
                        title="导出报名信息（全部）", state="done", params={}, progress_done=3, progress_total=3,
                        download_name="报名信息-全部.xlsx", ascii_name="applications-list.xlsx",
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        created_at=now, finished_at=now, expires_at=now + timedelta(hours=24), **fields)
    job.file_name = f"jobs/{job.id}.xlsx"
    path = storage.root() / job.file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    db.session.add(job)
    db.session.commit()
    return job


def job_file(client, response):
    """An export's file through its background job (app/jobs.py, run at once in tests): the answer that started it
    redirects to the job's page; the job is done and its 下载 sends the file. Returns the download's response."""
    assert response.status_code == 302, response.status_code
    page = response.headers["Location"]
    assert page.startswith("/jobs/"), page
    status = client.get(page + ".json").get_json()
    assert status["state"] == "done", status
    assert status["percent"] == 100
    return client.get(page + "/download")


CAPTCHA_IMAGES = {"register": "/register/captcha.png", "objection": "/gongshi/yiyi/captcha.png",
                  "signin": "/login/captcha.png"}


def captcha(client, purpose: str) -> str:
    """Ask for a form's captcha image as a browser would, then read what it shows from the server-side store (the
    cookie holds only the image's random id): the answer a person would type."""
    from app import captcha as captchas

    response = client.get(CAPTCHA_IMAGES[purpose])
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    with client.session_transaction() as session:
        captcha_id = session[captchas.session_key(purpose)]
    return captchas.stored_answer(purpose, captcha_id)


def api_client(app, user_or_name, password=PASSWORD):
    """A REST client as README documents it: a Bearer token from /api/v1/security/login on every request, no cookie.

    It never signs in through /login/ and fails the test if any response tries to set a cookie."""
    username = getattr(user_or_name, "username", user_or_name)
    client = app.test_client(use_cookies=False)
    client.refuses_cookies = True
    response = client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, f"token for {username}: {response.status_code} {response.json}"
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {response.json['access_token']}"
    return client


def id_number(birth: str = "19800101", sequence: int | None = None) -> str:
    """A valid 18-digit resident ID number (海淀区 area code) with a checksum stdnum accepts. Without a sequence,
    a man's (odd 17th digit), as application() assumes: the model takes birth date and gender from the number."""
    from stdnum.cn import ric

    body = f"110108{birth}{(sequence if sequence is not None else 2 * next(_counter) + 1) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def application(unit=None, applicant=None, campaign=None, status="submitted", **fields):
    """An application; anything past a draft is complete enough for the database's constraints."""
    from app import clock
    from app.models import Application

    campaign = campaign or schedule.current_campaign() or globals()["campaign"]()
    applicant = applicant or account(roles.APPLICANT)
    values = dict(
        name=applicant.first_name,
        gender="male",
        birth_date=datetime(1980, 1, 1).date(),
        id_number=id_number(),
        mobile="13911588771",
        work_unit="北京某单位",
        position="职员",
        address="北京市海淀区中关村大街 1 号",
        is_permanent_resident=True,
        declaration_confirmed=True,
        deeds="坚持终身学习。",
        photo_file="photo/none.jpg",  # names only: tests that serve files upload real ones
        video_file="video/none.mp4",
        unit=unit,
        status=status,
        submitted_at=None if status == "draft" else clock.now(),
    )
    values.update(fields)
    item = Application(campaign=campaign, applicant=applicant, **values)
    db.session.add(item)
    db.session.commit()
    return item


def application_with_media(photo: bytes = b"\xff\xd8 photo", video: bytes = b"\x00\x00 video", **fields):
    """An application whose photo and video are real files under UPLOAD_DIR (bytes as given: nothing checks them
    here), stored as an upload stores them."""
    from app import storage

    return application(photo_file=storage.store_bytes(photo, "photo", "jpg"),
                       video_file=storage.store_bytes(video, "video", "mp4"), **fields)


def approval(campaign, decision: bytes = b"%PDF-1.4 decision", **fields):
    """审核确定 of a campaign with its decision's file stored under UPLOAD_DIR (app/approval.py records it so)."""
    from datetime import date

    from app import storage
    from app.models import CampaignApproval

    values = dict(decided_on=date(2026, 7, 20), document_number="京学习办〔2026〕5号", recorded_by_name="city",
                  winners=0, featured=0)
    values.update(fields)
    item = CampaignApproval(campaign=campaign, decision_file=storage.store_bytes(decision, "decision", "pdf"), **values)
    db.session.add(item)
    db.session.commit()
    return item


# Expert review (app/models/review.py)


def expert(employer="北京某大学", employer_unit=None, field="终身教育", username=None, **fields):
    """An expert: an account with role 专家 and its Expert row."""
    from app.models import Expert

    person = account(roles.EXPERT, username=username, phone=fields.pop("phone", "13800000000"), **fields)
    item = Expert(account=person, employer=employer, employer_unit=employer_unit, field=field)
    db.session.add(item)
    db.session.commit()
    return item


def review_round(campaign=None, stage="initial_review", experts_per_application=3, rubric=True):
    """A round of a campaign with the notice's six conditions as its rubric (rubric=False: none yet)."""
    from app.models import ReviewRound, RubricCriterion
    from app.models.review import NOTICE_CONDITIONS

    campaign = campaign or schedule.current_campaign() or globals()["campaign"]()
    item = ReviewRound(campaign=campaign, stage=stage, experts_per_application=experts_per_application)
    if rubric:
        item.criteria = [
            RubricCriterion(key=key, label=str(label), weight=weight, max_score=scale, position=position)
            for position, (key, label, weight, scale) in enumerate(NOTICE_CONDITIONS)
        ]
    db.session.add(item)
    db.session.commit()
    return item


def panel(round_, experts=(), units=(), name=None):
    """专家组 of a round with these experts, reviewing these first-level units' applications (none: the rest)."""
    from app.models import ExpertPanel, ExpertPanelMember, ExpertPanelUnit

    item = ExpertPanel(round=round_, name=name or f"第{next(_counter)}组")
    db.session.add(item)
    db.session.flush()
    with db.session.no_autoflush:
        item.members = [ExpertPanelMember(panel_id=item.id, round_id=round_.id, expert=e) for e in experts]
        item.units = [ExpertPanelUnit(panel_id=item.id, round_id=round_.id, unit=u) for u in units]
    db.session.commit()
    return item


def conflict(expert_, unit=None, application=None, reason="曾在该单位任职"):
    from app.models import ExpertConflict

    item = ExpertConflict(expert=expert_, unit=unit, application=application, reason=reason)
    db.session.add(item)
    db.session.commit()
    return item


def assignment(round_, application_, expert_, status="assigned", scores=None, comment=None):
    """application_ given to expert_ in round_. scores: {criterion key: value} saved with it; status "submitted"
    computes the weighted total the way app/scoring.py does (sum(weight * value / max) / sum(weight) * 100)."""
    from decimal import ROUND_HALF_UP, Decimal

    from app import clock
    from app.models import ReviewAssignment, ReviewScore

    item = ReviewAssignment(round_id=round_.id, campaign_id=round_.campaign_id, application=application_,
                            expert=expert_, status=status, comment=comment)
    if scores:
        by_key = {c.key: c for c in round_.criteria}
        item.scores = [ReviewScore(criterion=by_key[k], value=v) for k, v in scores.items()]
        weights = sum(c.weight for c in round_.criteria)
        total = sum(Decimal(by_key[k].weight) * Decimal(v) / by_key[k].max_score for k, v in scores.items())
        item.total = (total / weights * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if status == "submitted":
        item.submitted_at = clock.now()
    if status == "declined":
        item.declined_reason = "与申报人同一单位"
    db.session.add(item)
    db.session.commit()
    return item


# 公示, 审核确定 and 表彰 (app/models/publicity.py)


def candidates(n, campaign=None, featured=0, unit=None, **fields):
    """n applications picked 拟评选, the first `featured` of them 重点宣传, all of one second-level unit (a new
    district's street unless given). Media are names only: tests that serve the photo attach a real one."""
    unit = unit or district_with_streets(name=f"区{next(_counter)}")[1][0]
    return [
        application(unit=unit, campaign=campaign, status="featured" if i < featured else "candidate",
                    id_number=id_number(), **fields)
        for i in range(n)
    ]


def objection(application_, status="received", facts="该候选人的事迹材料与实际情况不符，其所称获奖情况并不存在。",
              objector_name="李四", objector_phone="13800138000", **fields):
    """An objection to a candidate as lodged on /gongshi (any state; a concluded one gets a finding and its text)."""
    from app import clock
    from app.models import Objection

    values = dict(objector_unit="北京市西城区某单位", lodged_at=clock.now())
    if status in ("concluded", "dismissed"):
        values.update(conclusion="经核实，反映问题不属实。" if status == "concluded" else "不属于公示异议受理范围。",
                      concluded_at=clock.now(), finding="unfounded" if status == "concluded" else None)
    values.update(fields)
    item = Objection(
        receipt_number=Objection.new_receipt_number(application_.campaign.year), campaign_id=application_.campaign_id,
        application=application_, objector_name=objector_name, objector_phone=objector_phone, facts=facts,
        status=status, **values,
    )
    db.session.add(item)
    db.session.commit()
    return item


def without_nonce(html: str) -> str:
    """A page's HTML without its CSP nonce, which is new on every answer (app/headers.py): two answers that should be
    the same compare equal."""
    return re.sub(r'nonce="[^"]*"', 'nonce=""', html)
