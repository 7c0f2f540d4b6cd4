#!/usr/bin/env python
"""Benchmark: the deadline spike of 在线报名 — N citizens signing in, saving and submitting in the last minute of the
window, through the page and the REST API, against gunicorn, PostgreSQL and Redis, driven by locust.

    .venv/bin/python bench/spike.py [--users 100] [--workers 4] [--duration 60] [--straddle|--no-straddle] [--keep]

Setup (all of it the bench's own): the PostgreSQL database bench_spike (dropped and created), Redis db 5 (flushed:
only that db), a temporary upload and instance folder, `flask deploy`, one campaign whose 在线报名 is open, one
district with streets, and N citizen accounts created in bulk beforehand (registration is not part of this spike),
all with the same password under one real scrypt hash (the portal's default: signing in costs what it costs in
production). A photo (white background, Pillow) and a 2 s H.264/AAC clip (PyAV) are made once; every citizen uploads
them, half through the page's form and half through the API.

The server: gunicorn (--workers sync workers) with REDIS_URL, as in production behind nginx: PROXY_FIX=1, and each
citizen sends its own address in X-Forwarded-For. So every per-address limit (AUTH_RATE_LIMIT, the failure counters,
CAPTCHA_RATE_LIMIT) stays at the portal's default and applies per citizen; no check is turned off.

The window: just before locust starts, the campaign's schedule is moved so that 在线报名 ends --duration seconds
later. Citizens arrive evenly over that time (--no-straddle: over its first 70 %, so all should make it) or, with
--straddle (the default), over 1.25 × that time, so that the last fifth arrive after the deadline and others are in
the middle of their flow when it passes: those must be refused with the Chinese "截止，过期无效" answer.

Afterwards it compares what each client saw with the database: lost (accepted, not stored as submitted), duplicated
(more than one application or 'submit' event), late_accepted (stored as submitted after the deadline), refused but
stored anyway, and answers that were not clear. It prints a table of request kinds and ends with
`spike: <n> accepted, lost=<n>, duplicated=<n>, late_accepted=<n>, errors_5xx=<n>, p95=<ms> ms`.
PostgreSQL and Redis are the local ones (postgres@127.0.0.1:5432, 127.0.0.1:6379) unless BENCH_POSTGRES
(postgresql://user@host:port) and BENCH_REDIS (redis://host:port) name others.
Exit status 1 when a goal is missed (0 lost, 0 duplicated, 0 late, 0 5xx, p95 under 1 s, every answer clear).
"""
import argparse
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import log_tail, stop

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
# The servers: local ones by default; BENCH_POSTGRES / BENCH_REDIS name others (no database, no db number).
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
DATABASE = "bench_spike"
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379").rstrip("/") + "/5"  # db 5: the bench's own
PASSWORD = "Spike@2026xq"
P95_GOAL_MS = 1000
KINDS = ["login page", "sign-in form", "apply page", "save page", "submit page",
         "sign-in API", "save API", "photo API", "video API", "submit API"]

# ---------------------------------------------------------------- setup, run in the portal's venv and app context

SETUP_SNIPPET = r"""
import json, sys
from datetime import date, timedelta
from pathlib import Path
from stdnum.cn import ric
from werkzeug.security import generate_password_hash
from app import create_app, roles
from app.accounts import placeholder_email
from app.demo.applications import portrait_jpeg, video_mp4
from app.extensions import db
from app.models import Account, Campaign, Stage, Unit, UnitCategory
from app import schedule

users, password, folder = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
app = create_app()
with app.app_context():
    campaign = Campaign(name="第十一批", year=2026)
    schedule.ensure_windows(campaign)
    schedule.open_stage(campaign, Stage.APPLY)
    db.session.add(campaign)
    district = Unit(name="海淀区", category=UnitCategory.DISTRICT.value, level=1)
    streets = [Unit(name=name, parent=district) for name in ("中关村街道", "学院路街道", "海淀街道")]
    db.session.add_all([district, *streets])
    db.session.flush()
    role = app.appbuilder.sm.find_role(roles.APPLICANT)
    hashed = generate_password_hash(password)  # the portal's default (scrypt), computed once for everyone
    surnames, given = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
    citizens = []
    for i in range(users):
        mobile = f"139{10000000 + i:08d}"
        name = surnames[i % len(surnames)] + given[(i // 3) % len(given)] + given[(i // 7) % len(given)]
        born = date(1970, 1, 1) + timedelta(days=i // 400)
        body = f"110108{born:%Y%m%d}{(i % 400) * 2 + 1:03d}"
        id_number = body + ric.calc_check_digit(body + "0")
        db.session.add(Account(username=mobile, first_name=name, last_name="", email=placeholder_email(mobile),
                               active=True, password=hashed, roles=[role]))
        street = streets[i % len(streets)]
        citizens.append({"username": mobile, "fields": {
            "name": name, "id_number": id_number, "mobile": mobile, "work_unit": "北京市海淀区某单位",
            "position": "职员", "address": f"北京市海淀区中关村大街 {i + 1} 号", "unit_id": str(street.id),
            "deeds": "坚持终身学习，十年来利用业余时间自学完成本科课程，并组织社区读书会，带动邻里共同学习。"}})
    db.session.commit()
    (folder / "photo.jpg").write_bytes(portrait_jpeg())
    clip, _ = video_mp4(folder)
    (folder / "video.mp4").write_bytes(clip)
    print(json.dumps({"campaign_id": campaign.id, "citizens": citizens}, ensure_ascii=False))
"""


def run_checked(args, env, timeout, what):
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def psql(sql: str, database: str = "postgres"):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True) as conn:
        return conn.execute(sql).fetchall() if sql.lstrip().upper().startswith("SELECT") else conn.execute(sql)


def reset_stores():
    import redis

    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    psql(f"CREATE DATABASE {DATABASE}")
    redis.Redis.from_url(REDIS_URL).flushdb()  # only the bench's db


def drop_stores():
    import redis

    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    redis.Redis.from_url(REDIS_URL).flushdb()


def database_cpu_seconds() -> float:
    """User + system CPU time so far of the PostgreSQL backends serving the bench's database (their titles name it)."""
    ticks, total = os.sysconf("SC_CLK_TCK"), 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = f.read()
            if not title.startswith(b"postgres: ") or f" {DATABASE} ".encode() not in title:
                continue
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def beijing_now() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


def move_deadline(campaign_id: int, deadline: datetime):
    """Shift the campaign's whole schedule so that 在线报名 ends at `deadline` (Beijing time), as
    `flask campaign open-stage` shifts it: every window keeps its length and order."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{DATABASE}", autocommit=True) as conn:
        (ends_at,) = conn.execute("SELECT ends_at FROM stage_window WHERE campaign_id = %s AND stage = 'apply'",
                                  (campaign_id,)).fetchone()
        delta = deadline - ends_at
        conn.execute("UPDATE stage_window SET starts_at = starts_at + %s, ends_at = ends_at + %s "
                     "WHERE campaign_id = %s", (delta, delta, campaign_id))


class Server:
    def __init__(self, env, workers, log_path):
        self.port = free_port()
        self.log = open(log_path, "wb")
        self.log_path = log_path
        args = [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync", "--timeout", "60",
                "--graceful-timeout", "5", "--bind", f"{HOST}:{self.port}", "run:app"]
        self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/login/", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within {timeout}s:\n{self.tail()}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the master and its workers so far (a worker that was replaced is not in it)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(entry) == self.process.pid or int(fields[1]) == self.process.pid:  # fields[1]: the parent's pid
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def tail(self, lines=40):
        return log_tail(self.log, self.log_path, lines)

    def stop(self):
        stop(self.process, timeout=20)
        self.log.close()


# ---------------------------------------------------------------- verification (pure: tested in tests/test_bench_spike.py)

@dataclass
class Verdict:
    accepted: int = 0
    refused: int = 0
    lost: list = field(default_factory=list)  # accepted by the client, not stored as submitted
    duplicated: list = field(default_factory=list)  # more than one application row or 'submit' event
    late_accepted: list = field(default_factory=list)  # stored as submitted after the deadline
    refused_stored: list = field(default_factory=list)  # told "refused" but stored as submitted
    unclear: list = field(default_factory=list)  # no answer, or one that does not say why (not the deadline's)
    unanswered: int = 0  # the flow never finished (counted in unclear too)

    def problems(self) -> int:
        return sum(map(len, (self.lost, self.duplicated, self.late_accepted, self.refused_stored, self.unclear)))


def verify(outcomes: dict, rows: dict, deadline: datetime) -> Verdict:
    """outcomes: username -> what the client saw ({"result": accepted|refused|unclear|error, "message": …});
    rows: username -> list of the citizen's application rows in the campaign, each
    {"status", "submitted_at" (datetime or None), "submit_events" (int)}; deadline: the end of 在线报名 (inclusive,
    to the second, as app/schedule.py reads it)."""
    verdict = Verdict()
    for username in sorted(set(outcomes) | set(rows)):
        seen = outcomes.get(username)
        stored = rows.get(username, [])
        submitted = [r for r in stored if r["status"] != "draft" and r["submitted_at"] is not None]
        if len(stored) > 1 or sum(r["submit_events"] for r in stored) > 1:
            verdict.duplicated.append(username)
        if any(r["submitted_at"] > deadline for r in submitted):
            verdict.late_accepted.append(username)
        result = seen["result"] if seen else "unanswered"
        if result == "accepted":
            verdict.accepted += 1
            if not submitted or not any(r["submit_events"] >= 1 for r in submitted):
                verdict.lost.append(username)
        elif result == "refused":
            verdict.refused += 1
            if submitted:
                verdict.refused_stored.append(username)
            if not all(word in (seen.get("message") or "") for word in ("截止", "过期无效")):
                verdict.unclear.append(username)
        else:
            verdict.unclear.append(username)
            if result == "unanswered":
                verdict.unanswered += 1
    return verdict


def stored_rows(campaign_id: int) -> dict:
    rows = psql(f"""
        SELECT u.username, a.status, a.submitted_at,
               (SELECT count(*) FROM application_event e WHERE e.application_id = a.id AND e.action = 'submit')
        FROM application a JOIN ab_user u ON u.id = a.applicant_id
        WHERE a.campaign_id = {int(campaign_id)}""", DATABASE)
    found: dict = {}
    for username, status, submitted_at, events in rows:
        found.setdefault(username, []).append({"status": status, "submitted_at": submitted_at,
                                               "submit_events": events})
    return found


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]  # nearest rank


def read_lines(path: Path) -> list:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="citizens, half on the page, half on the API")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--duration", type=int, default=60, help="seconds from the start of the load to the deadline")
    parser.add_argument("--straddle", action=argparse.BooleanOptionalAction, default=True,
                        help="arrivals run past the deadline (default); --no-straddle: all arrive well before it")
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"),
                        help="seconds a citizen pauses between steps")
    parser.add_argument("--keep", action="store_true", help="keep the database, Redis db 5 and the temporary folder")
    options = parser.parse_args()
    if options.users < 1 or options.duration < 5:
        parser.error("--users ≥ 1 and --duration ≥ 5")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-spike-"))
    server = None
    try:
        reset_stores()
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"{PG_SERVER}/{DATABASE}", REDIS_URL=REDIS_URL,
            UPLOAD_DIR=str(tmp / "uploads"), INSTANCE_DIR=str(tmp / "instance"),
            SECRET_KEY="bench-spike-fixed-secret-key", PROXY_FIX="1", PYTHONDONTWRITEBYTECODE="1",
        )
        for name in ("AUTH_RATE_LIMIT", "CAPTCHA_RATE_LIMIT", "RATELIMIT_ENABLED", "LOGIN_SOURCE_MAX_FAILURES",
                     "LOGIN_MAX_FAILURES", "LOGIN_CAPTCHA_AFTER", "APP_ENV"):
            env.pop(name, None)  # the portal's defaults, whatever the caller's shell says
        run_checked([str(BIN / "flask"), "--app", "run.py", "deploy"], env, 300, "flask deploy")
        setup = json.loads(run_checked([str(BIN / "python"), "-c", SETUP_SNIPPET, str(options.users), PASSWORD,
                                        str(tmp)], env, 600, "data setup").strip().splitlines()[-1])
        citizens = setup["citizens"]
        for i, citizen in enumerate(citizens):
            citizen["channel"] = "page" if i % 2 == 0 else "api"
            citizen["address"] = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        setup_s = time.monotonic() - began

        server = Server(env, options.workers, tmp / "gunicorn.log")
        server.wait_ready()

        arrivals = options.duration * (1.25 if options.straddle else 0.7)
        plan = {"citizens": citizens, "password": PASSWORD, "photo_path": str(tmp / "photo.jpg"),
                "video_path": str(tmp / "video.mp4"), "requests_path": str(tmp / "requests.jsonl"),
                "outcomes_path": str(tmp / "outcomes.jsonl"), "think_seconds": list(options.think)}
        (tmp / "plan.json").write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
        run_time = int(arrivals + options.duration + 120)  # a cap: locust quits when the last citizen is done
        locust = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "spike_locustfile.py"), "--headless",
                  "--host", f"http://{HOST}:{server.port}", "--users", str(options.users),
                  "--spawn-rate", f"{options.users / arrivals:.3f}", "--run-time", f"{run_time}s",
                  "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30"]
        deadline = beijing_now() + timedelta(seconds=options.duration)
        move_deadline(setup["campaign_id"], deadline)
        idle_cpu, idle_db_cpu = server.cpu_seconds(), database_cpu_seconds()
        load_began = time.monotonic()
        with open(tmp / "locust.log", "wb") as log:
            subprocess.run(locust, cwd=ROOT, env=dict(env, SPIKE_PLAN=str(tmp / "plan.json")), stdout=log,
                           stderr=subprocess.STDOUT, timeout=run_time + 120)
        load_s = time.monotonic() - load_began
        load_cpu = server.cpu_seconds() - idle_cpu
        db_cpu = database_cpu_seconds() - idle_db_cpu  # backends that ended during the load are not in it
        machine_load = os.getloadavg()[0]

        requests = read_lines(tmp / "requests.jsonl")
        outcomes = {o["username"]: o for o in read_lines(tmp / "outcomes.jsonl")}
        verdict = verify(outcomes, stored_rows(setup["campaign_id"]), deadline)
        errors_5xx = sum(1 for r in requests if r["status"] >= 500)
        p95 = percentile([r["ms"] for r in requests], 0.95)

        print(f"deadline spike: {options.users} citizens (half page, half REST API), gunicorn {options.workers} sync "
              f"workers, PostgreSQL + Redis; arrivals over {arrivals:.0f} s, deadline {options.duration} s after the "
              f"start ({deadline:%H:%M:%S} Beijing){', straddled' if options.straddle else ''}; load {load_s:.0f} s, "
              f"setup {setup_s:.0f} s")
        print(f"{'request':<14}{'count':>7}{'median_ms':>11}{'p95_ms':>9}{'max_ms':>9}{'failures':>10}{'5xx':>6}")
        for kind in KINDS + sorted({r["kind"] for r in requests} - set(KINDS)):
            times = [r["ms"] for r in requests if r["kind"] == kind]
            if not times:
                continue
            failures = sum(1 for r in requests if r["kind"] == kind and r["failed"])
            fivexx = sum(1 for r in requests if r["kind"] == kind and r["status"] >= 500)
            print(f"{kind:<14}{len(times):>7}{statistics.median(times):>11.0f}{percentile(times, 0.95):>9.0f}"
                  f"{max(times):>9.0f}{failures:>10}{fivexx:>6}")
        by_channel = {}
        for o in outcomes.values():
            by_channel.setdefault((o["channel"], o.get("result")), 0)
            by_channel[(o["channel"], o.get("result"))] += 1
        print("outcomes: " + ", ".join(f"{c} {r}={n}" for (c, r), n in sorted(by_channel.items(), key=str)))
        per_citizen = (load_cpu + db_cpu) / max(len(outcomes), 1)
        print(f"CPU during the load: gunicorn {load_cpu:.1f} s + PostgreSQL {db_cpu:.1f} s = {per_citizen:.2f} s per "
              f"citizen (at most {os.cpu_count() / per_citizen:.0f} citizens/s on {os.cpu_count()} dedicated cores); "
              f"machine load average {machine_load:.1f}")
        print(f"refused={verdict.refused}, refused_but_stored={len(verdict.refused_stored)}, "
              f"unclear={len(verdict.unclear)} (no answer: {verdict.unanswered})")
        for label, names in (("lost", verdict.lost), ("duplicated", verdict.duplicated),
                             ("late", verdict.late_accepted), ("refused_stored", verdict.refused_stored),
                             ("unclear", verdict.unclear)):
            for name in names[:5]:
                print(f"  {label}: {name} {outcomes.get(name, {}).get('message', '')[:160]}")
        if errors_5xx:
            print("gunicorn log tail:\n" + server.tail(30))
        print(f"spike: {verdict.accepted} accepted, lost={len(verdict.lost)}, duplicated={len(verdict.duplicated)}, "
              f"late_accepted={len(verdict.late_accepted)}, errors_5xx={errors_5xx}, p95={p95:.0f} ms")
        failed = verdict.problems() or errors_5xx or p95 >= P95_GOAL_MS
        if options.keep:
            print(f"kept: database {DATABASE}, Redis db 5, {tmp}", file=sys.stderr)
        return 1 if failed else 0
    finally:
        if server is not None:
            server.stop()
        if not options.keep:
            drop_stores()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
