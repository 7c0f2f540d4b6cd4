"""Parts of the page layout written once per process, not once per page: the stylesheets of every page's <head> and
the scripts of its <head> and foot (portal_layout.html), the navbar as each user sees it (navbar.html), and the
review list's export buttons (review/list.html) and its actions menu (app/views/list_markup.py).

The head and foot are the same on every page but for the script nonce: some thirty files' URLs, each script's nonce
through FAB's macro, and the select2 texts in the page's language; 0.9 ms of a worker's CPU per page, a sixth of the
signed-in home page's. The navbar is the same on each of a user's pages while the menu they may open, their name, the
language and their unread count stay the same; 0.9 ms more. The review list's export buttons are the same for each
level and language but for the CSRF token. Each part is kept with slots where the nonce and the token go, and each
page puts its own in. The key is the part's name, what the template names as the part's inputs, the language and the
application's root path (the URLs start with it).

    {% call kept("tail_js") %}…{% endcall %}
    {% call kept("navbar", current_user.id, unread, …) %}…{% endcall %}"""
from flask import current_app, g, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.headers import NONCE_SLOT, csp_nonce, with_nonce

CSRF_SLOT = "__portal_csrf_token__"  # a kept form's CSRF token: each page puts the session's own in
_kept: dict[tuple, str] = {}
_MOST = 2048  # a few parts × languages, and a navbar per user signed in to this worker lately (about 6 KB each)


def kept(name: str, *inputs, caller) -> Markup:
    """The part `name` as `caller` writes it (the body of the template's call block, or a function: the review list's
    actions menu), once per process for each value of its inputs (hashable), language and root path; this page's
    nonce and the session's CSRF token in it."""
    key = (name, inputs, str(get_locale()), request.script_root)
    markup = _kept.get(key)
    if markup is None:
        # The body's scripts ask csp_nonce() for their nonce, its forms csrf_token() for their token (Flask-WTF keeps
        # it on g for the request): they get the slots.
        nonce, token_name = csp_nonce(), current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        token = g.pop(token_name, None)
        g.csp_nonce = NONCE_SLOT
        setattr(g, token_name, CSRF_SLOT)
        try:
            markup = str(caller())
        finally:
            g.csp_nonce = nonce
            g.pop(token_name)
            if token is not None:
                setattr(g, token_name, token)
        if len(_kept) >= _MOST:
            _kept.clear()
        _kept[key] = markup
    if CSRF_SLOT in markup:
        markup = markup.replace(CSRF_SLOT, generate_csrf())
    return with_nonce(markup)


def register(app) -> None:
    app.add_template_global(kept)
