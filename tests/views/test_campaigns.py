"""评选管理 → 时间安排 and 推荐名额 over HTTP: the window form reads and writes Beijing time to the second, refuses
what is not a date and time at the field keeping what was typed, and saving returns to the list.

The same form in Chromium (typing, the calendar) is tests/browser/test_schedule.py.
"""
import re
from datetime import datetime

import pytest

from app import roles
from app.extensions import db
from app.models import AuditEvent, RecommendationQuota, Stage
from tests import factories


@pytest.fixture
def window(client):
    window = factories.campaign(year=2027).window(Stage.APPLY)
    factories.login(client, factories.account(roles.CITY_OFFICE, username="desk"))
    return window


def _input(html: str, name: str) -> str:
    """The <input> tag of the field, as the page has it."""
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


def _error_at(html: str, name: str) -> str:
    """The error block FAB renders right after the field's input."""
    after = html[html.index(_input(html, name)):]
    match = re.search(r'<div class="alert alert-danger">(.*?)</div>', after.split("<tr>")[0], re.S)
    return " ".join(match.group(1).split()) if match else ""


def test_edit_form_shows_the_current_times_to_the_second_in_the_portal_picker(client, window):
    html = client.get(f"/campaigns/windows/edit/{window.id}").text
    assert 'value="2027-04-04 00:00:00"' in _input(html, "starts_at")
    assert 'value="2027-04-27 23:59:59"' in _input(html, "ends_at")
    # The portal's Chinese calendar, not FAB's English bootstrap-datepicker (which drops the time).
    assert "data-dt-field" in html and "appbuilder_datetime" not in html
    assert "选择日期和时间" in html and 'data-locale="zh"' in html
    # flatpickr, vendored from the npm registry (never a CDN), with its zh locale and the portal's init script.
    for script in ("/static/vendor/flatpickr/flatpickr.min.js", "/static/vendor/flatpickr/zh.js",
                   "/static/js/datetime-field.js"):
        assert f'src="{script}"' in html, script


@pytest.mark.parametrize(
    "typed",
    ["2027-05-06 23:59:59", "2027-05-06T23:59:59", "２０２７－０５－０６　２３：５９：５９", "2027/5/6 23:59:59"],
    ids=["canonical", "iso", "full-width", "slashes"],
)
def test_typed_end_is_saved_to_the_second_and_the_user_returns_to_the_list(client, window, typed):
    response = client.post(
        f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-04 00:00:00", "ends_at": typed}
    )
    assert response.status_code == 302
    assert response.location.endswith("/campaigns/windows/list/")
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 5, 6, 23, 59, 59)


def test_after_saving_the_list_comes_back_with_its_filters(client, window):
    listed = f"/campaigns/windows/list/?_flt_0_campaign={window.campaign_id}"
    assert client.get(listed).status_code == 200
    client.get(f"/campaigns/windows/edit/{window.id}")
    response = client.post(
        f"/campaigns/windows/edit/{window.id}",
        data={"starts_at": "2027-04-04 00:00:00", "ends_at": "2027-05-06 23:59:59"},
    )
    assert response.status_code == 302 and response.location.endswith(listed)


def test_change_of_a_window_is_audited_with_old_and_new_end(client, window):
    client.post(
        f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-04 00:00:00", "ends_at": "2027-05-06 23:59:59"}
    )
    event = db.session.query(AuditEvent).filter_by(action="stage_window.update").one()
    assert event.actor_name == "desk" and event.object_id == str(window.id)
    assert event.detail["ends_at"] == ["2027-04-27 23:59:59", "2027-05-06 23:59:59"]


@pytest.mark.parametrize("typed", ["2027-13-06 23:59:59", "2027-01-06", "2027-01-06 23:59", "明天"])
def test_a_value_that_is_no_date_and_time_is_refused_at_its_field_as_typed(client, window, typed):
    response = client.post(
        f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-04 00:00:00", "ends_at": typed}
    )
    assert response.status_code == 200
    html = response.text
    assert 'value="' + typed + '"' in _input(html, "ends_at")  # kept as typed
    assert 'value="2027-04-04 00:00:00"' in _input(html, "starts_at")
    assert "请按“年-月-日 时:分:秒”填写，例如 2027-01-06 23:59:59" in _error_at(html, "ends_at")
    assert _error_at(html, "starts_at") == ""
    assert "Not a valid" not in html
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 4, 27, 23, 59, 59)


def test_a_bad_start_is_refused_at_the_start_only(client, window):
    response = client.post(
        f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-31 00:00:00", "ends_at": "2027-05-06 23:59:59"}
    )
    assert "请按“年-月-日 时:分:秒”填写" in _error_at(response.text, "starts_at")
    assert _error_at(response.text, "ends_at") == ""
    assert 'value="2027-04-31 00:00:00"' in _input(response.text, "starts_at")


def test_an_end_before_the_start_is_refused_at_the_end(client, window):
    response = client.post(
        f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-04 00:00:00", "ends_at": "2027-04-04 00:00:00"}
    )
    assert "截止时间必须晚于开始时间" in _error_at(response.text, "ends_at")
    assert 'value="2027-04-04 00:00:00"' in _input(response.text, "ends_at")
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 4, 27, 23, 59, 59)


def test_quota_form_returns_to_the_quota_list(client):
    campaign = factories.campaign(year=2027)
    factories.login(client, factories.account(roles.CITY_OFFICE))
    client.get("/quotas/list/")
    response = client.post("/quotas/add", data={"campaign": campaign.id, "level": 2, "max_recommended": 1})
    assert response.status_code == 302 and response.location.endswith("/quotas/list/")
    quota = db.session.query(RecommendationQuota).one()
    client.get(f"/quotas/edit/{quota.id}")
    response = client.post(f"/quotas/edit/{quota.id}", data={"max_recommended": 2})
    assert response.status_code == 302 and response.location.endswith("/quotas/list/")
    db.session.refresh(quota)
    assert quota.max_recommended == 2


@pytest.mark.parametrize("year", ["0", "22079", "-5", "99999999999999999999"])
def test_a_campaign_of_year_0_or_an_absurd_year_is_refused_at_the_year(client, year):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.post("/campaigns/add", data={"name": "第九批", "year": year, "winner_quota": "100",
                                                   "featured_quota": "10"})
    assert response.status_code == 200
    assert 'value="第九批"' in _input(response.text, "name")  # nothing typed is lost
    assert re.search(r"年度须在 2000 至 2100 之间|须为整数|不是有效的整数|数值超出范围", _error_at(response.text, "year"))


@pytest.mark.parametrize("typed", ["2027-04-30T23:59:59+08:00", "2027-04-30 15:59:59Z"])
def test_a_time_with_an_offset_is_refused_at_its_field_not_dropped(client, window, typed):
    response = client.post(
        f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-04 00:00:00", "ends_at": typed}
    )
    assert response.status_code == 200
    assert "请按“年-月-日 时:分:秒”填写" in _error_at(response.text, "ends_at")
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 4, 27, 23, 59, 59)


def test_the_window_form_names_its_campaign_and_stage(client, window):
    """Found by the rehearsal: the form showed only 开始时间 and 截止时间 under 调整阶段时间, not which stage."""
    html = client.get(f"/campaigns/windows/edit/{window.id}").text
    assert f"调整阶段时间：{window.campaign.name} · 在线报名" in html
    assert client.get("/campaigns/windows/edit/999999").status_code == 404


def test_a_start_without_an_end_is_refused_at_the_end_as_typed(client, window):
    """The start filled, the end left empty: WTForms' Optional() on the empty end cleared the rule's error, the form
    passed, and the database refused the save — 「数据库错误」 on the list, the form gone."""
    response = client.post(f"/campaigns/windows/edit/{window.id}", data={"starts_at": "2027-04-05 00:00:00", "ends_at": ""})
    assert response.status_code == 200
    assert "开始时间和截止时间须同时填写" in _error_at(response.text, "ends_at")
    assert 'value="2027-04-05 00:00:00"' in _input(response.text, "starts_at")
    db.session.refresh(window)
    assert (window.starts_at, window.ends_at) == (datetime(2027, 4, 4), datetime(2027, 4, 27, 23, 59, 59))


def test_a_quota_out_of_range_or_set_twice_is_refused_at_its_field(client):
    """-1, 123456 (whatever a street has, it has not that many) and a second quota for the same campaign and level:
    each at its field with the form kept (they were a flash on the list, or 「与已有记录冲突」)."""
    campaign = factories.campaign(year=2027)
    factories.login(client, factories.account(roles.CITY_OFFICE))
    for typed in ("-1", "123456"):
        response = client.post("/quotas/add", data={"campaign": campaign.id, "level": 2, "max_recommended": typed})
        assert response.status_code == 200
        assert _error_at(response.text, "max_recommended") == "人数须在 0 至 100,000 之间", typed
        assert f'value="{typed}"' in _input(response.text, "max_recommended")
    assert client.post("/quotas/add", data={"campaign": campaign.id, "level": 2, "max_recommended": 1}).status_code == 302
    response = client.post("/quotas/add", data={"campaign": campaign.id, "level": 2, "max_recommended": 3})
    assert response.status_code == 200
    assert f"{campaign.name} 的二级单位推荐名额已设定，请在列表中修改" in response.text
    quota = db.session.query(RecommendationQuota).one()
    assert quota.max_recommended == 1
    response = client.post(f"/quotas/edit/{quota.id}", data={"max_recommended": "-3"})
    assert response.status_code == 200 and _error_at(response.text, "max_recommended") == "人数须在 0 至 100,000 之间"


def test_a_campaign_name_of_spaces_only_is_no_name(client):
    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.post("/campaigns/add", data={"name": "   ", "year": "2031", "winner_quota": "10",
                                                   "featured_quota": "2"})
    assert response.status_code == 200 and _error_at(response.text, "name") == "请填写批次名称"
    assert 'value="2031"' in _input(response.text, "year")
