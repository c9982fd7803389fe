"""The fetch window follows arXiv's announcement calendar: daily runs against a server that announces
papers on that calendar (synthetic feeds, tests/fake_arxiv.py) miss nothing, across weekends,
holidays, a closure, daylight saving time and gaps between runs; the old two-day overlap misses."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from calendar_sim import daily, run_daily, submissions
from fake_arxiv import announced_at

from surveyor.arxiv_fetch import SinceRule
from surveyor.config import ArxivQuery
from surveyor.records import FetchState
from surveyor.sources.arxiv_calendar import INDEX_LAG, closes, last_announcement, unannounced_since

LAG = timedelta(minutes=30)  # the fake server's delay between an announcement and the API showing it


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "cutoff"),
    [
        ("2026-11-24T06:00", "2026-11-23T19:00"),  # Tuesday morning: Monday's batch, 14:00 EST
        ("2026-11-22T06:00", "2026-11-19T19:00"),  # Sunday: Thursday's is the last announced
        ("2026-11-23T02:00", "2026-11-19T19:00"),  # Sunday 21:00 EST: Sunday's not yet in the API
        ("2026-11-23T06:00", "2026-11-20T19:00"),  # Monday morning: Sunday's carried Friday's batch
        ("2026-07-14T06:00", "2026-07-13T18:00"),  # summer: 14:00 EDT is 18:00 UTC
        ("2026-03-10T06:00", "2026-03-09T18:00"),  # the Monday after clocks went forward
        ("2026-11-03T06:00", "2026-11-02T19:00"),  # the Monday after they went back
    ],
)
def test_the_last_announced_cutoff(at: str, cutoff: str) -> None:
    seen = last_announcement(utc(at) - INDEX_LAG)
    assert closes(seen) == utc(cutoff)
    assert unannounced_since(utc(at), timedelta(days=21)) == utc(cutoff) - timedelta(days=21)


def test_nothing_before_the_window_can_be_unannounced() -> None:
    """Over two years of instants (both DST changes) and closures of up to two weeks, every
    submission before the window (default margin) was in the API already, and a week's margin is
    not enough; with no closure and no margin the window starts exactly where the unannounced
    submissions do."""
    rng = random.Random(18)
    short = 0  # submissions a 7-day margin would leave out
    for _ in range(4000):
        at = utc("2026-01-01T00:00") + timedelta(minutes=rng.randrange(2 * 365 * 1440))
        closure_start = (at - timedelta(days=rng.randrange(45))).date()
        holidays = {closure_start + timedelta(days=i) for i in range(rng.randrange(15))}
        since = unannounced_since(at, timedelta(days=21))  # the default margin
        before = since - timedelta(minutes=rng.randrange(1, 40 * 1440))
        assert announced_at(before, holidays) + LAG <= at, (at, before, sorted(holidays))
        week = unannounced_since(at, timedelta(days=7)) - timedelta(minutes=rng.randrange(1, 1440))
        short += announced_at(week, holidays) + LAG > at
        exact = unannounced_since(at, timedelta(0))
        assert announced_at(exact - timedelta(minutes=1)) + LAG <= at
        assert announced_at(exact + timedelta(minutes=1)) > at - INDEX_LAG
    assert short > 0  # two-week closures need more than a week of margin


def two_day_overlap(state: FetchState) -> datetime:
    """The window before issue 18: two days before the last successful fetch's date."""
    return datetime.combine(state.last_success - timedelta(days=2), time(), UTC)


AUTUMN = date(2026, 10, 19)  # a Monday; clocks go back on 1 November; Thanksgiving on the 26th
AUTUMN_HOLIDAYS = {date(2026, 11, 26), *(date(2026, 12, 7) + timedelta(days=i) for i in range(4))}


@pytest.mark.parametrize("rule", [None, two_day_overlap], ids=["calendar", "two-day-overlap"])
@pytest.mark.slow
def test_sixty_days_of_daily_runs_miss_nothing(tmp_path: Path, rule: SinceRule | None) -> None:
    """60 days: weekends, Thanksgiving, a four-day closure, the end of DST, a week without runs.
    After every 06:00 UTC run the workspace holds every paper the server had announced."""
    entries = submissions(AUTUMN, 60, per_day=4, seed=1)
    runs = daily(AUTUMN + timedelta(days=1), 60, skip=range(30, 37))
    sim = run_daily(tmp_path / "ws", entries, runs, AUTUMN_HOLIDAYS, rule=rule)
    announced = sum(1 for e in entries if announced_at(e.when(), AUTUMN_HOLIDAYS) + LAG <= runs[-1])
    assert len(runs) == 53 and announced > 300
    if rule is None:
        assert sim.ever_missed == set() and sim.still_missing == set()
        assert max(sim.requests) == 1  # a daily window fits in one page
    else:  # the old window: Friday's late submissions, announced Monday night, are never fetched
        assert len(sim.still_missing) > 5
        fridays = [e for e in entries if e.id in sim.still_missing and e.when().weekday() == 4]
        assert fridays


@pytest.mark.parametrize("margin", [None, 0], ids=["default-margin", "no-margin"])
@pytest.mark.slow
def test_year_end_closure_and_runs_at_any_hour(tmp_path: Path, margin: int | None) -> None:
    """Ten days without announcements over Christmas and New Year (longer than arXiv's), runs at a
    random minute each day, and a ten-day gap: nothing missed with the default margin. Without one,
    the fetch state moves on during the closure (nothing new for a week) past what it holds back."""
    first = date(2026, 12, 1)
    holidays = {date(2026, 12, 23) + timedelta(days=i) for i in range(10)}
    entries = submissions(first, 60, per_day=3, seed=2)
    runs = daily(first + timedelta(days=1), 60, skip=range(40, 50), seed=3)
    sim = run_daily(tmp_path / "ws", entries, runs, holidays, margin_days=margin)
    if margin is None:
        assert sim.ever_missed == set() and sum(sim.received) > len(entries)
    else:
        assert len(sim.still_missing) > 10


def test_a_first_run_after_weeks_catches_up(tmp_path: Path) -> None:
    """Two runs five weeks apart: the second gets everything announced in between (the cap of a
    first fetch, `max_results`, does not cut a later window)."""
    first = date(2026, 9, 1)
    entries = submissions(first, 45, per_day=60, seed=4)
    runs = [utc("2026-09-02T06:00"), utc("2026-10-10T06:00")]
    query = ArxivQuery(categories=["cs.CV"], max_results=100)
    sim = run_daily(tmp_path / "ws", entries, runs, query=query)
    assert sim.received[0] < 100 and sim.received[1] > 2000 and sim.requests[1] == 2
    assert sim.ever_missed == set()
