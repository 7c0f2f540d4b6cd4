"""The portal speaks Chinese: no English UI word on any page a role reaches from its menu; English on request.

For every role we log in, follow the navbar (menus and the user menu, logout excluded), and for every list page
one row's add/show/edit pages. Each page's visible text and the title/placeholder/value attributes users see are
scanned for Latin words; whatever is not user data or a justified brand/format token fails as "role url word".
"""
import functools
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import current_app

from app import roles
from app.extensions import db
from app.models import Account, AuditEvent, Campaign, Stage, Unit
from tests import factories

# Words FAB shows in English when a msgid is missing from the catalogs. Any other Latin word fails as well; this
# list is what the checker must catch for sure (test_checker_catches_the_fab_words).
FAB_UI_WORDS = (
    "Add", "Edit", "Delete", "Search", "List", "Show", "Actions", "Record Count", "Refresh", "Save", "Back",
    "Security", "Roles", "Users", "Logout", "Home", "Filter", "Yes", "No", "Cancel", "Select", "Previous", "Next",
    "Page", "Submit", "User", "Login", "Password", "Language", "Info", "Profile", "Reset", "Confirm", "Permissions",
    "Equal to", "Not Equal to", "Starts with", "In", "Not In", "Relation", "Record", "Are you sure", "OK",
)

# Latin tokens a Chinese page may show, each justified (keep this short: it is what the test lets through):
ALLOWED_TOKENS = {
    "Excel", "xlsx",  # the spreadsheet product and file format the import asks for (导入模板 .xlsx)
    "PDF",  # the file format of the 荣誉证书 downloads and the approval's decision (审核决定 PDF)
    "jpg", "png", "mp4", "AVC", "MB",  # file formats, codec and size unit the upload rules name (照片 jpg 或 png…)
    "IP",  # 来源 IP: the network term is what Chinese admin UIs write
    "English",  # the language menu names each language in itself (中文 / English), as every site does
}

# Attributes users see: tooltips and placeholders on anything; the caption of <input> buttons. (A <button> shows
# its content, checked as text; its value attribute is only sent with the form, like name.)
TEXT_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
BUTTON_INPUT_TYPES = {"submit", "button", "reset"}
SKIPPED_ELEMENTS = {"script", "style", "template"}
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

URL = re.compile(r"(?:https?://|mailto:|tel:)\S+|\S+@\S+\.\S+|(?<!\w)/[\w\-./?=&%#]*")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9']+")


class VisibleText(HTMLParser):
    """Text nodes outside script/style, plus the attributes users read, and the page's links and navbar."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.links: list[str] = []
        self.form_actions: list[str] = []
        self.scripts: list[str] = []
        self.menu_links: list[str] = []
        self.user_menu_links: list[str] = []
        self._skip = 0
        self._navbars: list[tuple[str, int]] = []  # ("left"/"right", depth of its <ul>)
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED_ELEMENTS:
            self._skip += 1
        for name in TEXT_ATTRIBUTES:
            if attrs.get(name):
                self.chunks.append(attrs[name])
        if tag == "input" and (attrs.get("type") or "text").lower() in BUTTON_INPUT_TYPES and attrs.get("value"):
            self.chunks.append(attrs["value"])
        if attrs.get("data-texts"):  # the words a widget's script shows (the date-time calendar's)
            self.chunks += _strings_in(json.loads(attrs["data-texts"]))
        if attrs.get("data-locale") == "zh":  # the calendar's month and weekday names: flatpickr's zh locale
            self.chunks += flatpickr_zh_words()
        if tag == "form" and attrs.get("action"):
            self.form_actions.append(attrs["action"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if self._navbars:
                side = self._navbars[-1][0]
                (self.menu_links if side == "left" else self.user_menu_links).append(attrs["href"])
        if tag in VOID_ELEMENTS:
            return
        self._depth += 1
        classes = (attrs.get("class") or "").split()
        if tag == "ul" and "navbar-nav" in classes:
            self._navbars.append(("right" if "navbar-right" in classes else "left", self._depth))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in SKIPPED_ELEMENTS and self._skip:
            self._skip -= 1
        if tag in VOID_ELEMENTS:
            return
        if self._navbars and tag == "ul" and self._navbars[-1][1] == self._depth:
            self._navbars.pop()
        self._depth -= 1

    def handle_data(self, data):
        if self._skip:
            self.scripts.append(data)
        elif data.strip():
            self.chunks.append(data)

    def script_ui_strings(self) -> list[str]:
        """What FAB hands to its JavaScript for display: the search filters' field labels, their operations
        ("Starts with", "In"...) and input widgets, and the confirmation texts of row actions such as delete."""
        strings = []
        for script in self.scripts:
            if "new AdminFilters(" in script:
                for line in script.splitlines():
                    line = line.strip().rstrip(",")
                    if not line.startswith("{"):
                        continue
                    for value in json.loads(line).values():
                        if isinstance(value, list):
                            strings += value
                        elif "<" in value:
                            strings += parse(value).chunks
                        else:
                            strings.append(value)
            for call in re.finditer(r"adminAction\.execute_\w+\((.*?)\);", script):
                strings += [s for s in re.findall(r"'([^']*)'", call.group(1)) if not s.startswith("/")]
        return strings


FLATPICKR_ZH = Path(__file__).resolve().parent.parent / "app/static/vendor/flatpickr/zh.js"


@functools.cache
def flatpickr_zh_words() -> list[str]:
    """Every string of the vendored flatpickr zh locale (its `var Mandarin = {...};`), as the calendar shows them."""
    source = FLATPICKR_ZH.read_text(encoding="utf-8")
    locale = re.search(r"var Mandarin = \{(.*?)\n {2}\};", source, re.S)
    assert locale, "the zh locale's layout changed: read its words another way"
    return re.findall(r'"([^"]*)"', locale.group(1))


def _strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in _strings_in(item)] if isinstance(value, list) else []


def parse(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser


def english_words(chunks, data_strings=()) -> list[str]:
    """Latin words in the chunks, after removing user data, URLs and e-mail addresses, and allowed tokens."""
    found = []
    data = sorted({s for s in data_strings if s and s.strip()}, key=len, reverse=True)
    data_pattern = re.compile("|".join(rf"(?<![\w]){re.escape(s)}(?![\w])" for s in data)) if data else None
    for chunk in chunks:
        text = " ".join(chunk.split())
        if data_pattern is not None:
            text = data_pattern.sub(" ", text)
        text = URL.sub(" ", text)
        for word in LATIN_WORD.findall(text):
            if word not in ALLOWED_TOKENS and word not in found:
                found.append(word)
    return found


def data_strings() -> set[str]:
    """What the database holds and pages show as such: names of people, units, campaigns, roles, permissions.

    FAB's permission and view-menu names ("can read on FirstLevelUnit", "menu access on List Users") are
    identifiers stored in the database and listed on the role screens; they are data, not catalog strings.
    """
    sm = current_app.appbuilder.sm
    strings: set[str] = set()
    for account in db.session.query(Account):
        strings |= {account.username, account.email, account.first_name, account.last_name, account.get_full_name()}
    for unit in db.session.query(Unit):
        strings |= {unit.name, unit.code or ""}
    for campaign in db.session.query(Campaign):
        strings.add(campaign.name)
    # The audit record's detail: stored field names and values, shown verbatim.
    strings |= {str(event.detail) for event in db.session.query(AuditEvent)}
    for role in sm.get_all_roles():
        strings.add(role.name)
    for model in (sm.permission_model, sm.viewmenu_model, sm.permissionview_model):
        strings |= {str(item) for item in db.session.query(model)}
    strings |= {item.name for item in db.session.query(sm.permission_model)}
    strings |= {item.name.replace("_", " ") for item in db.session.query(sm.permission_model)}
    return strings


# --- the data each role sees, and walking its pages ---------------------------------------------------------

ROLE_CASES = [roles.CITY_OFFICE, roles.L1_CLERK, roles.L2_CLERK, roles.EXPERT, roles.APPLICANT, roles.AUDITOR,
              roles.SYSTEM_ADMIN, roles.SECURITY_ADMIN]
ROLE_IDS = ["city_office", "l1_clerk", "l2_clerk", "expert", "applicant", "auditor", "system_admin", "security_admin"]


def _world():
    """A campaign in its unit-accounts window (so add forms open), a district with streets and their clerks."""
    factories.campaign(open_stage=Stage.UNIT_ACCOUNTS)
    district, streets = factories.district_with_streets()
    l1_clerk = factories.account(roles.L1_CLERK, unit=district, username="district-clerk")
    l2_clerk = factories.account(roles.L2_CLERK, unit=streets[0], username="street-clerk")
    # Applications at the street and forwarded to the district, so the review lists and detail pages have rows.
    factories.application(unit=streets[0], name="甲申报人")
    factories.application(unit=streets[0], name="乙申报人", status="l2_forwarded")
    return district, streets, l1_clerk, l2_clerk


def _user_for(role):
    district, streets, l1_clerk, l2_clerk = _world()
    if role == roles.L1_CLERK:
        return l1_clerk
    if role == roles.L2_CLERK:
        return l2_clerk
    return factories.account(role, username="city" if role == roles.CITY_OFFICE else None)


def _path(url: str) -> str | None:
    """The app-local path (with query) of a link, or None for other sites, anchors and javascript."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http") or (parts.netloc and parts.netloc != "localhost") or not parts.path:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _is_list(path: str) -> bool:
    return urlsplit(path).path.rstrip("/").endswith("/list")


ROW_PAGE = re.compile(r"/(add|show/[^/?#]+|edit/[^/?#]+|import)/?$")


def _row_pages(list_path: str, page: VisibleText) -> list[str]:
    """The first add, show, edit (and import) link of the list's own view."""
    base = urlsplit(list_path).path.rstrip("/")[: -len("/list")]
    picked: dict[str, str] = {}
    for href in page.links:
        path = _path(href)
        if path is None or not urlsplit(path).path.startswith(base + "/"):
            continue
        match = ROW_PAGE.search(urlsplit(path).path)
        if match:
            picked.setdefault(match.group(1).split("/")[0], urlsplit(path).path)
    return list(picked.values())


PROFILE_ACTIONS = re.compile(r"/action/(resetmypassword|userinfoedit)/")


def _user_menu_pages(client, page: VisibleText) -> list[str]:
    """The user menu (profile, not logout or the language switch), and the profile's buttons: reset my
    password and edit my info. FAB makes those buttons POST to an action that redirects to the form page."""
    pages = []
    for href in page.user_menu_links:
        path = _path(href)
        if path is None or path.startswith("/lang/") or "logout" in path:
            continue
        pages.append(path)
        profile = parse(client.get(path, follow_redirects=True).text)
        for action in profile.form_actions:
            if PROFILE_ACTIONS.search(action):
                response = client.post(action)
                assert response.status_code == 302, f"POST {action}: {response.status_code}"
                pages.append(_path(response.location))
    return pages


def walk(client) -> dict[str, str]:
    """Every page reachable from the menus of the logged-in user: path -> HTML."""
    home = parse(client.get("/", follow_redirects=True).text)
    queue = ["/"]
    for href in home.menu_links:
        path = _path(href)
        if path and path not in queue:
            queue.append(path)
    queue += [p for p in _user_menu_pages(client, home) if p not in queue]
    pages: dict[str, str] = {}
    while queue:
        path = queue.pop(0)
        if path in pages:
            continue
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, f"GET {path}: {response.status_code}"
        pages[path] = response.text
        if _is_list(path):
            queue += [p for p in _row_pages(path, parse(response.text)) if p not in pages]
    return pages


def english_on_pages(role_name: str, pages: dict[str, str]) -> list[str]:
    data = data_strings()
    failures = []
    for path, html in pages.items():
        page = parse(html)
        failures += [f"{role_name} {path} {word}" for word in english_words(page.chunks, data)]
        failures += [f"{role_name} {path} {word} (script)" for word in english_words(page.script_ui_strings(), data)]
    return failures


# --- the tests ----------------------------------------------------------------------------------------------


def test_checker_catches_the_fab_words():
    assert english_words(parse('<div data-texts=\'{"ok": "OK", "days": ["Mon"]}\'></div>').chunks) == ["OK", "Mon"]
    html = (
        "<html><head><title>List Users</title><script>var x = 'Add';</script><style>.Edit{}</style></head>"
        '<body><a href="/users/list/" title="Show record">详情</a><input type="submit" value="Save">'
        '<input type="text" value="city" placeholder="Search"><button value="save">保存</button><button>No</button>'
        "<p>Record Count: 3 · 来源 IP · Excel · city · /static/x.css</p></body></html>"
    )
    words = english_words(parse(html).chunks, data_strings={"city"})
    assert words == ["List", "Users", "Show", "record", "Save", "Search", "No", "Record", "Count"]
    for word in FAB_UI_WORDS:
        assert english_words([f"中文 {word}"]) == word.split(), word


def test_menus_are_collected(client):
    user = _user_for(roles.CITY_OFFICE)
    factories.login(client, user)
    pages = walk(client)
    for expected in ("/campaigns/list/", "/units/first-level/list/", "/units/second-level/list/", "/accounts/list/",
                     "/audit/list/", "/users/list/", "/users/userinfo/"):
        assert expected in pages, sorted(pages)
    assert "/role-permissions/" not in pages  # the security administrator's (三员分立)
    assert any(re.search(r"/units/second-level/edit/\d+$", p) for p in pages), sorted(pages)
    # 时间安排's edit form, with its date-time fields and their calendar's words.
    window_form = next((p for p in pages if re.search(r"/campaigns/windows/edit/\d+$", p)), None)
    assert window_form, sorted(pages)
    assert "周一" in parse(pages[window_form]).chunks and "/quotas/add" in pages, sorted(pages)
    assert any("resetmypassword" in p for p in pages), sorted(pages)
    assert not any("logout" in p or p.startswith("/lang/") for p in pages)


def test_the_calendars_vendored_zh_locale_is_chinese():
    """The date-time calendar's month and weekday names are flatpickr's zh locale (the crawl reads them on every page
    with a date-time field): Chinese, and no English word among them."""
    words = flatpickr_zh_words()
    assert {"五月", "十二月", "周一", "周日"} <= set(words), words
    assert english_words(words) == []


@pytest.mark.parametrize("role", ROLE_CASES, ids=ROLE_IDS)
def test_pages_of_each_role_have_no_english(client, role):
    user = _user_for(role)
    factories.login(client, user)
    pages = walk(client)
    assert len(pages) >= 3, sorted(pages)
    failures = english_on_pages(role, pages)
    assert not failures, "English on Chinese pages:\n" + "\n".join(failures)


def test_the_permission_editor_has_no_english_for_any_role(client):
    """角色权限 as the security administrator reaches it (the crawl opens its first role): every role's tab and a
    refusal."""
    factories.login(client, _user_for(roles.SECURITY_ADMIN))
    pages = {f"/role-permissions/?role={name}": client.get("/role-permissions/", query_string={"role": name}).text
             for name in roles.ALL_ROLES}
    pages["refused"] = client.post(
        "/role-permissions/save", data={"role": roles.AUDITOR, "grant": ["AuditLog:menu_access"]}
    ).text
    failures = english_on_pages(roles.SECURITY_ADMIN, pages)
    assert not failures, "English on Chinese pages:\n" + "\n".join(failures)
    assert all("“审计员”可以做的事" in page or "审计员" in page for page in pages.values())


def test_fabs_role_screens_of_the_system_administrator_have_no_english(client):
    """FAB's 角色列表 stays for role Admin; permission and role names on it are data (see data_strings)."""
    factories.login(client, factories.account(roles.ADMIN))
    role = current_app.appbuilder.sm.find_role(roles.AUDITOR)
    pages = {path: client.get(path, follow_redirects=True).text
             for path in ("/roles/list/", f"/roles/show/{role.id}", f"/roles/edit/{role.id}", "/roles/add")}
    failures = english_on_pages("Admin", pages)
    assert not failures, "English on Chinese pages:\n" + "\n".join(failures)


def test_public_pages_have_no_english(client):
    _world()
    pages = {}
    for path in ("/", "/contact/", "/login/"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        pages[path] = response.text
    failures = english_on_pages("anonymous", pages)
    assert not failures, "English on Chinese pages:\n" + "\n".join(failures)


def test_form_errors_are_chinese(client):
    """FAB's own messages after a bad submit: required fields, password mismatch and complexity."""
    factories.login(client, _user_for(roles.CITY_OFFICE))
    pages = {
        "/units/first-level/add": client.post("/units/first-level/add", data={}, follow_redirects=True).text,
        "/resetmypassword/form": client.post(
            "/resetmypassword/form", data={"password": "short", "conf_password": "other"}, follow_redirects=True
        ).text,
    }
    failures = english_on_pages(roles.CITY_OFFICE, pages)
    assert not failures, "English on Chinese pages:\n" + "\n".join(failures)
    assert "该字段是必填字段" in pages["/units/first-level/add"]  # WTForms' own catalog
    assert "密码必须一致" in pages["/resetmypassword/form"]  # FAB's
    assert "密码至少 8 位，须包含大写字母、小写字母、数字、符号中的至少三类" in pages["/resetmypassword/form"]  # ours


def test_english_is_selectable(client):
    district, streets, l1_clerk, _ = _world()
    factories.login(client, factories.account(roles.CITY_OFFICE))
    response = client.get("/lang/en", follow_redirects=True)
    assert response.status_code == 200
    html = client.get("/units/first-level/list/").text
    page = parse(html)
    text = " ".join(" ".join(chunk.split()) for chunk in page.chunks)
    # Menu labels, titles and column labels are our Chinese msgids, translated by babel/en.
    for english in ("Selection Management", "Selection Rounds", "Units & Accounts", "First-Level Units",
                    "Second-Level Units", "Unit Accounts", "Audit Log", "Unit Name", "Contact Phone"):
        assert english in text, english
    chinese = re.findall(r"[\u4e00-\u9fff]+", text)
    # What stays Chinese is data (unit names), the language menu's 中文, the system's name (APP_NAME, in the
    # page title) and nothing else.
    assert set(chinese) <= {district.name, "中文", current_app.config["APP_NAME"]}, chinese
    # FAB's own strings come out in English too, ours for FAB's (babel/en) included.
    for english in ("Record Count", "Search", "Show", "Edit", "Delete", "Logout"):
        assert english in text, english
    # And back to Chinese.
    client.get("/lang/zh", follow_redirects=True)
    assert "一级单位" in client.get("/units/first-level/list/").text


@pytest.mark.parametrize("language", ["zh", "en"])
def test_fabs_password_hint_states_the_rule_the_portal_applies(app, language):
    """FAB's account forms show its "good password policy" hint: in both languages it is the portal's own rule
    (three of four kinds, app/accounts.py), not a stricter one the form does not apply."""
    from flask_babel import force_locale, gettext

    from app.accounts import PASSWORD_RULE

    with app.test_request_context(), force_locale(language):
        hint = gettext("Please use a good password policy, this application does not check this for you")
        assert hint == str(PASSWORD_RULE)
