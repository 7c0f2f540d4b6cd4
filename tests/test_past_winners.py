"""历届学习之星: the city office imports earlier batches from Excel; a past winner may not apply again (R-APP-6)."""
import io

from openpyxl import Workbook, load_workbook

from app import past_winners, roles
from app.extensions import db
from app.models import PastWinner
from tests import factories


def sheet(*rows, header=("姓名", "身份证号", "批次", "年度")):
    book = Workbook()
    book.active.append(list(header))
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_import_adds_every_row_or_none():
    good = factories.id_number("19700101", 11)
    added, errors = past_winners.import_sheet(sheet(("王学习", good, "第八批", 2017), ("李读书", "123", "第八批", 2017)))
    assert added == 0 and errors == [(3, "身份证号应为 18 位（最后一位可以是 X）")]
    added, errors = past_winners.import_sheet(sheet(("王学习", good, "第八批", 2017)))
    db.session.commit()
    assert (added, errors) == (1, [])
    added, _ = past_winners.import_sheet(sheet(("王学习", good, "第八批", 2017)))  # known already: skipped
    assert added == 0 and db.session.query(PastWinner).count() == 1


def test_city_office_imports_through_the_page(client):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    template = client.get("/past-winners/import/template.xlsx")
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]] == ["姓名", "身份证号", "批次", "年度"]
    assert "filename*=UTF-8''" in template.headers["Content-Disposition"]
    response = client.post(
        "/past-winners/import",
        data={"sheet": (sheet(("王学习", factories.id_number("19700101", 11), "第八批", 2017)), "往届.xlsx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "已导入 1 人" in response.text and "王学习" in response.text


def test_units_cannot_import(client):
    factories.login(client, factories.account(roles.L1_CLERK, unit=factories.unit()))
    assert client.get("/past-winners/import").status_code == 403
