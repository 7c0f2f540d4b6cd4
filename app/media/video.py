"""R-APP-5: the application video is an MP4 file with AVC (H.264) video, at most 5 minutes and 50 MB. Judged by
content from a path on disk, never by file name, and without reading the file into memory.

Two probes, because neither alone sees every damaged file:
- MediaInfo (pymediainfo, whose wheel bundles libmediainfo) names the container, its ftyp brand, the codecs and the
  duration, and flags most truncated files (IsTruncated). It misses a faststart file cut where its media data
  begins, since the sample table it reads is whole.
- PyAV (FFmpeg) lists every sample the MP4's sample table names (Stream.index_entries, from the header only):
  a complete file holds all of them. Opening with PyAV alone is not a check: it accepts a renamed JPEG (as an
  image stream) and a truncated file, yielding no streams or no packets, without an error.
"""
import math
import os
from dataclasses import dataclass

import av
from pymediainfo import MediaInfo

VIDEO_MAX_BYTES = 50 * 1024 * 1024
VIDEO_MAX_SECONDS = 300
# A clip a player shows as 5:00 passes: phones overshoot the length set by a fraction of a second.
_DURATION_SLACK = 0.5

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
    return VideoVerdict(ok=True, **facts)


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
