"""The user guides in docs/guide/: every role has one, their pictures are the rehearsal's screenshots, and the
menus, buttons and labels they quote in 「」 are the portal's own — so a renamed menu entry or button fails here."""
import re
from pathlib import Path

import flask_appbuilder
import pytest

from app import roles
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
GUIDE_DIR = ROOT / "docs" / "guide"
APP_DIR = ROOT / "app"

# guide file -> the roles whose menus it may name (the city office's guide also shows the administrators' screens
# it relies on: 角色权限 is the security administrator's, 用户列表 the system administrator's as well).
GUIDES = {
    "city-office.md": (roles.CITY_OFFICE, roles.SECURITY_ADMIN, roles.SYSTEM_ADMIN),
    "first-level.md": (roles.L1_CLERK,),
    "second-level.md": (roles.L2_CLERK,),
    "expert.md": (roles.EXPERT,),
    "citizen.md": (roles.APPLICANT,),
    "auditor.md": (roles.AUDITOR,),
}
ALL_GUIDES = ["README.md", *GUIDES]

IMAGE = re.compile(r"\]\((img/[^)\s]+)\)")
QUOTED = re.compile(r"「([^」]+)」")
MENU_PATH = re.compile(r"^(.+?) → (.+)$")


def screenshot_names() -> list[str]:
    """docs/guide/screenshots.txt: one name per line (then its description), '#' comments."""
    lines = (GUIDE_DIR / "screenshots.txt").read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.strip() and not line.startswith("#")]


def guide_text(name: str) -> str:
    return (GUIDE_DIR / name).read_text(encoding="utf-8")


def quoted(name: str) -> list[str]:
    return QUOTED.findall(guide_text(name))


def ui_texts() -> str:
    """Every text the portal can show: its own code and templates, its Chinese catalog, and FAB's Chinese catalog
    (FAB's own buttons such as 保存, 搜索, 新增 come from there)."""
    parts = [path.read_text(encoding="utf-8") for path in APP_DIR.rglob("*") if path.suffix in (".py", ".html", ".yaml")]
    parts += [path.read_text(encoding="utf-8") for path in (ROOT / "babel").rglob("zh/LC_MESSAGES/*.po")]
    fab_po = Path(flask_appbuilder.__file__).parent / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    parts.append(fab_po.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_every_role_has_a_guide_and_the_index_links_each():
    missing = [name for name in ALL_GUIDES if not (GUIDE_DIR / name).is_file()]
    assert not missing, f"guides missing in docs/guide/: {missing}"
    index = guide_text("README.md")
    assert [name for name in GUIDES if f"]({name})" not in index] == []


def test_the_screenshot_list_is_the_rehearsals():
    names = screenshot_names()
    assert len(names) == len(set(names)), "a screenshot name is listed twice"
    assert all(re.fullmatch(r"[a-z0-9-]+", name) for name in names), names


@pytest.mark.parametrize("name", ALL_GUIDES)
def test_a_guide_shows_only_listed_screenshots(name):
    listed = set(screenshot_names())
    images = IMAGE.findall(guide_text(name))
    assert images, f"{name} shows no screenshot"
    unknown = [image for image in images if not image.endswith(".png") or image[4:-4] not in listed]
    assert not unknown, f"{name} shows pictures the rehearsal does not make (docs/guide/screenshots.txt): {unknown}"


def test_every_listed_screenshot_is_shown_in_some_guide():
    shown = {image[4:-4] for name in ALL_GUIDES for image in IMAGE.findall(guide_text(name))}
    assert sorted(set(screenshot_names()) - shown) == []


@pytest.mark.parametrize("name", ALL_GUIDES)
def test_every_quoted_button_or_label_is_one_the_portal_shows(name):
    """「…」 quotes what is on the screen: a button, a label, a status, a menu entry; each is in the portal's texts."""
    texts = ui_texts()
    words = [part for text in quoted(name) for part in text.split(" → ")]
    assert words, f"{name} quotes no button"
    assert [word for word in words if word not in texts] == []


def _menu_paths(client) -> set[str]:
    """The signed-in user's menu as 「分类 → 项目」 and top-level 「项目」."""
    menu = client.get("/api/v1/menu/").get_json()["result"]
    paths = set()
    for entry in menu:
        paths.add(entry["label"])
        # A category's children are its entries and "-" separators.
        paths.update(f"{entry['label']} → {child['label']}" for child in entry.get("childs", [])
                     if isinstance(child, dict))
    return paths


def test_every_menu_path_a_guide_names_is_in_that_roles_menu(app):
    """「评审推荐 → 报名信息」 in a guide is an entry of the menu its reader sees after signing in."""
    street = factories.district_with_streets()[1][0]
    unit_of = {roles.L1_CLERK: street.parent, roles.L2_CLERK: street}
    menus = {}
    for role in {role for readers in GUIDES.values() for role in readers}:
        user = factories.account(role=role, unit=unit_of.get(role))
        with app.test_client() as own_client:
            factories.login(own_client, user)
            menus[role] = _menu_paths(own_client)
    named = 0
    for name, readers in GUIDES.items():
        seen = set().union(*(menus[role] for role in readers))
        paths = [text for text in quoted(name) if MENU_PATH.match(text)]
        named += len(paths)
        assert [path for path in paths if path not in seen] == [], f"{name} names menu entries its reader lacks"
    assert named >= len(GUIDES), "the guides name hardly any menu entry"


def test_the_rehearsal_makes_exactly_the_listed_screenshots_and_each_is_here_and_small():
    """The guides' pictures are the rehearsal's (tests/e2e/checks.py names them; `make screenshots` saves them):
    every listed one is committed under docs/guide/img/, a PNG under 100 KB, and no stray picture lies beside them."""
    from tests.e2e.checks import SCREENSHOT_MAX_BYTES, SCREENSHOT_NAMES

    assert sorted(SCREENSHOT_NAMES) == sorted(screenshot_names())
    images = GUIDE_DIR / "img"
    assert sorted(p.stem for p in images.glob("*.png")) == sorted(screenshot_names())
    for path in images.glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path.name
        assert path.stat().st_size < SCREENSHOT_MAX_BYTES, path.name
