"""Benchmark: the review list (评审推荐, /applications/list/) at 100,000 applications on PostgreSQL, against its floor.

    .venv/bin/python bench/list_view.py [--applications 100000] [--keep] [--requests 40] [--duration 10]
                                        [--code DIR] [--database bench_list]

Starts what it needs: a PostgreSQL database (`--database`, created, migrated with `flask deploy` and filled with
`flask demo generate --applications N`, dropped at the end unless --keep; with --keep an existing one that holds
the applications is reused), gunicorn with 2 sync workers serving bench/list_view_app.py (the real app plus the
floor route, same workers), wrk (Debian's package, installed with apt-get when absent).

For the city office, a district (一级单位) clerk and a street (二级单位) clerk, signed in with a session cookie:
the first page, a deep page (the last but one) and a filtered page (status = reported). For each: median and p95 of
--requests sequential requests of the page and of its floor (the same 25 rows of the same scope by bare SQL and a
trivial template, with the same cookie), requests/s under wrk (2 threads, 4 connections, --duration s) against
both (and, for comparison only, against the floor without a cookie: no sign-in at all), the ratios page/floor,
the SQL statements the page sent and the worker's CPU time per request (median; the database's is not in it).
One table, then a one-line summary.

--code DIR serves another checkout (e.g. /work/main, for the figures before a change) with the same wrapper; its
migrations must be the database's (run it first, on a fresh database, before this checkout's migrations).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from benchline import emit  # bench/ is sys.path[0] when this runs as a script

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
PASSWORD = "Bench@2026list"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-At", "-d"]
PG = [*PSQL, "postgres", "-c"]


def sh(*args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs).stdout.strip()


def ensure_wrk() -> str:
    if shutil.which("wrk") is None:
        print("installing wrk (apt-get)", file=sys.stderr)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk")


def prepare_database(args, env) -> None:
    exists = sh(*PG, f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'") == "1"
    if exists and args.keep:
        count = sh(*PSQL, args.database, "-c", "SELECT count(*) FROM application")
        if int(count or 0) >= args.applications:
            print(f"reusing {args.database}: {count} applications", file=sys.stderr)
            sh(PYTHON, "-m", "flask", "--app", "run.py", "deploy", cwd=args.code, env=env)
            return
    if exists:
        sh(*PG, f'DROP DATABASE "{args.database}"')
    sh(*PG, f'CREATE DATABASE "{args.database}"')
    print(f"generating {args.applications} applications (minutes)", file=sys.stderr)
    started = time.perf_counter()
    sh(PYTHON, "-m", "flask", "--app", "run.py", "deploy", cwd=args.code, env=env)
    sh(PYTHON, "-m", "flask", "--app", "run.py", "demo", "generate", "--applications", str(args.applications),
       cwd=args.code, env=env)
    print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args, env, port):
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--chdir", str(args.code), "--pythonpath", str(BENCH), "--workers", "2",
         "--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--timeout", "120", "list_view_app:app"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=30)
            return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def sign_in(base, username) -> str:
    session = requests.Session()
    page = session.get(base + "/login/").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    data = {"username": username, "password": PASSWORD, **({"csrf_token": token.group(1)} if token else {})}
    answer = session.post(base + "/login/", data=data, allow_redirects=False)
    if answer.status_code != 302 or "session" not in session.cookies:
        raise SystemExit(f"sign-in of {username} failed: {answer.status_code}")
    return session.cookies["session"]


def timed(session, url, n):
    times, cpu, statements = [], [], None
    for _ in range(n):
        started = time.perf_counter()
        answer = session.get(url, allow_redirects=False)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{url}: {answer.status_code}")
        statements = int(answer.headers.get("X-Bench-Statements", "-1"))
        cpu.append(float(answer.headers.get("X-Bench-CPU-ms", "nan")))
    times.sort()
    return (statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)], statements,
            statistics.median(cpu))


def wrk_rps(wrk, url, cookie, duration) -> float:
    headers = ["-H", f"Cookie: session={cookie}"] if cookie else []
    out = sh(wrk, "-t2", "-c4", f"-d{duration}s", *headers, url)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk {url}: {non2xx.group(1)} answers not 2xx")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it holds the applications; keep it")
    parser.add_argument("--requests", type=int, default=40, help="sequential requests per page (median, p95)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page and floor")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--database", default="bench_list")
    args = parser.parse_args()
    args.code = args.code.resolve()
    wrk = ensure_wrk()
    instance = Path(f"/tmp/{args.database}-instance")
    instance.mkdir(exist_ok=True)
    env = {**os.environ, "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.database}",
           "INSTANCE_DIR": str(instance), "SECRET_KEY": "bench-list-view-secret-key-0123456789abcdef",
           "FLASK_APP": "run.py"}
    prepare_database(args, env)
    accounts = json.loads(sh(PYTHON, str(BENCH / "list_view_app.py"), "setup", PASSWORD, cwd=args.code, env=env)
                          .splitlines()[-1])
    port = free_port()
    server = start_gunicorn(args, env, port)
    base = f"http://127.0.0.1:{port}"
    rows, summary = [], []
    try:
        for who, label in (("city", "市学习办"), ("l1", "一级单位"), ("l2", "二级单位")):
            account = accounts[who]
            cookie = sign_in(base, account["username"])
            session = requests.Session()
            session.cookies.set("session", cookie)
            deep = max(0, (account["rows"] - 1) // 25 - 1)
            floor = f"{base}/bench-floor/?scope={who}&unit={account['unit'] or ''}"
            for page, query, floor_query in (("first", "", ""), (f"deep p{deep}", f"?page_ApplicationView={deep}",
                                             f"&page={deep}"), ("status", "?_flt_0_status=reported", "&status=reported")):
                url = f"{base}/applications/list/{query}"
                timed(session, url, 2), timed(session, floor + floor_query, 2)  # warm both workers
                median, p95, statements, cpu = timed(session, url, args.requests)
                f_median, f_p95, _, f_cpu = timed(session, floor + floor_query, args.requests)
                rps = wrk_rps(wrk, url, cookie, args.duration)
                # The floor as its latency is measured: signed in with the same cookie (the scope is the user's).
                f_rps = wrk_rps(wrk, floor + floor_query, cookie, args.duration)
                # And without the cookie (no sign-in at all), printed beside it: runs before 2026-12-01 compared the
                # page with this one under wrk, though bench/README.md said "with the cookie".
                anon_rps = wrk_rps(wrk, floor + floor_query, None, args.duration)
                rows.append((label, page, account["rows"], median, p95, f_median, f_p95, median / f_median, rps,
                             f_rps, f_rps / rps, statements, cpu, f_cpu, anon_rps))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
        if not args.keep:
            sh(*PG, f'DROP DATABASE "{args.database}" WITH (FORCE)')
    print(f"review list at {accounts['city']['rows']:,} applications, code {args.code}, gunicorn 2 sync workers, "
          f"{args.requests} sequential requests, wrk -t2 -c4 -d{args.duration}s")
    header = ("role", "page", "rows", "med ms", "p95 ms", "floor med", "floor p95", "× lat", "req/s", "floor req/s",
              "× req/s", "SQL", "cpu ms", "floor cpu", "× cpu", "anon floor req/s", "×")
    print("{:<6} {:<10} {:>7} {:>7} {:>7} {:>9} {:>9} {:>6} {:>7} {:>11} {:>7} {:>4} {:>6} {:>9} {:>5} {:>16} {:>5}"
          .format(*header))
    for r in rows:
        print("{:<6} {:<10} {:>7} {:>7.1f} {:>7.1f} {:>9.1f} {:>9.1f} {:>6.2f} {:>7.1f} {:>11.1f} {:>7.2f} {:>4}"
              " {:>6.1f} {:>9.1f} {:>5.2f} {:>16.1f} {:>5.2f}".format(*r[:14], r[12] / r[13], r[14], r[14] / r[8]))
    for r in rows:  # the BENCH lines make bench's table reads (bench/README.md)
        emit(f"list {r[0]} {r[1]}: median", round(r[3], 1), "ms", baseline=round(r[5], 1), goal="ratio<=1.5")
        emit(f"list {r[0]} {r[1]}: req/s", round(r[8], 1), "req/s", baseline=round(r[9], 1), goal="ratio>=0.67")
        emit(f"list {r[0]} {r[1]}: req/s, floor without sign-in", round(r[8], 1), "req/s",
             baseline=round(r[14], 1))
        emit(f"list {r[0]} {r[1]}: SQL statements", r[11], goal="value<=15")
        emit(f"list {r[0]} {r[1]}: worker CPU", round(r[12], 1), "ms", baseline=round(r[13], 1))
    worst_latency = max(rows, key=lambda r: r[7])
    worst_rps = max(rows, key=lambda r: r[10])
    print(f"list_view: worst latency ratio {worst_latency[7]:.2f}× floor ({worst_latency[0]} {worst_latency[1]}), "
          f"worst req/s ratio {worst_rps[10]:.2f}× ({worst_rps[0]} {worst_rps[1]}), "
          f"{min(r[11] for r in rows)}–{max(r[11] for r in rows)} SQL statements per page; goal ≤ 1.5×")


if __name__ == "__main__":
    main()
