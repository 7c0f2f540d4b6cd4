"""app/storage.py: files follow the transaction — no orphan after a failed save, no loss before a commit."""
import io

import pytest

from app import storage
from app.extensions import db


def test_a_new_file_is_removed_when_the_transaction_rolls_back():
    name = storage.store_bytes(b"data", "photo", "jpg")
    assert storage.path_of(name).exists()
    db.session.rollback()
    assert not storage.path_of(name).exists()


def test_a_replaced_file_goes_only_after_the_commit():
    old = storage.store_bytes(b"old", "photo", "jpg")
    db.session.commit()
    storage.discard_after_commit(old)
    assert storage.path_of(old).exists()  # the row still names it until the commit
    db.session.commit()
    assert not storage.path_of(old).exists()


def test_a_failed_commit_keeps_the_old_file_and_drops_the_new(app):
    old = storage.store_bytes(b"old", "photo", "jpg")
    db.session.commit()
    new = storage.store_bytes(b"new", "photo", "jpg")
    storage.discard_after_commit(old)
    db.session.rollback()
    assert storage.path_of(old).exists() and not storage.path_of(new).exists()


def test_a_kept_file_is_readable_by_the_group_for_nginx_and_by_no_one_else():
    name = storage.store_bytes(b"data", "video", "mp4")
    assert storage.path_of(name).stat().st_mode & 0o777 == 0o640


def test_spool_refuses_more_than_the_limit_and_leaves_nothing():
    before = set((storage.root() / "tmp").glob("*")) if (storage.root() / "tmp").exists() else set()
    with pytest.raises(storage.TooLarge):
        storage.spool(io.BytesIO(b"x" * 3000), limit=2048)
    assert set((storage.root() / "tmp").glob("*")) == before


@pytest.mark.parametrize("name", ["../etc/passwd", "/etc/passwd", "nodir", ""])
def test_only_our_own_names_resolve(name):
    with pytest.raises(ValueError):
        storage.path_of(name)


# Sending a stored file (storage.send): by the app, or by nginx through X-Accel-Redirect (UPLOAD_ACCEL_REDIRECT).


@pytest.fixture
def accel_redirect(app):
    app.config["UPLOAD_ACCEL_REDIRECT"] = "/_uploads/"
    yield "/_uploads/"
    app.config["UPLOAD_ACCEL_REDIRECT"] = None


def _video_and_viewers(app):
    from app import roles
    from tests import factories

    factories.campaign()
    _district, (street, other_street) = factories.district_with_streets()
    application = factories.application_with_media(video=b"\x00\x00 the video", unit=street,
                                                   video_original_name="我的视频.mp4")
    clerk = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=street))
    stranger = factories.login(app.test_client(), factories.account(roles.L2_CLERK, unit=other_street))
    return application, clerk, stranger


def test_without_accel_redirect_the_app_sends_the_file_itself(app):
    application, clerk, _ = _video_and_viewers(app)
    answer = clerk.get(f"/application-files/{application.id}/video")
    assert answer.status_code == 200 and answer.data == b"\x00\x00 the video"
    assert "X-Accel-Redirect" not in answer.headers
    partial = clerk.get(f"/application-files/{application.id}/video", headers={"Range": "bytes=3-"})
    assert partial.status_code == 206 and partial.data == b"the video"


def test_a_recorded_file_gone_from_the_disk_is_not_found_not_a_server_error(app):
    application, clerk, _ = _video_and_viewers(app)
    from app import storage

    storage.path_of(application.video_file).unlink()
    answer = clerk.get(f"/application-files/{application.id}/video")
    assert answer.status_code == 404


def test_with_accel_redirect_nginx_sends_the_file_the_app_allowed(app, accel_redirect):
    application, clerk, stranger = _video_and_viewers(app)
    answer = clerk.get(f"/application-files/{application.id}/video")
    assert answer.status_code == 200 and answer.data == b""
    assert answer.headers["X-Accel-Redirect"] == f"/_uploads/{application.video_file}"
    assert answer.headers["Content-Type"] == "video/mp4"
    assert answer.headers["Cache-Control"] == "private, no-store"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("inline;")
    assert "filename*=UTF-8''%E6%88%91%E7%9A%84%E8%A7%86%E9%A2%91.mp4" in disposition  # 我的视频.mp4
    # Who may see it is still the app's decision: another street's clerk gets a 404 and no file name at all.
    refused = stranger.get(f"/application-files/{application.id}/video")
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers


def test_accel_redirect_serves_the_approval_decision_too(app, accel_redirect):
    from app import roles
    from tests import factories

    campaign = factories.campaign()
    record = factories.approval(campaign)
    city = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE))
    answer = city.get(f"/approval/decision/{campaign.id}.pdf")
    assert answer.status_code == 200, answer.status_code
    assert answer.headers["X-Accel-Redirect"] == f"/_uploads/{record.decision_file}"
    assert answer.headers["Content-Type"] == "application/pdf"
