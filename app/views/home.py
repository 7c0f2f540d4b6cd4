"""The front page (schedule of the current campaign) and the contact page: both public."""
from flask_appbuilder import BaseView, IndexView, expose
from flask_babel import lazy_gettext as _l

from app import clock, publicity
from app.schedule import current_campaign, format_time, windows_of

# The notice's contacts (七(六)). The support desk also unlocks accounts (app/signin.py's lock message names it).
SUPPORT_DESK_PHONE = "82364980"
CONTACTS = [
    {"name": "卫宏", "phone": "13911588771"},
    {"name": "杜秀英", "phone": "13681511737"},
    {"name": "陈敬文", "phone": "51994718"},
    {"name": _l("技术支持"), "phone": SUPPORT_DESK_PHONE},
]


class HomeView(IndexView):
    route_base = ""

    @expose("/")
    def index(self):
        campaign = current_campaign()
        return self.render_template(
            "home.html",
            campaign=campaign,
            windows=windows_of(campaign) if campaign else [],
            now=clock.now(),
            format_time=format_time,
            notice=publicity.notice_of(campaign),
            earlier_list=publicity.latest_approved_campaign(),  # /mingdan's list until this campaign's is approved
        )


class ContactView(BaseView):
    route_base = "/contact"
    default_view = "index"

    @expose("/")
    def index(self):
        return self.render_template("contact.html", contacts=CONTACTS)
