"""The one retry policy for every request surveyor sends to a model server.

Input: the attempt number and what went wrong (a server's `Retry-After`, if any). Output: how long
to wait before the next attempt, or that waiting is pointless. Retries are surveyor's own (the
SDK's are switched off) so that they are counted, and so that a `Retry-After` longer than
`max_wait` stops the run with a message instead of sleeping for a day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from .. import clock
from ..config import LLMConfig

MAX_BACKOFF = 30.0  # the longest exponential wait between two attempts, in seconds


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `max_retries` retries: exponential backoff from `backoff` seconds (with jitter, at most
    MAX_BACKOFF), or the server's `Retry-After` when it gives one (a `Retry-After` beyond
    `[llm] max_wait` stops the run instead: `errors.triage`)."""

    max_retries: int = 6
    backoff: float = 0.5

    @classmethod
    def of(cls, settings: LLMConfig) -> RetryPolicy:
        """The policy the `[llm]` settings ask for."""
        return cls(settings.max_retries, settings.backoff)

    def may_retry(self, attempt: int) -> bool:
        """Whether attempt number `attempt` (0 = the first) may be followed by another."""
        return attempt < self.max_retries

    def delay(self, attempt: int, asked: float | None = None) -> float:
        """Seconds to wait after failed attempt `attempt`: the server's ask, else exponential backoff."""
        if asked is not None:
            return max(0.0, asked)
        return min(MAX_BACKOFF, self.backoff * 2**attempt) * (1 + 0.25 * random.random())


def retry_after(headers: Any) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), if given."""
    if headers.get("retry-after-ms"):
        try:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - clock.now()).total_seconds())
        except (TypeError, ValueError):
            return None
