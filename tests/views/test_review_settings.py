"""推荐名额 and 提交情况 through HTTP: quotas are audited; 提交情况 lists every unit in scope, sortable, with contacts."""
import re
from datetime import datetime

import pytest

from app import clock, roles, workflow
from app.extensions import db
from app.models import AuditEvent, RecommendationQuota, Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


@pytest.fixture
def units(app):
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    street.contact_name, street.contact_phone = "张伟", "010-62551234"
    other, (other_street,) = factories.district_with_streets("朝阳区", ("建外街道",))
    db.session.commit()
    l2 = factories.account(roles.L2_CLERK, unit=street)
    sibling_clerk = factories.account(roles.L2_CLERK, unit=sibling, first_name="王芳", phone="13700137000")
    decided = factories.application(unit=street)
    for _ in range(3):
        factories.application(unit=sibling)
    factories.application(unit=other_street)
    workflow.perform(l2, decided.id, "l2_recommend", "同意")
    workflow.submit_unit(l2)
    return {"campaign": campaign, "district": district, "street": street, "sibling": sibling, "other": other,
            "l2": l2, "sibling_clerk": sibling_clerk,
            "l1": factories.account(roles.L1_CLERK, unit=district), "city": factories.account(roles.CITY_OFFICE)}


def rows(html):
    """The table's rows as [[cell text, ...]]."""
    body = html.split('id="submissions-table"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*submission-row[^>]*>(.*?)</tr>", body, re.S)]


def test_a_first_level_clerk_sees_its_unit_and_every_street_submitted_or_not(app, units):
    client = factories.login(app.test_client(), units["l1"])
    listed = rows(client.get("/submissions/list/").text)
    by_unit = {row[0]: row for row in listed}
    assert set(by_unit) == {"海淀区", "海淀区 · 中关村街道", "海淀区 · 学院路街道"}  # not 朝阳区's
    street, sibling = by_unit["海淀区 · 中关村街道"], by_unit["海淀区 · 学院路街道"]
    # 单位, 级别, 联系人, 联系电话, 提交情况, 提交时间, 提交人, 推荐, 不推荐, 待评审
    assert street[2:5] == ["张伟", "010-62551234", "已提交"] and street[5] and street[7:] == ["1", "0", "0"]
    assert sibling[2:5] == ["王芳", "13700137000", "未提交"] and sibling[5] == "" and sibling[7:] == ["0", "0", "3"]
    # Not submitted first, the one with most waiting on top: the units to call.
    assert listed[0][0] == "海淀区 · 学院路街道" and listed[-1][0] == "海淀区 · 中关村街道"


def test_a_second_level_clerk_sees_only_its_own_row(app, units):
    client = factories.login(app.test_client(), units["sibling_clerk"])
    assert [row[0] for row in rows(client.get("/submissions/list/").text)] == ["海淀区 · 学院路街道"]


def test_the_city_office_sees_every_unit_and_filters_and_sorts(app, units):
    client = factories.login(app.test_client(), units["city"])
    page = client.get("/submissions/list/").text
    assert len(rows(page)) == 5 and "共 5 个单位：已提交 1 个，未提交 4 个" in page
    # Both first-level units have yet to 上报: the one with an application waiting on it comes first.
    assert [row[0] for row in rows(client.get("/submissions/list/?level=1").text)] == ["海淀区", "朝阳区"]
    submitted = rows(client.get("/submissions/list/?state=submitted").text)
    assert [row[0] for row in submitted] == ["海淀区 · 中关村街道"]
    ascending = [int(row[9]) for row in rows(client.get("/submissions/list/?sort=undecided&desc=0").text)]
    descending = [int(row[9]) for row in rows(client.get("/submissions/list/?sort=undecided&desc=1").text)]
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True) and descending[0] == 3
    by_time = rows(client.get("/submissions/list/?sort=at&desc=1").text)
    assert by_time[0][0] == "海淀区 · 中关村街道"  # the only one with a time; the rest after it
    assert client.get("/submissions/list/?campaign=999999").status_code == 404


def test_the_list_page_headers_are_sort_links(app, units):
    client = factories.login(app.test_client(), units["city"])
    page = client.get("/submissions/list/?sort=undecided&desc=1&level=2").text
    assert 'aria-sort="descending"' in page
    assert 'href="/submissions/list/?sort=undecided&amp;desc=0&amp;level=2"' in page  # next click: ascending


def test_people_outside_the_chain_have_no_submission_list(app, units):
    for role in (roles.APPLICANT, roles.EXPERT):
        client = factories.login(app.test_client(), factories.account(role))
        assert client.get("/submissions/list/").status_code in (302, 403)


def test_adding_and_changing_a_quota_is_in_the_audit_log(app, units):
    client = factories.login(app.test_client(), units["city"])
    client.post("/quotas/add", data={"campaign": units["campaign"].id, "level": 2, "max_recommended": 1})
    quota = db.session.query(RecommendationQuota).one()
    client.post(f"/quotas/edit/{quota.id}", data={"max_recommended": 2})
    logged = db.session.query(AuditEvent).filter(AuditEvent.object_type == "recommendation_quota").order_by(AuditEvent.id).all()
    assert [e.action for e in logged] == ["recommendation_quota.create", "recommendation_quota.update"]
    assert logged[0].object_label == f"{units['campaign'].name} · 二级单位推荐名额"
    assert logged[1].detail == {"max_recommended": [1, 2]}
    assert "修改推荐名额" in client.get("/audit/list/").text


def test_the_panel_shows_recommended_against_the_quota(app, units):
    db.session.add(RecommendationQuota(campaign=units["campaign"], level=2, max_recommended=1))
    db.session.commit()
    client = factories.login(app.test_client(), units["sibling_clerk"])
    assert "已推荐 0 / 名额 1" in client.get("/applications/list/").text
