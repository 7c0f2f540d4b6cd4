"""The public pages of 公示 (/gongshi) and of the approved list (/mingdan): no sign-in, short addresses a newspaper
can print, light pages for a phone. The data comes from app/publicity.py, as for the public API."""
from flask import abort, g, request, send_file
from flask_appbuilder import BaseView, expose
from flask_babel import get_locale

from app import publicity
from app.views.home import CONTACTS

# Shown at most 96×128 CSS px in the list; the copy is 240×320 at most, so a 2× phone screen stays sharp.
THUMB_WIDTH, THUMB_HEIGHT = 96, 128
OBJECTION_PATH = "/gongshi/yiyi/"  # the objection form (异议), another view's
PHOTO_MAX_AGE = 3600  # a withdrawn candidate's photo leaves shared caches within the hour


def _render(view: BaseView, template: str, **context):
    lang = "en" if str(get_locale() or "zh").startswith("en") else "zh-CN"
    return view.render_template(template, lang=lang, contacts=CONTACTS, thumb_width=THUMB_WIDTH,
                                thumb_height=THUMB_HEIGHT, **context)


class PublicNoticeView(BaseView):
    """公示: the candidates while the notice runs, searchable; what the period was before and after it."""

    route_base = "/gongshi"
    default_view = "index"

    @expose("/")
    @expose("")  # registered first (decorators apply bottom-up): url_for gives the printed address, no slash
    def index(self):
        notice = publicity.notice_of()
        q = request.args.get("q", "").strip()[:50]
        everyone = publicity.candidates(notice)
        shown = publicity.search(everyone, q)
        return _render(self, "public/gongshi.html", notice=notice, q=q, candidates=shown, total=len(everyone),
                       featured=sum(1 for row in everyone if row.featured),
                       objection_path=OBJECTION_PATH)

    @expose("/photo/<int:application_id>.jpg")
    def photo(self, application_id):
        published = publicity.published_photo(application_id)
        if published is None:
            abort(404)
        response = send_file(published.path, mimetype="image/jpeg", etag=published.etag, conditional=True,
                             max_age=PHOTO_MAX_AGE)
        response.headers["Cache-Control"] = f"public, max-age={PHOTO_MAX_AGE}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        g.shared_cache_response = True  # no session cookie on it (app/security.py)
        return response


class FinalListView(BaseView):
    """首都市民学习之星名单: the approved list of the current campaign (until it is approved, of the latest approved
    one), the featured first."""

    route_base = "/mingdan"
    default_view = "index"

    @expose("/")
    @expose("")  # registered first (decorators apply bottom-up): url_for gives the printed address, no slash
    def index(self):
        listed = publicity.final_list()
        return _render(self, "public/mingdan.html", listed=listed, notice=publicity.notice_of())  # the current
