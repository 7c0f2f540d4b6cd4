"""`flask media check [--photo|--video] FILE...`: the upload checks run on files on disk, one line per file."""
from pathlib import Path

import click
from flask.cli import AppGroup

from app.media.photo import check_photo
from app.media.video import check_video

media_cli = AppGroup("media", help="照片与视频的内容检查（R-APP-4、R-APP-5）")

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}


@media_cli.command("check")
@click.option("--photo", "kind", flag_value="photo", help="Check every FILE as the application photo.")
@click.option("--video", "kind", flag_value="video", help="Check every FILE as the application video.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(kind, files):
    """Check FILEs as the portal checks uploads: prints `OK  path`, `OK  path` followed by `  WARNING: …` (accepted,
    with something the citizen is told, e.g. silent sound) or `REFUSED  path: reason` for each; exits 1 if any is
    refused. Without --photo or --video a .jpg/.jpeg/.png file is checked as a photo and any other as a video
    (the name only picks the rule: the check itself reads the content)."""
    refused = 0
    for path in files:
        as_photo = kind == "photo" or (kind is None and path.suffix.lower() in PHOTO_SUFFIXES)
        verdict = check_photo(path.read_bytes()) if as_photo else check_video(path)
        if verdict.ok:
            click.echo(f"OK  {path}")
            if getattr(verdict, "warning", ""):
                click.echo(f"  WARNING: {verdict.warning}")
        else:
            refused += 1
            click.echo(f"REFUSED  {path}: {verdict.message}")
    if refused:
        click.get_current_context().exit(1)
