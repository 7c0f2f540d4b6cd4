"""Parts of the page layout written once per process, not once per page: the stylesheets of every page's <head> and
the scripts of its <head> and foot (portal_layout.html), and the navbar as each user sees it (navbar.html).

The head and foot are the same on every page but for the script nonce: some thirty files' URLs, each script's nonce
through FAB's macro, and the select2 texts in the page's language; 0.9 ms of a worker's CPU per page, a sixth of the
signed-in home page's. The navbar is the same on each of a user's pages while the menu they may open, their name,
the language and their unread count stay the same; 0.9 ms more. Each part is kept with a slot where the nonce goes,
and each page puts its own nonce in. The key is the part's name, what the template names as the part's inputs, the
language and the application's root path (the URLs start with it).

    {% call kept("tail_js") %}…{% endcall %}
    {% call kept("navbar", current_user.id, unread, …) %}…{% endcall %}"""
from flask import g, request
from flask_babel import get_locale
from markupsafe import Markup

from app.headers import NONCE_SLOT, csp_nonce, with_nonce

_kept: dict[tuple, str] = {}
_MOST = 2048  # a few parts × languages, and a navbar per user signed in to this worker lately (about 6 KB each)


def kept(name: str, *inputs, caller) -> Markup:
    """The part `name` as its block writes it (`caller`, the body of the template's call block), once per process
    for each value of its inputs (hashable), language and root path; this page's nonce in it."""
    key = (name, inputs, str(get_locale()), request.script_root)
    markup = _kept.get(key)
    if markup is None:
        nonce = csp_nonce()
        g.csp_nonce = NONCE_SLOT  # the body's scripts ask csp_nonce() for their nonce: they get the slot
        try:
            markup = str(caller())
        finally:
            g.csp_nonce = nonce
        if len(_kept) >= _MOST:
            _kept.clear()
        _kept[key] = markup
    return with_nonce(markup)


def register(app) -> None:
    app.add_template_global(kept)
