"""公示异议 (R-PUB-2): the public lodges an objection to a candidate during 公示; the city office handles it
(受理 → 核实 → 结论, or 不予受理) — one table of transitions and one function that applies them, in app/workflow.py's
shape. Withdrawing the candidate is workflow.perform(..., "withdraw", reason).

The objector's name and phone stay in the objection (the city office's only, scoping.objection_clause): the audit
log records receipts, candidates and steps, never the objector, nor the texts, which may name them.
"""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import audit, clock, notifications, scoping
from app.display import format_time
from app.extensions import db
from app.models import Application, Objection, ObjectionEvent, Stage
from app.models.application import PUBLIC_CANDIDATES
from app.models.publicity import ObjectionFinding, ObjectionStatus
from app.phones import PhoneError, normalize_mobile
from app.workflow import WorkflowError

O = ObjectionStatus
FACTS_MIN, FACTS_MAX = 20, 2000
NAME_MAX, UNIT_MAX, TEXT_MAX = 50, 100, 2000
PUBLIC_ACTOR = "public"  # ObjectionEvent.actor_name of the lodging itself


@dataclass(frozen=True)
class Transition:
    action: str
    label: object
    sources: frozenset
    target: ObjectionStatus
    text_required: bool = False
    finding_required: bool = False
    missing_text: object = None  # what a missing text is called, at its field


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", _l("受理"), frozenset({O.RECEIVED}), O.ACCEPTED),
        Transition("verify", _l("开始核实"), frozenset({O.ACCEPTED}), O.VERIFYING),
        Transition("conclude", _l("办结"), frozenset({O.VERIFYING}), O.CONCLUDED, text_required=True,
                   finding_required=True, missing_text=_l("请填写办理结论（将告知异议人）")),
        Transition("dismiss", _l("不予受理"), frozenset({O.RECEIVED}), O.DISMISSED, text_required=True,
                   missing_text=_l("请填写不予受理的理由（将告知异议人）")),
    )
}
EVENT_LABELS = {"lodge": _l("提出异议"), **{a: t.label for a, t in TRANSITIONS.items()}}


def window_refusal(campaign, at=None) -> str | None:
    """Why no objection can be lodged now (Chinese, with the notice period's dates), or None during 公示."""
    if campaign is None:
        return _("当前没有评选批次在公示")
    window = campaign.window(Stage.PUBLICITY)
    if window is None or window.starts_at is None or window.ends_at is None:
        return _("公示时间尚未公布，公示期间方可提出异议")
    at = at or clock.now()
    if window.is_open(at):
        return None
    start, end = format_time(window.starts_at), format_time(window.ends_at)
    if at < window.starts_at:
        return _("公示期为 %(start)s 至 %(end)s，公示开始后方可提出异议", start=start, end=end)
    return _("公示期（%(start)s 至 %(end)s）已结束，不再受理异议", start=start, end=end)


def public_candidates(campaign) -> list[Application]:
    """The candidates one may object to: the campaign's 拟评选 (重点宣传 included), by name."""
    if campaign is None:
        return []
    return (
        db.session.query(Application)
        .filter(Application.campaign_id == campaign.id,
                Application.status.in_([s.value for s in PUBLIC_CANDIDATES]))
        .options(joinedload(Application.unit))  # each choice names the unit: one query, not one per unit
        .order_by(Application.name, Application.id)
        .all()
    )


def _lodge_errors(campaign, application_id, objector_name, objector_phone, objector_unit, facts):
    """(cleaned values, errors by field)."""
    errors, values = {}, {}
    application = None
    raw_id = str(application_id or "").strip()
    if raw_id.isdigit():
        application = db.session.get(Application, int(raw_id))
    if raw_id == "":
        errors["application_id"] = _("请选择对其提出异议的候选人")
    elif (application is None or application.campaign_id != campaign.id
          or application.status_enum not in PUBLIC_CANDIDATES):
        errors["application_id"] = _("该人员不在本次公示的候选人名单中")
    values["application"] = application
    name = (objector_name or "").strip()
    if not name:
        errors["objector_name"] = _("请填写您的真实姓名")
    elif len(name) > NAME_MAX:
        errors["objector_name"] = _("姓名不能超过 %(n)s 个字", n=NAME_MAX)
    values["objector_name"] = name
    try:
        values["objector_phone"] = normalize_mobile(objector_phone or "")
    except PhoneError as bad:
        errors["objector_phone"] = str(bad)
    unit = (objector_unit or "").strip()
    if len(unit) > UNIT_MAX:
        errors["objector_unit"] = _("工作单位或住址不能超过 %(n)s 个字", n=UNIT_MAX)
    values["objector_unit"] = unit or None
    text = (facts or "").strip()
    if len(text) < FACTS_MIN:
        errors["facts"] = _("请具体写明异议的事实和理由（至少 %(n)s 个字）", n=FACTS_MIN)
    elif len(text) > FACTS_MAX:
        errors["facts"] = _("异议内容不能超过 %(n)s 个字（现有 %(len)s 个字）", n=FACTS_MAX, len=len(text))
    values["facts"] = text
    return values, errors


def lodge_errors(campaign, application_id, objector_name, objector_phone, objector_unit, facts) -> dict:
    """What lodge() would refuse at each field, without lodging: shown together with a wrong captcha, so that
    the objector corrects everything in one go instead of one image per mistake."""
    if window_refusal(campaign):
        return {}
    return _lodge_errors(campaign, application_id, objector_name, objector_phone, objector_unit, facts)[1]


def lodge(campaign, application_id, objector_name, objector_phone, objector_unit, facts) -> Objection:
    """A member of the public's objection, during 公示, against a current candidate; returns it with its receipt."""
    closed = window_refusal(campaign)
    if closed:
        raise WorkflowError(closed, status=403)
    values, errors = _lodge_errors(campaign, application_id, objector_name, objector_phone, objector_unit, facts)
    if errors:
        raise WorkflowError(_("请按提示修改后再提交"), errors=errors, status=422)
    application = values.pop("application")
    for _attempt in range(5):
        now = clock.now()
        objection = Objection(
            receipt_number=Objection.new_receipt_number(now.year), campaign_id=campaign.id,
            application_id=application.id, status=O.RECEIVED.value, lodged_at=now, updated_at=now, **values,
        )
        objection.events.append(ObjectionEvent(at=now, actor_name=PUBLIC_ACTOR, action="lodge",
                                               to_status=O.RECEIVED.value))
        db.session.add(objection)
        try:
            db.session.flush()
        except IntegrityError as clash:
            db.session.rollback()
            if "receipt_number" not in str(clash.orig):
                raise
            continue  # two receipts alike (one in a billion): draw again
        # The receipt and whom it is about; never the objector or the facts (which may name them).
        audit.record("objection.lodge", "objection", objection.id, f"{objection.receipt_number} · {application.name}",
                     application_id=application.id, campaign_id=campaign.id)
        notifications.objection_lodged(objection, application)
        db.session.commit()
        return objection
    raise WorkflowError(_("系统繁忙，请稍后再试"), status=503)


def allowed_actions(actor, objection: Objection) -> list[str]:
    """The steps perform() would accept now (for showing the handling forms)."""
    if not scoping.can_see_objection(actor, objection):
        return []
    return [a for a, t in TRANSITIONS.items() if objection.status_enum in t.sources]


def perform(actor, objection_id, action: str, finding=None, text=None) -> Objection:
    """One handling step by the city office: lock, check role, state, finding and text, record the step, commit."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise WorkflowError(_("未知的操作"), status=400)
    if not scoping.is_city_office(actor):
        raise WorkflowError(_("您的角色不能执行「%(a)s」", a=transition.label), status=403)
    if not str(objection_id).isdigit():
        raise WorkflowError(_("找不到该异议"), status=404)
    try:
        objection = (
            db.session.query(Objection)
            .filter(Objection.id == int(objection_id), scoping.objection_clause(actor))
            .with_for_update()
            .populate_existing()
            .one_or_none()
        )
        if objection is None:
            raise WorkflowError(_("找不到该异议"), status=404)
        if objection.status_enum not in transition.sources:
            raise WorkflowError(_("该异议当前为「%(s)s」，不能「%(a)s」", s=objection.status_label, a=transition.label))
        text = (text or "").strip() or None
        finding = (finding or "").strip() or None
        errors = {}
        if transition.finding_required and finding not in {f.value for f in ObjectionFinding}:
            errors["finding"] = _("请选择核实结论")
        if transition.text_required and not text:
            errors["text"] = str(transition.missing_text)
        elif text and len(text) > TEXT_MAX:
            errors["text"] = _("不能超过 %(n)s 个字", n=TEXT_MAX)
        if errors:
            raise WorkflowError(next(iter(errors.values())), errors=errors, status=422)
        source, now = objection.status, clock.now()
        objection.status = transition.target.value
        if transition.target in (O.CONCLUDED, O.DISMISSED):
            objection.conclusion = text
            objection.concluded_at = now
            objection.finding = finding if transition.finding_required else None
        objection.updated_at = now
        db.session.add(ObjectionEvent(objection=objection, at=now, actor_id=actor.id, actor_name=actor.username,
                                      action=action, from_status=source, to_status=objection.status, note=text))
        audit.record(f"objection.{action}", "objection", objection.id, repr(objection),
                     from_status=source, to_status=objection.status, finding=objection.finding)
        db.session.commit()
    except WorkflowError:
        db.session.rollback()
        raise
    return objection


_RECEIPT = re.compile(r"^YY(\d{4})-?([0-9A-Z]{6})$")


def normalise_receipt(text: str) -> str:
    """What the objector typed, in the stored form: upper case, no spaces, "YY2026-7KQ4M9"."""
    raw = re.sub(r"[\s\u3000]", "", text or "").upper().replace("－", "-").replace("—", "-")
    found = _RECEIPT.match(raw)
    return f"YY{found.group(1)}-{found.group(2)}" if found else raw


def lookup(receipt_number: str, phone: str) -> Objection | None:
    """The objection with this receipt lodged from this phone, or None: a wrong receipt and a wrong phone get the
    same answer, so the lookup tells nothing about anyone else's objection."""
    receipt = normalise_receipt(receipt_number)
    try:
        mobile = normalize_mobile(phone or "")
    except PhoneError:
        return None
    if not receipt:
        return None
    return (
        db.session.query(Objection)
        .filter(Objection.receipt_number == receipt, Objection.objector_phone == mobile)
        .one_or_none()
    )


def register_sheet(rows) -> tuple[list[tuple[str, int]], object]:
    """异议登记 as Excel (app/exports.py write_table): one row per objection, the objector's contact included, for
    the city office only (the caller has scoped the rows with scoping.objection_clause)."""
    heads = [(_("回执编号"), 15), (_("提出时间"), 19), (_("候选人"), 10), (_("候选人推荐单位"), 24),
             (_("异议人姓名"), 10), (_("异议人手机号码"), 13), (_("异议人工作单位或住址"), 24),
             (_("异议的事实和理由"), 50), (_("办理状态"), 12), (_("核实结论"), 16), (_("办理结论或不予受理理由"), 40),
             (_("办结时间"), 19)]

    def cells():
        for o in rows:
            unit = o.application.unit
            unit_name = "" if unit is None else (f"{unit.parent.name} · {unit.name}" if unit.parent else unit.name)
            yield [o.receipt_number, o.lodged_at, o.application.name, unit_name, o.objector_name, o.objector_phone,
                   o.objector_unit or "", o.facts, str(o.status_label), str(o.finding_label), o.conclusion or "",
                   o.concluded_at]

    return heads, cells()
