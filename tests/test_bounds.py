import pytest

from app import roles
from app.bounds import MAX_ID, row_id
from tests import factories


def test_row_id_takes_only_what_an_integer_column_holds():
    assert row_id("42") == 42 and row_id(7) == 7 and row_id(str(MAX_ID)) == MAX_ID
    for bad in (str(MAX_ID + 1), "-1", -1, "1e3", "1.5", 1.5, "١٢", " 1", "", None, True, [1]):
        assert row_id(bad) is None, bad


@pytest.mark.parametrize("body", [
    '{"name": "\\ud800区", "category": "district"}',
    '{"name": "海淀\\u0000区", "category": "district"}',
])
def test_text_the_database_cannot_store_is_refused_in_chinese(app, body):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.post("/api/v1/unit/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "无法保存的字符" in response.json["message"]


def test_nul_in_a_query_or_form_is_refused_in_chinese(app):
    client = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    response = client.get("/units/first-level/list/?_flt_2_name=%00")
    assert response.status_code == 400 and "无法保存的字符" in response.get_data(as_text=True)
    response = client.post("/campaigns/add", data={"name": "a\x00b", "year": "2027"})
    assert response.status_code == 400 and "无法保存的字符" in response.get_data(as_text=True)


@pytest.mark.parametrize("q", [
    "(filters:!((col:year,opr:eq,value:1.5)))",
    "(filters:!((col:year,opr:eq,value:!(2026,2027))))",
    "(filters:!((col:year,opr:eq,value:99999999999999999999)))",
    "(filters:!((col:name,opr:ct,value:(a:1))))",
    "(filters:!((col:name,opr:ct,value:12)))",
])
def test_a_rison_filter_wants_one_plain_value(app, q):
    factories.campaign(year=2026)
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.get("/api/v1/campaign/", query_string={"q": q})
    assert response.status_code == 400, response.json
    assert "筛选条件" in response.json["message"] or "请求有误" in response.json["message"]  # FAB's schema refuses objects


def test_a_list_filter_with_a_huge_number_is_refused_not_a_server_error(app):
    factories.campaign(year=2026)
    client = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    response = client.get("/campaigns/list/?_flt_0_year=99999999999999999999")
    assert response.status_code == 400 and "筛选条件" in response.get_data(as_text=True)
    assert client.get("/campaigns/list/?_flt_0_year=2026").status_code == 200
    assert client.get("/campaigns/list/?_flt_0_year=abc").status_code == 200  # no number: FAB finds nothing


@pytest.mark.parametrize("body", ["[]", "null", "3", '"x"'])
def test_a_rest_body_must_be_an_object(app, body):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.post("/api/v1/campaign/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "JSON 对象" in response.json["message"]


def test_wrong_types_and_oversized_numbers_get_chinese_messages_by_field(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.post("/api/v1/campaign/", json={"name": 12, "year": "abc", "winner_quota": 2**40})
    assert response.status_code == 422
    errors = response.json["message"]
    assert errors["name"] == ["须为文字"] and errors["year"] == ["须为整数"] and errors["winner_quota"] == ["数值超出范围"]
    response = client.post("/api/v1/unit/", json={"name": True, "category": ["district"]})
    assert response.status_code == 422 and response.json["message"]["name"] == ["须为文字"]


@pytest.mark.parametrize("q", ["-4.330591669120655e+16", "!(1,2)", '{"page": -471}', "(page:-2207)",
                               '{"filters": [{"col": "name", "opr": "ct", "value": "a\\u0000"}]}'])
def test_rest_query_arguments_are_one_object_with_a_page_from_0(app, q):
    campaign = factories.campaign(year=2026)
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    for path in ("/api/v1/campaign/", f"/api/v1/campaign/{campaign.id}"):
        response = client.get(path, query_string={"q": q})
        if path.endswith("/") or not q.startswith(("{", "(")):
            assert response.status_code == 400, (path, q, response.json)
            assert not response.json["message"].isascii()


def test_a_unit_category_that_is_a_list_is_refused_at_the_field(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.post("/api/v1/unit/", json={"category": ["district", False], "name": "某区"})
    assert response.status_code in (400, 422), response.json
    assert not str(response.json["message"]).isascii()
    unit = factories.unit()
    response = client.put(f"/api/v1/unit/{unit.id}", json={"category": ["district"]})
    assert response.status_code in (400, 422), response.json


@pytest.mark.parametrize("parent", ["abc", 2**40, {"x": 1, "y": 2}, {"id": "abc"}, [1]])
def test_a_relation_that_names_no_row_is_refused_at_its_field(app, parent):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.post("/api/v1/unit/", json={"name": "某街道", "category": "district", "parent": parent})
    assert response.status_code == 422, response.json
    assert response.json["message"]["parent"] == ["关联的记录不存在"]
