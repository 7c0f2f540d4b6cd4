"""评分表 (R-OPS-3, issue 8 item 7): the submitted reviews of a round as Excel, one row per review, for the whole
round or one expert. Written with app/exports.py's write_table: streamed (reviews read BATCH_SIZE at a time with one more query
per batch for their scores, xlsxwriter's constant_memory mode, the workbook spooled to disk past SPOOL_MAX_SIZE)
and formula-safe (every text written as a string into a workbook that converts none, so an expert's comment
"=HYPERLINK(...)" arrives as text).

Who may export is the view's question (app/views/review_progress.py): the city office at any time, the auditor
once the round is closed. A sheet of a round still open says so in its title: the scores may still change.
"""
from datetime import date, datetime
from typing import BinaryIO, Iterable, Iterator

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload

from app import exports
from app.extensions import db
from app.models import Application, Expert, ReviewAssignment, ReviewRound, ReviewScore, Unit
from app.models.review import AssignmentStatus

BATCH_SIZE = exports.BATCH_SIZE


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
    heads = [(_("序号"), 6), (_("申报人"), 10), (_("一级单位"), 14), (_("二级单位"), 16), (_("评审专家"), 10),
             (_("专家工作单位"), 18)]
    first_criterion = len(heads)
    heads += [(c.label, 14) for c in criteria]
    heads += [(_("加权总分"), 10), (_("评审意见"), 50), (_("提交时间"), 19)]
    total = first_criterion + len(criteria)
    formats = {first_criterion + offset: "0.0" for offset in range(len(criteria))} | {total: "0.00"}

    def cells():
        for n, (assignment, values) in enumerate(rows, start=1):
            application = assignment.application
            unit = application.unit
            parent = unit.parent if unit is not None else None
            submitted_at = assignment.submitted_at
            yield ([n, application.name, parent.name if parent is not None else "",
                    unit.name if unit is not None else "", assignment.expert.name, assignment.expert.employer]
                   + [values.get(criterion.id) for criterion in criteria]
                   + [assignment.total, assignment.comment,
                      submitted_at if isinstance(submitted_at, datetime) else None])

    name = _("评分表") if review_round.is_closed else _("评分表（本轮尚未结束）")
    return exports.write_table(name, heads, cells(), out, caption=title(review_round, expert), frozen_columns=2,
                               number_formats=formats)


def spooled_score_sheet(review_round: ReviewRound, expert: Expert | None = None) -> tuple[BinaryIO, int, int]:
    """The sheet in a temporary file (in memory up to exports.SPOOL_MAX_SIZE): (file at 0, rows, bytes)."""
    rows = reviews(sheet_query(review_round, expert.id if expert is not None else None))
    return exports.spooled(write_score_sheet, review_round, rows, expert=expert)


def file_name(review_round: ReviewRound, expert: Expert | None, day: date) -> str:
    """评分表-第九批-专家初审[-张三]-2026-06-16.xlsx"""
    return exports.xlsx_name(_("评分表"), review_round.campaign.name, str(review_round.stage_label),
                             expert.name if expert is not None else None, day.strftime("%Y-%m-%d"))


def ascii_file_name(review_round: ReviewRound, expert: Expert | None, day: date) -> str:
    who = f"-expert{expert.id}" if expert is not None else ""
    return f"scores-{review_round.stage}{who}-{day:%Y-%m-%d}.xlsx"
