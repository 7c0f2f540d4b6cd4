"""荣誉证书 in a real browser: the city office opens a certificate's A4 page from 公示与表彰 → 荣誉证书 (one A4 page when
printed, its QR code readable and holding the public address); a member of the public types the code, lower case
and without dashes, into /zhengshu/ and sees the confirmation; a made-up code gets the neutral message.

The HTTP side is tests/views/test_certificates.py."""
import io
from urllib.parse import urlsplit

from PIL import Image
from pypdf import PdfReader

from app import roles
from tests import factories
from tests.browser.test_review import Flow
from tests.certificate_setup import winners


def test_the_office_prints_a_certificate_on_one_a4_page_with_a_readable_qr_code(page, live_server, requested_urls):
    import zxingcpp

    featured, _plain = winners(2, featured=1)
    flow = Flow(page)
    flow.log_in(factories.account(roles.CITY_OFFICE))
    page.click(".navbar >> text=公示与表彰")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu >> text=荣誉证书")
    assert urlsplit(page.url).path == "/certificates/list/"
    flow.check()
    row = page.locator("table tr", has_text=featured.code)
    with page.context.expect_page() as opened:
        row.locator("a.print-link").click()
    sheet = opened.value
    sheet.wait_for_load_state()
    assert featured.name in sheet.inner_text(".sheet") and "重点宣传" in sheet.inner_text(".sheet")
    assert sheet.locator("svg.qr").count() == 1
    picture = Image.open(io.BytesIO(sheet.locator("svg.qr").screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(picture)] == [f"{live_server.url}/zhengshu/{featured.code}"]
    printed = PdfReader(io.BytesIO(sheet.pdf(prefer_css_page_size=True, print_background=True)))
    assert len(printed.pages) == 1
    assert round(float(printed.pages[0].mediabox.width)) == 595 and round(float(printed.pages[0].mediabox.height)) == 842
    assert all(url.startswith((live_server.url, "data:", "blob:")) for url in requested_urls), requested_urls


def test_the_public_types_a_code_and_sees_the_confirmation_or_the_neutral_message(page):
    (certificate,) = winners(1, featured=0)
    page.goto("/zhengshu/")
    Flow(page).check()
    page.fill("#code", certificate.code.lower().replace("-", ""))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == f"/zhengshu/{certificate.code}"
    facts = page.inner_text("#certificate-facts")
    assert certificate.name in facts and certificate.campaign.name in facts and "首都市民学习之星" in facts
    assert page.inner_text("#certificate-status").startswith("有效")
    page.fill("#code", "7KQ4M9XP2T3C")
    with page.expect_navigation():
        page.click("#certificate-lookup button[type=submit]")
    assert page.inner_text("#certificate-not-found") == "未找到该证书编号，请核对"
    assert page.locator("#certificate-facts").count() == 0
