#!/usr/bin/env python
"""Benchmark: the Excel export of 10,000 and 100,000 applications through a background job (R-OPS-7), against the
bare library writing the same rows, in the same run.

    .venv/bin/python bench/export.py [--sizes 10000,100000] [--database-url postgresql://…/bench_jobs] [--keep]
                                     [--poll S]

Sets up a temporary instance (SQLite by default; with --database-url the given, empty PostgreSQL database, emptied
first; with --keep the applications already there are reused) through the real migrations and `flask demo load` +
`flask demo generate`, then serves it as `make run` does:
gunicorn (2 sync workers) and the task worker (`flask jobs worker`, one thread). For each size (generated batches
are added up to it) it signs in as the city office, POSTs /applications/export.xlsx (the request that starts the job),
opens the job's page and polls /jobs/<id>.json on that page's own schedule (its data-poll attribute and the
progress in the answers, as static/js/job-progress.js does: PageSchedule; --poll S: every S seconds instead) until
done, timing every request, and downloads the file. The job's time is
from the start request to the poll that saw it done; the worker's peak RSS is its VmHWM over its RSS just before
(reset through /proc/<pid>/clear_refs). Baseline: a separate Python process with a plain SQL query of the same
applications (joined to their units; opinions from a correlated query of the history) writing the same cells with
xlsxwriter in constant_memory mode (the header row, widths, panes and filter; an empty text cell wherever the export
writes one), only with the raw values; its time, CPU time and its own peak RSS. The worker's CPU time during the
job is printed beside it: steadier than wall time on a shared machine. The database is ANALYZEd first (see analyze).
The worker's first job is run once before the timed ones and printed apart: a fresh worker's first job also pays for
what the process loads once (the bare process's timer starts after its imports).

Last lines: export <n>: job <s> s, bare <s> s, ratio <r> (CPU <s> / <s> s), worker peak +<MB> MB, slowest request <ms> ms
"""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from benchline import emit  # bench/ is sys.path[0] when this runs as a script
from harness import cookie_header, keep_cookies

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
PASSWORD = "Bench@2026xyz"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Client:
    """A tiny cookie-keeping HTTP client that times every request."""

    def __init__(self, port):
        self.port, self.cookies, self.timings = port, {}, []

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = cookie_header(self.cookies)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        self.timings.append((time.perf_counter() - started, method, path.split("?")[0]))
        keep_cookies(self.cookies, response.headers)
        return response.status, response.headers, data


def log_in(client, username):
    status, _, page = client.request("GET", "/login/")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.decode()) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page.decode())
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    status, headers, _ = client.request("POST", "/login/", body=urllib.parse.urlencode(form),
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    if status != 302 or "/login" in (headers.get("Location") or ""):
        raise SystemExit(f"login failed: {status}")


def flask(env, *args):
    result = subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def rss_kb(pid, field="VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def analyze(url):
    """ANALYZE the database before measuring, as PostgreSQL's autovacuum does after any bulk insert in a deployment
    (it is off on the shared bench server, and `flask demo generate` does not run it). Without statistics the planner
    guessed the event history small and scanned all of it for every batch of the export's opinions (~100 ms a batch,
    18 s of 89,910 rows), and picked JIT for the bare query: a figure of the missing statistics, not of either side."""
    if not url.startswith("postgresql"):
        return  # SQLite's planner needs no statistics for these queries (it takes the index on application_id)
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def schedstats(pid) -> dict[str, tuple[int, int]]:
    """(ns on a CPU, ns runnable but waiting for one) of each thread of a process (/proc/<pid>/task/*/schedstat): on
    a shared machine the wait is most of what separates wall time from CPU time."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            on_cpu, waiting = (task / "schedstat").read_text().split()[:2]
            found[task.name] = int(on_cpu), int(waiting)
        except (OSError, ValueError):
            pass
    return found


def job_thread_waited(before: dict, after: dict) -> float:
    """Seconds the thread that ran the job (the one that used the most CPU between the two) waited for a CPU; the
    consumer's housekeeping threads wake often and wait too, but the job does not wait for them."""
    def used(tid):
        return after[tid][0] - before.get(tid, (0, 0))[0]

    busiest = max(after, key=used)
    return (after[busiest][1] - before.get(busiest, (0, 0))[1]) / 1e9


def make_city_account(env):
    code = f"""
from app import create_app, roles
from app.extensions import db
from app.models import Account
app = create_app()
with app.app_context():
    sm = app.appbuilder.sm
    user = sm.add_user("bench_city", "市学习办", "基准", "bench_city@example.invalid", [sm.find_role(roles.CITY_OFFICE)],
                       password={PASSWORD!r})
    user = db.session.query(Account).filter_by(username="bench_city").one()
    user.must_change_password = False
    db.session.commit()
"""
    subprocess.run([str(BIN / "python"), "-c", code], cwd=ROOT, env=env, check=True)


BARE = r"""
import resource, sys, time
import xlsxwriter
from sqlalchemy import Date, DateTime, column, create_engine, text
url, out = sys.argv[1], sys.argv[2]
if url.startswith("postgresql://"):
    url = "postgresql+psycopg://" + url[len("postgresql://"):]
engine = create_engine(url)
def waited():
    try:
        return int(open("/proc/self/schedstat").read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0
started, started_cpu, started_wait = time.perf_counter(), time.process_time(), waited()
opinion = ("(SELECT e.opinion FROM application_event e WHERE e.application_id = a.id AND e.action IN ({}) "
           "ORDER BY e.id DESC LIMIT 1)")
query = text(
    "SELECT a.name, a.gender, a.birth_date, a.id_number, a.mobile, a.work_unit, a.position, a.address, u.category, "
    "p.name, u.name, a.status, a.submitted_at, "
    + opinion.format("'return', 'l2_recommend', 'l2_reject'") + ", "
    + opinion.format("'l1_recommend', 'l1_reject'") + ", a.deeds "
    "FROM application a JOIN unit u ON u.id = a.unit_id LEFT JOIN unit p ON p.id = u.parent_id "
    "WHERE a.status != 'draft' ORDER BY u.parent_id, u.id, a.submitted_at, a.id")
# The birth date and submission time typed, as any program reading them through SQLAlchemy types them: SQLite stores
# them as text, and untyped they were written as text cells (cheaper than the export's dates); PostgreSQL's driver
# returns dates either way.
TYPED = {2: Date(), 12: DateTime()}
query = query.columns(*[column(f"c{i}", TYPED.get(i)) for i in range(16)])
workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "strings_to_numbers": False})
sheet = workbook.add_worksheet("报名信息")
moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
day = workbook.add_format({"num_format": "yyyy-mm-dd"})
# The same header row, widths, panes and filter as the export, and an empty text cell where the export writes one
# (a missing opinion, work unit, …): the same cells, only their words are the raw values.
header = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
heads = [("序号", 6), ("姓名", 10), ("性别", 5), ("出生日期", 11), ("身份证号", 20), ("手机号码", 13), ("工作单位", 24),
         ("职务", 12), ("住址", 30), ("单位类别", 10), ("一级单位", 16), ("二级单位", 18), ("状态", 24), ("提交时间", 17),
         ("二级单位意见", 40), ("一级单位意见", 40), ("个人先进事迹", 60)]
for col, (title, width) in enumerate(heads):
    sheet.set_column(col, col, width)
    sheet.write_string(0, col, title, header)
sheet.freeze_panes(1, 2)
DATES = (3, 13)
n = 0
with engine.connect() as connection:
    for n, row in enumerate(connection.execution_options(yield_per=1000).execute(query), start=1):
        sheet.write_number(n, 0, n)
        for col, value in enumerate(row, start=1):
            if value is None:
                if col in DATES:
                    sheet.write_blank(n, col, None)
                else:
                    sheet.write_string(n, col, "")
            elif hasattr(value, "year"):
                sheet.write_datetime(n, col, value, moment if hasattr(value, "hour") else day)
            else:
                sheet.write_string(n, col, str(value))
sheet.autofilter(0, 0, max(n, 1), len(heads) - 1)
workbook.close()
print(n, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      time.process_time() - started_cpu, waited() - started_wait)
"""


class PageSchedule:
    """The waits (s) between the job page's status polls, as static/js/job-progress.js makes them from data-poll and
    the answers: the schedule's next step, or sooner when the progress seen says the job will be done first (rows done
    since the first answer with a total, over the time they took, carried over the rows left; never under the first
    step), and every first step once every row is done."""

    def __init__(self, page_html: str):
        self.first, self.growth, self.most = (float(x) for x in re.search(r'data-poll="([^"]+)"', page_html)
                                              .group(1).split(","))
        self.delay, self.since, self.finishing = self.first, None, False

    def next(self, status: dict | None) -> float:
        now = time.perf_counter() * 1000
        counted = bool(status and status.get("total"))
        if counted and self.since is None:
            self.since = (now, status["done"])
        if counted and status["done"] >= status["total"] and not self.finishing:
            self.finishing, self.delay = True, self.first
        wait = self.delay
        if not self.finishing:
            self.delay = min(self.delay * self.growth, self.most)
        if counted and self.since[1] < status["done"] < status["total"]:
            left = (status["total"] - status["done"]) * (now - self.since[0]) / (status["done"] - self.since[1])
            wait = min(wait, max(self.first, left))
        return wait / 1000


def jobs_ran(log: Path) -> list[float]:
    """Seconds the worker took to run each job so far, from its log: Huey's "run_job: … executed in 2.003s" (the
    job's own row keeps whole seconds only)."""
    return [float(s) for s in re.findall(r"run_job: \S+ executed in ([\d.]+)s", log.read_text(errors="replace"))]


def job_ran(log: Path, before: int) -> float | None:
    """The time of the job after the first `before` ones: Huey logs it just after the job's row says done, so the
    poll that saw it done may come first; waits for the line up to 2 s."""
    for _ in range(40):
        ran = jobs_ran(log)
        if len(ran) > before:
            return ran[before]
        time.sleep(0.05)
    return None


def export_through_job(client, worker_pid, poll=None, log=None):
    """Start the export, poll until done (as the job's page does, or every `poll` s), download. Returns (seconds,
    worker peak increase KB, rows, slowest request, bytes, rows counted by the job, polls). With the worker's log,
    prints how much of the time the job ran, and the rest (the start request, the queue, the poll that saw it done)."""
    client.timings.clear()
    jobs_before = len(jobs_ran(log)) if log is not None else 0
    Path(f"/proc/{worker_pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    idle = rss_kb(worker_pid)
    cpu_before, sched_before = cpu_seconds(worker_pid), schedstats(worker_pid)
    # A GET of the export's address answers the page whose button POSTs with the CSRF token; the job starts then.
    _status, _headers, offer = client.request("GET", "/applications/export.xlsx")
    token = re.search(r'name="csrf_token" value="([^"]+)"', offer.decode()).group(1)
    started = time.perf_counter()
    status, headers, _ = client.request("POST", "/applications/export.xlsx",
                                        body=urllib.parse.urlencode({"csrf_token": token}),
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    if status != 302:
        raise SystemExit(f"export start answered {status}")
    page = urllib.parse.urlsplit(headers["Location"]).path
    # The browser follows the redirect to the job's page, whose script then polls on the page's schedule.
    _status, _headers, html = client.request("GET", page)
    schedule = PageSchedule(html.decode()) if poll is None else None
    seen, polls = None, 0
    while True:
        time.sleep(schedule.next(seen) if schedule is not None else poll)
        polls += 1
        status, _, body = client.request("GET", page + ".json")
        seen = json.loads(body)
        if seen["state"] in ("done", "failed"):
            break
    seconds = time.perf_counter() - started
    peak = rss_kb(worker_pid, "VmHWM") - idle
    cpu = cpu_seconds(worker_pid) - cpu_before
    waited = job_thread_waited(sched_before, schedstats(worker_pid))
    if seen["state"] != "done":
        raise SystemExit(f"job failed: {seen}")
    ran = job_ran(log, jobs_before) if log is not None else None
    if ran is not None:
        print(f"  the worker ran the job {ran:.2f} s of {seconds:.2f} s; the rest {seconds - ran:.2f} s (the start "
              "request, the queue, the poll that saw it done)", flush=True)
    status, _, data = client.request("GET", page + "/download")
    from openpyxl import load_workbook
    import io

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = workbook.worksheets[0].max_row - 1
    workbook.close()
    if rows != seen["total"]:
        print(f"  warning: {rows} rows in the file, {seen['total']} counted by the job")
    slowest = max(client.timings)
    return seconds, peak, rows, slowest, len(data), seen["total"], polls, cpu, waited


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--poll", type=float, default=None,
                        help="poll the job's status every POLL s instead of on the job page's own schedule")
    parser.add_argument("--keep", action="store_true",
                        help="with --database-url: reuse the applications already there (no new setup) and keep them")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="bench-export-"))
    url = args.database_url or f"sqlite:///{tmp / 'app.db'}"
    env = {**os.environ, "INSTANCE_DIR": str(tmp / "instance"), "UPLOAD_DIR": str(tmp / "uploads"),
           "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-0123456789abcdef0123", "FLASK_APP": "run.py",
           "DEMO_PASSWORD": PASSWORD, "JOBS_WORKERS": "1"}
    env.pop("REDIS_URL", None)
    existing = 0
    if args.database_url:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.database_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            if args.keep:
                found = connection.execute(text("SELECT to_regclass('application') IS NOT NULL")).scalar()
                existing = connection.execute(text("SELECT count(*) FROM application")).scalar() if found else 0
            if not existing:
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    processes = []
    try:
        if existing:
            print(f"reusing {url.split('@')[-1]}: {existing} applications (--keep)", flush=True)
        else:
            print(f"setting up {url.split('@')[-1]} …", flush=True)
            flask(env, "deploy")
            flask(env, "demo", "load")
            make_city_account(env)
        port = free_port()
        log = open(tmp / "servers.log", "wb")
        gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"{HOST}:{port}", "--workers", "2", "run:app"],
                                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        worker = subprocess.Popen([str(BIN / "flask"), "jobs", "worker", "--workers", "1"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        processes += [gunicorn, worker]
        client = Client(port)
        for _ in range(100):
            try:
                log_in(client, "bench_city")
                break
            except (ConnectionRefusedError, OSError):
                time.sleep(0.3)
        generated, lines, warmed = existing, [], False
        for size in sizes:
            if existing and size < existing and size != sizes[-1]:
                continue  # --keep: the database already holds more; measured at the next size
            t0 = time.perf_counter()
            while generated < size:
                batch = min(size - generated, 50_000)
                flask(env, "demo", "generate", "--applications", str(batch), *(["--force"] if generated else []))
                generated += batch
            analyze(url)
            print(f"generated {generated} applications ({time.perf_counter() - t0:.0f} s, then ANALYZE)", flush=True)
            if not warmed:
                # A worker runs for days: its first job also pays for what the process loads once (modules, compiled
                # statements and templates, translations). Shown, not in the ratio; the bare process's timer starts
                # after its imports too.
                first = export_through_job(client, worker.pid, args.poll, tmp / "servers.log")
                print(f"  first job of the fresh worker (warm-up, not in the ratio): {first[0]:.1f} s, "
                      f"worker CPU {first[7]:.1f} s", flush=True)
                emit(f"export {first[2]} rows: first job of a fresh worker", round(first[0], 1), "s")
                warmed = True
            seconds, peak, rows, slowest, size_bytes, total, polls, cpu, waited = export_through_job(
                client, worker.pid, args.poll, tmp / "servers.log")
            bare = subprocess.run([str(BIN / "python"), "-c", BARE, url, str(tmp / "bare.xlsx")], cwd=ROOT, env=env,
                                  capture_output=True, text=True, check=True).stdout.split()
            bare_rows, bare_seconds, bare_peak, bare_cpu = int(bare[0]), float(bare[1]), int(bare[2]), float(bare[3])
            bare_waited = float(bare[4])
            how = f"every {args.poll:g} s" if args.poll else "as the job's page does"
            print(f"  job: {rows} rows ({total} counted), {seconds:.1f} s (start to done, {polls} polls {how}), "
                  f"file {size_bytes / 1e6:.1f} MB, worker peak +{peak / 1024:.1f} MB over idle, worker CPU {cpu:.1f} s")
            print(f"  bare xlsxwriter: {bare_rows} rows, {bare_seconds:.1f} s, process peak {bare_peak / 1024:.1f} MB, "
                  f"CPU {bare_cpu:.1f} s")
            print(f"  waiting for a CPU (runnable, not running): worker's job thread {waited:.1f} s, "
                  f"bare {bare_waited:.1f} s")
            print(f"  requests: {len(client.timings)}, slowest {slowest[0] * 1000:.0f} ms ({slowest[1]} {slowest[2]})")
            # To the hundredth: the table's ratio is worked out from these, and 2.33 / 1.75 s (1.33) rounded to the
            # tenth read 2.3 / 1.8 (1.28).
            emit(f"export {rows} rows: job, start to done", round(seconds, 2), "s", baseline=round(bare_seconds, 2),
                 goal="ratio<=1.3")
            # CPU time of the worker vs the bare process (the database's own work left out of both): steadier than
            # wall time on a shared machine, where the two runs can meet different loads.
            emit(f"export {rows} rows: job worker CPU", round(cpu, 2), "s", baseline=round(bare_cpu, 2))
            # Wall time less the time spent runnable but waiting for a CPU: what a quiet machine would show. Other
            # engineers' tests come and go within one run, so either side can wait 0.1 s or 13 s for its share.
            emit(f"export {rows} rows: job less CPU waits", round(seconds - waited, 2), "s",
                 baseline=round(bare_seconds - bare_waited, 2))
            emit(f"export {rows} rows: worker peak RSS over idle", round(peak / 1024, 1), "MB")
            emit(f"export {rows} rows: slowest web request", round(slowest[0] * 1000), "ms", goal="value<=5000")
            lines.append(f"export {rows}: job {seconds:.1f} s, bare {bare_seconds:.1f} s, "
                         f"ratio {seconds / bare_seconds:.2f} (CPU {cpu:.1f} / {bare_cpu:.1f} s), worker peak +{peak / 1024:.1f} MB, "
                         f"slowest request {slowest[0] * 1000:.0f} ms")
        print("\n".join(lines))
        if any(float(re.search(r"slowest request (\d+)", line).group(1)) > 5000 for line in lines):
            print("FAIL: a request took longer than 5 s")
            sys.exit(1)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
