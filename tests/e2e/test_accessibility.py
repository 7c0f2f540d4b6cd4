"""Accessibility sweep (GB/T 37668-2019, WCAG 2.0 AA; SPEC R-OPS-9): every role signs in and axe-core finds no
critical or serious violation on any page of its menu, nor on a list's first detail page and its add and edit forms,
nor on the main action pages; the public pages are checked without signing in.

The data is the dashboard's world (tests/dashboard_setup.py: a campaign in 一级单位推荐上报 with applications in every
state, a review round with scores, objections) and a citizen's own application. A page's findings are collected and
the test fails once at the end with every page's list, so one run shows everything there is to fix.
"""
import re
from datetime import datetime
from urllib.parse import urlsplit

import pytest

from app import clock, roles
from app.models import Stage
from tests import factories
from tests.browser.accessibility import FAILING_IMPACTS, assert_accessible, axe_violations
from tests.browser.signing import log_in as sign_in
from tests.certificate_setup import winners
from tests.dashboard_setup import World
from tests.views.test_expert_review import scoring_world

# Links of a list page leading to a record's detail or edit page, or to the add form (FAB's and ours).
RECORD_LINKS = re.compile(r"/(show|edit)/\d+$|/add$")
# Links never followed: they change something, leave the app, or send a file rather than a page.
NOT_A_PAGE = re.compile(
    r"/logout|/download|/export|\.xlsx|\.pdf|\.png|\.jpg|\.mp4|/captcha|/api/|/swagger|/print|/lang/|/delete/"
    r"|/application-files/|/photo|/video|\?_flt|/action"
)


class Sweep:
    """Visits pages, runs axe on each, and keeps the failing findings per rule and element, with the pages."""

    def __init__(self, page):
        self.page = page
        self.findings = {}  # (rule, impact, help) -> {element: [pages]}
        self.visited = []

    def check(self, path, context="", status=200):
        response = self.page.goto(path)
        assert response is not None and response.status == status, f"{path}: {response and response.status}"
        self.check_current(context or path)

    def check_current(self, context):
        self.visited.append(urlsplit(self.page.url).path)
        for v in axe_violations(self.page):
            if v["impact"] in FAILING_IMPACTS:
                elements = self.findings.setdefault((v["id"], v["impact"], v["help"]), {})
                for node in v["nodes"]:
                    elements.setdefault(f"{node['target']}  {node['html'][:120]}", []).append(context)

    def links(self, selector="a[href]"):
        return self.page.eval_on_selector_all(selector, "links => links.map(a => a.getAttribute('href'))")

    def menu(self):
        """The navbar's links (its dropdowns included), in order, once each."""
        seen = []
        for href in self.links(".navbar a[href]"):
            if href.startswith("/") and not NOT_A_PAGE.search(href) and href not in seen:
                seen.append(href)
        return seen

    def sweep_menu(self):
        """Every menu page, and from each its first detail, edit and add pages (one of each pattern in all)."""
        patterns = set()
        for href in self.menu():
            self.check(href, f"menu {href}")
            for link in self.links():
                path = urlsplit(link).path
                if not RECORD_LINKS.search(path) or NOT_A_PAGE.search(link) or not path.startswith("/"):
                    continue
                pattern = re.sub(r"\d+", "N", path)
                if pattern not in patterns:
                    patterns.add(pattern)
                    self.check(link, f"from {href}: {pattern}")

    def assert_clean(self):
        lines = []
        for (rule, impact, help_), elements in sorted(self.findings.items()):
            lines.append(f"- {rule} [{impact}] {help_}")
            for element, pages in elements.items():
                lines.append(f"    {element}\n      on {len(pages)} page(s): {', '.join(pages[:4])}")
        assert not self.findings, f"critical/serious accessibility violations on {len(set(self.visited))} pages:\n" + \
            "\n".join(lines)


@pytest.mark.parametrize("who", ["city", "l1", "l2", "auditor", "expert_account"])
def test_every_menu_page_of_a_role_is_accessible(who, page):
    world = World()
    sweep = Sweep(page)
    sign_in(page, getattr(world, who))
    sweep.check_current(f"{who}: landing page")
    sweep.sweep_menu()
    assert len(sweep.visited) > 3, sweep.visited
    sweep.assert_clean()


def test_the_main_action_pages_are_accessible(page):
    """The city office's schedule, a street's 推荐 decision form, the security administrator's permission editor."""
    now = datetime(2026, 5, 1, 10, 0)
    clock.freeze(now)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=now)
    _district, (street, _other) = factories.district_with_streets()
    application = factories.application(unit=street, name="王学习", campaign=campaign)
    sweep = Sweep(page)

    sign_in(page, factories.account(roles.CITY_OFFICE))
    sweep.check("/campaigns/windows/list/", "时间安排")
    window = page.locator("a[href*='/campaigns/windows/edit/']").first.get_attribute("href")
    sweep.check(window, "时间安排 修改")

    page.goto("/logout/")
    sign_in(page, factories.account(roles.L2_CLERK, unit=street))
    sweep.check(f"/applications/show/{application.id}", "报名详情（二级单位）")
    sweep.check(f"/applications/decide?ids={application.id}&decision=recommend", "推荐")
    page.fill("#opinion", "")
    with page.expect_navigation():
        page.click("#decision-form button[type=submit]")
    sweep.check_current("推荐，意见未填")
    sweep.check(f"/applications/decide?ids={application.id}&decision=reject", "不推荐")

    page.goto("/logout/")
    sign_in(page, factories.account(roles.SECURITY_ADMIN))
    sweep.check("/role-permissions/", "角色权限")
    sweep.assert_clean()


def test_the_experts_scoring_form_is_accessible(page):
    world = scoring_world()
    sweep = Sweep(page)
    sign_in(page, world["alice"].account)
    sweep.check_current("我的评审")
    sweep.check(f"/expert/review/{world['mine'][0].id}", "评分表")
    sweep.assert_clean()


def test_a_citizen_on_a_phone_finds_every_page_accessible(phone_page):
    """Register, sign in, 我的报名 empty, with errors at the fields, and once submitted."""
    page = phone_page
    now = datetime(2026, 4, 10, 9, 0)
    clock.freeze(now)
    campaign = factories.campaign(open_stage=Stage.APPLY, at=now)
    _district, (street, _other) = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
    sweep = Sweep(page)
    sweep.check("/register/", "申报人注册")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    sweep.check_current("申报人注册，未填")
    sign_in(page, factories.account(roles.APPLICANT, username="13911588771", first_name="张学习"))
    sweep.check_current("我的报名（空）")
    page.fill("#id_number", "110108198506151234")  # a wrong check digit
    with page.expect_navigation():
        page.click("button[name=intent][value=save]")
    sweep.check_current("我的报名，有错")
    page.goto("/logout/")
    submitted = factories.account(roles.APPLICANT, username="13911588772", first_name="李读书")
    factories.application(unit=street, applicant=submitted, campaign=campaign)
    sign_in(page, submitted)
    sweep.check_current("我的报名（已提交）")
    sweep.assert_clean()


def test_the_public_notice_and_its_objection_forms_are_accessible(page):
    """/gongshi with candidates, 提出异议 (also with its errors) and 异议查询, without signing in."""
    now = datetime(2026, 7, 10, 10, 0)
    clock.freeze(now)
    campaign = factories.campaign(open_stage=Stage.PUBLICITY, at=now)
    factories.candidates(3, campaign=campaign, featured=1)
    sweep = Sweep(page)
    for path, context in (("/gongshi", "公示"), ("/gongshi/yiyi/", "提出异议"), ("/gongshi/yiyi/chaxun", "异议查询")):
        sweep.check(path, context)
    page.goto("/gongshi/yiyi/")
    with page.expect_navigation():
        page.click("#objection-form button[type=submit]")
    sweep.check_current("提出异议，未填")
    sweep.assert_clean()


def test_the_other_public_pages_are_accessible(page):
    """Home, sign-in, registration, contact, /mingdan and the certificate check (found and not found)."""
    issued = winners(3, featured=1)
    sweep = Sweep(page)
    for path, context in (("/", "首页"), ("/login/", "登录"), ("/contact/", "联系我们"), ("/register/", "注册"),
                          ("/mingdan", "名单"), ("/zhengshu/", "证书查验"), (f"/zhengshu/{issued[0].code}", "证书")):
        sweep.check(path, context)
    sweep.check("/zhengshu/7KQ4M9XP2T3C", "证书未找到", status=404)
    sweep.assert_clean()


def test_assert_accessible_fails_on_a_serious_violation_and_names_it(page):
    """The helper the rehearsal calls: a page with an unlabelled field and an image without alt fails, listing both."""
    page.goto("/contact/")
    assert_accessible(page, context="联系我们")
    page.evaluate("""() => {
      document.querySelector('main').insertAdjacentHTML('beforeend',
        '<input id="nameless" type="text"><img id="no-alt" src="/static/img/logo.svg">');
    }""")
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, context="联系我们（改坏）")
    message = str(failure.value)
    assert "label [critical]" in message and "#nameless" in message
    assert "image-alt [critical]" in message and "#no-alt" in message
    assert "联系我们（改坏）" in message
