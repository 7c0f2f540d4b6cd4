"""/api/v1/unit/: the same rules as the screens, answered in JSON with Chinese messages."""
from datetime import datetime

from app import clock, roles
from app.extensions import db
from app.models import Stage, Unit
from tests import factories

NOW = datetime(2026, 3, 30, 10, 0)


def test_city_office_creates_and_lists_first_level_units(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    response = client.post("/api/v1/unit/", json={"name": "通州区", "category": "district"})
    assert response.status_code == 201, response.json
    response = client.post("/api/v1/unit/", json={"name": "通州区", "category": "district"})
    assert response.status_code == 422 and "已有名为「通州区」" in response.json["message"]
    response = client.post("/api/v1/unit/", json={"name": "火星区", "category": "planet"})
    assert response.status_code == 422 and "类别须为" in response.json["message"]
    names = [row["name"] for row in client.get("/api/v1/unit/").json["result"]]
    assert names == ["通州区"]


def test_first_level_clerk_may_not_create_first_level_units(app):
    client = factories.api_client(app, factories.account(roles.L1_CLERK, unit=factories.unit()))
    response = client.post("/api/v1/unit/", json={"name": "通州区", "category": "district"})
    assert response.status_code == 403 and response.json["message"] == "一级单位由市学习办创建"


def test_window_applies_to_the_api_too(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district = factories.unit(name="海淀区")
    client = factories.api_client(app, factories.account(roles.L1_CLERK, unit=district))
    response = client.post("/api/v1/unit/", json={"name": "上地街道", "parent": district.id})
    assert response.status_code == 403 and "过期无效" in response.json["message"]
    assert db.session.query(Unit).filter_by(name="上地街道").count() == 0


def test_update_keeps_names_unique_and_delete_keeps_accounts(app):
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    district, (a, b) = factories.district_with_streets()
    factories.account(roles.L2_CLERK, unit=a)
    client = factories.api_client(app, factories.account(roles.L1_CLERK, unit=district))
    response = client.put(f"/api/v1/unit/{b.id}", json={"name": a.name})
    assert response.status_code == 422
    assert client.put(f"/api/v1/unit/{b.id}", json={"name": "学院路街道（新）"}).status_code == 200
    response = client.delete(f"/api/v1/unit/{a.id}")
    assert response.status_code == 422 and "不能删除" in response.json["message"]
    assert client.delete(f"/api/v1/unit/{b.id}").status_code == 200


def test_openapi_and_swagger_are_served(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    spec = client.get("/api/v1/_openapi").json
    assert "/api/v1/unit/" in spec["paths"] and "/api/v1/campaign/" in spec["paths"]
    assert client.get("/swagger/v1").status_code == 200


def test_the_openapi_document_is_built_once_per_address(app, monkeypatch):
    """FAB built the document (~0.45 s of CPU) at every request; it is kept once built, for each address asked at
    (its servers name it), and the answer is the same. Other versions are 404; the permission is still checked."""
    from app.api.openapi import OpenApi

    monkeypatch.setattr(OpenApi, "_kept", {})
    built = []
    document = OpenApi._document
    monkeypatch.setattr(OpenApi, "_document", lambda self, version: built.append(version) or document(self, version))
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    first, again = client.get("/api/v1/_openapi"), client.get("/api/v1/_openapi")
    assert first.status_code == again.status_code == 200 and first.json == again.json and built == ["v1"]
    assert first.json["servers"] == [{"url": "http://localhost/"}] and "/api/v1/ranking/{round_id}" in first.json["paths"]
    other = client.get("/api/v1/_openapi", base_url="https://portal.example.cn")
    assert other.json["servers"] == [{"url": "https://portal.example.cn/"}] and built == ["v1", "v1"]
    assert client.get("/api/v2/_openapi").status_code == 404
    assert factories.api_client(app, factories.account(roles.L2_CLERK)).get("/api/v1/_openapi").status_code == 403


def test_jwt_sign_in_works_and_a_generated_password_must_be_changed_first(client):
    account = factories.account(roles.CITY_OFFICE, username="desk")
    token = client.post("/api/v1/security/login",
                        json={"username": "desk", "password": factories.PASSWORD, "provider": "db"}).json["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    fresh = client.application.test_client()
    assert fresh.get("/api/v1/unit/", headers=bearer).status_code == 200
    account.must_change_password = True
    from app.extensions import db

    db.session.commit()
    assert fresh.get("/api/v1/unit/", headers=bearer).status_code == 401


def test_a_contact_phone_is_checked_and_written_as_the_screens_write_it(app):
    """The contact phone is whom citizens are told to call: the API checks it as the screens and the Excel import do
    (it stored "abc" before) and writes it the same way; deleting answers in Chinese."""
    clock.freeze(NOW)
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS, at=NOW)
    district, (street, _) = factories.district_with_streets()
    client = factories.api_client(app, factories.account(roles.L1_CLERK, unit=district))
    for phone, said in (("不是电话<script>", "电话号码无效"), ("abc", "电话号码无效"), (82364980123, "须为文字"),
                        (["010-82364980"], "须为文字")):
        response = client.put(f"/api/v1/unit/{street.id}", json={"contact_phone": phone})
        assert response.status_code == 422 and said in str(response.json), phone
        response = client.post("/api/v1/unit/", json={"name": "电话测试街道", "parent": district.id, "contact_phone": phone})
        assert response.status_code == 422 and said in str(response.json), phone
    db.session.expire_all()
    assert db.session.get(Unit, street.id).contact_phone is None
    assert client.put(f"/api/v1/unit/{street.id}", json={"contact_phone": "８２３６４９８０"}).status_code == 200
    assert client.get(f"/api/v1/unit/{street.id}").json["result"]["contact_phone"] == "010-82364980"
    created = client.post("/api/v1/unit/", json={"name": "电话测试街道", "parent": district.id,
                                                 "contact_phone": "139 1158 8771"})
    assert created.status_code == 201, created.json
    assert client.get(f"/api/v1/unit/{created.json['id']}").json["result"]["contact_phone"] == "13911588771"
    assert client.delete(f"/api/v1/unit/{created.json['id']}").json == {"message": "已删除"}
