#!/usr/bin/env python
"""`make bench`: runs every bench script in turn and prints one table of their figures.

    .venv/bin/python bench/run_all.py [--quick] [--only NAME,NAME] [--timeout S] [--verbose] [--json FILE]

Each script runs as its own subprocess from the repository root (it starts and removes what it needs); its whole
output goes to a log file, and its `BENCH {json}` lines (bench/README.md, bench/benchline.py) become the table's
rows: bench, figure, value, baseline, ratio, goal, verdict. A script that is not there is reported "not present", one
that fails or runs out of time "FAILED" with its log; a script without BENCH lines shows its last line. Exit code 1
when a script failed (and with --strict when a goal was missed), else 0.
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Bench:
    name: str
    script: str  # relative to the repository root
    args: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)  # arguments for --quick (smaller sizes, same figures)


# In the order they run: the heavy PostgreSQL ones first, while the machine is fresh.
BENCHES = [
    Bench("list_view", "bench/list_view.py",
          quick=["--applications", "20000", "--requests", "10", "--duration", "3"]),
    Bench("spike", "bench/spike.py", quick=["--users", "50"]),
    Bench("export", "bench/export.py", quick=["--sizes", "10000"]),
    Bench("upload", "bench/upload.py", quick=["--repeat", "1"]),
    Bench("assign", "bench/assign.py", quick=["--applications", "600", "--experts", "20"]),
    Bench("public_pages", "bench/public_pages.py", quick=["--repeat", "5"]),
    Bench("bulk_steps", "bench/bulk_steps.py", quick=["--repeat", "1"]),
]

PREFIX = "BENCH "
_GOAL = re.compile(r"^\s*(value|ratio)\s*(<=|>=|==|<|>)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$")
# The last line bench/spike.py prints (issue 11), read when the script prints no BENCH lines.
_SPIKE = re.compile(r"^spike: (\d+) accepted, lost=(\d+), duplicated=(\d+), late_accepted=(\d+), "
                    r"errors_5xx=(\d+), p95=([0-9.]+) ?ms")


@dataclass
class Row:
    bench: str
    figure: str
    value: object = None
    unit: str = ""
    baseline: object = None
    ratio: float | None = None
    goal: str = ""
    verdict: str = "—"

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("bench", "figure", "value", "unit", "baseline", "ratio", "goal",
                                              "verdict")}


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def verdict(goal: str, value, ratio) -> str:
    """'ok' or 'MISSED' against a goal such as `ratio<=1.5` or `value==0`; '—' without one, '?' if unreadable."""
    if not goal:
        return "—"
    match = _GOAL.match(goal)
    if not match:
        return "?"
    subject, op, limit = match.group(1), match.group(2), float(match.group(3))
    x = value if subject == "value" else ratio
    if not _number(x):
        return "?"
    met = {"<=": x <= limit, ">=": x >= limit, "==": x == limit, "<": x < limit, ">": x > limit}[op]
    return "ok" if met else "MISSED"


def row_from_record(bench: str, record: dict) -> Row:
    value, baseline = record.get("value"), record.get("baseline")
    ratio = record.get("ratio")
    if not _number(ratio):
        ratio = value / baseline if _number(value) and _number(baseline) and baseline else None
    goal = str(record.get("goal") or "")
    return Row(bench=str(record.get("bench") or bench), figure=str(record.get("figure") or "?"), value=value,
               unit=str(record.get("unit") or ""), baseline=baseline, ratio=ratio, goal=goal,
               verdict=verdict(goal, value, ratio))


def parse(bench: str, lines: list[str]) -> list[Row]:
    """The rows of one script's output: its BENCH lines; else its spike line; else its last line, unjudged."""
    rows = []
    for text in lines:
        if not text.startswith(PREFIX):
            continue
        try:
            record = json.loads(text[len(PREFIX):])
            if not isinstance(record, dict) or "figure" not in record or "value" not in record:
                raise ValueError("figure and value are required")
        except ValueError:
            rows.append(Row(bench, "unreadable BENCH line", text[len(PREFIX):][:60], verdict="?"))
            continue
        rows.append(row_from_record(bench, record))
    if rows:
        return rows
    for text in reversed(lines):
        match = _SPIKE.match(text.strip())
        if match:
            accepted, lost, duplicated, late, errors, p95 = match.groups()
            return [row_from_record(bench, r) for r in (
                {"figure": "accepted submissions", "value": int(accepted)},
                {"figure": "lost", "value": int(lost), "goal": "value==0"},
                {"figure": "duplicated", "value": int(duplicated), "goal": "value==0"},
                {"figure": "late accepted", "value": int(late), "goal": "value==0"},
                {"figure": "5xx answers", "value": int(errors), "goal": "value==0"},
                {"figure": "p95", "value": float(p95), "unit": "ms", "goal": "value<1000"},
            )]
    last = next((text.strip() for text in reversed(lines) if text.strip()), "")
    return [Row(bench, "last line (no BENCH line)", last[:100] or "(no output)")]


def run_one(bench: Bench, root: Path, quick: bool, log_dir: Path, timeout: float, verbose: bool) -> list[Row]:
    script = root / bench.script
    if not script.is_file():
        return [Row(bench.name, bench.script, "not present", verdict="not present")]
    args = [sys.executable, str(script), *bench.args, *(bench.quick if quick else [])]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if quick:
        env["BENCH_QUICK"] = "1"
    log_path = log_dir / f"{bench.name}.log"
    started = time.monotonic()
    print(f"→ {bench.name}: {' '.join(args[1:])}  (log: {log_path})", flush=True)
    lines: list[str] = []
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(args, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, errors="replace", start_new_session=True)

        def read():
            # Line by line, so that the log fills as the bench goes and --verbose shows its progress.
            for text in process.stdout:
                if not log.closed:
                    log.write(text)
                    log.flush()
                lines.append(text.rstrip("\n"))
                if verbose:
                    print(f"  {bench.name} | {text}", end="", flush=True)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop(process)
        reader.join(timeout=10)
    seconds = time.monotonic() - started
    rows = parse(bench.name, list(lines))
    if timed_out:
        print(f"  {bench.name}: timed out after {seconds:.0f} s", flush=True)
        return [r for r in rows if r.figure != "last line (no BENCH line)"] + [
            Row(bench.name, f"timed out after {timeout:.0f} s", str(log_path), verdict="FAILED")]
    print(f"  {bench.name}: exit {process.returncode} in {seconds:.0f} s", flush=True)
    if process.returncode != 0:
        return [r for r in rows if r.figure != "last line (no BENCH line)"] + [
            Row(bench.name, f"exit code {process.returncode}", str(log_path), verdict="FAILED")]
    return rows


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the script's whole process group (its gunicorn and load tool too), then SIGKILL."""
    import signal

    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def fmt_number(x) -> str:
    if x is None:
        return ""
    if not _number(x):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    size = abs(x)
    if size >= 100:
        return f"{x:,.0f}"
    if size >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def table(rows: list[Row]) -> str:
    header = ("bench", "figure", "value", "baseline", "ratio", "goal", "verdict")
    cells = []
    for r in rows:
        unit = f" {r.unit}" if r.unit and _number(r.value) else ""
        base_unit = f" {r.unit}" if r.unit and _number(r.baseline) else ""
        cells.append((r.bench, r.figure, fmt_number(r.value) + unit, fmt_number(r.baseline) + base_unit,
                      f"{r.ratio:.2f}×" if r.ratio is not None else "", r.goal, r.verdict))
    widths = [max([_width(h)] + [_width(c[i]) for c in cells]) for i, h in enumerate(header)]
    numeric = {2, 3, 4}
    out = ["  ".join(_pad(h, widths[i], i in numeric) for i, h in enumerate(header)).rstrip(),
           "  ".join("-" * w for w in widths)]
    for c in cells:
        out.append("  ".join(_pad(text, widths[i], i in numeric) for i, text in enumerate(c)).rstrip())
    return "\n".join(out)


def main(argv=None, benches=None, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (make bench QUICK=1)")
    parser.add_argument("--only", default="", help="comma-separated bench names, e.g. upload,assign")
    parser.add_argument("--timeout", type=float, default=float(os.environ.get("BENCH_TIMEOUT", 3600)),
                        help="seconds per script before it is stopped (default 3600)")
    parser.add_argument("--verbose", action="store_true", help="show each script's output as it runs")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed too")
    parser.add_argument("--log-dir", type=Path, default=None, help="default instance/bench/<UTC time>/")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    options = parser.parse_args(argv)

    chosen = benches if benches is not None else BENCHES
    if options.only:
        names = {n.strip() for n in options.only.split(",") if n.strip()}
        unknown = names - {b.name for b in chosen}
        if unknown:
            parser.error(f"unknown bench: {', '.join(sorted(unknown))}; known: {', '.join(b.name for b in chosen)}")
        chosen = [b for b in chosen if b.name in names]
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log_dir = options.log_dir or root / "instance" / "bench" / stamp
    log_dir.mkdir(parents=True, exist_ok=True)

    began = time.monotonic()
    rows: list[Row] = []
    for bench in chosen:
        rows.extend(run_one(bench, root, options.quick, log_dir, options.timeout, options.verbose))
    print()
    print(f"make bench{' QUICK=1' if options.quick else ''}, {stamp}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, {time.monotonic() - began:.0f} s; logs in {log_dir}")
    print(table(rows))
    if options.json:
        options.json.write_text(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=1))
    failed = any(r.verdict == "FAILED" for r in rows)
    missed = any(r.verdict == "MISSED" for r in rows)
    return 1 if failed or (options.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
