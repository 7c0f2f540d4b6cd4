"""The Excel side of the all-or-nothing imports (app/unit_import.py, app/expert_import.py): the template to fill in,
reading the filled-in sheet back with its header checked, and the result shape both report in."""
import io
import zipfile
from dataclasses import dataclass, field

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


@dataclass
class ImportResult:
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message); row 0 = the file
    created: list[tuple[str, str, str]] = field(default_factory=list)  # (name, username, password)

    @property
    def ok(self) -> bool:
        return not self.errors


def template(title, columns, widths, notes, example=None, notes_width=100) -> bytes:
    """A sheet named `title` with a bold header of `columns` (and `widths`), an optional example row, and a second
    sheet 填写说明 with one line of `notes` a row."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([str(c) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    if example is not None:
        sheet.append(example)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    notes_sheet = book.create_sheet(_("填写说明"))
    for line in notes:
        notes_sheet.append([line])
    notes_sheet.column_dimensions["A"].width = notes_width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_sheet(stream, columns, required_header, max_rows) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """The first sheet's non-empty rows below the header as (row number, one text per column), and any errors that
    stop reading (row 0: the file as a whole). The first `required_header` header cells must be those of the
    template; more than `max_rows` rows is an error."""
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return [], [(0, _("文件不是有效的 Excel（.xlsx）表格，请下载模板填写后上传"))]
    sheet = book.worksheets[0]
    rows, errors = [], []
    header_seen = False
    width = len(columns)
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_text(v) for v in (list(values) + [None] * width)[:width]]
        if not header_seen:
            header_seen = True
            if cells[:required_header] != [str(c) for c in columns[:required_header]]:
                errors.append((1, _("第 1 行表头应为：%(h)s，请使用下载的模板", h="、".join(str(c) for c in columns))))
                break
            continue
        if not any(cells):
            continue
        rows.append((number, cells))
        if len(rows) > max_rows:
            errors.append((number, _("一次最多导入 %(n)s 行", n=max_rows)))
            break
    book.close()
    if not header_seen:
        errors.append((0, _("表格是空的")))
    elif not rows and not errors:
        errors.append((2, _("表格中没有要导入的数据行")))
    return rows, errors
