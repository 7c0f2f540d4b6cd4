"""bench/export.py polls the job's status as the job's page does (static/js/job-progress.js): the same waits as
tests/browser/test_jobs.py asserts in Chromium, from the page's data-poll and the answers."""
import importlib.util
import sys
from pathlib import Path

import pytest

from app import jobs


@pytest.fixture(scope="module")
def export_bench():
    bench = Path(__file__).resolve().parent.parent / "bench"
    spec = importlib.util.spec_from_file_location("bench_export", bench / "export.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(bench))  # as when it runs as a script: its neighbours (benchline, harness) import by name
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(bench))
    return module


def test_the_bench_waits_between_polls_as_the_job_page_does(export_bench, monkeypatch):
    page = f'<div data-poll="{jobs.POLL_FIRST_MS},{jobs.POLL_GROWTH},{jobs.POLL_MAX_MS}">'
    schedule = export_bench.PageSchedule(page)
    now = [1000.0]  # seconds on the bench's clock
    monkeypatch.setattr(export_bench.time, "perf_counter", lambda: now[0])
    waits = [schedule.next(None)]
    for done, state in ((10, "running"), (110, "running"), (910, "running"), (1000, "running")):
        now[0] += waits[-1]
        waits.append(schedule.next({"state": state, "done": done, "total": 1000}))
    # The schedule (200 ms, 300 ms, 450 ms), then 200 ms where it says 675: 90 rows left at 900 rows in 750 ms; then
    # 200 ms again once every row is done.
    assert [round(w, 3) for w in waits] == [0.2, 0.3, 0.45, 0.2, 0.2]
    # A job that reports no total is asked about on the schedule alone, up to once a second.
    plain = export_bench.PageSchedule(page)
    assert [round(plain.next({"state": "running", "done": 0, "total": None}), 3) for _ in range(6)] == \
        [0.2, 0.3, 0.45, 0.675, 1.0, 1.0]
