"""Benchmark: the steps that move many applications in one request (R-OPS-7: no request longer than a few seconds).

    .venv/bin/python bench/bulk_steps.py [--k 110] [--generated bench_list] [--repeat 3]

- 前 K 名入围 (`workflow.shortlist_top`, one `perform_many` batch): a PostgreSQL database `bench_bulk` (dropped
  at the end) migrated and filled with `flask demo load`, topped up to K + 60 reported applications, 初审 opened,
  assigned, scored and closed as `flask demo advance` does (app/demo/advance.py's steps); saved once, then restored
  before each of --repeat timed runs of the top K going into 复审 as the city office.
- With --generated DB (a database filled by `flask demo generate --applications 100000`, e.g. the one
  `bench/list_view.py --keep` leaves): the busiest district's 上报 and the busiest street's 提交
  (`workflow.submit_unit`), each on a fresh copy of DB (CREATE DATABASE … TEMPLATE), its stage opened first.

Each timing is in this process (no HTTP): wall and CPU time, the SQL statements and commits it sent. No baseline: the
goal is the issue's absolute "a few seconds" (`value<=5`).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchline import emit  # bench/ is sys.path[0] when this runs as a script

ROOT = Path(__file__).resolve().parent.parent
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-At", "-d", "postgres", "-c"]
URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{}"
INSTANCE = Path("/tmp/bench_bulk-instance")


def psql(sql: str) -> str:
    return subprocess.run([*PSQL, sql], check=True, text=True, capture_output=True).stdout.strip()


def fresh(name: str, template: str | None = None) -> None:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def app_for(database: str):
    """The app on `database`, imported in this process (one database per process: run.py reads the environment)."""
    os.environ.update(DATABASE_URL=URL.format(database), INSTANCE_DIR=str(INSTANCE),
                      SECRET_KEY="bench-bulk-steps-secret-key-0123456789abcdef")
    sys.path.insert(0, str(ROOT))
    from run import app

    return app


class Counted:
    """Statements and commits sent on the app's engine while open."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.engine, self.event, self.statements, self.commits = engine, event, 0, 0

    def _sent(self, *_args):
        self.statements += 1

    def _committed(self, *_args):
        self.commits += 1

    def __enter__(self):
        self.event.listen(self.engine, "before_cursor_execute", self._sent)
        self.event.listen(self.engine, "commit", self._committed)
        return self

    def __exit__(self, *_exc):
        self.event.remove(self.engine, "before_cursor_execute", self._sent)
        self.event.remove(self.engine, "commit", self._committed)


def timed(step):
    started, started_cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, time.perf_counter() - started, time.process_time() - started_cpu


def shortlist(args) -> None:
    """前 K 名入围, --repeat times on the same closed 初审, restored from a dump before each run."""
    fresh("bench_bulk")
    env = {**os.environ, "DATABASE_URL": URL.format("bench_bulk"), "INSTANCE_DIR": str(INSTANCE),
           "SECRET_KEY": "bench-bulk-steps-secret-key-0123456789abcdef"}
    for command in (["deploy"], ["demo", "load"]):
        subprocess.run([sys.executable, "-m", "flask", "--app", "run.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    app = app_for("bench_bulk")
    from app import rounds, schedule, workflow
    from app.demo import advance as steps
    from app.extensions import db
    from app.models import Stage

    with app.app_context():
        campaign, city = schedule.current_campaign(), steps._city_office()
        said = []
        steps._top_up(campaign, args.k + 60, said.append)
        steps._open(campaign, Stage.INITIAL_REVIEW, said.append)
        steps._assign(city, campaign, Stage.INITIAL_REVIEW, said.append)
        steps._score(campaign, Stage.INITIAL_REVIEW, said.append)
        steps._close(city, campaign, Stage.INITIAL_REVIEW, said.append)
        initial_id = rounds.round_for(campaign, Stage.INITIAL_REVIEW).id
        db.session.remove()
        db.engine.dispose()
    print("\n".join(said))
    psql("DROP DATABASE IF EXISTS bench_bulk_closed WITH (FORCE)")
    psql("CREATE DATABASE bench_bulk_closed TEMPLATE bench_bulk")
    walls = []
    for run in range(args.repeat):
        if run:
            fresh("bench_bulk", template="bench_bulk_closed")
        with app.app_context():
            city = steps._city_office()
            with Counted(db.engine) as counted, steps.acting_as(city):
                result, wall, cpu = timed(lambda: workflow.shortlist_top(city, initial_id, args.k))
            db.session.remove()
            db.engine.dispose()
        walls.append(wall)
        print(f"前 K 名入围 K={args.k}: {len(result.done)} shortlisted, {len(result.refused)} refused, wall {wall:.2f} s, "
              f"CPU {cpu:.2f} s, {counted.statements} statements, {counted.commits} commit(s)")
    emit(f"前 K 名入围 of {args.k}: median", round(statistics.median(walls), 2), "s", goal="value<=5")
    psql("DROP DATABASE IF EXISTS bench_bulk WITH (FORCE)")
    psql("DROP DATABASE IF EXISTS bench_bulk_closed WITH (FORCE)")


BUSIEST = {  # the unit whose 提交 / 上报 moves the most applications, and the states it moves
    1: "SELECT u.parent_id FROM application a JOIN unit u ON u.id = a.unit_id "
       "WHERE a.status IN ('l1_recommended', 'l1_not_recommended') GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    2: "SELECT a.unit_id FROM application a "
       "WHERE a.status IN ('l2_recommended', 'l2_not_recommended') GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
}


def unit_submit(args, level: int) -> None:
    """The busiest unit's 提交 (level 2) or 上报 (level 1) on a copy of the generated database."""
    fresh("bench_bulk", template=args.generated)
    app = app_for("bench_bulk")
    from sqlalchemy import text

    from app import schedule, workflow
    from app.demo.advance import acting_as
    from app.extensions import db
    from app.models import Account, Stage, Unit

    with app.app_context():
        unit = db.session.get(Unit, db.session.execute(text(BUSIEST[level])).scalar_one())
        campaign = schedule.current_campaign()
        schedule.open_stage(campaign, Stage.L1_REVIEW if level == 1 else Stage.L2_REVIEW)
        db.session.commit()
        clerk = db.session.query(Account).filter(Account.unit_id == unit.id).first()
        with Counted(db.engine) as counted, acting_as(clerk):
            done, wall, cpu = timed(lambda: workflow.submit_unit(clerk, campaign))
        moved, name = done.recommended + done.not_recommended, unit.name
        db.session.remove()
        db.engine.dispose()
    what = "上报" if level == 1 else "提交"
    print(f"{name} {what}: {moved} applications, wall {wall:.2f} s, CPU {cpu:.2f} s, "
          f"{counted.statements} statements, {counted.commits} commit(s)")
    emit(f"{what} of the busiest {'district' if level == 1 else 'street'} ({moved} applications)", round(wall, 2),
         "s", goal="value<=5")
    psql("DROP DATABASE IF EXISTS bench_bulk WITH (FORCE)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=110)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--generated", help="a database filled by `flask demo generate` (copied, never changed)")
    args = parser.parse_args()
    INSTANCE.mkdir(exist_ok=True)
    if args.generated:
        for level in (1, 2):
            unit_submit(args, level)
    else:
        shortlist(args)


if __name__ == "__main__":
    main()
