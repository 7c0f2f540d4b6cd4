"""Creating and changing units: who may, when, and what makes a unit name acceptable."""
from flask_babel import gettext as _

from app import schedule, scoping
from app.extensions import db
from app.models import Stage, Unit

MAX_NAME_LENGTH = 100


class UnitError(ValueError):
    """Refused unit change; str() is the message, `field` the form field it belongs to (None: the whole form)."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


class OutsideWindow(UnitError):
    """The unit_accounts window is closed for this user."""


def check_name(name: str, parent: Unit | None, exclude_id: int | None = None) -> str:
    name = (name or "").strip()
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
    """First-level clerks create second-level units and accounts only in their window; the city office any time."""
    if not scoping.is_city_office(user):
        try:
            schedule.require_open(Stage.UNIT_ACCOUNTS)
        except schedule.StageClosed as closed:
            raise OutsideWindow(str(closed)) from closed


def prepare_second_level(user, unit: Unit) -> None:
    """Check and complete a new second-level unit carrying parent and name (the caller adds and commits)."""
    require_account_window(user)
    parent = unit.parent
    if parent is None or parent.level != 1:
        raise UnitError(_("请选择所属一级单位"), field="parent")
    if not scoping.can_add_under(user, parent):
        raise UnitError(_("只能在本单位下创建二级单位"), field="parent")
    unit.name = check_name(unit.name, parent)
    unit.level = 2
    unit.category = parent.category
    unit.sync_parent_level()
