"""Creating, changing and deleting units: who may, when, and what makes a unit acceptable.

One service for both front doors: app/views/units.py (一级单位 / 二级单位 screens) and app/api/units.py call
`check_create`, `check_update` and `check_delete` from their pre_add / pre_update / pre_delete, and the window gate
`require_account_window`; the caller saves.
"""
from flask_babel import gettext as _

from app import names, schedule, scoping
from app.phones import PhoneError, normalize_contact_phone
from app.extensions import db
from app.models import Stage, Unit, UnitCategory

MAX_NAME_LENGTH = 100


class UnitError(ValueError):
    """Refused unit change; str() is the message, `field` the form field it belongs to (None: the whole form),
    `status` the HTTP status a REST answer carries."""

    status = 422

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


class Forbidden(UnitError):
    """Not this user's to do."""

    status = 403


class OutsideWindow(Forbidden):
    """The unit_accounts window is closed for this user."""


def check_name(name: str, parent: Unit | None, exclude_id: int | None = None) -> str:
    """The unit's name as stored (app/names.py), free under its parent; raises UnitError at the field `name`."""
    try:
        name = names.clean(name, _("单位名称"))
    except names.BadName as bad:
        raise UnitError(str(bad), field="name") from None
    if not name:
        raise UnitError(_("请填写单位名称"), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise UnitError(_("单位名称不能超过 %(n)s 个字", n=MAX_NAME_LENGTH), field="name")
    query = db.session.query(Unit.id).filter(Unit.name == name)
    query = query.filter(Unit.parent_id == parent.id) if parent is not None else query.filter(Unit.parent_id.is_(None))
    if exclude_id is not None:
        query = query.filter(Unit.id != exclude_id)
    with db.session.no_autoflush:  # the unit being edited may already carry the new name
        taken = query.first() is not None
    if taken:
        where = parent.name if parent is not None else _("一级单位")
        raise UnitError(_("%(where)s下已有名为「%(name)s」的单位", where=where, name=name), field="name")
    return name


def require_account_window(user) -> None:
    """First-level clerks create and change second-level units and accounts only in 一级单位创建二级单位账号; the
    city office any time."""
    if not scoping.is_city_office(user):
        try:
            schedule.require_open(Stage.UNIT_ACCOUNTS)
        except schedule.StageClosed as closed:
            raise OutsideWindow(str(closed)) from closed


def check_create(user, unit: Unit) -> None:
    """Check and complete a new unit carrying name (and parent for a second-level unit); the caller adds it."""
    # No autoflush: the new unit is not in the session yet, and its parent's backref would try to flush it.
    with db.session.no_autoflush:
        _check_create(user, unit)


def _check_create(user, unit: Unit) -> None:
    _check_contact_phone(unit)
    if unit.parent is None and unit.parent_id is None:
        if not scoping.is_city_office(user):
            raise Forbidden(_("一级单位由市学习办创建"))
        _check_category(unit)
        unit.name = check_name(unit.name, None)
        unit.level = 1
        unit.sync_parent_level()
        return
    require_account_window(user)
    parent = unit.parent if unit.parent is not None else db.session.get(Unit, unit.parent_id)
    if parent is None or parent.level != 1:
        raise UnitError(_("请选择所属一级单位"), field="parent")
    if not scoping.can_add_under(user, parent):
        raise Forbidden(_("只能在本单位下创建二级单位"), field="parent")
    unit.parent = parent
    unit.name = check_name(unit.name, parent)
    unit.level = 2
    unit.category = parent.category
    unit.sync_parent_level()


def _check_category(unit: Unit) -> None:
    # A REST body may carry anything here (the column is part of a foreign key, which the schema leaves untyped).
    if not isinstance(unit.category, str) or unit.category not in {c.value for c in UnitCategory}:
        raise UnitError(_("类别须为：%(c)s", c="、".join(c.value for c in UnitCategory)), field="category")


def check_update(user, unit: Unit) -> None:
    """Check a unit that already carries its new values (name, code, contact, category of a first-level unit)."""
    if not scoping.can_manage_unit(user, unit):
        raise Forbidden(_("只能修改本单位的二级单位"))
    if unit.level == 2:
        require_account_window(user)
    else:
        _check_category(unit)
    if unit.level == 1 and unit.children and any(child.category != unit.category for child in unit.children):
        raise UnitError(_("该单位已有二级单位，不能更改类别"), field="category")
    unit.name = check_name(unit.name, unit.parent, exclude_id=unit.id)
    _check_contact_phone(unit)


def _check_contact_phone(unit: Unit) -> None:
    """The contact phone citizens are told to call, as the screens and the Excel import keep it (010-82364980); the
    REST API's body reaches here unchecked."""
    if unit.contact_phone is None or unit.contact_phone == "":
        return
    try:
        unit.contact_phone = normalize_contact_phone(unit.contact_phone)
    except PhoneError as bad:
        raise UnitError(str(bad), field="contact_phone") from bad


def check_delete(user, unit: Unit) -> None:
    """A unit goes only while nothing hangs on it: no accounts, no second-level units, no applications."""
    from app.models import Application

    if not scoping.can_manage_unit(user, unit):
        raise Forbidden(_("只能删除本单位的二级单位"))
    if unit.level == 2:
        require_account_window(user)
    with db.session.no_autoflush:
        chosen = db.session.query(Application.id).filter(Application.unit_id == unit.id).first() is not None
    if unit.accounts or unit.children or chosen:
        raise UnitError(_("该单位已有账号、二级单位或报名，不能删除；可停用其账号"))


SEARCH_CHOICES = 20


def search_choices(user, text: str = "", ids=()) -> list[Unit]:
    """Units of this user's scope to filter a list by, as the user types (a name containing `text`, at most
    SEARCH_CHOICES), or the ones named by `ids` (a filter already applied): never the whole unit table."""
    from sqlalchemy.orm import joinedload

    query = db.session.query(Unit).options(joinedload(Unit.parent)).filter(scoping.unit_clause(user))
    if ids:
        return query.filter(Unit.id.in_(list(ids)[:SEARCH_CHOICES])).all()
    text = (text or "").strip()[:MAX_NAME_LENGTH]
    if text:
        query = query.filter(Unit.name.contains(text, autoescape=True))
    return query.order_by(Unit.level, Unit.name, Unit.id).limit(SEARCH_CHOICES).all()
