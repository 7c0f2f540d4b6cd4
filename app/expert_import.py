"""Bulk creation of experts (accounts with role 专家) from an .xlsx sheet: all rows or none, like app/unit_import.py.
Each row goes through the checks of app/experts.py; errors are reported by row and column."""
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import audit, experts, sheets
from app.extensions import db
from app.models import Unit

COLUMNS = [_l("姓名"), _l("工作单位"), _l("专业领域"), _l("手机号"), _l("所在单位（本系统中的单位，可空）"),
           _l("回避单位（可空，多个用“、”分隔）")]
EXAMPLE = ["张明", "北京开放大学", "终身教育", "13911112222", "", "东城区"]
MAX_ROWS = 500
# The field of app/experts.py's checks -> the column its error is reported in.
FIELD_COLUMNS = {"name": 0, "employer": 1, "field": 2, "phone": 3, "employer_unit": 4, "conflicts": 5}


@dataclass
class ImportRow:
    number: int
    name: str
    employer: str
    field: str
    phone: str
    employer_unit: str
    conflicts: str


ImportResult = sheets.ImportResult  # created: (name, username, password)


def template_bytes() -> bytes:
    """The sheet to fill in: header, one example row, and a sheet of instructions."""
    return sheets.template(_("评审专家"), COLUMNS, (12, 30, 16, 16, 30, 36), (
        _("每行一位评审专家，从第 2 行开始填写，不要改动第 1 行表头；第 2 行是示例，请改成真实信息或删除。"),
        _("姓名、工作单位、手机号必填；手机号为 11 位中国大陆手机号，全系统不能重复。"),
        _("所在单位：专家的工作单位是本系统中的单位时填写其名称（一级单位如“东城区”，二级单位写“东城区 东华门街道”或“东华门街道”），用于自动回避。"),
        _("回避单位：专家须回避的本系统单位，多个用“、”分隔；一级单位包括其下全部二级单位。"),
        _("任何一行有错误时整表都不导入；请按提示的行号和列修改后重新上传。"),
        _("导入成功后页面只显示一次各账号的初始密码，首次登录须修改密码。"),
    ), example=EXAMPLE, notes_width=110)


def read_rows(stream) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """Parse the sheet; returns the rows and any errors that stop reading (row 0: the file as a whole)."""
    rows, errors = sheets.read_sheet(stream, COLUMNS, required_header=4, max_rows=MAX_ROWS)
    return [ImportRow(number, *cells) for number, cells in rows], errors


def find_unit(text: str) -> tuple[Unit | None, str | None]:
    """A unit named as in the sheet: "东城区", "东城区 东华门街道", "东城区·东华门街道" or a second-level name that is
    unique. Returns (unit, error)."""
    text = " ".join(text.replace("·", " ").replace("/", " ").split())
    if not text:
        return None, None
    parts = text.split(" ")
    if len(parts) == 2:
        found = db.session.query(Unit).filter(Unit.name == parts[1], Unit.level == 2).all()
        found = [u for u in found if u.parent.name == parts[0]]
    else:
        found = db.session.query(Unit).filter(Unit.name == text).all()
        first_level = [u for u in found if u.level == 1]
        found = first_level or found
    if not found:
        return None, _("本系统中没有名为「%(name)s」的单位", name=text)
    if len(found) > 1:
        return None, _("「%(name)s」有多个同名单位，请写成“一级单位 二级单位”", name=text)
    return found[0], None


def _at(column: int, message: str) -> str:
    return _("「%(column)s」：%(message)s", column=COLUMNS[column], message=message)


def import_sheet(security_manager, actor, stream) -> ImportResult:
    """Check every row, then create all experts (and their declared unit conflicts) in the current transaction, or
    none (the caller commits or rolls back)."""
    result = ImportResult()
    try:
        experts.require_city_office(actor)
    except experts.ExpertError as refused:
        result.errors.append((0, str(refused)))
        return result
    rows, result.errors = read_rows(stream)
    if result.errors:
        return result
    phones_seen: dict[str, int] = {}
    checked = []
    for row in rows:
        values = {}
        for key, check in (
            ("name", lambda: experts.check_name(row.name)),
            ("employer", lambda: experts.check_employer(row.employer)),
            ("field", lambda: experts.check_field(row.field)),
            ("phone", lambda: experts.check_phone(row.phone)),
        ):
            try:
                values[key] = check()
            except experts.ExpertError as bad:
                result.errors.append((row.number, _at(FIELD_COLUMNS[key], str(bad))))
        phone = values.get("phone")
        if phone is not None:
            if phone in phones_seen:
                result.errors.append((row.number, _at(3, _("与第 %(n)s 行的手机号重复", n=phones_seen[phone]))))
            phones_seen.setdefault(phone, row.number)
        unit, problem = find_unit(row.employer_unit)
        if problem:
            result.errors.append((row.number, _at(4, problem)))
        conflicts = []
        for name in [n.strip() for n in row.conflicts.replace(",", "、").replace("，", "、").split("、") if n.strip()]:
            conflict_unit, problem = find_unit(name)
            if problem:
                result.errors.append((row.number, _at(5, problem)))
            elif conflict_unit not in conflicts:
                conflicts.append(conflict_unit)
        checked.append((row, values, unit, conflicts))
    if result.errors:
        return result

    for row, values, unit, conflicts in checked:
        data = experts.ExpertInput(name=values["name"], employer=values["employer"], field=values["field"],
                                   phone=values["phone"], employer_unit_id=unit.id if unit else None)
        expert, password = experts.create_expert(security_manager, actor, data)
        db.session.flush()  # the next row's generated user name counts this one
        for conflict_unit in conflicts:
            experts.add_conflict(actor, expert, unit_id=conflict_unit.id, reason=str(_("导入时登记")))
        result.created.append((expert.name, expert.account.username, password))
    audit.record("expert.imported", "expert", None, "", rows=len(result.created))
    return result

