"""Configuration, read from the environment. Defaults give the embedded setup: SQLite and files under instance/."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


def _dev_secret_key() -> str:
    """A key generated once into instance/ so sessions survive restarts; never committed."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _secret_key(app_env: str) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if app_env == "production":
        # A key generated per machine would sign sessions no other app server accepts: refuse to start instead.
        raise SystemExit(
            "SECRET_KEY is not set. APP_ENV=production needs the same SECRET_KEY on every app server and worker, e.g.\n"
            "  export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    return _dev_secret_key()


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'app.db'}"
    # Deployments often hand out postgres:// or postgresql:// URLs; we talk to PostgreSQL through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


APP_NAME = "首都市民学习之星评选系统"
APP_ICON = "/static/img/logo.svg"
APP_THEME = ""

# Demo data is never loaded when APP_ENV=production, and production does not start without SECRET_KEY.
APP_ENV = os.environ.get("APP_ENV", "development")
SECRET_KEY = _secret_key(APP_ENV)
SQLALCHEMY_DATABASE_URI = _database_url()
SQLALCHEMY_TRACK_MODIFICATIONS = False
UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
REDIS_URL = os.environ.get("REDIS_URL") or None
# Stored photos, videos and PDFs are sent by nginx when this names its internal location for UPLOAD_DIR (e.g.
# /_uploads/, deploy/nginx/xuexizhixing.conf): the app still decides who may see a file (app/storage.py's send).
# Only where nginx reads UPLOAD_DIR at the same path; unset, the app sends the files itself.
UPLOAD_ACCEL_REDIRECT = os.environ.get("UPLOAD_ACCEL_REDIRECT") or None
# Long work (app/jobs.py): a Huey queue in instance/jobs.db, or in Redis when REDIS_URL (or JOBS_REDIS_URL, e.g.
# another db index: redis://host:6379/2) is set; its keys are prefixed by JOBS_QUEUE_NAME. Run `flask jobs worker`.
JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL") or None
JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE_NAME", "portal-jobs")
JOBS_SQLITE_PATH = os.environ.get("JOBS_SQLITE_PATH") or str(INSTANCE_DIR / "jobs.db")
JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", "2"))
# A job's file (an export) is kept this long for its owner, then removed with the job.
JOBS_KEEP_HOURS = int(os.environ.get("JOBS_KEEP_HOURS", "24"))
# 评审排名 (app/ranking.py): a round with up to this many submitted reviews is ranked on every request; a larger one
# from the figures a background job stores (结束本轮, 刷新排名).
RANKING_LIVE_LIMIT = int(os.environ.get("RANKING_LIVE_LIMIT", "10000"))
# PIPL minimisation: `flask retention purge-media` removes unsuccessful applicants' photos and videos this many days
# after their campaign ended (its approval or its last stage window, whichever is later).
MEDIA_RETENTION_DAYS = int(os.environ.get("MEDIA_RETENTION_DAYS", "180"))
# Behind a reverse proxy (nginx) the client's address is the proxy's last X-Forwarded-For entry: the audit log's
# address and the sign-in rate limit's key. Set PROXY_FIX=1 only there: otherwise anyone could choose their address.
PROXY_FIX = _flag("PROXY_FIX")
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026")

# All dates and times of the campaign are Beijing wall-clock time.
TIMEZONE = "Asia/Shanghai"

# Flask-AppBuilder
AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False
FAB_SECURITY_MANAGER_CLASS = "app.security.PortalSecurityManager"
FAB_INDEX_VIEW = "app.views.home.HomeView"
FAB_BASE_TEMPLATE = "portal_layout.html"
# Migrations own the schema, and `flask deploy` writes permissions once per release rather than
# every gunicorn worker racing to do it at boot.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = False
FAB_API_SWAGGER_UI = True
# /api/v1/_openapi and /swagger/v1 are registered by the app (app/api/openapi.py keeps the document once built).
FAB_ADD_OPENAPI_VIEWS = False
FAB_PASSWORD_COMPLEXITY_ENABLED = True
FAB_ADD_SECURITY_API = False
# The raw permission/view-menu screens: the city office edits roles in 角色列表, which is enough.
FAB_ADD_SECURITY_PERMISSION_VIEW = False
FAB_ADD_SECURITY_VIEW_MENU_VIEW = False
FAB_ADD_SECURITY_PERMISSION_VIEWS_VIEW = False
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None

# Babel: Chinese by default. "zh" and not "zh-CN": the hyphenated locale crashes FAB at start.
BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = TIMEZONE
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "babel")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "中文"},
    "en": {"flag": "gb", "name": "English"},
}

# Request bodies are limited per route before they are read (app/request_limits.py): sign-in, other JSON and HTML
# forms by these, in bytes; photo (2 MB), video (50 MB) and the approval's PDF (20 MB) by their own limits; spreadsheet
# imports by MAX_CONTENT_LENGTH, also the ceiling of everything.
MAX_CONTENT_LENGTH = 60 * 1024 * 1024
BODY_LIMIT_SIGN_IN = int(os.environ.get("BODY_LIMIT_SIGN_IN", 8 * 1024))
BODY_LIMIT_JSON = int(os.environ.get("BODY_LIMIT_JSON", 64 * 1024))
BODY_LIMIT_FORM = int(os.environ.get("BODY_LIMIT_FORM", 1024 * 1024))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = APP_ENV == "production"  # production is served over HTTPS
# FAB signs in without "remember me"; should a remember cookie ever be set, it gets the same flags.
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Sign-in sessions are rows on the server (app/sessions.py), named by a token in the cookie: they end after
# SESSION_IDLE_MINUTES without a request and SESSION_ABSOLUTE_HOURS after sign-in (MLPS), on logout, and with every
# API token of the account when its password, roles or active flag change. last_seen is written at most once a
# SESSION_TOUCH_SECONDS.
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
SESSION_TOUCH_SECONDS = 60
# API tokens: access tokens live 15 minutes (flask_jwt_extended's default), refresh tokens no longer than a session.
JWT_REFRESH_TOKEN_EXPIRES = timedelta(hours=SESSION_ABSOLUTE_HOURS)
# Unit, expert and admin accounts change their password every PASSWORD_MAX_AGE_DAYS (MLPS; citizens do not).
# 0 turns the periodic change off.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PASSWORD_MAX_AGE_DAYS", "90"))
# Production answers carry Strict-Transport-Security (app/headers.py): browsers then refuse plain HTTP to the host for
# this many seconds. 0 sends none (while HTTPS is being set up); development never sends it.
HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", 365 * 24 * 3600))

# Sign-in and registration are rate limited per client address. Several gunicorn workers share the count through
# Redis when REDIS_URL is set; without it each worker counts on its own (fine for the embedded setup).
RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")

# 登录失败处理 (app/signin.py, MLPS 2.0): failures are counted per account (or per user name typed, known or not) and
# per client address, in Redis when REDIS_URL is set and in the database otherwise, so all workers count together.
# LOGIN_MAX_FAILURES failures of one account within LOGIN_LOCK_MINUTES lock it for LOGIN_LOCK_MINUTES (the correct
# password too; the support desk or the city office's 解锁 lifts it); LOGIN_SOURCE_MAX_FAILURES failures from one
# address (of any accounts: set it above what one office behind one NAT address fails) stop sign-ins from it as long.
# The sign-in form asks a captcha after LOGIN_CAPTCHA_AFTER failures of the account or from the address.
LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "30"))
LOGIN_SOURCE_MAX_FAILURES = int(os.environ.get("LOGIN_SOURCE_MAX_FAILURES", "30"))
LOGIN_CAPTCHA_AFTER = int(os.environ.get("LOGIN_CAPTCHA_AFTER", "2"))
# Captcha images (sign-in, registration, 公示异议) per client address: each keeps an answer on the server.
CAPTCHA_RATE_LIMIT = os.environ.get("CAPTCHA_RATE_LIMIT", "20 per minute")
# A captcha's answer waits on the server (Redis or the database) this long, for one check (app/captcha.py).
CAPTCHA_TTL_SECONDS = int(os.environ.get("CAPTCHA_TTL_SECONDS", "300"))
# Names of the portal's keys in Redis (captcha answers, sign-in counters: app/ephemeral.py).
EPHEMERAL_KEY_PREFIX = os.environ.get("EPHEMERAL_KEY_PREFIX", "xxzx:")
# The audit log is kept at least six months (MLPS level 3): `flask audit purge` deletes nothing younger than this,
# and a value under 180 days refuses to start (on PostgreSQL a trigger refuses younger deletes regardless).
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "180"))
if AUDIT_RETENTION_DAYS < 180:
    raise SystemExit(f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS}: the audit log must be kept at least 180 days")

# 荣誉证书 (app/certificates.py): the QR code on every certificate holds the absolute address of its public check,
# <PUBLIC_BASE_URL>/zhengshu/<code>. Set it to the portal's public address (e.g. https://xxzx.bj.gov.cn) when the
# office prints from an internal address or behind a proxy; unset, the address of the request that draws it is used.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None
# The public check of a certificate's code (/zhengshu/, /api/v1/public/zhengshu/) is rate limited per client address,
# so that codes cannot be tried in bulk.
CERTIFICATE_RATE_LIMIT = os.environ.get("CERTIFICATE_RATE_LIMIT", "30 per minute")
# 公示异议 (/gongshi/yiyi/): lodging and looking up, per client address, POST only (app/__init__.py).
OBJECTION_RATE_LIMIT = os.environ.get("OBJECTION_RATE_LIMIT", "5 per hour")

# 站内通知 (app/notifications.py): e-mail through SMTP only when MAIL_SERVER is set (off by default; nothing fails
# without it). MAIL_USE_TLS: STARTTLS on MAIL_PORT (587); MAIL_USE_SSL: SMTPS (465). Sent by the task worker after the
# step committed.
MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
MAIL_USE_TLS = _flag("MAIL_USE_TLS")
MAIL_USE_SSL = _flag("MAIL_USE_SSL")
MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or "noreply@localhost"
MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
# SMS: the gateway's import path "module:Class" with send(phone, text) (app/sms.py). The default only writes the log;
# an empty value sends no SMS.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "app.sms:LoggingSms")
# Read notifications are removed after this many days (`flask notify purge`, and the task worker hourly).
NOTIFICATION_KEEP_DAYS = int(os.environ.get("NOTIFICATION_KEEP_DAYS", "180"))

# Backups (app/backup.py): on PostgreSQL `flask backup` runs pg_dump/pg_restore from PATH, or from this folder when
# the server is newer than the machine's default client (pg_dump must be at least the server's version).
PG_BINDIR = os.environ.get("PG_BINDIR") or None
