"""评审分配 in a real browser: the city office opens 专家评审 → 评审分配 from the navbar, clicks 自动分配 and sees every
expert's load; then moves one review by hand and is refused at the field for a conflicted expert."""
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app import clock, roles
from app.extensions import db
from app.models import Stage
from app.models.review import ReviewAssignment
from tests import factories
from tests.browser.test_review import Flow

NOW = datetime(2026, 9, 1, 10, 0)


@pytest.fixture
def office():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.INITIAL_REVIEW, at=NOW)
    district, streets = factories.district_with_streets("东城区", ("东华门街道", "景山街道"))
    round_ = factories.review_round(campaign, experts_per_application=2)
    experts = [factories.expert(employer=f"第{i}研究所", first_name=name)
               for i, name in enumerate(("王教授", "李研究员", "赵老师", "钱馆长"))]
    factories.panel(round_, experts, name="东城组", units=[district])
    apps = [factories.application(unit=streets[i % 2], campaign=campaign, status="reported", name=f"申报人{i}",
                                  work_unit=f"单位{i}号") for i in range(6)]
    factories.conflict(experts[3], application=apps[0], reason="亲属")
    return {"city": factories.account(roles.CITY_OFFICE, username="cityoffice"), "experts": experts, "apps": apps}


def test_city_office_assigns_and_sees_the_loads(page, live_server, office, csrf_on):
    flow = Flow(page)
    flow.log_in(office["city"])
    page.click(".navbar >> text=专家评审")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=评审分配")
    assert urlsplit(page.url).path == "/review-assignments/"
    flow.check()
    assert "还没有分配" in flow.body()
    with page.expect_navigation():
        page.click("#assign-run")
    flow.check()
    assert "自动分配完成：新分配 12 份" in page.inner_text("#assign-result")
    assert "每位专家的任务数 3–3 份" in page.inner_text("#assign-result")
    loads = page.eval_on_selector_all(".loads-table tbody tr", "rows => rows.map(r => r.innerText)")
    assert len(loads) == 4 and all(row.rstrip().endswith("3") for row in loads), loads
    assert "任务数 3–3 份" in page.inner_text(".panel-range")
    assert db.session.query(ReviewAssignment).count() == 12

    # Move 申报人0's first review to 钱馆长, who declared a conflict with that applicant: refused at the field.
    db.session.expire_all()
    row = (db.session.query(ReviewAssignment).filter_by(application_id=office["apps"][0].id)
           .order_by(ReviewAssignment.id).first())
    page.select_option(f"#move-{row.id}", str(office["experts"][3].id))
    with page.expect_navigation():
        page.click(f"tr[data-assignment='{row.id}'] button[type=submit]")
    flow.check()
    assert "不能改派给钱馆长：专家已声明回避该申报人（亲属）" in page.inner_text(f"tr[data-assignment='{row.id}']")
    assert page.eval_on_selector(f"#move-{row.id}", "s => s.value") == str(office["experts"][3].id)
    db.session.expire_all()
    assert db.session.get(ReviewAssignment, row.id).expert_id == row.expert_id
