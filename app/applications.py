"""What makes an application's data acceptable: field checks for drafts, completeness for submission,
the ID-number rules of R-APP-6. No state changes here: those are app/workflow.py's."""
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import clock
from app.extensions import db
from app.identity import IdNumberError, parse_id_number
from app.models import Application, ApplicationStatus, Campaign, PastWinner, Unit
from app.models.application import DEEDS_MAX_CHARS
from app.phones import PhoneError, normalize_mobile

TEXT_LIMITS = {"name": 50, "work_unit": 100, "position": 50, "address": 200}


class FieldErrors(ValueError):
    """Field name -> Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def application_of(user, campaign: Campaign) -> Application | None:
    return db.session.query(Application).filter_by(campaign_id=campaign.id, applicant_id=user.id).one_or_none()


def new_draft(user, campaign: Campaign) -> Application:
    application = Application(campaign=campaign, applicant=user, status=ApplicationStatus.DRAFT.value)
    application.mobile = user.username if user.username.isdigit() else None
    application.name = user.first_name or None
    db.session.add(application)
    return application


def apply_fields(application: Application, data: dict) -> None:
    """Check and copy the citizen's fields onto a draft. Empty is fine here; what is given must be valid.

    Raises FieldErrors listing every bad field; nothing is copied then, so the caller shows the form again as typed.
    """
    errors: dict[str, str] = {}
    clean: dict = {}
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            value = (data.get(field) or "").strip()
            if len(value) > limit:
                errors[field] = _("不能超过 %(n)s 个字", n=limit)
            clean[field] = value or None
    if "id_number" in data:
        raw = (data.get("id_number") or "").strip()
        clean["id_number"] = None
        if raw:
            try:
                resident = parse_id_number(raw, today=clock.now().date())
            except IdNumberError as bad:
                errors["id_number"] = str(bad)
            else:
                clean["id_number"] = resident.number
                # Birth date and gender follow from the ID number; a differing entry is corrected, not argued with.
                clean["birth_date"] = resident.birth_date
                clean["gender"] = resident.gender
    if "gender" in data and "gender" not in clean:
        gender = data.get("gender") or None
        if gender not in (None, "male", "female"):
            errors["gender"] = _("请选择性别")
        clean["gender"] = gender
    if "birth_date" in data and "birth_date" not in clean:
        born = data.get("birth_date") or None
        if isinstance(born, str):
            try:
                born = date.fromisoformat(born)
            except ValueError:
                errors["birth_date"] = _("出生日期格式应为 YYYY-MM-DD")
                born = None
        clean["birth_date"] = born
    if "mobile" in data:
        raw = (data.get("mobile") or "").strip()
        clean["mobile"] = None
        if raw:
            try:
                clean["mobile"] = normalize_mobile(raw)
            except PhoneError as bad:
                errors["mobile"] = str(bad)
    if "deeds" in data:
        deeds = (data.get("deeds") or "").replace("\r\n", "\n").strip()
        if len(deeds) > DEEDS_MAX_CHARS:
            errors["deeds"] = _("个人先进事迹不能超过 %(max)s 字，现在是 %(n)s 字", max=DEEDS_MAX_CHARS, n=len(deeds))
        clean["deeds"] = deeds or None
    if "unit_id" in data:
        unit_id = data.get("unit_id") or None
        clean["unit_id"] = None
        if unit_id:
            unit = db.session.get(Unit, int(unit_id)) if str(unit_id).isdigit() else None
            if unit is None or unit.level != 2:
                errors["unit_id"] = _("请依次选择单位类别、一级单位和二级单位")
            else:
                clean["unit_id"] = unit.id
    for flag in ("is_permanent_resident", "declaration_confirmed"):
        if flag in data:
            clean[flag] = bool(data.get(flag))
    if errors:
        raise FieldErrors(errors)
    for field, value in clean.items():
        setattr(application, field, value)


REQUIRED = {
    "name": _l("请填写姓名"),
    "gender": _l("请选择性别"),
    "birth_date": _l("请填写出生日期"),
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


def id_number_taken(application: Application) -> bool:
    return (
        db.session.query(Application.id)
        .filter(
            Application.campaign_id == application.campaign_id,
            Application.id_number == application.id_number,
            Application.id != application.id,
            Application.status != ApplicationStatus.DRAFT.value,
        )
        .first()
        is not None
    )
