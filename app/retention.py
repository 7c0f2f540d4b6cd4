"""How long citizens' photos and videos are kept (PIPL minimisation): those of unsuccessful applicants are removed
MEDIA_RETENTION_DAYS after their campaign ended; the rows stay, with the media reference cleared and the time of
removal noted (Application.media_purged_at), so pages say 已按规定删除 instead of showing a broken picture.

A campaign has ended when it was approved (审核确定) or when every stage window of its schedule is over; it ended at
the later of its approval and its last window's end. Kept for good: the winners (they are published and certified)
and, while a campaign awaits its approval, its candidates. `flask retention purge-media` is the front door.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from app import audit, clock, storage
from app.extensions import db
from app.models import Application, ApplicationStatus, Campaign, CampaignApproval, StageWindow

# Never purged: the published winners, and candidates a late approval may still make winners.
KEPT = (ApplicationStatus.WINNER, ApplicationStatus.FEATURED_WINNER, ApplicationStatus.CANDIDATE,
        ApplicationStatus.FEATURED)
BATCH_SIZE = 200


class NotDue(Exception):
    """The campaign has not ended, or its retention period has not passed: nothing may be removed yet."""


@dataclass
class Purge:
    campaign: Campaign
    applications: int = 0
    photos: int = 0
    videos: int = 0
    files: list[str] = field(default_factory=list)  # the stored names removed (or, on a dry run, to be removed)


def retention_days() -> int:
    return int(current_app.config.get("MEDIA_RETENTION_DAYS", 180))


def ended_at(campaign: Campaign) -> datetime | None:
    """When the campaign ended (the later of its approval and its last window's end), or None while it runs."""
    approval = db.session.query(CampaignApproval).filter_by(campaign_id=campaign.id).one_or_none()
    windows = db.session.query(StageWindow).filter_by(campaign_id=campaign.id).all()
    ends = [w.ends_at for w in windows]
    schedule_over = bool(ends) and all(end is not None and end <= clock.now() for end in ends)
    if approval is None and not schedule_over:
        return None
    moments = [end for end in ends if end is not None and end <= clock.now()]
    if approval is not None:
        moments.append(approval.recorded_at)
    return max(moments)


def due_at(campaign: Campaign) -> datetime | None:
    ended = ended_at(campaign)
    return ended + timedelta(days=retention_days()) if ended is not None else None


def check_due(campaign: Campaign) -> None:
    """Raises NotDue with a Chinese message unless the campaign's media may be removed now."""
    ended = ended_at(campaign)
    if ended is None:
        raise NotDue(_("评选批次“%(name)s”尚未结束（未审核确定，时间安排也未全部结束），不能删除材料", name=campaign.name))
    due = ended + timedelta(days=retention_days())
    if clock.now() < due:
        raise NotDue(_("评选批次“%(name)s”于 %(ended)s 结束，材料保存至 %(due)s（%(days)s 天），届时才能删除",
                       name=campaign.name, ended=f"{ended:%Y-%m-%d %H:%M}", due=f"{due:%Y-%m-%d %H:%M}",
                       days=retention_days()))


def _purgeable(campaign: Campaign):
    return (
        select(Application)
        .where(Application.campaign_id == campaign.id, Application.status.notin_([s.value for s in KEPT]),
               or_(Application.photo_file.isnot(None), Application.video_file.isnot(None)))
        .order_by(Application.id)
    )


def _derived(stored_photo: str) -> str:
    """The public copy made of a photo while its application was listed (a candidate withdrawn during 公示)."""
    from app.publicity import photo_copy_name

    return photo_copy_name(stored_photo)


def purge_media(campaign: Campaign, dry_run: bool = False) -> Purge:
    """Remove the photos and videos of the campaign's unsuccessful applications (raises NotDue first if it may not).
    Idempotent: a second run finds nothing. Commits batch by batch; files go once the commit naming them is done
    (app/storage.py). Audited as retention.purge_media with counts only, never names."""
    check_due(campaign)
    result = Purge(campaign)
    now = clock.now()
    while True:
        stmt = _purgeable(campaign)
        if dry_run:
            rows = db.session.scalars(stmt).all()
        else:
            rows = db.session.scalars(stmt.limit(BATCH_SIZE).with_for_update()).all()
        for application in rows:
            result.applications += 1
            if application.photo_file:
                result.photos += 1
                result.files += [application.photo_file, _derived(application.photo_file)]
            if application.video_file:
                result.videos += 1
                result.files.append(application.video_file)
            if dry_run:
                continue
            for name in (application.photo_file, application.video_file):
                storage.discard_after_commit(name)
            if application.photo_file:
                storage.discard_after_commit(_derived(application.photo_file))
            application.photo_file = application.photo_original_name = None
            application.video_file = application.video_original_name = None
            application.video_size = application.video_duration = application.video_warning = None
            application.media_purged_at = now
        if dry_run or not rows:
            break
        db.session.commit()
    if result.applications and not dry_run:
        audit.record("retention.purge_media", "campaign", campaign.id, campaign.name,
                     applications=result.applications, photos=result.photos, videos=result.videos,
                     retention_days=retention_days())
        db.session.commit()
    return result


def campaigns() -> list[Campaign]:
    return db.session.query(Campaign).order_by(Campaign.year, Campaign.id).all()

