"""Keyboard only (GB/T 37668-2019 / WCAG 2.1.1, 2.4.7, 3.3.1): a citizen fills in and submits the application form, a
street's clerk records 推荐 and 不推荐 with an opinion, an expert scores and submits — with Tab, typing, arrows, Space
and Enter, never a click. Focus is visible wherever it lands, and a refused value is announced at its field
(aria-invalid and aria-describedby naming the message).

The expert's Tab order through the score inputs is tests/browser/test_expert_review.py's; here the whole scoring
ends with the keyboard.
"""
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from app import clock, roles
from app.extensions import db
from app.models import Application, ReviewAssignment, Stage
from tests import factories
from tests.browser.accessibility import assert_accessible
from tests.media import corpus
from tests.views.test_expert_review import scoring_world

NOW = datetime(2026, 4, 10, 9, 0)
ID_NUMBER = factories.id_number("19850615", 123)

# The focused element: its id, name, text, and whether a focus indicator is drawn (an outline or a box shadow).
FOCUSED_JS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 1;
  return {id: el.id, name: el.getAttribute('name'), tag: el.tagName, text: (el.innerText || el.value || '').trim(),
          visible: outline || (style.boxShadow && style.boxShadow !== 'none')};
}"""


def focused(page):
    return page.evaluate(FOCUSED_JS)


def tab_to(page, match, limit=120, back=False):
    """Press Tab (Shift+Tab: back) until the focused element matches; every element passed on the way must show
    where the focus is. Returns the focused element's description."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        assert now["visible"], f"focus not visible on {now} at {page.url}"
        if match(now):
            return now
    raise AssertionError(f"Tab never reached the element on {page.url}")


def by_id(element_id):
    return lambda el: el["id"] == element_id


def choose(page, select_id, label):
    """A focused <select>: ArrowDown until the chosen option's text is label (no click, no mouse)."""
    for _ in range(60):
        if page.evaluate(f"() => {{ const s = document.getElementById('{select_id}'); "
                         f"return s.selectedIndex >= 0 && s.options[s.selectedIndex].text.trim(); }}") == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label} not found in #{select_id}")


def announced_error(page, field_id):
    """The message a screen reader reads on a field marked invalid: the text of what its aria-describedby names."""
    return page.evaluate(f"""() => {{
      const el = document.getElementById('{field_id}');
      if (el.getAttribute('aria-invalid') !== 'true') return null;
      return (el.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
        .map(id => document.getElementById(id).textContent.trim()).join(' | ');
    }}""")


def sign_in_by_keyboard(page, account):
    page.goto("/login/")
    assert focused(page)["id"] == "username"  # the sign-in form starts there (autofocus)
    page.keyboard.type(account.username)
    tab_to(page, by_id("password"))
    page.keyboard.type(factories.PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path != "/login/", f"login of {account.username} failed"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keyboard-media")
    photo, video = folder / "照片.jpg", folder / "视频.mp4"
    photo.write_bytes(corpus.encoded(corpus.portrait(), "JPEG"))
    corpus.clip(video)
    return {"photo": photo, "video": video}


@pytest.fixture
def citizen():
    clock.freeze(NOW)
    campaign = factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, streets = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
    account = factories.account(roles.APPLICANT, username="13911588771", first_name="张学习")
    return {"campaign": campaign, "district": district, "streets": streets, "account": account}


def pick_file(page, field_id, path):
    """Tab to a file input and open its chooser with Space, as a keyboard user does; the chooser gets the file.

    Twice in CI, with the machine under heavy load, the second chooser of the page (the video's, right after the
    photo's) never opened: Chromium shows one chooser at a time and may still be closing the first one when the
    key comes. A user would press the key again; so does this, once, with the focus still on the same input."""
    tab_to(page, by_id(field_id))
    try:
        with page.expect_file_chooser(timeout=10_000) as chooser:
            page.keyboard.press("Space")
    except PlaywrightTimeoutError:
        assert focused(page)["id"] == field_id
        with page.expect_file_chooser(timeout=20_000) as chooser:
            page.keyboard.press("Space")
    chooser.value.set_files(str(path))


def test_a_citizen_applies_with_the_keyboard_alone(page, citizen, files):
    sign_in_by_keyboard(page, citizen["account"])
    assert urlsplit(page.url).path == "/apply/"

    # A wrong ID number saved with Enter: the message is announced at the field, what was typed stays.
    tab_to(page, by_id("name"))
    page.keyboard.press("Control+A")
    page.keyboard.type("张学习")
    tab_to(page, by_id("id_number"))
    page.keyboard.type("110108198506151234")  # a wrong check digit
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a text field submits with the form's first button: 保存草稿
    assert "身份证号校验位不正确" in announced_error(page, "id_number")
    assert page.input_value("#name") == "张学习"
    assert_accessible(page, context="报名表，身份证号有错")

    tab_to(page, by_id("id_number"))
    page.keyboard.press("Control+A")
    page.keyboard.type(ID_NUMBER)
    for field_id, text in (("mobile", None), ("work_unit", "北京某研究院"), ("position", "工程师"),
                           ("address", "北京市海淀区中关村大街 1 号")):
        tab_to(page, by_id(field_id))
        if text:
            page.keyboard.press("Control+A")
            page.keyboard.type(text)
    tab_to(page, by_id("is_permanent_resident"))
    page.keyboard.press("Space")
    tab_to(page, by_id("category"))
    choose(page, "category", "区")
    page.wait_for_function("() => document.querySelectorAll('#first_level option').length > 1")
    tab_to(page, by_id("first_level"))
    choose(page, "first_level", "海淀区")
    page.wait_for_function("() => document.querySelectorAll('#unit_id option').length > 1")
    tab_to(page, by_id("unit_id"))
    choose(page, "unit_id", "学院路街道")
    tab_to(page, by_id("deeds"))
    page.keyboard.type("坚持每天学习两小时，带动社区读书会。")
    pick_file(page, "photo", files["photo"])
    page.wait_for_function("() => document.getElementById('photo-status').textContent.includes('已上传')")
    pick_file(page, "video", files["video"])
    page.wait_for_function("() => document.getElementById('video-status').textContent.includes('已上传')",
                           timeout=60_000)
    tab_to(page, by_id("declaration_confirmed"))
    page.keyboard.press("Space")
    assert page.is_checked("#declaration_confirmed") and page.is_checked("#is_permanent_resident")

    # 提交报名 with Enter opens the confirmation (focus on 取消); Tab to 确定提交 and Space submits.
    tab_to(page, by_id("submit-button"))
    page.keyboard.press("Enter")
    page.wait_for_selector("#submit-confirm[open]")
    assert focused(page)["id"] == "confirm-cancel"
    tab_to(page, by_id("confirm-ok"))
    with page.expect_navigation():
        page.keyboard.press("Space")
    db.session.expire_all()
    mine = db.session.query(Application).filter_by(applicant_id=citizen["account"].id).one()
    assert mine.status == "submitted", mine.status
    assert (mine.unit_id, mine.id_number, mine.is_permanent_resident, mine.declaration_confirmed) == (
        citizen["streets"][1].id, ID_NUMBER, True, True)
    assert mine.photo_file and mine.video_file


@pytest.fixture
def street_review():
    at = datetime(2026, 5, 1, 10, 0)
    clock.freeze(at)
    campaign = factories.campaign(open_stage=Stage.L2_REVIEW, at=at)
    _district, (street, _other) = factories.district_with_streets()
    apps = [factories.application(unit=street, campaign=campaign, name=name) for name in ("王学习", "李读书")]
    return {"apps": apps, "clerk": factories.account(roles.L2_CLERK, unit=street)}


@pytest.mark.parametrize("decision, status", [("推荐", "l2_recommended"), ("不推荐", "l2_not_recommended")])
def test_a_street_clerk_decides_with_the_keyboard_alone(page, street_review, decision, status):
    application = street_review["apps"][0]
    sign_in_by_keyboard(page, street_review["clerk"])
    page.goto(f"/applications/show/{application.id}")
    tab_to(page, lambda el: el["tag"] == "BUTTON" and el["text"] == decision)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/applications/decide"

    # 确认 without an opinion: refused, and the message is announced at the opinion's field.
    tab_to(page, lambda el: el["tag"] == "BUTTON" and el["text"].startswith("确认"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    message = announced_error(page, "opinion")
    assert message and "意见" in message, message
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == "submitted"

    tab_to(page, by_id("opinion"))
    page.keyboard.type("事迹突出，同意。" if decision == "推荐" else "材料不足，暂不推荐。")
    tab_to(page, lambda el: el["tag"] == "BUTTON" and el["text"].startswith("确认"))
    with page.expect_navigation():
        page.keyboard.press("Space")
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == status


def test_an_expert_scores_and_submits_with_the_keyboard_alone(page):
    world = scoring_world()
    assignment = world["mine"][0]
    sign_in_by_keyboard(page, world["alice"].account)
    page.goto(f"/expert/review/{assignment.id}")
    criteria = world["round"].criteria
    # A score above the maximum, saved with Enter: announced at its field.
    first = f"score_{criteria[0].id}"
    tab_to(page, by_id(first))
    page.keyboard.type("99")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert announced_error(page, first), "the refused score is not announced at its field"
    tab_to(page, by_id(first))
    page.keyboard.press("Control+A")
    page.keyboard.type("8")
    for c in criteria[1:]:
        tab_to(page, by_id(f"score_{c.id}"))
        page.keyboard.press("Control+A")
        page.keyboard.type("7")
    tab_to(page, by_id("comment"))
    page.keyboard.type("事迹真实，影响较大。")
    tab_to(page, lambda el: el["tag"] == "BUTTON" and el["text"] == "提交")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    db.session.expire_all()
    saved = db.session.get(ReviewAssignment, assignment.id)
    assert saved.status == "submitted", saved.status
    assert sorted(float(s.value) for s in saved.scores) == [7.0] * (len(criteria) - 1) + [8.0]
