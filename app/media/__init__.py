"""Content checks for an application's photo (R-APP-4) and video (R-APP-5): bytes or a path in, a verdict with a
Chinese message out. Pure: no Flask here, so the checks can be run from a view, a worker or `flask media check`."""
from app.media.photo import PHOTO_MAX_BYTES, PhotoVerdict, check_photo
from app.media.video import VIDEO_MAX_BYTES, VIDEO_MAX_SECONDS, VideoVerdict, check_video

__all__ = [
    "PHOTO_MAX_BYTES",
    "PhotoVerdict",
    "check_photo",
    "VIDEO_MAX_BYTES",
    "VIDEO_MAX_SECONDS",
    "VideoVerdict",
    "check_video",
]
