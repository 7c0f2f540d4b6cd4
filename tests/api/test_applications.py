"""/api/v1/application/: reading in scope and deciding over REST, with the workflow's checks."""
from datetime import datetime

from app import clock, roles
from app.models import Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)


def setup(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.L2_REVIEW, at=NOW)
    district, (street, sibling) = factories.district_with_streets()
    mine = factories.application(unit=street, name="甲")
    theirs = factories.application(unit=sibling, name="乙")
    client = factories.api_client(app, factories.account(roles.L2_CLERK, unit=street))
    return client, mine, theirs


def test_list_is_scoped_and_hides_id_numbers(app):
    client, mine, theirs = setup(app)
    rows = client.get("/api/v1/application/").json["result"]
    assert [r["name"] for r in rows] == ["甲"]
    assert "id_number" not in rows[0] and "mobile" not in rows[0]
    assert client.get(f"/api/v1/application/{theirs.id}").status_code == 404


def test_decide_and_submit_over_rest(app):
    client, mine, theirs = setup(app)
    response = client.post(f"/api/v1/application/{mine.id}/decision", json={"decision": "recommend"})
    assert response.status_code == 422 and response.json["message"] == "请填写推荐意见"  # the page's words
    response = client.post(f"/api/v1/application/{mine.id}/decision", json={"decision": "recommend", "opinion": "同意"})
    assert response.status_code == 200 and response.json["status"] == "l2_recommended"
    assert client.post(f"/api/v1/application/{theirs.id}/decision",
                       json={"decision": "recommend", "opinion": "越权"}).status_code == 404
    progress = client.get("/api/v1/application/progress").json
    assert progress["decided"] == 1 and progress["window_open"] and progress["submitted_at"] is None
    response = client.post("/api/v1/application/submit")
    assert response.status_code == 200 and response.json["recommended"] == 1
    assert client.post("/api/v1/application/submit").status_code == 409
    response = client.post(f"/api/v1/application/{mine.id}/decision", json={"decision": "reject", "opinion": "改"})
    assert response.status_code == 409


def test_outside_the_window_the_api_refuses_with_the_reason(app):
    client, mine, _ = setup(app)
    clock.freeze(datetime(2026, 12, 1))
    response = client.post(f"/api/v1/application/{mine.id}/decision", json={"decision": "recommend", "opinion": "晚"})
    assert response.status_code == 403 and "过期无效" in response.json["message"]


def test_citizens_and_experts_have_no_decisions(app):
    client, mine, _ = setup(app)
    expert = factories.api_client(app, factories.account(roles.EXPERT))
    assert expert.get("/api/v1/application/").status_code == 403
    assert expert.post(f"/api/v1/application/{mine.id}/decision", json={"decision": "recommend"}).status_code == 403


def test_a_page_of_the_list_sends_as_many_statements_for_twenty_rows_as_for_one(app):
    """The masked numbers are worked out from columns read with the rows, not one statement per row and number."""
    client, mine, theirs = setup(app)
    once = factories.count_statements(lambda: client.get("/api/v1/application/"))
    more = [factories.application(unit=mine.unit, name=f"丙{i}") for i in range(19)]
    rows = []
    again = factories.count_statements(lambda: rows.extend(client.get("/api/v1/application/").json["result"]))
    assert len(rows) == 20 and again == once
    shown = {r["id"]: r for r in rows}[more[0].id]
    assert shown["id_number_masked"] == more[0].id_number[:6] + "********" + more[0].id_number[-4:]
    assert shown["mobile_masked"] == more[0].mobile[:3] + "****" + more[0].mobile[-4:]
    assert "id_number" not in shown and "mobile" not in shown
    # The numbers are read with the rows, never answered: asking for their columns by name gets none of them.
    for q in ("(select_columns:!(id_number,mobile,name))", "(columns:!(id_number,mobile))"):
        answer = client.get(f"/api/v1/application/?q={q}")
        assert answer.status_code == 200 and more[0].id_number not in answer.text and more[0].mobile not in answer.text
    answer = client.get(f"/api/v1/application/{more[0].id}?q=(select_columns:!(id_number,mobile))")
    assert more[0].id_number not in answer.text and more[0].mobile not in answer.text


def test_a_decision_in_the_wrong_shape_is_answered_in_chinese_not_with_a_500(app):
    """A client's mistakes are the client's: a body that is no object, a decision that is no word, an opinion that is
    no text or longer than the page's 2,000 characters — each answered with what to fix, and nothing decided."""
    client, mine, _ = setup(app)
    url = f"/api/v1/application/{mine.id}/decision"
    for body in ([1], "recommend"):
        response = client.post(url, json=body)
        assert response.status_code == 400 and response.json["message"].startswith("请求内容须为 JSON 对象"), body
    for decision in (["recommend"], {"a": 1}, 1):
        response = client.post(url, json={"decision": decision, "opinion": "同意"})
        assert response.status_code == 400 and response.json["message"].startswith("decision 须为"), decision
    for opinion in (123, ["同意"], {"x": 1}):
        response = client.post(url, json={"decision": "recommend", "opinion": opinion})
        assert response.status_code == 422 and response.json["errors"] == {"opinion": "意见须为文字"}, opinion
    response = client.post(url, json={"decision": "recommend", "opinion": "好" * 2001})
    assert response.status_code == 422
    assert response.json["errors"] == {"opinion": "意见不能超过 2000 字，现在是 2001 字"}
    assert client.get(f"/api/v1/application/{mine.id}").json["result"]["status"] == "submitted"
    response = client.post(url, json={"decision": "recommend", "opinion": "好" * 2000})
    assert response.status_code == 200 and response.json["status"] == "l2_recommended"


def test_the_apis_own_answers_are_chinese(app):
    """FAB's 404 "Not found", 403 "Forbidden", 500 "Fatal error" and its rison parser's endless recursion on "((" (a
    500): every answer of the API says in Chinese what happened."""
    client, mine, theirs = setup(app)
    assert client.get(f"/api/v1/application/{theirs.id}").json == {"message": "找不到该页面或记录，或者您无权查看它。"}
    for q in ("((", "(((((", "!((("):
        response = client.get(f"/api/v1/application/?q={q}")
        assert response.status_code == 400 and response.json["message"].startswith("查询参数 q 无法解析"), q
    citizen = factories.api_client(app, factories.account(roles.APPLICANT))
    response = citizen.get("/api/v1/unit/")
    assert response.status_code == 403 and response.json == {"message": "您的账号没有权限访问该页面或该记录。"}
    anonymous = app.test_client(use_cookies=False)
    response = anonymous.get("/api/v1/unit/")
    assert response.status_code == 401 and "请先登录" in response.json["message"]


def test_an_unexpected_error_is_answered_in_chinese(app, monkeypatch):
    from app import workflow

    client, mine, _ = setup(app)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(workflow, "perform", broken)
    response = client.post(f"/api/v1/application/{mine.id}/decision", json={"decision": "recommend", "opinion": "同意"})
    assert response.status_code == 500
    assert response.json == {"message": "处理您的请求时出错，已记录下来，请稍后重试；如仍有问题，请联系市学习办。"}
