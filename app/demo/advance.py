"""`flask demo advance STAGE`: brings the current campaign forward to 专家初审, 专家复审, 公示 or 审核确定 at once,
for a demo, through the portal's own commands only — assign_round, the experts' scoring.save, rounds.close,
shortlist_top, pick_top, schedule.open_stage and approval.approve — each acting as the account whose button it is
(the expert for their scores, the city office for the rest), so that history, audit and inbox are what the clicks
would have left. Nothing sets a status or writes a score here.

Every step looks at the campaign first and is skipped when already done (a closed round is never scored again, a
schedule already past a stage is never moved back), so a second run changes nothing and `advance publicity` after
`advance final_review` carries on where it stopped.

What each target leaves:
  initial_review  初审 open now and assigned (the campaign first topped up with generated reported applications)
  final_review    初审 scored by every assigned expert and closed, the top K 入围复审, 复审 open now and assigned
  publicity       复审 scored and closed, the top winner_quota 拟评选 (featured_quota of them 重点宣传), 公示 open now,
                  one objection lodged by "the public" and left open for 异议处理
  approval        a second objection lodged; the city office concludes the first 不属实 and the second 属实 and
                  withdraws that candidate (撤销); 公示 over (ended an hour ago), the leading group's decision recorded:
                  winners and certificates
"""
import io
import math
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, g
from sqlalchemy import func

from app import approval, assignment, clock, jobs, objections, roles, rounds, schedule, scoring, workflow
from app.extensions import db
from app.models import Account, Application, ApplicationStatus, Campaign, Expert, Objection, ReviewAssignment, Stage
from app.models.publicity import ObjectionFinding, ObjectionStatus
from app.models.review import AssignmentStatus
from app.workflow import WorkflowError

S = ApplicationStatus
A = AssignmentStatus
TARGETS = (Stage.INITIAL_REVIEW.value, Stage.FINAL_REVIEW.value, Stage.PUBLICITY.value, Stage.APPROVAL.value)
SEED = 2028
# In the 初审 ranking and after: what 初审 reads (assignment.ROUND_STATUSES) and where its applications go next.
IN_REVIEW = (*assignment.ROUND_STATUSES[Stage.INITIAL_REVIEW.value], S.WITHDRAWN.value, S.WINNER.value,
             S.FEATURED_WINNER.value)
PAST_SHORTLIST = (*assignment.ROUND_STATUSES[Stage.FINAL_REVIEW.value], S.WITHDRAWN.value, S.WINNER.value,
                  S.FEATURED_WINNER.value)
COMMENTS = {  # by the application's quality: the better, the warmer
    0: ("学习事迹较为平实，成效有待进一步体现。", "坚持学习，但带动作用和示范性还不够突出。"),
    1: ("长期坚持学习，事迹真实，有一定示范意义。", "学习目标明确，取得了较好的成效。"),
    2: ("学习事迹突出，成效显著，在社区中有较强的带动作用。", "终身学习的典型，事迹感人，示范性强，建议入选。"),
}
BASE_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class DemoObjection:
    """One objection as the public would lodge it on /gongshi/yiyi, and how the city office concludes it."""

    objector_name: str
    objector_phone: str  # the demo's own objector: found again by it, so a second run lodges nothing
    objector_unit: str
    facts: str
    against_featured: bool  # 重点宣传 or not: the 属实 one is not, so the 10 featured stay whole
    finding: ObjectionFinding
    conclusion: str
    withdraw_reason: str | None = None


DEMO_OBJECTIONS = (
    DemoObjection("王建国", "13900001001", "同一社区居民",
                  "该候选人事迹材料中所述“连续十年义务开设社区课堂”与实际不符，据我所知课堂近两年已停办，"
                  "请予核实。", True, ObjectionFinding.UNFOUNDED,
                  "经向推荐单位和社区核实，社区课堂自开办以来未曾中断，近两年因场地调整改在社区活动中心开设，"
                  "反映情况不属实，维持拟评选。"),
    DemoObjection("李秀兰", "13900001002", "原工作单位同事",
                  "该候选人申报材料中的“市级优秀学习成果一等奖”证书为他人所获，本人并非获奖者，材料存在不实之处。",
                  False, ObjectionFinding.UPHELD,
                  "经核实，申报材料中所列一等奖证书的获奖人并非该候选人本人，反映情况属实，撤销其拟评选资格。",
                  "公示期间收到异议，经核实申报材料中的获奖证书不属实"),
)


class AdvanceError(Exception):
    """Refused (Chinese message)."""


@dataclass
class Advance:
    campaign: Campaign
    lines: list = field(default_factory=list)
    seconds: float = 0.0


def default_target_size(campaign: Campaign) -> int:
    """How many applications in 专家评审 make a believable list of winner_quota: half as many again (150 for 100)."""
    return max(campaign.winner_quota * 3 // 2, campaign.winner_quota + 1)


def shortlist_size(campaign: Campaign) -> int:
    """入围复审: a fifth more than the list (120 for 100)."""
    return math.ceil(campaign.winner_quota * 6 / 5)


@contextmanager
def acting_as(account: Account):
    """A request made by `account`, as its click would be: the audit log (app/audit.py) names it."""
    with current_app.test_request_context("/demo/advance"):
        g.user = account
        yield


def _city_office() -> Account:
    city = (db.session.query(Account).filter(Account.active.is_(True), Account.roles.any(name=roles.CITY_OFFICE))
            .order_by(Account.username != "city", Account.id).first())
    if city is None:
        raise AdvanceError("没有市学习办账号：请先运行 flask demo load")
    return city


def _window_text(campaign: Campaign, stage: Stage) -> str:
    window = campaign.window(stage)
    return f"{schedule.format_time(window.starts_at)} 至 {schedule.format_time(window.ends_at)}"


def _in_review(campaign: Campaign) -> int:
    return (db.session.query(func.count(Application.id))
            .filter(Application.campaign_id == campaign.id, Application.status.in_(IN_REVIEW)).scalar())


def advance(target: str, applications: int | None = None) -> Advance:
    """Bring the current campaign to `target` (one of TARGETS); commits step by step. Raises AdvanceError."""
    started = time.perf_counter()
    if target not in TARGETS:
        raise AdvanceError(f"未知的阶段：{target}")
    campaign = schedule.current_campaign()
    if campaign is None:
        raise AdvanceError("没有评选批次：请先运行 flask demo load")
    city = _city_office()
    result = Advance(campaign)
    say = result.lines.append
    goal = TARGETS.index(target)

    _top_up(campaign, applications or default_target_size(campaign), say)
    _open(campaign, Stage.INITIAL_REVIEW, say)
    _assign(city, campaign, Stage.INITIAL_REVIEW, say)
    if goal >= 1:
        _score(campaign, Stage.INITIAL_REVIEW, say)
        _close(city, campaign, Stage.INITIAL_REVIEW, say)
        _shortlist(city, campaign, say)
        _open(campaign, Stage.FINAL_REVIEW, say)
        _assign(city, campaign, Stage.FINAL_REVIEW, say)
    if goal >= 2:
        _score(campaign, Stage.FINAL_REVIEW, say)
        _close(city, campaign, Stage.FINAL_REVIEW, say)
        _pick(city, campaign, "candidate", say)
        _pick(city, campaign, "feature", say)
        _open_publicity(campaign, say)
        _lodge(campaign, DEMO_OBJECTIONS[:1] if goal == 2 else DEMO_OBJECTIONS, say)
    if goal >= 3:
        _handle_objections(city, campaign, say)
        _end_publicity(campaign, say)
        _approve(city, campaign, say)
    result.seconds = time.perf_counter() - started
    return result


# --- the steps --------------------------------------------------------------------------------------------------

def _top_up(campaign: Campaign, wanted: int, say) -> None:
    initial = rounds.round_for(campaign, Stage.INITIAL_REVIEW, create=False)
    have = _in_review(campaign)
    if initial is not None and initial.is_closed:
        say(f"补充报名：初审已结束，跳过（评审中的报名 {have} 份）")
        return
    if have >= wanted:
        say(f"补充报名：已有 {have} 份上报的报名（需要 {wanted} 份），跳过")
        return
    from app.demo.generate import GenerateError, already_generated, generate

    try:
        made = generate(wanted - have, campaign_name=campaign.name, force=already_generated(campaign),
                        seed=SEED + have)
    except GenerateError as refused:
        db.session.rollback()
        raise AdvanceError(str(refused)) from refused
    say(f"补充报名：生成 {made.applications} 份已上报的报名、{len(made.experts)} 位专家，"
        f"共 {have + made.applications} 份（{made.seconds:.1f} 秒）")


def _open(campaign: Campaign, stage: Stage, say) -> None:
    review_round = rounds.round_for(campaign, stage, create=False)
    if review_round is not None and review_round.is_closed:
        return  # its step is over; the schedule is left where it is
    if schedule.is_open(stage, campaign):
        say(f"{stage.label}：已开放（{_window_text(campaign, stage)}）")
        return
    schedule.open_stage(campaign, stage)
    db.session.commit()
    say(f"{stage.label}：时间安排已调整，现已开放（{_window_text(campaign, stage)}）")


def _assign(city: Account, campaign: Campaign, stage: Stage, say) -> None:
    review_round = rounds.round_for(campaign, stage)
    db.session.commit()  # round_for may have made the row; assign_round commits its own transaction
    if review_round.is_closed:
        return
    if _fully_assigned(review_round):
        say(f"{stage.label}分配：每份报名都已分配 {review_round.experts_per_application} 位专家，跳过")
        return
    with acting_as(city):
        result = assignment.assign_round(city, review_round.id)
    if not result.ok:
        reasons = "；".join(f"{a.name}（{a.id}）：{why}" for a, why in result.unplaceable[:5])
        raise AdvanceError(f"{stage.label}无法自动分配：{reasons}")
    rows = (db.session.query(func.count(ReviewAssignment.id))
            .filter(ReviewAssignment.round_id == review_round.id, ReviewAssignment.status != A.DECLINED.value)
            .scalar())
    experts = (db.session.query(func.count(func.distinct(ReviewAssignment.expert_id)))
               .filter(ReviewAssignment.round_id == review_round.id).scalar())
    news = f"新分配 {result.placed} 份" if result.placed else "已全部分配，无新分配"
    say(f"{stage.label}分配：{news}；共 {rows} 份评审任务，{experts} 位专家"
        f"（每份 {review_round.experts_per_application} 位）")


def _fully_assigned(review_round) -> bool:
    """Every application of the round has its experts (declined reviews not counted): 自动分配 would add nothing."""
    held = dict(db.session.query(ReviewAssignment.application_id, func.count(ReviewAssignment.id))
                .filter(ReviewAssignment.round_id == review_round.id, ReviewAssignment.status != A.DECLINED.value)
                .group_by(ReviewAssignment.application_id).all())
    waiting = [i for (i,) in db.session.query(Application.id).filter(
        Application.campaign_id == review_round.campaign_id,
        Application.status.in_(assignment.ROUND_STATUSES[review_round.stage]))]
    return bool(waiting) and all(held.get(i, 0) >= review_round.experts_per_application for i in waiting)


def _quality(application_id: int) -> float:
    """How good the application is, the same for every expert and both rounds: the ranking is believable."""
    return random.Random(f"{SEED}:{application_id}").uniform(0.55, 0.95)


def _scores(stage: str, criteria: list, application_id: int, expert_id: int) -> tuple[dict, str]:
    """This expert's scores of this application: its quality, the expert's leniency and some noise, in 0.5 steps.
    criteria: (id, max_score) pairs."""
    rng = random.Random(f"{SEED}:{stage}:{application_id}:{expert_id}")
    quality = _quality(application_id)
    leniency = random.Random(f"{SEED}:expert:{expert_id}").uniform(-0.04, 0.04)
    values = {}
    for criterion_id, max_score in criteria:
        share = min(1.0, max(0.2, quality + leniency + rng.gauss(0, 0.06)))
        halves = Decimal(str(share * max_score * 2)).quantize(Decimal(1), ROUND_HALF_UP)
        values[criterion_id] = str(halves / 2)
    band = 0 if quality < 0.68 else (1 if quality < 0.82 else 2)
    return values, rng.choice(COMMENTS[band])


def _score(campaign: Campaign, stage: Stage, say) -> None:
    """Every unfinished review of the round submitted by its expert, signed in as that expert (scoring.save)."""
    review_round = rounds.round_for(campaign, stage)
    if review_round.is_closed:
        return
    todo = (db.session.query(ReviewAssignment.id, ReviewAssignment.application_id, ReviewAssignment.expert_id,
                             Expert.account_id)
            .join(Expert, Expert.id == ReviewAssignment.expert_id)
            .filter(ReviewAssignment.round_id == review_round.id,
                    ReviewAssignment.status.in_([A.ASSIGNED.value, A.DRAFT.value]))
            .order_by(ReviewAssignment.expert_id, ReviewAssignment.id).all())
    if not todo:
        say(f"{stage.label}评分：全部评审已提交，跳过")
        return
    started = time.perf_counter()
    # Read once: every save commits, which expires what the session holds.
    criteria = [(c.id, c.max_score) for c in review_round.criteria]
    accounts = {}
    # The demo is the only writer while it scores: what each save read (the expert's account and roles, the round,
    # its rubric and schedule) need not be read again after every commit. The assignment itself is always re-read
    # under its lock (scoring._locked).
    session = db.session()
    session.expire_on_commit = False
    try:
        for assignment_id, application_id, expert_id, account_id in todo:
            account = accounts.get(account_id) or accounts.setdefault(account_id, db.session.get(Account, account_id))
            values, comment = _scores(stage.value, criteria, application_id, expert_id)
            with acting_as(account):
                scoring.save(account, assignment_id, values, comment, submit=True)
    finally:
        session.expire_on_commit = True
        session.expire_all()
    say(f"{stage.label}评分：{len(accounts)} 位专家各自提交评分 {len(todo)} 份"
        f"（{time.perf_counter() - started:.1f} 秒）")


def _close(city: Account, campaign: Campaign, stage: Stage, say) -> None:
    review_round = rounds.round_for(campaign, stage)
    if review_round.is_closed:
        say(f"{stage.label}：已于 {schedule.format_time(review_round.closed_at)} 结束，跳过")
        return
    with acting_as(city):
        rounds.close(city, review_round.id)
    if review_round.ranking_job_id and not review_round.ranking_final:
        # No worker need be running for a demo: its ranking is computed here, as the worker would (idempotent).
        jobs.run(current_app._get_current_object(), review_round.ranking_job_id)
        db.session.refresh(review_round)
    say(f"{stage.label}：市学习办已结束本轮（{schedule.format_time(review_round.closed_at)}）")


def _shortlist(city: Account, campaign: Campaign, say) -> None:
    final = rounds.round_for(campaign, Stage.FINAL_REVIEW, create=False)
    moved_on = (db.session.query(func.count(Application.id))
                .filter(Application.campaign_id == campaign.id, Application.status.in_(PAST_SHORTLIST)).scalar())
    if moved_on or (final is not None and final.is_closed):
        say(f"入围复审：已有 {moved_on} 人入围，跳过")
        return
    k = shortlist_size(campaign)
    initial = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
    with acting_as(city):
        result = workflow.shortlist_top(city, initial.id, k)
    if result.refused:
        raise AdvanceError("入围复审有 %s 份被拒绝：%s" % (len(result.refused), next(iter(result.refused.values()))))
    tie = f"（含第 {k} 名并列多入围的 {result.tied_extra} 人）" if result.tied_extra else ""
    say(f"入围复审：按初审排名前 {k} 名入围 {len(result.done)} 人{tie}")


def _pick(city: Account, campaign: Campaign, action: str, say) -> None:
    what = "拟评选" if action == "candidate" else "重点宣传"
    counts = workflow.pick_counts(campaign.id)
    have = counts["candidates" if action == "candidate" else "featured"]
    if workflow.publicity_started(campaign):
        say(f"{what}：公示已开始，名单不再更改（{have} 人），跳过")
        return
    left = workflow.places_left(campaign, action)
    if left < 1:
        say(f"{what}：名额已满（{have} 人），跳过")
        return
    final = rounds.round_for(campaign, Stage.FINAL_REVIEW)
    with acting_as(city):
        result = workflow.pick_top(city, final.id, action)
        done = len(result.done)
        if result.tied and result.room > 0:  # the office's choice among the tied: here the lowest ids, with a reason
            chosen = sorted(row.application.id for row in result.tied)[:result.room]
            more, _refused = workflow.pick_many(city, chosen, action,
                                                f"第 {result.tied[0].rank} 名并列，演示按报名编号先后选入")
            done += len(more)
    if result.refused:
        raise AdvanceError(f"{what}有 {len(result.refused)} 份被拒绝：{next(iter(result.refused.values()))}")
    say(f"{what}：按复审排名选入 {done} 人（名额 {have + left}）")


def _open_publicity(campaign: Campaign, say) -> None:
    stage = Stage.PUBLICITY
    if workflow.is_approved(campaign):
        say("公示：本批次已审核确定，跳过")
        return
    if schedule.is_open(stage, campaign):
        say(f"公示：已开放（{_window_text(campaign, stage)}）")
    else:
        schedule.open_stage(campaign, stage)
        db.session.commit()
        say(f"公示：现已开始（{_window_text(campaign, stage)}）")
    counts = workflow.pick_counts(campaign.id)
    say(f"公示名单：拟评选 {counts['candidates']} 人，其中重点宣传 {counts['featured']} 人")


def _demo_objection(campaign: Campaign, spec: DemoObjection) -> Objection | None:
    return (db.session.query(Objection)
            .filter_by(campaign_id=campaign.id, objector_phone=spec.objector_phone).order_by(Objection.id).first())


def _target(campaign: Campaign, spec: DemoObjection) -> Application | None:
    """Whom the objection is about: the last 拟评选 (or 重点宣传) by the 复审 order of ids, the same on every run."""
    status = S.FEATURED.value if spec.against_featured else S.CANDIDATE.value
    return (db.session.query(Application).filter_by(campaign_id=campaign.id, status=status)
            .order_by(Application.id.desc()).first())


def _lodge(campaign: Campaign, specs, say) -> None:
    """The demo's objections lodged through objections.lodge, as the public would on /gongshi/yiyi."""
    for spec in specs:
        found = _demo_objection(campaign, spec)
        if found is not None:
            say(f"异议：{found.receipt_number}（{found.application.name}）已提出，跳过")
            continue
        refused = objections.window_refusal(campaign)
        if refused:
            say(f"异议：不能再提出演示异议（{refused}），跳过")
            return
        target = _target(campaign, spec)
        if target is None:
            say("异议：没有可提出异议的拟评选人选，跳过")
            return
        lodged = objections.lodge(campaign, target.id, spec.objector_name, spec.objector_phone, spec.objector_unit,
                                  spec.facts)
        say(f"异议：公众对「{target.name}」提出异议，回执编号 {lodged.receipt_number}（手机 {spec.objector_phone}，"
            f"可在 {BASE_URL}/gongshi/yiyi/chaxun 查询）")


def _handle_objections(city: Account, campaign: Campaign, say) -> None:
    """The city office's 受理 → 核实 → 办结 of every open objection (approve() refuses while one is open); the
    demo's 属实 one ends with the candidate withdrawn. Anyone else's (lodged by hand during the demo) is concluded
    不属实 with a plain demo text, so the demo can go on."""
    if workflow.is_approved(campaign):
        return
    scripted = {o.id: spec for spec in DEMO_OBJECTIONS if (o := _demo_objection(campaign, spec)) is not None}
    waiting = (db.session.query(Objection)
               .filter(Objection.campaign_id == campaign.id,
                       Objection.status.notin_([ObjectionStatus.CONCLUDED.value, ObjectionStatus.DISMISSED.value]))
               .order_by(Objection.id).all())
    if not waiting:
        say("异议处理：没有待办结的异议，跳过")
    for objection in waiting:
        spec = scripted.get(objection.id)
        finding = spec.finding if spec else ObjectionFinding.UNFOUNDED
        text = spec.conclusion if spec else "（演示）经向推荐单位核实，反映情况不属实，维持拟评选。"
        with acting_as(city):
            for action in ("accept", "verify", "conclude"):
                if action in objections.allowed_actions(city, objection):
                    final = action == "conclude"
                    objection = objections.perform(city, objection.id, action, finding.value if final else None,
                                                   text if final else None)
        say(f"异议处理：{objection.receipt_number}（{objection.application.name}）已办结，{finding.label}")
    for objection_id, spec in scripted.items():
        objection = db.session.get(Objection, objection_id)
        application = objection.application
        if spec.withdraw_reason is None or application.status not in (S.CANDIDATE.value, S.FEATURED.value):
            continue
        with acting_as(city):
            try:
                workflow.perform(city, application.id, "withdraw", spec.withdraw_reason)
            except WorkflowError as refused:
                raise AdvanceError(f"撤销「{application.name}」被拒绝：{refused}") from refused
        say(f"撤销：市学习办撤销「{application.name}」的拟评选（{spec.withdraw_reason}）")


def _end_publicity(campaign: Campaign, say) -> None:
    if workflow.is_approved(campaign) or workflow.publicity_ended(campaign):
        say(f"公示期：已结束（{_window_text(campaign, Stage.PUBLICITY)}），跳过")
        return
    schedule.open_stage(campaign, Stage.APPROVAL)  # 公示 then ended a second more than an hour ago
    db.session.commit()
    say(f"公示期：时间安排已调整，公示已结束（{_window_text(campaign, Stage.PUBLICITY)}）")


def decision_pdf(campaign: Campaign, document_number: str) -> bytes:
    """A one-page 审核决定 for the demo (reportlab's built-in Chinese font, nothing to install)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setTitle(f"{campaign.name}首都市民学习之星审核决定（演示）")
    page.setFont("STSong-Light", 18)
    page.drawCentredString(width / 2, height - 120, "北京市建设学习型城市工作领导小组")
    page.setFont("STSong-Light", 12)
    page.drawCentredString(width / 2, height - 150, document_number)
    lines = (f"经公示，领导小组审核确定{campaign.name}“首都市民学习之星”名单，",
             "予以表彰，并重点宣传其中 %s 名。" % campaign.featured_quota,
             "", "（演示数据，由 flask demo advance approval 生成）")
    for i, line in enumerate(lines):
        page.drawString(80, height - 210 - i * 24, line)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _approve(city: Account, campaign: Campaign, say) -> None:
    found = approval.approval_of(campaign)
    if found is not None:
        say(f"审核确定：已于 {found.decided_on.isoformat()} 录入（{found.document_number}），跳过")
        return
    year = clock.now().year
    number = f"京学习办〔{year}〕{campaign.id + 11}号"
    with acting_as(city):
        held = approval.receive_decision(io.BytesIO(decision_pdf(campaign, number)), "领导小组审核决定.pdf")
        found = approval.approve(city, campaign.id, clock.now().date(), number, held)
    say(f"审核确定：{number}，首都市民学习之星 {found.winners} 人（重点宣传 {found.featured} 人），已生成荣誉证书")


def where_to_look(target: str, password: str) -> list[str]:
    """What to open after advancing to `target`, and as whom."""
    city = f"市学习办 city / {password}"
    if target == Stage.INITIAL_REVIEW.value:
        return [f"{BASE_URL}/login/ 以专家 expert1 / {password} 登录：「我的评审」有初审任务",
                f"{BASE_URL}/review-progress/ 以{city} 登录：评审进度"]
    if target == Stage.FINAL_REVIEW.value:
        return [f"{BASE_URL}/ranking/ 以{city} 登录：初审排名与入围复审名单",
                f"{BASE_URL}/login/ 以专家 expert1 / {password} 登录：「我的评审」有复审任务"]
    if target == Stage.PUBLICITY.value:
        return [f"{BASE_URL}/gongshi 公示页（无需登录）",
                f"{BASE_URL}/candidates/ 以{city} 登录：拟评选名单",
                f"{BASE_URL}/objections/list/ 以{city} 登录：异议处理（有一件演示异议待办）"]
    return [f"{BASE_URL}/mingdan 审核确定的名单（无需登录）",
            f"{BASE_URL}/gongshi 公示页（已结束）",
            f"以{city} 登录：荣誉证书；扫描证书上的二维码核验 {BASE_URL}/zhengshu/<验证码>"]
