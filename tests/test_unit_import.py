"""Bulk import of second-level units and accounts from .xlsx: every bad row reported, all or nothing."""
import io
import re
from datetime import datetime

from openpyxl import Workbook, load_workbook

from app import clock, roles, storage, unit_import
from app.extensions import db
from app.models import Account, BackgroundJob, Stage, Unit
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)
HEADER = ["二级单位名称", "账号用户名", "联系人姓名", "联系电话"]


def sheet(*rows, header=HEADER) -> io.BytesIO:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def _setup(client=None, stage=Stage.UNIT_ACCOUNTS):
    clock.freeze(NOW)
    factories.campaign(open_stage=stage, at=NOW)
    district, (existing,) = factories.district_with_streets("海淀区", ("中关村街道",))
    clerk = factories.account(roles.L1_CLERK, unit=district)
    if client is not None:
        factories.login(client, clerk)
    return district, clerk


def test_template_has_the_header_the_importer_expects():
    book = load_workbook(io.BytesIO(unit_import.template_bytes()))
    assert [c.value for c in book.worksheets[0][1]] == HEADER
    assert "填写说明" in book.sheetnames


def test_good_sheet_creates_units_and_accounts(app):
    district, clerk = _setup()
    result = unit_import.import_sheet(
        app.appbuilder.sm, clerk, district,
        sheet(("学院路街道", "l2-xueyuanlu", "张伟", "13911588771"), ("海淀街道", "l2-haidianjd", "李娜", None)),
    )
    db.session.commit()
    assert result.ok and [c[:2] for c in result.created] == [("学院路街道", "l2-xueyuanlu"), ("海淀街道", "l2-haidianjd")]
    account = db.session.query(Account).filter_by(username="l2-xueyuanlu").one()
    assert account.unit.parent == district and account.must_change_password and account.unit.contact_phone == "13911588771"


def test_every_bad_row_is_reported_with_its_number_and_nothing_is_created(app):
    district, clerk = _setup()
    factories.account(roles.L2_CLERK, unit=district.children[0], username="taken")
    result = unit_import.import_sheet(
        app.appbuilder.sm, clerk, district,
        sheet(
            ("学院路街道", "l2-ok", "张伟", ""),
            ("中关村街道", "l2-dup-unit", "王", ""),   # row 3: name exists under 海淀区
            ("", "taken", "", "12345"),                 # row 4: four problems
            ("学院路街道", "L2-OK", "赵", ""),          # row 5: repeats row 2 (name and, ignoring case, user name)
        ),
    )
    assert not result.ok
    messages = {}
    for number, message in result.errors:
        messages.setdefault(number, []).append(message)
    assert set(messages) == {3, 4, 5}
    assert any("已有名为「中关村街道」" in m for m in messages[3])
    assert any("请填写单位名称" in m for m in messages[4])
    assert any("taken 已被使用" in m for m in messages[4])
    assert any("联系人姓名" in m for m in messages[4])
    assert any("电话号码无效" in m for m in messages[4])
    assert any("与第 2 行重复" in m for m in messages[5])
    db.session.rollback()
    assert db.session.query(Unit).filter_by(name="学院路街道").count() == 0


def test_not_a_spreadsheet_or_wrong_header_is_explained(app):
    district, clerk = _setup()
    bad = unit_import.import_sheet(app.appbuilder.sm, clerk, district, io.BytesIO(b"<html>not excel</html>"))
    assert "不是有效的 Excel" in bad.errors[0][1]
    bad = unit_import.import_sheet(app.appbuilder.sm, clerk, district, sheet(("a", "b", "c", "d"), header=["x", "y", "z"]))
    assert bad.errors[0][0] == 1 and "表头" in bad.errors[0][1]


def test_import_outside_the_window_is_refused(app):
    district, clerk = _setup(stage=Stage.L2_REVIEW)
    result = unit_import.import_sheet(app.appbuilder.sm, clerk, district, sheet(("学院路街道", "l2-x", "张", "")))
    assert "过期无效" in result.errors[0][1]


def test_import_page_uploads_and_shows_the_passwords_once(client):
    district, _ = _setup(client)
    page = client.get("/units/second-level/import")
    assert page.status_code == 200 and "海淀区" in page.text
    template = client.get("/units/second-level/import/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    response = client.post(
        "/units/second-level/import",
        data={"parent_id": district.id, "sheet": (sheet(("学院路街道", "l2-xueyuanlu", "张伟", "")), "单位.xlsx")},
        content_type="multipart/form-data",
    )
    # A background job imports; its page forwards back to the import page with the result.
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    job_page = response.headers["Location"]
    shown = client.get(job_page, follow_redirects=True)
    assert "已导入 1 个二级单位及其账号" in shown.text
    assert "l2-xueyuanlu" in shown.text and "once-secret" in shown.text
    password = re.search(r'<span class="once-secret">([^<]+)</span>', shown.text).group(1)
    # Once: erased from the job's row as it was shown; a second look says so and shows no password.
    again = client.get(job_page, follow_redirects=True)
    assert "once-secret" not in again.text and password not in again.text and "不能再次显示" in again.text
    job = db.session.query(BackgroundJob).one()
    db.session.refresh(job)
    assert password not in repr(job.result) and job.result["imported"] == 1
    # The upload itself is not kept.
    assert not list((storage.root() / "jobs").glob("upload-*"))


def test_import_page_reports_rows_and_a_missing_file_at_the_field(client):
    district, _ = _setup(client)
    response = client.post("/units/second-level/import", data={"parent_id": district.id}, content_type="multipart/form-data")
    assert "请选择要上传的 Excel 文件" in response.text
    response = client.post(
        "/units/second-level/import",
        data={"parent_id": district.id, "sheet": (sheet(("", "x", "", "")), "单位.xlsx")},
        content_type="multipart/form-data", follow_redirects=True,
    )
    assert "第 2 行" in response.text and "未导入任何数据" in response.text


def test_import_under_someone_elses_district_is_refused_by_the_importer_itself(app):
    district, clerk = _setup()
    other = factories.unit(name="朝阳区")
    result = unit_import.import_sheet(app.appbuilder.sm, clerk, other, sheet(("建外街道", "l2-jianwai", "张", "")))
    assert result.errors == [(0, "只能在本单位下创建二级单位")] and not result.created
    assert db.session.query(Unit).filter_by(name="建外街道").count() == 0


def test_a_contact_name_longer_than_the_form_takes_is_the_rows_error(app):
    """3,000 characters were imported (the unit's column holds 50 on PostgreSQL; the single form refuses more), the
    account's name cut to 64 unseen."""
    district, clerk = _setup()
    result = unit_import.import_sheet(app.appbuilder.sm, clerk, district,
                                      sheet(("学院路街道", "l2-ok", "张伟", ""), ("上地街道", "l2-long", "长" * 51, "")))
    assert not result.ok and result.errors == [(3, "联系人姓名不能超过 50 个字")]
    db.session.rollback()
    assert db.session.query(Unit).filter_by(name="学院路街道").count() == 0
