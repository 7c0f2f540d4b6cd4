"""R-APP-5: the application video is an MP4 file with AVC (H.264) video, at most 5 minutes and 50 MB, and, as the
notice asks (声音、画面等要清晰), with sound and a picture of at least 640×360. Judged by content from a path on disk,
never by file name, and without reading the file into memory. A sound track that is silent throughout is accepted
with a warning (the citizen may have meant it, e.g. with captions), which the citizen sees before submitting.

Two probes, because neither alone sees every damaged file:
- MediaInfo (pymediainfo, whose wheel bundles libmediainfo) names the container, its ftyp brand, the codecs and the
  duration, and flags most truncated files (IsTruncated). It misses a faststart file cut where its media data
  begins, since the sample table it reads is whole.
- PyAV (FFmpeg) lists every sample the MP4's sample table names (Stream.index_entries, from the header only):
  a complete file holds all of them. Opening with PyAV alone is not a check: it accepts a renamed JPEG (as an
  image stream) and a truncated file, yielding no streams or no packets, without an error.
"""
import math
import operator
import os
from array import array
from dataclasses import dataclass

import av
from pymediainfo import MediaInfo

VIDEO_MAX_BYTES = 50 * 1024 * 1024
VIDEO_MAX_SECONDS = 300
# A clip a player shows as 5:00 passes: phones overshoot the length set by a fraction of a second.
_DURATION_SLACK = 0.5

# 640×360 (360p) is the least a judge can watch full screen without guessing at faces; a portrait 360×640 is as good.
MIN_LONG_SIDE, MIN_SHORT_SIDE = 640, 360

# Silence: the sound is decoded and its RMS level measured over consecutive half-second windows. Speech near a
# phone is around -30..-15 dBFS, a quiet room's noise floor through a phone's microphone around -70..-55 dBFS, a
# muted recording is digital silence: the track counts as silent when even its loudest window stays below -50 dBFS.
# The scan stops at the first louder window, so only a (nearly) silent track is decoded to its end, and at most
# VIDEO_MAX_SECONDS (+ slack) of it. The level is estimated from one sample in 12 across the channels (4 kHz of a
# 48 kHz track, 2000 samples a window): an RMS needs no more, and it keeps the pure-Python sums to ~1.2 M
# samples for a 5-minute track.
SILENCE_DBFS = -50.0
_WINDOW_SECONDS = 0.5
_SAMPLE_STRIDE = 12
# Decoded sample formats -> (array typecode, full scale). Planar ones carry a channel a plane; packed ones interleave
# the channels in one plane.
_SAMPLE_FORMATS = {"flt": ("f", 1.0), "dbl": ("d", 1.0), "s16": ("h", 32768.0), "s32": ("i", 2147483648.0)}

# MediaInfo's Format of a video track -> how a citizen's phone or editor names it.
_CODEC_NAMES = {
    "AVC": "H.264(AVC)",
    "HEVC": "HEVC(H.265)",
    "MPEG-4 Visual": "MPEG-4 Part 2",
    "VP8": "VP8",
    "VP9": "VP9",
    "AV1": "AV1",
    "ProRes": "Apple ProRes",
    "MPEG Video": "MPEG-1/2",
    "JPEG": "Motion JPEG",
}

_INCOMPLETE = "视频文件不完整（可能上传或拷贝时中断），请重新导出后上传"
_NO_AUDIO = "视频没有声音（文件中没有音轨）：请录制带声音的视频，录制时不要关闭麦克风，导出时保留声音后重新上传"
SILENT_WARNING = "视频的声音全程几乎听不到（像是静音）：请确认录制时麦克风没有被遮挡或关闭；如需更换，请重新录制带声音的视频后上传"


@dataclass(frozen=True)
class VideoVerdict:
    ok: bool
    message: str = ""  # '' when ok; otherwise what the citizen should fix
    container: str | None = None  # MediaInfo's Format of the file, 'MPEG-4' for MP4 and MOV alike
    brand: str | None = None  # the ftyp major brand: 'isom', 'mp42', … ('qt' for QuickTime)
    video_codec: str | None = None  # MediaInfo's Format of the (first) video track: 'AVC', 'HEVC', …
    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    audio_dbfs: float | None = None  # RMS level of the loudest half-second (scan stopped there if above the line)
    warning: str = ""  # when ok: something the citizen should know before submitting ('' if nothing)


def check_video(path: str | os.PathLike) -> VideoVerdict:
    """Judge an uploaded video file on disk."""
    size = os.path.getsize(path)
    if size == 0:
        return VideoVerdict(ok=False, message="视频文件为空，请重新选择视频上传")
    if size > VIDEO_MAX_BYTES:
        return VideoVerdict(
            ok=False, message=f"视频文件大小为 {_megabytes(size)} MB，超过 50 MB 上限，请压缩或剪短后重新上传"
        )

    try:
        info = MediaInfo.parse(os.fspath(path))
    except Exception:  # libmediainfo could not read it at all
        return VideoVerdict(ok=False, message="无法读取该视频文件，请上传手机拍摄或导出的 MP4 视频（H.264 编码）")
    general = info.general_tracks[0] if info.general_tracks else None
    container = getattr(general, "format", None)
    brand = (getattr(general, "codec_id", None) or "").strip() or None
    videos = info.video_tracks
    first = videos[0] if videos else None
    facts = dict(
        container=container,
        brand=brand,
        video_codec=getattr(first, "format", None),
        duration_seconds=_seconds(general) or _seconds(first),
        width=_integer(getattr(first, "width", None)),
        height=_integer(getattr(first, "height", None)),
    )

    def refuse(message: str) -> VideoVerdict:
        return VideoVerdict(ok=False, message=message, **facts)

    if container != "MPEG-4":
        found = f"（识别为 {container}）" if container else ""
        return refuse(f"文件不是 MP4 视频{found}，请上传手机拍摄或导出的 MP4 视频（H.264 编码）")
    if getattr(general, "istruncated", None) == "Yes":
        return refuse(_INCOMPLETE)
    # MOV and MP4 are one family (FFmpeg even demuxes both as "mov,mp4,…"): the brand tells them apart. A MOV has
    # the brand 'qt  ' or, when old, no ftyp at all; any ISO brand (isom, mp41, mp42, avc1, 3gp…) is MP4.
    if brand is None or brand == "qt" or "QuickTime" in (getattr(general, "format_profile", None) or ""):
        return refuse("视频为 QuickTime（MOV）格式，不是 MP4，请在手机上导出为 MP4（H.264 编码）后重新上传")
    if not videos:
        return refuse("文件中没有视频画面，请上传 MP4 视频（H.264 编码）")
    for track in videos:
        codec = getattr(track, "format", None)
        if codec == "AVC":
            continue
        if codec == "HEVC":
            return refuse("视频编码为 HEVC(H.265)，请在手机相机设置中选择'兼容性最佳'或转码为 H.264 后重新上传")
        name = _CODEC_NAMES.get(codec, codec or "未知编码")
        return refuse(f"视频编码为 {name}，须为 H.264(AVC)，请转码为 H.264 后重新上传")
    duration = facts["duration_seconds"]
    if duration is None:
        return refuse("无法读取视频时长，请重新导出为 MP4 视频后上传")
    if duration >= VIDEO_MAX_SECONDS + _DURATION_SLACK:
        minutes, seconds = divmod(round(duration), 60)
        return refuse(f"视频时长为 {minutes} 分 {seconds} 秒，超过 5 分钟，请剪辑到 5 分钟以内后重新上传")
    if not _samples_present(path, size):
        return refuse(_INCOMPLETE)
    width, height = facts["width"], facts["height"]
    if width and height and (max(width, height) < MIN_LONG_SIDE or min(width, height) < MIN_SHORT_SIDE):
        return refuse(
            f"视频画面太小（{width}×{height}），至少需 {MIN_LONG_SIDE}×{MIN_SHORT_SIDE}（竖拍 {MIN_SHORT_SIDE}×"
            f"{MIN_LONG_SIDE}），否则看不清：请用手机相机直接录制，或导出为 720p 及以上清晰度后重新上传"
        )
    if not info.audio_tracks:
        return refuse(_NO_AUDIO)
    level = loudest_window_dbfs(path)
    warning = SILENT_WARNING if level is not None and level < SILENCE_DBFS else ""
    return VideoVerdict(ok=True, audio_dbfs=level, warning=warning, **facts)


def loudest_window_dbfs(path: str | os.PathLike) -> float | None:
    """RMS level (dBFS) of the loudest half-second of the first audio track, scanning only until a window is above
    SILENCE_DBFS; -inf for digital silence, None when there is no audio stream or it cannot be decoded (then no
    warning: warning on a decoder's quirk would be wrong). Memory stays at one decoded frame."""
    line = (10 ** (SILENCE_DBFS / 20)) ** 2  # a window's mean square at the silence line, full scale = 1
    loudest, scanned = 0.0, 0
    energy, counted, window_samples = 0.0, 0, 0  # the current window: sum of squares, samples summed, samples in it
    try:
        with av.open(os.fspath(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            window = max(1, int((stream.rate or 48000) * _WINDOW_SECONDS))
            limit = (VIDEO_MAX_SECONDS + 10) * (stream.rate or 48000)
            typecode = None
            for frame in container.decode(stream):  # the video's packets are read past, not decoded
                if typecode is None:  # the decoder's output format is fixed for the stream
                    typecode, scale = _SAMPLE_FORMATS.get(frame.format.name.rstrip("p"), (None, None))
                    if typecode is None:
                        return None
                    channels, planar = len(frame.layout.channels), frame.format.is_planar
                    planes = channels if planar else 1
                    width = array(typecode).itemsize * (1 if planar else channels)
                    # ~1 in _SAMPLE_STRIDE of all samples; over interleaved channels, a stride that visits each
                    stride = _SAMPLE_STRIDE * channels if planar else _SAMPLE_STRIDE + (_SAMPLE_STRIDE % channels == 0)
                    full_scale = scale * scale
                for index in range(planes):
                    picked = memoryview(frame.planes[index])[: frame.samples * width].cast(typecode)[::stride]
                    energy += sum(map(operator.mul, picked, picked)) / full_scale
                    counted += len(picked)
                window_samples += frame.samples
                scanned += frame.samples
                if window_samples >= window:
                    loudest = max(loudest, energy / max(1, counted))
                    energy, counted, window_samples = 0.0, 0, 0
                    if loudest > line or scanned >= limit:
                        break
            else:
                if counted:
                    loudest = max(loudest, energy / counted)
    except (av.FFmpegError, ValueError):
        return None
    if scanned == 0:
        return None
    if loudest == 0:
        return float("-inf")
    return 10 * math.log10(loudest)


def _samples_present(path, size: int) -> bool:
    """Every sample the MP4's sample table lists lies inside the file; read from the header, not the media data."""
    try:
        with av.open(os.fspath(path), metadata_errors="ignore") as container:
            if not container.streams.video:
                return False
            for stream in container.streams:
                entries = stream.index_entries
                if stream.type == "video" and len(entries) == 0:
                    return False
                if any(entry.pos + entry.size > size for entry in entries):
                    return False
    except av.FFmpegError:
        return False
    return True


def _megabytes(size: int) -> float:
    """Rounded up, so that a file just over the limit does not read as exactly the limit."""
    return math.ceil(size * 10 / 1024 / 1024) / 10


def _seconds(track) -> float | None:
    """A track's Duration (milliseconds); MediaInfo repeats it as text, so try every reading that is a number."""
    if track is None:
        return None
    for value in [getattr(track, "duration", None), *(getattr(track, "other_duration", None) or [])]:
        try:
            return float(value) / 1000
        except (TypeError, ValueError):
            continue
    return None


def _integer(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
