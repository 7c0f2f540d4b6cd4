"""deploy/: gunicorn's config loads through gunicorn's own parser with sane values; nginx takes the app's largest body
and its timeouts outlast gunicorn's; the systemd units run what exists."""
import re
import sys
from pathlib import Path

import pytest

from app import request_limits

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
NGINX_SITE = ROOT / "deploy" / "nginx" / "xuexizhixing.conf"
SYSTEMD = ROOT / "deploy" / "systemd"

_UNITS = {"k": 1024, "m": 1024**2, "g": 1024**3, "": 1}


def gunicorn_config(monkeypatch, *args, **environ):
    """The settings gunicorn itself would run with: its command-line parser, then the config file, as `gunicorn`
    does it."""
    from gunicorn.app.wsgiapp import WSGIApplication

    for name in ("GUNICORN_WORKERS", "GUNICORN_TIMEOUT", "GUNICORN_BIND", "FORWARDED_ALLOW_IPS", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "argv", ["gunicorn", "--config", str(GUNICORN_CONF), *args, "run:app"])
    return WSGIApplication().cfg


def nginx_directives(name: str) -> list[str]:
    """The values of every `name …;` directive of the site, comments left out."""
    text = re.sub(r"#[^\n]*", "", NGINX_SITE.read_text())
    return [m.group(1).strip() for m in re.finditer(rf"(?:^|[\s;{{]){re.escape(name)}\s+([^;]+);", text)]


def nginx_size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()
    return int(number) * _UNITS[unit.lower()]


def nginx_seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()
    return int(number) * (60 if unit == "m" else 1)


def test_gunicorn_config_loads_with_deliberate_values(monkeypatch):
    import multiprocessing

    cfg = gunicorn_config(monkeypatch)
    assert cfg.worker_class_str == "sync"
    assert cfg.workers == multiprocessing.cpu_count() * 2 + 1
    assert cfg.bind == ["127.0.0.1:8080"]
    # Long enough for the longest request left in a request (a 50 MB video's checks, seconds), short enough to free
    # a stuck worker within a minute; gunicorn's default 30 s is not what we run.
    assert 30 < cfg.timeout <= 120
    assert 0 < cfg.graceful_timeout <= cfg.timeout
    assert cfg.max_requests >= 500 and 0 < cfg.max_requests_jitter < cfg.max_requests
    assert cfg.forwarded_allow_ips == ["127.0.0.1", "::1"]
    # No query string in the access log (a search may carry an ID number); the client is nginx's X-Forwarded-For.
    assert "%(U)s" in cfg.access_log_format and "%(r)s" not in cfg.access_log_format and "%(q)s" not in \
        cfg.access_log_format
    assert "{x-forwarded-for}i" in cfg.access_log_format
    assert cfg.control_socket_disable


def test_gunicorn_config_is_overridden_by_environment_and_command_line(monkeypatch):
    cfg = gunicorn_config(monkeypatch, "--bind", "127.0.0.1:9000", GUNICORN_WORKERS="3", GUNICORN_TIMEOUT="90",
                          FORWARDED_ALLOW_IPS="10.0.0.5")
    assert cfg.bind == ["127.0.0.1:9000"]  # make run's PORT
    assert (cfg.workers, cfg.timeout) == (3, 90)
    assert cfg.forwarded_allow_ips == ["10.0.0.5"]


def test_nginx_takes_the_largest_body_the_app_accepts(app):
    """A body the app would answer with its own Chinese message must not be cut off by nginx first."""
    (limit,) = nginx_directives("client_max_body_size")
    largest_upload = max(size for size, _message in request_limits._UPLOADS.values())
    assert nginx_size(limit) >= largest_upload
    assert nginx_size(limit) >= app.config["MAX_CONTENT_LENGTH"]  # spreadsheet imports, the app's ceiling
    assert largest_upload >= 50 * 1024**2  # the video, which this limit exists for


def test_nginx_buffers_slow_uploads_and_outwaits_gunicorn(monkeypatch):
    assert nginx_directives("proxy_request_buffering") == ["on"]
    assert nginx_directives("proxy_buffering") == ["on"]
    assert nginx_seconds(nginx_directives("client_body_timeout")[0]) >= 60
    (read_timeout,) = nginx_directives("proxy_read_timeout")
    assert nginx_seconds(read_timeout) > gunicorn_config(monkeypatch).timeout
    # The client's address is overwritten, not appended to: with PROXY_FIX=1 the app trusts the last entry.
    assert "X-Forwarded-For $remote_addr" in nginx_directives("proxy_set_header")
    assert "X-Forwarded-Proto $scheme" in nginx_directives("proxy_set_header")


def test_nginx_serves_both_static_folders_that_exist():
    import flask_appbuilder

    aliases = dict(line.split(None, 1) for line in nginx_directives("location") if line.startswith("/static"))
    assert set(aliases) == {"/static/", "/static/appbuilder/"}
    text = NGINX_SITE.read_text()
    assert "alias /srv/xxzx/app/static/;" in text and (ROOT / "app" / "static" / "js" / "apply.js").is_file()
    fab = Path(flask_appbuilder.__file__).parent / "static" / "appbuilder"
    assert fab.is_dir()
    assert "/site-packages/flask_appbuilder/static/appbuilder/;" in text
    # Its Chinese error pages exist.
    for page in ("413.html", "502.html"):
        assert "lang=\"zh-CN\"" in (ROOT / "deploy" / "nginx" / "errors" / page).read_text()


@pytest.mark.parametrize("unit, command", [
    ("xuexizhixing.service", "/srv/xxzx/.venv/bin/gunicorn --config deploy/gunicorn.conf.py run:app"),
    ("xuexizhixing-worker.service", "/srv/xxzx/.venv/bin/flask --app run.py jobs worker"),
])
def test_systemd_units_start_the_app_and_the_worker(unit, command):
    text = (SYSTEMD / unit).read_text()
    assert f"ExecStart={command}\n" in text
    assert "EnvironmentFile=/etc/xxzx/portal.env" in text and "User=portal" in text


def test_nginx_sends_uploads_only_on_the_apps_word():
    """/_uploads/ must be `internal`: reachable only through the app's X-Accel-Redirect, after its scoping check.
    Without it every stored ID photo and video would be one guessed name away."""
    text = re.sub(r"#[^\n]*", "", NGINX_SITE.read_text())
    block = re.search(r"location /_uploads/ \{([^}]*)\}", text).group(1)
    assert re.search(r"^\s*internal;", block, re.M)
    assert "alias /srv/xxzx/instance/uploads/;" in block  # = UPLOAD_DIR of docs/deploy.md
    assert "X-Content-Type-Options nosniff" in block


def test_the_nightly_backup_backs_up_and_checks():
    service = (SYSTEMD / "xuexizhixing-backup.service").read_text()
    assert "backup create /var/backups/xxzx/" in service and "files check" in service
    timer = (SYSTEMD / "xuexizhixing-backup.timer").read_text()
    assert "OnCalendar=*-*-* 02:30" in timer and "Persistent=true" in timer
