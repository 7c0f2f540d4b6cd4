"""Look-alike names (app/names.py): normalised, and invisible or direction-control characters refused at the
field, through the unit form, the REST API, an Excel import and the other name fields."""
import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from app import clock, names, roles
from app.extensions import db
from app.models import Account, Campaign, Stage, Unit
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)
ZWSP, RLO, PDF, BOM = "\u200b", "\u202e", "\u202c", "\ufeff"
LOOK_ALIKES = [
    "中关村街道" + ZWSP,
    RLO + "中关村街道" + PDF,
    "中关村" + "\u2066" + "街道",  # a bidi isolate
    BOM + "中关村街道",
    "中关村\u2028街道",  # a line separator
    "中关村\t街道",
]


@pytest.mark.parametrize("name", LOOK_ALIKES, ids=lambda n: "+".join(f"U+{ord(c):04X}" for c in n if ord(c) < 0x3000))
def test_invisible_and_direction_characters_are_refused_with_their_code(name):
    with pytest.raises(names.BadName) as refused:
        names.clean(name, "单位名称")
    assert "单位名称中含有不可见字符或文字方向控制字符" in str(refused.value)
    assert "U+" in str(refused.value)


@pytest.mark.parametrize("given, stored", [
    ("  中关村街道  ", "中关村街道"),
    ("ＡＢＣ学院", "ABC学院"),  # full-width letters (NFKC)
    ("北京\u3000大学", "北京 大学"),  # the ideographic and the no-break space become plain ones
    ("中关村\u00a0街道", "中关村 街道"),
    ("阿依古丽·买买提", "阿依古丽·买买提"),
    ("Li  Ming", "Li Ming"),
    ("", ""),
])
def test_names_are_normalised(given, stored):
    assert names.clean(given) == stored


def _l1_clerk(client=None):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    district, streets = factories.district_with_streets("海淀区", ("中关村街道",))
    clerk = factories.account(roles.L1_CLERK, unit=district)
    if client is not None:
        factories.login(client, clerk)
    return district, clerk


@pytest.mark.parametrize("name", LOOK_ALIKES[:2])
def test_the_unit_form_refuses_a_second_zhongguancun_with_a_hidden_character(client, name):
    district, _ = _l1_clerk(client)
    response = client.post("/units/second-level/add", data={"parent": district.id, "name": name})
    assert response.status_code == 200
    assert "单位名称中含有不可见字符或文字方向控制字符" in response.text
    assert db.session.query(Unit).filter(Unit.parent_id == district.id).count() == 1


def test_the_unit_form_stores_the_normalised_name_and_then_finds_the_twin(client):
    district, _ = _l1_clerk(client)
    client.post("/units/second-level/add", data={"parent": district.id, "name": " 上地街道 "})
    assert db.session.query(Unit).filter_by(name="上地街道").count() == 1
    response = client.post("/units/second-level/add", data={"parent": district.id, "name": "上地街道\u3000"})
    assert "海淀区下已有名为「上地街道」的单位" in response.text


@pytest.mark.parametrize("name", LOOK_ALIKES[:2])
def test_the_rest_api_refuses_it_too(app, name):
    district, clerk = _l1_clerk()
    client = factories.api_client(app, clerk)
    response = client.post("/api/v1/unit/", json={"name": name, "parent": district.id})
    assert response.status_code == 422
    assert "不可见字符" in str(response.json)
    assert db.session.query(Unit).filter(Unit.parent_id == district.id).count() == 1


def _sheet(*rows) -> io.BytesIO:
    book = Workbook()
    book.active.append(["二级单位名称", "账号用户名", "联系人姓名", "联系电话"])
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_an_excel_import_reports_the_row_and_creates_nothing(client):
    district, _ = _l1_clerk(client)
    sheet = _sheet(("上地街道", "l2-shangdi", "王五", ""), ("中关村街道" + ZWSP, "l2-zgc2", "李四", ""),
                   ("清河街道", "l2-qinghe", RLO + "赵六", ""))
    response = client.post("/units/second-level/import", data={"parent_id": district.id, "sheet": (sheet, "u.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True)  # through the import's job
    assert response.status_code == 200
    page = response.text
    assert "单位名称中含有不可见字符" in page and "联系人姓名中含有不可见字符" in page
    assert db.session.query(Unit).filter(Unit.parent_id == district.id).count() == 1


def test_an_excel_import_stores_normalised_names(app):
    from app import unit_import

    district, clerk = _l1_clerk()
    result = unit_import.import_sheet(app.appbuilder.sm, clerk, district, _sheet(("上地街道\u3000", "l2-sd", "王  五", "")))
    assert result.ok, result.errors
    assert db.session.query(Unit).filter_by(name="上地街道").one().contact_name == "王 五"


def test_a_citizen_cannot_register_or_apply_under_a_name_with_hidden_characters(app, client, monkeypatch):
    from app import captcha

    monkeypatch.setattr(captcha, "matches", lambda purpose, answer: True)
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.REGISTER, at=NOW)
    response = client.post("/register/", data={"mobile": "13911588771", "name": "张学习" + ZWSP,
                                                "password": "Xuexi@2026!", "conf_password": "Xuexi@2026!",
                                                "captcha": "ABCD"})
    assert "姓名中含有不可见字符" in response.text
    assert db.session.query(Account).filter_by(username="13911588771").count() == 0

    clock.freeze(datetime(2026, 4, 10, 9, 0))
    factories.campaign(year=2027, open_stage=Stage.APPLY, at=datetime(2026, 4, 10, 9, 0))
    api = factories.api_client(app, factories.account(roles.APPLICANT, username="13911588772"))
    response = api.put("/api/v1/my_application/", json={"name": RLO + "张学习", "work_unit": "北京某研究院"})
    assert response.status_code == 422 and "不可见字符" in response.json["errors"]["name"]
    assert response.json["result"]["work_unit"] == "北京某研究院"  # the rest is kept


def test_expert_and_account_names_and_campaign_titles_are_checked(app):
    from app import experts

    with pytest.raises(experts.ExpertError) as refused:
        experts.check_name("王教授" + ZWSP)
    assert refused.value.field == "name" and "专家姓名中含有不可见字符" in str(refused.value)

    city = factories.account(roles.CITY_OFFICE)
    client = factories.login(app.test_client(), city)
    response = client.post("/campaigns/add", data={"name": "第九批" + RLO, "year": 2027, "winner_quota": 100,
                                                   "featured_quota": 10})
    assert "不可见字符" in response.text
    assert db.session.query(Campaign).count() == 0
    api = factories.api_client(app, city)
    response = api.post("/api/v1/campaign/", json={"name": "第九批" + ZWSP, "year": 2027, "winner_quota": 100,
                                                   "featured_quota": 10})
    assert response.status_code == 422 and "不可见字符" in str(response.json)
