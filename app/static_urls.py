"""Static files' URLs in templates, worked out once per process: a page names some 28 scripts, styles and icons,
each a route lookup in Flask's url_for (a few percent of a list page's time). A static file's URL depends only on
the endpoint, the file name and the application's root path, which are the key; any other call is url_for's."""
from flask import has_request_context, request, url_for

_STATIC = frozenset({"static", "appbuilder.static"})
_urls: dict[tuple[str, str, str], str] = {}
_MOST = 2048  # the files the templates name; bounded anyway


def template_url_for(endpoint: str, **values) -> str:
    if endpoint in _STATIC and values.keys() == {"filename"} and has_request_context():
        key = (request.script_root, endpoint, values["filename"])
        url = _urls.get(key)
        if url is None:
            url = url_for(endpoint, **values)
            if len(_urls) >= _MOST:
                _urls.clear()
            _urls[key] = url
        return url
    return url_for(endpoint, **values)


def register(app) -> None:
    app.jinja_env.globals["url_for"] = template_url_for
