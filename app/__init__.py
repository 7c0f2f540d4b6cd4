"""首都市民学习之星评选系统: the Flask application factory."""
import logging

from flask import Flask, current_app
from flask_appbuilder import AppBuilder
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import csrf, db, migrate


@event.listens_for(Engine, "connect")
def _sqlite_settings(dbapi_connection, connection_record):
    # SQLite checks foreign keys (and so ON DELETE rules) only when asked, per connection. A writer waits up to 30 s
    # for another's lock (the default is 5 s): the embedded setup's gunicorn workers and a running backup share one file.
    # Write-ahead logging (a setting of the file, kept once set): readers and the one writer no longer wait for each
    # other, so a citizen's save does not wait for a long read (an export job's), nor a job's progress for its own read.
    # The file's -wal and -shm beside it are part of the database: copy it with `flask backup create`, never by hand.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")  # an in-memory database answers "memory" and stays so
        cursor.close()


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_object("config")
    if config:
        app.config.update(config)
    from app.accounts import password_complexity

    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_complexity)
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)

    from app import bounds, request_limits

    # The body's size is checked first, before anything reads it: bounds' text check and CSRF's read the form.
    request_limits.init_app(app)
    bounds.install(app)
    with app.app_context():
        db.init_app(app)
        from app import prepared

        prepared.install(db.engine)
        csrf.init_app(app)
        from app import jobs

        jobs.init_app(app)
        migrate.init_app(app, db, directory=str(app.config["BASE_DIR"] / "migrations"), render_as_batch=True)
        appbuilder = AppBuilder()
        appbuilder.init_app(app, db.session)
        from app import translations

        translations.install(app)  # after FAB has set Flask-Babel up
        register_views(appbuilder)
        from app.views.presentation import register_template_filters

        register_template_filters(app)
        from app import fragments, navbar, static_urls

        fragments.register(app)
        navbar.register(app)
        static_urls.register(app)
        from app.errors import register_error_pages

        register_error_pages(app)
        from app.headers import register_security_headers

        register_security_headers(app)
        from app.api_csrf import register_api_csrf

        register_api_csrf(app)
        register_presentation(app)
        from app import audit  # installs the audit listener

        audit.register_request_audit(app)
        from app.cli import register_commands

        register_commands(app)
    return app


def register_presentation(app: Flask) -> None:
    """The `format_time` template filter (Beijing time, one format) and the favicon browsers ask for at the root."""
    from flask import send_from_directory

    from app.display import format_time

    app.add_template_filter(format_time)
    app.add_url_rule(
        "/favicon.ico", "favicon",
        lambda: send_from_directory(app.static_folder, "img/favicon.ico", mimetype="image/vnd.microsoft.icon"),
    )


def register_views(appbuilder: AppBuilder) -> None:
    from app.api.campaigns import CampaignApi, StageWindowApi
    from app.api.applications import ApplicationApi
    from app.api.my_application import MyApplicationApi
    from app.api.review_progress import ReviewProgressApi
    from app.api.my_review import MyReviewApi, ReviewReopenApi
    from app.api.units import UnitApi
    from app.api.openapi import OpenApi
    from flask_appbuilder.api.manager import SwaggerView
    from app.api.experts import ExpertApi, ReviewRoundApi
    from app.views.experts import ExpertConflictView, ExpertPanelView, ExpertView, ReviewSettingsView
    from app.views.accounts import UnitAccountView
    from app.views.assignment import ExpertDeclineView, ReviewAssignmentView
    from app.api.assignment import ReviewAssignmentApi
    from app.api.jobs import JobApi
    from app.views.applications import ApplicationView
    from app.views.apply import ApplicationFileView, CitizenApplicationView
    from app.views.citizens import CitizenRegisterView
    from app.views.expert_review import ExpertReviewView, ReviewRecordView
    from app.views.past_winners import PastWinnerView
    from app.views.review_progress import ReviewProgressView
    from app.views.review_settings import RecommendationQuotaView, UnitSubmissionView
    from app.views.audit import AuditEventView
    from app.views.campaigns import CampaignView, StageWindowView
    from app.views.home import ContactView
    from app.views.publicity import FinalListView, PublicNoticeView
    from app.api.public import PublicApi
    from app.views.role_permissions import RolePermissionView
    from app.views.units import FirstLevelUnitView, SecondLevelUnitView
    from app.views.ranking import CandidateView, RankingView
    from app.api.ranking import RankingApi
    from app.views.certificates import CertificateView, MyCertificateView, PublicCertificateView
    from app.api.certificates import CertificateApi, PublicCertificateApi
    from app.api.objections import ObjectionApi
    from app.views.objections import ObjectionView
    from app.views.objections_public import ObjectionPublicView
    from app.views.approval import ApprovalView
    from app.api.approval import ApprovalApi
    from app.views.dashboard import DashboardView

    # 工作台: first in the menu (before FAB's own 用户权限, added before these), the staff's page after sign-in
    # (app/security.py).
    appbuilder.add_view(DashboardView, "Dashboard", label=_l("工作台"), icon="fa-tachometer")
    menu = appbuilder.menu.get_list()
    menu.insert(0, menu.pop(next(i for i, item in enumerate(menu) if item.name == "Dashboard")))

    campaigns = "Campaigns"
    appbuilder.add_view(
        CampaignView, "CampaignList", label=_l("评选批次"), icon="fa-flag", category=campaigns,
        category_label=_l("评选管理"), category_icon="fa-star",
    )
    appbuilder.add_view(StageWindowView, "Schedule", label=_l("时间安排"), icon="fa-calendar", category=campaigns)
    appbuilder.add_view(PastWinnerView, "PastWinners", label=_l("历届学习之星"), icon="fa-trophy", category=campaigns)
    appbuilder.add_view(RecommendationQuotaView, "Quotas", label=_l("推荐名额"), icon="fa-sliders", category=campaigns)

    appbuilder.add_view(
        CitizenApplicationView, "MyApplication", label=_l("我的报名"), icon="fa-edit", category="Apply",
        category_label=_l("在线报名"), category_icon="fa-user",
    )
    appbuilder.add_view(
        ApplicationView, "Applications", label=_l("报名信息"), icon="fa-list", category="Review",
        category_label=_l("评审推荐"), category_icon="fa-check-square-o",
    )
    appbuilder.add_view(UnitSubmissionView, "UnitSubmissions", label=_l("提交情况"), icon="fa-inbox", category="Review")

    units = "Units"
    appbuilder.add_view(
        FirstLevelUnitView, "FirstLevelUnits", label=_l("一级单位"), icon="fa-building", category=units,
        category_label=_l("单位与账号"), category_icon="fa-sitemap",
    )
    appbuilder.add_view(SecondLevelUnitView, "SecondLevelUnits", label=_l("二级单位"), icon="fa-home", category=units)
    appbuilder.add_view(UnitAccountView, "UnitAccounts", label=_l("单位账号"), icon="fa-id-card", category=units)

    # 专家评审: the city office's setup (experts, panels, conflicts, settings), the rounds' progress and reviews, and
    # the expert's own 我的评审 (their first page after sign-in).
    expert_review = "ExpertReview"
    appbuilder.add_view(
        ExpertView, "Experts", label=_l("专家"), icon="fa-graduation-cap", category=expert_review,
        category_label=_l("专家评审"), category_icon="fa-balance-scale",
    )
    appbuilder.add_view(ExpertPanelView, "ExpertPanels", label=_l("专家组"), icon="fa-users", category=expert_review)
    appbuilder.add_view(ExpertConflictView, "ExpertConflicts", label=_l("回避关系"), icon="fa-ban",
                        category=expert_review)
    appbuilder.add_view(ReviewSettingsView, "ReviewSettings", label=_l("评审设置"), icon="fa-sliders",
                        category=expert_review)
    appbuilder.add_view(ReviewAssignmentView, "ReviewAssignments", label=_l("评审分配"), icon="fa-random",
                        category=expert_review)
    appbuilder.add_view_no_menu(ExpertDeclineView)
    appbuilder.add_view(ReviewProgressView, "ReviewProgress", label=_l("评审进度"), icon="fa-tasks",
                        category=expert_review)
    appbuilder.add_view(ReviewRecordView, "ReviewRecords", label=_l("评审记录"), icon="fa-list-alt",
                        category=expert_review)
    appbuilder.add_view(RankingView, "Ranking", label=_l("评审排名"), icon="fa-sort-amount-desc",
                        category=expert_review)
    appbuilder.add_view(CandidateView, "Candidates", label=_l("拟评选名单"), icon="fa-star-o", category=expert_review)
    appbuilder.add_view(ExpertReviewView, "MyReview", label=_l("我的评审"), icon="fa-pencil-square-o",
                        category=expert_review)

    # 公示与表彰: the city office's objection register (异议处理; the public's pages are /gongshi/yiyi/) and
    # 荣誉证书 (the public check of a code is /zhengshu/).
    publicity = "Publicity"
    appbuilder.add_view(
        ObjectionView, "Objections", label=_l("异议处理"), icon="fa-comments", category=publicity,
        category_label=_l("公示与表彰"), category_icon="fa-bullhorn",
    )
    # 审核确定 records the leading group's decision and gives the official lists (app/views/approval.py).
    appbuilder.add_view(ApprovalView, "Approval", label=_l("审核确定"), icon="fa-gavel", category=publicity)
    appbuilder.add_view(CertificateView, "Certificates", label=_l("荣誉证书"), icon="fa-certificate",
                        category=publicity)
    appbuilder.add_view_no_menu(MyCertificateView)

    appbuilder.add_view(
        AuditEventView, "AuditLog", label=_l("审计日志"), icon="fa-history", category="Audit",
        category_label=_l("审计"), category_icon="fa-eye",
    )
    # FAB's 用户权限 category: the security administrator's Chinese editor of the six roles' permissions and the
    # roles each account holds (三员分立, app/duties.py).
    appbuilder.add_view(RolePermissionView, "RolePermissions", label=_l("角色权限"), icon="fa-key", category="Security")
    from app.security import AccountRoleView

    appbuilder.add_view(AccountRoleView, "AccountRoles", label=_l("账号授权"), icon="fa-user-plus", category="Security")
    appbuilder.add_view_no_menu(ContactView)
    # 公示 and the approved list: public pages at addresses a newspaper can print (/gongshi, /mingdan).
    appbuilder.add_view_no_menu(PublicNoticeView)
    appbuilder.add_view_no_menu(FinalListView)
    register = appbuilder.add_view_no_menu(CitizenRegisterView)
    # FAB limits its sign-in form; the same limit covers registration (the captcha slows a person, not a script)
    # and the REST sign-in, which would otherwise take unlimited password guesses.
    limit = appbuilder.sm.limiter.limit(lambda: current_app.config["AUTH_RATE_LIMIT"], methods=["POST"])
    limit(register.blueprint)
    from flask_appbuilder.security.api import SecurityApi

    for view in appbuilder.baseviews:
        if isinstance(view, SecurityApi):
            limit(view.blueprint)
    appbuilder.add_view_no_menu(ApplicationFileView)
    # 我的任务: background jobs' pages (app/jobs.py), each its owner's alone.
    from app.views.jobs import JobView

    appbuilder.add_view_no_menu(JobView)
    # 我的通知 (app/notifications.py): every account's, reached from the navbar's bell with its unread count.
    from app.views.notifications import NotificationView
    from app.views.notifications import register as register_unread_count

    appbuilder.add_view_no_menu(NotificationView)
    register_unread_count(current_app)
    # Its menu entry, second after 工作台, for the roles that start jobs (roles.yaml: MyJobs menu_access). The pages
    # themselves need no permission: a job is its owner's alone (app/views/jobs.py).
    appbuilder.add_link("MyJobs", href="JobView.mine", label=_l("我的任务"), icon="fa-hourglass-half")
    menu = appbuilder.menu.get_list()
    menu.insert(1, menu.pop(next(i for i, item in enumerate(menu) if item.name == "MyJobs")))
    # Anyone may check a certificate's code, a limited number of times a minute per address (no bulk guessing).
    certificate_limit = appbuilder.sm.limiter.limit(lambda: current_app.config["CERTIFICATE_RATE_LIMIT"])
    certificate_limit(appbuilder.add_view_no_menu(PublicCertificateView).blueprint)
    certificate_limit(appbuilder.add_api(PublicCertificateApi).blueprint)
    # 公示异议 from the public: its own count per address (lodging and looking up), POST only.
    objection_form = appbuilder.add_view_no_menu(ObjectionPublicView)
    appbuilder.sm.limiter.limit(lambda: current_app.config["OBJECTION_RATE_LIMIT"], methods=["POST"])(
        objection_form.blueprint
    )
    # Captcha images: each one draws a picture and keeps its answer on the server (app/captcha.py), so an address
    # may ask only so many a minute. The views' blueprints are limited for POST only: the image's own endpoint here.
    captcha_limit = appbuilder.sm.limiter.limit(lambda: current_app.config["CAPTCHA_RATE_LIMIT"])
    view_functions = current_app.view_functions
    for endpoint in ("PortalAuthDBView.captcha", "CitizenRegisterView.captcha", "ObjectionPublicView.captcha"):
        view_functions[endpoint] = captcha_limit(view_functions[endpoint])

    appbuilder.add_api(UnitApi)
    appbuilder.add_api(CampaignApi)
    appbuilder.add_api(StageWindowApi)
    appbuilder.add_api(MyApplicationApi)
    appbuilder.add_api(MyReviewApi)
    appbuilder.add_api(ReviewReopenApi)
    appbuilder.add_api(ApplicationApi)
    appbuilder.add_api(ReviewProgressApi)
    appbuilder.add_api(ExpertApi)
    appbuilder.add_api(ReviewRoundApi)
    appbuilder.add_api(RankingApi)
    appbuilder.add_api(ReviewAssignmentApi)
    appbuilder.add_api(JobApi)
    appbuilder.add_api(PublicApi)
    appbuilder.add_api(CertificateApi)
    appbuilder.add_api(ObjectionApi)
    appbuilder.add_api(ApprovalApi)
    from app.api.notifications import NotificationApi

    appbuilder.add_api(NotificationApi)
    appbuilder.add_api(OpenApi)  # FAB's, the document kept once built (FAB_ADD_OPENAPI_VIEWS is off)
    appbuilder.add_view_no_menu(SwaggerView)
