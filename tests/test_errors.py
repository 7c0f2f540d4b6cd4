import logging

import pytest

from app import roles
from tests import factories


@pytest.fixture(scope="module")
def failing_app(app):
    """The test app's twin with two routes that fail the way a bug would (a route can only be added before the
    first request, so not to the shared app)."""
    from app import create_app

    twin = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED", "UPLOAD_DIR", "SECRET_KEY", "RATELIMIT_ENABLED")})
    twin.test_client_class = app.test_client_class

    def explode():
        raise RuntimeError("secret detail: password=hunter2")

    twin.add_url_rule("/boom", "boom", explode)
    twin.add_url_rule("/api/v1/boom", "api_boom", explode)
    return twin


def test_an_unhandled_error_is_logged_and_answered_with_the_chinese_page(failing_app, caplog):
    with failing_app.app_context():
        caplog.set_level(logging.ERROR)
        factories.login(failing_app.test_client(), factories.account(roles.CITY_OFFICE))
        response = failing_app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "系统出错" in page and "学习之星" in page  # the portal's layout
    assert "hunter2" not in page and "Traceback" not in page and "Internal Server Error" not in page
    assert "Traceback" in caplog.text and "hunter2" in caplog.text and "GET /boom" in caplog.text


def test_an_unhandled_error_under_api_is_chinese_json(failing_app, caplog):
    with failing_app.app_context():
        response = failing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json == {"message": "处理您的请求时出错，已记录下来，请稍后重试；如仍有问题，请联系市学习办。"}


def test_wrong_method_and_missing_page_are_chinese(client):
    response = client.post("/gongshi/")
    assert response.status_code == 405 and "请求方式有误" in response.get_data(as_text=True)
    assert "Method Not Allowed" not in response.get_data(as_text=True)
    response = client.delete("/api/v1/public/gongshi")
    assert response.status_code == 405 and "请求方式" in response.json["message"]


@pytest.mark.parametrize("path", [
    "/applications/show/9223372036854775808", "/applications/show/-1", "/applications/show/1e3",
    "/api/v1/application/99999999999999999999999", "/api/v1/campaign/18446744073709551616",
    "/application-files/9223372036854775808/photo", "/gongshi/photo/18446744073709551616.jpg",
    "/review-progress/9223372036854775808",
])
def test_ids_out_of_range_are_missing_rows(app, path):
    client = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    if path.startswith("/api/"):
        assert "找不到" in response.json["message"] or response.json["message"]
    else:
        assert "页面不存在" in response.get_data(as_text=True)


def test_a_negative_or_huge_pk_on_a_rest_write_is_a_missing_row(app):
    client = factories.api_client(app, factories.account(roles.CITY_OFFICE))
    assert client.put("/api/v1/campaign/-5", json={"name": "x"}).status_code == 404
    assert client.delete("/api/v1/unit/9223372036854775808").status_code == 404
    assert client.put("/api/v1/unit/%F0%9F%98%80", json={}).status_code == 404


def test_when_even_the_layout_fails_the_page_is_still_chinese(failing_app, monkeypatch):
    import app.errors

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(app.errors, "render_template", broken)
    with failing_app.app_context():
        response = failing_app.test_client().get("/boom")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "系统出错" in response.get_data(as_text=True) and "database down" not in response.get_data(as_text=True)
