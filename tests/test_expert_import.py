"""app/expert_import.py: experts from an Excel sheet, all rows or none, errors by row and column."""
import io

import pytest
from flask import current_app
from openpyxl import Workbook, load_workbook

from app import expert_import, roles
from app.extensions import db
from app.models import Account, Expert, ExpertConflict
from tests import factories

HEADER = [str(c) for c in expert_import.COLUMNS]


def sheet(*rows, header=HEADER) -> io.BytesIO:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.fixture
def city():
    return factories.account(roles.CITY_OFFICE, username="city")


def run(city, stream):
    result = expert_import.import_sheet(current_app.appbuilder.sm, city, stream)
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return result


def test_the_template_has_the_header_and_an_example_that_imports(city):
    factories.district_with_streets("东城区", ("东华门街道",))
    book = load_workbook(io.BytesIO(expert_import.template_bytes()))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and rows[1][0] == "张明"
    result = run(city, io.BytesIO(expert_import.template_bytes()))
    assert result.ok and [name for name, _u, _p in result.created] == ["张明"]


def test_rows_become_experts_with_units_and_conflicts(city):
    east, (street, _) = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    west, _ = factories.district_with_streets("西城区", ("金融街街道",))
    result = run(city, sheet(
        ["张明", "北京开放大学", "终身教育", "13911112222", "", "东城区、西城区 金融街街道"],
        ["李红", "东华门街道办事处", "社区教育", 13911113333, "东华门街道", None],
    ))
    assert result.ok, result.errors
    assert [(n, u) for n, u, _p in result.created] == [("张明", "expert1"), ("李红", "expert2")]
    experts = {e.name: e for e in db.session.query(Expert)}
    assert experts["李红"].employer_unit == street and experts["李红"].account.phone == "13911113333"
    assert {c.unit.full_name for c in experts["张明"].conflicts} == {"东城区", "西城区 · 金融街街道"}
    assert all(e.account.must_change_password for e in experts.values())


def test_one_bad_row_imports_nothing_and_says_where(city):
    factories.account(roles.APPLICANT, username="13900000001", phone="13900000001")
    result = run(city, sheet(
        ["张明", "北京开放大学", "", "13911112222", "", ""],
        ["", "某单位", "", "12345", "火星区", "月球区"],
        ["王五", "某单位", "", "13911112222", "", ""],
        ["赵六", "某单位", "", "13900000001", "", ""],
    ))
    assert not result.ok and result.created == []
    assert (3, "「姓名」：请填写专家姓名") in result.errors
    assert any(n == 3 and m.startswith("「手机号」：") for n, m in result.errors)
    assert (3, "「所在单位（本系统中的单位，可空）」：本系统中没有名为「火星区」的单位") in result.errors
    assert any(n == 3 and "回避单位" in m and "月球区" in m for n, m in result.errors)
    assert (4, "「手机号」：与第 2 行的手机号重复") in result.errors
    assert any(n == 5 and "已用于账号" in m for n, m in result.errors)
    assert db.session.query(Expert).count() == 0 and db.session.query(ExpertConflict).count() == 0
    assert db.session.query(Account).count() == 2  # the city office and the applicant


def test_a_file_that_is_not_the_template(city):
    assert run(city, io.BytesIO(b"not excel")).errors[0][0] == 0
    wrong = run(city, sheet(["x"], header=["名字", "单位"]))
    assert wrong.errors[0][0] == 1 and "表头" in wrong.errors[0][1]
    assert "没有要导入的数据行" in run(city, sheet()).errors[0][1]


def test_only_the_city_office_imports():
    auditor = factories.account(roles.AUDITOR)
    result = run(auditor, sheet(["张明", "北京开放大学", "", "13911112222", "", ""]))
    assert not result.ok and db.session.query(Expert).count() == 0
