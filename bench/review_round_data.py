"""Fill the current campaign's 初审 with reviews at scale, for bench/list_pages.py's 评审进度 and 评审排名: every
application of the round given to --per-application experts of the round's panels (round robin, in bulk; conflicts
are not looked at: these are figures to measure, not a campaign), a --submitted share of them submitted with a
weighted total, a tenth of the rest saved as drafts. Applications that have reviews already are left as they are;
refused when the round is closed.

    DATABASE_URL=postgresql+psycopg://…/bench_x .venv/bin/python bench/review_round_data.py [--submitted 0.9]
        [--per-application 3]

Run after `flask demo generate --applications N --spread reported`; `flask campaign open-stage initial_review`
is not needed (the rows are written, not scored through the portal).
"""
import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 5000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submitted", type=float, default=0.9)
    parser.add_argument("--per-application", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL: the filled database")
    from sqlalchemy import insert, select, text

    from app import clock, ranking, rounds, schedule
    from app.extensions import db
    from app.models import Application, ExpertPanelMember, ReviewAssignment, Stage
    from app import create_app

    app = create_app()
    rng = random.Random(2027)
    with app.app_context():
        campaign = schedule.current_campaign()
        review_round = rounds.round_for(campaign, Stage.INITIAL_REVIEW)
        db.session.commit()
        if review_round.is_closed:
            sys.exit("the round is closed")
        statuses = [s.value for s in ranking.ROUND_STATUSES[review_round.stage]]
        applications = db.session.scalars(select(Application.id).where(
            Application.campaign_id == campaign.id, Application.status.in_(statuses),
            Application.id.not_in(select(ReviewAssignment.application_id).where(
                ReviewAssignment.round_id == review_round.id))).order_by(Application.id)).all()
        experts = db.session.scalars(select(ExpertPanelMember.expert_id).where(
            ExpertPanelMember.round_id == review_round.id).order_by(ExpertPanelMember.expert_id)).all()
        now = clock.now()
        rows, written, k = [], 0, args.per_application
        for i, application_id in enumerate(applications):
            quality = rng.uniform(55, 95)
            for j in range(k):
                expert_id = experts[(i * k + j) % len(experts)]
                row = dict(round_id=review_round.id, campaign_id=campaign.id, application_id=application_id,
                           expert_id=expert_id, status="assigned", assigned_at=now, updated_at=now)
                draw = rng.random()
                if draw < args.submitted:
                    total = round(min(100.0, max(0.0, quality + rng.gauss(0, 6) + (expert_id % 9 - 4))), 2)
                    row.update(status="submitted", total=total, submitted_at=now, comment="学以致用，成效明显。")
                elif draw < args.submitted + (1 - args.submitted) / 10:
                    row.update(status="draft")
                rows.append(row)
            if len(rows) >= BATCH:
                db.session.execute(insert(ReviewAssignment), rows)
                written += len(rows)
                rows = []
        if rows:
            db.session.execute(insert(ReviewAssignment), rows)
            written += len(rows)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # Fresh statistics before anything is measured: with the planner's estimates from before the bulk insert,
            # the open round's ranking ran for more than 19 minutes instead of 2-4 s (seen 2026-11-30).
            db.session.execute(text("ANALYZE review_assignment"))
            db.session.commit()
        print(f"初审 (round {review_round.id}): {written:,} reviews of {len(applications):,} applications by "
              f"{len(experts):,} experts, {args.submitted:.0%} submitted")


if __name__ == "__main__":
    main()
