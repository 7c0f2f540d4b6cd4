"""config.py does what README's configuration table says: PROXY_FIX and a production that needs SECRET_KEY."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app import roles
from app.extensions import db
from app.models import AuditEvent, Stage
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def python(code: str, tmp_path, **env):
    """Run code in a fresh interpreter at the project root with only the given portal variables set."""
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "APP_ENV", "PROXY_FIX", "DATABASE_URL")}
    clean.update(INSTANCE_DIR=str(tmp_path / "instance"), DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}", **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    started = python("import run", tmp_path, APP_ENV="production")
    assert started.returncode != 0
    assert "SECRET_KEY is not set" in started.stderr and "APP_ENV=production" in started.stderr
    assert not (tmp_path / "instance" / "secret_key").exists()  # no per-machine key was made up
    ok = python("import config; print(config.SECRET_KEY, config.PROXY_FIX)", tmp_path,
                APP_ENV="production", SECRET_KEY="shared-key", PROXY_FIX="1")
    assert ok.returncode == 0 and ok.stdout.split() == ["shared-key", "True"]


def test_development_generates_a_key_once_and_trusts_no_proxy_by_default(tmp_path):
    code = "import importlib, config; key = config.SECRET_KEY; importlib.reload(config); " \
           "print(len(key), key == config.SECRET_KEY, config.PROXY_FIX)"
    assert python(code, tmp_path).stdout.split() == ["64", "True", "False"]
    assert (tmp_path / "instance" / "secret_key").exists()


def app_behind_proxy(app, proxy_fix: bool):
    from app import create_app

    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test",
        "PROXY_FIX": proxy_fix,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "AUTH_RATE_LIMIT": "3 per minute",
        "RATELIMIT_KEY_PREFIX": f"portal-test-{uuid.uuid4().hex}",
        # This counts requests; the sign-in failure counters (captcha, lock) are tests/test_signin.py's.
        "LOGIN_CAPTCHA_AFTER": 100,
    })


@pytest.mark.parametrize("proxy_fix", [True, False])
def test_the_forwarded_address_counts_only_behind_proxy_fix(app, proxy_fix):
    window = factories.campaign(year=2027).window(Stage.APPLY)
    factories.account(roles.CITY_OFFICE, username="desk")
    proxied = app_behind_proxy(app, proxy_fix)
    citizen, neighbour = "203.0.113.7", "198.51.100.23"

    client = factories.api_client(proxied, "desk")
    response = client.put(f"/api/v1/stage_window/{window.id}", json={"ends_at": "2027-04-30T23:59:59"},
                          headers={"X-Forwarded-For": citizen})
    assert response.status_code == 200, response.json
    db.session.expire_all()
    event = db.session.query(AuditEvent).filter_by(action="stage_window.update").one()
    assert event.ip == (citizen if proxy_fix else "127.0.0.1")

    browser = proxied.test_client()
    wrong = {"username": "desk", "password": "wrong"}
    codes = [browser.post("/login/", data=wrong, headers={"X-Forwarded-For": citizen}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    # Another citizen behind the same proxy has their own count only when the forwarded address is believed.
    other = browser.post("/login/", data=wrong, headers={"X-Forwarded-For": neighbour}).status_code
    assert other == (302 if proxy_fix else 429)


def test_production_cookies_are_secure_httponly_and_samesite_lax(tmp_path):
    """The signed cookie carries the server-side session's token (app/sessions.py): HTTPS only in production."""
    code = ("import config; print(config.SESSION_COOKIE_SECURE, config.SESSION_COOKIE_HTTPONLY, "
            "config.SESSION_COOKIE_SAMESITE, config.REMEMBER_COOKIE_SECURE, config.REMEMBER_COOKIE_HTTPONLY, "
            "config.SESSION_IDLE_MINUTES, config.SESSION_ABSOLUTE_HOURS, config.PASSWORD_MAX_AGE_DAYS)")
    production = python(code, tmp_path, APP_ENV="production", SECRET_KEY="shared-key")
    assert production.stdout.split() == ["True", "True", "Lax", "True", "True", "30", "12", "90"], production.stderr
    assert python(code, tmp_path).stdout.split()[0] == "False"  # development serves plain HTTP
