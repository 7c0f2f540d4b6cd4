"""评审排名: the ranking of one review round (初审 or 复审) from the experts' submitted reviews (R-EXP-3).

Per application: how many submitted reviews, the mean of their weighted totals (0..100), a normalised score — the
mean of each review's z-score within its expert's own reviews of the round, so that a harsh and a lenient expert
weigh alike — and the spread between its highest and lowest total, flagged as 分歧 from DISAGREEMENT points on.
Ranks are competition ranks (1, 2, 2, 4) on the chosen order; values equal to two decimals share a rank (并列).
Applications of the round without a submitted review come last, unranked (无评分).

Computed in the database (figures() below) whatever the size of the round. A small round (RANKING_LIVE_LIMIT
submitted reviews) is ranked on every request. A large one takes tens of seconds, so a background job (STORE_JOB)
computes and stores its figures (RankingFigure): 结束本轮 starts it for the final figures, 刷新排名 for a snapshot of
an open round (排名截至 HH:MM); the page reads one page of stored rows by index. Until a large closed round's final
figures are stored nothing that needs them (前 K 名入围, the picks, the exports) acts: NotReady says why.
The city office's picks from these rankings (入围复审, 拟评选, 重点宣传) are transitions of app/workflow.py.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import BigInteger, Float, and_, case, cast, delete, false, func, insert, literal, or_, select, update
from sqlalchemy.orm import joinedload, load_only

from app import clock, jobs, scoping
from app.extensions import db
from app.models import Application, ApplicationStatus, JobState, RankingFigure, ReviewAssignment, ReviewRound, Unit
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


# --- the figures, in SQL --------------------------------------------------------------------------------------
#
# Exact where the old Python computation was exact: a total is read as whole cents, a mean is its sum over n rounded
# half up in integers, a spread is max - min. The z-score of a review is (n·t − S) / √(n·Q − S²) over its expert's
# n reviews (S their sum, Q the sum of squares, all in cents: integers until the one division), which is
# (t − mean) / population std; an expert with no spread contributes 0. An application's z is the mean of its
# reviews' z, rounded half away from zero to hundredths (as Decimal's ROUND_HALF_UP). Window functions: SQLite ≥ 3.25
# and PostgreSQL both have them.

def _cents(value):
    return cast(func.round(value * 100), BigInteger)


def _half_up_hundredths(value):
    """A float rounded half away from zero to an integer number of hundredths."""
    return cast(case((value >= 0, func.floor(value * 100 + 0.5)), else_=-func.floor(-value * 100 + 0.5)),
                BigInteger)


def _name_order():
    """Names in code-point order (Python's str order, as the ranking always sorted them), whatever the collation."""
    if db.engine.dialect.name == "postgresql":
        return Application.name.collate("C")
    return Application.name


def _submitted(round_id: int):
    return (ReviewAssignment.round_id == round_id, ReviewAssignment.status == AssignmentStatus.SUBMITTED.value,
            ReviewAssignment.total.isnot(None))


def figures(round_id: int):
    """Subquery: per application with a submitted review in the round, n_reviews, mean_cents, z_hundredths,
    spread_cents, and for each order its competition rank, whether shared, and its printed position."""
    reviews = (select(ReviewAssignment.application_id, ReviewAssignment.expert_id,
                      _cents(ReviewAssignment.total).label("c"))
               .where(*_submitted(round_id)).subquery("reviews"))
    experts = (select(reviews.c.expert_id, func.count().label("n"),
                      cast(func.sum(reviews.c.c), BigInteger).label("s"),
                      cast(func.sum(reviews.c.c * reviews.c.c), BigInteger).label("q"))
               .group_by(reviews.c.expert_id).subquery("experts"))
    per = (select(reviews.c.application_id, reviews.c.c, experts.c.n, experts.c.s, experts.c.q)
           .join(experts, experts.c.expert_id == reviews.c.expert_id).subquery("per"))
    variance = per.c.n * per.c.q - per.c.s * per.c.s  # n² × the population variance, in cents²: exact
    z = case((variance > 0, cast(per.c.n * per.c.c - per.c.s, Float) / func.sqrt(cast(variance, Float))),
             else_=literal(0.0, Float))
    n = func.count()
    total = cast(func.sum(per.c.c), BigInteger)
    per_application = select(
        per.c.application_id,
        n.label("n_reviews"),
        ((2 * total + n) // (2 * n)).label("mean_cents"),
        _half_up_hundredths(func.avg(z)).label("z_hundredths"),
        (func.max(per.c.c) - func.min(per.c.c)).label("spread_cents"),
    ).group_by(per.c.application_id).subquery("per_application")
    f = per_application.c
    name = _name_order()
    return (
        select(
            f.application_id, f.n_reviews, f.mean_cents, f.z_hundredths, f.spread_cents,
            func.rank().over(order_by=f.mean_cents.desc()).label("mean_rank"),
            (func.count().over(partition_by=f.mean_cents) > 1).label("mean_tied"),
            func.row_number().over(order_by=(f.mean_cents.desc(), f.z_hundredths.desc(), name, f.application_id))
            .label("mean_position"),
            func.rank().over(order_by=f.z_hundredths.desc()).label("z_rank"),
            (func.count().over(partition_by=f.z_hundredths) > 1).label("z_tied"),
            func.row_number().over(order_by=(f.z_hundredths.desc(), f.mean_cents.desc(), name, f.application_id))
            .label("z_position"),
        )
        .join(Application, Application.id == f.application_id)
        .subquery("figures")
    )


# --- where a round's figures come from: stored, or computed now --------------------------------------------------

# Up to this many submitted reviews a round is ranked on request (well under a second); beyond, from stored figures.
LIVE_LIMIT = 10_000

FINAL, LIVE, SNAPSHOT, COMPUTING, NOT_YET = "final", "live", "snapshot", "computing", "not_yet"


class NotReady(Exception):
    """The figures a pick or an export needs are not stored yet; str() says so in Chinese."""


def submitted_count(review_round: ReviewRound) -> int:
    return db.session.scalar(select(func.count()).select_from(ReviewAssignment).where(*_submitted(review_round.id)))


def source_of(review_round: ReviewRound) -> str:
    """FINAL: the figures stored once the round was closed. LIVE: a small round, computed on request (exact: an
    open round's latest, a closed round's final totals). SNAPSHOT: an open round's figures as of ranked_at.
    COMPUTING: a large closed round whose final figures are not stored yet (the job is running, or has to be
    started again). NOT_YET: a large open round never ranked."""
    if review_round.ranking_final:
        return FINAL
    limit = current_app.config.get("RANKING_LIVE_LIMIT")
    if submitted_count(review_round) <= (LIVE_LIMIT if limit is None else limit):
        return LIVE
    if review_round.is_closed:
        return COMPUTING
    return SNAPSHOT if review_round.ranked_at is not None else NOT_YET


def stored(review_round: ReviewRound) -> bool:
    """The round's final figures are stored (read from RankingFigure by every reader)."""
    return bool(review_round.ranking_final)


def not_ready_message(review_round: ReviewRound) -> str:
    if review_round.is_closed:
        return _("「%(round)s」的排名正在计算，完成后才能按排名入围或选择；请稍后再试", round=review_round.stage_label)
    return _("「%(round)s」尚未计算排名：请先点「刷新排名」", round=review_round.stage_label)


def _source(review_round: ReviewRound, how: str | None = None, background: bool = False):
    """The round's figures as a subquery: stored (final, or an open round's snapshot) or computed now. NotReady
    when neither may be read in a request; a background job computes them (exact, only slow) instead."""
    how = how or source_of(review_round)
    if how in (FINAL, SNAPSHOT) and not (background and how == SNAPSHOT):
        return select(RankingFigure).where(RankingFigure.round_id == review_round.id).subquery("figures")
    if how == LIVE or background:
        return figures(review_round.id)
    raise NotReady(not_ready_message(review_round))


# --- storing the figures: the background job of 结束本轮 and 刷新排名 --------------------------------------------

STORE_JOB = "ranking.store"
STORE_BATCH = 5000


def store_title(review_round: ReviewRound) -> str:
    return _("计算排名（%(campaign)s · %(round)s）", campaign=review_round.campaign.name,
             round=review_round.stage_label)


def job_running(review_round: ReviewRound) -> bool:
    job = review_round.ranking_job
    return job is not None and job.state in (JobState.QUEUED.value, JobState.RUNNING.value)


def store(round_id: int, progress=None) -> int | None:
    """Compute the round's figures and keep them: final when the round was closed before they were read (no total
    can change any more), else a snapshot as of now. Several workers, a retried job, a second 结束本轮's job: the
    write starts with one conditional UPDATE of the round's row, which takes its lock (PostgreSQL's row lock,
    SQLite's write lock) and lets through final figures, or a snapshot not older than the one stored, never anything
    over final ones. Returns how many applications are ranked, or None when newer figures were there already.
    Commits."""
    review_round = db.session.get(ReviewRound, round_id)
    if review_round is None or review_round.ranking_final:
        db.session.rollback()
        return None
    # Read before the figures: if the round is closed now, every total they read is final.
    final, as_of = review_round.is_closed, clock.now()
    live = figures(round_id)
    columns = [c.name for c in live.c]
    total = db.session.scalar(select(func.count(func.distinct(ReviewAssignment.application_id)))
                              .where(*_submitted(round_id))) or 0
    report = progress or (lambda done, total=None, force=False: None)
    report(0, 2 * total, force=True)
    # Read whole (the window functions rank every row before the first one comes): no progress while a statement
    # is open, since on SQLite the progress' own connection could not commit past its read lock.
    rows = [dict(zip(columns, row), round_id=round_id)
            for row in db.session.execute(select(*[live.c[c] for c in columns]))]
    report(len(rows), force=True)
    # The reading transaction ends here: SQLite could not turn it into the writing one if another wrote meanwhile.
    db.session.commit()
    # Final figures replace any snapshot, whatever its time: one stamped later (its worker's clock ahead, or that
    # worker slowed between reading the round and the clock) must not leave the closed round without them.
    not_older = () if final else (or_(ReviewRound.ranked_at.is_(None), ReviewRound.ranked_at <= as_of),)
    newer = db.session.execute(
        update(ReviewRound)
        .where(ReviewRound.id == round_id, ReviewRound.ranking_final == false(), *not_older)
        .values(ranked_at=as_of, ranking_final=final)
        .execution_options(synchronize_session=False))
    if newer.rowcount != 1:
        db.session.rollback()
        return None
    db.session.execute(delete(RankingFigure).where(RankingFigure.round_id == round_id))
    for start in range(0, len(rows), STORE_BATCH):
        db.session.execute(insert(RankingFigure), rows[start:start + STORE_BATCH])
        if db.engine.dialect.name == "postgresql":  # SQLite: the progress' own connection would wait for this one
            report(len(rows) + min(len(rows), start + STORE_BATCH))
    db.session.commit()
    return len(rows)


@jobs.handler(STORE_JOB)
def store_job(work: jobs.Work) -> jobs.Outcome:
    """params: round_id. Run as the city office account that closed the round or asked for 刷新排名."""
    review_round = db.session.get(ReviewRound, work.params["round_id"])
    if review_round is None or not scoping.is_city_office(work.owner):
        raise jobs.JobFailed(_("该轮评审已不存在。"))
    stage, campaign_id = review_round.stage, review_round.campaign_id
    ranked = store(review_round.id, work.progress)
    return jobs.Outcome(result={"ranked": ranked,
                                "next": url_for("RankingView.list", stage=stage, campaign=campaign_id)})


def _in_round_statuses(review_round: ReviewRound):
    return Application.status.in_([s.value for s in ROUND_STATUSES[review_round.stage]])


def _in_round(review_round: ReviewRound, figure):
    """What reached the round, and whatever has a submitted review in it."""
    return and_(Application.campaign_id == review_round.campaign_id,
                or_(_in_round_statuses(review_round), figure.c.application_id.isnot(None)))


def _rows(review_round: ReviewRound, order: str, listed_only: bool, background: bool = False) -> list[RankedRow]:
    """The whole ranking in one statement (rank()); a page is read by page() instead."""
    if order not in ORDERS:
        raise ValueError(f"unknown order: {order}")
    f = _source(review_round, background=background)
    position = f.c[f"{order}_position"]
    query = (
        select(Application, f.c.n_reviews, f.c.mean_cents, f.c.z_hundredths, f.c.spread_cents,
               f.c[f"{order}_rank"], f.c[f"{order}_tied"])
        .outerjoin(f, f.c.application_id == Application.id)
        .where(_in_round(review_round, f))
        # Ranked rows by their position; then those without a submitted review (无评分) by name.
        .order_by(position.is_(None), position, _name_order(), Application.id)
        .options(joinedload(Application.unit).joinedload(Unit.parent),
                 *(_listed() if listed_only else []))
    )
    rows = []
    for application, n_reviews, mean, z, spread, rank_, tied in db.session.execute(query).unique():
        if n_reviews:
            rows.append(RankedRow(application, n_reviews, Decimal(mean).scaleb(-2), Decimal(z).scaleb(-2),
                                  Decimal(spread).scaleb(-2), rank_, bool(tied)))
        else:
            rows.append(RankedRow(application))
    return rows


def _with_totals(review_round: ReviewRound, rows: list[RankedRow], some: bool = False) -> list[RankedRow]:
    """Each scored row's totals per expert, from one query: of the whole round, or (some) of these rows only."""
    by_id = {row.application.id: row for row in rows if row.scored}
    if not by_id:
        return rows
    query = (select(ReviewAssignment.application_id, ReviewAssignment.expert_id, ReviewAssignment.total)
             .where(*_submitted(review_round.id))
             .order_by(ReviewAssignment.application_id, ReviewAssignment.expert_id))
    if some:
        query = query.where(ReviewAssignment.application_id.in_(list(by_id)))
    for application_id, expert_id, total in db.session.execute(query):
        row = by_id.get(application_id)
        if row is not None:
            row.totals[expert_id] = Decimal(total)
    return rows


def rank(review_round: ReviewRound, order: str = "mean", listed_only: bool = False,
         background: bool = False) -> list[RankedRow]:
    """The round's whole ranking, best first; see the module's docstring. listed_only: each application with only
    what the ranking page shows (name, status, unit), and no expert's totals. Two queries, three with the totals.
    NotReady for a large round without stored figures, unless in a background job (background: computed now)."""
    rows = _rows(review_round, order, listed_only, background=background)
    return rows if listed_only else _with_totals(review_round, rows)


def with_totals(review_round: ReviewRound, rows: list[RankedRow]) -> list[RankedRow]:
    """rows (a page of the ranking) with each scored one's totals per expert: one query of these rows' reviews."""
    return _with_totals(review_round, rows, some=True)


def page(review_round: ReviewRound, order: str, number: int, size: int,
         how: str | None = None) -> tuple[list[RankedRow], int]:
    """Page `number` (from 1) of `size` rows of the ranking, as rank(listed_only=True) would list them, and how many
    rows the whole ranking has. Stored rows (final or a snapshot) are read by the index of their positions, a small
    round's from its figures computed now, then the unscored by name (_page_rows): four queries, none of which reads
    more than the round's figures, the page and the counts. No rows while the figures are not ready."""
    if order not in ORDERS:
        raise ValueError(f"unknown order: {order}")
    offset = (number - 1) * size
    how = how or source_of(review_round)
    if how in (COMPUTING, NOT_YET):
        return [], 0
    if how == LIVE:
        return _live_page(review_round, order, offset, size)
    figure = RankingFigure
    scored = db.session.scalar(select(func.count()).where(figure.round_id == review_round.id))
    # Final figures: no review is submitted or reopened after the closing, so no figure means no submitted review.
    # A snapshot lists what had none when it was taken likewise (无评分 as of ranked_at).
    unscored_where = (Application.campaign_id == review_round.campaign_id, _in_round_statuses(review_round),
                      ~select(figure.application_id).where(figure.round_id == review_round.id,
                                                           figure.application_id == Application.id).exists())
    unscored = db.session.scalar(select(func.count(Application.id)).where(*unscored_where))
    stored = select(RankingFigure).where(RankingFigure.round_id == review_round.id).subquery("figures")
    return _page_rows(stored, scored, unscored_where, unscored, order, offset, size), scored + unscored


def _live_page(review_round: ReviewRound, order: str, offset: int, size: int) -> tuple[list[RankedRow], int]:
    """page() of a small round, its figures computed now, read as the stored ones are: the scored rows by their
    position, then those without a submitted review by name. One statement over the round (`_rows`) asked for the
    round's states OR a figure, which kept PostgreSQL from the (campaign_id, status) index: it read the whole campaign
    (100,000 rows) for a round of 18,000."""
    scored = db.session.scalar(select(func.count(func.distinct(ReviewAssignment.application_id)))
                               .where(*_submitted(review_round.id)))
    unscored_where = (Application.campaign_id == review_round.campaign_id, _in_round_statuses(review_round),
                      ~select(ReviewAssignment.id).where(*_submitted(review_round.id),
                                                         ReviewAssignment.application_id == Application.id).exists())
    unscored = db.session.scalar(select(func.count(Application.id)).where(*unscored_where))
    rows = _page_rows(figures(review_round.id), scored, unscored_where, unscored, order, offset, size)
    return rows, scored + unscored


def _page_rows(f, scored: int, unscored_where, unscored: int, order: str, offset: int,
               size: int) -> list[RankedRow]:
    """The rows of a page from `offset`: the `scored` applications with figures in f (stored or computed now) by
    their position, then the `unscored` ones of unscored_where by name."""
    rows = []
    if offset < scored:
        query = (
            select(Application, f.c.n_reviews, f.c.mean_cents, f.c.z_hundredths, f.c.spread_cents,
                   f.c[f"{order}_rank"], f.c[f"{order}_tied"])
            .join(f, f.c.application_id == Application.id)
            .order_by(f.c[f"{order}_position"]).offset(offset).limit(size)
            .options(joinedload(Application.unit).joinedload(Unit.parent), *_listed())
        )
        for application, n_reviews, mean, z, spread, rank_, tied in db.session.execute(query).unique():
            rows.append(RankedRow(application, n_reviews, Decimal(mean).scaleb(-2), Decimal(z).scaleb(-2),
                                  Decimal(spread).scaleb(-2), rank_, bool(tied)))
    if len(rows) < size and unscored:
        rows += [RankedRow(a) for a in db.session.scalars(
            select(Application).where(*unscored_where)
            .order_by(_name_order(), Application.id).offset(max(0, offset - scored)).limit(size - len(rows))
            .options(joinedload(Application.unit).joinedload(Unit.parent), *_listed())
        ).unique()]
    return rows


def _listed():
    return [load_only(Application.id, Application.campaign_id, Application.name, Application.status,
                      Application.unit_id)]


def mean_ranks(round_id: int) -> dict[int, int]:
    """application_id -> its rank by mean in the round, for every application with a submitted review: the ranks
    rank(round, "mean") shows, from one query of plain tuples (what each pick's reason check needs, fast)."""
    review_round = db.session.get(ReviewRound, round_id)
    f = _source(review_round)
    return dict(db.session.execute(select(f.c.application_id, f.c.mean_rank)).all())


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
    try:
        by_id = {row.application.id: row for row in rank(final)} if final is not None else {}
    except NotReady:  # a large 复审 just closed: its figures are on their way; the picks wait for them
        by_id = {}
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
