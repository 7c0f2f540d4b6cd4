"""Configuration, read from the environment. Defaults give the embedded setup: SQLite and files under instance/."""
import os
import secrets
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

# Uploads of spreadsheets; the media uploads of the application issue set their own per-route limit.
MAX_CONTENT_LENGTH = 60 * 1024 * 1024
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = APP_ENV == "production"  # production is served over HTTPS

# Sign-in and registration are rate limited per client address. Several gunicorn workers share the count through
# Redis when REDIS_URL is set; without it each worker counts on its own (fine for the embedded setup).
RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") == "1"
RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per minute")

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
