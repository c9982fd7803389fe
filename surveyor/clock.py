"""The one place surveyor learns the date and time.

Every date- or time-dependent decision (fetch windows, provenance stamps, run ids, an HTTP
`Retry-After` date) reads `now()`/`today()`/`stamp()` from here, never `datetime.now()`. The clock is
real unless pinned: the CLI pins it once at start when `SURVEYOR_NOW` is set (read in config.py, the
only module that reads the environment), and tests pin it with `pinned()`. A pinned clock starts at
the given instant and then advances with the monotonic clock, so the stamps of one run still order.
Waiting and timeouts use `time.monotonic()` directly: they measure durations, not dates.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta


class Clock:
    """The real UTC clock, or one that started at a fixed instant."""

    def __init__(self, origin: datetime | None = None) -> None:
        self.origin = origin.astimezone(UTC) if origin is not None else None
        self._started = time.monotonic()

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        if self.origin is None:
            return datetime.now(UTC)
        return self.origin + timedelta(seconds=time.monotonic() - self._started)


_current = Clock()


def now() -> datetime:
    """The current time (UTC) on the process's clock."""
    return _current.now()


def today() -> date:
    """The current UTC date."""
    return now().date()


def stamp() -> str:
    """The current UTC time to the second, ISO 8601 (`2026-01-01T00:00:00Z`): provenance stamps."""
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")


def run_id() -> str:
    """A sortable unique id for a run: its start time to the microsecond and four random hex digits."""
    return now().strftime("%Y%m%dT%H%M%S%fZ-") + secrets.token_hex(2)


def parse_instant(text: str) -> datetime:
    """An ISO date or date-time (`2026-11-22`, `2026-11-22T06:00:00Z`) as UTC; naive means UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pin(origin: datetime | None) -> None:
    """Make the process's clock start at `origin` (None: the real clock). The CLI calls this once."""
    global _current
    _current = Clock(origin)


@contextmanager
def pinned(origin: datetime | None) -> Iterator[Clock]:
    """Run a block with the clock starting at `origin`, then restore the previous clock."""
    global _current
    previous = _current
    _current = Clock(origin)
    try:
        yield _current
    finally:
        _current = previous
