"""The one machine-readable line a bench script prints per figure, for bench/run_all.py (contract: bench/README.md).

    from benchline import emit          # bench/ is on sys.path when a script runs as `python bench/NAME.py`
    emit("list p95, street clerk, first page", 41.7, "ms", baseline=30.2, goal="ratio<=1.5")

prints `BENCH {"figure": …, "value": 41.7, "unit": "ms", "baseline": 30.2, "goal": "ratio<=1.5"}` on stdout.
"""
import json
import sys


def line(figure: str, value, unit: str = "", baseline=None, goal: str | None = None) -> str:
    record = {"figure": figure, "value": value}
    if unit:
        record["unit"] = unit
    if baseline is not None:
        record["baseline"] = baseline
    if goal:
        record["goal"] = goal
    return "BENCH " + json.dumps(record, ensure_ascii=False)


def emit(figure: str, value, unit: str = "", baseline=None, goal: str | None = None) -> None:
    print(line(figure, value, unit, baseline, goal), file=sys.stdout, flush=True)
