"""app/ranking.py: the worked example of normalisation with a harsh and a lenient expert, computed by hand; ties,
disagreement, applications without reviews, the order by normalised score, and a bounded number of queries; the
figures stored by the background job, and on PostgreSQL that job racing a second one or a late snapshot."""
import math
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from app import ranking
from app.extensions import db
from tests import factories


@pytest.fixture
def round_():
    campaign = factories.campaign()
    return factories.review_round(campaign=campaign, stage="initial_review")


@pytest.fixture
def street(round_):
    _district, (street,) = factories.district_with_streets("东城区", ("东华门街道",))
    return street


def applicant(round_, street, name, status="reported"):
    person = factories.account("申报人", first_name=name)
    return factories.application(unit=street, applicant=person, campaign=round_.campaign, status=status, name=name)


def review(round_, application, expert, total, status="submitted"):
    """A review whose weighted total is `total`: every one of the six conditions scored total/10 out of 10."""
    value = Decimal(total) / 10
    return factories.assignment(round_, application, expert, status=status,
                                scores={c.key: value for c in round_.criteria})


def by_name(rows):
    return {row.application.name: row for row in rows}


def test_worked_example_z_puts_a_harsh_and_a_lenient_experts_favourites_level(round_, street):
    """Two panels: the harsh expert reads 甲 乙 丙 and gives 70, 60, 50; the lenient one reads 丁 戊 己 and gives 95,
    90, 85. Each ranks its three the same way, so their favourites 甲 and 丁 should stand level.

    By hand: harsh mean 60, population variance (10² + 0 + 10²) / 3 = 200/3, std = 8.1650; 甲's z = 10 / 8.1650
    = √1.5 = 1.2247 → 1.22, 乙's 0, 丙's −1.22. Lenient mean 90, variance (5² + 0 + 5²) / 3 = 50/3, std = 4.0825;
    丁's z = 5 / 4.0825 = √1.5 = 1.22 as well, 戊's 0, 己's −1.22.
    The plain mean ranks 丁 95, 戊 90, 己 85 above 甲 70: the lenient expert's worst beats the harsh one's best."""
    harsh, lenient = factories.expert(), factories.expert()
    for name, total in (("甲", 70), ("乙", 60), ("丙", 50)):
        review(round_, applicant(round_, street, name), harsh, total)
    for name, total in (("丁", 95), ("戊", 90), ("己", 85)):
        review(round_, applicant(round_, street, name), lenient, total)

    z_by_hand = 10 / math.sqrt((10**2 + 0 + 10**2) / 3)
    assert round(z_by_hand, 2) == round(5 / math.sqrt((5**2 + 0 + 5**2) / 3), 2) == 1.22

    by_mean = ranking.rank(round_, "mean")
    assert [(r.application.name, r.mean, r.rank) for r in by_mean] == [
        ("丁", Decimal("95.00"), 1), ("戊", Decimal("90.00"), 2), ("己", Decimal("85.00"), 3),
        ("甲", Decimal("70.00"), 4), ("乙", Decimal("60.00"), 5), ("丙", Decimal("50.00"), 6),
    ]
    by_z = ranking.rank(round_, "z")
    rows = by_name(by_z)
    assert rows["甲"].z == rows["丁"].z == Decimal("1.22")
    assert rows["乙"].z == rows["戊"].z == Decimal("0.00")
    assert rows["丙"].z == rows["己"].z == Decimal("-1.22")
    # Level on z: the two favourites share first place (并列), then 1, 1, 3, 3, 5, 5.
    assert [(r.rank, r.tied) for r in by_z] == [(1, True), (1, True), (3, True), (3, True), (5, True), (5, True)]
    assert {r.application.name for r in by_z[:2]} == {"甲", "丁"}
    # Both measures side by side on every row, whichever order.
    assert rows["甲"].mean == Decimal("70.00") and by_name(by_mean)["丁"].z == Decimal("1.22")


def test_ties_share_a_rank_and_the_next_rank_skips(round_, street):
    a, b, c = factories.expert(), factories.expert(), factories.expert()
    first, second, third, fourth = (applicant(round_, street, n) for n in ("一", "二", "三", "四"))
    review(round_, first, a, 90)
    review(round_, second, b, 80)
    review(round_, third, c, 80)
    review(round_, fourth, a, 70)
    rows = ranking.rank(round_, "mean")
    assert [(r.rank, r.tied) for r in rows] == [(1, False), (2, True), (2, True), (4, False)]
    assert [r.application.name for r in rows[::3]] == ["一", "四"] and {r.application.name for r in rows[1:3]} == {"二", "三"}


def test_means_equal_to_two_decimals_tie(round_, street):
    a, b, c = factories.expert(), factories.expert(), factories.expert()
    one, two = applicant(round_, street, "一"), applicant(round_, street, "二")
    review(round_, one, a, 80)   # (80 + 81) / 2 = 80.50
    review(round_, one, b, 81)
    review(round_, two, c, Decimal("80.5"))
    rows = ranking.rank(round_, "mean")
    assert [r.mean for r in rows] == [Decimal("80.50"), Decimal("80.50")]
    assert [r.rank for r in rows] == [1, 1] and all(r.tied for r in rows)


def test_spread_flags_disagreement_from_the_threshold_on(round_, street):
    assert ranking.DISAGREEMENT == 20
    experts = [factories.expert() for _ in range(2)]
    cases = {"分歧大": (90, 65), "正好二十": (85, 65), "一致": (80, 70), "独评": (75,)}
    for name, totals in cases.items():
        application = applicant(round_, street, name)
        for expert, total in zip(experts, totals):
            review(round_, application, expert, total)
    rows = by_name(ranking.rank(round_))
    assert (rows["分歧大"].spread, rows["分歧大"].disagreement) == (Decimal(25), True)
    assert (rows["正好二十"].spread, rows["正好二十"].disagreement) == (Decimal(20), True)
    assert (rows["一致"].spread, rows["一致"].disagreement) == (Decimal(10), False)
    assert (rows["独评"].spread, rows["独评"].disagreement, rows["独评"].n_reviews) == (Decimal(0), False, 1)
    assert rows["分歧大"].n_reviews == 2 and rows["分歧大"].mean == Decimal("77.50")
    assert set(rows["分歧大"].totals.values()) == {Decimal(90), Decimal(65)}


def test_only_submitted_reviews_count_and_unreviewed_applications_come_last(round_, street):
    expert, other = factories.expert(), factories.expert()
    scored = applicant(round_, street, "已评")
    drafted = applicant(round_, street, "暂存")
    applicant(round_, street, "未分配")
    review(round_, scored, expert, 60)
    review(round_, scored, other, 80, status="draft")  # saved, not submitted: does not count
    review(round_, drafted, other, 99, status="draft")
    factories.application(unit=street, campaign=round_.campaign, status="l1_rejected", name="未上报")  # not in 初审
    rows = ranking.rank(round_)
    assert [(r.application.name, r.rank, r.n_reviews) for r in rows] == [
        ("已评", 1, 1), ("暂存", None, 0), ("未分配", None, 0)]
    assert rows[0].mean == Decimal("60.00") and rows[0].z == Decimal("0.00")  # one review: z = 0
    assert rows[1].mean is None and rows[1].z is None and not rows[1].disagreement


def test_an_expert_without_spread_contributes_zero(round_, street):
    flat, varied = factories.expert(), factories.expert()
    one, two = applicant(round_, street, "一"), applicant(round_, street, "二")
    review(round_, one, flat, 80)
    review(round_, two, flat, 80)
    review(round_, one, varied, 90)
    review(round_, two, varied, 70)
    rows = by_name(ranking.rank(round_, "z"))
    # flat: z 0 and 0; varied: mean 80, std 10, z +1 and −1 → averages +0.5 and −0.5.
    assert (rows["一"].z, rows["二"].z) == (Decimal("0.50"), Decimal("-0.50"))


def test_order_by_z_differs_from_order_by_mean(round_, street):
    harsh, lenient = factories.expert(), factories.expert()
    best_of_harsh = applicant(round_, street, "严评最佳")
    review(round_, best_of_harsh, harsh, 70)
    review(round_, applicant(round_, street, "严评次之"), harsh, 50)
    review(round_, applicant(round_, street, "宽评较差"), lenient, 80)
    review(round_, applicant(round_, street, "宽评最佳"), lenient, 90)
    assert ranking.rank(round_, "mean")[-2].application.name == "严评最佳"
    by_z = ranking.rank(round_, "z")
    assert [r.application.name for r in by_z[:2]] == ["宽评最佳", "严评最佳"]  # level on z (+1), mean decides order
    assert by_z[0].rank == by_z[1].rank == 1
    with pytest.raises(ValueError):
        ranking.rank(round_, "median")


def test_the_top_k_take_every_application_tied_with_the_kth(round_, street):
    experts = [factories.expert() for _ in range(4)]
    for name, total, expert in (("一", 90, experts[0]), ("二", 80, experts[1]), ("三", 80, experts[2]),
                                ("四", 70, experts[3])):
        review(round_, applicant(round_, street, name), expert, total)
    rows = ranking.rank(round_)
    chosen, extra = ranking.top(rows, 2)
    assert {r.application.name for r in chosen} == {"一", "二", "三"} and extra == 1
    assert ranking.top(rows, 1) == (rows[:1], 0)
    assert ranking.top(rows, 9) == (rows, 0)


def test_a_few_queries_for_many_applications(app, round_, street):
    experts = [factories.expert() for _ in range(5)]
    for i in range(40):
        application = applicant(round_, street, f"申报人{i}")
        for j in range(3):
            review(round_, application, experts[(i + j) % 5], 50 + (i % 10) * 5 + j)
    db.session.expire_all()
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = ranking.rank(round_)
        names = [(r.application.name, r.application.unit.parent.name) for r in rows]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 40 and all(r.n_reviews == 3 for r in rows) and names[0][1] == "东城区"
    # The ranking, the experts' totals, and one count: whether the round is small enough to rank on request.
    assert len(statements) <= 4
    # The reason check of each pick ranks by mean from one query of tuples: the same ranks, ties included.
    assert ranking.mean_ranks(round_.id) == {r.application.id: r.rank for r in rows}
    assert len({r.rank for r in rows}) < 40  # there are ties to agree on


# --- figures computed in the database, stored at 结束本轮 ---------------------------------------------------------

def old_ranking(reviews, order):
    """The ranking as app/ranking.py computed it in Python before the figures moved into SQL (the reference):
    reviews (application_id, expert_id, Decimal total) -> [(application_id, n, mean, z, spread, rank, tied)]."""
    from decimal import ROUND_HALF_UP

    def two(value):
        return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)

    by_expert = {}
    for _a, e, t in reviews:
        by_expert.setdefault(e, []).append(float(t))
    stats = {}
    for e, values in by_expert.items():
        mean = sum(values) / len(values)
        stats[e] = (mean, math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)))
    per = {}
    for a, e, t in reviews:
        mean, std = stats[e]
        totals, zs = per.setdefault(a, ([], []))
        totals.append(t)
        zs.append((float(t) - mean) / std if std > 1e-9 else 0.0)
    rows = [(a, len(t), two(sum(t) / len(t)), two(sum(z) / len(z)), max(t) - min(t)) for a, (t, z) in per.items()]
    key = 2 if order == "mean" else 3
    other = 3 if order == "mean" else 2
    rows.sort(key=lambda r: (-r[key], -r[other], r[0]))  # the tests' names sort as their ids
    result, previous, rank_ = [], None, 0
    for position, row in enumerate(rows, start=1):
        if row[key] != previous:
            rank_, previous = position, row[key]
        result.append((*row, rank_))
    counts = {}
    for row in result:
        counts[row[5]] = counts.get(row[5], 0) + 1
    return [(*row, counts[row[5]] > 1) for row in result]


def seeded_round(round_, street, n_applications=40, n_experts=6, seed=11, unfinished="draft"):
    """Applications named in id order, each read by three experts with totals in cents (not only the factory's
    0.5 steps: means that end in half a cent, ties on both measures), one application with only an `unfinished`
    review (a draft keeps the round from closing early, a declined one does not) and one with none."""
    import random

    from app.models import ReviewAssignment

    rng = random.Random(seed)
    experts = [factories.expert() for _ in range(n_experts)]
    apps = [applicant(round_, street, f"申报人{i:03d}") for i in range(n_applications)]
    for i, application in enumerate(apps):
        for j in range(3):
            expert = experts[(i + j) % n_experts]
            row = review(round_, application, expert, 70)
            # A few level pairs; otherwise a harsh or lenient expert's spread of totals, to the cent.
            cents = 8000 + (i % 4) if i < 12 else rng.randint(4000, 9900) + (expert.id % 3) * 250
            row.total = Decimal(min(cents, 10000)) / 100
    factories.assignment(round_, applicant(round_, street, "申报人900"), experts[0], status=unfinished)
    applicant(round_, street, "申报人901")
    db.session.commit()
    reviews = db.session.query(ReviewAssignment.application_id, ReviewAssignment.expert_id, ReviewAssignment.total) \
        .filter(ReviewAssignment.round_id == round_.id, ReviewAssignment.status == "submitted").all()
    return reviews


def as_tuples(rows):
    return [(r.application.id, r.n_reviews, r.mean, r.z, r.spread, r.rank, r.tied) for r in rows if r.scored]


@pytest.mark.parametrize("order", ranking.ORDERS)
def test_the_figures_in_sql_are_the_old_python_rankings(round_, street, order):
    reviews = seeded_round(round_, street)
    rows = ranking.rank(round_, order)
    assert as_tuples(rows) == old_ranking(reviews, order)
    assert [r.application.name for r in rows if not r.scored] == ["申报人900", "申报人901"]  # 无评分, last, by name
    # Means are rounded half up to the cent in integers: (80.00 + 80.01 + …) ends in half a cent on some rows.
    assert any(r.tied for r in rows) and len({r.mean for r in rows if r.scored}) > 10


def close_round(round_):
    from app import rounds

    city = factories.account()
    return rounds.close(city, round_.id)


def test_closing_stores_the_figures_and_the_ranking_reads_them_unchanged(round_, street):
    from app.models import RankingFigure

    seeded_round(round_, street, unfinished="declined")
    live = {order: ranking.rank(round_, order) for order in ranking.ORDERS}
    assert not ranking.stored(round_)
    close_round(round_)
    assert ranking.stored(round_)
    assert db.session.query(RankingFigure).filter_by(round_id=round_.id).count() == 40
    for order in ranking.ORDERS:
        stored = ranking.rank(round_, order)
        assert as_tuples(stored) == as_tuples(live[order])
        assert [r.application.id for r in stored] == [r.application.id for r in live[order]]
        assert [r.totals for r in stored] == [r.totals for r in live[order]]
        # A page is the same slice of the whole ranking, across the boundary to the unscored rows too.
        for number in (1, 3, 5):
            rows, total = ranking.page(round_, order, number, 9)
            assert total == 42
            assert as_tuples(rows) == as_tuples(stored[(number - 1) * 9:number * 9])
            assert [r.application.id for r in rows] == [r.application.id for r in stored[(number - 1) * 9:number * 9]]
    assert ranking.mean_ranks(round_.id) == {r.application.id: r.rank for r in live["mean"] if r.scored}


def test_a_live_rounds_pages_are_slices_of_its_ranking(round_, street):
    """A small round is ranked on request a page at a time (the 评审排名 page, the REST ranking): each page is the same
    slice of the whole ranking — the scored rows by their position, across the boundary to the unscored ones by name
    — with one scored application in a state outside the round's (its reviews stay) among the scored, a
    draft review's application among the unscored, and an application of another state nowhere."""
    seeded_round(round_, street, n_applications=20, seed=5)
    gone = applicant(round_, street, "申报人500", status="l1_recommended")
    review(round_, gone, factories.expert(), 88)
    applicant(round_, street, "申报人600", status="l2_forwarded")  # never reached the round
    assert ranking.source_of(round_) == ranking.LIVE
    for order in ranking.ORDERS:
        whole = ranking.rank(round_, order, listed_only=True)
        assert "申报人500" in [r.application.name for r in whole if r.scored]
        assert [r.application.name for r in whole if not r.scored] == ["申报人900", "申报人901"]
        for number in (1, 2, 3, 4):
            rows, total = ranking.page(round_, order, number, 6)
            assert total == len(whole) == 23
            expected = whole[(number - 1) * 6:number * 6]
            assert as_tuples(rows) == as_tuples(expected)
            assert [r.application.id for r in rows] == [r.application.id for r in expected]
        assert ranking.page(round_, order, 5, 6) == ([], 23)


def test_a_closed_rounds_figures_cannot_go_stale(round_, street):
    """The stored figures come from the submitted totals, which the rules freeze at 结束本轮: reopening a review or
    scoring again is refused. What may still change, the applications' states and who reached the round, is
    read live."""
    from app import scoring, workflow
    from app.models import ReviewAssignment

    seeded_round(round_, street, unfinished="declined")
    close_round(round_)
    before = as_tuples(ranking.rank(round_, "mean"))
    submitted = db.session.query(ReviewAssignment).filter_by(round_id=round_.id, status="submitted").first()
    with pytest.raises(workflow.WorkflowError):
        scoring.reopen(factories.account(), submitted.id, "分数录错")
    with pytest.raises(workflow.WorkflowError):
        scoring.save(submitted.expert.account, submitted.id, {}, "改分", submit=True)
    db.session.expire_all()
    assert as_tuples(ranking.rank(round_, "mean")) == before
    # The stored figures are what a fresh computation from the database gives now.
    fresh = {row.application_id: tuple(row) for row in db.session.execute(
        ranking.figures(round_.id).select())}
    from app.models import RankingFigure
    kept = {f.application_id: (f.application_id, f.n_reviews, f.mean_cents, f.z_hundredths, f.spread_cents,
                               f.mean_rank, bool(f.mean_tied), f.mean_position, f.z_rank, bool(f.z_tied),
                               f.z_position)
            for f in db.session.query(RankingFigure).filter_by(round_id=round_.id)}
    assert {a: (*t[:6], bool(t[6]), t[7], t[8], bool(t[9]), t[10]) for a, t in fresh.items()} == kept

    # A state changed after the closing shows; an application reported later comes in unscored, by name.
    best = ranking.rank(round_, "mean")[0].application
    best.status = "shortlisted"
    late = applicant(round_, street, "申报人000后报")
    db.session.commit()
    rows, total = ranking.page(round_, "mean", 1, 100)
    assert total == 43 and rows[0].application.id == best.id and rows[0].application.status == "shortlisted"
    assert [r.application.name for r in rows if not r.scored] == ["申报人000后报", "申报人900", "申报人901"]
    assert late.id in {r.application.id for r in ranking.rank(round_, "z")}


@pytest.mark.parametrize("closed", [False, True])
def test_a_ranking_page_costs_the_same_statements_at_any_size(app, round_, street, closed):
    from app.models import RankingFigure

    counts = []
    for added in (12, 48):
        seeded_round(round_, street, n_applications=added, seed=added, unfinished="declined")
        if closed:  # closed again over the grown round (a test's shortcut: a closed round never reopens)
            db.session.query(RankingFigure).filter_by(round_id=round_.id).delete()
            round_.closed_at = round_.closed_by_id = round_.ranked_at = None
            round_.ranking_final = False
            db.session.commit()
            close_round(round_)
        db.session.expire_all()
        statements = []
        listener = lambda *a: statements.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            rows, _total = ranking.page(round_, "z", 1, 10)
            assert [(r.application.name, r.application.unit.full_name, r.application.status) for r in rows]
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert len(rows) == 10
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 5


# --- the figures' job: 结束本轮 and 刷新排名 of a large round ---------------------------------------------------------
# RANKING_LIVE_LIMIT 0 makes every round "large" (100,000 applications: tens of seconds to rank), so that no request
# computes its ranking (fixture large_rounds); queued_jobs holds the jobs until the test runs them (jobs.run, as the
# worker would). Both are in tests/conftest.py.


def figures_of(round_):
    from app.models import RankingFigure

    return db.session.query(RankingFigure).filter_by(round_id=round_.id).count()


def test_closing_a_large_round_is_immediate_and_its_job_stores_the_final_figures_once(
        app, round_, street, large_rounds, queued_jobs):
    from app import jobs
    from app.models import BackgroundJob

    seeded_round(round_, street, unfinished="declined")
    live = {order: as_tuples(ranking.rank(round_, order, background=True)) for order in ranking.ORDERS}
    closed = close_round(round_)
    assert closed.is_closed and ranking.source_of(closed) == ranking.COMPUTING
    # Nothing reads partial figures meanwhile: the page lists no row, the whole ranking is refused with the reason.
    assert ranking.page(closed, "mean", 1, 10) == ([], 0)
    with pytest.raises(ranking.NotReady, match="「专家初审」的排名正在计算"):
        ranking.rank(closed)
    job = db.session.get(BackgroundJob, closed.ranking_job_id)
    assert job.kind == ranking.STORE_JOB and job.state == "queued"

    assert jobs.run(app, job.id) == "done"
    db.session.expire_all()
    closed = db.session.get(type(round_), round_.id)
    assert ranking.source_of(closed) == ranking.FINAL and figures_of(closed) == 40
    assert db.session.get(BackgroundJob, job.id).result["ranked"] == 40
    for order in ranking.ORDERS:
        assert as_tuples(ranking.rank(closed, order)) == live[order]
    # A redelivered message does nothing; the same work again (a retried or second job) keeps the final figures.
    assert jobs.run(app, job.id) is None
    assert ranking.store(closed.id) is None and figures_of(closed) == 40


def test_picks_wait_for_the_final_figures_of_a_large_round(app, round_, street, large_rounds, queued_jobs):
    from app import jobs, workflow

    seeded_round(round_, street, unfinished="declined")
    closed = close_round(round_)
    city = closed.closed_by
    with pytest.raises(workflow.WorkflowError, match="排名正在计算") as refused:
        workflow.shortlist_top(city, closed.id, 3)
    assert "排名正在计算" in refused.value.errors["k"]
    first = next(r for r in ranking.rank(closed, "mean", background=True) if r.scored)
    done, refused_rows = workflow.pick_many(city, [first.application.id], "shortlist")
    assert not done and "排名正在计算" in refused_rows[first.application.id]

    jobs.run(app, closed.ranking_job_id)
    db.session.expire_all()
    result = workflow.shortlist_top(city, closed.id, 3)
    assert len(result.done) >= 3 and not result.refused


def test_an_open_large_round_is_ranked_by_a_snapshot_that_the_city_office_refreshes(app, round_, street, large_rounds):
    from app import clock, rounds, workflow

    seeded_round(round_, street)
    city = factories.account()
    assert ranking.source_of(round_) == ranking.NOT_YET and ranking.page(round_, "mean", 1, 10) == ([], 0)
    with pytest.raises(workflow.WorkflowError, match="只有市学习办"):
        rounds.refresh_ranking(factories.account("审计员"), round_.id)

    started = clock.now()
    job = rounds.refresh_ranking(city, round_.id)  # the test queue runs it at once
    assert job.state == "done" and job.result["next"].startswith("/ranking/")
    db.session.expire_all()
    round_ = db.session.get(type(round_), round_.id)
    assert ranking.source_of(round_) == ranking.SNAPSHOT and not ranking.stored(round_)
    # Stamped when the job ran (the clock may pass a second boundary while it runs).
    assert started <= round_.ranked_at <= clock.now()
    rows, total = ranking.page(round_, "mean", 1, 50)
    assert total == 42 and as_tuples(rows) == as_tuples(ranking.rank(round_, "mean", background=True))

    # A review submitted afterwards counts once the ranking is refreshed, not before.
    late = applicant(round_, street, "申报人000后报")
    review(round_, late, factories.expert(), 99.5)
    db.session.expire_all()
    assert late.id not in {r.application.id for r in ranking.page(round_, "mean", 1, 50)[0] if r.scored}
    rounds.refresh_ranking(city, round_.id)
    db.session.expire_all()
    top = ranking.page(db.session.get(type(round_), round_.id), "mean", 1, 1)[0][0]
    assert top.application.id == late.id and top.rank == 1


def test_one_refresh_at_a_time_and_none_over_final_figures(app, round_, street, large_rounds, queued_jobs):
    from app import jobs, rounds, workflow
    from app.models import BackgroundJob

    seeded_round(round_, street, unfinished="declined")
    city = factories.account()
    first = rounds.refresh_ranking(city, round_.id)
    assert rounds.refresh_ranking(city, round_.id).id == first.id  # queued: the same job, not a second one
    assert db.session.query(BackgroundJob).filter_by(kind=ranking.STORE_JOB).count() == 1

    closed = close_round(round_)
    # The snapshot's job, run only after the closing's job stored the final figures, leaves them as they are.
    assert jobs.run(app, closed.ranking_job_id) == "done"
    assert jobs.run(app, first.id) == "done"
    db.session.expire_all()
    closed = db.session.get(type(round_), round_.id)
    assert ranking.stored(closed) and figures_of(closed) == 40
    with pytest.raises(workflow.WorkflowError, match="排名为最终结果，无需刷新"):
        rounds.refresh_ranking(city, closed.id)


def test_a_failed_closing_job_can_be_run_again_by_refresh(app, round_, street, large_rounds, queued_jobs):
    from app import jobs, rounds

    seeded_round(round_, street, unfinished="declined")
    closed = close_round(round_)
    job_id = closed.ranking_job_id
    jobs._fail(job_id, "worker lost")
    db.session.expire_all()
    again = rounds.refresh_ranking(closed.closed_by, round_.id)
    assert again.id != job_id
    assert jobs.run(app, again.id) == "done"
    db.session.expire_all()
    assert ranking.stored(db.session.get(type(round_), round_.id))


# --- the figures' job racing itself: two connections at the conditional UPDATE (PostgreSQL) ------------------------
# Each job runs in a thread of its own (jobs.run: its own app context, session and connection), as on two workers.
# Where they meet is not left to timing: Meeting holds every job at ranking.store's conditional UPDATE of the round's
# row (each has read its figures and found no final ones stored), lets them through together or the one named first
# first, and keeps the one that got the row lock from going on until the other waits for that lock
# (pg_stat_activity): the moment the UPDATE's WHERE has to decide, on the row as the winner committed it.

GUARDED_UPDATE = "UPDATE review_round SET ranked_at"


class Meeting:
    """Listens on the engine while in a `with`; acts only on the guarded UPDATE of the threads named."""

    def __init__(self, names, first=None, timeout=30):
        self.names, self.first, self.timeout = set(names), first, timeout
        self.barrier = threading.Barrier(len(self.names))
        self.arrived = {name: threading.Event() for name in self.names}
        self.locked, self.mutex = threading.Event(), threading.Lock()
        self.holder = None
        self.waited = False  # the other job(s) waited for the holder's row lock

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._before)
        event.listen(db.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._before)
        event.remove(db.engine, "after_cursor_execute", self._after)

    def _mine(self, statement):
        return statement.startswith(GUARDED_UPDATE) and threading.current_thread().name in self.names

    def _before(self, _conn, _cursor, statement, *_args):
        if not self._mine(statement):
            return
        name = threading.current_thread().name
        self.arrived[name].set()
        self.barrier.wait(self.timeout)
        if self.first is not None and name != self.first and not self.locked.wait(self.timeout):
            raise AssertionError(f"{self.first} never took the round's row")

    def _after(self, _conn, _cursor, statement, *_args):
        if not self._mine(statement):
            return
        with self.mutex:
            if self.holder is not None:
                return
            self.holder = threading.current_thread().name
        self.locked.set()
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND wait_event_type = 'Lock'")
        with db.engine.connect() as watcher:
            for _ in range(int(self.timeout * 100)):  # a bound for a hung test only
                seen = watcher.execute(waiting).scalar()
                watcher.rollback()  # a fresh look each time
                if seen >= len(self.names) - 1:
                    self.waited = True
                    return
                time.sleep(0.01)
        raise AssertionError("the other jobs never waited for the round's row")


class Worker(threading.Thread):
    """jobs.run(app, job_id) in a thread named `name`, started at once."""

    def __init__(self, app, name, job_id):
        super().__init__(name=name, daemon=True)
        self.app, self.job_id, self.outcome = app, job_id, None
        self.start()

    def run(self):
        from app import jobs

        self.outcome = jobs.run(self.app, self.job_id)  # never raises: a failure is recorded on the job

    def done(self):
        self.join(60)
        assert not self.is_alive(), f"{self.name} hung"
        return self.outcome


def jobs_ranked(*job_ids):
    """Each job's state and how many applications its store() ranked (None: it found newer figures)."""
    from app.models import BackgroundJob

    db.session.expire_all()
    return [(job.state, job.error, (job.result or {}).get("ranked"))
            for job in (db.session.get(BackgroundJob, job_id) for job_id in job_ids)]


def assert_final_once(round_id, live):
    """The round's final figures are stored, once per application, and read as the live ranking at closing."""
    from app.models import RankingFigure, ReviewRound

    db.session.expire_all()
    closed = db.session.get(ReviewRound, round_id)
    assert closed.ranking_final and ranking.source_of(closed) == ranking.FINAL
    stored_ids = [a for (a,) in db.session.query(RankingFigure.application_id).filter_by(round_id=round_id)]
    assert len(stored_ids) == len(set(stored_ids)) == 40
    for order in ranking.ORDERS:
        assert as_tuples(ranking.rank(closed, order)) == live[order]
    return closed


@pytest.mark.postgres
def test_two_workers_storing_the_final_figures_at_once_store_them_once(app, round_, street, large_rounds,
                                                                       queued_jobs):
    """The closing's job and a second one for the same closed round (刷新排名 after the first was given up for
    lost while its worker still ran, or a retry) reach the UPDATE together: one stores, the other waits for the
    row, then finds final figures and leaves them; both jobs end done, nothing doubled."""
    from app import clock, jobs

    clock.freeze(clock.now())
    seeded_round(round_, street, unfinished="declined")
    live = {order: as_tuples(ranking.rank(round_, order, background=True)) for order in ranking.ORDERS}
    closed = close_round(round_)
    second = jobs.record(closed.closed_by, ranking.STORE_JOB, ranking.store_title(closed), {"round_id": closed.id})
    db.session.commit()
    job_ids = {"closing": closed.ranking_job_id, "second": second.id}

    with Meeting(job_ids) as meeting:
        workers = [Worker(app, name, job_id) for name, job_id in job_ids.items()]
        assert [w.done() for w in workers] == ["done", "done"]
    assert meeting.waited
    outcomes = jobs_ranked(*job_ids.values())
    assert [(state, error) for state, error, _ in outcomes] == [("done", None)] * 2
    # Exactly one stored: the one that got the row first; the other found final figures there.
    assert {name: ranked for name, (_, _, ranked) in zip(job_ids, outcomes)}[meeting.holder] == 40
    assert sorted(ranked is None for _, _, ranked in outcomes) == [False, True], outcomes
    assert_final_once(closed.id, live)


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["final", "snapshot"])
@pytest.mark.parametrize("snapshot_clock", [-60, 0, 5], ids=["a-minute-before", "same-second", "5s-ahead"])
def test_a_late_snapshot_racing_the_final_figures_never_replaces_them(app, round_, street, large_rounds, queued_jobs,
                                                                      first, snapshot_clock):
    """刷新排名's job read the open round and its figures; then 结束本轮, and its job reaches the UPDATE with the
    snapshot's. Whichever gets the row first, the final figures are what stays: the snapshot never writes over
    them, and the final job is not refused for a snapshot stamped later than it (its worker's clock a few seconds
    ahead: snapshot_clock, relative to the closing)."""
    from app import clock, rounds

    closing_at = clock.now()
    clock.freeze(closing_at)
    seeded_round(round_, street, unfinished="declined")
    live = {order: as_tuples(ranking.rank(round_, order, background=True)) for order in ranking.ORDERS}
    snapshot = rounds.refresh_ranking(factories.account(), round_.id)  # queued: nobody consumes the test's queue

    with Meeting({"snapshot", "final"}, first=first) as meeting:
        clock.freeze(closing_at + timedelta(seconds=snapshot_clock))
        snapshot_worker = Worker(app, "snapshot", snapshot.id)
        assert meeting.arrived["snapshot"].wait(30)  # it read the open round, its time and its figures
        clock.freeze(closing_at)
        closed = close_round(round_)
        final_worker = Worker(app, "final", closed.ranking_job_id)
        assert [snapshot_worker.done(), final_worker.done()] == ["done", "done"]
    assert meeting.waited and meeting.holder == first
    (s_state, s_error, s_ranked), (f_state, f_error, f_ranked) = jobs_ranked(snapshot.id, closed.ranking_job_id)
    assert (s_state, s_error, f_state, f_error) == ("done", None, "done", None)
    assert f_ranked == 40 and s_ranked == (40 if first == "snapshot" else None)
    closed = assert_final_once(closed.id, live)
    assert closed.ranked_at == closing_at  # the final job's time, not the snapshot's
