"""R-APP-4: the application photo is a 1-inch colour photo on a white background (一寸白底彩色), JPG or PNG, at most
2 MB. Judged by content with Pillow; an accepted photo is stored re-encoded as a JPEG without EXIF (phones put GPS
there) or other metadata.

Transparency: a PNG with a transparent background (a cut-out from a photo app) is composited onto white and judged
as it would be printed, not refused: white is what the background must be anyway.
"""
import io
import math
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageChops, ImageOps, UnidentifiedImageError

PHOTO_MAX_BYTES = 2 * 1024 * 1024
# A 1-inch photo needs ~0.12 MP. A JPEG is decoded reduced (libjpeg scales by 1/2..1/8 while decoding, see
# _DECODE_AT_LEAST), so 16 MP allows any phone photo that fits in 2 MB; a PNG is decoded whole (4 bytes a pixel),
# and a real photo saved as PNG within 2 MB has far fewer than 6 MP: more is a flat picture, or a bomb (a 134 KB
# all-white 5400×7400 PNG decoded whole cost a worker +300 MB). Both are judged from the header, before decoding.
MAX_PIXELS = 16_000_000
MAX_PNG_PIXELS = 6_000_000
# Pillow's own process-wide cap (it warns above it, refuses above twice it) for every Image.open in the app, set
# here rather than left at its default (89 MP); check_photo refuses far below it, with the photo's dimensions.
Image.MAX_IMAGE_PIXELS = 4 * MAX_PIXELS
# Judged and stored at no more than about twice this size: plenty for the 25×35 mm print (295×413 at 300 dpi).
_DECODE_AT_LEAST = (1000, 1400)
# 295×413 px is 25×35 mm at 300 dpi; a photo somewhat below that still prints acceptably.
MIN_WIDTH, MIN_HEIGHT = 200, 280
# Height / width: 35/25 = 1.4 for the 1-inch photo; a 3:4 phone portrait (1.33) and 33×48 mm (1.45) pass.
MIN_RATIO, MAX_RATIO = 1.25, 1.6
STORED_QUALITY = 90

# The pixel judgements run on a copy this wide: enough for proportions of colour, cheap on a 12 MP photo.
_SAMPLE_WIDTH = 100
# A pixel counts as coloured when its channels differ by at least this much; a greyscale JPEG saved as RGB stays
# within a few levels (chroma rounding), skin and clothes are far above.
_COLOUR_SPREAD = 24
# ...and a photo is in colour when at least this share of it is coloured: a face alone covers far more, while on a
# white background the mean spread of a colour portrait can be small, which is why a mean is not used.
_COLOUR_SHARE = 0.01
# The background is judged in CIELAB, per pixel of the border (below): lightness L* says white from grey, chroma C*
# says white from a coloured backdrop. A phone photo against a white wall in ordinary light has its wall at RGB
# ~215-250 (L* 86-98) with a slight warm or cool cast from the phone's white balance (C* up to ~10), darker towards
# the corners; a studio's light-grey backdrop is a uniform ~200 (L* 80.6) and the palest blue ID-photo backdrop
# (~200,220,245) has C* 14.5. So: white is L* >= 84 (a neutral RGB 209) and C* <= 12.
_WHITE_MIN_LIGHTNESS = 84.0
_WHITE_MAX_CHROMA = 12.0
# The background is judged on the outer 5% of the top edge and of the left and right edges down to 60% of the height:
# the head stays clear of those, the shoulders reach the sides lower down. At least this share of those pixels must
# be white: a shadow or a strand of hair near the edge may take the rest.
_BORDER, _BORDER_DEPTH, _WHITE_SHARE = 0.05, 0.6, 0.8

_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
_ALPHA_MODES = {"RGBA", "RGBa", "PA"}


@dataclass(frozen=True)
class PhotoVerdict:
    ok: bool
    message: str = ""  # '' when ok; otherwise what the citizen should fix
    format: str | None = None  # 'JPEG' | 'PNG' as read from the content
    width: int | None = None  # as displayed, after the EXIF orientation
    height: int | None = None
    stored: bytes | None = field(default=None, repr=False)  # when ok: JPEG, no EXIF/XMP/comments


def _refuse(message: str, fmt: str | None = None, size: tuple[int, int] | None = None) -> PhotoVerdict:
    width, height = size or (None, None)
    return PhotoVerdict(ok=False, message=message, format=fmt, width=width, height=height)


def check_photo(data: bytes) -> PhotoVerdict:
    """Judge an uploaded photo; on success the verdict carries the bytes to store."""
    if not data:
        return _refuse("照片文件为空，请重新选择照片上传")
    if len(data) > PHOTO_MAX_BYTES:
        return _refuse(f"照片文件大小为 {_megabytes(len(data))} MB，超过 2 MB 上限，请压缩后重新上传")

    try:
        # Pillow warns between 89 and 179 MP and raises above; both are far over our own cap, so the warning is
        # made an error here to stop before anything is decoded. (catch_warnings is process-wide: at worst another
        # thread sees this one filter for a moment, which only ever refuses a bomb.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _refuse("照片像素尺寸过大，不是有效的一寸照片，请上传正常拍摄的 JPG 或 PNG 照片")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return _refuse("照片须为 JPG 或 PNG 格式，请用相机或相册导出为 JPG 后重新上传（不支持 GIF、WEBP、HEIC、BMP 等）")

    # A JPEG carrying extra pictures (MPF, as some phones write) is opened as 'MPO': it is still a JPEG file.
    fmt = "JPEG" if image.format in ("JPEG", "MPO") else image.format
    width, height = image.size
    cap = MAX_PNG_PIXELS if fmt == "PNG" else MAX_PIXELS
    if width * height > cap:  # from the header alone: nothing decoded yet
        return _refuse(
            f"照片像素尺寸过大（{width}×{height}），请缩小到 {cap // 10_000} 万像素以内后重新上传"
            f"（一寸照 295×413 像素即可）",
            fmt,
            image.size,
        )

    # Pillow's verify() passes a truncated JPEG; a full decode does not (ImageFile.LOAD_TRUNCATED_IMAGES is False,
    # Pillow's default, which this portal never changes).
    try:
        if fmt == "JPEG":
            image.draft(image.mode, _DECODE_AT_LEAST)  # decode at 1/2, 1/4 or 1/8 when that is still this big
        image.load()
        image = _reduced(image)
    except Exception:  # whatever a damaged file makes a decoder raise
        return _refuse("照片文件已损坏或不完整，无法打开，请重新导出后上传", fmt, (width, height))

    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a malformed EXIF block: judge the picture as stored rather than refuse it
        pass
    size = image.size
    width, height = size

    if image.mode in _GREY_MODES:
        return _refuse("照片须为彩色照片，不能是黑白（灰度）照片，请上传彩色照片", fmt, size)
    rgb = _on_white(image)

    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return _refuse(
            f"照片分辨率过低（{width}×{height} 像素），一寸照至少需 {MIN_WIDTH}×{MIN_HEIGHT} 像素"
            f"（标准为 295×413），请上传更清晰的照片",
            fmt,
            size,
        )
    ratio = height / width
    if not MIN_RATIO <= ratio <= MAX_RATIO:
        return _refuse(
            f"照片须为竖版一寸照，宽高比例约 25:35（当前 {width}×{height} 像素），请按一寸照比例裁剪后重新上传",
            fmt,
            size,
        )

    sample = rgb.resize((_SAMPLE_WIDTH, max(1, round(_SAMPLE_WIDTH * ratio))), Image.Resampling.BOX)
    if _share(_channel_spread(sample).point(lambda v: 255 if v >= _COLOUR_SPREAD else 0)) < _COLOUR_SHARE:
        return _refuse("照片须为彩色照片，不能是黑白（灰度）照片，请上传彩色照片", fmt, size)
    background = _background_problem(sample)
    if background:
        return _refuse(background, fmt, size)

    return PhotoVerdict(ok=True, format=fmt, width=width, height=height, stored=_reencode(rgb, image.info))


def _reduced(image: Image.Image) -> Image.Image:
    """The decoded image shrunk by a whole factor while it is more than twice _DECODE_AT_LEAST: every copy made
    while judging (orientation, white compositing, RGB) and the stored JPEG stay small."""
    factor = min(image.width // _DECODE_AT_LEAST[0], image.height // _DECODE_AT_LEAST[1])
    if factor < 2 or image.mode in _GREY_MODES:  # a grey image is refused as it is, right after
        return image
    info = image.info
    if image.mode == "P":  # reduce() averages values, not palette indexes
        image = image.convert("RGBA" if "transparency" in info else "RGB")
    image = image.reduce(factor)
    image.info = info  # reduce() drops it; the EXIF orientation and the colour profile still apply
    return image


def _megabytes(size: int) -> float:
    """Rounded up, so that a file just over the limit does not read as exactly the limit."""
    return math.ceil(size * 10 / 1024 / 1024) / 10


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("RGB")
    return image.convert("RGB")


def _channel_spread(image: Image.Image) -> Image.Image:
    """Per pixel, its brightest channel minus its darkest."""
    red, green, blue = image.split()
    lightest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    darkest = ImageChops.darker(ImageChops.darker(red, green), blue)
    return ImageChops.subtract(lightest, darkest)


def _share(mask: Image.Image) -> float:
    """Share of the pixels of a 0/255 mask that are 255."""
    histogram = mask.histogram()
    return histogram[255] / max(1, sum(histogram))


def _border_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    width, height = image.size
    side = max(1, round(width * _BORDER))
    top = max(1, round(height * _BORDER))
    depth = max(top + 1, round(height * _BORDER_DEPTH))
    strips = [(0, 0, width, top), (0, top, side, depth), (width - side, top, width, depth)]
    pixels = []
    for box in strips:
        data = image.crop(box).tobytes()  # RGB, 3 bytes a pixel
        pixels.extend(zip(data[0::3], data[1::3], data[2::3]))
    return pixels


def _background_problem(sample: Image.Image) -> str:
    """'' when the border is white; otherwise the refusal, saying whether the backdrop is grey or coloured."""
    pixels = _border_pixels(sample)
    judged = [_lightness_chroma(pixel) for pixel in pixels]
    white = sum(1 for lightness, chroma in judged if lightness >= _WHITE_MIN_LIGHTNESS and chroma <= _WHITE_MAX_CHROMA)
    if white >= _WHITE_SHARE * len(judged):
        return ""
    neutral = sum(1 for _, chroma in judged if chroma <= _WHITE_MAX_CHROMA)
    if neutral >= _WHITE_SHARE * len(judged):  # neutral but not light enough: a grey backdrop or a dim room
        return "照片背景偏灰，不是白色：请在白色背景前、光线充足处重新拍摄，或更换为白底一寸照后重新上传"
    return "照片背景须为白色（当前背景带有颜色）：请在白色背景前重新拍摄，或更换为白底一寸照后重新上传"


# sRGB (0-255) -> linear light, for CIELAB.
_LINEAR = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in range(256))]


def _lab_f(t: float) -> float:
    return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116


def _lightness_chroma(pixel: tuple[int, int, int]) -> tuple[float, float]:
    """CIELAB L* and C* of an sRGB pixel (D65 white)."""
    r, g, b = (_LINEAR[v] for v in pixel[:3])
    fx = _lab_f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047)
    fy = _lab_f(0.2126 * r + 0.7152 * g + 0.0722 * b)
    fz = _lab_f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    return 116 * fy - 16, math.hypot(500 * (fx - fy), 200 * (fy - fz))


def _reencode(rgb: Image.Image, info: dict) -> bytes:
    # A fresh image carries none of the original's info (EXIF, XMP, comments); only the colour profile is kept,
    # since without it a phone's Display P3 photo would look washed out.
    clean = Image.new("RGB", rgb.size)
    clean.paste(rgb)
    out = io.BytesIO()
    options = {"quality": STORED_QUALITY}
    if info.get("icc_profile"):
        options["icc_profile"] = info["icc_profile"]
    clean.save(out, "JPEG", **options)
    return out.getvalue()
