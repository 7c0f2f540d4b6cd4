"""bench/run_all.py (`make bench`): fake bench scripts in, one table out — BENCH lines judged against their goals, the
spike line read, a missing script "not present", a crash or a hang "FAILED", and nothing else stopped by them."""
import json
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import benchline  # noqa: E402
import run_all  # noqa: E402


@pytest.fixture
def fake_root(tmp_path):
    (tmp_path / "bench").mkdir()

    def script(name: str, body: str) -> run_all.Bench:
        (tmp_path / "bench" / f"{name}.py").write_text(textwrap.dedent(body))
        return run_all.Bench(name, f"bench/{name}.py", quick=["--small"])

    script.root = tmp_path
    return script


def run(fake_root, benches, *argv, capsys):
    code = run_all.main(["--log-dir", str(fake_root.root / "logs"), *argv], benches=benches, root=fake_root.root)
    out = capsys.readouterr().out
    return code, out, out[out.index("bench "):]  # the table, from its header on


def row(table: str, figure: str) -> list[str]:
    (line,) = [text for text in table.splitlines() if f"  {figure}  " in text]
    return line.split()


def test_bench_lines_become_rows_with_ratio_and_verdict(fake_root, capsys):
    fast = fake_root("fast", f"""
        import sys
        print("human output first")
        print({benchline.line("list p95, street clerk", 42.0, "ms", baseline=30.0, goal="ratio<=1.5")!r})
        print({benchline.line("export 100k", 100.0, "s", baseline=50.0, goal="ratio<=1.3")!r})
        print({benchline.line("lost", 0, goal="value==0")!r})
        print({benchline.line("statements", 11)!r})
        print("quick" if "--small" in sys.argv else "full")
    """)
    code, out, table = run(fake_root, [fast], capsys=capsys)
    assert code == 0
    assert row(table, "list p95, street clerk")[-7:] == ["42.0", "ms", "30.0", "ms", "1.40×", "ratio<=1.5", "ok"]
    assert row(table, "export 100k")[-3:] == ["2.00×", "ratio<=1.3", "MISSED"]
    assert row(table, "lost")[-3:] == ["0", "value==0", "ok"]
    assert row(table, "statements")[-2:] == ["11", "—"]
    # The whole output of the script is in its log, and a full run passes no quick arguments.
    log = (fake_root.root / "logs" / "fast.log").read_text()
    assert log.startswith("human output first\n") and log.rstrip().endswith("full")


def test_strict_fails_on_a_missed_goal_and_quick_passes_the_scripts_small_sizes(fake_root, capsys):
    slow = fake_root("slow", f"""
        import sys, os
        assert "--small" in sys.argv and os.environ["BENCH_QUICK"] == "1"
        print({benchline.line("export 100k", 100.0, "s", baseline=50.0, goal="ratio<=1.3")!r})
    """)
    code, _, table = run(fake_root, [slow], "--quick", "--strict", capsys=capsys)
    assert code == 1 and row(table, "export 100k")[-1] == "MISSED"


def test_missing_failing_and_silent_scripts_are_reported_not_raised(fake_root, capsys):
    absent = run_all.Bench("list_view", "bench/list_view.py")
    crash = fake_root("crash", f"""
        print({benchline.line("before the crash", 1.5, "s")!r})
        raise SystemExit(3)
    """)
    plain = fake_root("plain", """
        print("setup done")
        print("assign: 3000 applications, 60 experts, 2.69 s, conflicts=3371, spread=0")
        print("")
    """)
    broken = fake_root("broken", """
        print('BENCH {"figure": "no value"}')
        print('BENCH not json')
    """)
    code, out, table = run(fake_root, [absent, crash, plain, broken], capsys=capsys)
    assert code == 1  # a crash fails make bench
    (absent_line,) = [t for t in table.splitlines() if t.startswith("list_view")]
    assert absent_line.count("not present") == 2
    assert row(table, "before the crash")[-3:] == ["1.50", "s", "—"]
    (crash_line,) = [t for t in table.splitlines() if "exit code 3" in t]
    assert crash_line.rstrip().endswith("FAILED") and "crash.log" in crash_line
    (plain_line,) = [t for t in table.splitlines() if t.startswith("plain")]
    assert "last line (no BENCH line)" in plain_line and "spread=0" in plain_line
    assert table.count("unreadable BENCH line") == 2


def test_a_hanging_script_is_stopped_at_the_timeout(fake_root, capsys):
    hang = fake_root("hang", f"""
        import time
        print({benchline.line("first figure", 7, "ms")!r}, flush=True)
        time.sleep(60)
    """)
    after = fake_root("after", f"""
        print({benchline.line("still runs", 1)!r})
    """)
    code, _, table = run(fake_root, [hang, after], "--timeout", "3", capsys=capsys)
    assert code == 1
    assert row(table, "first figure")[-3:] == ["7", "ms", "—"]
    assert "timed out after 3 s" in table
    assert row(table, "still runs")[-1] == "—"


def test_the_spike_line_of_issue_11_is_read_with_its_goals(fake_root, capsys):
    spike = fake_root("spike", """
        print("kind   count  p95")
        print("spike: 200 accepted, lost=0, duplicated=1, late_accepted=0, errors_5xx=0, p95=1240 ms")
    """)
    _, _, table = run(fake_root, [spike], capsys=capsys)
    assert row(table, "accepted submissions")[-2:] == ["200", "—"]
    assert row(table, "duplicated")[-2:] == ["value==0", "MISSED"]
    assert row(table, "lost")[-2:] == ["value==0", "ok"]
    assert row(table, "p95")[-3:] == ["ms", "value<1000", "MISSED"]


def test_only_runs_the_named_benches_and_json_keeps_the_rows(fake_root, capsys, tmp_path):
    one = fake_root("one", f"print({benchline.line('figure one', 1)!r})\n")
    two = fake_root("two", "raise SystemExit('must not run')\n")
    out_json = tmp_path / "rows.json"
    code, _, table = run(fake_root, [one, two], "--only", "one", "--json", str(out_json), capsys=capsys)
    assert code == 0 and "two" not in table
    assert json.loads(out_json.read_text()) == [{"bench": "one", "figure": "figure one", "value": 1, "unit": "",
                                                 "baseline": None, "ratio": None, "goal": "", "verdict": "—"}]


@pytest.mark.parametrize("goal, value, ratio, expected", [
    ("ratio<=1.5", 10, 1.5, "ok"), ("ratio<=1.5", 10, 1.51, "MISSED"), ("value<1000", 999.9, None, "ok"),
    ("value==0", 1, None, "MISSED"), ("value>=3", 3, None, "ok"), ("ratio<=1.5", 10, None, "?"),
    ("faster please", 1, 1, "?"), ("", 1, 1, "—"),
])
def test_verdicts(goal, value, ratio, expected):
    assert run_all.verdict(goal, value, ratio) == expected


def test_every_script_that_exists_prints_bench_lines():
    """The contract, checked on the scripts themselves: each one in BENCHES that exists emits BENCH lines."""
    for bench in run_all.BENCHES:
        path = ROOT / bench.script
        if path.is_file() and bench.name in ("upload", "assign", "public_pages", "bulk_steps"):
            assert "emit(" in path.read_text(), bench.script
