"""评审排名: the ranking of one review round (初审 or 复审) from the experts' submitted reviews (R-EXP-3).

Per application: how many submitted reviews, the mean of their weighted totals (0..100), a normalised score — the
mean of each review's z-score within its expert's own reviews of the round, so that a harsh and a lenient expert
weigh alike — and the spread between its highest and lowest total, flagged as 分歧 from DISAGREEMENT points on.
Ranks are competition ranks (1, 2, 2, 4) on the chosen order; values equal to two decimals share a rank (并列).
Applications of the round without a submitted review come last, unranked (无评分).

Two queries whatever the size of the round: the submitted totals, and the round's applications with their units.
The city office's picks from these rankings (入围复审, 拟评选, 重点宣传) are transitions of app/workflow.py.
"""
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, load_only

from app.extensions import db
from app.models import Application, ApplicationStatus, ReviewAssignment, ReviewRound, Unit
from app.models.review import AssignmentStatus

S = ApplicationStatus

# A spread of this many points (on the 0..100 weighted total) or more between an application's highest and lowest
# review flags it as 分歧: the experts disagree enough that the office should read the reviews before it picks.
DISAGREEMENT = Decimal(20)

ORDERS = ("mean", "z")

# Which applications belong to a round besides those with reviews in it: what reached it and what came of it.
ROUND_STATUSES = {
    "initial_review": (S.REPORTED, S.SHORTLISTED, S.CANDIDATE, S.FEATURED),
    "final_review": (S.SHORTLISTED, S.CANDIDATE, S.FEATURED),
}
TWO_PLACES = Decimal("0.01")


@dataclass
class RankedRow:
    """One application in a round's ranking. mean/z/spread/rank are None when it has no submitted review."""

    application: Application
    n_reviews: int = 0
    mean: Decimal | None = None
    z: Decimal | None = None
    spread: Decimal | None = None
    rank: int | None = None
    tied: bool = False  # shares its rank with another application (并列)
    totals: dict = field(default_factory=dict)  # expert_id -> that expert's weighted total

    @property
    def scored(self) -> bool:
        return self.n_reviews > 0

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread >= DISAGREEMENT

    def value(self, order: str) -> Decimal | None:
        return self.mean if order == "mean" else self.z


def _two_places(value) -> Decimal:
    return Decimal(value).quantize(TWO_PLACES, ROUND_HALF_UP)


def expert_z_scores(reviews) -> dict[tuple[int, int], float]:
    """(application_id, expert_id) -> z of that review within its expert's reviews of the round.

    reviews: (application_id, expert_id, total) of every submitted review. z = (total - the expert's mean) / the
    expert's population standard deviation; an expert with one review or no spread contributes 0."""
    by_expert: dict[int, list[float]] = {}
    for _app, expert_id, total in reviews:
        by_expert.setdefault(expert_id, []).append(float(total))
    stats = {}
    for expert_id, values in by_expert.items():
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        stats[expert_id] = (mean, std)
    result = {}
    for application_id, expert_id, total in reviews:
        mean, std = stats[expert_id]
        result[(application_id, expert_id)] = (float(total) - mean) / std if std > 1e-9 else 0.0
    return result


def assign_ranks(rows: list[RankedRow], order: str = "mean") -> list[RankedRow]:
    """Sort rows best first by `order` and give competition ranks; rows without reviews last, unranked."""
    if order not in ORDERS:
        raise ValueError(f"unknown order: {order}")
    other = "z" if order == "mean" else "mean"
    scored = [r for r in rows if r.scored]
    unscored = [r for r in rows if not r.scored]
    # Within a tie, the other measure and then the name only decide where a row is printed, not its rank.
    scored.sort(key=lambda r: (-r.value(order), -r.value(other), r.application.name or "", r.application.id))
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        key = _two_places(row.value(order))
        if key != previous:
            rank, previous = position, key
        row.rank = rank
    counts: dict[int, int] = {}
    for row in scored:
        counts[row.rank] = counts.get(row.rank, 0) + 1
    for row in scored:
        row.tied = counts[row.rank] > 1
    for row in unscored:
        row.rank, row.tied = None, False
    unscored.sort(key=lambda r: (r.application.name or "", r.application.id))
    return scored + unscored


def rank(review_round: ReviewRound, order: str = "mean", listed_only: bool = False) -> list[RankedRow]:
    """The round's ranking, best first; see the module's docstring. listed_only: each application with only what
    the ranking page shows (name, status, unit), not its deeds and personal data — at 100,000 applications of a
    round, most of the page's time was reading those."""
    reviews = db.session.execute(
        select(ReviewAssignment.application_id, ReviewAssignment.expert_id, ReviewAssignment.total)
        .where(ReviewAssignment.round_id == review_round.id,
               ReviewAssignment.status == AssignmentStatus.SUBMITTED.value,
               ReviewAssignment.total.isnot(None))
        .order_by(ReviewAssignment.application_id, ReviewAssignment.expert_id)
    ).all()
    statuses = [s.value for s in ROUND_STATUSES[review_round.stage]]
    reviewed = {application_id for application_id, _e, _t in reviews}
    applications = db.session.scalars(
        select(Application)
        .where(Application.campaign_id == review_round.campaign_id,
               or_(Application.status.in_(statuses),
                   Application.id.in_(
                       select(ReviewAssignment.application_id).where(
                           ReviewAssignment.round_id == review_round.id,
                           ReviewAssignment.status == AssignmentStatus.SUBMITTED.value))))
        .options(joinedload(Application.unit).joinedload(Unit.parent),
                 *([load_only(Application.id, Application.campaign_id, Application.name, Application.status,
                              Application.unit_id)] if listed_only else []))
    ).unique().all()
    rows = {a.id: RankedRow(a) for a in applications}
    z_of = expert_z_scores(reviews)
    zs: dict[int, list[float]] = {}
    for application_id, expert_id, total in reviews:
        row = rows.get(application_id)
        if row is None:  # cannot happen (every reviewed application is selected): never lose a review silently
            continue
        row.totals[expert_id] = Decimal(total)
        zs.setdefault(application_id, []).append(z_of[(application_id, expert_id)])
    for application_id in reviewed:
        row = rows[application_id]
        totals = list(row.totals.values())
        row.n_reviews = len(totals)
        row.mean = _two_places(sum(totals) / len(totals))
        row.z = _two_places(sum(zs[application_id]) / len(zs[application_id]))
        row.spread = max(totals) - min(totals)
    return assign_ranks(list(rows.values()), order)


def mean_ranks(round_id: int) -> dict[int, int]:
    """application_id -> its rank by mean in the round, for every application with a submitted review: the ranks
    rank(round, "mean") shows, from one query of plain tuples (what each pick's reason check needs, fast)."""
    totals: dict[int, list[Decimal]] = {}
    for application_id, total in db.session.execute(
        select(ReviewAssignment.application_id, ReviewAssignment.total)
        .where(ReviewAssignment.round_id == round_id,
               ReviewAssignment.status == AssignmentStatus.SUBMITTED.value,
               ReviewAssignment.total.isnot(None))
    ):
        totals.setdefault(application_id, []).append(Decimal(total))
    means = sorted(((_two_places(sum(v) / len(v)), a) for a, v in totals.items()), reverse=True)
    result, previous, current = {}, None, 0
    for position, (mean, application_id) in enumerate(means, start=1):
        if mean != previous:
            current, previous = position, mean
        result[application_id] = current
    return result


def top(rows: list[RankedRow], k: int) -> tuple[list[RankedRow], int]:
    """The first k ranked rows, and every row tied with the k-th; returns (rows, how many beyond k the tie adds)."""
    scored = [r for r in rows if r.scored]
    if k <= 0 or not scored:
        return [], 0
    if k >= len(scored):
        return scored, 0
    boundary = scored[k - 1].rank
    chosen = [r for r in scored if r.rank <= boundary]
    return chosen, len(chosen) - k


def experts_of(rows: list[RankedRow]) -> list:
    """The experts whose totals the rows hold (one column each in the export), by name."""
    from app.models import Expert

    ids = {expert_id for row in rows for expert_id in row.totals}
    if not ids:
        return []
    experts = db.session.scalars(select(Expert).where(Expert.id.in_(ids)).options(joinedload(Expert.account))).all()
    return sorted(experts, key=lambda e: (e.name, e.id))


@dataclass
class Candidate:
    """One application of the 拟评选 list: featured or not, its 复审 result, and the reasons recorded for the picks."""

    application: Application
    featured: bool
    rank: int | None
    mean: Decimal | None
    z: Decimal | None
    candidate_reason: str | None = None
    feature_reason: str | None = None
    candidate_by: str | None = None
    candidate_at: object = None


def candidates(campaign) -> list[Candidate]:
    """拟评选名单 of the campaign: featured first, then by 复审 rank (unranked last)."""
    from app import rounds
    from app.models import ApplicationEvent, Stage

    final = rounds.round_for(campaign, Stage.FINAL_REVIEW, create=False)
    by_id = {row.application.id: row for row in rank(final)} if final is not None else {}
    picked = db.session.scalars(
        select(Application)
        .where(Application.campaign_id == campaign.id,
               Application.status.in_([S.CANDIDATE.value, S.FEATURED.value]))
        .options(joinedload(Application.unit).joinedload(Unit.parent))
    ).unique().all()
    # The latest opinion of each pick (a later 取消 and re-pick replaces the earlier one).
    events = db.session.execute(
        select(ApplicationEvent.application_id, ApplicationEvent.action, ApplicationEvent.opinion,
               ApplicationEvent.actor_name, ApplicationEvent.at)
        .where(ApplicationEvent.application_id.in_([a.id for a in picked]),
               ApplicationEvent.action.in_(("candidate", "feature")))
        .order_by(ApplicationEvent.id)
    ).all() if picked else []
    latest = {(application_id, action): (opinion, who, at) for application_id, action, opinion, who, at in events}
    result = []
    for application in picked:
        row = by_id.get(application.id)
        candidate = latest.get((application.id, "candidate"), (None, None, None))
        result.append(Candidate(
            application, application.status == S.FEATURED.value,
            row.rank if row else None, row.mean if row else None, row.z if row else None,
            candidate_reason=candidate[0], feature_reason=latest.get((application.id, "feature"), (None,))[0],
            candidate_by=candidate[1], candidate_at=candidate[2],
        ))
    result.sort(key=lambda c: (not c.featured, c.rank is None, c.rank or 0, c.application.name or ""))
    return result
