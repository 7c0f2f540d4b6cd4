"""The published copy of a photo (app/media/publication.py): upright, small, progressive, and without any metadata
— generated pictures carrying EXIF with GPS, XMP, an ICC profile and a comment go in, none of it comes out."""
import io
import struct

import pytest
from PIL import Image, ImageCms

from app.media.publication import PUBLIC_MAX_SIZE, NotPublishable, publishable_jpeg
from tests.media.corpus import encoded, png_of_zeros, portrait

GPS_LATITUDE = (39.0, 54.0, 27.0)
COMMENT = b"shot-by-zhangsan-13911112222"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description Creator="Zhang San"/></rdf:RDF></x:xmpmeta>'
# Bytes that would betray metadata anywhere in a file: EXIF and XMP headers, the ICC signature, our markers.
METADATA_MARKERS = (b"Exif\x00\x00", b"http://ns.adobe.com/xap", b"xmpmeta", b"ICC_PROFILE", b"acsp", b"PhoneMaker",
                    b"zhangsan", b"Zhang San")


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", GPS_LATITUDE, "E", (116.0, 23.0, 17.0)
    return exif


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def phone_jpeg(size=(1200, 1600), orientation: int = 1) -> bytes:
    """A phone's photo: EXIF with GPS and its maker, XMP, an ICC profile and a comment. Orientation 6 stores it
    landscape (turned left), as a phone held upright does."""
    picture = portrait(size)
    if orientation == 6:
        picture = picture.transpose(Image.Transpose.ROTATE_90)
    return encoded(picture, "JPEG", exif=exif_with_gps(orientation), xmp=XMP, icc_profile=srgb_profile(),
                   comment=COMMENT, quality=95)


def segments(jpeg: bytes) -> list[int]:
    """The JPEG's marker codes up to the first scan (where APPn and COM segments live)."""
    assert jpeg[:2] == b"\xff\xd8"
    found, at = [], 2
    while at < len(jpeg):
        assert jpeg[at] == 0xFF
        marker = jpeg[at + 1]
        found.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", jpeg[at + 2:at + 4])
        at += 2 + length
    return found


def assert_no_metadata(jpeg: bytes) -> None:
    """Only JFIF (APP0) may precede the image data: no APP1 (EXIF, XMP), APP2 (ICC), other APPn or comment."""
    markers = segments(jpeg)
    assert [m for m in markers if 0xE1 <= m <= 0xEF or m == 0xFE] == [], [hex(m) for m in markers]
    for marker in METADATA_MARKERS:
        assert marker not in jpeg, marker
    image = Image.open(io.BytesIO(jpeg))
    assert not image.getexif()
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)


def test_the_phone_photo_really_carries_what_must_go():
    data = phone_jpeg()
    image = Image.open(io.BytesIO(data))
    assert image.getexif().get_ifd(0x8825)[2] == GPS_LATITUDE
    assert {"exif", "xmp", "comment", "icc_profile"} <= set(image.info)
    assert {0xE1, 0xE2, 0xFE} <= set(segments(data))


@pytest.mark.parametrize("orientation", [1, 6])
def test_published_copy_has_no_metadata_is_bounded_upright_and_progressive(orientation):
    published = publishable_jpeg(phone_jpeg(orientation=orientation))
    assert_no_metadata(published)
    image = Image.open(io.BytesIO(published))
    assert image.format == "JPEG" and image.mode == "RGB"
    assert image.info.get("progressive") or image.info.get("progression")
    # 1200×1600 displayed (either way it is stored) → exactly the box, portrait, proportions kept.
    assert image.size == PUBLIC_MAX_SIZE
    # Upright: the dark hair is at the top, the dark-blue jacket at the bottom; the background at the top corners.
    assert sum(image.getpixel((image.width // 2, int(image.height * 0.15)))) < 200
    assert image.getpixel((image.width // 2, image.height - 3))[2] > 80
    assert min(image.getpixel((3, 3))) > 230


def test_published_copy_keeps_the_proportions_and_never_enlarges():
    wide = publishable_jpeg(encoded(portrait((1000, 1000)), "JPEG"))
    assert Image.open(io.BytesIO(wide)).size == (240, 240)
    small = publishable_jpeg(encoded(portrait((200, 280)), "JPEG"))
    assert Image.open(io.BytesIO(small)).size == (200, 280)
    assert Image.open(io.BytesIO(publishable_jpeg(encoded(portrait((300, 420)), "JPEG"), (120, 160)))).size == (
        114, 160)


def test_a_png_with_text_and_transparency_is_published_on_white_without_them(tmp_path):
    picture = portrait((600, 840)).convert("RGBA")
    picture.putpixel((0, 0), (0, 0, 0, 0))
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "zhangsan 13911112222")
    path = tmp_path / "photo.png"
    picture.save(path, "PNG", pnginfo=text, exif=exif_with_gps())
    published = publishable_jpeg(path)  # a path works as well as bytes
    assert_no_metadata(published)
    image = Image.open(io.BytesIO(published))
    assert image.size == (229, 320)
    assert min(image.getpixel((0, 0))) > 230  # transparency became white


def test_a_huge_picture_is_refused_from_its_header_before_decoding():
    with pytest.raises(NotPublishable):
        publishable_jpeg(png_of_zeros(10_000, 10_000))


@pytest.mark.parametrize("data", [b"", b"not a picture", encoded(portrait(), "JPEG")[:400],
                                  encoded(portrait(), "GIF")])
def test_damaged_or_foreign_files_are_refused(data):
    with pytest.raises(NotPublishable):
        publishable_jpeg(data)
