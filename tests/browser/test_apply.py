"""在线报名 in a real browser, as a citizen does it on a phone: the unit cascade, the ID number filling birth date
and gender, the deeds counter, photo and video uploads with their checks and progress, submission.

The HTTP side of the same flow is tests/views/test_apply.py; here it is the page's script and layout that count.
"""
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app import clock, roles
from app.media.photo import PHOTO_MAX_BYTES
from app.models import Stage
from tests import factories
from tests.browser.signing import log_in
from tests.media import corpus

NOW = datetime(2026, 4, 10, 9, 0)
SCREENSHOT = "/tmp/apply-mobile.png"
SCREENSHOT_SUBMITTED = "/tmp/apply-mobile-submitted.png"
SCREENSHOT_SILENT = "/tmp/apply-mobile-silent-video.png"
ID_NUMBER = factories.id_number("19850615", 123)  # born 1985-06-15; sequence 123, odd: male
DEEDS = "坚持每天学习两小时，带动社区读书会。\n每周为邻居讲一次课。"


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Files as a phone's picker offers them, under the names a citizen's files have."""
    folder = tmp_path_factory.mktemp("apply-browser-media")
    photo = corpus.encoded(corpus.portrait(), "JPEG")
    paths = {"photo": folder / "我的照片.jpg", "big_photo": folder / "大照片.jpg",
             "video": folder / "学习视频.mp4", "hevc": folder / "手机录像.mp4"}
    paths["photo"].write_bytes(photo)
    paths["big_photo"].write_bytes(corpus.padded_to(photo, int(2.1 * 1024 * 1024)))
    corpus.clip(paths["video"])
    corpus.clip(paths["hevc"], "libx265")
    paths["silent"], paths["mute"] = folder / "静音视频.mp4", folder / "无声视频.mp4"
    corpus.clip(paths["silent"], audio="silence")
    corpus.clip(paths["mute"], audio=None)
    return paths


@pytest.fixture
def citizen():
    clock.freeze(NOW)  # the live server runs in this process: its clock is frozen too
    campaign = factories.campaign(open_stage=Stage.APPLY, at=NOW)
    district, streets = factories.district_with_streets("海淀区", ("中关村街道", "学院路街道"))
    other_district = factories.unit(name="朝阳区")
    account = factories.account(roles.APPLICANT, username="13911588771", first_name="张学习")
    return {"campaign": campaign, "district": district, "streets": streets, "other_district": other_district,
            "account": account}



def options(page, select):
    return page.eval_on_selector_all(f"{select} option", "els => els.map(e => [e.value, e.textContent.trim()])")


def assert_no_horizontal_scroll(page):
    # A phone's Chromium zooms a page wider than the screen out to fit, and window.innerWidth then grows to the
    # page's width: so the screen's width is the layout viewport's (clientWidth), and both must stay within it.
    scroll, inner, client = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.clientWidth]")
    assert max(scroll, inner) <= client + 1, f"wider than the phone ({client}px): {scroll}px at {page.url}"


def assert_only_live_server(requested_urls, live_server):
    elsewhere = sorted({url for url in requested_urls if urlsplit(url).netloc != live_server.netloc})
    assert not elsewhere, f"requests to other hosts than the live server {live_server.netloc}: {elsewhere}"


def test_a_citizen_applies_on_a_phone(phone_page, live_server, requested_urls, citizen, media):
    page = phone_page
    district, (street, other_street) = citizen["district"], citizen["streets"]
    log_in(page, citizen["account"])
    page.goto("/apply/")
    assert "在线报名" in page.inner_text("h2")

    # The cascade: 单位类别 → 一级单位 (from /apply/units) → 二级单位.
    with page.expect_response(lambda r: "/apply/units?category=district" in r.url):
        page.select_option("#category", label="区")
    page.wait_for_function("() => document.querySelectorAll('#first_level option').length > 1")
    assert options(page, "#first_level") == [
        ["", "请选择"], [str(district.id), "海淀区"], [str(citizen["other_district"].id), "朝阳区"]]
    with page.expect_response(lambda r: f"/apply/units?parent={district.id}" in r.url):
        page.select_option("#first_level", label="海淀区")
    page.wait_for_function("() => document.querySelectorAll('#unit_id option').length > 1")
    assert options(page, "#unit_id") == [["", "请选择"], [str(street.id), "中关村街道"], [str(other_street.id), "学院路街道"]]
    page.select_option("#unit_id", label="中关村街道")

    # The ID number fills in birth date and gender when the citizen moves on.
    page.fill("#id_number", ID_NUMBER)
    page.locator("#id_number").blur()
    assert page.input_value("#birth_date") == "1985-06-15"
    assert page.input_value("#gender") == "male"
    assert page.eval_on_selector("#gender", "el => el.options[el.selectedIndex].text") == "男"

    # The deeds counter counts characters, as the server does: a 汉字 is 1, and so is an emoji.
    counter = page.locator("#deeds-counter")
    page.fill("#deeds", "学" * 10)
    assert counter.inner_text() == "10" and "over" not in (counter.get_attribute("class") or "")
    page.fill("#deeds", "读书📚")
    assert counter.inner_text() == "3"
    page.fill("#deeds", "学" * 2001)
    assert counter.inner_text() == "2001" and "over" in counter.get_attribute("class")
    page.fill("#deeds", DEEDS)
    assert counter.inner_text() == "29" and "over" not in counter.get_attribute("class")  # the line break is 1

    # The photo: sent on its own as soon as it is chosen, checked, then shown.
    page.set_input_files("#photo", media["photo"])
    status = page.locator("#photo-status")
    page.wait_for_function("() => document.getElementById('photo-status').textContent.includes('已上传')")
    assert status.inner_text() == "照片已上传：我的照片.jpg" and "ok" in status.get_attribute("class")
    preview = page.locator("#photo-preview")
    assert preview.is_visible() and "/application-files/" in preview.get_attribute("src")
    page.wait_for_function("() => document.getElementById('photo-preview').naturalWidth > 0")

    # The video: an HEVC clip is refused at the field, naming the codec and what to use instead...
    video_status = page.locator("#video-status")
    page.set_input_files("#video", media["hevc"])
    page.wait_for_function("() => document.getElementById('video-status').classList.contains('bad')")
    refusal = video_status.inner_text()
    assert "HEVC" in refusal and "H.264" in refusal, refusal
    assert page.locator("#video-box .upload-status.bad").is_visible()
    assert page.get_attribute("#video-player", "src") is None

    # ...an H.264 one goes through: the bar starts from 0 again, reaches 100%, and the player plays it.
    page.evaluate("""() => {
      const bar = document.querySelector('#video-progress .progress-bar');
      window.barValues = [];
      new MutationObserver(() => window.barValues.push(bar.getAttribute('aria-valuenow')))
        .observe(bar, {attributes: true, attributeFilter: ['aria-valuenow']});
    }""")
    page.set_input_files("#video", media["video"])
    page.wait_for_function("() => document.getElementById('video-status').textContent.includes('已上传')")
    assert video_status.inner_text() == "视频已上传：学习视频.mp4" and "ok" in video_status.get_attribute("class")
    bar = page.locator("#video-progress .progress-bar")
    assert bar.get_attribute("aria-valuenow") == "100" and bar.inner_text() == "100%"
    values = page.evaluate("window.barValues")
    assert values[0] == "0" and values[-1] == "100", values
    player = page.locator("#video-player")
    assert player.is_visible() and "/application-files/" in player.get_attribute("src")
    page.wait_for_function("() => document.getElementById('video-player').readyState >= 1")
    assert page.evaluate("document.getElementById('video-player').duration") == pytest.approx(1, abs=0.2)

    # The rest of the form, the two confirmations, and submission.
    page.fill("#name", "张学习")
    page.fill("#mobile", "13911588771")
    page.fill("#work_unit", "北京某研究院")
    page.fill("#position", "工程师")
    page.fill("#address", "北京市海淀区中关村大街 1 号")
    page.check("#is_permanent_resident")
    page.check("#declaration_confirmed")
    assert_no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # 提交报名 cannot be undone: a dialog asks first. Esc goes back to the form with nothing sent...
    dialog = page.locator("#submit-confirm")
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/apply/") else None)
    page.click("button[name=intent][value=submit]")
    assert dialog.is_visible()
    assert "提交后报名信息不能再修改" in dialog.inner_text()
    assert page.inner_text("#confirm-name") == "张学习" and page.inner_text("#confirm-unit") == "海淀区 · 中关村街道"
    assert page.evaluate("document.activeElement.id") == "confirm-cancel"  # the safe choice has the focus
    page.keyboard.press("Escape")
    assert not dialog.is_visible() and urlsplit(page.url).path == "/apply/"
    assert page.evaluate("document.activeElement.name") == "intent"  # back on 提交报名
    # ...取消 too; 确定提交, reached with the keyboard, submits.
    page.click("button[name=intent][value=submit]")
    page.click("#confirm-cancel")
    assert not dialog.is_visible() and posted == []
    page.click("button[name=intent][value=submit]")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "confirm-ok"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert len(posted) == 1
    body = page.inner_text("body")
    assert "报名已提交" in body and "已提交" in page.inner_text(".apply-page .label")
    for shown in ("张学习", "1985-06-15", ID_NUMBER, "北京某研究院", "海淀区 · 中关村街道", DEEDS):  # its line break too
        assert shown in body, f"{shown!r} not on the read-only page"
    assert page.locator("#apply-form").count() == 0  # read-only now
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    assert_no_horizontal_scroll(page)
    page.screenshot(path=SCREENSHOT_SUBMITTED, full_page=True)

    assert any("/apply/photo" in url for url in requested_urls) and any("/apply/video" in url for url in requested_urls)
    assert_only_live_server(requested_urls, live_server)


def test_a_citizen_on_a_phone_sees_the_silence_warning_before_submitting(phone_page, citizen, media):
    page = phone_page
    log_in(page, citizen["account"])
    page.goto("/apply/")
    warning = page.locator("#video-warning")
    assert not warning.is_visible()

    # No sound track at all: refused, saying what to do.
    page.set_input_files("#video", media["mute"])
    page.wait_for_function("() => document.getElementById('video-status').classList.contains('bad')")
    assert "视频没有声音" in page.inner_text("#video-status") and "请录制带声音的视频" in page.inner_text("#video-status")
    assert not warning.is_visible()

    # Sound that is silent throughout: kept, and the citizen is told at once, next to the video.
    page.set_input_files("#video", media["silent"])
    page.wait_for_function("() => document.getElementById('video-status').textContent.includes('已上传')")
    assert page.inner_text("#video-status") == "视频已上传：静音视频.mp4"
    assert warning.is_visible() and warning.inner_text().startswith("视频的声音全程几乎听不到")
    assert "麦克风" in warning.inner_text()
    assert_no_horizontal_scroll(page)
    page.locator("#video-box").screenshot(path=SCREENSHOT_SILENT)

    # Still there when the citizen comes back to the page later, until the video is replaced by one with sound.
    page.reload()
    assert warning.is_visible() and warning.inner_text().startswith("视频的声音全程几乎听不到")
    page.set_input_files("#video", media["video"])
    page.wait_for_function("() => document.getElementById('video-status').textContent.includes('学习视频.mp4')")
    assert not warning.is_visible()
    page.reload()
    assert not warning.is_visible()


def test_an_oversized_photo_is_refused_in_the_browser_without_sending_it(page, live_server, requested_urls,
                                                                        citizen, media):
    assert media["big_photo"].stat().st_size > PHOTO_MAX_BYTES
    log_in(page, citizen["account"])
    page.goto("/apply/")
    page.set_input_files("#photo", media["big_photo"])
    status = page.locator("#photo-status")
    assert status.inner_text() == "照片为 2.1MB，超过 2.0MB 的上限，请压缩后重新选择"
    assert "bad" in status.get_attribute("class")
    assert page.input_value("#photo") == ""  # cleared: the same file may be chosen again after compressing
    assert page.get_attribute("#photo-preview", "src") is None
    # The page's requests are reported in the order it sends them: once a later one is seen, an upload sent by
    # the refused choice would have been seen before it. No waiting on the clock.
    with page.expect_request(lambda request: "after-refusal" in request.url):
        page.evaluate("fetch('/static/after-refusal.txt').catch(() => null)")
    assert not [url for url in requested_urls if "/apply/photo" in url], requested_urls
    assert_only_live_server(requested_urls, live_server)


def test_a_bad_id_number_is_shown_at_the_field_and_nothing_typed_is_lost(page, citizen):
    street = citizen["streets"][1]
    log_in(page, citizen["account"])
    page.goto("/apply/")
    page.fill("#name", "张学习")
    page.fill("#id_number", "110108198506151234")  # a wrong check digit
    page.fill("#work_unit", "北京某研究院")
    page.fill("#position", "工程师")
    page.select_option("#category", label="区")
    page.wait_for_function("() => document.querySelectorAll('#first_level option').length > 1")
    page.select_option("#first_level", label="海淀区")
    page.wait_for_function("() => document.querySelectorAll('#unit_id option').length > 1")
    page.select_option("#unit_id", label="学院路街道")
    page.fill("#deeds", "坚持终身学习。")
    with page.expect_navigation():
        page.click("button[name=intent][value=save]")

    assert "有内容需要修改" in page.inner_text("body")
    group = page.locator(".form-group", has=page.locator("#id_number"))
    assert "has-error" in group.get_attribute("class")
    assert "身份证号校验位不正确" in group.locator(".field-error").inner_text()
    assert page.locator(".field-error").count() == 1  # only that field is marked
    assert page.input_value("#id_number") == "110108198506151234"
    assert page.input_value("#name") == "张学习"
    assert page.input_value("#work_unit") == "北京某研究院"
    assert page.input_value("#position") == "工程师"
    assert page.input_value("#deeds") == "坚持终身学习。" and page.inner_text("#deeds-counter") == "7"
    assert (page.input_value("#category"), page.input_value("#first_level"), page.input_value("#unit_id")) == (
        "district", str(citizen["district"].id), str(street.id))
    assert page.eval_on_selector("#unit_id", "el => el.options[el.selectedIndex].text") == "学院路街道"


def test_a_citizen_lands_on_my_application_after_sign_in_with_the_return_reason_on_top(page, citizen):
    from app import workflow

    street = citizen["streets"][0]
    application = factories.application(unit=street, applicant=citizen["account"], campaign=citizen["campaign"])
    clerk = factories.account(roles.L2_CLERK, unit=street)
    workflow.perform(clerk, application.id, "return", "请补充近三年的学习成果证明")
    page.goto("/login/")
    page.fill("#username", citizen["account"].username)
    page.fill("#password", factories.PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/apply/")
    first_alert = page.locator(".apply-page .alert").first
    assert first_alert.get_attribute("id") == "return-reason"
    assert "请补充近三年的学习成果证明" in first_alert.inner_text() and "中关村街道" in first_alert.inner_text()
    assert "退回修改" in page.inner_text("#application-state")
    assert page.locator(".navbar", has_text="评选管理").count() == 0  # the staff's menu, not a citizen's


def test_a_citizen_whose_unit_never_acted_reads_why_and_whom_to_call(phone_page, citizen):
    page = phone_page
    street = citizen["streets"][0]
    street.contact_name, street.contact_phone = "张伟", "010-62551234"
    factories.application(unit=street, applicant=citizen["account"], campaign=citizen["campaign"])
    end = citizen["campaign"].window(Stage.L2_REVIEW).ends_at
    clock.freeze(end + timedelta(seconds=1))
    log_in(page, citizen["account"])
    assert urlsplit(page.url).path == "/apply/"
    assert page.inner_text(".apply-page .label").strip() == "已提交，待二级单位评审（过期无效）"
    notice = page.locator("#void-notice")
    assert notice.is_visible()
    text = notice.inner_text()
    assert f"您选择的推荐单位（中关村街道）未在 {end:%Y-%m-%d %H:%M:%S} 前完成评审推荐，本次报名未能进入下一环节。" in text
    assert "如有疑问请联系 中关村街道 张伟 010-62551234" in text
    assert page.locator("#apply-form").count() == 0
    assert page.inner_text("table.history tbody").strip() == "暂无办理记录。"  # not a heading over nothing
    assert_no_horizontal_scroll(page)
    # The application's table on a 390px phone: each label (姓名, 出生日期, 手机号码…) on one line, not a character a line.
    for label in page.locator(".application-table th").all():
        box, line = label.bounding_box(), label.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert box["height"] < 2 * line + 14, (label.inner_text(), box)
    page.screenshot(path="/tmp/apply-void-notice.png", full_page=True)


def test_a_citizen_reads_the_application_and_its_history_whole_on_a_phone(phone_page, citizen):
    """Found by a screenshot tour: on a 390px phone the read-only application's five columns broke the mobile number
    into four lines of three digits and the birth date into two, and 办理记录's four columns broke 提交报名 and the
    clerk's name into a character a line. Now each label and its value make a line (the photo above them) and each
    event is its time, who and what on one line with the opinion under them."""
    from app import workflow

    page = phone_page
    street = citizen["streets"][0]
    application = factories.application(unit=street, applicant=citizen["account"], campaign=citizen["campaign"],
                                        mobile="15556453983", id_number=factories.id_number("19790607", 124),
                                        birth_date=datetime(1979, 6, 7).date(), gender="female",
                                        work_unit="海淀区中关村街道某社区居委会")
    clerk = factories.account(roles.L2_CLERK, unit=street, first_name="刘晓燕")
    workflow.perform(clerk, application.id, "return", "请补充近三年的学习经历和取得的成果后重新提交。")
    clock.freeze(citizen["campaign"].window(Stage.APPLY).ends_at + timedelta(seconds=1))  # read-only from now on
    log_in(page, citizen["account"])
    page.goto("/apply/")
    assert page.locator("#apply-form").count() == 0
    assert_no_horizontal_scroll(page)

    def line_height(locator):
        return locator.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")

    table = page.locator(".application-table")
    photo = table.locator(".photo-cell").bounding_box()
    for label, value in (("出生日期", "1979-06-07"), ("手机号码", "15556453983"), ("姓名", "张学习")):
        th = table.locator("th", has_text=label)
        td = th.locator("xpath=following-sibling::td[1]")
        assert td.inner_text().strip() == value
        th_box, td_box = th.bounding_box(), td.bounding_box()
        assert td_box["height"] < 2 * line_height(td) + 14, (label, td_box)  # one line
        assert abs(th_box["y"] - td_box["y"]) < 2 and td_box["x"] > th_box["x"]  # beside its label
        assert th_box["y"] >= photo["y"] + photo["height"] - 1  # under the photo
    events = page.locator("table.history tbody tr")
    returned = events.filter(has_text="退回修改")
    cells = returned.locator("td")
    when, who, what, opinion = (cells.nth(n).bounding_box() for n in range(4))
    assert who["y"] == when["y"] == what["y"] and what["height"] < 2 * line_height(cells.nth(2)) + 2
    assert "刘晓燕" in cells.nth(1).inner_text() and who["height"] < 2 * line_height(cells.nth(1)) + 2
    assert opinion["y"] >= when["y"] + when["height"] and "请补充近三年的学习经历" in cells.nth(3).inner_text()
    page.screenshot(path="/tmp/apply-read-only-phone.png", full_page=True)


def test_the_file_pickers_are_chinese_buttons_whatever_the_browsers_language(phone_page, citizen):
    """Found by the rehearsal's screenshots: the native inputs read "Choose File / No file chosen" in a browser whose
    own language is English. Each is now a 选择照片 / 选择视频 button that opens the phone's picker."""
    page = phone_page
    log_in(page, citizen["account"])
    page.goto("/apply/")
    for field, label in (("photo", "选择照片"), ("video", "选择视频")):
        button = page.locator(f"label.file-pick[for={field}]")
        assert button.is_visible() and button.inner_text().strip() == label
        box = page.locator(f"#{field}").bounding_box()
        assert box["width"] <= 1 and box["height"] <= 1  # the native input is out of sight...
        with page.expect_file_chooser() as chooser:
            button.click()  # ...and the button opens the picker
        assert chooser.value.element.get_attribute("id") == field
    page.locator("#photo").focus()  # still reached by the keyboard, the button outlined
    assert page.locator("label.file-pick[for=photo]").evaluate("el => getComputedStyle(el).outlineStyle") == "solid"
    assert_no_horizontal_scroll(page)


def test_a_full_width_id_number_from_a_phones_keyboard_fills_in_birth_date_and_gender_and_is_saved(phone_page, citizen):
    """A Chinese keyboard types １１０１０８…: the page reads it as the server does (NFKC), fills 出生日期
    and 性别, and saving keeps the number in its ASCII form (it was 「前 17 位须为数字」)."""
    page = phone_page
    log_in(page, citizen["account"])
    page.goto("/apply/")
    wide = ID_NUMBER.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    page.locator("#id_number").click()
    page.keyboard.insert_text(wide)  # as an IME commits it
    page.locator("#id_number").blur()
    assert page.input_value("#birth_date") == "1985-06-15" and page.input_value("#gender") == "male"
    with page.expect_navigation():
        page.click("button[name=intent][value=save]")
    group = page.locator(".form-group", has=page.locator("#id_number"))
    assert "has-error" not in (group.get_attribute("class") or "")
    assert page.input_value("#id_number") == ID_NUMBER
