"""The review list's Excel export and the printable 推荐表 through HTTP: scoped like the list, masked numbers for
everyone by default, full ones on the city office's explicit 含完整证件号 request (a POST), both levels' opinions on
the print form, another unit's application a 404."""
import io
from datetime import datetime
from urllib.parse import quote, unquote

import pytest
from openpyxl import load_workbook

from app import clock, roles, schedule, workflow
from app.extensions import db
from app.models import AuditEvent, BackgroundJob, Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(app):
    """海淀区 (中关村街道, 学院路街道) and 朝阳区 (建外街道), a clerk for each, applications in each; inside l2_review."""
    clock.freeze(NOW)
    campaign = factories.campaign(name="2026年第一批", open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    other_district, (other_street,) = factories.district_with_streets("朝阳区", ("建外街道",))
    return {
        "app": app,
        "campaign": campaign,
        "district": district,
        "street": street,
        "l2": factories.account(roles.L2_CLERK, unit=street, username="l2-zgc"),
        "l2_sibling": factories.account(roles.L2_CLERK, unit=sibling, username="l2-xyl"),
        "l1": factories.account(roles.L1_CLERK, unit=district, username="l1-haidian"),
        "l1_other": factories.account(roles.L1_CLERK, unit=other_district, username="l1-chaoyang"),
        "city": factories.account(roles.CITY_OFFICE, username="city"),
        "auditor": factories.account(roles.AUDITOR, username="auditor"),
        "applications": {
            "mine": factories.application(unit=street, name="王学习", id_number="11010819850615123X",
                                          mobile="13911588771", photo_file="photos/wang.jpg"),
            "mine_recommended": factories.application(unit=street, name="李学习", status="l2_recommended",
                                                      id_number="110108198001010011", mobile="13800000001"),
            "sibling": factories.application(unit=sibling, name="赵学习"),
            "other": factories.application(unit=other_street, name="钱学习"),
            "draft": factories.application(unit=street, name="孙草稿", status="draft"),
        },
    }


def client_of(world, who):
    client = world["app"].test_client()
    return factories.login(client, world[who])


def export(client, full=False, **query):
    if full:
        response = client.post("/applications/export.xlsx", data={"full": "1", **query})
    else:
        response = client.post("/applications/export.xlsx", query_string=query)
    response = factories.job_file(client, response)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = [[cell.value for cell in row] for row in workbook.worksheets[0].iter_rows()]
    workbook.close()
    return [dict(zip(rows[0], row)) for row in rows[1:]], response


def names(rows):
    return {row["姓名"] for row in rows}


def test_a_second_level_clerk_exports_only_its_own_units_submitted_applications_masked(world):
    rows, response = export(client_of(world, "l2"))
    assert names(rows) == {"王学习", "李学习"}  # never the sibling's, another district's, or a draft
    wang = next(row for row in rows if row["姓名"] == "王学习")
    assert (wang["身份证号"], wang["手机号码"]) == ("110108********123X", "139****8771")
    assert (wang["一级单位"], wang["二级单位"], wang["单位类别"]) == ("海淀区", "中关村街道", "区")
    assert wang["状态"] == "已提交，待二级单位评审"

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" + quote("报名信息-2026年第一批-中关村街道-全部-2026-05-01.xlsx") in disposition
    assert "filename=applications-list-2026-05-01.xlsx;" in disposition.replace('"', "")
    assert response.headers["Cache-Control"] == "private, no-store"

    db.session.expire_all()
    (logged,) = db.session.query(AuditEvent).filter_by(action="export.applications").all()
    assert logged.actor_name == "l2-zgc"
    assert logged.detail["rows"] == 2
    assert logged.detail["filters"]["full_numbers"] is False
    assert logged.detail["filters"]["campaign"] == "2026年第一批"


def test_the_file_name_says_campaign_unit_and_scope(world):
    def name(who, **query):
        client = client_of(world, who)
        response = factories.job_file(client, client.post("/applications/export.xlsx", query_string=query))
        disposition = response.headers["Content-Disposition"]
        return unquote(disposition.split("filename*=UTF-8''")[1])

    district, other = world["district"], world["applications"]["other"].unit.parent
    assert name("l2", stage="pending") == "报名信息-2026年第一批-中关村街道-待评审-2026-05-01.xlsx"
    assert name("l2", unit=str(other.id)) == "报名信息-2026年第一批-中关村街道-全部-2026-05-01.xlsx"  # not 朝阳区
    assert name("l1", stage="l2") == "报名信息-2026年第一批-海淀区-二级单位已推荐-2026-05-01.xlsx"
    assert name("city") == "报名信息-2026年第一批-全部-2026-05-01.xlsx"
    assert name("city", stage="l1") == "报名信息-2026年第一批-一级单位已推荐-2026-05-01.xlsx"
    assert name("city", stage="reported") == "报名信息-2026年第一批-已上报市学习办-2026-05-01.xlsx"
    assert (name("city", unit=str(district.id), status="submitted")
            == "报名信息-2026年第一批-海淀区-已提交，待二级单位评审-2026-05-01.xlsx")


def test_status_and_stage_narrow_the_export(world):
    client = client_of(world, "l2")
    assert names(export(client, status="submitted")[0]) == {"王学习"}
    assert names(export(client, status=["submitted", "l2_recommended"])[0]) == {"王学习", "李学习"}
    assert names(export(client, stage="pending")[0]) == {"王学习"}
    assert names(export(client, stage="l2")[0]) == {"李学习"}
    assert export(client, stage="reported")[0] == []
    assert names(export(client, status="draft")[0]) == set()  # asking for drafts finds none
    assert client.get("/applications/export.xlsx?status=nope").status_code == 400
    assert client.get("/applications/export.xlsx?stage=l3").status_code == 400
    assert client.get("/applications/export.xlsx?campaign=x").status_code == 400
    assert client.get("/applications/export.xlsx?campaign=99999").status_code == 404


def test_the_city_office_gets_every_unit_masked_and_full_numbers_only_when_it_asks(world):
    # Masked by default for the city office too (PIPL); the list says what its full export would be.
    rows, _ = export(client_of(world, "city"))
    assert names(rows) == {"王学习", "李学习", "赵学习", "钱学习"}
    wang = next(row for row in rows if row["姓名"] == "王学习")
    assert (wang["身份证号"], wang["手机号码"]) == ("110108********123X", "139****8771")
    assert "导出 Excel（含完整证件号）" in client_of(world, "city").get("/applications/list/").text

    rows, _ = export(client_of(world, "city"), full=True)
    wang = next(row for row in rows if row["姓名"] == "王学习")
    assert (wang["身份证号"], wang["手机号码"]) == ("11010819850615123X", "13911588771")
    db.session.expire_all()
    logged = db.session.query(AuditEvent).filter_by(action="export.applications").order_by(AuditEvent.id).all()
    assert [e.detail["filters"]["full_numbers"] for e in logged] == [False, True]
    assert "11010819850615123X" not in str([e.detail for e in logged])
    # grouped by first-level unit, then second-level unit
    assert [row["二级单位"] for row in rows] == ["中关村街道", "中关村街道", "学院路街道", "建外街道"]
    assert [row["序号"] for row in rows] == [1, 2, 3, 4]

    rows, _ = export(client_of(world, "auditor"))
    assert len(rows) == 4
    assert all("********" in row["身份证号"] and "****" in row["手机号码"] for row in rows)

    rows, _ = export(client_of(world, "city"), unit=str(world["district"].id))
    assert names(rows) == {"王学习", "李学习", "赵学习"}


def test_a_first_level_clerk_exports_only_what_its_second_level_units_forwarded(world):
    assert export(client_of(world, "l1"))[0] == []
    mine = world["applications"]["mine"]
    workflow.perform(world["l2"], mine.id, "l2_recommend", "同意推荐")
    workflow.submit_unit(world["l2"])
    assert names(export(client_of(world, "l1"))[0]) == {"王学习", "李学习"}
    assert export(client_of(world, "l1_other"))[0] == []


@pytest.mark.parametrize("who", ["l1", "l2", "auditor"])
def test_only_the_city_office_may_ask_for_full_numbers(world, who):
    client = client_of(world, who)
    assert "含完整证件号" not in client.get("/applications/list/").text
    response = client.post("/applications/export.xlsx", data={"full": "1"})
    assert response.status_code == 403 and response.mimetype != XLSX
    assert db.session.query(AuditEvent).filter_by(action="export.applications").count() == 0


def test_an_applicant_cannot_export(world):
    client = factories.login(world["app"].test_client(), world["applications"]["mine"].applicant)
    response = client.post("/applications/export.xlsx")
    assert response.status_code in (302, 403)
    assert response.mimetype != XLSX
    assert db.session.query(BackgroundJob).count() == 0  # no export job started either


def test_the_list_offers_the_export_and_the_page_the_print_form(world):
    client = client_of(world, "l2")
    page = client.get("/applications/list/").get_data(as_text=True)
    assert "导出 Excel" in page and 'formaction="/applications/export.xlsx?stage=pending"' in page
    mine = world["applications"]["mine"]
    page = client.get(f"/applications/show/{mine.id}").get_data(as_text=True)
    assert f"/applications/print/{mine.id}" in page and "打印推荐表" in page


def test_the_print_form_shows_both_levels_opinions_ready_to_stamp(world):
    mine = world["applications"]["mine"]
    workflow.perform(world["l2"], mine.id, "l2_recommend", "学习成效显著，同意推荐")
    workflow.submit_unit(world["l2"])
    schedule.open_stage(world["campaign"], Stage.L1_REVIEW, at=NOW)
    db.session.commit()
    workflow.perform(world["l1"], mine.id, "l1_recommend", "经研究，同意上报")
    workflow.submit_unit(world["l1"])

    for who in ("city", "l1", "l2", "auditor"):
        response = client_of(world, who).get(f"/applications/print/{mine.id}")
        assert response.status_code == 200, who
        page = response.get_data(as_text=True)
        assert "首都市民学习之星推荐表" in page and "size: A4" in page
        assert "王学习" in page and "110108********123X" in page and "11010819850615123X" not in page
        assert f"/application-files/{mine.id}/photo" in page
        assert "二级单位推荐意见" in page and "学习成效显著，同意推荐" in page and "l2-zgc" in page
        assert "一级单位推荐意见" in page and "经研究，同意上报" in page and "l1-haidian" in page
        assert "中关村街道" in page and "海淀区" in page
        assert "2026-05-01 10:00" in page
        assert page.count("盖章") == 2 and page.count("日期：") == 2
        assert "一级单位已上报市学习办" in page


def test_the_print_form_before_any_decision_leaves_the_levels_blank(world):
    mine = world["applications"]["mine"]
    page = client_of(world, "l2").get(f"/applications/print/{mine.id}").get_data(as_text=True)
    assert page.count("（尚未评审）") == 2 and page.count("未提交") >= 2


@pytest.mark.parametrize(
    "who, which",
    [
        ("l2_sibling", "mine"),  # the other street of the same district
        ("l2", "other"),  # another district
        ("l1", "mine"),  # not forwarded yet: not the first-level unit's
        ("l1_other", "mine"),
        ("city", "draft"),  # drafts are the citizen's alone
    ],
)
def test_the_print_form_of_an_application_out_of_scope_is_a_404(world, who, which):
    application = world["applications"][which]
    assert client_of(world, who).get(f"/applications/print/{application.id}").status_code == 404


def test_the_print_form_of_no_application_is_a_404(world):
    client = client_of(world, "city")
    assert client.get("/applications/print/999999").status_code == 404
    assert client.get("/applications/print/abc").status_code == 404
