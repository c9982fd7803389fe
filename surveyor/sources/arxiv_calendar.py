"""arXiv's announcement calendar: from which submission time a fetch must ask again so that nothing
still unannounced at the previous fetch is missed.

Input: timezone-aware instants. Output: UTC instants. Pure functions, no clock.

The schedule (US-Eastern, daylight saving time included, through zoneinfo): submissions close at
14:00 Monday to Friday; announcements go out at 20:00 Sunday to Thursday. Sunday's announcement
carries what was submitted from Thursday 14:00 to Friday 14:00, Monday's Friday 14:00 to Monday
14:00, and Tuesday's to Thursday's the day before their own 14:00. A paper appears in the API only
once announced, with its *submission* time, so a fetch by submission date that started where the
previous one ended would miss what was submitted before that fetch but announced after it. Holidays
(Thanksgiving, the Christmas to New Year closure, ...) skip announcements and are not known in
advance: a margin covers them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
CUTOFF = time(14)  # Monday to Friday
ANNOUNCE = time(20)  # Sunday to Thursday
ANNOUNCING_DAYS = (6, 0, 1, 2, 3)  # date.weekday(): Sunday, Monday .. Thursday
INDEX_LAG = timedelta(hours=3)  # an announcement counts as seen this long after 20:00 (API indexing)


def _eastern(day: date, at: time) -> datetime:
    return datetime.combine(day, at, EASTERN)


def last_announcement(at: datetime) -> datetime:
    """The latest scheduled announcement at or before `at` (holidays not known: none assumed)."""
    day = at.astimezone(EASTERN).date()
    for back in range(8):
        candidate = day - timedelta(days=back)
        if candidate.weekday() in ANNOUNCING_DAYS and _eastern(candidate, ANNOUNCE) <= at:
            return _eastern(candidate, ANNOUNCE)
    raise AssertionError("every week has announcements")  # pragma: no cover


def closes(announcement: datetime) -> datetime:
    """The submission cutoff an announcement closes: everything submitted before it is announced."""
    day = announcement.astimezone(EASTERN).date()
    return _eastern(day - timedelta(days=2) if day.weekday() == 6 else day, CUTOFF)


def unannounced_since(at: datetime, margin: timedelta) -> datetime:
    """The earliest submission time that may still have been unannounced at `at`, in UTC: the
    cutoff of the last announcement seen by then, moved back by `margin` for holidays and late
    announcements. A fetch at `at` saw everything submitted before this; the next must ask from it."""
    seen = last_announcement(at - INDEX_LAG)
    return closes(seen).astimezone(UTC) - margin
