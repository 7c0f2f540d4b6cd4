"""The copy of an applicant's photo that the public notice (/gongshi) and the final list (/mingdan) show: turned
upright, made small enough for a list on a phone, re-encoded as a progressive JPEG and carrying no metadata at all
(no EXIF, so no GPS or camera; no XMP, ICC profile or comment). Pure: bytes or a path in, JPEG bytes out.
"""
import io
import warnings
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

# Shown at most 120×160 CSS px in the list: twice that covers a phone's 2× screen.
PUBLIC_MAX_SIZE = (240, 320)
PUBLIC_QUALITY = 80
# Stored photos were checked at upload (app/media/photo.py, at most 40 MP); the same bound here keeps a file that
# reached storage some other way from decoding into gigabytes.
MAX_PIXELS = 40_000_000
# Part of the cache key of a published copy (app/publicity.py): change it when the recipe above changes, so that
# copies made by the old recipe are not served any more.
RECIPE = "v1-240x320-q80"


class NotPublishable(Exception):
    """The stored file is not a picture this module can publish (damaged, not JPEG/PNG, far too large)."""


def publishable_jpeg(source: bytes | str | Path, max_size: tuple[int, int] = PUBLIC_MAX_SIZE) -> bytes:
    """The publication copy of a stored photo, at most max_size (width, height), proportions kept, never enlarged."""
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
            if image.width * image.height > MAX_PIXELS:  # the header's size: nothing decoded yet
                raise NotPublishable(f"{image.width}×{image.height} is over {MAX_PIXELS} pixels")
            # A JPEG decodes at 1/2, 1/4 or 1/8 scale directly, as long as that stays above the size asked for:
            # the larger side twice the box's larger side leaves the resize below something to work with.
            side = 2 * max(max_size)
            image.draft("RGB", (side, side))
            image.load()
    except NotPublishable:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, UnidentifiedImageError) as bad:
        raise NotPublishable(str(bad)) from bad
    except Exception as bad:  # whatever a damaged file makes a decoder raise
        raise NotPublishable(str(bad)) from bad

    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block: publish the picture as stored
        pass
    rgb = _srgb(_on_white(image), image.info.get("icc_profile"))
    rgb.thumbnail(max_size, Image.Resampling.LANCZOS, reducing_gap=3.0)

    # A fresh image carries none of the original's info: Pillow writes a JPEG comment it finds in `info` even
    # when not asked to, and the ICC profile, EXIF and XMP travel there too.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=PUBLIC_QUALITY, progressive=True, optimize=True)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("RGB")
    return image.convert("RGB")


def _srgb(rgb: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Colours converted from the photo's own profile (a phone's Display P3) to sRGB, which a browser assumes for
    a JPEG without one: dropping the profile without converting would make the face look washed out."""
    if not icc_profile:
        return rgb
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(rgb, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return rgb  # an unreadable profile: keep the pixels as they are
