"""Exports of the recommendation chain (R-OPS-3): the applications as an Excel sheet, and the units' opinions that
both the sheet and the printable 推荐表 (review/print.html) show.

Which rows: exactly the review list's (`scoping.application_clause`, never a draft), optionally narrowed to one
campaign, some statuses, a stage list (`STAGES`) or one unit; ApplicationView.export reads those from the URL.

ID and mobile numbers are masked (110108********123X, 139****8771, app/masking.py) for everyone by default: a
spreadsheet travels by e-mail and USB stick and outlives the review. The city office alone may ask for the
"含完整证件号" variant (`masking.full_export_allowed`), and that export is audited as such; units read one
application's full numbers on its page, on request.

Formula safety: everything a citizen typed is written with `write_string` into a workbook whose options turn off
every conversion of strings (formulas, URLs, numbers), so "=HYPERLINK(...)" or "=1+1" arrives as text.

Streaming: applications are read `BATCH_SIZE` at a time (`yield_per`), with one more query per batch for their
opinions (plain tuples, no ORM event objects); xlsxwriter's constant_memory mode writes each row out to a temporary
file as it comes, and the finished workbook is spooled to disk past `SPOOL_MAX_SIZE`. 10,000 rows stay within a
few MB of Python memory (tests/test_exports.py measures it).
"""
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO, Iterable, Iterator

import xlsxwriter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased, selectinload

from app import clock, masking, scoping, workflow
from app.display import XLSX_TIME_FORMAT, format_time
from app.extensions import db
from app.models import Account, Application, ApplicationEvent, ApplicationStatus, Campaign, Unit, UnitCategory
from app.models.application import GENDER_LABELS
from app.models.account import label_person

S = ApplicationStatus
BATCH_SIZE = 2000
SPOOL_MAX_SIZE = 8 * 1024 * 1024
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The opinions of each unit level (R-REV-3): a return for changes is the second-level unit's too.
OPINION_LEVEL = {"return": 2, "l2_recommend": 2, "l2_reject": 2, "l1_recommend": 1, "l1_reject": 1}
# A unit's 提交 / 上报, after which its decision is final.
SUBMISSION_LEVEL = {"l2_submit": 2, "l1_report": 1}
LEVEL_TITLES = {2: _l("二级单位推荐意见"), 1: _l("一级单位推荐意见")}

# ?stage=… : the list each stage produced (R-OPS-3 "per stage"), "pending" the ones waiting for the user's unit.
# 专家评审's states (入围复审, 拟评选, 重点宣传) come after 上报: they passed both units' recommendations.
_EXPERT_REVIEW = (S.SHORTLISTED, S.CANDIDATE, S.FEATURED)
_PASSED_L2 = (S.L2_RECOMMENDED, S.L2_FORWARDED, S.L1_RECOMMENDED, S.L1_NOT_RECOMMENDED, S.REPORTED, S.L1_REJECTED,
              *_EXPERT_REVIEW)
STAGES = {
    "l2": (_l("二级单位已推荐"), _PASSED_L2),
    "l1": (_l("一级单位已推荐"), (S.L1_RECOMMENDED, S.REPORTED, *_EXPERT_REVIEW)),
    "reported": (_l("已上报市学习办"), (S.REPORTED,)),
    "shortlisted": (_l("入围复审"), _EXPERT_REVIEW),
    "candidates": (_l("拟评选"), (S.CANDIDATE, S.FEATURED)),
}
PENDING = {2: (S.SUBMITTED,), 1: (S.L2_FORWARDED,), None: (S.SUBMITTED, S.L2_FORWARDED)}


def columns() -> list[tuple[str, int]]:
    """(header, width) of every column, in order."""
    return [
        (_("序号"), 6),
        (_("姓名"), 10),
        (_("性别"), 5),
        (_("出生日期"), 11),
        (_("身份证号"), 20),
        (_("手机号码"), 13),
        (_("工作单位"), 24),
        (_("职务"), 12),
        (_("住址"), 30),
        (_("单位类别"), 10),
        (_("一级单位"), 16),
        (_("二级单位"), 18),
        (_("状态"), 24),
        (_("提交时间"), 17),
        (_("二级单位意见"), 40),
        (_("一级单位意见"), 40),
        (_("个人先进事迹"), 60),
    ]


# --- opinions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opinion:
    """One unit's decision (or return) on an application, as the history recorded it."""

    action: str
    opinion: str | None
    who: str  # "中关村街道 · 张伟" (models.account.label_person)
    unit_name: str
    at: datetime

    @property
    def level(self) -> int:
        return OPINION_LEVEL[self.action]

    @property
    def label(self) -> str:
        return str(workflow.labels().get(self.action, self.action))

    def text(self) -> str:
        """推荐：同意推荐（中关村街道 · 张伟，2026-05-01 10:00:00）"""
        return _(
            "%(decision)s：%(opinion)s（%(who)s，%(at)s）",
            decision=self.label,
            opinion=self.opinion or "",
            who=self.who,
            at=format_time(self.at),
        )


@dataclass
class LevelSection:
    """What the printed 推荐表 shows for one level: the unit, its latest decision and opinion, its 提交/上报."""

    level: int
    title: str
    unit: Unit | None
    opinion: Opinion | None = None
    submitted_at: datetime | None = None
    submitted_by: str | None = None


def level_sections(application: Application) -> list[LevelSection]:
    """The second-level section, then the first-level one, from the application's history."""
    second = application.unit
    sections = {
        2: LevelSection(2, str(LEVEL_TITLES[2]), second),
        1: LevelSection(1, str(LEVEL_TITLES[1]), second.parent if second is not None else None),
    }
    for event in application.events:
        if event.action in OPINION_LEVEL:
            section = sections[OPINION_LEVEL[event.action]]
            section.opinion = Opinion(
                event.action, event.opinion, event.actor_label, event.unit.name if event.unit else "", event.at
            )
        elif event.action in SUBMISSION_LEVEL:
            section = sections[SUBMISSION_LEVEL[event.action]]
            section.submitted_at, section.submitted_by = event.at, event.actor_label
    return [sections[2], sections[1]]


# --- which rows ----------------------------------------------------------------------------------------------


class BadFilter(ValueError):
    """A filter in the URL that names no status, stage, campaign or unit."""


def statuses_for(statuses: Iterable[str] = (), stage: str | None = None, level: int | None = None):
    """The status values asked for (None: all). Raises BadFilter for an unknown status or stage."""
    chosen = None
    statuses = [s for s in statuses if s]
    if statuses:
        try:
            chosen = {S(s).value for s in statuses}
        except ValueError as error:
            raise BadFilter(str(error)) from error
    if stage:
        if stage == "pending":
            by_stage = {s.value for s in PENDING.get(level, PENDING[None])}
        elif stage in STAGES:
            by_stage = {s.value for s in STAGES[stage][1]}
        else:
            raise BadFilter(stage)
        chosen = by_stage if chosen is None else chosen & by_stage
    return chosen


def scope_label(statuses, stage: str | None, statuses_asked: bool) -> str:
    """What an export holds, in words for its file name: the statuses asked for, else the stage, else 全部.
    statuses is statuses_for()'s answer; statuses_asked whether the URL named any (not only a stage)."""
    if statuses_asked and statuses is not None:
        chosen = [s for s in S if s.value in statuses]
        if len(chosen) <= 2:
            return "、".join(str(s.label) for s in chosen) or _("无")
        return _("%(n)s种状态", n=len(chosen))
    if stage == "pending":
        return _("待评审")
    if stage in STAGES:
        return str(STAGES[stage][0])
    return _("全部")


_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


def xlsx_name(*parts) -> str:
    """The parts joined by "-" (empty ones left out), with what file systems refuse replaced, + .xlsx."""
    return "-".join(_UNSAFE_IN_FILE_NAMES.sub("_", str(part)) for part in parts if part) + ".xlsx"


def file_name(campaign: Campaign | None, unit: Unit | None, scope: str, day: date) -> str:
    """报名信息-第九批-中关村街道-待评审-2026-05-01.xlsx: which campaign, whose unit, which rows, when."""
    return xlsx_name(_("报名信息"), campaign.name if campaign is not None else _("全部批次"),
                     unit.name if unit is not None else None, scope, day.strftime("%Y-%m-%d"))


def export_query(user, *, campaign: Campaign | None = None, statuses=None, unit_id: int | None = None):
    """The user's review list (never a draft), ordered by first-level unit, second-level unit, submission: plain rows
    of the columns the sheet shows (no ORM objects: loading those was a third of a large export's time)."""
    unit = aliased(Unit, name="export_unit")
    parent = aliased(Unit, name="export_parent")
    stmt = (
        select(Application.id, Application.campaign_id, Application.status, Application.name, Application.gender,
               Application.birth_date, Application.id_number, Application.mobile, Application.work_unit,
               Application.position, Application.address, Application.submitted_at, Application.deeds,
               unit.category.label("unit_category"), unit.name.label("unit_name"), parent.name.label("parent_name"))
        .select_from(Application)
        .join(unit, Application.unit_id == unit.id)
        .outerjoin(parent, parent.id == unit.parent_id)
        .where(scoping.identity_clause(user), Application.status != S.DRAFT.value)
        .order_by(unit.parent_id, unit.id, Application.submitted_at, Application.id)
    )
    if campaign is not None:
        stmt = stmt.where(Application.campaign_id == campaign.id)
    if statuses is not None:
        stmt = stmt.where(Application.status.in_(sorted(statuses)))
    if unit_id is not None:
        stmt = stmt.where(or_(unit.id == unit_id, unit.parent_id == unit_id))
    return stmt


# What the sheet shows of a unit's latest decision on an application: (action, opinion, who, at).
Said = tuple


def _opinions_of(application_ids: list[int], actors: dict[int, Account],
                 who_labels: dict[tuple, str]) -> dict[int, list]:
    """The latest opinion per level of each application: {id: [second level's, first level's]}, each a Said or None.
    actors and who_labels cache the clerks and their "中关村街道 · 张伟" across batches (the same few, over and over).
    Plain tuples, not Opinion objects: this runs for every row of a large export."""
    rows = _read(
        select(
            ApplicationEvent.application_id,
            ApplicationEvent.action,
            ApplicationEvent.opinion,
            ApplicationEvent.actor_id,
            ApplicationEvent.actor_name,
            Unit.name,
            ApplicationEvent.at,
        )
        .outerjoin(Unit, Unit.id == ApplicationEvent.unit_id)
        .where(_among(ApplicationEvent.application_id, application_ids), _UNIT_OPINIONS)
        .order_by(ApplicationEvent.id)  # the latest last: it overwrites the earlier ones below
    ).all()
    unknown = {row.actor_id for row in rows if row.actor_id is not None} - actors.keys()
    if unknown:
        query = select(Account).where(Account.id.in_(unknown)).options(selectinload(Account.roles))
        actors.update((account.id, account) for account in db.session.scalars(query))
    latest: dict[int, list] = {}
    slot_of = {action: 2 - level for action, level in OPINION_LEVEL.items()}  # second level first
    for application_id, action, opinion, actor_id, actor_name, unit_name, at in rows:
        who = who_labels.get((actor_id, actor_name, unit_name))
        if who is None:
            actor = actors.get(actor_id)
            who = actor.acting_label(unit_name) if actor is not None else label_person(actor_name, unit_name)
            who_labels[(actor_id, actor_name, unit_name)] = who
        pair = latest.get(application_id)
        if pair is None:
            pair = latest[application_id] = [None, None]
        pair[slot_of[action]] = (action, opinion, who, at)
    return latest


# Written into the SQL as literals, not parameters: PostgreSQL plans the query once for all batches (psycopg prepares
# it from the sixth), and only a plan that sees the actions may use the partial index ix_application_event_opinions.
_UNIT_OPINIONS = ApplicationEvent.action.in_(bindparam("opinion_actions", list(OPINION_LEVEL), expanding=True,
                                                       literal_execute=True))


def _read(stmt, **execution_options):
    """The plain rows of a column-only statement, run by Core on the session's connection (in its transaction): the
    ORM's handling of each row, which such a statement does not need, was a fifth of the reading's time."""
    return db.session.connection().execute(stmt, execution_options=execution_options)


def _among(column, ids: list[int]):
    """column IN ids; on PostgreSQL one array parameter (= ANY), not a placeholder per id to render and send."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


NO_OPINIONS = (None, None)


def entries(stmt, batch_size: int = BATCH_SIZE, progress=None) -> Iterator[tuple]:
    """The rows of stmt (export_query) with their opinions, batch_size at a time, as (row, second level's Said,
    first level's Said). progress(done, total) is told first with the total, then after each batch.

    One query, read batch_size rows at a time (PostgreSQL: a server-side cursor), each batch's opinions by one more.
    A background job records its progress on another connection meanwhile, which neither database makes wait for the
    open read (SQLite is in write-ahead mode: app/__init__.py)."""
    actors: dict[int, Account] = {}
    who_labels: dict[tuple, str] = {}
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if progress is not None:
        progress(0, total)
    done = 0
    for rows in _read(stmt, yield_per=batch_size).partitions():
        yield from _with_opinions(rows, _opinions_of([row[0] for row in rows], actors, who_labels))
        done += len(rows)
        if progress is not None:
            progress(min(done, total), total)


def _with_opinions(rows, opinions: dict[int, list]) -> Iterator[tuple]:
    get = opinions.get
    for row in rows:
        second, first = get(row[0], NO_OPINIONS)  # row[0]: Application.id, export_query's first column
        yield row, second, first


# --- the workbook --------------------------------------------------------------------------------------------


# C0 control characters other than tab and line breaks: pasted junk that no spreadsheet shows the same way.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value) -> str:
    """value as a cell's text: None as "", the C0 controls other than tab and line breaks dropped.

    Every such control is unprintable, so str.isprintable() (a C loop) clears nearly every value before the regex,
    whose search took ~30 µs on 900 characters of deeds: the largest of the export's own costs after xlsxwriter.
    A value with line breaks, tabs or other unprintable characters (a full-width space) is asked again without its
    breaks, and only then searched."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable() or _printable_but_breaks(text) or not _CONTROL.search(text):
        return text
    return _CONTROL.sub("", text)


def _printable_but_breaks(text: str) -> bool:
    return text.replace("\n", " ").replace("\r", " ").replace("\t", " ").isprintable()


class _Labels:
    """The translated words of one export, looked up once each (per language: one export runs in one): a gettext
    per cell was a quarter of a large export's time (bench/export.py)."""

    def __init__(self):
        self._seen: dict[tuple, str] = {}
        self.void_suffix = _("（过期无效）")
        # Translated once; filled in per opinion as gettext would (its % formatting, without the lookup).
        self.opinion_template = _("%(decision)s：%(opinion)s（%(who)s，%(at)s）")
        self._actions = {action: str(label) for action, label in workflow.labels().items()}
        self._now = clock.now()  # 过期无效 as of the export's start, for every row alike

    def get(self, kind: str, key, look_up) -> str:
        found = self._seen.get((kind, key))
        if found is None:
            found = self._seen[(kind, key)] = str(look_up(key))
        return found

    def gender(self, gender: str | None) -> str:
        return self.get("gender", gender, _gender_label)

    def category(self, category: str | None) -> str:
        return self.get("category", category, _category_label)

    def status(self, status: str, campaign_id: int) -> str:
        """The status's label, 过期无效 or not: the same for every row of one status and campaign (as of _now)."""
        found = self._seen.get(("status", status, campaign_id))
        if found is None:
            label = str(S(status).label)
            if workflow.is_void_status(status, campaign_id, self._now):
                label += self.void_suffix
            found = self._seen[("status", status, campaign_id)] = label
        return found

    def opinion(self, said: Said) -> str:
        """Opinion.text() of a Said (action, opinion, who, at), from the cached template and action label."""
        action, opinion, who, at = said
        # A stored time is naive Beijing wall-clock: isoformat gives format_time's text (to the second) in a tenth
        # of strftime's time; anything else goes through format_time itself.
        fast = type(at) is datetime and at.tzinfo is None and at.year >= 1000
        when = at.isoformat(" ", "seconds") if fast else format_time(at)
        return self.opinion_template % {"decision": self._actions.get(action, action), "opinion": opinion or "",
                                        "who": who, "at": when}


def _gender_label(gender: str | None) -> str:
    return GENDER_LABELS.get(gender, "")


def _category_label(category: str | None) -> str:
    if category is None:
        return ""
    try:
        return str(UnitCategory(category).label)
    except ValueError:
        return category


def write_applications(rows: Iterable[tuple], out, *, full_numbers: bool) -> int:
    """Write rows (entries()) as an .xlsx to out (a path or a binary file); returns the number of rows written."""
    words = _Labels()
    workbook = xlsxwriter.Workbook(out, WORKBOOK_OPTIONS)
    sheet = workbook.add_worksheet(_("报名信息"))
    header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    moment = workbook.add_format({"num_format": XLSX_TIME_FORMAT})
    heads = columns()
    for col, (title, width) in enumerate(heads):
        sheet.set_column(col, col, width)
        sheet.write_string(0, col, title, header)
    sheet.freeze_panes(1, 2)
    n = _write_rows(sheet, rows, words, day, moment, full_numbers)
    sheet.autofilter(0, 0, max(n, 1), len(heads) - 1)
    workbook.close()
    return n


def _write_rows(sheet, rows: Iterable[tuple], words: _Labels, day, moment, full_numbers: bool) -> int:
    """The applications' rows under the header; returns how many. The innermost loop of a large export: every name
    it needs is local, each row is unpacked once, and a missing date is left out (a blank cell without a format is
    not written at all, so there is nothing to call xlsxwriter for)."""
    text = _text
    id_number = text if full_numbers else masking.mask_id_number
    mobile = text if full_numbers else masking.mask_mobile
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime
    gender_of, category_of, status_of, opinion_of = words.gender, words.category, words.status, words.opinion
    dated = (date, datetime)
    n = 0
    for n, (row, second, first) in enumerate(rows, start=1):
        (_id, campaign_id, status, name, gender, birth_date, id_no, mobile_no, work_unit, position, address,
         submitted_at, deeds, category, unit_name, parent_name) = row  # export_query's columns, in order
        write_number(n, 0, n)
        write_string(n, 1, text(name))
        write_string(n, 2, gender_of(gender))
        if isinstance(birth_date, dated):
            write_datetime(n, 3, birth_date, day)
        write_string(n, 4, text(id_number(id_no)))
        write_string(n, 5, text(mobile(mobile_no)))
        write_string(n, 6, text(work_unit))
        write_string(n, 7, text(position))
        write_string(n, 8, text(address))
        write_string(n, 9, category_of(category))
        write_string(n, 10, text(parent_name))
        write_string(n, 11, text(unit_name))
        write_string(n, 12, status_of(status, campaign_id))
        if isinstance(submitted_at, dated):
            write_datetime(n, 13, submitted_at, moment)
        write_string(n, 14, text(opinion_of(second)) if second else "")
        write_string(n, 15, text(opinion_of(first)) if first else "")
        write_string(n, 16, text(deeds))
    return n


def spooled(write, *args, **kwargs) -> tuple[BinaryIO, int, int]:
    """write(*args, out, **kwargs) into a temporary file (in memory up to SPOOL_MAX_SIZE): (file at 0, rows written,
    bytes)."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE, suffix=".xlsx")
    try:
        n = write(*args, out, **kwargs)
        size = out.seek(0, 2)
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return out, n, size


def spooled_workbook(rows: Iterable[tuple], *, full_numbers: bool) -> tuple[BinaryIO, int, int]:
    """The applications' workbook in a temporary file: (file at 0, rows, bytes)."""
    return spooled(write_applications, rows, full_numbers=full_numbers)


# --- plain tables: the rankings of 专家评审 and the 拟评选 list (app/ranking.py) --------------------------------


def write_table(title: str, heads: list[tuple[str, int]], rows: Iterable[list], out, *, caption: str | None = None,
                frozen_columns: int = 0, number_formats: dict[int, str] | None = None) -> int:
    """Write a sheet `title` with these (header, width) columns and rows of cells to out; returns the rows written.
    Text is written as text (formula-safe like the applications' sheet), numbers as numbers (in the column's Excel
    format of `number_formats`, if any), None as blank. A `caption` is a bold line above the header."""
    workbook = xlsxwriter.Workbook(out, WORKBOOK_OPTIONS)
    sheet = workbook.add_worksheet(_UNSAFE_IN_SHEET_NAMES.sub("_", title)[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True})
    moment = workbook.add_format({"num_format": XLSX_TIME_FORMAT})
    numbers = {col: workbook.add_format({"num_format": f}) for col, f in (number_formats or {}).items()}
    top = 0
    if caption is not None:
        sheet.write_string(0, 0, _text(caption), workbook.add_format({"bold": True, "font_size": 13}))
        top = 1
    for col, (heading, width) in enumerate(heads):
        sheet.set_column(col, col, width)
        sheet.write_string(top, col, _text(heading), header)
    sheet.freeze_panes(top + 1, frozen_columns)
    n = 0
    for n, cells in enumerate(rows, start=1):
        line = top + n
        for col, value in enumerate(cells):
            if value is None:
                sheet.write_blank(line, col, None)
            elif isinstance(value, bool):
                sheet.write_string(line, col, _("是") if value else "")
            elif isinstance(value, (int, float, Decimal)):
                sheet.write_number(line, col, float(value), numbers.get(col))
            elif isinstance(value, datetime):
                sheet.write_datetime(line, col, value, moment)
            else:
                sheet.write_string(line, col, _text(value))
    sheet.autofilter(top, 0, top + max(n, 1), max(len(heads) - 1, 0))
    workbook.close()
    return n


_UNSAFE_IN_SHEET_NAMES = re.compile(r"[\\/*?:\[\]]")


def spooled_table(title: str, heads: list[tuple[str, int]], rows: Iterable[list],
                  **options) -> tuple[BinaryIO, int, int]:
    """write_table into a temporary file: (file at 0, rows, bytes)."""
    return spooled(write_table, title, heads, rows, **options)


def ranking_sheet(review_round, rows, experts) -> tuple[list[tuple[str, int]], Iterator[list]]:
    """评审排名 of a round: rank, ties, the mean and the normalised score, the spread, every expert's total.
    rows: app.ranking.rank(); experts: the round's experts who submitted, in column order."""
    heads = [(_("名次"), 6), (_("并列"), 5), (_("姓名"), 10), (_("一级单位"), 16), (_("二级单位"), 18),
             (_("评审数"), 7), (_("平均分"), 8), (_("标准化分"), 9), (_("分差"), 7), (_("分歧"), 5), (_("状态"), 18)]
    heads += [(_("专家：%(name)s", name=expert.name), 12) for expert in experts]

    def cells():
        for row in rows:
            a = row.application
            unit = a.unit
            yield [row.rank if row.rank is not None else _("无评分"), row.tied, a.name,
                   unit.parent.name if unit is not None and unit.parent is not None else "",
                   unit.name if unit is not None else "", row.n_reviews, row.mean, row.z, row.spread,
                   row.disagreement, a.status_label] + [row.totals.get(expert.id) for expert in experts]

    return heads, cells()


def candidate_sheet(candidates) -> tuple[list[tuple[str, int]], Iterator[list]]:
    """拟评选名单: featured first, with their 复审 result and the reasons recorded for each pick."""
    heads = [(_("序号"), 6), (_("姓名"), 10), (_("性别"), 5), (_("工作单位"), 24), (_("职务"), 12),
             (_("一级单位"), 16), (_("二级单位"), 18), (_("重点宣传"), 8), (_("复审名次"), 8), (_("复审平均分"), 10),
             (_("标准化分"), 9), (_("拟评选理由"), 30), (_("重点宣传理由"), 30)]

    def cells():
        for n, c in enumerate(candidates, start=1):
            a = c.application
            unit = a.unit
            yield [n, a.name, a.gender_label, a.work_unit, a.position,
                   unit.parent.name if unit is not None and unit.parent is not None else "",
                   unit.name if unit is not None else "", c.featured,
                   c.rank if c.rank is not None else _("无评分"), c.mean, c.z, c.candidate_reason, c.feature_reason]

    return heads, cells()


# --- the official lists of 公示 and 审核确定 (app/approval.py: public_list, final_list) ----------------------------


def official_list_sheet(listed, *, marks_withdrawn: bool) -> tuple[list[tuple[str, int]], Iterator[list]]:
    """公示名单 / 首都市民学习之星名单 as the announcement prints them: no ID number, phone, address or birth date.
    With `marks_withdrawn` a 备注 column says who was withdrawn after the notice."""
    heads = [(_("序号"), 6), (_("姓名"), 10), (_("性别"), 5), (_("单位"), 28), (_("工作单位及职务"), 36),
             (_("重点宣传"), 8)]
    if marks_withdrawn:
        heads.append((_("备注"), 14))

    def cells():
        for n, item in enumerate(listed, start=1):
            a = item.application
            row = [n, a.name, a.gender_label, item.unit_text, item.work_text, item.featured]
            if marks_withdrawn:
                row.append(_("公示后撤销") if item.withdrawn else "")
            yield row

    return heads, cells()
