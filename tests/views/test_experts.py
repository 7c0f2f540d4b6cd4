"""专家评审 → 专家 / 专家组 / 回避关系 / 评审设置 through HTTP, as the city office and the auditor use them."""
import io
import re
from datetime import datetime

import pytest
from openpyxl import Workbook

from app import clock, expert_import, rounds, roles
from app.extensions import db
from app.models import Account, Application, Expert, ExpertConflict, ExpertPanel, Stage
from tests import factories


@pytest.fixture
def city(client):
    office = factories.account(roles.CITY_OFFICE, username="city")
    factories.login(client, office)
    return office


def created_password(response) -> str:
    match = re.search(r"初始密码：(\S+) 。", response.text)
    assert match, "the new password is shown once"
    return match.group(1)


def field_error(response, field_id) -> str:
    """The message shown under a field of our forms."""
    match = re.search(rf'id="group-{field_id}".*?<span class="help-block field-error">([^<]+)</span>', response.text,
                      re.S)
    return match.group(1) if match else ""


EXPERT = {"name": "张明", "employer": "北京开放大学", "phone": "13911112222", "field": "终身教育", "employer_unit": ""}


def test_the_city_office_adds_an_expert_who_must_change_the_password(app, client, city):
    response = client.post("/experts/add", data=EXPERT, follow_redirects=True)
    password = created_password(response)
    assert "expert1" in response.text and "北京开放大学" in response.text
    assert "登记回避关系" in response.text  # the detail page leads on to the expert's conflicts
    assert password not in client.get("/experts/list/").text  # shown once

    expert = factories.login(app.test_client(), "expert1", password)
    page = expert.get("/", follow_redirects=False)
    assert page.status_code == 302 and "/resetmypassword/form" in page.location
    assert "请先修改密码" in expert.get("/", follow_redirects=True).text
    expert.post("/resetmypassword/form",
                data={"current_password": password, "password": "Mine#2026x", "conf_password": "Mine#2026x"})
    account = db.session.query(Account).filter_by(username="expert1").one()
    db.session.refresh(account)
    assert not account.must_change_password
    assert expert.get("/").status_code == 200


def test_bad_input_is_shown_at_its_field_and_kept(client, city):
    response = client.post("/experts/add", data={**EXPERT, "phone": "12345", "employer": "", "username": "x"})
    assert response.status_code == 422
    assert field_error(response, "phone") == "请填写有效的 11 位中国大陆手机号码"
    assert field_error(response, "employer") == "请填写工作单位"
    assert "账号用户名为 3–64 位" in field_error(response, "username")
    assert 'value="张明"' in response.text  # nothing typed is lost
    assert db.session.query(Expert).count() == 0


def test_edit_and_deactivate(client, city):
    expert = factories.expert(username="e1", first_name="李红")
    district = factories.unit("东城区")
    page = client.get(f"/experts/edit/{expert.id}")
    assert 'value="李红"' in page.text
    response = client.post(f"/experts/edit/{expert.id}", data={
        "name": "李红", "employer": "东城区学习办", "phone": "13800000000", "employer_unit": district.id, "field": ""},
        follow_redirects=True)
    assert "已保存" in response.text
    db.session.refresh(expert)
    assert expert.employer_unit == district and not expert.account.active  # the box was unticked


def test_import_through_the_page(client, city):
    template = client.get("/experts/import/template.xlsx")
    assert template.status_code == 200 and template.data[:2] == b"PK"
    book = Workbook()
    book.active.append([str(c) for c in expert_import.COLUMNS])
    book.active.append(["张明", "北京开放大学", "", "13911112222", "", ""])
    book.active.append(["李红", "某大学", "", "13911113333", "", ""])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    response = client.post("/experts/import", data={"sheet": (data, "专家.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True)  # through the import's job
    assert "已导入 2 位评审专家" in response.text
    secrets = re.findall(r'<span class="once-secret">([^<]+)</span>', response.text)
    assert len(secrets) == 2 and db.session.query(Expert).count() == 2


@pytest.fixture
def review(city):
    campaign = factories.campaign()
    review_round = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    db.session.commit()
    east, west = factories.unit("东城区"), factories.unit("西城区")
    people = [factories.expert(username=f"e{i}", first_name=f"专家{i}") for i in range(3)]
    return dict(campaign=campaign, round=review_round, east=east, west=west, experts=people)


def test_panels_are_made_in_a_round_and_an_expert_sits_in_one(client, review):
    r = review
    page = client.get("/expert-panels/add")
    assert "专家初审" in page.text and "专家复审" in page.text and "专家0（北京某大学）" in page.text
    response = client.post("/expert-panels/add", data={"round_id": r["round"].id, "name": "第一组",
                                                       "experts": [r["experts"][0].id, r["experts"][1].id],
                                                       "units": [r["east"].id]}, follow_redirects=True)
    assert "已保存专家组「第一组」" in response.text
    response = client.post("/expert-panels/add", data={"round_id": r["round"].id, "name": "第二组",
                                                       "experts": [r["experts"][1].id], "units": []})
    assert response.status_code == 422
    assert "专家1 已在本轮的「第一组」中" in field_error(response, "experts")
    assert 'value="第二组"' in response.text
    assert db.session.query(ExpertPanel).count() == 1
    panel = db.session.query(ExpertPanel).one()
    listing = client.get("/expert-panels/list/")
    assert "第一组" in listing.text and "东城区" in listing.text
    response = client.post(f"/expert-panels/edit/{panel.id}", data={"name": "第一组", "experts": [r["experts"][2].id],
                                                                   "units": []}, follow_redirects=True)
    assert "已保存" in response.text and [e.name for e in panel.experts] == ["专家2"]
    copied = client.post("/expert-panels/copy-initial", follow_redirects=True)
    assert "已将 1 个初审专家组复制到复审" in copied.text
    assert client.post(f"/expert-panels/delete/{panel.id}", follow_redirects=True).status_code == 200
    assert db.session.query(ExpertPanel).count() == 1


def test_conflicts_are_listed_added_and_deleted(client, review):
    r = review
    street = factories.unit("东华门街道", parent=r["east"])
    application = factories.application(unit=street, campaign=r["campaign"], status="reported", name="李学习")
    factories.application(unit=street, campaign=r["campaign"], status="draft", name="草稿人")
    page = client.get("/expert-conflicts/add")
    assert "李学习" not in page.text, "applicants are searched as the name is typed, not all carried by the page"
    found = client.get("/expert-conflicts/api/applications?q=学习").json["results"]
    assert found == [{"id": application.id, "text": "李学习（东城区 · 东华门街道）"}]
    assert client.get("/expert-conflicts/api/applications?q=草稿").json["results"] == []
    assert [a["text"] for a in client.get("/expert-conflicts/api/applications?q=").json["results"]] == \
        ["李学习（东城区 · 东华门街道）"]
    expert = r["experts"][0]
    response = client.post("/expert-conflicts/add", data={"expert": expert.id, "unit": "", "application": "",
                                                          "reason": ""})
    assert response.status_code == 422 and "二者选一" in field_error(response, "unit")
    both = client.post("/expert-conflicts/add", data={"expert": expert.id, "unit": r["east"].id,
                                                      "application": application.id, "reason": "亲属"})
    assert both.status_code == 422, "one of the two only"
    assert f'<option value="{application.id}" selected>李学习（东城区 · 东华门街道）</option>' in both.text, \
        "the applicant picked is still picked when the form comes back"
    garbage = client.post("/expert-conflicts/add", data={"expert": expert.id, "unit": "", "application": "abc",
                                                         "reason": ""})
    assert "选择无效" in field_error(garbage, "application"), "a hand-made id is refused at the field, in Chinese"
    draft = db.session.query(Application).filter_by(name="草稿人").one()
    refused = client.post("/expert-conflicts/add", data={"expert": expert.id, "unit": "", "application": draft.id,
                                                         "reason": ""})
    assert refused.status_code == 422 and "不在本批次已提交的申报中" in field_error(refused, "application")
    client.post("/expert-conflicts/add", data={"expert": expert.id, "unit": r["east"].id, "application": "",
                                               "reason": "曾在东城区任职"})
    client.post("/expert-conflicts/add", data={"expert": expert.id, "unit": "", "application": application.id,
                                               "reason": "亲属"})
    listing = client.get("/expert-conflicts/list/").text
    assert "曾在东城区任职" in listing and "李学习（东城区 · 东华门街道）" in listing
    conflict = db.session.query(ExpertConflict).filter_by(unit_id=r["east"].id).one()
    client.post(f"/expert-conflicts/delete/{conflict.id}")
    assert db.session.query(ExpertConflict).count() == 1


def test_round_settings_are_editable_until_the_window_opens(client, review):
    r = review
    window = r["campaign"].window(Stage.INITIAL_REVIEW)
    clock.freeze(datetime(window.starts_at.year, 1, 2))
    criteria = r["round"].criteria
    form = {"experts_per_application": "4"}
    for c in criteria:
        form.update({f"criteria-{c.id}-label": c.label, f"criteria-{c.id}-weight": c.weight,
                     f"criteria-{c.id}-max_score": c.max_score})
    first = criteria[0]
    bad = client.post(f"/review-settings/edit/{r['round'].id}", data={**form, f"criteria-{first.id}-weight": "0"})
    assert bad.status_code == 422 and "权重须为 1–100 的整数" in bad.text and 'value="4"' in bad.text
    form[f"criteria-{first.id}-weight"] = "40"
    response = client.post(f"/review-settings/edit/{r['round'].id}", data=form, follow_redirects=True)
    assert "已保存" in response.text
    db.session.refresh(r["round"])
    assert r["round"].experts_per_application == 4 and r["round"].criteria[0].weight == 40

    clock.freeze(window.starts_at)
    page = client.get("/review-settings/")
    assert "评审设置不能再修改" in page.text
    refused = client.post(f"/review-settings/edit/{r['round'].id}", data={**form, "experts_per_application": "2"},
                          follow_redirects=True)
    assert "评审设置不能再修改" in refused.text
    db.session.refresh(r["round"])
    assert r["round"].experts_per_application == 4


def test_the_auditor_reads_but_does_not_change(app, review):
    client = factories.login(app.test_client(), factories.account(roles.AUDITOR))
    for url in ("/experts/list/", "/expert-panels/list/", "/expert-conflicts/list/", "/review-settings/",
                f"/experts/show/{review['experts'][0].id}"):
        assert client.get(url).status_code == 200, url
    for url in ("/experts/add", "/expert-panels/add", "/expert-conflicts/add", f"/review-settings/edit/{review['round'].id}"):
        assert client.get(url).status_code in (302, 403, 404), url
    assert "修改评审设置" not in client.get("/review-settings/").text


def test_clerks_and_experts_do_not_reach_the_screens(app, review):
    for user in (factories.account(roles.L1_CLERK, unit=review["east"]), review["experts"][0].account):
        client = factories.login(app.test_client(), user)
        for url in ("/experts/list/", "/expert-panels/list/", "/expert-conflicts/list/", "/review-settings/"):
            assert client.get(url).status_code in (302, 403, 404), (user.username, url)


def test_a_clash_the_database_refuses_is_a_field_message_not_an_error_page(client, review, monkeypatch):
    """Two offices saving at once: the second write hits the database's one-panel-per-expert rule."""
    from app import experts
    from app.models import ExpertPanelMember

    r = review
    factories.panel(r["round"], [r["experts"][0]], name="甲")
    other = factories.panel(r["round"], [r["experts"][1]], [r["east"]], name="乙")

    def racing(actor, review_round, name, expert_ids, unit_ids, panel=None):
        # The check passed; meanwhile the other save put 专家0 in 甲: the database refuses the write.
        db.session.add(ExpertPanelMember(panel_id=other.id, round_id=review_round.id, expert_id=r["experts"][0].id))
        db.session.flush()

    monkeypatch.setattr(experts, "save_panel", racing)
    response = client.post(f"/expert-panels/edit/{other.id}", data={"name": "乙", "units": [r["east"].id],
                                                                   "experts": [r["experts"][0].id]})
    assert response.status_code == 409
    assert "刚被编入本轮另一个专家组" in field_error(response, "experts")
