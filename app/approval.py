"""审核确定 (R-PUB-3): the city office records the leading group's decision on a campaign's list, once, after 公示.

`approve(actor, campaign_id, ...)` locks the campaign, checks that the notice period is over, that the campaign is
not approved yet and that no objection is still open, keeps the decision's PDF, moves every candidate to winner
(app/workflow.py's award), adds the winners to the past winners (so a later campaign refuses them, R-APP-6), issues
their certificates (app/certificates.py), audits and commits. The decision's PDF is checked first, on its own
(`receive_decision`), so that a form refused for another field keeps the file the clerk already uploaded.
"""
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.exc import IntegrityError

from app import audit, certificates, clock, scoping, storage, workflow
from app.display import format_time
from app.extensions import db
from app.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Campaign,
    CampaignApproval,
    Objection,
    PastWinner,
    Unit,
)
from app.models.application import PUBLIC_CANDIDATES, WINNERS
from app.models.publicity import OPEN_OBJECTION_STATUSES
from app.workflow import WorkflowError

S = ApplicationStatus
DECISION_MAX_BYTES = 20 * 1024 * 1024
# A temporary decision file, as receive_decision() names it: what a form may hand back on its second try.
_HELD_NAME = re.compile(r"^[A-Za-z0-9_]{4,64}\.pdf$")


@dataclass
class HeldDecision:
    """A checked PDF waiting under UPLOAD_DIR/tmp for the form to be completed; `held` is its name there."""

    path: Path
    original_name: str

    @property
    def held(self) -> str:
        return self.path.name


def _refuse(field: str, message: str, status: int = 422) -> WorkflowError:
    return WorkflowError(message, errors={field: message}, status=status)


def receive_decision(stream, filename: str) -> HeldDecision:
    """Spool an uploaded decision and check by its content that it is a readable, unencrypted PDF of 1+ pages."""
    try:
        path = storage.spool(stream, DECISION_MAX_BYTES, suffix=".pdf")
    except storage.TooLarge:
        raise _refuse("decision_file", _("审核决定文件不能超过 20 MB")) from None
    message = pdf_problem(path)
    if message:
        path.unlink(missing_ok=True)
        raise _refuse("decision_file", message)
    return HeldDecision(path, _original_name(filename))


def pdf_problem(path: Path) -> str | None:
    """Why this file cannot be the decision (Chinese), or None."""
    with open(path, "rb") as head:
        if b"%PDF-" not in head.read(1024):
            return _("审核决定须为 PDF 文件（请上传扫描或导出的 PDF）")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            return _("该 PDF 已加密，无法存档，请上传未加密的 PDF")
        if len(reader.pages) < 1:
            return _("该 PDF 没有页面")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        return _("无法读取该 PDF，文件可能已损坏")
    return None


def held_decision(held: str, original_name: str) -> HeldDecision | None:
    """The decision received on an earlier try of the same form, if it is still there."""
    if not held or not _HELD_NAME.match(held):
        return None
    path = storage.root() / "tmp" / held
    if not path.is_file() or pdf_problem(path):  # gone (approved meanwhile), or not what receive_decision kept
        return None
    return HeldDecision(path, _original_name(original_name))


def _original_name(filename: str | None) -> str:
    """The uploaded file's own name, without any folder a browser sent with it (shown and used for the download)."""
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].strip()[:255]
    return name or "decision.pdf"


# What a date may look like when typed: 2026-07-20, 2026/7/20, 2026.7.20, full-width digits from a Chinese IME.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－／．", "0123456789-/.")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def parse_date(value) -> date | None:
    """A date, or the text of one (the form's and the REST API's decided_on); None when it is not one."""
    if isinstance(value, date):
        return value
    match = _DATE.match((value or "").translate(_FULL_WIDTH).strip()) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:  # 2026-02-30
        return None


def _field_errors(campaign: Campaign, decided_on, document_number, decision) -> tuple[dict, date | None, str]:
    """Every field's problem at once (field -> Chinese message), with the date and the 文号 as they will be kept."""
    errors = {}
    day = parse_date(decided_on)
    if day is None:
        if isinstance(decided_on, str) and decided_on.strip():
            errors["decided_on"] = _("日期应为“年-月-日”，例如 2018-07-20")
        else:
            errors["decided_on"] = _("请填写审核决定的日期")
    elif day > clock.now().date():
        errors["decided_on"] = _("审核决定的日期不能晚于今天")
    else:
        window = campaign.window("publicity")
        if window is not None and window.ends_at is not None and day < window.ends_at.date():
            errors["decided_on"] = _("审核决定在公示期结束后作出：日期不能早于 %(day)s",
                                     day=window.ends_at.date().isoformat())
    number = " ".join((document_number or "").split()) if isinstance(document_number, str) else ""
    if not number:
        errors["document_number"] = _("请填写审核决定的文号，例如 京学习办〔2018〕5号")
    elif len(number) > 50:
        errors["document_number"] = _("文号不能超过 50 个字")
    if decision is None or not decision.path.is_file():
        errors["decision_file"] = _("请上传领导小组审核决定的 PDF 文件")
    return errors, day, number


def _refuse_fields(errors: dict) -> WorkflowError:
    return WorkflowError("；".join(errors.values()), errors=errors, status=422)


def _campaign(actor, campaign_id, lock: bool) -> Campaign:
    """The campaign the city office acts on (locked for approve(): two approvals queue on its row)."""
    if not scoping.is_city_office(actor):
        raise WorkflowError(_("只有市学习办可以录入审核决定"), status=403)
    if not isinstance(campaign_id, int) or isinstance(campaign_id, bool):
        raise WorkflowError(_("找不到该评选批次"), status=404)
    query = db.session.query(Campaign).filter(Campaign.id == campaign_id)
    if lock:
        query = query.with_for_update().populate_existing()
    campaign = query.one_or_none()
    if campaign is None:
        raise WorkflowError(_("找不到该评选批次"), status=404)
    return campaign


def open_objections(campaign_id: int) -> int:
    return (
        db.session.query(func.count(Objection.id))
        .filter(Objection.campaign_id == campaign_id,
                Objection.status.in_([s.value for s in OPEN_OBJECTION_STATUSES]))
        .scalar()
    )


def refusal(campaign: Campaign) -> str | None:
    """Why the campaign cannot be approved now (Chinese), or None: for the form, before anything is filled in."""
    window = campaign.window("publicity")
    if window is None or window.ends_at is None:
        return _("公示时间尚未设定：请先在「时间安排」中设定公示期")
    if not workflow.publicity_ended(campaign):
        return _("公示期至 %(end)s 结束，结束后才能录入审核决定", end=format_time(window.ends_at))
    approval = db.session.query(CampaignApproval).filter_by(campaign_id=campaign.id).one_or_none()
    if approval is not None:
        return _("本批次名单已于 %(day)s 审核确定（%(number)s），不能重复录入",
                 day=approval.decided_on.isoformat(), number=approval.document_number)
    waiting = open_objections(campaign.id)
    if waiting:
        return _("尚有 %(n)s 件异议未办结：全部办结后才能审核确定", n=waiting)
    candidates = (
        db.session.query(func.count(Application.id))
        .filter(Application.campaign_id == campaign.id, Application.status.in_([S.CANDIDATE.value, S.FEATURED.value]))
        .scalar()
    )
    if not candidates:
        return _("本批次没有拟评选人选，无法审核确定")
    return None


def check(actor, campaign_id: int, decided_on, document_number, decision: HeldDecision | None) -> None:
    """What approve() would refuse, without doing anything: the form's confirm step asks this first. Raises the
    same WorkflowError (403 not the office, 404, 409 with refusal()'s reason, 422 with every field's message)."""
    _checked(_campaign(actor, campaign_id, lock=False), decided_on, document_number, decision)


def _checked(campaign: Campaign, decided_on, document_number, decision) -> tuple[date, str]:
    """refusal() and then every field at once; returns the decision's date and 文号 as recorded."""
    why = refusal(campaign)
    if why:
        raise WorkflowError(why, status=409)
    errors, decided_on, document_number = _field_errors(campaign, decided_on, document_number, decision)
    if errors:
        raise _refuse_fields(errors)
    return decided_on, document_number


def _approved_already(clash: IntegrityError) -> WorkflowError | None:
    """Two approvals of one campaign at once: the unique campaign_id lets one in; the other is told it is done."""
    if "campaign_approval" not in str(clash.orig) and "campaign_id" not in str(clash.orig):
        return None
    return WorkflowError(_("本批次名单已审核确定，不能重复录入"), status=409)


def approve(actor, campaign_id: int, decided_on, document_number, decision: HeldDecision | None
            ) -> CampaignApproval:
    """Record the leading group's decision and make the candidates winners, in one transaction. decided_on is a
    date or its text (YYYY-MM-DD)."""
    with workflow.atomic(_approved_already):
        campaign = _campaign(actor, campaign_id, lock=True)
        decided_on, document_number = _checked(campaign, decided_on, document_number, decision)
        stored = storage.keep(decision.path, "decision", "pdf")
        winners = workflow.award(actor, campaign, _("领导小组审核确定（%(number)s）", number=document_number))
        featured = sum(1 for a in winners if a.status == S.FEATURED_WINNER.value)
        approval = CampaignApproval(
            campaign=campaign, decided_on=decided_on, document_number=document_number, decision_file=stored,
            decision_original_name=decision.original_name, recorded_at=clock.now(), recorded_by_id=actor.id,
            recorded_by_name=actor.username, winners=len(winners), featured=featured,
        )
        db.session.add(approval)
        for application in winners:
            _add_past_winner(campaign, application)
            certificates.issue(application)
        audit.record("campaign.approve", "campaign", campaign.id, campaign.name, decided_on=decided_on.isoformat(),
                     document_number=document_number, winners=len(winners), featured=featured)
    return approval


def _add_past_winner(campaign: Campaign, application: Application) -> None:
    known = db.session.query(PastWinner).filter_by(id_number=application.id_number, batch=campaign.name).one_or_none()
    if known is not None:  # imported by hand before the approval was recorded: link it
        known.application_id = application.id
        return
    db.session.add(PastWinner(id_number=application.id_number, name=application.name, batch=campaign.name,
                              year=campaign.year, application_id=application.id))


def approval_of(campaign: Campaign | None) -> CampaignApproval | None:
    if campaign is None:
        return None
    return db.session.query(CampaignApproval).filter_by(campaign_id=campaign.id).one_or_none()


# --- the official lists: 公示名单 (who was published, withdrawals marked) and the final list ---------------------

# Everyone the public notice named: still candidates, withdrawn after an objection, or approved since.
PUBLISHED = (*PUBLIC_CANDIDATES, S.WITHDRAWN, *WINNERS)
_FEATURED = (S.FEATURED.value, S.FEATURED_WINNER.value)


@dataclass
class Listed:
    """One person on an official list, in the list's order."""

    application: Application
    featured: bool
    withdrawn: bool = False

    @property
    def unit_text(self) -> str:
        """一级单位 · 二级单位."""
        unit = self.application.unit
        return unit.full_name if unit is not None else ""

    @property
    def work_text(self) -> str:
        """工作单位及职务, as the notice prints it: "北京某研究院 工程师"."""
        return " ".join(part for part in (self.application.work_unit, self.application.position) if part)


def _listed(user, campaign: Campaign, statuses) -> list[Application]:
    parent = aliased(Unit)
    return db.session.scalars(
        select(Application)
        .join(Application.unit)
        .outerjoin(parent, Unit.parent_id == parent.id)
        .where(scoping.application_clause(user), Application.campaign_id == campaign.id,
               Application.status.in_([s.value for s in statuses]))
        .options(joinedload(Application.unit).joinedload(Unit.parent))
        # The notice's order: by first-level unit, then second-level unit, as the units were set up (排名不分先后).
        .order_by(parent.id, Unit.id, Application.id)
    ).unique().all()


def public_list(user, campaign: Campaign) -> list[Listed]:
    """公示名单: everyone published for the notice, featured first, those withdrawn during 公示 last and marked
    (their 重点宣传 as it was when withdrawn)."""
    rows = _listed(user, campaign, PUBLISHED)
    withdrawn_ids = [a.id for a in rows if a.status == S.WITHDRAWN.value]
    was_featured = set(db.session.scalars(
        select(ApplicationEvent.application_id)
        .where(ApplicationEvent.application_id.in_(withdrawn_ids), ApplicationEvent.action == "withdraw",
               ApplicationEvent.from_status == S.FEATURED.value)
    )) if withdrawn_ids else set()
    listed = [Listed(a, a.status in _FEATURED or a.id in was_featured, a.status == S.WITHDRAWN.value) for a in rows]
    listed.sort(key=lambda item: (item.withdrawn, not item.featured))  # stable: the units' order within each part
    return listed


def final_list(user, campaign: Campaign) -> list[Listed]:
    """The approved list (首都市民学习之星), the 重点宣传 first; empty before 审核确定."""
    listed = [Listed(a, a.status in _FEATURED) for a in _listed(user, campaign, WINNERS)]
    listed.sort(key=lambda item: not item.featured)
    return listed


def counts(campaign: Campaign) -> dict[str, int]:
    """How many are on the campaign's lists now: 拟评选 (重点宣传 included) and 重点宣传, 公示后撤销, and the winners."""
    by_status = dict(
        db.session.query(Application.status, func.count(Application.id))
        .filter(Application.campaign_id == campaign.id, Application.status.in_([s.value for s in PUBLISHED]))
        .group_by(Application.status)
        .all()
    )
    return {
        "candidates": by_status.get(S.CANDIDATE.value, 0) + by_status.get(S.FEATURED.value, 0),
        "featured": by_status.get(S.FEATURED.value, 0),
        "withdrawn": by_status.get(S.WITHDRAWN.value, 0),
        "winners": by_status.get(S.WINNER.value, 0) + by_status.get(S.FEATURED_WINNER.value, 0),
        "featured_winners": by_status.get(S.FEATURED_WINNER.value, 0),
    }


def recorder_label(approval: CampaignApproval) -> str:
    """Who recorded the decision: "市学习办 · 李娜" (the account's name now), else the user name recorded."""
    account = approval.recorded_by
    return account.acting_label() if account is not None else approval.recorded_by_name
