"""The rehearsal's own helpers (tests/e2e/checks.py), without a browser: the load-time table flags slow pages, page
names hide ids, and a screenshot is made small enough for the guides."""
import io

from PIL import Image, ImageDraw

from tests.e2e import checks


def test_the_table_flags_pages_over_a_second_and_keeps_each_pages_slowest_load():
    timings = [checks.Timing("市学习办", "/dashboard/", 420), checks.Timing("市学习办", "/dashboard/", 1350),
               checks.Timing("申报人", "/apply/", 980)]
    table = checks.report(timings).splitlines()
    assert table[2].split() == ["/dashboard/", "市学习办", "1350", ">", "1", "s"]
    assert table[3].split() == ["/apply/", "申报人", "980"]
    assert table[-1] == "2 pages (by role), 3 page loads; 1 over 1000 ms"


def test_page_names_hide_ids():
    assert checks.page_name("http://127.0.0.1:5000/applications/show/123?x=1") == "/applications/show/<id>"
    assert checks.page_name("http://h/jobs/3f2a9c1e-77aa-4b1c-9d2e-0a1b2c3d4e5f") == "/jobs/<id>"
    assert checks.page_name("http://h/expert/review/7") == "/expert/review/<id>"
    assert checks.page_name("http://h/zhengshu/N33J-X3VX-EP8P") == "/zhengshu/<id>"  # a certificate's code
    assert checks.page_name("http://h/gongshi/yiyi/chaxun") == "/gongshi/yiyi/chaxun"


def test_a_phone_screenshot_is_made_small_enough():
    # A phone's double-density page: text-like strokes in a few colours on white, and a photo.
    image = Image.new("RGB", (780, 1688), "white")
    draw = ImageDraw.Draw(image)
    for y in range(0, 1688, 24):
        for x in range(0, 760, 14):
            draw.rectangle((x, y, x + (x * 7 + y) % 11, y + 16), fill=((x * 3) % 256, (y * 5) % 256, 120))
    photo = Image.merge("RGB", [Image.effect_noise((300, 400), sigma) for sigma in (40, 60, 80)])
    image.paste(photo, (240, 1200))  # a citizen's photo: noisy, as a real picture is to PNG
    raw = io.BytesIO()
    image.save(raw, "PNG")
    assert raw.tell() > checks.SCREENSHOT_MAX_BYTES  # as the browser gives it: too big
    small = checks._small_png(image)
    assert len(small) < checks.SCREENSHOT_MAX_BYTES
    assert Image.open(io.BytesIO(small)).format == "PNG"
