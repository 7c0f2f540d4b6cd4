"""The security headers of every answer (Content-Security-Policy with a per-request nonce, framing, referrer, MIME
sniffing, browser features, HSTS in production) and who may keep a copy of it (Cache-Control)."""
import secrets

from flask import Flask, current_app, g, request
from flask_login import current_user
from markupsafe import Markup

# Answers browsers and proxies may keep: files that are the same for everyone.
STATIC_ENDPOINTS = {"static", "appbuilder.static", "favicon"}
# Pages and API answers without personal data, the same for every anonymous visitor (公示, 名单, the certificate check,
# the home and contact pages): left to the browser's caching when no one is signed in.
PUBLIC_ENDPOINTS = {
    "HomeView.index",
    "ContactView.index",
    "PublicNoticeView.index",
    "FinalListView.index",
    "PublicCertificateView.lookup",
    "PublicCertificateView.verify",
    "PublicApi.gongshi",
    "PublicApi.mingdan",
    "PublicCertificateApi.verify",
}

# No camera, microphone, place or payment: uploads are chosen files (a phone's picker may still film), never a live
# capture by the page.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()"


def csp_nonce() -> str:
    """This request's script nonce: `<script nonce="{{ csp_nonce() }}">` (FAB's templates ask for it by this name)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


# Markup kept across requests (app/fragments.py) is written with this in place of the nonce, and each page puts its
# own in.
NONCE_SLOT = "__portal_csp_nonce__"


def with_nonce(markup: str) -> Markup:
    """Kept markup with this request's nonce in each NONCE_SLOT."""
    return Markup(markup.replace(NONCE_SLOT, csp_nonce()))


def content_security_policy(nonce: str) -> str:
    return "; ".join((
        "default-src 'self'",
        # Scripts: our own files, and inline blocks only with this request's nonce (no onclick=, no javascript:).
        f"script-src 'self' 'nonce-{nonce}'",
        # <style> blocks (the print pages) carry the nonce too. style="" attributes stay allowed ('unsafe-inline' for
        # attributes only): FAB's templates and ours size and place elements with them (progress bars, form widths,
        # FAB's widgets); an attribute cannot run script, nor, with img-src and font-src 'self', send data elsewhere.
        f"style-src-elem 'self' 'nonce-{nonce}'",
        "style-src-attr 'unsafe-inline'",
        # The fallback for browsers without the two directives above (they ignore 'unsafe-inline' beside a nonce).
        "style-src 'self' 'unsafe-inline'",
        # data: for the small images the API's page (Swagger UI) and FAB's themes embed in their stylesheets.
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ))


def _no_store() -> bool:
    """Whether this answer must not be kept by any cache: everything a signed-in user receives and every answer with
    a form or personal data; not static files, the public pages, nor what a view made public on purpose (the 公示
    photos, app/views/publicity.py)."""
    if request.endpoint in STATIC_ENDPOINTS or g.get("shared_cache_response"):
        return False
    if getattr(current_user, "is_authenticated", False):
        return True
    return request.endpoint not in PUBLIC_ENDPOINTS


def set_security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce())
    headers["X-Frame-Options"] = "DENY"  # for browsers that do not know frame-ancestors
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("APP_ENV") == "production" and current_app.config.get("HSTS_MAX_AGE"):
        # Only production is served over HTTPS (config.py); a development server over HTTP must not pin its host.
        headers["Strict-Transport-Security"] = f"max-age={int(current_app.config['HSTS_MAX_AGE'])}"
    if _no_store() and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("Pragma", None)
    return response


def register_security_headers(app: Flask) -> None:
    app.add_template_global(csp_nonce)
    app.after_request(set_security_headers)
