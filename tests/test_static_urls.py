"""Static files' URLs in templates are worked out once per process (app/static_urls.py): the same URLs as Flask's
url_for, for each application root the portal is served under."""
from flask import url_for

from app import static_urls


def test_pages_name_their_static_files_under_the_application_root(app):
    client = app.test_client()
    plain = client.get("/login/").text
    assert 'src="/static/js/page-actions.js"' in plain
    # The same process behind a path prefix (SCRIPT_NAME, e.g. nginx's location /portal/): its own URLs, not the
    # ones worked out first.
    mounted = client.get("/login/", environ_overrides={"SCRIPT_NAME": "/portal"}).text
    assert 'src="/portal/static/js/page-actions.js"' in mounted and 'src="/static/' not in mounted
    assert 'src="/portal/static/img/logo.svg"' in mounted  # the navbar's logo (APP_ICON) too
    assert 'src="/static/js/page-actions.js"' in client.get("/login/").text


def test_other_urls_are_url_fors(app):
    with app.test_request_context("/"):
        assert static_urls.template_url_for("static", filename="css/portal.css") == url_for(
            "static", filename="css/portal.css")
        assert static_urls.template_url_for("static", filename="x.css", _external=True) == url_for(
            "static", filename="x.css", _external=True)
        assert static_urls.template_url_for("ApplicationView.list") == url_for("ApplicationView.list")
