"""公示异议 through HTTP: the public's form with its own captcha, receipt and lookup, the rate limit, and the city
office's register (list by status, handling, 撤销 a candidate, Excel) that no other role reaches."""
import io
import json
import re
import uuid
from datetime import datetime, timedelta

import pytest
from jinja2.utils import htmlsafe_json_dumps
from openpyxl import load_workbook

from app import captcha, clock, objections, roles, schedule
from app.extensions import db
from app.models import Application, AuditEvent, Objection, Stage
from tests import factories

NOW = datetime(2026, 7, 10, 10, 0)
FACTS = "该候选人所报的“社区学习带头人”称号并不存在，所在社区从未组织过相关评选活动。"


@pytest.fixture
def publicity():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.PUBLICITY, at=NOW)
    district, (street, _other) = factories.district_with_streets("西城区", ("德胜街道", "新街口街道"))
    first, second = factories.candidates(2, campaign, featured=1, unit=street)
    return campaign, first, second


def pin_captcha(client, purpose="objection"):
    """Ask for the image as a browser would; what it shows, as the person types it."""
    return factories.captcha(client, purpose)


def form(application, **overrides):
    data = {"application_id": str(application.id), "facts": FACTS, "objector_name": "李四",
            "objector_phone": "13612345678", "objector_unit": "西城区某小区"}
    data.update(overrides)
    return data


def test_the_form_offers_the_candidates_by_name_and_unit_and_preselects_one(client, publicity):
    _campaign, first, second = publicity
    factories.application(campaign=_campaign, status="shortlisted", unit=first.unit, id_number=factories.id_number())
    page = client.get(f"/gongshi/yiyi/?candidate={second.id}").text
    assert f'<option value="{first.id}">{first.name}（德胜街道）</option>' in page
    assert f'<option selected value="{second.id}">' in page or f'value="{second.id}" selected' in page
    assert page.count("<option") == 3  # 请选择 and the two candidates: not the shortlisted one
    assert "/gongshi/yiyi/captcha.png" in page and "recaptcha" not in page.lower()


def test_lodged_with_the_captcha_then_the_receipt_is_shown(client, publicity):
    _campaign, first, _second = publicity
    response = client.post("/gongshi/yiyi/", data=form(first, captcha=pin_captcha(client)))
    assert response.status_code == 302 and response.location.endswith("/gongshi/yiyi/huizhi")
    objection = db.session.query(Objection).one()
    assert (objection.application_id, objection.objector_name, objection.objector_phone) == (
        first.id, "李四", "13612345678")
    receipt = client.get("/gongshi/yiyi/huizhi").text
    assert objection.receipt_number in receipt and "保存回执编号" in receipt


def test_a_wrong_captcha_loses_nothing_but_the_captcha(client, publicity):
    _campaign, first, _second = publicity
    answer = pin_captcha(client)
    page = client.post("/gongshi/yiyi/", data=form(first, captcha="WXYZ")).text
    assert "验证码不正确" in page
    for typed in (FACTS, 'value="李四"', 'value="13612345678"', 'value="西城区某小区"'):
        assert typed in page
    assert f'selected value="{first.id}"' in page or f'value="{first.id}" selected' in page
    assert 'name="captcha" type="text" value=""' in page or 'value="WXYZ"' not in page
    assert db.session.query(Objection).count() == 0
    # The image is used up: the right answer now is refused too.
    assert "验证码不正确" in client.post("/gongshi/yiyi/", data=form(first, captcha=answer)).text


def test_a_replayed_captcha_lodges_nothing_more_and_keeps_what_was_typed(client, publicity):
    """Issue 10: the same cookie and the same answer a second time are refused (the answer is used up on the
    server), and the form keeps everything but the captcha."""
    _campaign, first, second = publicity
    answer = pin_captcha(client)
    with client.session_transaction() as session:
        solved_cookie = dict(session)
    assert client.post("/gongshi/yiyi/", data=form(first, captcha=answer)).status_code == 302
    replay = client.application.test_client()
    with replay.session_transaction() as session:
        session.update(solved_cookie)
    page = replay.post("/gongshi/yiyi/", data=form(second, captcha=answer, objector_name="王五")).text
    assert "验证码不正确" in page and 'value="王五"' in page and FACTS in page
    assert f'selected value="{second.id}"' in page or f'value="{second.id}" selected' in page
    assert db.session.query(Objection).count() == 1


def test_a_wrong_captcha_also_shows_what_else_to_correct(client, publicity):
    """One image per try: the other mistakes are shown with the captcha's, not one new image per mistake."""
    _campaign, first, _second = publicity
    pin_captcha(client)
    page = client.post("/gongshi/yiyi/", data=form(first, captcha="WXYZ", facts="太短", objector_phone="12345")).text
    assert "验证码不正确" in page and "至少 20 个字" in page and "value=\"12345\"" in page
    assert page.count("field-error") >= 3  # captcha, facts, phone
    assert db.session.query(Objection).count() == 0


def test_every_public_objection_page_leads_back_to_the_notice(client, publicity):
    _campaign, first, _second = publicity
    assert client.post("/gongshi/yiyi/", data=form(first, captcha=pin_captcha(client))).status_code == 302
    for url in ("/gongshi/yiyi/", "/gongshi/yiyi/huizhi", "/gongshi/yiyi/chaxun"):
        assert 'id="back-to-notice" href="/gongshi"' in client.get(url).text, url


def test_bad_fields_are_reported_at_their_field_and_kept(client, publicity):
    _campaign, first, _second = publicity
    page = client.post("/gongshi/yiyi/", data=form(first, captcha=pin_captcha(client), facts="不属实", objector_phone="12345",
                                                   objector_name="")).text
    assert "请具体写明异议的事实和理由（至少 20 个字）" in page
    assert "请填写有效的 11 位中国大陆手机号码" in page and "请填写您的真实姓名" in page
    assert "不属实" in page and 'value="12345"' in page
    assert db.session.query(Objection).count() == 0


def test_the_two_captchas_do_not_use_up_each_other(client, publicity):
    _campaign, first, _second = publicity
    registration = pin_captcha(client, purpose="register")
    with client.session_transaction() as session:
        registration_id = session[captcha.session_key("register")]
    assert client.post("/gongshi/yiyi/", data=form(first, captcha=pin_captcha(client))).status_code == 302
    with client.session_transaction() as session:
        assert session.get(captcha.session_key("register")) == registration_id
    assert captcha.stored_answer("register", registration_id) == registration


@pytest.mark.parametrize("shift, words", [(-20, "公示开始后方可提出异议"), (20, "已结束，不再受理异议")])
def test_outside_the_period_the_page_says_when_and_refuses(client, publicity, shift, words):
    campaign, first, _second = publicity
    window = campaign.window(Stage.PUBLICITY)
    clock.freeze(NOW + timedelta(days=shift))
    page = client.get("/gongshi/yiyi/").text
    assert words in page and schedule.format_time(window.ends_at) in page
    assert 'id="objection-form"' not in page
    assert words in client.post("/gongshi/yiyi/", data=form(first, captcha=pin_captcha(client))).text
    assert db.session.query(Objection).count() == 0


def test_the_lookup_answers_the_right_pair_and_one_neutral_message_otherwise(client, publicity):
    _campaign, first, _second = publicity
    objection = factories.objection(first, status="concluded", objector_phone="13612345678",
                                    conclusion="经核实，反映问题不属实。")
    page = client.post("/gongshi/yiyi/chaxun", data={"receipt_number": objection.receipt_number.lower(),
                                                     "phone": "136 1234 5678"}).text
    assert "已办结" in page and "经核实，反映问题不属实。" in page and "反映问题不属实" in page
    assert clock.now().strftime("%Y-%m-%d") in page
    wrong_phone = client.post("/gongshi/yiyi/chaxun", data={"receipt_number": objection.receipt_number,
                                                            "phone": "13800138000"}).text
    wrong_receipt = client.post("/gongshi/yiyi/chaxun", data={"receipt_number": "YY2026-ZZZZZZ",
                                                              "phone": "13612345678"}).text
    for page in (wrong_phone, wrong_receipt):
        assert "没有查到与该回执编号和手机号码相符的异议" in page and "经核实" not in page
    open_one = factories.objection(first, status="accepted", objector_phone="13612345678")
    page = client.post("/gongshi/yiyi/chaxun", data={"receipt_number": open_one.receipt_number,
                                                     "phone": "13612345678"}).text
    assert "已受理" in page and 'id="objection-conclusion"' not in page


def limited_client(app, limit="2 per hour"):
    from app import create_app

    limited = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test", "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_KEY_PREFIX": f"portal-test-{uuid.uuid4().hex}",
        "OBJECTION_RATE_LIMIT": limit,
    })
    return limited.test_client()


def test_the_rate_limit_holds_per_address_for_lodging_and_lookup(app, publicity):
    _campaign, first, _second = publicity
    client = limited_client(app)
    codes = [client.post("/gongshi/yiyi/", data=form(first, captcha="NOPE")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.post("/gongshi/yiyi/", data=form(first))
    assert refused.status_code == 429 and "一小时后再试" in refused.text
    assert client.get("/gongshi/yiyi/").status_code == 200  # reading the form is not counted
    lookups = [client.post("/gongshi/yiyi/chaxun", data={"receipt_number": "x", "phone": "y"}).status_code
               for _ in range(3)]
    assert lookups == [200, 200, 429]
    assert db.session.query(Objection).count() == 0


# --- the city office ----------------------------------------------------------------------------------------


@pytest.fixture
def office(app):
    return factories.login(app.test_client(), factories.account(roles.CITY_OFFICE, username="desk"))


def test_the_register_lists_and_filters_by_status(office, publicity):
    _campaign, first, second = publicity
    received = factories.objection(first)
    concluded = factories.objection(second, status="concluded")
    page = office.get("/objections/list/").text
    for text in (received.receipt_number, concluded.receipt_number, first.name, "西城区 · 德胜街道",
                 "已收到，待受理", "已办结", "反映问题不属实"):
        assert text in page
    # The status buttons above the list and the dashboard's links: equality on the status (等于 / 属于).
    only = office.get("/objections/list/?_flt_0_status=received").text
    assert received.receipt_number in only and concluded.receipt_number not in only
    assert "_flt_0_status=received" in page
    both = office.get("/objections/list/", query_string=[("_flt_1_status", "received"),
                                                          ("_flt_1_status", "concluded")]).text
    assert received.receipt_number in both and concluded.receipt_number in both
    upheld = office.get("/objections/list/?_flt_0_finding=unfounded").text
    assert concluded.receipt_number in upheld and received.receipt_number not in upheld


def test_the_register_filters_by_chinese_names_not_by_typed_codes(office, publicity):
    """The search form offers each status and finding by its Chinese name (a dropdown of codes), never a text box
    where the office would have to type "received"; FAB's old text operators ("starts with" …) are gone."""
    page = office.get("/objections/list/").text  # FAB's search form: its fields as JSON for the page's script
    for value, label in (("received", "已收到，待受理"), ("verifying", "核实中"), ("dismissed", "不予受理"),
                         ("partly_upheld", "反映问题部分属实")):
        assert htmlsafe_json_dumps(f'<option value="{value}">{label}</option>')[1:-1] in page
    for operator in ("_flt_2_status", "_flt_3_status"):  # beyond 等于 / 属于: a clear 400, not a 500
        assert office.get(f"/objections/list/?{operator}=rec").status_code == 400


def test_the_office_handles_an_objection_step_by_step(office, publicity):
    _campaign, first, _second = publicity
    objection = factories.objection(first, objector_name="王五", objector_phone="13612345678")
    page = office.get(f"/objections/show/{objection.id}").text
    assert objection.facts in page and "王五" in page and "13612345678" in page
    assert 'id="step-accept"' in page and 'id="step-dismiss"' in page and 'id="step-conclude"' not in page
    assert office.post(f"/objections/handle/{objection.id}", data={"action": "accept"}).status_code == 302
    assert office.post(f"/objections/handle/{objection.id}",
                       data={"action": "verify", "text": "已联系社区"}).status_code == 302
    refused = office.post(f"/objections/handle/{objection.id}",
                          data={"action": "conclude", "finding": "upheld", "text": " "})
    assert refused.status_code == 422
    assert "请填写办理结论（将告知异议人）" in refused.text and 'value="upheld" selected' in refused.text
    done = office.post(f"/objections/handle/{objection.id}",
                       data={"action": "conclude", "finding": "upheld", "text": "经核实，反映问题属实。"})
    assert done.status_code == 302
    page = office.get(f"/objections/show/{objection.id}").text
    assert "已办结" in page and "反映问题属实" in page and "已联系社区" in page
    assert 'class="objection-step"' not in page
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).status == "concluded"
    stale = office.post(f"/objections/handle/{objection.id}", data={"action": "accept"})
    assert stale.status_code == 409 and "不能「受理」" in stale.text


def test_withdrawing_a_candidate_needs_the_reason_and_is_audited(office, publicity):
    _campaign, first, _second = publicity
    objection = factories.objection(first, status="concluded", objector_name="王五", objector_phone="13612345678",
                                    finding="upheld", conclusion="属实")
    page = office.get(f"/objections/withdraw/{first.id}?objection={objection.id}").text
    assert f"经核实，反映问题属实（异议 {objection.receipt_number}）" in page
    refused = office.post(f"/objections/withdraw/{first.id}", data={"reason": "  ", "objection": objection.id})
    assert refused.status_code == 422 and "请填写撤销理由" in refused.text
    reason = f"经核实，所报称号不存在（异议 {objection.receipt_number}）"
    done = office.post(f"/objections/withdraw/{first.id}", data={"reason": reason, "objection": objection.id})
    assert done.status_code == 302 and done.location.endswith(f"/objections/show/{objection.id}")
    db.session.expire_all()
    assert db.session.get(Application, first.id).status == "withdrawn"
    event = db.session.query(AuditEvent).filter_by(action="application.withdraw").one()
    assert event.detail["opinion"] == reason and event.actor_name == "desk"
    again = office.post(f"/objections/withdraw/{first.id}", data={"reason": reason})
    assert again.status_code == 422 and "不能「撤销（公示异议）」" in again.text
    logged = json.dumps([[e.object_label, e.detail] for e in db.session.query(AuditEvent)], ensure_ascii=False)
    assert "王五" not in logged and "13612345678" not in logged


def test_the_withdrawal_forms_placeholder_is_not_a_reason(office, publicity):
    """Before the objection is concluded the form starts with 经核实，…: one click on 撤销 must not withdraw."""
    _campaign, first, _second = publicity
    objection = factories.objection(first, objector_name="王五", objector_phone="13612345678")
    page = office.get(f"/objections/withdraw/{first.id}?objection={objection.id}").text
    placeholder = f"经核实，…（异议 {objection.receipt_number}）"
    assert placeholder in page
    for unfinished in (placeholder, "经核实，", " 经核实 "):
        refused = office.post(f"/objections/withdraw/{first.id}", data={"reason": unfinished, "objection": objection.id})
        assert refused.status_code == 422 and "请把撤销理由写完整" in refused.text, unfinished
    db.session.expire_all()
    assert db.session.get(Application, first.id).status == first.status
    reason = f"经核实，所报奖项为他人所获（异议 {objection.receipt_number}）"
    done = office.post(f"/objections/withdraw/{first.id}", data={"reason": reason, "objection": objection.id})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, first.id).status == "withdrawn"


def test_the_register_sorts_by_any_header_it_links(office, publicity):
    _campaign, first, second = publicity
    factories.objection(first)
    factories.objection(second)
    page = office.get("/objections/list/").text
    sorts = sorted(set(re.findall(r'href="?(/objections/list/\?_oc_ObjectionView=[^"\s>]+)', page)))
    assert any("receipt_number" in s for s in sorts)
    for url in sorts:
        response = office.get(url.replace("&amp;", "&"))
        assert response.status_code == 200, url
        assert first.name in response.text and second.name in response.text


def test_the_register_exports_to_excel_with_the_objectors_contact(office, publicity):
    _campaign, first, second = publicity
    factories.objection(first, objector_name="王五", objector_phone="13612345678")
    factories.objection(second, status="dismissed")
    response = factories.job_file(office, office.post("/objections/export"))
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["回执编号", "提出时间", "候选人", "候选人推荐单位", "异议人姓名", "异议人手机号码"]
    assert len(rows) == 3 and ["王五", "13612345678"] in [r[4:6] for r in rows]
    assert {r[8] for r in rows[1:]} == {"已收到，待受理", "不予受理"}
    assert db.session.query(AuditEvent).filter_by(action="export.objections").count() == 1


def objection_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/objections", "/api/v1/objection")):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT])
def test_no_other_role_reaches_any_objection_route(app, publicity, role):
    _campaign, first, _second = publicity
    objection = factories.objection(first, objector_name="王五", objector_phone="13612345678")
    unit = first.unit if role == roles.L2_CLERK else first.unit.parent if role == roles.L1_CLERK else None
    client = factories.login(app.test_client(), factories.account(role, unit=unit))
    tried = 0
    for rule, method in objection_routes(app):
        url = rule.rule.replace("<pk>", str(objection.id)).replace("<int:pk>", str(objection.id))
        url = url.replace("<int:application_id>", str(first.id))
        body = {"action": "accept"} if method == "POST" else None
        response = client.open(url, method=method, json=body) if url.startswith("/api/") else client.open(
            url, method=method, data={"action": "accept", "reason": "撤销"} if method == "POST" else None)
        tried += 1
        assert response.status_code in (403, 404), (role, method, url, response.status_code)
        assert "王五" not in response.text and "13612345678" not in response.text
    assert tried >= 9
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).status == "received"
    assert db.session.get(Application, first.id).status == "featured"
    menu = client.get("/").text
    assert "异议处理" not in menu


def test_lodged_objections_reach_the_office_and_its_steps_reach_the_lookup(client, office, publicity):
    _campaign, first, _second = publicity
    client.post("/gongshi/yiyi/", data=form(first, captcha=pin_captcha(client)))
    objection = db.session.query(Objection).one()
    office.post(f"/objections/handle/{objection.id}", data={"action": "dismiss", "text": "未反映具体事实。"})
    page = client.post("/gongshi/yiyi/chaxun",
                       data={"receipt_number": objection.receipt_number, "phone": "13612345678"}).text
    assert "不予受理" in page and "未反映具体事实。" in page
    history = office.get(f"/objections/show/{objection.id}").text
    assert "提出异议" in history and "公众" in history and "未反映具体事实。" in history
    assert objections.lookup(objection.receipt_number, "13612345678").status == "dismissed"


def test_the_form_takes_the_same_statements_for_3_and_30_candidates_in_their_own_units(client, publicity):
    campaign, *_ = publicity

    def more(n):
        for _ in range(n):
            factories.candidates(1, campaign, unit=factories.unit(parent=factories.unit()))

    more(1)
    client.get("/gongshi/yiyi/")  # the first request of a client (and after expire_all) loads a little more
    few = factories.count_statements(lambda: client.get("/gongshi/yiyi/"))
    more(27)
    page = client.get("/gongshi/yiyi/").text
    assert page.count("<option") == 31  # 请选择 and the 30 candidates, each "姓名（单位）"
    assert factories.count_statements(lambda: client.get("/gongshi/yiyi/")) == few
