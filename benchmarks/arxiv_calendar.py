"""Daily fetches against arXiv's announcement calendar: papers missed, requests and results per run.

Usage: python benchmarks/arxiv_calendar.py [--per-day N] [--default-only]
60 simulated days from Monday 19 October 2026 (clocks go back on 1 November, Thanksgiving on the
26th, a made-up four-day closure 7-10 December, a week without runs), one `fetch` a day at 06:00 UTC
through the clock seam, against tests/fake_arxiv.py announcing synthetic submissions on the
calendar (N random ones a day plus one a minute either side of each 14:00 Eastern cutoff). For
each window rule: papers some run should have had and did not, requests and results per run, and
wall time per run. Then the time `surveyor fetch` takes to fail with no network (connection refused).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from calendar_sim import daily, run_daily, submissions  # noqa: E402

from surveyor.arxiv_fetch import SinceRule  # noqa: E402
from surveyor.records import FetchState  # noqa: E402

FIRST = date(2026, 10, 19)
HOLIDAYS = {date(2026, 11, 26), *(date(2026, 12, 7) + timedelta(days=i) for i in range(4))}


def two_day_overlap(state: FetchState) -> datetime:
    """The window before issue 18: two days before the last successful fetch's date."""
    return datetime.combine(state.last_success - timedelta(days=2), datetime.min.time(), UTC)


def simulate(per_day: int, name: str, rule: SinceRule | None, margin: int | None) -> str:
    entries = submissions(FIRST, 60, per_day=per_day, seed=1)
    runs = daily(FIRST + timedelta(days=1), 60, skip=range(30, 37))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        sim = run_daily(Path(tmp) / "ws", entries, runs, HOLIDAYS, rule=rule, margin_days=margin)
        wall = (time.perf_counter() - start) / len(runs)
    return (
        f"| {name} | {len(entries)} | {len(sim.ever_missed)} | {statistics.mean(sim.requests):.2f} "
        f"({max(sim.requests)}) | {statistics.mean(sim.received):.0f} ({max(sim.received)}) | {wall:.2f} s |"
    )


def no_network() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "surveyor.toml").write_text('title = "x"\n')
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", "from surveyor.cli import main; main()", "fetch", "--query", "video"],
            cwd=tmp,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "SURVEYOR_ARXIV_API_URL": f"http://127.0.0.1:{port}/api/query"},
        )
        wall = time.perf_counter() - start
    return f"no network (refused): exit {done.returncode} in {wall:.2f} s: {done.stderr.splitlines()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-day", type=int, default=20)
    parser.add_argument("--default-only", action="store_true", help="only the default window rule")
    args = parser.parse_args()
    print("| window rule | papers | missed | requests/run mean (max) | results/run mean (max) | time/run |")
    print("| --- | --- | --- | --- | --- | --- |")
    rules = [
        ("calendar, margin 21 days (default)", None, None),
        ("calendar, no margin", None, 0),
        ("two-day overlap (before)", two_day_overlap, None),
    ]
    for name, rule, margin in rules[: 1 if args.default_only else None]:
        print(simulate(args.per_day, name, rule, margin), flush=True)
    print(no_network())


if __name__ == "__main__":
    main()
