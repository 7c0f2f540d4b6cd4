"""Benchmark: 结束本轮 and 刷新排名 of a large 初审 (issue 11) — what the requests cost now that a background job
computes the ranking's figures, and what the job costs — against /contact/ measured in the same run.

    DATABASE_URL=postgresql+psycopg://…/bench_x .venv/bin/python bench/ranking_job.py [--repeat 5] [--reopen]

Runs against a database filled as README §"评审排名 and 评审进度 at scale" says (`flask demo generate --applications
100000 --experts 4000 --spread reported`, then `bench/review_round_data.py`), with the current campaign's 初审 open.
--reopen first reopens a 初审 closed by an earlier run (a bench's shortcut: the product never reopens a round): its
closing, figures and snapshot are removed. In-process through Flask's test client, signed in as the demo's city office;
the jobs go to a queue of their own that nobody consumes and are run here, one after the other, as the worker would
(jobs.run): their wall time and this process's CPU time are printed apart from the requests'.

In order: 评审排名 of the open round before any snapshot, 刷新排名 (the request, then its job), 评审排名 reading the
snapshot, 评审进度, 结束本轮 (the request, with the clock past the round's window; then its job), 评审排名 of the closed
round reading the final figures.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchline import emit  # noqa: E402
from list_pages import OwnRequestClient  # noqa: E402

REQUEST_GOAL_MS = 3000  # "no request runs longer than a few seconds"


def timed_get(client, path, repeat):
    client.get(path)  # warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times) * 1000


def timed_post(client, path, data=None):
    start = time.perf_counter()
    response = client.post(path, data=data or {})
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code in (200, 302), (path, response.status_code)
    return elapsed, response


def run_job(app, job_id):
    from app import jobs

    start, cpu = time.perf_counter(), time.process_time()
    state = jobs.run(app, job_id)
    assert state == "done", state
    return time.perf_counter() - start, time.process_time() - cpu


def reopen(db, review_round):
    from sqlalchemy import delete

    from app.models import RankingFigure

    db.session.execute(delete(RankingFigure).where(RankingFigure.round_id == review_round.id))
    review_round.closed_at = review_round.closed_by_id = review_round.ranked_at = review_round.ranking_job_id = None
    review_round.ranking_final = False
    db.session.commit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reopen", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL: the filled database to measure")
    import logging

    from app import clock, create_app, rounds, schedule
    from app.extensions import db
    from app.models import Stage

    logging.disable(logging.WARNING)
    queue_dir = tempfile.mkdtemp(prefix="bench-ranking-")
    app = create_app({"RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "JOBS_IMMEDIATE": False,
                      "REDIS_URL": None, "JOBS_REDIS_URL": None, "JOBS_SQLITE_PATH": f"{queue_dir}/jobs.db"})
    app.test_client_class = OwnRequestClient
    password = app.config.get("DEMO_PASSWORD") or "Demo@2026"
    with app.app_context():
        campaign = schedule.current_campaign()
        review_round = rounds.round_for(campaign, Stage.INITIAL_REVIEW, create=False)
        if review_round is None:
            sys.exit("no 初审: fill the database first (bench/review_round_data.py)")
        if args.reopen:
            reopen(db, review_round)
        if review_round.is_closed:
            sys.exit("the 初审 is closed: --reopen")
        round_id, campaign_id, window_end = review_round.id, campaign.id, campaign.window(Stage.INITIAL_REVIEW).ends_at
        db.session.remove()

        client = app.test_client()
        assert client.post("/login/", data={"username": "city", "password": password}).status_code == 302
        ranking_page = f"/ranking/?stage=initial_review&campaign={campaign_id}"
        base = timed_get(app.test_client(), "/contact/", args.repeat)
        print(f"ranking job: round {round_id}, {args.repeat} requests a page; baseline /contact/ {base:.1f} ms")

        def page(figure, path):
            value = timed_get(client, path, args.repeat)
            print(f"  {figure:<44} {value:>9.1f} ms  ×{value / base:.1f}", flush=True)
            emit(figure, round(value, 1), unit="ms", baseline=round(base, 1), goal=f"value<{REQUEST_GOAL_MS}")

        def request(figure, path):
            value, response = timed_post(client, path)
            print(f"  {figure:<44} {value:>9.1f} ms  ×{value / base:.1f}", flush=True)
            emit(figure, round(value, 1), unit="ms", baseline=round(base, 1), goal=f"value<{REQUEST_GOAL_MS}")
            return response

        def job(figure):
            db.session.expire_all()
            found = db.session.get(type(review_round), round_id)
            wall, cpu = run_job(app, found.ranking_job_id)
            print(f"  {figure:<44} {wall:>9.1f} s wall, {cpu:.1f} s CPU in this process", flush=True)
            emit(figure, round(wall, 2), unit="s")
            db.session.remove()

        page("评审排名, open round, no snapshot yet", ranking_page)
        request("刷新排名 (request)", f"/ranking/refresh?stage=initial_review&campaign={campaign_id}")
        job("刷新排名's job (figures of 100,000)")
        page("评审排名, open round, snapshot", ranking_page)
        page("评审进度", f"/review-progress/{round_id}")
        clock.freeze(window_end + timedelta(hours=1))
        try:
            request("结束本轮 (request)", f"/review-progress/{round_id}/close")
            page("评审排名, closed, final figures on their way", ranking_page)
            job("结束本轮's job (final figures)")
            page("评审排名, closed round, final figures", ranking_page)
            page("评审排名, closed round, last page", ranking_page + "&page=1000")
        finally:
            clock.freeze(None)


if __name__ == "__main__":
    main()
