"""The arXiv API through the `arxiv` package: searches with date windows and categories, id
batches, polite paging, retries that resume where they stopped.

Input: a query (arXiv search syntax), categories, a submission-time window, or a list of ids.
Output: `Paper`s with authors, dates, categories, comment, journal-ref, DOI and venue.
One `arxiv.Client` per run (its 3-second delay is per instance); pages as large as the API allows
(2,000), so a fetch makes the fewest requests. Every request goes through a `GuardedSession`: an
overall deadline, a size cap, and one plain error when no connection can be made at all. An answer
cut short keeps its complete entries and the next request asks for the rest; the client's own
retries are off and ours resume from the last result received, backing off exponentially and
honouring `Retry-After` up to `max_wait`. Retries and the progress of long fetches are logged.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

import arxiv
import requests
from requests import Response

from .. import clock
from ..errors import SurveyorError
from ..models import Paper, Source
from ..text import clean_space, parse_arxiv_id
from .base import make_paper
from .venue import venue_from_comment
from .web import CutShort, GuardedSession, Unreachable

log = logging.getLogger(__name__)
MAX_PAGE = 2000  # the API's largest page
_TOTAL = re.compile(rb"<opensearch:totalResults[^>]*>(\d+)<")
_START = re.compile(rb"<opensearch:startIndex[^>]*>(\d+)<")
ID_BATCH = 200  # ids per request (keeps the URL short)
FORMAT = "arxiv-api"


class TruncatedFeed(requests.RequestException):
    """A response whose Atom feed stops before `</feed>` with no complete entry to keep."""


@dataclass
class FetchStats:
    """What a fetch did on the wire."""

    requests: int = 0
    answers: int = 0  # responses received, of any status
    retries: int = 0
    waited: float = 0.0
    results: int = 0
    notes: list[str] = field(default_factory=list)


class _Session(GuardedSession):
    """The client's session: an answer cut short is trimmed to its complete entries, and every
    answer is handed to `check` before the arxiv client parses it."""

    def __init__(self, stats: FetchStats, check: Callable[[Response, str | None], Response], **kw: Any):
        super().__init__(**kw)
        self.stats = stats
        self.check = check

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """The guarded request; a 200 cut short comes back with what arrived."""
        self.stats.requests += 1
        try:
            return self.check(super().request(method, url, *args, **kwargs), None)
        except CutShort as exc:
            if exc.response is None or exc.response.status_code != 200:
                raise
            exc.response._content = exc.partial
            return self.check(exc.response, exc.why)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return max(0.0, (when - clock.now()).total_seconds())


def salvage(body: bytes) -> bytes | None:
    """A feed cut short, ended after its last complete entry; None when it has none."""
    end = body.rfind(b"</entry>")
    return body[: end + len(b"</entry>")] + b"</feed>\n" if end >= 0 else None


class Fetcher:
    """One arXiv client for a whole run, with surveyor's retries around it."""

    def __init__(
        self,
        api_url: str | None = None,
        delay: float = 3.0,
        max_retries: int = 5,
        backoff: float = 3.0,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        *,
        connect_timeout: float = 10.0,
        max_bytes: int = 100 << 20,
        max_wait: float = 120.0,
    ) -> None:
        self.client = arxiv.Client(page_size=MAX_PAGE, delay_seconds=delay, num_retries=0)
        if api_url:
            self.client.query_url_format = api_url.split("?")[0] + "?{}"
        self.host = urlparse(self.client.query_url_format).netloc
        self.stats = FetchStats()
        self.client._session = _Session(
            self.stats, self._seen, deadline=timeout, connect_timeout=connect_timeout, max_bytes=max_bytes
        )
        self.page_size = MAX_PAGE
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self._retry_after: float | None = None
        self._total: int | None = None

    def _seen(self, response: requests.Response, cut: str | None) -> requests.Response:
        self.stats.answers += 1
        self._retry_after = retry_after(response.headers.get("Retry-After"))
        if response.status_code != 200:
            return response
        body = response.content
        if not body.rstrip().endswith(b"</feed>"):
            kept = salvage(body)
            if kept is None:
                raise TruncatedFeed(f"the answer stopped before a complete entry ({cut or 'feed cut off'})")
            response._content = body = kept
            self.stats.retries += 1
            log.warning(
                "arXiv: the answer stopped early (%s); keeping its %d complete entries, asking for the rest",
                cut or "the feed was cut off",
                body.count(b"<entry>"),
            )
        total, start = _TOTAL.search(body[:4096]), _START.search(body[:4096])
        if total:
            self._total = int(total.group(1))
        if total and start and self._total and self._total > self.client.page_size:
            done = int(start.group(1)) + body.count(b"<entry>")
            pages = math.ceil(self._total / self.client.page_size)
            log.info("arXiv: %s of %s results (%d pages)", f"{done:,}", f"{self._total:,}", pages)
        return response

    def _wait(self, failures: int) -> float:
        """Seconds before the next try: the server's `Retry-After`, else exponential backoff; capped."""
        wanted = self._retry_after if self._retry_after is not None else self.backoff * 2 ** (failures - 1)
        self._retry_after = None
        return min(wanted, self.max_wait)

    def results(self, search: arxiv.Search) -> Iterator[arxiv.Result]:
        """Every result of `search`; a failed page is retried from the last result received."""
        wanted = search.max_results
        self.client.page_size = min(self.page_size, wanted or self.page_size)
        offset, failures = 0, 0
        self._total = None
        while True:
            try:
                for result in self.client.results(search, offset=offset):
                    offset += 1
                    failures = 0
                    self.stats.results += 1
                    yield result
                expected = min(self._total, wanted) if self._total is not None and wanted else self._total
                if expected is None or offset >= expected:
                    return
                # The client takes an empty page after a resume for the end: it is not, retry it.
                raise arxiv.UnexpectedEmptyPageError(self.client.query_url_format, failures, None)  # type: ignore[arg-type]
            except (arxiv.HTTPError, arxiv.UnexpectedEmptyPageError, requests.RequestException) as exc:
                failures += 1
                self._stop_if_hopeless(exc, failures, offset)
                wait = self._wait(failures)
                self.stats.retries += 1
                self.stats.waited += wait
                log.warning(
                    "arXiv: %s; retry %d of %d from result %d in %.1f s",
                    _reason(exc),
                    failures,
                    self.max_retries,
                    offset,
                    wait,
                )
                self.sleep(wait)

    def _stop_if_hopeless(self, exc: Exception, failures: int, offset: int) -> None:
        """Raise the user's error when retrying is pointless: no connection at all, or too many failures."""
        if isinstance(exc, Unreachable) and not self.stats.answers:
            raise SurveyorError(
                f"cannot connect to the arXiv API at {self.host}: {exc.why}",
                "check the network connection (or [arxiv] api_url / SURVEYOR_ARXIV_API_URL) and run "
                "the command again: the next fetch also asks for what this one could not",
            ) from None
        if failures > self.max_retries:
            raise SurveyorError(
                f"arXiv API failed {failures} times in a row at result {offset}: {_reason(exc)}",
                "try again later; results fetched so far are kept",
            ) from None

    def search(
        self,
        query: str,
        categories: list[str],
        since: date | datetime | None,
        until: date | datetime | None,
        max_results: int | None,
    ) -> Iterator[Paper]:
        """Papers matching a query, newest submissions first."""
        search = arxiv.Search(
            query=build_query(query, categories, since, until),
            max_results=max_results,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Descending,
        )
        for result in self.results(search):
            yield to_paper(result, f"arxiv:{query}")

    def by_ids(self, ids: list[str]) -> Iterator[Paper]:
        """Current metadata for arXiv ids, in batches."""
        for start in range(0, len(ids), ID_BATCH):
            batch = ids[start : start + ID_BATCH]
            if len(ids) > ID_BATCH:
                log.info(
                    "arXiv: ids %s-%s of %s", f"{start + 1:,}", f"{start + len(batch):,}", f"{len(ids):,}"
                )
            search = arxiv.Search(id_list=batch, max_results=len(batch))
            for result in self.results(search):
                yield to_paper(result, "arxiv:id_list")


def _reason(exc: Exception) -> str:
    if isinstance(exc, arxiv.HTTPError):
        return f"HTTP {exc.status}"
    if isinstance(exc, arxiv.UnexpectedEmptyPageError):
        return "empty page"
    if isinstance(exc, TruncatedFeed):
        return str(exc)
    if isinstance(exc, Unreachable | CutShort):
        return exc.why
    return type(exc).__name__


def _minute(at: date | datetime, end: bool) -> str:
    """arXiv's `YYYYMMDDHHMM` in UTC: a datetime floored to its minute, a date its first or last minute."""
    if isinstance(at, datetime):
        return at.astimezone(UTC).strftime("%Y%m%d%H%M")
    return at.strftime("%Y%m%d") + ("2359" if end else "0000")


def build_query(
    query: str, categories: list[str], since: date | datetime | None, until: date | datetime | None
) -> str:
    """An arXiv search query: the user's terms AND any category AND a submission-time window (UTC)."""
    parts = [f"({query})"] if query.strip() else []
    if categories:
        parts.append("(" + " OR ".join(f"cat:{c}" for c in categories) + ")")
    if since or until:
        low = _minute(since or date(1991, 1, 1), end=False)
        high = _minute(until or date(2999, 12, 31), end=True)
        parts.append(f"submittedDate:[{low} TO {high}]")
    if not parts:
        raise SurveyorError("an arXiv fetch needs a query, a category or a date window")
    return " AND ".join(parts)


def to_paper(result: arxiv.Result, source: str) -> Paper:
    """A Paper from an arXiv API result."""
    parsed = parse_arxiv_id(result.entry_id)
    if parsed is None:
        raise SurveyorError(f"arXiv returned an entry without an id: {result.entry_id!r}")
    version = parsed[1]
    venue = venue_from_comment(result.journal_ref) or venue_from_comment(result.comment)
    paper = make_paper(
        source,
        FORMAT,
        0,
        title=result.title,
        abstract=result.summary,
        arxiv_id=result.entry_id,
        authors=[a.name for a in result.authors],
        published=result.published.date().isoformat(),
        updated=result.updated.date().isoformat(),
        comment=clean_space(result.comment or "") or None,
        journal_ref=clean_space(result.journal_ref or "") or None,
        doi=result.doi or None,
        categories=list(result.categories),
        venue=venue[0] if venue else None,
        year=venue[1] if venue and venue[1] else None,
        links={"pdf": result.pdf_url} if result.pdf_url else None,
    )
    return paper.model_copy(
        update={"arxiv_version": version, "sources": [Source(file=source, format=FORMAT, version=version)]}
    )
