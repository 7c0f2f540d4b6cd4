"""The review list's page as a reviewer reads it, after the work FAB did per row and per request was moved to once per
page (app/views/applications.py, app/views/list_markup.py) or once per process (app/navbar.py): each row's 过期无效
from its own campaign's schedule, each row's link to its own record, every campaign in the 评选批次 filter, and a menu
that follows the role's permissions from one page to the next."""
import re
from datetime import datetime

import pytest
from jinja2.utils import htmlsafe_json_dumps

from app import clock, roles
from app.extensions import db
from app.models import Stage
from tests import factories

NOW = datetime(2026, 5, 1, 10, 0)
LIST = "/applications/list/"
VOID = "（过期无效）"


@pytest.fixture
def two_campaigns(app):
    """Two campaigns at different stages, one application of each in one street: the 2025 one's street review
    closed long ago (its submitted application is void), the 2026 one's is open."""
    clock.freeze(NOW)
    closed = factories.campaign(year=2025, name="2025年批次", open_stage=Stage.L1_REVIEW, at=NOW)
    open_ = factories.campaign(year=2026, name="2026年批次", open_stage=Stage.L2_REVIEW, at=NOW)
    _district, (street, _) = factories.district_with_streets()
    old = factories.application(unit=street, campaign=closed, name="往届申报人")
    new = factories.application(unit=street, campaign=open_, name="本届申报人")
    city = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    return {"closed": closed, "open": open_, "old": old, "new": new, "city": city, "street": street}


def rows(html: str) -> list[str]:
    """The table's rows (each with its link to the record; the city office has no checkboxes: it decides nothing)."""
    return [row for row in re.findall(r"<tr>.*?</tr>", html, re.S) if "/applications/show/" in row]


def test_each_row_is_void_or_not_by_its_own_campaigns_schedule(two_campaigns):
    by_name = {name: row for row in rows(two_campaigns["city"].get(LIST).text)
               for name in ("往届申报人", "本届申报人") if f">{name}</a></td>" in row}
    assert set(by_name) == {"往届申报人", "本届申报人"}
    assert "已提交，待二级单位评审" + VOID in by_name["往届申报人"]
    assert "已提交，待二级单位评审" in by_name["本届申报人"] and VOID not in by_name["本届申报人"]


def test_each_rows_link_opens_that_application(two_campaigns):
    ids = {"往届申报人": two_campaigns["old"].id, "本届申报人": two_campaigns["new"].id}
    clerk = factories.login(two_campaigns["city"].application.test_client(),
                            factories.account(roles.L2_CLERK, unit=two_campaigns["street"]))
    for client in (two_campaigns["city"], clerk):
        listed = rows(client.get(LIST).text)
        assert len(listed) == 2
        for row in listed:
            name = re.search(r'<a href="[^"]+" class="row-name">(\S+申报人)</a>', row).group(1)
            # The magnifier and the applicant's name, both to that application.
            assert re.findall(r'href="([^"]+)"', row) == [f"/applications/show/{ids[name]}"] * 2
            checkbox = re.search(r'name="rowid" value="(\d+)"', row)
            assert checkbox is None if client is two_campaigns["city"] else checkbox.group(1) == str(ids[name])


def test_the_campaign_filter_offers_every_campaign_and_filters_by_it(two_campaigns):
    city = two_campaigns["city"]
    page = city.get(LIST).text
    # FAB writes the search form into a script, JSON-escaped.
    for campaign in (two_campaigns["closed"], two_campaigns["open"]):
        assert str(htmlsafe_json_dumps(f'<option value="{campaign.id}">{campaign.name}</option>'))[1:-1] in page
    only_old = rows(city.get(f"{LIST}?_flt_0_campaign={two_campaigns['closed'].id}").text)
    assert len(only_old) == 1 and "往届申报人" in only_old[0]
    only_new = rows(city.get(f"{LIST}?_flt_0_campaign={two_campaigns['open'].id}").text)
    assert len(only_new) == 1 and "本届申报人" in only_new[0]


def test_the_search_form_shows_the_unit_filtered_on_and_campaigns_added_since(two_campaigns):
    """The search inputs are kept per process where they are the same on every page: the unit box carries the unit
    the address filters on (and no other page's), the 评选批次 dropdown a campaign made after it was first written."""
    city, street = two_campaigns["city"], two_campaigns["street"]
    other_street = factories.district_with_streets("朝阳区", ("望京街道",))[1][0]

    def unit_options(html):
        box = re.search(r'id=\\"unit\\" name=\\"unit\\"\\u003e(.*?)\\u003c/select', html).group(1)
        return re.findall(r'option value=\\"(\d+)\\"', box)

    assert unit_options(city.get(LIST).text) == []
    assert unit_options(city.get(f"{LIST}?_flt_0_unit={street.id}").text) == [str(street.id)]
    assert unit_options(city.get(f"{LIST}?_flt_0_unit={other_street.id}").text) == [str(other_street.id)]
    assert unit_options(city.get(LIST).text) == []
    later = factories.campaign(year=2027, name="2027年批次")
    assert str(htmlsafe_json_dumps(f'<option value="{later.id}">{later.name}</option>'))[1:-1] in city.get(LIST).text


def test_the_menu_follows_the_roles_permissions_from_one_page_to_the_next(app, two_campaigns, roles_restored):
    sm = app.appbuilder.sm
    clerk = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=two_campaigns["street"]))
    entry = f'<a tabindex="-1" href="{LIST}">'
    assert entry in clerk.get(LIST).text
    role, menu_entry = sm.find_role(roles.L2_CLERK), sm.find_permission_view_menu("menu_access", "Applications")
    sm.del_permission_role(role, menu_entry)
    page = clerk.get(LIST).text
    assert entry not in page and "申报人" in page  # the list itself is still allowed
    assert entry in two_campaigns["city"].get(LIST).text  # another role's menu, in the same process
    sm.add_permission_role(role, menu_entry)
    db.session.commit()
    assert entry in clerk.get(LIST).text


def test_the_search_form_and_the_menu_are_in_each_users_language(app, two_campaigns):
    """The status dropdown and the menu are kept per process: per language, so one user's English page does not
    give the next user English choices (nor the other way round)."""
    chinese = str(htmlsafe_json_dumps("二级单位拟推荐（未提交）"))[1:-1]
    english = str(htmlsafe_json_dumps("Recommended by the second-level unit (not yet submitted)"))[1:-1]
    city = two_campaigns["city"]
    page = city.get(LIST).text
    assert chinese in page and english not in page and f'href="{LIST}">' in page
    other = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    other.get("/lang/en", follow_redirects=True)
    page = other.get(LIST).text
    assert english in page and chinese not in page
    assert str(htmlsafe_json_dumps("Starts with"))[1:-1] in page  # the name filter's choices, worked out per language
    assert str(htmlsafe_json_dumps("开头是"))[1:-1] not in page
    assert re.search(rf'href="{LIST}">\s*(<i[^>]*></i>&nbsp;\s*)?Application Details</a>', page)
    page = city.get(LIST).text
    assert chinese in page and english not in page and "Application Details" not in page
    assert str(htmlsafe_json_dumps("开头是"))[1:-1] in page and "Starts with" not in page


def links(html: str, css: str) -> dict[str, str]:
    """The header's links in the <ul> of this class: text -> href (the current page and steps that go nowhere: #)."""
    menu = re.search(rf'<ul class="{css}"[^>]*>(.*?)</ul>', html, re.S).group(1)
    return {text: href.replace("&amp;", "&") for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>', menu)}


def test_the_page_links_keep_the_filter_and_the_order_and_lead_to_the_other_rows(two_campaigns):
    """31 applications of the open campaign, 25 a page: the pages, page sizes and sort headers keep the campaign
    filter and the order, the next page holds the other six rows, and the sorted column's header sorts the other way."""
    for i in range(30):
        factories.application(unit=two_campaigns["street"], campaign=two_campaigns["open"], name=f"申报人{i:02d}")
    city, campaign = two_campaigns["city"], two_campaigns["open"].id
    query = f"_flt_0_campaign={campaign}&_oc_ApplicationView=name&_od_ApplicationView=asc"
    first = city.get(f"{LIST}?{query}").text
    pages = links(first, "pagination pagination-sm")
    assert pages == {"&laquo;": "#", "&lt;": "#", "1": "#", "2": f"{LIST}?{query}&page_ApplicationView=1",
                     "&gt;": f"{LIST}?{query}&page_ApplicationView=1", "&raquo;": "#"}
    sizes = links(first.split("显示行数", 1)[1], "dropdown-menu")  # the menu after its button
    assert sizes == {str(n): f"{LIST}?{query}&psize_ApplicationView={n}" for n in (25, 50, 75, 100)}
    assert f'<li class="active"><a href="{LIST}?{query}&psize_ApplicationView=25">'.replace("&", "&amp;") in first
    # The sorted column's header sorts the other way (its chevron shows the order); the others keep the filter too.
    name_header = f'<th><a href={LIST}?{query.replace("asc", "desc")}>'.replace("&", "&amp;") + "姓名"
    assert re.search(re.escape(name_header) + r'\s*<i class="fa fa-chevron-up pull-right"></i></a></th>', first)
    assert f'?_flt_0_campaign={campaign}&amp;_oc_ApplicationView=work_unit&amp;_od_ApplicationView=desc>' in first
    first_names = [re.search(r'class="row-name">([^<]+)<', row).group(1) for row in rows(first)]
    second = city.get(pages["&gt;"]).text
    second_names = [re.search(r'class="row-name">([^<]+)<', row).group(1) for row in rows(second)]
    assert len(first_names) == 25 and len(second_names) == 6
    assert first_names + second_names == sorted(first_names + second_names)
    assert "往届申报人" not in first_names + second_names
    assert links(second, "pagination pagination-sm")["&lt;"] == f"{LIST}?{query}&page_ApplicationView=0"


def test_each_row_is_written_escaped_with_its_checkbox_named_after_the_applicant(app):
    """The rows are written in Python (app/views/list_markup.py): every value escaped as the template escaped it."""
    clock.freeze(NOW)
    factories.campaign(year=2026, open_stage=Stage.L2_REVIEW, at=NOW)
    _district, (street, _) = factories.district_with_streets()
    application = factories.application(unit=street, name="王<b>小</b>明", work_unit='"学&思"书店')
    clerk = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street))
    [row] = rows(clerk.get(LIST).text)
    assert "<b>" not in row and "王&lt;b&gt;小&lt;/b&gt;明" in row and "&#34;学&amp;思&#34;书店" in row
    assert f'<input id="{application.id}" class="action_check" name="rowid" value="{application.id}"' in row
    assert 'aria-label="选择此行：王&lt;b&gt;小&lt;/b&gt;明"' in row
    assert row.count(f'href="/applications/show/{application.id}"') == 2  # the show button and the name


def test_the_actions_menu_kept_per_process_runs_with_each_pages_own_nonce(app):
    """The 操作 menu is written once per process and language (app/views/list_markup.py): its script carries each
    page's own CSP nonce, or the browser would refuse it and 推荐/不推荐 would do nothing."""
    from tests.test_headers import nonce_of

    clock.freeze(NOW)
    factories.campaign(year=2026, open_stage=Stage.L2_REVIEW, at=NOW)
    _district, (street, _) = factories.district_with_streets()
    factories.application(unit=street)
    clerk = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street))
    nonces = []
    for _ in range(2):
        page = clerk.get(LIST)
        menu = page.text.split('class="btn btn-default btn-sm dropdown-toggle" data-toggle="dropdown">操作', 1)[1]
        assert re.search(r"\.recommend_menu_item'\).on\('click'", menu)
        script_nonce = re.search(r'<script nonce="([^"]+)">\$\(document\)\.ready\(function\(\) \{\s*\$\(\'\.recommend',
                                 menu).group(1)
        assert script_nonce == nonce_of(page)
        nonces.append(script_nonce)
    assert nonces[0] != nonces[1]
    # The action form posts with the session's CSRF token.
    assert re.search(r'<form id="action_form" action="/applications/action_post" method="POST" style="display: none">'
                     r'<input type="hidden" name="csrf_token" value="[^"]+"/>', page.text)
