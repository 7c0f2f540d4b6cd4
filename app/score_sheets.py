"""评分表 (R-OPS-3, issue 8 item 7): the submitted reviews of a round as Excel, one row per review, for the whole
round or one expert. Written like app/exports.py: streamed (reviews read BATCH_SIZE at a time with one more query
per batch for their scores, xlsxwriter's constant_memory mode, the workbook spooled to disk past SPOOL_MAX_SIZE)
and formula-safe (every text written as a string into a workbook that converts none, so an expert's comment
"=HYPERLINK(...)" arrives as text).

Who may export is the view's question (app/views/review_progress.py): the city office at any time, the auditor
once the round is closed. A sheet of a round still open says so in its title: the scores may still change.
"""
import re
import tempfile
from datetime import date, datetime
from typing import BinaryIO, Iterable, Iterator

import xlsxwriter
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from app import exports
from app.display import XLSX_TIME_FORMAT
from app.extensions import db
from app.models import Application, Expert, ReviewAssignment, ReviewRound, ReviewScore, Unit
from app.models.review import AssignmentStatus

BATCH_SIZE = exports.BATCH_SIZE
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


def sheet_query(review_round: ReviewRound, expert_id: int | None = None):
    """The round's submitted reviews (of one expert), by first-level unit, second-level unit, applicant, expert."""
    unit, parent = aliased(Unit, name="sheet_unit"), aliased(Unit, name="sheet_parent")
    stmt = (
        select(ReviewAssignment)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .outerjoin(unit, unit.id == Application.unit_id)
        .outerjoin(parent, parent.id == unit.parent_id)
        .where(ReviewAssignment.round_id == review_round.id,
               ReviewAssignment.status == AssignmentStatus.SUBMITTED.value)
        .options(
            joinedload(ReviewAssignment.application).joinedload(Application.unit).joinedload(Unit.parent),
            joinedload(ReviewAssignment.expert).joinedload(Expert.account),
        )
        .order_by(parent.name, unit.name, Application.name, Application.id, ReviewAssignment.expert_id)
    )
    if expert_id is not None:
        stmt = stmt.where(ReviewAssignment.expert_id == expert_id)
    return stmt


def reviews(stmt, batch_size: int = BATCH_SIZE) -> Iterator[tuple[ReviewAssignment, dict]]:
    """(review, {criterion_id: value}) for each row of stmt, batch_size at a time."""
    result = db.session.execute(stmt.execution_options(yield_per=batch_size))
    for batch in result.scalars().partitions(batch_size):
        scores: dict[int, dict] = {}
        rows = db.session.execute(
            select(ReviewScore.assignment_id, ReviewScore.criterion_id, ReviewScore.value)
            .where(ReviewScore.assignment_id.in_([a.id for a in batch]))
        )
        for assignment_id, criterion_id, value in rows:
            scores.setdefault(assignment_id, {})[criterion_id] = value
        for assignment in batch:
            yield assignment, scores.get(assignment.id, {})


def title(review_round: ReviewRound, expert: Expert | None = None) -> str:
    """评分表 · 第九批 · 专家初审 · 张三（本轮尚未结束，评分可能变动）"""
    parts = [_("评分表"), review_round.campaign.name, str(review_round.stage_label)]
    if expert is not None:
        parts.append(expert.name)
    text = " · ".join(parts)
    if not review_round.is_closed:
        text += _("（本轮尚未结束，评分可能变动）")
    return text


def write_score_sheet(review_round: ReviewRound, rows: Iterable[tuple[ReviewAssignment, dict]], out,
                      expert: Expert | None = None) -> int:
    """Write the sheet to out (a path or a binary file): a title line, the header, one line per review."""
    criteria = list(review_round.criteria)
    workbook = xlsxwriter.Workbook(out, exports.WORKBOOK_OPTIONS)
    name = _("评分表") if review_round.is_closed else _("评分表（本轮尚未结束）")
    sheet = workbook.add_worksheet(name)
    bold = workbook.add_format({"bold": True, "font_size": 13})
    header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True})
    moment = workbook.add_format({"num_format": XLSX_TIME_FORMAT})
    score = workbook.add_format({"num_format": "0.0"})
    total = workbook.add_format({"num_format": "0.00"})
    heads = [(_("序号"), 6), (_("申报人"), 10), (_("一级单位"), 14), (_("二级单位"), 16), (_("评审专家"), 10),
             (_("专家工作单位"), 18)]
    heads += [(c.label, 14) for c in criteria]
    heads += [(_("加权总分"), 10), (_("评审意见"), 50), (_("提交时间"), 19)]
    sheet.write_string(0, 0, exports._text(title(review_round, expert)), bold)
    for col, (head, width) in enumerate(heads):
        sheet.set_column(col, col, width)
        sheet.write_string(1, col, exports._text(head), header)
    sheet.freeze_panes(2, 2)
    first_criterion = 6
    after = first_criterion + len(criteria)
    n = 0
    for n, (assignment, values) in enumerate(rows, start=1):
        line = n + 1
        application = assignment.application
        unit = application.unit
        parent = unit.parent if unit is not None else None
        sheet.write_number(line, 0, n)
        texts = {
            1: application.name,
            2: parent.name if parent is not None else "",
            3: unit.name if unit is not None else "",
            4: assignment.expert.name,
            5: assignment.expert.employer,
            after + 1: assignment.comment,
        }
        for col, value in texts.items():
            sheet.write_string(line, col, exports._text(value))
        for offset, criterion in enumerate(criteria):
            value = values.get(criterion.id)
            if value is None:
                sheet.write_blank(line, first_criterion + offset, None)
            else:
                sheet.write_number(line, first_criterion + offset, float(value), score)
        if assignment.total is not None:
            sheet.write_number(line, after, float(assignment.total), total)
        else:
            sheet.write_blank(line, after, None)
        if isinstance(assignment.submitted_at, datetime):
            sheet.write_datetime(line, after + 2, assignment.submitted_at, moment)
        else:
            sheet.write_blank(line, after + 2, None)
    sheet.autofilter(1, 0, max(n + 1, 2), len(heads) - 1)
    workbook.close()
    return n


def spooled_score_sheet(review_round: ReviewRound, expert: Expert | None = None) -> tuple[BinaryIO, int, int]:
    """The sheet in a temporary file (in memory up to exports.SPOOL_MAX_SIZE): (file at 0, rows, bytes)."""
    out = tempfile.SpooledTemporaryFile(max_size=exports.SPOOL_MAX_SIZE, suffix=".xlsx")
    try:
        rows = reviews(sheet_query(review_round, expert.id if expert is not None else None))
        n = write_score_sheet(review_round, rows, out, expert)
        size = out.seek(0, 2)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, n, size


def file_name(review_round: ReviewRound, expert: Expert | None, day: date) -> str:
    """评分表-第九批-专家初审[-张三]-2026-06-16.xlsx"""
    parts = [_("评分表"), review_round.campaign.name, str(review_round.stage_label),
             expert.name if expert is not None else None, day.strftime("%Y-%m-%d")]
    return "-".join(_UNSAFE_IN_FILE_NAMES.sub("_", str(part)) for part in parts if part) + ".xlsx"


def ascii_file_name(review_round: ReviewRound, expert: Expert | None, day: date) -> str:
    who = f"-expert{expert.id}" if expert is not None else ""
    return f"scores-{review_round.stage}{who}-{day:%Y-%m-%d}.xlsx"
