"""`flask retention purge-media` (app/retention.py) through its command, with real files on disk: unsuccessful
applicants' photos, videos and public photo copies go MEDIA_RETENTION_DAYS after the campaign ended; winners keep
theirs; a campaign not ended or not yet due is refused; a dry run changes nothing; a second run finds nothing."""
from datetime import timedelta

import pytest

from app import approval, clock, roles, storage
from app.extensions import db
from app.models import Application, AuditEvent
from app.publicity import photo_copy_name
from tests import factories
from tests.test_approval import held


def stored(kind, extension):
    return storage.store_bytes(f"{kind} bytes".encode(), kind, extension)


def on_disk(name) -> bool:
    return storage.path_of(name).is_file()


def purge(app, *args):
    return app.test_cli_runner().invoke(args=["retention", "purge-media", *args])


@pytest.fixture
def approved(app):
    """A campaign approved after its notice: two winners (one withdrawn before), one not recommended, one draft,
    every one with a photo and a video on disk; the withdrawn one also with the public copy made during 公示."""
    campaign = factories.campaign(name="第九批", open_stage="publicity")
    winners = factories.candidates(2, campaign=campaign, featured=1,
                                   photo_file=None, video_file=None)
    street = winners[0].unit
    losers = [
        factories.application(campaign=campaign, unit=street, status="l1_rejected", name="李落选"),
        factories.application(campaign=campaign, unit=street, status="withdrawn", name="赵撤销"),
        factories.application(campaign=campaign, unit=street, status="draft", name="钱草稿"),
    ]
    for application in winners + losers:
        application.photo_file, application.video_file = stored("photo", "jpg"), stored("video", "mp4")
        application.photo_original_name, application.video_original_name = "我.jpg", "我.mp4"
    db.session.commit()
    copy = photo_copy_name(losers[1].photo_file)
    storage.path_of(copy).parent.mkdir(parents=True, exist_ok=True)
    storage.path_of(copy).write_bytes(b"public copy")
    clock.freeze(campaign.window("publicity").ends_at + timedelta(hours=1))
    approval.approve(factories.account(roles.CITY_OFFICE), campaign.id, clock.now().date(), "京学习办〔2026〕9号", held())
    db.session.commit()
    ended = campaign.window("approval").ends_at  # the later of the approval and the last window's end
    return {"campaign": campaign, "winners": winners, "losers": losers, "copy": copy, "ended": ended}


def files_of(applications):
    return [name for a in applications for name in (a.photo_file, a.video_file)]


def test_refused_before_the_retention_period_has_passed(app, approved):
    clock.freeze(approved["ended"] + timedelta(days=179))
    result = purge(app, "--campaign", str(approved["campaign"].id))
    assert result.exit_code == 1
    assert "材料保存至" in result.output and "180 天" in result.output
    assert all(on_disk(name) for name in files_of(approved["losers"]))
    # Without --campaign the campaign is listed as skipped and nothing happens.
    result = purge(app)
    assert result.exit_code == 0 and "跳过" in result.output
    assert all(on_disk(name) for name in files_of(approved["losers"]))


def test_refused_on_a_campaign_not_yet_ended(app):
    campaign = factories.campaign(open_stage="l2_review")
    _, (street, _) = factories.district_with_streets()
    application = factories.application(campaign=campaign, unit=street, photo_file=stored("photo", "jpg"))
    clock.freeze(clock.now() + timedelta(days=400))  # long after the review, but 公示 and 审核 are still ahead
    campaign.window("publicity").ends_at = clock.now() + timedelta(days=1)
    db.session.commit()
    result = purge(app, "--campaign", str(campaign.id))
    assert result.exit_code == 1 and "尚未结束" in result.output
    assert on_disk(application.photo_file)


def test_a_dry_run_counts_and_changes_nothing(app, approved):
    clock.freeze(approved["ended"] + timedelta(days=181))
    result = purge(app, "--campaign", str(approved["campaign"].id), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "将删除 3 份报名的照片 3 张、视频 3 个" in result.output
    assert all(on_disk(name) for name in files_of(approved["losers"])) and on_disk(approved["copy"])
    assert db.session.query(AuditEvent).filter_by(action="retention.purge_media").count() == 0


def test_unsuccessful_applicants_media_go_the_winners_stay_audited_and_idempotent(app, approved):
    losers_files, winners_files = files_of(approved["losers"]), files_of(approved["winners"])
    loser_ids = [a.id for a in approved["losers"]]
    clock.freeze(approved["ended"] + timedelta(days=181))

    result = purge(app)
    assert result.exit_code == 0, result.output
    assert "第九批：已删除 3 份报名的照片 3 张、视频 3 个" in result.output
    assert not any(on_disk(name) for name in losers_files) and not on_disk(approved["copy"])
    assert all(on_disk(name) for name in winners_files)
    db.session.expire_all()
    for application in db.session.query(Application).filter(Application.id.in_(loser_ids)):
        assert application.photo_file is None and application.video_file is None
        assert application.photo_original_name is None and application.video_original_name is None
        assert application.media_purged_at == clock.now()
        assert application.name  # the row stays
    (event,) = db.session.query(AuditEvent).filter_by(action="retention.purge_media").all()
    assert (event.object_type, event.object_label) == ("campaign", "第九批")
    assert event.detail == {"applications": 3, "photos": 3, "videos": 3, "retention_days": 180}
    assert "李落选" not in str(event.detail)

    again = purge(app, "--campaign", str(approved["campaign"].id))
    assert again.exit_code == 0 and "已删除 0 份报名" in again.output
    assert db.session.query(AuditEvent).filter_by(action="retention.purge_media").count() == 1
    assert all(on_disk(name) for name in winners_files)


def test_the_period_is_configurable(app, approved):
    losers_files = files_of(approved["losers"])
    app.config["MEDIA_RETENTION_DAYS"] = 30
    try:
        clock.freeze(approved["ended"] + timedelta(days=31))
        result = purge(app, "--campaign", str(approved["campaign"].id))
        assert result.exit_code == 0, result.output
        assert not any(on_disk(name) for name in losers_files)
    finally:
        app.config["MEDIA_RETENTION_DAYS"] = 180


def test_pages_say_the_media_were_removed_instead_of_a_broken_picture(app, approved):
    loser = approved["losers"][0]
    clock.freeze(approved["ended"] + timedelta(days=181))
    assert purge(app).exit_code == 0
    client = factories.login(app.test_client(), loser.applicant)
    page = client.get("/apply/").text
    assert "照片已按规定删除" in page and "按规定删除（评选结束后保存期满）" in page
    assert f"/application-files/{loser.id}/photo" not in page
    assert client.get(f"/application-files/{loser.id}/photo").status_code == 404
    office = factories.login(app.test_client(), factories.account(roles.CITY_OFFICE, username="desk2"))
    assert "照片已按规定删除" in office.get(f"/applications/show/{loser.id}").text


def test_the_audit_log_reads_the_purge_in_chinese(app, approved):
    clock.freeze(approved["ended"] + timedelta(days=181))
    assert purge(app).exit_code == 0
    auditor = factories.login(app.test_client(), factories.account(roles.AUDITOR, username="auditor"))
    listing = auditor.get("/audit/list/").text
    for text in ("按期删除未入选者照片和视频", "报名数：3", "删除照片数：3", "删除视频数：3", "保存天数：180"):
        assert text in listing, text
    assert "李落选" not in listing
