"""What makes an application's data acceptable: field checks for drafts, completeness for submission,
the ID-number rules of R-APP-6. No state changes here: those are app/workflow.py's."""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app import clock, media_intake, names, schedule
from app.bounds import row_id
from app.extensions import db
from app.identity import IdNumberError, derived_from, parse_id_number
from app.models import Application, ApplicationStatus, Campaign, PastWinner, Unit
from app.models.application import DEEDS_MAX_CHARS
from app.phones import PhoneError, normalize_mobile

TEXT_LIMITS = {"name": 50, "work_unit": 100, "position": 50, "address": 200}


def application_of(user, campaign: Campaign) -> Application | None:
    return db.session.query(Application).filter_by(campaign_id=campaign.id, applicant_id=user.id).one_or_none()


def new_draft(user, campaign: Campaign) -> Application:
    application = Application(campaign=campaign, applicant=user, status=ApplicationStatus.DRAFT.value)
    application.mobile = user.username if user.username.isdigit() else None
    application.name = user.first_name or None
    db.session.add(application)
    return application


def apply_fields(application: Application, data: dict) -> dict[str, str]:
    """Check the citizen's fields and copy the valid ones onto a draft. Empty is fine here; what is given must be
    valid. Returns every bad field (field -> message); a bad field keeps its stored value, and the caller shows it
    again as typed."""
    errors: dict[str, str] = {}
    clean: dict = {}
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            value = _text(data, field, errors)
            if value is None:
                continue
            if field == "name":
                try:
                    value = names.clean(value, _("姓名"))
                except names.BadName as bad:
                    errors[field], value = str(bad), ""
            else:
                value = value.strip()
            if field not in errors and len(value) > limit:
                errors[field] = _("不能超过 %(n)s 个字", n=limit)
            clean[field] = value or None
    if "id_number" in data and (raw := _text(data, "id_number", errors)) is not None:
        raw = raw.strip()
        clean["id_number"] = None
        if raw:
            try:
                resident = parse_id_number(raw, today=clock.now().date())
            except IdNumberError as bad:
                errors["id_number"] = str(bad)
            else:
                clean["id_number"] = resident.number
                # A returned application is a submitted one: one per ID number and campaign (the database's unique
                # index would refuse the save as a whole).
                submitted = application.status != ApplicationStatus.DRAFT.value
                if submitted and resident.number != application.id_number and id_number_taken(application,
                                                                                               resident.number):
                    errors["id_number"] = _("该身份证号已在本批次提交过报名，每人每批次只能报名一次")
    # Birth date and gender are the ID number's, never entered apart from it (the model recomputes them on save):
    # a value sent along is only checked against the number, so that a differing one is not silently dropped.
    id_stated = None if "id_number" in errors else derived_from(clean.get("id_number", application.id_number))
    if "gender" in data:
        gender = data.get("gender") or None
        if gender not in (None, "male", "female"):
            errors["gender"] = _("请选择性别")
        elif gender is not None and id_stated is not None and gender != id_stated[1]:
            errors["gender"] = _("性别由身份证号自动生成，与身份证号不一致；请核对身份证号")
    if "birth_date" in data:
        born = data.get("birth_date") or None
        if isinstance(born, str):
            try:
                born = date.fromisoformat(born)
            except ValueError:
                born = False
        if born is False or (born is not None and not isinstance(born, date)):
            errors["birth_date"] = _("出生日期格式应为 YYYY-MM-DD")
        elif born is not None and id_stated is not None and born != id_stated[0]:
            errors["birth_date"] = _("出生日期由身份证号自动生成，与身份证号不一致；请核对身份证号")
    if "mobile" in data and (raw := _text(data, "mobile", errors)) is not None:
        raw = raw.strip()
        clean["mobile"] = None
        if raw:
            try:
                clean["mobile"] = normalize_mobile(raw)
            except PhoneError as bad:
                errors["mobile"] = str(bad)
    if "deeds" in data and (deeds := _text(data, "deeds", errors)) is not None:
        deeds = deeds.replace("\r\n", "\n").strip()
        if len(deeds) > DEEDS_MAX_CHARS:
            errors["deeds"] = _("个人先进事迹不能超过 %(max)s 字，现在是 %(n)s 字", max=DEEDS_MAX_CHARS, n=len(deeds))
        clean["deeds"] = deeds or None
    if "unit_id" in data:
        unit_id = data.get("unit_id")
        clean["unit_id"] = None
        if unit_id not in (None, ""):
            unit = db.session.get(Unit, row_id(unit_id)) if row_id(unit_id) is not None else None
            if unit is None or unit.level != 2:
                errors["unit_id"] = _("请依次选择单位类别、一级单位和二级单位")
            else:
                clean["unit_id"] = unit.id
    for flag in ("is_permanent_resident", "declaration_confirmed"):
        if flag in data:
            value = data.get(flag)
            if value is None or isinstance(value, bool):  # the page's checkbox, or a REST client's true / false
                clean[flag] = bool(value)
            else:  # "false" or "否" is not a no to be read as a yes
                errors[flag] = _("须为 true 或 false")
    for field, value in clean.items():
        if field not in errors:
            setattr(application, field, value)
    application.derive_from_id_number()
    return errors


def _text(data: dict, field: str, errors: dict) -> str | None:
    """The text given for field ("" for none); None, with the field's error, when it is not text: the page always
    sends text, a REST client may send a number, a list or an object."""
    value = data.get(field)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    errors[field] = _("须为文字")
    return None


REQUIRED = {
    "name": _l("请填写姓名"),
    "id_number": _l("请填写身份证号"),
    "mobile": _l("请填写手机号码"),
    "work_unit": _l("请填写工作单位"),
    "position": _l("请填写职务"),
    "address": _l("请填写住址"),
    "unit_id": _l("请选择推荐单位（单位类别 → 一级单位 → 二级单位）"),
    "deeds": _l("请填写个人先进事迹"),
    "photo_file": _l("请上传一寸白底彩色照片"),
    "video_file": _l("请上传 5 分钟以内的视频"),
}


def completeness_errors(application: Application) -> dict[str, str]:
    """Everything a submission needs (R-APP-1..5, R-APP-6), as field -> message; empty when it may be submitted."""
    errors = {field: str(message) for field, message in REQUIRED.items() if not getattr(application, field)}
    if not application.is_permanent_resident:
        errors["is_permanent_resident"] = _("评选范围为北京市辖区内的常住居民，请确认")
    if not application.declaration_confirmed:
        errors["declaration_confirmed"] = _("请确认所填信息真实准确")
    if application.id_number:
        winner = db.session.query(PastWinner).filter_by(id_number=application.id_number).first()
        if winner is not None:
            errors["id_number"] = _(
                "您已获评首都市民学习之星（%(batch)s），按通知规定不再申报", batch=winner.batch
            )
        elif id_number_taken(application):
            errors["id_number"] = _("该身份证号已在本批次提交过报名，每人每批次只能报名一次")
    return errors


def id_number_taken(application: Application, id_number: str | None = None) -> bool:
    """Whether another application of the campaign was submitted with id_number (by default the application's)."""
    return (
        db.session.query(Application.id)
        .filter(
            Application.campaign_id == application.campaign_id,
            Application.id_number == (id_number or application.id_number),
            Application.id != application.id,
            Application.status != ApplicationStatus.DRAFT.value,
        )
        .first()
        is not None
    )


# --- saving a draft: one command for the 在线报名 page and /api/v1/my_application/ ------------------------------

class NotEditable(Exception):
    """The application is no longer the citizen's to change (submitted, or being submitted right now)."""


@dataclass
class DraftSaved:
    application: Application
    errors: dict[str, str]  # field -> message for what was not saved; empty when everything was


def lock_own(user, campaign: Campaign, create: bool = False) -> Application | None:
    """The user's application in campaign, locked for this transaction (SELECT … FOR UPDATE) and read afresh
    (populate_existing: what counts is the row now, not what this session read before the lock)."""
    def locked():
        return (
            db.session.query(Application)
            .filter_by(campaign_id=campaign.id, applicant_id=user.id)
            .with_for_update()
            .populate_existing()
            .one_or_none()
        )

    application = locked()
    if application is None and create:
        try:
            # A savepoint, not a rollback of the whole transaction: that would take the files this request has
            # already received with it (app/storage.py) while the request goes on to attach them.
            with db.session.begin_nested():
                new_draft(user, campaign)
        except IntegrityError:  # a second request of the same citizen created it first: use theirs
            pass
        application = locked()
    return application


def _lock_editable(user, campaign: Campaign) -> Application:
    """The user's application, locked (lock_own), that may still be changed: raises NotEditable once 在线报名 has
    ended or the application was submitted (a page left open, a second tab, a client racing itself)."""
    closed = schedule.editing_closed(campaign)
    if closed is not None:
        db.session.rollback()  # files received for this request go with it
        raise NotEditable(closed)
    application = lock_own(user, campaign, create=True)
    if not application.editable_by_applicant:
        db.session.rollback()
        raise NotEditable(_("报名已提交，不能再修改"))
    return application


def _receive_all(files: dict) -> tuple[dict, dict]:
    """Take uploads in before any lock is held: (kind -> media_intake.Received, kind -> refusal message)."""
    received, errors = {}, {}
    for kind, (stream, filename) in files.items():
        try:
            received[kind] = media_intake.receive(kind, stream, filename)
        except media_intake.MediaRefused as refused:
            errors[kind] = str(refused)
    return received, errors


def save_draft(user, campaign: Campaign, data: dict, files: dict | None = None) -> DraftSaved:
    """Save what the citizen typed and uploaded: every valid field and file is kept, every bad one reported at
    its field. Files are checked first; then the row is locked as app/workflow.py's perform() does, so a 提交 racing
    with an edit either comes first (and the edit is refused) or sees the edit; commits.

    `files`: kind ("photo"/"video") -> (stream, filename). Raises NotEditable once the application was submitted
    or 在线报名 has ended.
    """
    if schedule.editing_closed(campaign) is None:
        received, file_errors = _receive_all(files or {})
    else:
        received, file_errors = {}, {}
    application = _lock_editable(user, campaign)
    errors = apply_fields(application, data)
    for upload in received.values():
        upload.attach_to(application)
    errors.update(file_errors)
    db.session.commit()
    return DraftSaved(application, errors)


def upload(user, campaign: Campaign, kind: str, stream, filename: str) -> Application:
    """One photo or video for the user's application, from the page's upload or the REST API: checked and stored
    first, then attached under the same lock as save_draft; commits. Raises NotEditable, or MediaRefused with the
    reason (nothing kept then)."""
    _refuse_if_closed_or_submitted(user, campaign)  # say so before taking in 50 MB
    received = media_intake.receive(kind, stream, filename)
    application = _lock_editable(user, campaign)
    received.attach_to(application)
    db.session.commit()
    return application


def _refuse_if_closed_or_submitted(user, campaign: Campaign) -> None:
    closed = schedule.editing_closed(campaign)
    if closed is not None:
        raise NotEditable(closed)
    application = application_of(user, campaign)
    if application is not None and not application.editable_by_applicant:
        raise NotEditable(_("报名已提交，不能再修改"))
