#!/usr/bin/env python
"""Benchmark: 自动分配 (app/assignment.py's assign_round) of 3,000 applications × 3 experts out of 60, with conflicts.

    .venv/bin/python bench/assign.py [--applications 3000] [--experts 60] [--per-application 3] [--seed 1]

Builds a temporary SQLite database through the app factory and the real migrations (removed at the end): 16
first-level units with 5 second-level units each, the applications reported by them (random street, work units
drawn from a list that some experts' employers match), one round with one panel of all the experts, and conflicts
of every kind: a third of the experts work at a first- or second-level unit (employer_unit), some have the same
employer as applicants (normalised names), and every expert declared a conflict with a unit or an application.
Then it times the real `assign_round(city_office, round_id)` — loading, conflicts, the OR-Tools min-cost flow,
writing ~9,000 rows, the audit and the inbox messages, one transaction — and, inside it, the solver alone. As a
baseline in the same run it times a trivial pass over the same eligibility lists (each application takes the N
least-loaded eligible experts in turn, greedily: no balance guarantee, no churn minimisation) and shows its spread.
A second `assign_round` on the unchanged round shows the cost of a re-run that changes nothing.

The last line is: assign: <applications> applications, <experts> experts, <seconds> s, conflicts=<n>, spread=<s>
where seconds is the first assign_round, n the (expert, application) pairs excluded by a conflict, and spread the
largest minus the smallest load.
"""
import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchline import emit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK_UNITS = [f"北京市第{i}中学" for i in range(1, 41)] + [f"首都第{i}医院" for i in range(1, 21)] + \
    [f"{d}社区学院" for d in ("东城", "西城", "朝阳", "海淀", "丰台")]


def build(args, db):
    from sqlalchemy import insert

    from app import clock, roles
    from app.models import Account, Application, Campaign, Unit
    from app.models.review import Expert, ExpertConflict, ExpertPanel, ExpertPanelMember
    from app.rounds import round_for

    rng = random.Random(args.seed)
    now = clock.now()
    campaign = Campaign(name="基准批次", year=2026)
    db.session.add(campaign)
    districts = [Unit(name=f"区{i}", category="district", level=1) for i in range(16)]
    db.session.add_all(districts)
    db.session.flush()
    streets = [Unit(name=f"区{d.name}街道{j}", parent=d) for d in districts for j in range(5)]
    db.session.add_all(streets)
    db.session.flush()
    sm_role = db.session.query(Account).session  # noqa: F841 (session warm)
    expert_role = __import__("flask").current_app.appbuilder.sm.find_role(roles.EXPERT)
    city = Account(username="city", first_name="市学习办", last_name="", email="city@example.invalid", active=True,
                   password="x", roles=[__import__("flask").current_app.appbuilder.sm.find_role(roles.CITY_OFFICE)])
    db.session.add(city)
    accounts = [{"username": f"a{i}", "first_name": f"申报人{i}", "last_name": "", "email": f"a{i}@example.invalid",
                 "active": True, "password": "x"} for i in range(args.applications)]
    db.session.execute(insert(Account), accounts)
    applicant_ids = [row[0] for row in db.session.query(Account.id).filter(Account.username.like("a%"))
                     .order_by(Account.id)]
    db.session.execute(insert(Application), [
        {"campaign_id": campaign.id, "applicant_id": applicant_ids[i], "status": "reported", "name": f"申报人{i}",
         "gender": "male", "id_number": f"110108{19600101 + i:08d}{i % 10000:04d}"[:18], "mobile": "13911588771",
         "work_unit": rng.choice(WORK_UNITS), "is_permanent_resident": True, "declaration_confirmed": True,
         "unit_id": rng.choice(streets).id, "submitted_at": now, "created_at": now, "updated_at": now}
        for i in range(args.applications)
    ])
    experts = []
    for i in range(args.experts):
        person = Account(username=f"e{i}", first_name=f"专家{i}", last_name="", email=f"e{i}@example.invalid",
                         active=True, password="x", roles=[expert_role])
        kind = i % 3
        if kind == 0:  # works at a unit: a district or a street
            unit = rng.choice(districts + streets)
            expert = Expert(account=person, employer=unit.name, employer_unit=unit)
        elif kind == 1:  # the same employer as some applicants
            expert = Expert(account=person, employer=rng.choice(WORK_UNITS))
        else:
            expert = Expert(account=person, employer=f"第{i}研究院")
        experts.append(expert)
    db.session.add_all(experts)
    db.session.flush()
    application_ids = [row[0] for row in db.session.query(Application.id)]
    for expert in experts:  # one declared conflict each: a unit or an application
        if rng.random() < 0.5:
            db.session.add(ExpertConflict(expert=expert, unit=rng.choice(districts + streets), reason="曾任职"))
        else:
            db.session.add(ExpertConflict(expert=expert, application_id=rng.choice(application_ids), reason="亲属"))
    review_round = round_for(campaign, "initial_review")
    review_round.experts_per_application = args.per_application
    panel = ExpertPanel(round=review_round, name="全体专家")
    db.session.add(panel)
    db.session.flush()
    db.session.add_all([ExpertPanelMember(panel_id=panel.id, round_id=review_round.id, expert=e) for e in experts])
    db.session.commit()
    return city, review_round.id


def trivial_pass(review_round, per_application):
    """The baseline: the same eligibility, then each application greedily takes the N least-loaded experts."""
    from app import assignment

    applications = assignment.round_applications(review_round)
    panels = assignment.round_panels(review_round)
    experts = [m.expert for p in panels for m in p.members]
    conflicts = assignment.Conflicts(experts)
    start = time.perf_counter()
    eligible = [[e.id for e in experts if conflicts.reason(e, a) is None] for a in applications]
    mid = time.perf_counter()
    load = {e.id: 0 for e in experts}
    for ids in eligible:
        for expert_id in sorted(ids, key=lambda e: (load[e], e))[:per_application]:
            load[expert_id] += 1
    end = time.perf_counter()
    pairs = len(applications) * len(experts)
    conflicted = pairs - sum(len(ids) for ids in eligible)
    return mid - start, end - mid, max(load.values()) - min(load.values()), conflicted


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--experts", type=int, default=60)
    parser.add_argument("--per-application", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-assign-"))
    os.environ.setdefault("INSTANCE_DIR", str(tmp / "instance"))
    try:
        from flask_migrate import upgrade

        from app import assignment, create_app
        from app.cli import sync_security
        from app.extensions import db
        from app.models.review import ReviewAssignment, ReviewRound

        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                          "SECRET_KEY": "bench", "UPLOAD_DIR": str(tmp / "uploads"), "WTF_CSRF_ENABLED": False})
        with app.app_context():
            import logging

            logging.getLogger("alembic").setLevel(logging.WARNING)
            upgrade()
            sync_security()
            t0 = time.perf_counter()
            city, round_id = build(args, db)
            print(f"setup: {args.applications} applications, {args.experts} experts in {time.perf_counter() - t0:.2f} s")
            db.session.expire_all()

            solve_time = []
            real_solve = assignment.solve

            def timed_solve(*a, **k):
                start = time.perf_counter()
                try:
                    return real_solve(*a, **k)
                finally:
                    solve_time.append(time.perf_counter() - start)

            assignment.solve = timed_solve
            start = time.perf_counter()
            result = assignment.assign_round(city, round_id)
            seconds = time.perf_counter() - start
            assert result.ok, result.unplaceable[:5]
            rows = db.session.query(ReviewAssignment).filter_by(round_id=round_id).count()
            print(f"assign_round: {seconds:.2f} s (min-cost flow solve {sum(solve_time):.2f} s, the rest loading, "
                  f"conflict checks and writing {rows} rows in one transaction); placed={result.placed}, "
                  f"loads {min(result.loads.values())}–{max(result.loads.values())}")
            start = time.perf_counter()
            again = assignment.assign_round(city, round_id)
            print(f"re-run, nothing to change: {time.perf_counter() - start:.2f} s (placed={again.placed}, "
                  f"kept={again.kept}, removed={again.removed})")
            db.session.expire_all()
            eligibility, greedy, greedy_spread, conflicted = trivial_pass(db.session.get(ReviewRound, round_id),
                                                                          args.per_application)
            print(f"baseline: eligibility lists {eligibility:.2f} s, trivial greedy pass {greedy:.3f} s "
                  f"(spread {greedy_spread}); solver / greedy = {sum(solve_time[:1]) / max(greedy, 1e-9):.1f}×, "
                  f"assign_round / (eligibility + greedy) = {seconds / max(eligibility + greedy, 1e-9):.1f}×")
            print(f"assign: {args.applications} applications, {args.experts} experts, {seconds:.2f} s, "
                  f"conflicts={conflicted}, spread={result.spread}")
            # For bench/run_all.py (bench/README.md): evenly means loads differ by at most one (R-EXP-1).
            emit(f"assign_round {args.applications}×{args.per_application} of {args.experts} experts",
                 round(seconds, 2), "s", baseline=round(eligibility + greedy, 2))
            emit("assign_round load spread (max−min)", result.spread, goal="value<=1")
            emit("pairs excluded by conflicts", conflicted)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
