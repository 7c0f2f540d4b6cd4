"""Every page still works under the Content-Security-Policy (app/headers.py), in Debian's Chromium: the main pages of
every role, and the anonymous visitor's, with their widgets used (FAB's list search and actions, select2, the date
pickers, the dashboard's charts, the application form's upload, the expert's running total, the captcha, the print
button, a confirm() before a final step). Not one `securitypolicyviolation` event and not one console error.

The headers themselves, on every kind of answer, are tests/test_headers.py's."""
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app import clock, roles, storage
from app.extensions import db
from app.models import AuditEvent, Stage
from tests import factories
from tests.dashboard_setup import World
from tests.media import corpus
from tests.views.test_expert_review import scoring_world

# Playwright adds this before any of the page's own scripts, in every document; the CSP does not apply to it.
REPORT_VIOLATIONS_JS = """
document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(
  [e.violatedDirective, e.blockedURI, e.sourceFile + ':' + e.lineNumber, e.sample].join(' | ')));
"""


class Watch:
    """A page whose CSP violations, console errors and uncaught exceptions are collected, with the page they were on."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        self.visited = []
        page.context.expose_binding(
            "reportViolation", lambda source, text: self.problems.append(f"CSP on {self.path()}: {text}"))
        page.add_init_script(REPORT_VIOLATIONS_JS)
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console on {self.path()}: {m.text}"))
        page.on("pageerror", lambda error: self.problems.append(f"exception on {self.path()}: {error}"))

    def path(self):
        return urlsplit(self.page.url).path

    def visit(self, path, expected_status=200):
        response = self.page.goto(path)
        assert response.status == expected_status, f"{path}: {response.status}"
        self.page.wait_for_load_state("load")
        self.visited.append(path)
        if expected_status != 200:  # Chromium logs the error page's own status as an error: that one is expected
            own = f"console on {path}: Failed to load resource: the server responded with a status of {expected_status}"
            self.problems = [problem for problem in self.problems if not problem.startswith(own)]
        return response

    def log_in(self, account):
        page = self.page
        page.goto("/logout/")
        self.visit("/login/")
        page.fill("#username", account.username)
        page.fill("#password", factories.PASSWORD)
        with page.expect_navigation():
            page.click("input[type=submit]")
        assert urlsplit(page.url).path != "/login/", f"login of {account.username} failed"
        page.wait_for_load_state("load")

    def open_select2(self):
        """The first select2 box opens its list (FAB's related-field widget) and closes again."""
        page = self.page
        page.locator(".select2-container").first.click()
        page.wait_for_selector(".select2-results__option", state="visible")
        page.keyboard.press("Escape")

    def open_date_picker(self):
        """The portal's date-time field opens its calendar (flatpickr, static/js/datetime-field.js)."""
        page = self.page
        page.locator(".dt-open").first.click()
        page.wait_for_selector(".flatpickr-calendar.open", state="visible")
        page.keyboard.press("Escape")

    def use_list_search(self, column=None):
        """FAB's list search: a filter row built by ab_filters.js, its operator a select2 box."""
        page = self.page
        page.locator("a.accordion-toggle", has_text="搜索").click()
        page.click("button:has-text('添加过滤条件')")
        page.locator(f"a.filter[name={column}]" if column else "a.filter").first.click()
        page.locator("td.filter .select2-container").first.click()
        page.wait_for_selector(".select2-results__option", state="visible")
        page.keyboard.press("Escape")

    def assert_clean(self):
        assert self.problems == [], "\n".join(self.problems)

    def assert_violations_are_seen(self):
        """The watch itself works: a script added without the nonce is refused, and reported."""
        self.page.evaluate("() => document.body.appendChild(Object.assign(document.createElement('script'), "
                           "{textContent: 'window.injected = true'}))")
        self.page.wait_for_function("() => true")
        assert self.page.evaluate("() => window.injected") is None
        seen = [problem for problem in self.problems if problem.startswith("CSP on") and "script-src" in problem]
        assert seen, self.problems
        self.problems = [problem for problem in self.problems if problem not in seen and "Content Security" not in problem]


@pytest.fixture
def watch(page):
    return Watch(page)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """A real photo and video, for the pages that show an application's (the factories store names only)."""
    video = tmp_path_factory.mktemp("csp-media") / "video.mp4"
    corpus.clip(video)
    return corpus.encoded(corpus.portrait(), "JPEG"), video.read_bytes()


def attach_media(media, *applications):
    photo, video = media
    for application in applications:
        application.photo_file = storage.store_bytes(photo, "photo", "jpg")
        application.video_file = storage.store_bytes(video, "video", "mp4")
    db.session.commit()


def test_staff_pages_of_every_role_work_under_the_policy(watch, live_server, media):
    world = World()
    page = watch.page
    # In the first-level clerk's district, with real media (the detail page shows them).
    application = next(a for a in world.applications if a.status == "l1_recommended")
    attach_media(media, application)
    window = world.campaign.window(Stage.APPLY)

    watch.log_in(world.city)
    assert watch.path() == "/dashboard/"
    assert page.evaluate("() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
                         ".every(c => window.Chart && Chart.getChart(c))")
    watch.visit("/applications/list/")
    watch.use_list_search()
    page.click(".btn-group:has(.dropdown-toggle) >> nth=0")  # FAB's 操作 dropdown (ab_actions.js)
    watch.visit(f"/applications/show/{application.id}")
    watch.visit(f"/applications/print/{application.id}")
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("[data-print]")
    assert page.evaluate("() => window.printed") == 1
    watch.visit(f"/campaigns/windows/edit/{window.id}")
    watch.open_date_picker()
    watch.visit("/campaigns/add")
    watch.visit("/units/second-level/add")
    watch.open_select2()
    watch.visit(f"/units/first-level/edit/{world.a.id}")
    watch.visit("/units/first-level/list/")
    watch.visit("/accounts/add")
    watch.open_select2()
    watch.visit("/users/list/")
    watch.visit("/users/add")
    watch.open_select2()
    for path in ("/experts/list/", "/expert-panels/list/", "/expert-panels/add", "/review-assignments/",
                 "/review-progress/", "/review-records/", "/ranking/", "/candidates/", "/objections/list/",
                 "/approval/", "/certificates/list/", "/quotas/list/", "/past-winners/list/", "/submissions/list/",
                 "/swagger/v1", "/contact/"):
        watch.visit(path)
    watch.visit("/expert-panels/add")
    watch.open_select2()
    # 结束本轮 asks first (data-confirm, static/js/page-actions.js): dismissed, nothing is sent.
    watch.visit("/review-progress/")
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.click("#close-round-form button[type=submit]")
    assert dialogs and "确定结束本轮吗" in dialogs[0] and watch.path() == "/review-progress/"
    watch.visit("/applications/show/999999", expected_status=404)

    # 角色权限 and 账号授权 are the security administrator's (三员分立, app/duties.py).
    watch.log_in(factories.account(roles.SECURITY_ADMIN, username="secadmin"))
    watch.visit("/role-permissions/")
    watch.visit("/account-roles/list/")

    watch.log_in(world.auditor)
    watch.visit("/audit/list/")
    watch.use_list_search("at")
    watch.open_date_picker()  # the filter's own date-time field
    event = db.session.query(AuditEvent).first()
    watch.visit(f"/audit/show/{event.id}")

    watch.log_in(world.l1)
    watch.visit("/applications/list/")
    watch.visit("/units/second-level/list/")
    watch.visit("/accounts/list/")
    watch.visit(f"/applications/show/{application.id}")

    watch.log_in(world.l2)
    watch.visit("/applications/list/")
    watch.visit("/submissions/list/")

    watch.log_in(world.expert_account)
    assert watch.path() == "/expert/"
    watch.assert_violations_are_seen()
    watch.assert_clean()
    assert len(watch.visited) > 40


def test_the_expert_review_page_works_under_the_policy(watch, live_server, media):
    world = scoring_world()
    attach_media(media, world["first"])
    page = watch.page
    watch.log_in(world["alice"].account)
    watch.visit(f"/expert/review/{world['mine'][0].id}")
    for input_ in page.locator("input.score-input").all():
        input_.fill("8")
    assert page.inner_text("#running-total") == "80.00"  # static/js/expert-review.js ran
    page.locator(".quick-pick").first.click()
    watch.assert_clean()


def test_the_application_form_and_its_upload_work_under_the_policy(watch, live_server, tmp_path):
    now = datetime(2026, 4, 10, 9, 0)
    clock.freeze(now)
    factories.campaign(open_stage=Stage.APPLY, at=now)
    factories.district_with_streets("海淀区", ("中关村街道",))
    page = watch.page
    watch.log_in(factories.account(roles.APPLICANT, username="13911588771"))
    watch.visit("/apply/")
    with page.expect_response(lambda r: "/apply/units?category=district" in r.url):
        page.select_option("#category", label="区")
    photo = tmp_path / "照片.jpg"
    photo.write_bytes(corpus.encoded(corpus.portrait(), "JPEG"))
    page.set_input_files("#photo", photo)
    page.wait_for_function("() => document.getElementById('photo-status').textContent.includes('已上传')")
    page.wait_for_function("() => document.getElementById('photo-preview').naturalWidth > 0")
    watch.assert_clean()


def test_public_pages_work_under_the_policy(watch, live_server):
    campaign = factories.campaign(open_stage="publicity")
    photo = storage.store_bytes(corpus.encoded(corpus.portrait((300, 420)), "JPEG"), "photo", "jpg")
    candidates = factories.candidates(3, campaign, featured=1, photo_file=photo)
    page = watch.page
    watch.visit("/")
    watch.visit("/gongshi")
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert page.locator("#pub-list > li").count() == len(candidates)
    watch.visit("/mingdan")
    watch.visit("/zhengshu/")
    for path, image in (("/gongshi/yiyi/", "/gongshi/yiyi/captcha.png"), ("/register/", "/register/captcha.png")):
        watch.visit(path)
        # 看不清，换一张: the inline script (with the nonce) asks for a new image.
        with page.expect_response(lambda r, image=image: image in r.url):
            page.click("#captcha-refresh")
    watch.visit("/gongshi/yiyi/chaxun")
    watch.visit("/login/")
    watch.visit("/no-such-page", expected_status=404)
    watch.assert_clean()
