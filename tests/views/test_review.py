"""评审推荐 through HTTP: a street decides with an opinion, in bulk too, and submits; the district forwards."""
from datetime import datetime

import pytest

from app import clock, roles, schedule
from app.extensions import db
from app.models import Application, Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


@pytest.fixture
def street(app):
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, _) = factories.district_with_streets()
    l2 = factories.account(roles.L2_CLERK, unit=street)
    applications = [factories.application(unit=street, name=f"申报人{i}") for i in range(3)]
    client = factories.login(app.test_client(), l2)
    return {"campaign": campaign, "district": district, "street": street, "client": client, "apps": applications}


def status(application):
    db.session.expire_all()
    return db.session.get(Application, application.id).status


def test_the_list_says_how_long_is_left_and_how_many_are_undecided(street):
    page = street["client"].get("/applications/list/").text
    assert "还剩" in page and "待评审 3 份" in page and "过期无效" in page
    assert all(a.name in page for a in street["apps"])


def test_a_decision_needs_a_written_opinion_and_keeps_it(street):
    client, application = street["client"], street["apps"][0]
    form = client.get(f"/applications/decide?decision=recommend&ids={application.id}")
    assert form.status_code == 200 and "推荐意见" in form.text
    response = client.post("/applications/decide", data={"decision": "recommend", "ids": application.id, "opinion": ""})
    assert "请填写推荐意见" in response.text and status(application) == "submitted"
    response = client.post(
        "/applications/decide", data={"decision": "recommend", "ids": application.id, "opinion": "学习带头人"},
        follow_redirects=True,
    )
    assert status(application) == "l2_recommended"
    assert "学习带头人" in response.text  # the history on the detail page


def test_bulk_decision_with_one_opinion_from_the_list_action(street):
    client, apps = street["client"], street["apps"]
    response = client.post("/applications/action_post", data={"action": "reject", "rowid": [apps[0].id, apps[1].id]})
    assert response.status_code == 302 and "decision=reject" in response.location
    client.post("/applications/decide", data={"decision": "reject", "ids": f"{apps[0].id},{apps[1].id}",
                                              "opinion": "事迹不够突出"})
    assert [status(a) for a in apps] == ["l2_not_recommended", "l2_not_recommended", "submitted"]


def test_submit_to_the_first_level_unit_locks_decisions(app, street):
    client, apps = street["client"], street["apps"]
    client.post("/applications/decide", data={"decision": "recommend", "ids": apps[0].id, "opinion": "同意"})
    response = client.post("/applications/submit-unit", follow_redirects=True)
    assert "已提交：推荐 1 人，不推荐 0 人" in response.text
    assert status(apps[0]) == "l2_forwarded"
    response = client.post("/applications/decide", data={"decision": "reject", "ids": apps[0].id, "opinion": "改主意"},
                           follow_redirects=True)
    assert "1 份未处理：" in response.text and status(apps[0]) == "l2_forwarded"

    schedule.open_stage(street["campaign"], Stage.L1_REVIEW, at=NOW)
    db.session.commit()
    l1 = factories.login(app.test_client(), factories.account(roles.L1_CLERK, unit=street["district"]))
    listing = l1.get("/applications/list/").text
    assert apps[0].name in listing and apps[1].name not in listing  # only what was forwarded
    l1.post("/applications/decide", data={"decision": "recommend", "ids": apps[0].id, "opinion": "区里同意"})
    response = l1.post("/applications/submit-unit", follow_redirects=True)
    assert "已提交：推荐 1 人" in response.text and status(apps[0]) == "reported"
    city = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    detail = city.get(f"/applications/show/{apps[0].id}").text
    for text in ("同意", "区里同意", "一级单位已上报市学习办"):
        assert text in detail
    assert street["district"].name in city.get("/submissions/list/").text


def test_return_for_changes_while_applications_are_open(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, (street, _) = factories.district_with_streets()
    application = factories.application(unit=street)
    client = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street))
    assert "退回修改" in client.get(f"/applications/show/{application.id}").text
    client.post("/applications/decide", data={"decision": "return", "ids": application.id, "opinion": "请补充证明材料"})
    assert status(application) == "returned"
    citizen = factories.login(app.test_client(), application.applicant)
    page = citizen.get("/apply/").text
    assert "退回修改" in page and "<form" in page and "请补充证明材料" in page


def test_no_decision_buttons_outside_the_window(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.L1_REVIEW, at=NOW)
    district, (street, _) = factories.district_with_streets()
    application = factories.application(unit=street)
    client = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street))
    page = client.get(f"/applications/show/{application.id}").text
    assert "过期无效" in page and 'name="decision"' not in page


def test_people_who_acted_are_named_with_their_unit_everywhere_in_beijing_time(app):
    """History (reviewer's and citizen's page), 提交情况, the printed 推荐表 and the REST history name the clerk
    "中关村街道 · 张伟", never the login name, with times as 2026-05-01 10:00:00."""
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, _) = factories.district_with_streets()
    clerk = factories.account(roles.L2_CLERK, unit=street, username="l2-haidian-zgc", first_name="张伟")
    application = factories.application(unit=street, name="李学习", campaign=campaign)
    client = factories.login(app.test_client(), clerk)
    client.post("/applications/decide", data={"decision": "recommend", "ids": application.id, "opinion": "同意推荐"})
    client.post("/applications/submit-unit")
    city = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE, first_name="王立群"))
    citizen = factories.login(app.test_client(), application.applicant)
    pages = {
        "history": city.get(f"/applications/show/{application.id}").text,
        "citizen": citizen.get("/apply/").text,
        "print": city.get(f"/applications/print/{application.id}").text,
        "submissions": city.get("/submissions/list/").text,
    }
    for where, page in pages.items():
        assert "中关村街道 · 张伟" in page, where
        assert "l2-haidian-zgc" not in page, where
        assert "2026-05-01 10:00:00" in page, where
    api = citizen.get("/api/v1/my_application/").json["result"]["history"]
    assert [e["actor"] for e in api] == ["中关村街道 · 张伟", "中关村街道 · 张伟"]  # 推荐, 提交

    # An account that is gone leaves its login name, with the unit it acted for.
    db.session.delete(db.session.get(type(clerk), clerk.id))
    db.session.commit()
    assert "中关村街道 · l2-haidian-zgc" in city.get(f"/applications/show/{application.id}").text


def test_list_detail_and_print_show_a_void_application_as_such(app):
    """过期无效 is derived by app/workflow.py and shown by the pages (list column, template filter), not the model."""
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.L1_REVIEW, at=NOW)
    district, (street, _) = factories.district_with_streets()
    application = factories.application(unit=street)
    void = "已提交，待二级单位评审（过期无效）"
    clerk = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street))
    assert void in clerk.get("/applications/list/").text
    citizen = factories.login(app.test_client(), application.applicant)
    assert void in citizen.get("/apply/").text
    assert void in citizen.get(f"/application-files/print/{application.id}").text
    assert not hasattr(application, "status_display")
