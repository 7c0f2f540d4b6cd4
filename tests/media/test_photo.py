import io

import pytest
from PIL import Image

from app.media.photo import PHOTO_MAX_BYTES, check_photo
from tests.media.corpus import PHOTO_CASES, encoded, portrait, white_png
from tests.memory import peak

ACCEPTED = [case for case in PHOTO_CASES if case.ok]


def verdict_of(corpus, name):
    return check_photo(corpus[name].read_bytes())


@pytest.mark.parametrize("case", PHOTO_CASES, ids=lambda case: case.name)
def test_corpus_photo_is_classified_as_expected(case, photo_corpus):
    verdict = verdict_of(photo_corpus, case.name)
    assert verdict.ok is case.ok, verdict.message
    if case.ok:
        assert verdict.message == ""
        assert verdict.format in ("JPEG", "PNG")
        assert verdict.stored
    else:
        assert verdict.stored is None
        for word in case.mentions:
            assert word in verdict.message


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda case: case.name)
def test_stored_photo_is_a_jpeg_without_exif_or_other_metadata(case, photo_corpus):
    verdict = verdict_of(photo_corpus, case.name)
    stored = Image.open(io.BytesIO(verdict.stored))
    assert stored.format == "JPEG"
    assert stored.size == (verdict.width, verdict.height)
    assert not stored.getexif()
    assert not {"exif", "xmp", "comment"} & set(stored.info)
    assert b"Exif\x00\x00" not in verdict.stored
    assert b"PhoneMaker" not in verdict.stored


def test_exif_orientation_is_applied_before_judging_and_storing(photo_corpus):
    path = photo_corpus["exif_rotated_to_portrait"]
    raw = Image.open(path)
    assert raw.size == (420, 300) and raw.getexif()[0x0112] == 6
    assert raw.getexif().get_ifd(0x8825), "the corpus photo carries a GPS position"

    verdict = check_photo(path.read_bytes())
    assert verdict.ok and (verdict.width, verdict.height) == (300, 420)
    stored = Image.open(io.BytesIO(verdict.stored)).convert("RGB")
    hair, jacket = stored.getpixel((150, 63)), stored.getpixel((150, 410))
    assert max(hair) < 90, "the head is at the top once turned upright"
    assert jacket[2] > jacket[0] + 40


def test_transparent_background_is_judged_and_stored_on_white(photo_corpus):
    verdict = verdict_of(photo_corpus, "transparent_png_on_white")
    corner = Image.open(io.BytesIO(verdict.stored)).convert("RGB").getpixel((2, 2))
    assert min(corner) > 245


def test_a_phone_jpeg_with_extra_pictures_counts_as_jpeg(photo_corpus):
    assert Image.open(photo_corpus["white_mpo_jpeg"]).format == "MPO"
    assert verdict_of(photo_corpus, "white_mpo_jpeg").format == "JPEG"


def test_size_is_checked_before_anything_is_decoded():
    verdict = check_photo(b"\xff\xd8" + bytes(PHOTO_MAX_BYTES))
    assert not verdict.ok and "2 MB" in verdict.message and "2.1 MB" in verdict.message


def test_a_bomb_is_refused_from_its_header_before_decoding(photo_corpus):
    verdict = verdict_of(photo_corpus, "over_pixel_cap_49mp")
    assert (verdict.width, verdict.height) == (7000, 7000) and "7000×7000" in verdict.message


@pytest.mark.parametrize("level, ok", [(200, False), (205, False), (212, True), (215, True), (235, True)])
def test_a_neutral_backdrop_is_white_from_a_wall_in_ordinary_light_up(level, ok):
    """The line between a studio's light grey (~200) and a white wall as a phone sees it (215-250) lies between."""
    verdict = check_photo(encoded(portrait(background=(level, level, level)), "JPEG", quality=90))
    assert verdict.ok is ok, verdict.message
    if not ok:
        assert "偏灰" in verdict.message and "请在白色背景前" in verdict.message


@pytest.mark.parametrize("cast, ok", [((250, 244, 232), True), ((232, 238, 250), True), ((250, 232, 200), False),
                                      ((200, 220, 245), False), ((235, 245, 225), True), ((215, 245, 215), False)])
def test_a_slight_cast_of_the_phones_white_balance_passes_a_tinted_backdrop_does_not(cast, ok):
    verdict = check_photo(encoded(portrait(background=cast), "JPEG", quality=90))
    assert verdict.ok is ok, verdict.message
    if not ok:
        assert "颜色" in verdict.message


def test_the_white_png_bomb_is_refused_before_decoding_at_a_few_megabytes():
    """Issue 10: a 134 KB all-white 5400×7400 PNG cost a worker +304 MB before it was refused."""
    bomb = white_png(5400, 7400)
    assert len(bomb) < 200 * 1024
    with peak() as used:
        verdict = check_photo(bomb)
    assert not verdict.ok and "5400×7400" in verdict.message and "像素" in verdict.message
    assert used.megabytes < 20, used


def test_a_large_jpeg_is_decoded_reduced_and_stored_smaller():
    photo = encoded(portrait((3000, 4200)), "JPEG", quality=60)  # 12.6 MP: 50 MB decoded whole
    with peak() as used:
        verdict = check_photo(photo)
    assert verdict.ok, verdict.message
    assert verdict.width < 3000 and verdict.width >= 1000 and 1.38 < verdict.height / verdict.width < 1.42
    assert used.megabytes < 50, used
