"""The city office's side of 专家评审 before scoring starts: experts (accounts with role 专家), 专家组 per round,
declared conflicts (回避关系) and each round's settings (评审设置: experts per application, the rubric).

One service for both front doors: the screens (app/views/experts.py) and the REST API (app/api/experts.py) call
these functions; each checks the actor, the input and the round's state, audits, and leaves the commit to the caller
except where it says otherwise. Refusals are ExpertError with a Chinese message and the form field it belongs to.
"""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app import audit, clock, names, roles, scoping
from app.accounts import AccountError, generate_password, placeholder_email, validate_username
from app.bounds import row_id
from app.display import format_time
from app.extensions import db
from app.models import (
    Account,
    Application,
    ApplicationStatus,
    Expert,
    ExpertConflict,
    ExpertPanel,
    ExpertPanelMember,
    ExpertPanelUnit,
    ReviewRound,
    Unit,
)
from app.phones import PhoneError, normalize_mobile

MAX_NAME = 64
MAX_EMPLOYER = 100
MAX_FIELD = 100
MAX_PANEL_NAME = 50
MAX_REASON = 200
MAX_EXPERTS_PER_APPLICATION = 15
GENERATED_USERNAME = re.compile(r"^expert(\d+)$")


class ExpertError(ValueError):
    """A refused change; str() is the message, `field` the form field (None: the whole form), `status` the HTTP
    status a REST answer carries."""

    status = 422

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


class Forbidden(ExpertError):
    status = 403


def require_city_office(actor) -> None:
    if not scoping.is_city_office(actor):
        raise Forbidden(_("只有市学习办可以管理评审专家和评审设置"))


# --- experts ------------------------------------------------------------------------------------------------

@dataclass
class ExpertInput:
    """What a form, an API body or a sheet row says about an expert."""

    name: str = ""
    employer: str = ""
    field: str | None = None
    phone: str = ""
    employer_unit_id: int | None = None
    username: str | None = None  # new experts only; empty: generated


def check_name(name) -> str:
    try:
        name = names.clean(name, _("专家姓名"))
    except names.BadName as bad:
        raise ExpertError(str(bad), field="name") from None
    if not name:
        raise ExpertError(_("请填写专家姓名"), field="name")
    if len(name) > MAX_NAME:
        raise ExpertError(_("姓名不能超过 %(n)s 个字", n=MAX_NAME), field="name")
    return name


def check_employer(employer) -> str:
    employer = (employer or "").strip()
    if not employer:
        raise ExpertError(_("请填写工作单位"), field="employer")
    if len(employer) > MAX_EMPLOYER:
        raise ExpertError(_("工作单位不能超过 %(n)s 个字", n=MAX_EMPLOYER), field="employer")
    return employer


def check_field(value) -> str | None:
    value = (value or "").strip()
    if len(value) > MAX_FIELD:
        raise ExpertError(_("专业领域不能超过 %(n)s 个字", n=MAX_FIELD), field="field")
    return value or None


def check_phone(phone, exclude_account_id: int | None = None) -> str:
    """A mainland mobile no other account uses (an expert is told apart from namesakes by it)."""
    if not (phone or "").strip():
        raise ExpertError(_("请填写手机号"), field="phone")
    try:
        phone = normalize_mobile(phone)
    except PhoneError as bad:
        raise ExpertError(str(bad), field="phone") from bad
    with db.session.no_autoflush:
        query = db.session.query(Account).filter(Account.phone == phone)
        if exclude_account_id is not None:
            query = query.filter(Account.id != exclude_account_id)
        holder = query.first()
    if holder is not None:
        raise ExpertError(_("手机号 %(phone)s 已用于账号 %(name)s（%(username)s）", phone=phone,
                            name=holder.display_name, username=holder.username), field="phone")
    return phone


def check_employer_unit(unit_id) -> Unit | None:
    if unit_id in (None, "", 0):
        return None
    unit = db.session.get(Unit, row_id(unit_id)) if row_id(unit_id) is not None else None  # "abc", 1e20: no unit
    if unit is None:
        raise ExpertError(_("所选单位不存在"), field="employer_unit")
    return unit


def next_username() -> str:
    """expert<n>, one past the highest number in use."""
    names = db.session.query(Account.username).filter(Account.username.like("expert%")).all()
    numbers = [int(m.group(1)) for (name,) in names if (m := GENERATED_USERNAME.match(name or ""))]
    return f"expert{max(numbers, default=0) + 1}"


def check_new_username(username) -> str:
    try:
        return validate_username(username)
    except AccountError as bad:
        raise ExpertError(str(bad), field="username") from bad


def create_expert(security_manager, actor, data: ExpertInput) -> tuple[Expert, str]:
    """A new expert: account (role 专家, generated password to be changed at first sign-in) and Expert row, added
    to the session (caller commits). Returns (expert, password): the password is shown once."""
    require_city_office(actor)
    values = collect(
        name=lambda: check_name(data.name),
        employer=lambda: check_employer(data.employer),
        field=lambda: check_field(data.field),
        phone=lambda: check_phone(data.phone),
        employer_unit=lambda: check_employer_unit(data.employer_unit_id),
        username=lambda: check_new_username(data.username) if (data.username or "").strip() else next_username(),
    )
    password = generate_password()
    username = values["username"]
    account = Account(
        username=username, first_name=values["name"], last_name="", email=placeholder_email(username), active=True,
        password=generate_password_hash(password), must_change_password=True, phone=values["phone"],
        roles=[security_manager.find_role(roles.EXPERT)],
    )
    expert = Expert(account=account, employer=values["employer"], employer_unit=values["employer_unit"],
                    field=values["field"])
    db.session.add_all([account, expert])
    return expert, password


def collect(**checks) -> dict:
    """Run every check; raise the first field's error only after trying all (so a form can show them together)."""
    values, errors = {}, []
    for key, check in checks.items():
        try:
            values[key] = check()
        except ExpertError as bad:
            errors.append(bad)
    if errors:
        raise ExpertErrors(errors)
    return values


class ExpertErrors(ExpertError):
    """Several fields refused at once; str() is the first message, `errors` all of them."""

    def __init__(self, errors: list[ExpertError]):
        super().__init__(str(errors[0]), field=errors[0].field)
        self.errors = errors
        self.status = max(e.status for e in errors)

    def by_field(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for error in self.errors:
            found.setdefault(error.field or "", []).append(str(error))
        return found


def field_errors(error: ExpertError) -> dict[str, list[str]]:
    return error.by_field() if isinstance(error, ExpertErrors) else {error.field or "": [str(error)]}


def update_expert(actor, expert: Expert, data: ExpertInput, active: bool | None = None) -> Expert:
    """Change an expert's name, employer, field, phone, portal unit (and active, when given); caller commits."""
    require_city_office(actor)
    values = collect(
        name=lambda: check_name(data.name),
        employer=lambda: check_employer(data.employer),
        field=lambda: check_field(data.field),
        phone=lambda: check_phone(data.phone, exclude_account_id=expert.account_id),
        employer_unit=lambda: check_employer_unit(data.employer_unit_id),
    )
    expert.account.first_name = values["name"]
    expert.account.phone = values["phone"]
    expert.employer = values["employer"]
    expert.employer_unit = values["employer_unit"]
    expert.field = values["field"]
    if active is not None:
        set_active(actor, expert, active)
    return expert


def set_active(actor, expert: Expert, active: bool) -> None:
    """停用/启用: a deactivated expert cannot sign in; their panels and reviews stay as they are."""
    require_city_office(actor)
    if expert.account.active != bool(active):
        expert.account.active = bool(active)
        audit.audit_as(expert.account, "expert.activated" if active else "expert.deactivated")


def expert_in_scope(actor, expert_id) -> Expert | None:
    """The expert if the actor may see it (app/scoping.expert_clause asked about one id), else None."""
    if row_id(expert_id) is None:
        return None
    return db.session.query(Expert).filter(scoping.expert_clause(actor), Expert.id == row_id(expert_id)).one_or_none()


# --- rounds: 评审设置 -------------------------------------------------------------------------------------------

def settings_locked(review_round: ReviewRound, at=None) -> str | None:
    """Why the round's settings can no longer change (its window has opened, or it is closed), or None."""
    if review_round.is_closed:
        return _("本轮评审已结束，评审设置不能再修改")
    window = review_round.campaign.window(review_round.stage)
    if window is not None and window.starts_at is not None and (at or clock.now()) >= window.starts_at:
        return _("「%(stage)s」已于 %(start)s 开始，评审设置不能再修改（专家打分须按同一标准）",
                 stage=review_round.stage_label, start=format_time(window.starts_at))
    return None


@dataclass
class CriterionInput:
    label: str
    weight: int
    max_score: int


def update_round(actor, review_round: ReviewRound, experts_per_application,
                 criteria: dict[int, CriterionInput]) -> ReviewRound:
    """Set how many experts read each application (1..15) and each criterion's label, weight (1..100) and scale
    (1..100), before the round's window opens. Criteria are named by id; every criterion of the round is required.
    Weights need not sum to 100: totals are normalised (app/scoring.py). Locks the round; caller commits."""
    require_city_office(actor)
    locked_round = db.session.query(ReviewRound).filter_by(id=review_round.id).with_for_update().one()
    reason = settings_locked(locked_round)
    if reason:
        raise Forbidden(reason)
    checks = {"experts_per_application": lambda: _int_between(
        experts_per_application, 1, MAX_EXPERTS_PER_APPLICATION, "experts_per_application",
        _("每份申报的评审专家人数"))}
    by_id = {c.id: c for c in locked_round.criteria}
    unknown = set(criteria) - set(by_id)
    if unknown:
        raise ExpertError(_("评分标准不属于本轮评审"), field="criteria")
    missing = set(by_id) - set(criteria)
    if missing:
        raise ExpertError(_("请填写全部 %(n)s 项评分标准", n=len(by_id)), field="criteria")
    for criterion_id, given in criteria.items():
        prefix = f"criteria-{criterion_id}-"
        checks[prefix + "label"] = (lambda g=given, p=prefix: _label(g.label, p + "label"))
        checks[prefix + "weight"] = (lambda g=given, p=prefix: _int_between(g.weight, 1, 100, p + "weight", _("权重")))
        checks[prefix + "max_score"] = (
            lambda g=given, p=prefix: _int_between(g.max_score, 1, 100, p + "max_score", _("满分")))
    values = collect(**checks)
    changes = {}
    if locked_round.experts_per_application != values["experts_per_application"]:
        changes["experts_per_application"] = [locked_round.experts_per_application, values["experts_per_application"]]
    locked_round.experts_per_application = values["experts_per_application"]
    for criterion_id in criteria:
        criterion = by_id[criterion_id]
        prefix = f"criteria-{criterion_id}-"
        before = (criterion.label, criterion.weight, criterion.max_score)
        criterion.label = values[prefix + "label"]
        criterion.weight = values[prefix + "weight"]
        criterion.max_score = values[prefix + "max_score"]
        after = (criterion.label, criterion.weight, criterion.max_score)
        if before != after:
            changes[before[0]] = [_criterion_text(*before), _criterion_text(*after)]
    if changes:
        audit.record("review_round.update", "review_round", locked_round.id, str(locked_round), **changes)
    return locked_round


def _criterion_text(label, weight, max_score) -> str:
    return _("%(label)s（权重 %(weight)s，满分 %(max)s）", label=label, weight=weight, max=max_score)


def _label(value, field) -> str:
    value = (value or "").strip()
    if not value:
        raise ExpertError(_("请填写评分项名称"), field=field)
    if len(value) > 100:
        raise ExpertError(_("评分项名称不能超过 100 个字"), field=field)
    return value


def _int_between(value, low, high, field, what) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ExpertError(_("%(what)s须为 %(low)s–%(high)s 的整数", what=what, low=low, high=high), field=field) from None
    if not low <= number <= high:
        raise ExpertError(_("%(what)s须为 %(low)s–%(high)s 的整数", what=what, low=low, high=high), field=field)
    return number


# --- panels: 专家组 --------------------------------------------------------------------------------------------

def save_panel(actor, review_round: ReviewRound, name: str, expert_ids, unit_ids,
               panel: ExpertPanel | None = None) -> ExpertPanel:
    """Create (panel None) or change a 专家组 of a round: its name, experts and first-level units. An expert sits in
    one panel per round; a first-level unit belongs to one panel per round; at most one panel per round has no
    units (it takes the rest). Refused once the round is closed. Caller commits (and catches IntegrityError with
    `panel_conflict`, for two offices saving at once)."""
    require_city_office(actor)
    if review_round.is_closed:
        raise Forbidden(_("本轮评审已结束，专家组不能再修改"))
    expert_ids = sorted({int(i) for i in expert_ids or ()})
    unit_ids = sorted({int(i) for i in unit_ids or ()})
    others = [p for p in review_round.panels if panel is None or p.id != panel.id]
    errors = []

    name = (name or "").strip()
    if not name:
        errors.append(ExpertError(_("请填写专家组名称"), field="name"))
    elif len(name) > MAX_PANEL_NAME:
        errors.append(ExpertError(_("专家组名称不能超过 %(n)s 个字", n=MAX_PANEL_NAME), field="name"))
    elif any(p.name == name for p in others):
        errors.append(ExpertError(_("本轮已有名为「%(name)s」的专家组", name=name), field="name"))

    experts = (db.session.query(Expert).filter(Expert.id.in_(expert_ids)).order_by(Expert.id).all()
               if expert_ids else [])
    if not expert_ids:
        errors.append(ExpertError(_("请至少选择一位专家"), field="experts"))
    elif len(experts) != len(expert_ids):
        errors.append(ExpertError(_("所选专家不存在"), field="experts"))
    taken = {m.expert_id: p for p in others for m in p.members}
    for expert in experts:
        if expert.id in taken:
            errors.append(ExpertError(_("专家 %(name)s 已在本轮的「%(panel)s」中，每位专家每轮只能在一个专家组",
                                        name=expert.name, panel=taken[expert.id].name), field="experts"))

    units = db.session.query(Unit).filter(Unit.id.in_(unit_ids)).order_by(Unit.id).all() if unit_ids else []
    if len(units) != len(unit_ids) or any(u.level != 1 for u in units):
        errors.append(ExpertError(_("只能选择一级单位"), field="units"))
    claimed = {pu.unit_id: p for p in others for pu in p.units}
    for unit in units:
        if unit.id in claimed:
            errors.append(ExpertError(_("%(unit)s 已由本轮的「%(panel)s」评审", unit=unit.name,
                                        panel=claimed[unit.id].name), field="units"))
    if not unit_ids:
        catch_all = next((p for p in others if not p.units), None)
        if catch_all is not None:
            errors.append(ExpertError(_("本轮的「%(panel)s」已负责其余单位的申报；请为本组选择一级单位",
                                        panel=catch_all.name), field="units"))
    if errors:
        raise ExpertErrors(errors)

    created = panel is None
    if created:
        panel = ExpertPanel(round=review_round, name=name)
        db.session.add(panel)
        db.session.flush()
    else:
        panel.name = name
    with db.session.no_autoflush:
        keep_members = {m.expert_id: m for m in panel.members}
        panel.members = [keep_members.get(e.id) or ExpertPanelMember(panel_id=panel.id, round_id=review_round.id,
                                                                      expert=e) for e in experts]
        keep_units = {u.unit_id: u for u in panel.units}
        panel.units = [keep_units.get(u.id) or ExpertPanelUnit(panel_id=panel.id, round_id=review_round.id, unit=u)
                       for u in units]
    audit.record("expert_panel.create" if created else "expert_panel.update", "expert_panel", panel.id, name,
                 round=str(review_round), experts=[e.name for e in experts],
                 units=[u.name for u in units] or [str(_("其余单位"))])
    return panel


def panel_conflict(error: IntegrityError) -> ExpertError:
    """The database refused a second panel for an expert or a unit in one round (two saves at once)."""
    text = str(error.orig)
    if "expert_panel_unit" in text or "unit_id" in text:
        return ExpertError(_("所选一级单位刚被本轮另一个专家组选中，请刷新后重试"), field="units")
    if "name" in text:
        return ExpertError(_("本轮已有同名的专家组"), field="name")
    return ExpertError(_("所选专家刚被编入本轮另一个专家组，请刷新后重试"), field="experts")


def delete_panel(actor, panel: ExpertPanel) -> None:
    require_city_office(actor)
    if panel.round.is_closed:
        raise Forbidden(_("本轮评审已结束，专家组不能再修改"))
    audit.record("expert_panel.delete", "expert_panel", panel.id, panel.name, round=str(panel.round))
    db.session.delete(panel)


def copy_panels(actor, source: ReviewRound, target: ReviewRound) -> int:
    """复制初审专家组到复审: every panel of source not yet named in target, with its experts and units."""
    require_city_office(actor)
    count = 0
    existing = {p.name for p in target.panels}
    for panel in source.panels:
        if panel.name in existing:
            continue
        save_panel(actor, target, panel.name, [m.expert_id for m in panel.members], [u.unit_id for u in panel.units])
        count += 1
    return count


# --- conflicts: 回避关系 ----------------------------------------------------------------------------------------

def conflict_application_clause(actor, campaign):
    """Applications a conflict may name: the campaign's, past draft, that the actor may see."""
    return (Application.campaign_id == campaign.id) & (Application.status != ApplicationStatus.DRAFT.value) & \
        scoping.application_clause(actor)


def add_conflict(actor, expert: Expert | None, unit_id=None, application_id=None, reason: str | None = None,
                 campaign=None) -> ExpertConflict:
    """Record that expert must not review a unit's applications (a first-level unit: its second-level units' too,
    applied by app/assignment.py) or one application. Exactly one of unit_id / application_id. Caller commits."""
    from app import schedule

    require_city_office(actor)
    errors = []
    if expert is None:
        errors.append(ExpertError(_("请选择专家"), field="expert"))
    unit = application = None
    if bool(unit_id) == bool(application_id):
        errors.append(ExpertError(_("请选择回避的单位或回避的申报人（二者选一）"), field="unit"))
    elif unit_id:
        unit = db.session.get(Unit, int(unit_id))
        if unit is None:
            errors.append(ExpertError(_("所选单位不存在"), field="unit"))
    else:
        campaign = campaign or schedule.current_campaign()
        application = db.session.query(Application).filter(
            Application.id == int(application_id), conflict_application_clause(actor, campaign)).one_or_none() \
            if campaign is not None else None
        if application is None:
            errors.append(ExpertError(_("所选申报人不在本批次已提交的申报中"), field="application"))
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_REASON:
        errors.append(ExpertError(_("回避原因不能超过 %(n)s 个字", n=MAX_REASON), field="reason"))
    if not errors and expert is not None:
        query = db.session.query(ExpertConflict.id).filter(ExpertConflict.expert_id == expert.id)
        query = query.filter(ExpertConflict.unit_id == unit.id) if unit else \
            query.filter(ExpertConflict.application_id == application.id)
        if query.first() is not None:
            errors.append(ExpertError(_("已登记过这条回避关系"), field="unit" if unit else "application"))
    if errors:
        raise ExpertErrors(errors)
    conflict = ExpertConflict(expert=expert, unit=unit, application=application, reason=reason,
                              declared_by_id=getattr(actor, "id", None))
    db.session.add(conflict)
    return conflict


def delete_conflict(actor, conflict: ExpertConflict) -> None:
    require_city_office(actor)
    db.session.delete(conflict)
