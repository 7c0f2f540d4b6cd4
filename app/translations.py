"""Each page's translations looked up once per request, not once per string.

Flask-Babel finds the catalogue anew for every string it translates: its request namespace on `g` (three lookups
through Flask's context proxies), the request's locale (three more, and the locale's name built again), then its
cache of catalogues. A review list page translates about 70 strings in its templates and labels: 1.3–1.5 ms of a
worker's CPU per page, a fifth of the signed-in home page's (bench/list_inprocess.py).

Here the catalogue found first is kept in Flask-Babel's own request namespace beside the locale it was found for,
and used again while that locale stands: `force_locale` (app/permissions.py keeps its log in Chinese) and
`refresh()` replace the locale object, so the next string finds its catalogue again. Outside a request, Flask-Babel
answers as before."""
from flask import Flask, g
from flask_babel import Domain, get_babel

_KEPT = "portal_translations"


class RequestDomain(Domain):
    """Flask-Babel's message domain, its catalogue kept for the request."""

    def get_translations(self):
        try:
            context = g._get_current_object()._flask_babel
            locale, translations = getattr(context, _KEPT)
            if locale is context.babel_locale:
                return translations
        except (RuntimeError, AttributeError):  # outside a request, or not yet found in this one
            pass
        translations = super().get_translations()
        context = g.get("_flask_babel") if g else None
        locale = getattr(context, "babel_locale", None)
        if locale is not None:
            setattr(context, _KEPT, (locale, translations))
        return translations


def install(app: Flask) -> None:
    """After FAB has set Flask-Babel up: its domain, and the templates' `_()` and `ngettext()` through it."""
    babel = get_babel(app).instance
    domain = babel.domain_instance = RequestDomain(domain=babel.domain)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
