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
    for done, state in ((10, "running"), (110, "running"), (910, "running"), (1000, "running"), (1000, "running"),
                        (1000, "running")):
        now[0] += waits[-1]
        waits.append(schedule.next({"state": state, "done": done, "total": 1000}))
    # The schedule (200 ms, 300 ms, 450 ms), then 200 ms where it says 675: 90 rows left at 900 rows in 750 ms; then
    # every 200 ms once every row is done (only the file is left to finish).
    assert [round(w, 3) for w in waits] == [0.2, 0.3, 0.45, 0.2, 0.2, 0.2, 0.2]
    # A job that reports no total is asked about on the schedule alone, up to once a second.
    plain = export_bench.PageSchedule(page)
    assert [round(plain.next({"state": "running", "done": 0, "total": None}), 3) for _ in range(6)] == \
        [0.2, 0.3, 0.45, 0.675, 1.0, 1.0]


def test_the_bare_baseline_writes_the_same_kinds_of_cells_as_the_export(export_bench, app, tmp_path):
    """The baseline is the same cells with raw values: a date where the export writes a date (SQLite stores dates as
    text, and untyped they came out as text cells, cheaper than the export's), a blank where it leaves a cell out, text
    elsewhere. Compared cell by cell as type and number format, on SQLite and PostgreSQL alike."""
    import subprocess
    from datetime import date, datetime

    from openpyxl import load_workbook

    from app import exports, roles
    from app.extensions import db
    from tests import factories

    district, (street, _other) = factories.district_with_streets()
    city = factories.account(roles.CITY_OFFICE)
    factories.application(unit=street, name="王芳", birth_date=date(1975, 12, 31),
                          submitted_at=datetime(2026, 4, 28, 9, 59, 59), deeds="组织读书会")
    factories.application(unit=street, name="李雷", birth_date=None, mobile=None, position=None,
                          submitted_at=datetime(2026, 4, 29, 10, 0))
    db.session.commit()
    ours, bare = tmp_path / "ours.xlsx", tmp_path / "bare.xlsx"
    exports.write_applications(exports.entries(exports.export_query(city)), str(ours), full_numbers=False)
    subprocess.run([sys.executable, "-c", export_bench.BARE, app.config["SQLALCHEMY_DATABASE_URI"], str(bare)],
                   check=True, capture_output=True)

    def kinds(path):
        workbook = load_workbook(path)  # not read-only: the number formats too
        rows = [[(cell.data_type, cell.number_format) for cell in row] for row in workbook.worksheets[0].iter_rows()]
        workbook.close()
        return rows

    written = kinds(ours)
    assert written[1][3] == ("d", "yyyy-mm-dd") and written[1][13] == ("d", "yyyy-mm-dd hh:mm:ss")
    assert kinds(bare) == written
