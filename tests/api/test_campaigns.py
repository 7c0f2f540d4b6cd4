from datetime import datetime

from app import roles
from app.extensions import db
from app.models import AuditEvent, Stage
from tests import factories


def test_city_office_creates_a_campaign_with_the_notice_schedule(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.post("/api/v1/campaign/", json={"name": "第十批", "year": 2027})
    assert response.status_code == 201, response.json
    detail = client.get(f"/api/v1/campaign/{response.json['id']}").json["result"]
    windows = {w["stage"]: w for w in detail["windows"]}
    assert windows["apply"]["starts_at"].startswith("2027-04-04T00:00:00")
    assert (detail["winner_quota"], detail["featured_quota"]) == (100, 10)


def test_moving_a_window_is_audited_and_bad_dates_refused(app):
    campaign = factories.campaign(year=2027)
    window = campaign.window(Stage.APPLY)
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE, username="desk"))
    response = client.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2027-04-30T23:59:59"})
    assert response.status_code == 200, response.json
    event = db.session.query(AuditEvent).filter_by(action="stage_window.update").one()
    assert event.actor_name == "desk"
    assert event.detail["ends_at"] == ["2027-04-27 23:59:59", "2027-04-30 23:59:59"]
    response = client.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2027-04-01T00:00:00"})
    assert response.status_code == 422 and "截止时间必须晚于开始时间" in response.json["message"]


def test_other_roles_read_but_do_not_change_the_schedule(app):
    campaign = factories.campaign(year=2027)
    window = campaign.window(Stage.APPLY)
    client = factories.api_client(app, factories.account(roles.L1_CLERK, unit=factories.unit()))
    assert client.get(f"/api/v1/campaign/{campaign.id}").status_code == 200
    assert client.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2027-05-30T00:00:00"}).status_code == 403
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 4, 27, 23, 59, 59)


def test_a_campaign_of_year_0_or_an_absurd_year_is_refused_at_the_year(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    for year in (0, -271, 22079, 2**31):
        response = client.post("/api/v1/campaign/", json={"name": f"第{year}批", "year": year})
        assert response.status_code == 422, (year, response.json)
        assert list(response.json["message"]) == ["year"]
    campaign = factories.campaign(year=2027)
    response = client.put(f"/api/v1/campaign/{campaign.id}", json={"year": 0})
    assert response.status_code == 422 and "年度须在 2000 至 2100 之间" in response.json["message"]["year"][0]


def test_a_window_time_with_an_offset_is_converted_to_beijing_time(app):
    campaign = factories.campaign(year=2027)
    window = campaign.window(Stage.APPLY)
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2027-04-30T15:59:59Z"})
    assert response.status_code == 200, response.json
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 4, 30, 23, 59, 59)
    response = client.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2027-05-01T08:00:00+09:00"})
    assert response.status_code == 200
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 5, 1, 7, 0, 0)


def test_a_campaign_without_a_name_or_with_quotas_that_make_no_sense_is_refused_in_words(app):
    """No name, no winner, more featured than winners: refused with what is wrong (the database's check refused them
    as 「与已有记录冲突」, 409, before — or took an empty name)."""
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    for body, said in (({"name": "", "year": 2027}, "请填写批次名称"),
                       ({"name": "第十批", "year": 2027, "winner_quota": 0}, "拟评选人数须在 1 至 100,000 之间"),
                       ({"name": "第十批", "year": 2027, "winner_quota": -5}, "拟评选人数须在 1 至 100,000 之间"),
                       ({"name": "第十批", "year": 2027, "featured_quota": -1}, "重点宣传人数不能为负数"),
                       ({"name": "第十批", "year": 2027, "winner_quota": 5, "featured_quota": 10},
                        "重点宣传人数不能多于拟评选人数（5）")):
        response = client.post("/api/v1/campaign/", json=body)
        assert response.status_code == 422 and response.json["message"] == said, body
    campaign = factories.campaign(year=2027)
    response = client.put(f"/api/v1/campaign/{campaign.id}", json={"featured_quota": 101})
    assert response.status_code == 422 and response.json["message"] == "重点宣传人数不能多于拟评选人数（100）"


def test_a_window_in_year_1_or_9999_is_refused(app):
    """Year 0001 with an offset failed with a 500; 9999 was stored, and `flask campaign open-stage` then failed."""
    campaign = factories.campaign(year=2027)
    window = campaign.window(Stage.APPLY)
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    for moment in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59+14:00", "9999-12-31T23:59:59", "1999-12-31T23:59:59"):
        response = client.put(f"/api/v1/stage_window/{window.id}", json={"starts_at": "2027-04-04T00:00:00",
                                                                          "ends_at": moment})
        assert response.status_code == 422, (moment, response.json)
        assert "时间" in str(response.json["message"]), moment
    db.session.refresh(window)
    assert window.ends_at == datetime(2027, 4, 27, 23, 59, 59)
