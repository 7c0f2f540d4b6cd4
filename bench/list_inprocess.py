"""The review list (/applications/list/) timed in-process, without gunicorn or wrk: median wall and CPU time of N
requests per role (city office, district clerk, street clerk) against the floor route of bench/list_view_app.py,
and the statements per page; --profile writes a pyinstrument profile per role instead (pip install pyinstrument).

    DATABASE_URL=postgresql://…/bench_x .venv/bin/python bench/list_inprocess.py [--requests 30] [--url PATH]
                                                                               [--profile DIR]

Run from the checkout to measure (another one, e.g. main for "before", with PYTHONDONTWRITEBYTECODE=1). The database
must hold generated applications (`flask deploy`, then `flask demo generate --applications N`)."""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.getcwd())
sys.path.insert(0, os.path.join(os.getcwd(), "bench"))

from list_view_app import app, setup  # noqa: E402

PASSWORD = "Bench@2026list"


def timed(client, url, n):
    wall, cpu = [], []
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        assert client.get(url).status_code == 200
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--url", default="/applications/list/")
    parser.add_argument("--profile")
    args = parser.parse_args()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        made = setup(PASSWORD)
    print("role  rows   page ms  floor ms  ratio  page cpu  floor cpu  cpu ratio  statements")
    for who in ("city", "l1", "l2"):
        client = app.test_client()
        client.post("/login/", data={"username": made[who]["username"], "password": PASSWORD})
        statements = [client.get(args.url).headers.get("X-Bench-Statements") for _ in range(4)][-1]
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(args.requests):
                    client.get(args.url)
            path = os.path.join(args.profile, f"list_{who}.txt")
            with open(path, "w") as out:
                out.write(profiler.output_text(unicode=True, color=False, show_all=True))
            print(f"{who}: {path}")
            continue
        page, page_cpu = timed(client, args.url, args.requests)
        floor, floor_cpu = timed(client, f"/bench-floor/?scope={who}&unit={made[who]['unit'] or ''}", args.requests)
        print(f"{who:5} {made[who]['rows']:6} {page:8.1f} {floor:9.1f} {page / floor:6.2f} {page_cpu:9.1f}"
              f" {floor_cpu:10.1f} {page_cpu / floor_cpu:10.2f}  {statements}")


if __name__ == "__main__":
    main()
