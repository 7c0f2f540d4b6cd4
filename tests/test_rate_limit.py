"""Sign-in and registration are rate limited per address: in memory, and shared through Redis between workers."""
import os
import socket
import uuid

import pytest

from app import roles
from tests import factories


def redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


def limited_app(app, storage, prefix):
    from app import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": storage,
            "AUTH_RATE_LIMIT": "3 per minute",
            # A prefix per run keeps this test's counts apart from any other user of the same Redis.
            "RATELIMIT_KEY_PREFIX": prefix,
            # This counts requests; the sign-in failure counters (captcha, lock) are tests/test_signin.py's.
            "LOGIN_CAPTCHA_AFTER": 100,
        }
    )


@pytest.mark.parametrize("storage", ["memory://", "redis://127.0.0.1:6379/0"])
def test_the_fourth_sign_in_within_a_minute_is_refused_in_chinese(app, storage):
    if storage.startswith("redis") and not redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not running on 127.0.0.1:6379 (CI must run this test)")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    factories.account(roles.CITY_OFFICE, username="desk")
    prefix = f"portal-test-{uuid.uuid4().hex}"
    if storage.startswith("redis"):
        # Two apps stand for two gunicorn workers: only a shared store makes them count together.
        workers = [limited_app(app, storage, prefix).test_client() for _ in range(2)]
    else:
        limited = limited_app(app, storage, prefix)
        workers = [limited.test_client(), limited.test_client()]  # two clients, one address: one count
    codes = [workers[i % 2].post("/login/", data={"username": "desk", "password": "wrong"}).status_code for i in range(4)]
    assert codes[:3] == [302, 302, 302] and codes[3] == 429  # a wrong password is sent back to the form
    # Registration has a count of its own, kept the same way: three posts answered (the form with its errors),
    # the fourth refused, whichever worker takes it.
    posts = [workers[i % 2].post("/register/", data={"mobile": "13911588771"}) for i in range(4)]
    assert [r.status_code for r in posts] == [200, 200, 200, 429]
    assert "操作过于频繁" in posts[3].text and "操作过于频繁" not in posts[2].text
    refused = workers[1].post("/login/", data={"username": "desk", "password": factories.PASSWORD})
    assert refused.status_code == 429 and "操作过于频繁" in refused.text


def test_the_rest_sign_in_is_limited_too(app):
    factories.account(roles.CITY_OFFICE, username="desk")
    client = limited_app(app, "memory://", f"portal-test-{uuid.uuid4().hex}").test_client()
    body = {"username": "desk", "password": "wrong", "provider": "db"}
    codes = [client.post("/api/v1/security/login", json=body).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_captcha_images_are_limited_per_address_in_chinese(app):
    """Each image keeps an answer on the server: an address asking for images in bulk is refused (429)."""
    limited = limited_app(app, "memory://", f"portal-test-{uuid.uuid4().hex}")
    limited.config["CAPTCHA_RATE_LIMIT"] = "3 per minute"
    for path in ("/login/captcha.png", "/register/captcha.png", "/gongshi/yiyi/captcha.png"):
        client = limited.test_client()
        answers = [client.get(path) for _ in range(4)]
        assert [r.status_code for r in answers[:3]] == [200] * 3, path
        assert answers[0].mimetype == "image/png"
        assert answers[3].status_code == 429 and "操作过于频繁" in answers[3].text, path
