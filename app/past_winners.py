"""Earlier batches' 首都市民学习之星, imported from the city office's Excel lists (R-APP-6)."""
import io
import zipfile

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook

from app import clock
from app.extensions import db
from app.identity import IdNumberError, parse_id_number
from app.models import PastWinner

COLUMNS = ["姓名", "身份证号", "批次", "年度"]


def template_bytes() -> bytes:
    book = Workbook()
    book.active.title = "历届首都市民学习之星"
    book.active.append(COLUMNS)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_sheet(stream) -> tuple[int, list[tuple[int, str]]]:
    """Add every row or none; returns (rows added, [(row number, message)]). Rows already known are skipped."""
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return 0, [(0, _("文件不是有效的 Excel（.xlsx）表格"))]
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    if not rows or [str(c or "").strip() for c in rows[0][:3]] != COLUMNS[:3]:
        return 0, [(1, _("第 1 行表头应为：%(h)s", h="、".join(COLUMNS)))]
    errors, winners, seen = [], [], set()
    today = clock.now().date()
    for number, values in enumerate(rows[1:], start=2):
        cells = [("" if v is None else str(v)).strip() for v in (list(values) + [None] * 4)[:4]]
        if not any(cells):
            continue
        name, raw_id, batch, year = cells
        if not name:
            errors.append((number, _("请填写姓名")))
        if not batch:
            errors.append((number, _("请填写批次，例如 第八批")))
        try:
            id_number = parse_id_number(raw_id, today).number
        except IdNumberError as bad:
            errors.append((number, str(bad)))
            continue
        if year and not year.isdigit():
            errors.append((number, _("年度应为四位数字")))
        key = (id_number, batch)
        if key in seen or db.session.query(PastWinner.id).filter_by(id_number=id_number, batch=batch).first():
            continue
        seen.add(key)
        winners.append(PastWinner(name=name, id_number=id_number, batch=batch, year=int(year) if year.isdigit() else None))
    if errors:
        return 0, errors
    db.session.add_all(winners)  # each added row is audited as past_winner.create
    return len(winners), []
