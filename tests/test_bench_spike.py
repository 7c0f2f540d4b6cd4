"""bench/spike.py's verdict: what each citizen's client saw against what the database holds. The load run itself
takes minutes (PostgreSQL, Redis, gunicorn, locust); this checks the judgement that ends it."""
import importlib.util
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

DEADLINE = datetime(2027, 4, 30, 23, 59, 59)
CLOSED = "「在线报名」阶段已于 2027-04-30 23:59:59 截止，过期无效：报名信息不能再保存、修改或提交。"


@pytest.fixture(scope="module")
def spike():
    bench = Path(__file__).resolve().parent.parent / "bench"
    spec = importlib.util.spec_from_file_location("bench_spike", bench / "spike.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(bench))  # as when it runs as a script: its neighbours (harness.py) import by name
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(bench))
    return module


def submitted(at=DEADLINE, events=1):
    return {"status": "submitted", "submitted_at": at, "submit_events": events}


def draft():
    return {"status": "draft", "submitted_at": None, "submit_events": 0}


def test_a_clean_spike_has_nothing_to_report(spike):
    verdict = spike.verify(
        {"a": {"result": "accepted"}, "b": {"result": "refused", "message": CLOSED}, "c": {"result": "refused",
                                                                                         "message": CLOSED}},
        {"a": [submitted(DEADLINE)], "b": [draft()]},  # c never got as far as a draft
        DEADLINE,
    )
    assert (verdict.accepted, verdict.refused, verdict.problems()) == (1, 2, 0)


def test_each_way_of_failing_is_counted_where_it_belongs(spike):
    verdict = spike.verify(
        {
            "lost": {"result": "accepted"},
            "twice": {"result": "accepted"},
            "late": {"result": "accepted"},
            "late_unseen": {"result": "error", "message": "ReadTimeout"},
            "stored_anyway": {"result": "refused", "message": CLOSED},
            "vague": {"result": "refused", "message": "HTTP 400 请求有误"},
        },
        {
            "lost": [draft()],
            "twice": [submitted(events=2)],
            "late": [submitted(DEADLINE + timedelta(seconds=1))],
            "late_unseen": [submitted(DEADLINE + timedelta(seconds=3))],
            "stored_anyway": [submitted()],
            "vague": [draft()],
            "silent": [draft()],  # its client never reported back
        },
        DEADLINE,
    )
    assert verdict.lost == ["lost"]
    assert verdict.duplicated == ["twice"]
    assert verdict.late_accepted == ["late", "late_unseen"]
    assert verdict.refused_stored == ["stored_anyway"]
    assert verdict.unclear == ["late_unseen", "silent", "vague"]
    assert verdict.unanswered == 1 and verdict.accepted == 3


def test_p95_is_the_nearest_rank(spike):
    assert spike.percentile(list(range(1, 101)), 0.95) == 95
    assert spike.percentile([5], 0.95) == 5 and spike.percentile([], 0.95) == 0
