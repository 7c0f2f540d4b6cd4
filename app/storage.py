"""Uploaded files on local disk under UPLOAD_DIR, outside static/, under names the server chooses.

A new file is written under a temporary name and moved into place; the database row names it; an old file is
removed only after the commit that stops naming it, and a new one is removed if that commit fails. A stored file is
sent by `send`: by this process, or by nginx through X-Accel-Redirect when UPLOAD_ACCEL_REDIRECT is set.
"""
import os
import shutil
import tempfile
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import quote

from flask import Response, abort, current_app, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

CHUNK = 1024 * 1024
# A kept file is readable by the service's group too (never by others): nginx, added to that group, sends it with
# X-Accel-Redirect (send); temporary files stay 0600 (mkstemp) until they are checked and kept.
FILE_MODE = 0o640


class TooLarge(Exception):
    pass


def root() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(name: str) -> Path:
    """The file a stored name refers to; names are ours (kind/uuid.ext), never a client's path."""
    if not name or "/" not in name or ".." in name or name.startswith("/"):
        raise ValueError("bad stored name")
    return root() / name


def send(name: str, mimetype: str, download_name: str | None = None) -> Response:
    """A stored file as the answer to a request whose caller has already decided it may be seen.

    With UPLOAD_ACCEL_REDIRECT (nginx's internal location, e.g. /_uploads/, deploy/nginx/xuexizhixing.conf) the
    answer is empty and names the file in X-Accel-Redirect: nginx sends it, with ranges, and no worker spends the
    transfer of a 50 MB video on it. Otherwise the file is sent from here, with ranges (the video seeks).
    """
    path = path_of(name)
    prefix = current_app.config.get("UPLOAD_ACCEL_REDIRECT")
    if not prefix:
        if not path.is_file():  # recorded but gone from the disk (lost, or removed by hand): not found, not a 500
            abort(404)
        return send_file(path, mimetype=mimetype, conditional=True, download_name=download_name or path.name,
                         max_age=0)
    response = current_app.response_class(b"", mimetype=mimetype)
    response.headers["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    # The name as werkzeug's send_file gives it (inline; RFC 5987 for non-ASCII names): nginx passes it through.
    download_name = download_name or path.name
    try:
        download_name.encode("ascii")
        names = {"filename": download_name}
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore").decode("ascii")
        names = {"filename": simple, "filename*": "UTF-8''" + quote(download_name, safe="!#$&+-.^_`|~")}
    response.headers.set("Content-Disposition", "inline", **names)
    return response


def spool(stream, limit: int, suffix: str = "") -> Path:
    """Copy a stream to a temporary file under UPLOAD_DIR in chunks, refusing more than limit bytes."""
    tmp_dir = root() / "tmp"
    tmp_dir.mkdir(exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=suffix)
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                written += len(chunk)
                if written > limit:
                    raise TooLarge()
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def keep(temporary: Path, kind: str, extension: str) -> str:
    """Move a checked temporary file to its permanent place; returns the stored name. Removed again on rollback."""
    name = f"{kind}/{uuid.uuid4().hex}.{extension}"
    target = path_of(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(temporary), target)
    os.chmod(target, FILE_MODE)
    db.session.connection()  # begin the transaction now if need be: only a begun one reports its rollback
    db.session.info.setdefault("storage_new", []).append(name)
    return name


def store_bytes(data: bytes, kind: str, extension: str) -> str:
    tmp_dir = root() / "tmp"
    tmp_dir.mkdir(exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return keep(Path(name), kind, extension)


def discard_after_commit(name: str | None) -> None:
    """Remove a replaced file once the commit that replaced it has succeeded."""
    if name:
        db.session.info.setdefault("storage_old", []).append(name)


def _remove(names):
    for name in names:
        try:
            path_of(name).unlink(missing_ok=True)
        except (ValueError, OSError):
            pass


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    session.info.pop("storage_new", None)
    _remove(session.info.pop("storage_old", []))


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction):
    # What the database rolled back is the nearest savepoint or the whole transaction (a failed flush rolls back
    # its own subtransaction, and with it that). Only a savepoint: the transaction that will name the files goes on.
    rolled_back = previous_transaction
    while rolled_back.parent is not None and not rolled_back.nested:
        rolled_back = rolled_back.parent
    if rolled_back.nested:
        return
    _remove(session.info.pop("storage_new", []))
    session.info.pop("storage_old", None)
