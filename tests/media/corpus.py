"""The media test corpus, generated on the fly (no binary files in the repository): each case is a file its maker
writes, and the verdict the checks must reach with the words the refusal must mention.

Pictures are drawn with Pillow; clips are encoded with PyAV's bundled FFmpeg (libx264, libx265, libvpx-vp9, mpeg4),
tiny and short so the whole corpus builds in about a second. Large files are sparse: a valid MP4 padded with a
`free` box costs no disk and no time, and is still a real file of that size.
"""
import io
import math
import os
import random
import struct
import zlib
from array import array
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable

import av
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from app.demo.pictures import portrait  # noqa: F401  (re-exported: tests draw with corpus.portrait)
from app.media.photo import PHOTO_MAX_BYTES
from app.media.video import VIDEO_MAX_BYTES


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], None]  # writes the case's file at the path given
    ok: bool
    mentions: tuple[str, ...] = ()  # words a refusal's message (or an accepted file's warning) must contain
    suffix: str = ""
    warns: bool = False  # accepted with a warning the citizen sees before submitting

    @property
    def filename(self) -> str:
        return self.name + self.suffix


def build(cases: list[Case], directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case in cases:
        path = directory / case.filename
        case.make(path)
        paths[case.name] = path
    return paths


# ---------------------------------------------------------------- photos

WHITE, GREY, BLUE, RED = (255, 255, 255), (150, 150, 150), (67, 142, 219), (220, 20, 30)
STUDIO_GREY, LIGHT_BLUE = (200, 200, 200), (180, 210, 240)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _writes(data_of: Callable[[], bytes]) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data_of())


def _exif_with_gps(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (39.0, 54.0, 27.0), "E", (116.0, 23.0, 17.0)
    return exif


def rotated_for_exif() -> bytes:
    """Stored landscape, as a phone held upright writes it, with Orientation 6 (rotate 90° clockwise to show)."""
    return encoded(portrait().transpose(Image.Transpose.ROTATE_90), "JPEG", exif=_exif_with_gps(6))


def portrait_turned_by_exif() -> bytes:
    """Stored portrait, but Orientation 6 makes it display landscape."""
    return encoded(portrait(), "JPEG", exif=_exif_with_gps(6))


def transparent_png() -> bytes:
    """A cut-out: the person opaque, the background fully transparent over black pixels."""
    person = portrait()
    mask = Image.new("L", person.size, 0)
    width, height = person.size
    ImageDraw.Draw(mask).rectangle((0, int(height * 0.1), width, height), fill=255)
    ImageDraw.Draw(mask).rectangle((0, int(height * 0.1), width // 5, int(height * 0.7)), fill=0)
    ImageDraw.Draw(mask).rectangle((width - width // 5, int(height * 0.1), width, int(height * 0.7)), fill=0)
    cut = Image.new("RGBA", person.size, (0, 0, 0, 0))
    cut.paste(person, mask=mask)
    return encoded(cut, "PNG")


def mpo_jpeg() -> bytes:
    """A JPEG with a second picture in MPF, as some phones write (Pillow opens it as 'MPO')."""
    return encoded(portrait(), "MPO", save_all=True, append_images=[portrait((150, 210))])


def padded_to(data: bytes, total: int) -> bytes:
    """Trailing bytes after the JPEG's end marker: readers ignore them."""
    return data + bytes(total - len(data))


def noisy_png() -> bytes:
    """A valid-looking photo whose noise makes the PNG larger than 2 MB."""
    size = (1000, 1400)
    noise = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    data = encoded(noise, "PNG", compress_level=1)
    assert len(data) > PHOTO_MAX_BYTES
    return data


def png_of_zeros(width: int, height: int) -> bytes:
    """A 1-bit greyscale PNG of width×height black pixels: a few KB that decode to width×height bytes or more."""
    return _flat_png(width, height, bytes(1 + (width + 7) // 8), colour_type=0, depth=1)


def white_png(width: int, height: int) -> bytes:
    """An all-white 8-bit RGB PNG, written row by row without a picture in memory: 5400×7400 is ~134 KB that
    Pillow decodes to 160 MB (the bomb of issue 10)."""
    return _flat_png(width, height, b"\x00" + b"\xff" * (3 * width), colour_type=2, depth=8)


def _flat_png(width: int, height: int, row: bytes, colour_type: int, depth: int) -> bytes:
    """A PNG whose every row is `row` (its filter byte first), compressed in blocks."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    compressor = zlib.compressobj(9)
    idat = []
    rows_per_block = max(1, 4_000_000 // len(row))
    for start in range(0, height, rows_per_block):
        idat.append(compressor.compress(row * min(rows_per_block, height - start)))
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


def phone_photo(wall=(248, 241, 228), corners: float = 0.88, size=(900, 1200), noise: float = 5.0,
                shadow: float = 0.12, quality: int = 85) -> bytes:
    """A phone photo of a person against a wall: the wall's colour (its cast from the phone's white balance) at the
    centre, darker towards the corners (vignetting and uneven room light, to `corners` of the centre's brightness),
    a soft shadow of the person on the wall, sensor noise and JPEG compression."""
    width, height = size
    backdrop = (0, 255, 0)  # drawn behind the person, then replaced by the wall
    person = portrait(size, background=backdrop)
    silhouette = ImageChops.difference(person, Image.new("RGB", size, backdrop)).convert("L").point(
        lambda v: 255 if v else 0)
    # 0 at the centre, ~200 at the middle of the edges, 255 in the corners
    falloff = Image.radial_gradient("L").crop((28, 28, 228, 228)).resize(size)
    light = falloff.point(lambda v: round(255 * (1 - (1 - corners) * v / 255)))
    if shadow:  # cast down and to the right, blurred: it falls on the wall beside the shoulders and the head
        cast = Image.new("L", size, 0)
        cast.paste(silhouette, (width // 25, height // 60))
        cast = cast.filter(ImageFilter.GaussianBlur(width / 30))
        light = ImageChops.multiply(light, cast.point(lambda v: round(255 * (1 - shadow * v / 255))))
    picture = ImageChops.multiply(Image.new("RGB", size, wall), Image.merge("RGB", (light, light, light)))
    picture.paste(person, mask=silhouette)
    if noise:
        grain = Image.merge("RGB", [Image.effect_noise(size, noise) for _ in range(3)])
        picture = ImageChops.add(picture, grain, offset=-128)
    return encoded(picture, "JPEG", quality=quality)


def _truncated(data: bytes, share: float = 0.6) -> bytes:
    return data[: int(len(data) * share)]


PHOTO_CASES = [
    Case("white_jpeg", _writes(lambda: encoded(portrait(), "JPEG", quality=92)), True, suffix=".jpg"),
    Case("white_png", _writes(lambda: encoded(portrait(), "PNG")), True, suffix=".png"),
    Case("white_standard_295x413", _writes(lambda: encoded(portrait((295, 413)), "JPEG")), True, suffix=".jpg"),
    Case("white_phone_3x4", _writes(lambda: encoded(portrait((900, 1200)), "JPEG")), True, suffix=".jpg"),
    Case("white_palette_png", _writes(lambda: encoded(portrait().quantize(64), "PNG")), True, suffix=".png"),
    Case("white_mpo_jpeg", _writes(mpo_jpeg), True, suffix=".jpg"),
    Case("transparent_png_on_white", _writes(transparent_png), True, suffix=".png"),
    Case("exif_rotated_to_portrait", _writes(rotated_for_exif), True, suffix=".jpg"),
    Case("exactly_2mib", _writes(lambda: padded_to(encoded(portrait(), "JPEG"), PHOTO_MAX_BYTES)), True,
         suffix=".jpg"),
    # Phone photos against a white wall in ordinary light: a warm or cool cast, brightness 215-250, noise, a shadow.
    Case("phone_warm_white_wall", _writes(lambda: phone_photo((248, 241, 228))), True, suffix=".jpg"),
    Case("phone_cool_white_wall", _writes(lambda: phone_photo((234, 240, 248))), True, suffix=".jpg"),
    Case("phone_white_wall_dim_corners", _writes(lambda: phone_photo((250, 248, 244), corners=0.85)), True,
         suffix=".jpg"),
    Case("phone_bright_white_wall", _writes(lambda: phone_photo((255, 255, 255), corners=0.96, shadow=0.2)), True,
         suffix=".jpg"),
    Case("grey_background", _writes(lambda: encoded(portrait(background=GREY), "JPEG")), False, ("背景", "偏灰"),
         ".jpg"),
    # A studio's light-grey backdrop: uniform, neutral, RGB 200 (it used to pass as white).
    Case("studio_grey_200", _writes(lambda: phone_photo(STUDIO_GREY, corners=1, shadow=0, noise=2, quality=92)),
         False, ("背景", "偏灰", "请在白色背景前"), ".jpg"),
    Case("studio_grey_200_png", _writes(lambda: encoded(portrait(background=STUDIO_GREY), "PNG")), False,
         ("偏灰",), ".png"),
    Case("phone_grey_wall_dim_room", _writes(lambda: phone_photo((205, 203, 200), corners=0.9)), False,
         ("偏灰", "光线充足"), ".jpg"),
    Case("light_blue_backdrop", _writes(lambda: phone_photo(LIGHT_BLUE, corners=1, shadow=0, noise=2)), False,
         ("背景", "颜色", "请在白色背景前"), ".jpg"),
    Case("palest_blue_backdrop", _writes(lambda: encoded(portrait(background=(200, 220, 245)), "JPEG")), False,
         ("颜色",), ".jpg"),
    Case("warm_yellow_wall", _writes(lambda: phone_photo((250, 230, 195))), False, ("颜色",), ".jpg"),
    Case("light_grey_background", _writes(lambda: encoded(portrait(background=(185, 185, 185)), "JPEG")), False,
         ("背景",), ".jpg"),
    Case("blue_background", _writes(lambda: encoded(portrait(background=BLUE), "JPEG")), False, ("背景", "白色"),
         ".jpg"),
    Case("red_background", _writes(lambda: encoded(portrait(background=RED), "PNG")), False, ("背景", "颜色"), ".png"),
    Case("red_backdrop_phone", _writes(lambda: phone_photo(RED, corners=0.95)), False, ("背景", "颜色"), ".jpg"),
    Case("greyscale_mode_l", _writes(lambda: encoded(portrait().convert("L"), "JPEG")), False, ("彩色",), ".jpg"),
    Case("greyscale_16bit_png", _writes(lambda: encoded(portrait().convert("L").convert("I;16"), "PNG")), False,
         ("彩色",), ".png"),
    Case("greyscale_as_rgb", _writes(lambda: encoded(portrait().convert("L").convert("RGB"), "JPEG")), False,
         ("彩色",), ".jpg"),
    Case("square", _writes(lambda: encoded(portrait((400, 400)), "JPEG")), False, ("竖版", "25:35"), ".jpg"),
    Case("landscape", _writes(lambda: encoded(portrait((420, 300)), "PNG")), False, ("竖版",), ".png"),
    Case("exif_turned_to_landscape", _writes(portrait_turned_by_exif), False, ("竖版",), ".jpg"),
    Case("too_small", _writes(lambda: encoded(portrait((150, 210)), "JPEG")), False, ("分辨率", "200×280"), ".jpg"),
    Case("bomb_png_400mp", _writes(lambda: png_of_zeros(20000, 20000)), False, ("像素",), ".png"),
    Case("bomb_png_100mp", _writes(lambda: png_of_zeros(10000, 10000)), False, ("像素",), ".png"),
    Case("over_pixel_cap_49mp", _writes(lambda: png_of_zeros(7000, 7000)), False, ("像素",), ".png"),
    Case("white_png_bomb_40mp", _writes(lambda: white_png(5400, 7400)), False, ("像素", "5400×7400"), ".png"),
    Case("truncated_jpeg", _writes(lambda: _truncated(encoded(portrait(), "JPEG"))), False, ("不完整",), ".jpg"),
    Case("truncated_png", _writes(lambda: _truncated(encoded(portrait(), "PNG"))), False, ("不完整",), ".png"),
    Case("renamed_gif", _writes(lambda: encoded(portrait(), "GIF")), False, ("JPG", "PNG"), ".jpg"),
    Case("renamed_webp", _writes(lambda: encoded(portrait(), "WEBP")), False, ("JPG", "PNG"), ".jpg"),
    Case("renamed_bmp", _writes(lambda: encoded(portrait(), "BMP")), False, ("JPG", "PNG"), ".png"),
    Case("text_file", _writes(lambda: "这不是照片\n".encode()), False, ("JPG", "PNG"), ".jpg"),
    Case("html_file", _writes(lambda: b"<!doctype html><html><body><img src=x></body></html>"), False,
         ("JPG", "PNG"), ".png"),
    Case("empty", _writes(lambda: b""), False, ("为空",), ".jpg"),
    Case("over_2mb", _writes(noisy_png), False, ("2 MB",), ".png"),
]


# ---------------------------------------------------------------- videos

_ENCODER_OPTIONS = {"libx265": {"x265-params": "log-level=none"}, "libx264": {"preset": "veryfast"}}
_TONE_HZ = 500


def _sound_frame(kind: str, dbfs: float, rate: int, samples: int) -> bytes:
    """One frame of float samples: a sine near 500 Hz that tiles the frame exactly, hiss, or digital silence."""
    amplitude = 10 ** (dbfs / 20)
    if kind == "tone":  # RMS of a sine is amplitude/√2: scaled so that the frame's RMS is `dbfs`
        cycles = max(1, round(_TONE_HZ * samples / rate))
        values = [amplitude * math.sqrt(2) * math.sin(2 * math.pi * cycles * i / samples) for i in range(samples)]
    elif kind == "hiss":  # uniform noise of that RMS (a uniform's RMS is its half-width/√3)
        noise = random.Random(7)
        values = [amplitude * math.sqrt(3) * noise.uniform(-1, 1) for _ in range(samples)]
    else:
        values = [0.0] * samples
    return array("f", values).tobytes()


def clip(path: Path, codec: str = "libx264", *, container: str = "mp4", seconds: float = 1, fps: int | Fraction = 10,
         size=(640, 360), audio: str | None = "tone", audio_dbfs: float = -18, sound_from: float = 0,
         audio_rate: int = 8000, stereo: bool = False, movflags: str | None = None, gop: int | None = None) -> None:
    """Encode a clip of coloured frames into path, with AAC sound: audio is 'tone' (a sine at audio_dbfs RMS),
    'hiss' (noise at audio_dbfs), 'silence' (digital zeros) or None (no audio track). With sound_from, the track
    is silent until then. The defaults make a clip the portal accepts without a warning."""
    options = {"movflags": movflags} if movflags else {}
    encoder_options = dict(_ENCODER_OPTIONS.get(codec, {}), **({"g": str(gop)} if gop else {}))
    layout, channels = ("stereo", 2) if stereo else ("mono", 1)
    with av.open(str(path), "w", format=container, options=options) as out:
        video = out.add_stream(codec, rate=fps, options=encoder_options)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        sound = out.add_stream("aac", rate=audio_rate, layout=layout, options={"aac_coder": "fast"}) if audio else None
        frames = round(seconds * fps)
        pictures = [portrait(size, background=((index * 37) % 256, 200, 120)) for index in range(min(frames, 8))]
        for index in range(frames):
            for packet in video.encode(av.VideoFrame.from_image(pictures[index % len(pictures)])):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound:
            samples, pts = sound.codec_context.frame_size or 1024, 0
            loud = _sound_frame(audio, audio_dbfs, audio_rate, samples)
            quiet = _sound_frame("silence", audio_dbfs, audio_rate, samples)
            total = round(seconds * audio_rate)
            while pts < total:
                count = min(samples, total - pts)  # a shorter last frame, so the track ends with the picture
                frame = av.AudioFrame(format="fltp", layout=layout, samples=count)
                data = (loud if pts >= sound_from * audio_rate else quiet)[: count * 4]
                for channel in range(channels):
                    frame.planes[channel].update(data + bytes(frame.planes[channel].buffer_size - len(data)))
                frame.sample_rate, frame.pts, frame.time_base = audio_rate, pts, Fraction(1, audio_rate)
                pts += samples
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)


def boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """The top-level boxes of an MP4: (type, offset, size)."""
    found, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset: offset + 8])
        if size < 8:
            break
        found.append((kind, offset, size))
        offset += size
    return found


def truncated_clip(inside: bytes, keep: float = 0.5, **clip_options) -> Callable[[Path], None]:
    """A clip cut inside its last `inside` box (b'moov', b'mdat'), keeping that share of the box."""
    def make(path: Path) -> None:
        clip(path, **clip_options)
        data = path.read_bytes()
        kind, offset, size = [box for box in boxes(data) if box[0] == inside][-1]
        path.write_bytes(data[: offset + int(size * keep)])
    return make


def padded_clip(total: int) -> Callable[[Path], None]:
    """A valid clip followed by a `free` box up to total bytes; the file is sparse, so this is instant."""
    def make(path: Path) -> None:
        clip(path)
        used = path.stat().st_size
        with path.open("ab") as out:
            out.write(struct.pack(">I4s", total - used, b"free"))
        os.truncate(path, total)
    return make


def audio_only(path: Path) -> None:
    with av.open(str(path), "w", format="mp4") as out:
        sound = out.add_stream("aac", rate=8000, layout="mono")
        for index in range(8):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.planes[0].update(bytes(frame.planes[0].buffer_size))
            frame.sample_rate, frame.pts, frame.time_base = 8000, index * 1024, Fraction(1, 8000)
            for packet in sound.encode(frame):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)


_FRAGMENTED = "frag_keyframe+empty_moov+default_base_moof"
_SLIDES = Fraction(1, 10)  # one picture every 10 s: a 5-minute clip in 30 frames, so it builds in a moment

VIDEO_CASES = [
    Case("h264_moov_at_end", lambda p: clip(p), True, suffix=".mp4"),
    Case("h264_faststart", lambda p: clip(p, movflags="faststart"), True, suffix=".mp4"),
    Case("h264_aac", lambda p: clip(p), True, suffix=".mp4"),
    Case("h264_aac_faststart", lambda p: clip(p, movflags="faststart"), True, suffix=".mp4"),
    Case("h264_fragmented", lambda p: clip(p, seconds=2, movflags=_FRAGMENTED, gop=5), True, suffix=".mp4"),
    # Silent but for its last second (cheap to encode): not silence, which takes scanning the whole track to know.
    Case("h264_300s", lambda p: clip(p, seconds=300, fps=_SLIDES, sound_from=299), True, suffix=".mp4"),
    # 声音、画面等要清晰: a picture of at least 640×360 either way up, and sound.
    Case("h264_portrait_360x640", lambda p: clip(p, size=(360, 640)), True, suffix=".mp4"),
    Case("h264_720p_stereo_48khz", lambda p: clip(p, size=(1280, 720), audio_rate=48000, stereo=True), True,
         suffix=".mp4"),
    Case("h264_320x240", lambda p: clip(p, size=(320, 240)), False, ("画面太小", "320×240", "640×360"), ".mp4"),
    Case("h264_638x360", lambda p: clip(p, size=(638, 360)), False, ("画面太小", "640×360"), ".mp4"),
    Case("h264_640x358", lambda p: clip(p, size=(640, 358)), False, ("画面太小",), ".mp4"),
    Case("h264_portrait_360x638", lambda p: clip(p, size=(360, 638)), False, ("画面太小", "360×640"), ".mp4"),
    Case("h264_no_audio", lambda p: clip(p, audio=None), False, ("没有声音", "请录制带声音的视频"), ".mp4"),
    Case("h264_no_audio_faststart", lambda p: clip(p, audio=None, movflags="faststart"), False, ("没有声音",),
         ".mp4"),
    # Silent throughout: accepted, with a warning. Quiet speech or sound late in the clip is not silence.
    Case("h264_silent_audio", lambda p: clip(p, audio="silence"), True, ("听不到", "麦克风"), ".mp4", warns=True),
    Case("h264_room_hiss_only", lambda p: clip(p, audio="hiss", audio_dbfs=-65), True, ("听不到",), ".mp4",
         warns=True),
    Case("h264_silent_48khz_stereo", lambda p: clip(p, seconds=3, audio="silence", audio_rate=48000, stereo=True),
         True, ("听不到",), ".mp4", warns=True),
    Case("h264_quiet_voice", lambda p: clip(p, audio_dbfs=-40), True, suffix=".mp4"),
    Case("h264_loud_hiss", lambda p: clip(p, audio="hiss", audio_dbfs=-30), True, suffix=".mp4"),
    Case("h264_exactly_50mib", padded_clip(VIDEO_MAX_BYTES), True, suffix=".mp4"),
    Case("h264_mov", lambda p: clip(p, container="mov"), False, ("MOV", "MP4"), ".mov"),
    Case("h264_mov_renamed", lambda p: clip(p, container="mov"), False, ("MOV", "MP4"), ".mp4"),
    Case("h264_mkv_renamed", lambda p: clip(p, container="matroska"), False, ("MP4", "Matroska"), ".mp4"),
    Case("mpeg4_part2", lambda p: clip(p, "mpeg4"), False, ("MPEG-4 Part 2", "H.264"), ".mp4"),
    Case("hevc", lambda p: clip(p, "libx265"), False, ("HEVC", "H.264"), ".mp4"),
    Case("vp9", lambda p: clip(p, "libvpx-vp9"), False, ("VP9", "H.264"), ".mp4"),
    Case("audio_only", audio_only, False, ("没有视频",), ".mp4"),
    Case("h264_301s", lambda p: clip(p, seconds=301, fps=_SLIDES, audio="silence"), False, ("5 分 1 秒", "5 分钟"),
         ".mp4"),
    Case("empty", _writes(lambda: b""), False, ("为空",), ".mp4"),
    Case("renamed_text", _writes(lambda: "这不是视频\n".encode()), False, ("MP4",), ".mp4"),
    Case("renamed_jpeg", _writes(lambda: encoded(portrait(), "JPEG")), False, ("MP4",), ".mp4"),
    Case("truncated_moov_at_end", truncated_clip(b"moov"), False, ("不完整",), ".mp4"),
    Case("truncated_moov_at_end_moov_lost", truncated_clip(b"mdat"), False, ("不完整",), ".mp4"),
    Case("truncated_faststart", truncated_clip(b"mdat", movflags="faststart"), False, ("不完整",),
         ".mp4"),
    # MediaInfo misses this one (its sample table is whole); PyAV's index shows the samples lie past the end.
    Case("truncated_faststart_at_mdat", truncated_clip(b"mdat", 0, movflags="faststart"), False,
         ("不完整",), ".mp4"),
    Case("truncated_fragmented", truncated_clip(b"mdat", seconds=2, movflags=_FRAGMENTED, gop=5), False, ("不完整",),
         ".mp4"),
    Case("over_50mib", padded_clip(VIDEO_MAX_BYTES + 1), False, ("50 MB",), ".mp4"),
]
