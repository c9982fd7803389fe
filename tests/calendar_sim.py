"""Simulated weeks of arXiv announcements and daily `fetch` runs against them (tests and benchmarks).

SYNTHETIC: submissions at random instants (seeded), plus the hard cases around each cutoff, served by
tests/fake_arxiv.py on its announcement calendar; each run is pinned through surveyor's clock seam.
Output: per run, the papers the server had announced by then that the workspace still lacks.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from conftest import write_workspace
from fake_arxiv import EASTERN, Entry, FakeArxiv

from surveyor import clock
from surveyor.arxiv_fetch import SinceRule, fetch
from surveyor.config import ArxivQuery
from surveyor.store import Workspace

QUERY = ArxivQuery(categories=["cs.CV"])


def submissions(first: date, days: int, per_day: int, seed: int = 0) -> list[Entry]:
    """`per_day` papers a day at random instants, plus, every day, one a minute before and one a
    minute after the 14:00 Eastern cutoff (a Friday's late one waits for Monday's announcement)."""
    rng = random.Random(seed)
    out: list[Entry] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        start = datetime.combine(day, time(), UTC)
        instants = [start + timedelta(seconds=rng.randrange(86400)) for _ in range(per_day)]
        cutoff = datetime.combine(day, time(14), EASTERN)
        instants += [cutoff - timedelta(minutes=1), cutoff + timedelta(minutes=1)]
        for at in instants:
            n = len(out)
            at = at.astimezone(UTC)
            out.append(
                Entry(
                    f"{at:%y%m}.{n:05d}",
                    1,
                    f"Synthetic paper {n}",
                    "About video.",
                    at.date().isoformat(),
                    at.date().isoformat(),
                    submitted=at,
                )
            )
    return out


@dataclass
class Simulation:
    """What the daily runs did."""

    runs: list[datetime] = field(default_factory=list)
    missed: dict[datetime, set[str]] = field(default_factory=dict)  # after each run: announced, not held
    received: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)

    @property
    def ever_missed(self) -> set[str]:
        """Papers some run should have had by then and did not."""
        return set().union(*self.missed.values()) if self.missed else set()

    @property
    def still_missing(self) -> set[str]:
        """Papers missing after the last run."""
        return self.missed[self.runs[-1]] if self.runs else set()


def run_daily(
    root: Path,
    entries: list[Entry],
    runs: list[datetime],
    holidays: Collection[date] = (),
    rule: SinceRule | None = None,
    margin_days: int | None = None,
    query: ArxivQuery = QUERY,
) -> Simulation:
    """Fetch `query` at each instant of `runs` (the clock pinned there) from a calendar server;
    after each run, note which announced papers the workspace lacks."""
    sim = Simulation()
    with FakeArxiv(entries, now=clock.now, holidays=holidays) as api:
        extra = f"margin_days = {margin_days}\n" if margin_days is not None else ""
        cfg = f'[arxiv]\napi_url = "{api.url}"\ndelay = 0\nbackoff = 0.01\n{extra}'
        ws = Workspace(write_workspace(root, cfg))
        for at in runs:
            with clock.pinned(at):
                (report,) = fetch(ws, [query], rule=rule)
            have = set(ws.load_papers())
            sim.runs.append(at)
            sim.missed[at] = {e.id for e in entries if api.visible(e, at)} - have
            sim.received.append(report.received)
            sim.requests.append(report.requests)
    return sim


def daily(
    first: date, days: int, hour: int = 6, skip: Collection[int] = (), seed: int | None = None
) -> list[datetime]:
    """One run a day at `hour` UTC (or, with `seed`, at a random minute of the day), leaving out the
    days numbered in `skip`."""
    rng = random.Random(seed)
    out = []
    for offset in range(days):
        if offset in skip:
            continue
        start = datetime.combine(first + timedelta(days=offset), time(hour), UTC)
        out.append(start if seed is None else start.replace(hour=0) + timedelta(minutes=rng.randrange(1440)))
    return out
