"""Bulk creation of second-level units and their clerk accounts from an .xlsx sheet: all rows or none."""
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import accounts, names, scoping, sheets, units
from app.models import Unit
from app.phones import PhoneError, normalize_contact_phone

COLUMNS = [_l("二级单位名称"), _l("账号用户名"), _l("联系人姓名"), _l("联系电话")]
MAX_ROWS = 1000


@dataclass
class ImportRow:
    number: int
    unit_name: str
    username: str
    contact_name: str
    phone: str | None


ImportResult = sheets.ImportResult  # created: (unit name, username, password)


CONTACT_NAME_MAX = Unit.contact_name.property.columns[0].type.length  # 50: the unit's column, the form's limit


def template_bytes() -> bytes:
    """The sheet to fill in, with its header and a sheet of instructions."""
    return sheets.template(_("二级单位"), COLUMNS, (30, 24, 14, 16), (
        _("每行一个二级单位及其账号，从第 2 行开始填写，不要改动第 1 行表头。"),
        _("二级单位名称：必填，本单位下不能重名，100 字以内。"),
        _("账号用户名：必填，3–64 位字母、数字、点、下划线或连字符，全系统唯一，例如 l2-haidian-zhongguancun。"),
        _("联系人姓名：必填。联系电话：选填，手机号或带区号的固定电话。"),
        _("任何一行有错误时整表都不导入；请按提示的行号修改后重新上传。"),
        _("导入成功后页面只显示一次各账号的初始密码，首次登录须修改密码。"),
    ))


def read_rows(stream) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    """Parse the sheet; returns the rows and any errors that stop reading (row 0: the file as a whole)."""
    rows, errors = sheets.read_sheet(stream, COLUMNS, required_header=3, max_rows=MAX_ROWS)
    return [ImportRow(number, cells[0], cells[1], cells[2], cells[3] or None) for number, cells in rows], errors


def import_sheet(security_manager, user, parent, stream) -> ImportResult:
    """Check every row, then create all units and accounts in the current transaction, or none (caller commits)."""

    result = ImportResult()
    try:
        units.require_account_window(user)
        if not scoping.can_add_under(user, parent):
            raise units.Forbidden(_("只能在本单位下创建二级单位"))
    except units.UnitError as refused:
        result.errors.append((0, str(refused)))
        return result
    rows, result.errors = read_rows(stream)
    if result.errors:
        return result
    names_seen, usernames_seen = {}, {}
    for row in rows:
        try:
            row.unit_name = units.check_name(row.unit_name, parent)
        except units.UnitError as bad:
            result.errors.append((row.number, str(bad)))
        if row.unit_name in names_seen:
            result.errors.append(
                (row.number, _("二级单位名称与第 %(n)s 行重复", n=names_seen[row.unit_name]))
            )
        names_seen.setdefault(row.unit_name, row.number)
        try:
            accounts.validate_username(row.username)
        except accounts.AccountError as bad:
            result.errors.append((row.number, str(bad)))
        if row.username and row.username.lower() in usernames_seen:
            result.errors.append(
                (row.number, _("账号用户名与第 %(n)s 行重复", n=usernames_seen[row.username.lower()]))
            )
        usernames_seen.setdefault(row.username.lower(), row.number)
        try:
            row.contact_name = names.clean(row.contact_name, _("联系人姓名"))
        except names.BadName as bad:
            result.errors.append((row.number, str(bad)))
        else:
            if not row.contact_name:
                result.errors.append((row.number, _("请填写联系人姓名")))
            elif len(row.contact_name) > CONTACT_NAME_MAX:  # the single form's limit (the unit's column)
                result.errors.append((row.number, _("联系人姓名不能超过 %(n)s 个字", n=CONTACT_NAME_MAX)))
        if row.phone:
            try:
                row.phone = normalize_contact_phone(row.phone)
            except PhoneError as bad:
                result.errors.append((row.number, str(bad)))
    if result.errors:
        return result
    from app.extensions import db

    for row in rows:
        unit = Unit(parent=parent, name=row.unit_name, contact_name=row.contact_name, contact_phone=row.phone)
        db.session.add(unit)
        db.session.flush()  # the account's own check asks the database whether the actor manages this unit
        _account, password = accounts.new_unit_account(
            security_manager, user, unit, row.username, row.contact_name, row.phone
        )
        result.created.append((row.unit_name, row.username, password))
    return result
