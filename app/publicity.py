"""What the public sees of a campaign's 公示 (/gongshi) and of its approved list (/mingdan), for the pages and the
public API alike (R-PUB-1, R-PUB-3): the notice's state and period, the rows (name, gender, unit, an extract of
the deeds with personal data masked, featured or not, the photo copy's address), and the photo copies themselves.

Which applications are public at all is app/scoping.py's public_clause. Nothing here reads or returns an ID
number, phone, address, birth date or work unit, except to mask them where an applicant typed them into the deeds.
"""
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import url_for
from sqlalchemy.orm import joinedload

from app import clock, scoping, storage
from app.approval import approval_of
from app.display import format_time
from app.extensions import db
from app.media.publication import RECIPE, NotPublishable, publishable_jpeg
from app.models import Application, ApplicationStatus, Campaign, CampaignApproval, Stage, Unit
from app.models.application import PUBLIC_CANDIDATES, WINNERS
from app.schedule import current_campaign

log = logging.getLogger(__name__)

EXTRACT_CHARS = 100
MASK = "＊＊＊"
FEATURED_STATUSES = (ApplicationStatus.FEATURED.value, ApplicationStatus.FEATURED_WINNER.value)

# The notice's states: no campaign at all, a 公示 window without dates, before, during, after it.
NO_CAMPAIGN, NOT_SCHEDULED, BEFORE, DURING, AFTER = "no_campaign", "not_scheduled", "before", "during", "after"


@dataclass(frozen=True)
class Notice:
    campaign: Campaign | None
    state: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    approval: CampaignApproval | None = None

    @property
    def period(self) -> tuple[str, str] | None:
        """Start and end as every page prints a time (Beijing, to the second), or None when not scheduled."""
        if self.starts_at is None:
            return None
        return format_time(self.starts_at), format_time(self.ends_at)


def notice_of(campaign: Campaign | None = None, at: datetime | None = None) -> Notice:
    """Where the 公示 of a campaign (by default the current one) stands at `at` (by default now)."""
    campaign = campaign or current_campaign()
    if campaign is None:
        return Notice(None, NO_CAMPAIGN)
    window = campaign.window(Stage.PUBLICITY)
    approval = approval_of(campaign)
    if window is None or window.starts_at is None:
        return Notice(campaign, NOT_SCHEDULED, approval=approval)
    at = (at or clock.now()).replace(microsecond=0)
    state = BEFORE if at < window.starts_at else DURING if at <= window.ends_at else AFTER
    return Notice(campaign, state, window.starts_at, window.ends_at, approval)


@dataclass(frozen=True)
class PublicRow:
    """One person as the public pages and API show them: nothing more."""

    application_id: int
    name: str
    gender: str
    unit: str  # "一级单位 · 二级单位"
    extract: str
    featured: bool
    photo_url: str | None
    search_text: str = field(default="", repr=False, compare=False)

    def as_json(self) -> dict:
        return {"id": self.application_id, "name": self.name, "gender": self.gender, "unit": self.unit,
                "extract": self.extract, "featured": self.featured, "photo_url": self.photo_url}


def candidates(notice: Notice, q: str = "") -> list[PublicRow]:
    """The candidates shown on /gongshi while the notice runs (none before or after it): featured first, then by
    unit and name; with `q`, those whose name or unit contains every word of it (case ignored)."""
    if notice.state != DURING:
        return []
    return search(_rows(notice.campaign, PUBLIC_CANDIDATES), q)


@dataclass(frozen=True)
class FinalList:
    campaign: Campaign | None
    approval: CampaignApproval | None
    rows: list[PublicRow]

    @property
    def published(self) -> bool:
        return self.approval is not None


def final_list(campaign: Campaign | None = None) -> FinalList:
    """The approved list of a campaign for /mingdan: the featured first; empty and unpublished until the leading
    group's decision is recorded (app/approval.py).

    By default the current campaign's, or, until it is approved, the latest approved one's: a published list stays
    at its printed address when the office sets up the next campaign, months before that one's decision."""
    if campaign is None:
        campaign = current_campaign()
        if approval_of(campaign) is None:
            campaign = latest_approved_campaign() or campaign
    approval = approval_of(campaign)
    if approval is None:
        return FinalList(campaign, None, [])
    return FinalList(campaign, approval, _rows(campaign, WINNERS))


def latest_approved_campaign() -> Campaign | None:
    return (
        db.session.query(Campaign).join(CampaignApproval, CampaignApproval.campaign_id == Campaign.id)
        .order_by(Campaign.year.desc(), Campaign.id.desc()).first()
    )


def search(rows: list[PublicRow], q: str) -> list[PublicRow]:
    words = (q or "").casefold().split()
    return [row for row in rows if all(word in row.search_text for word in words)]


def _rows(campaign: Campaign, statuses) -> list[PublicRow]:
    found = (
        db.session.query(Application)
        .options(joinedload(Application.unit).joinedload(Unit.parent))  # one query for a list of 100
        .filter(Application.campaign_id == campaign.id, Application.status.in_([s.value for s in statuses]),
                scoping.public_clause())
        .all()
    )
    rows = [_row(application) for application in found]
    return sorted(rows, key=lambda row: (not row.featured, row.unit, row.name, row.application_id))


def _unit_label(unit: Unit | None) -> str:
    return unit.full_name if unit is not None else ""


def _row(application: Application) -> PublicRow:
    unit = _unit_label(application.unit)
    name = application.name or ""
    return PublicRow(
        application_id=application.id,
        name=name,
        gender=str(application.gender_label),
        unit=unit,
        extract=extract(application),
        featured=application.status in FEATURED_STATUSES,
        photo_url=photo_url(application),
        search_text=f"{name} {unit}".casefold(),
    )


# --- the extract of the deeds ------------------------------------------------------------------------------------

_DIGIT = "[0-9０-９]"
_GENERIC = [
    # An ID number, a phone, a bank card...: any run of 7 digits or more (an ID number's final X with it).
    re.compile(rf"{_DIGIT}{{7,}}[XxＸｘ]?"),
    # A mobile or an ID number written in groups: 139 1158 8771, 139-1158-8771, 110108 19800101 123X.
    re.compile(rf"1{_DIGIT}{{2}}[\s\-－]{_DIGIT}{{4}}[\s\-－]{_DIGIT}{{4}}"),
    re.compile(rf"{_DIGIT}{{6}}[\s\-－]{_DIGIT}{{8}}[\s\-－]{_DIGIT}{{3}}[0-9０-９XxＸｘ]"),
    re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"),  # an e-mail address
]
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _spaced(text: str) -> str:
    """A pattern matching text with any whitespace between its characters (people type "1 号" or "1号")."""
    return r"\s*".join(re.escape(char) for char in text if not char.isspace())


def _birth_date_pattern(birth: date) -> str:
    year, month, day = birth.year, birth.month, birth.day
    return (rf"{year}\s*(?:[-./／年])\s*0?{month}\s*(?:[-./／月])\s*0?{day}(?![0-9])\s*日?")


def _own_patterns(application: Application) -> list[re.Pattern]:
    """The applicant's own personal data, as they may have typed it into their deeds."""
    patterns = []
    for value in (application.id_number, application.mobile):
        if value and value.strip():
            patterns.append(re.compile(_spaced(value.strip()), re.IGNORECASE))
    address = (application.address or "").strip()
    if address:
        variants = {address}
        for prefix in ("北京市", "北京"):
            if address.startswith(prefix) and len(address) > len(prefix) + 3:
                variants.add(address[len(prefix):])
        # Longest first, so that the whole address goes rather than leaving its city in front of the mask.
        patterns.append(re.compile("|".join(_spaced(v) for v in sorted(variants, key=len, reverse=True))))
    if application.birth_date:
        patterns.append(re.compile(_birth_date_pattern(application.birth_date)))
    return patterns


def mask_personal_data(text: str, application: Application) -> str:
    """The text with the applicant's own ID number, mobile, address and birth date, and anything that looks like
    an ID or phone number (7+ digits) or an e-mail address, replaced by ＊＊＊."""
    masked = text or ""
    for pattern in _own_patterns(application) + _GENERIC:
        masked = pattern.sub(MASK, masked)
    # Full-width digits are matched as digits above; once more after folding them, for the applicant's own values.
    folded = masked.translate(_FULLWIDTH_DIGITS)
    if folded != masked:
        masked = folded
        for pattern in _own_patterns(application) + _GENERIC:
            masked = pattern.sub(MASK, masked)
    return masked


def extract(application: Application, limit: int = EXTRACT_CHARS) -> str:
    """About `limit` characters of the deeds on one line, personal data masked first (before cutting, so that a
    value cut in half cannot slip past the mask)."""
    text = " ".join(mask_personal_data(application.deeds or "", application).split())
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + "…"


# --- the photo copies ------------------------------------------------------------------------------------------

def _photo_key(stored_name: str) -> str:
    """The copy's name: from the stored photo's name (a new upload is a new name) and the recipe's version."""
    return hashlib.sha256(f"{stored_name}|{RECIPE}".encode()).hexdigest()[:32]


def photo_copy_name(stored_name: str) -> str:
    """The public copy of a stored photo, as a storage name (app/retention.py removes it with the photo)."""
    return f"public/{_photo_key(stored_name)}.jpg"


def photo_url(application: Application) -> str | None:
    if not application.photo_file:
        return None
    # ?v= changes with the photo, so that a browser holding the old copy asks for the new one.
    return url_for("PublicNoticeView.photo", application_id=application.id,
                   v=_photo_key(application.photo_file)[:12])


@dataclass(frozen=True)
class PublishedPhoto:
    path: Path
    etag: str


def published_photo(application_id: int) -> PublishedPhoto | None:
    """The publication copy of a publicly listed application's photo, made on first request and kept under
    UPLOAD_DIR/public/; None when the application is not public (or withdrawn, or has no usable photo)."""
    application = db.session.get(Application, application_id)
    if not scoping.is_public(application) or not application.photo_file:
        return None
    key = _photo_key(application.photo_file)
    folder = storage.root() / "public"
    target = folder / f"{key}.jpg"
    if not target.is_file():
        try:
            source = storage.path_of(application.photo_file)
            data = publishable_jpeg(source)
        except (ValueError, OSError, NotPublishable) as problem:
            log.warning("no public copy of the photo of application %s: %s", application_id, problem)
            return None
        folder.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: two workers making the same copy at once each rename a complete file.
        fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    return PublishedPhoto(target, key)
