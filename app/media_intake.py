"""Taking a citizen's photo or video in: size limit while streaming, the content check of app/media, storage."""
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask_babel import gettext as _

from app import storage
from app.media.photo import PHOTO_MAX_BYTES, check_photo
from app.media.video import VIDEO_MAX_BYTES, check_video
from app.models import Application

# The whole application form may carry both files.
FORM_MAX_BYTES = PHOTO_MAX_BYTES + VIDEO_MAX_BYTES + 1024 * 1024


class MediaRefused(ValueError):
    """str() is the Chinese message for the citizen."""


def limit_for(kind: str) -> int:
    return PHOTO_MAX_BYTES if kind == "photo" else VIDEO_MAX_BYTES


def display_name(filename: str) -> str:
    """The client's file name, for display only: no path parts, bounded length."""
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    return name[-120:] or "未命名"


@dataclass
class Received:
    """A checked file, stored and bound to the current transaction (a rollback removes it), not yet attached."""

    kind: str
    stored: str
    original_name: str
    size: int | None = None
    duration: int | None = None
    warning: str | None = None

    def attach_to(self, application: Application) -> None:
        """Point the application at this file (caller commits; the file it replaces goes after the commit).
        An accepted video's warning, if any, goes with it (application.video_warning) for the page to show."""
        storage.discard_after_commit(getattr(application, f"{self.kind}_file"))
        setattr(application, f"{self.kind}_file", self.stored)
        setattr(application, f"{self.kind}_original_name", self.original_name)
        if self.kind == "video":
            application.video_size = self.size
            application.video_duration = self.duration
            application.video_warning = self.warning


def receive(kind: str, stream, filename: str) -> Received:
    """Read, check and store one upload; raises MediaRefused with the reason. Touches no application, so the caller
    can take the file in before it locks the application's row for the short step of attaching it."""
    if kind == "photo":
        data = stream.read(PHOTO_MAX_BYTES + 1)
        if len(data) > PHOTO_MAX_BYTES:
            raise MediaRefused(_("照片不能超过 2MB，请压缩或换一张后重新上传"))
        verdict = check_photo(data)
        if not verdict.ok:
            raise MediaRefused(verdict.message)
        return Received("photo", storage.store_bytes(verdict.stored, "photo", "jpg"), display_name(filename))
    try:
        # Named .mp4 for the probe: MediaInfo picks its parsers by extension, and on an unknown one it scans the
        # whole file with several (bench/upload.py: +53 MB on a 50 MB upload, +0 MB as .mp4). Content still decides.
        temporary = storage.spool(stream, VIDEO_MAX_BYTES, suffix=".mp4")
    except storage.TooLarge as too_large:
        raise MediaRefused(_("视频不能超过 50MB，请压缩或剪短后重新上传")) from too_large
    try:
        verdict = check_video(temporary)
        if not verdict.ok:
            raise MediaRefused(verdict.message)
        size = temporary.stat().st_size
        stored = storage.keep(temporary, "video", "mp4")
    finally:
        Path(temporary).unlink(missing_ok=True)
    return Received("video", stored, display_name(filename), size=size,
                    duration=round(verdict.duration_seconds or 0), warning=verdict.warning or None)


def attach(application: Application, kind: str, stream, filename: str) -> None:
    """Check and store the file and point the application at it (caller commits)."""
    receive(kind, stream, filename).attach_to(application)
