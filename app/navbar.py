"""The navbar's menu, rendered once per process for each language and set of entries the user may open.

FAB renders it on every page: a permission check, a translation and a route lookup for each of some 30 entries, a
fifth of a list page's rendering. What it shows depends only on which entries are visible (asked every request, from
the permissions read once per request, so a change in 角色权限 shows on the next page), the language and the
application's root path: that is the key, and nothing of the user is kept."""
from flask import current_app, render_template, request
from flask_babel import get_locale
from markupsafe import Markup

_rendered: dict[tuple, Markup] = {}
# A few roles × languages; bounded anyway, in case of many custom roles.
_MOST = 256


def _entries(menu):
    for item in menu.get_list():
        yield item
        yield from (child for child in item.childs or () if child and child.name != "-")


def navbar_entries(menu) -> tuple[str, ...]:
    """The menu's entries this user may open (from the permissions read once per request)."""
    sm = current_app.appbuilder.sm
    return tuple(item.name for item in _entries(menu) if sm.has_access("menu_access", item.name))


def navbar_menu(menu, visible: tuple[str, ...] | None = None) -> Markup:
    visible = navbar_entries(menu) if visible is None else visible
    key = (id(menu), str(get_locale()), request.script_root, visible)
    html = _rendered.get(key)
    if html is None:
        html = Markup(render_template("appbuilder/navbar_menu_entries.html", menu=menu))
        if len(_rendered) >= _MOST:
            _rendered.clear()
        _rendered[key] = html
    return html


def register(app) -> None:
    app.add_template_global(navbar_menu)
    app.add_template_global(navbar_entries)
