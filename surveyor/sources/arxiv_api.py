"""The arXiv API through the `arxiv` package: searches with date windows and categories, id
batches, polite paging, retries that resume where they stopped.

Input: a query (arXiv search syntax), categories, a date window, or a list of ids. Output:
`Paper`s with authors, dates, categories, comment, journal-ref, DOI and venue.
One `arxiv.Client` per run (its 3-second delay is per instance); pages as large as the API allows
(2,000), so a fetch makes the fewest requests; the client's own retries are off and ours resume
from the last result received, backing off exponentially and honouring `Retry-After` on 429/503.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import arxiv
import requests
from requests.adapters import HTTPAdapter

from ..errors import SurveyorError
from ..models import Paper, Source
from ..text import clean_space, parse_arxiv_id
from .base import make_paper
from .venue import venue_from_comment

log = logging.getLogger(__name__)
MAX_PAGE = 2000  # the API's largest page
_TOTAL = re.compile(rb"<opensearch:totalResults[^>]*>(\d+)<")
ID_BATCH = 200  # ids per request (keeps the URL short)
FORMAT = "arxiv-api"


class TruncatedFeed(requests.RequestException):
    """A 200 response whose Atom feed stops before `</feed>` (a cut-off download)."""


class _TimeoutAdapter(HTTPAdapter):
    """requests has no default timeout; the arxiv client sets none."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


@dataclass
class FetchStats:
    """What a fetch did on the wire."""

    requests: int = 0
    retries: int = 0
    waited: float = 0.0
    results: int = 0
    notes: list[str] = field(default_factory=list)


class Fetcher:
    """One arXiv client for a whole run, with surveyor's retries around it."""

    def __init__(
        self,
        api_url: str | None = None,
        delay: float = 3.0,
        max_retries: int = 5,
        backoff: float = 3.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = arxiv.Client(page_size=MAX_PAGE, delay_seconds=delay, num_retries=0)
        if api_url:
            self.client.query_url_format = api_url.split("?")[0] + "?{}"
        session = requests.Session()
        session.mount("http://", _TimeoutAdapter(timeout))
        session.mount("https://", _TimeoutAdapter(timeout))
        session.hooks["response"].append(self._seen)
        self.client._session = session
        self.page_size = MAX_PAGE
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        self.stats = FetchStats()
        self._retry_after: float | None = None
        self._total: int | None = None

    def _seen(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.stats.requests += 1
        if response.status_code == 200 and not response.content.rstrip().endswith(b"</feed>"):
            raise TruncatedFeed("the feed was cut off before </feed>", response=response)
        total = _TOTAL.search(response.content[:4096])
        if response.status_code == 200 and total:
            self._total = int(total.group(1))
        value = response.headers.get("Retry-After")
        try:
            self._retry_after = float(value) if value else None
        except ValueError:
            self._retry_after = None

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
                if failures > self.max_retries:
                    raise SurveyorError(
                        f"arXiv API failed {failures} times in a row at result {offset}: {_reason(exc)}",
                        "try again later; results fetched so far are kept",
                    ) from None
                wait = self._retry_after or self.backoff * 2 ** (failures - 1)
                self._retry_after = None
                self.stats.retries += 1
                self.stats.waited += wait
                log.info("arXiv: %s; retrying from result %d in %.1f s", _reason(exc), offset, wait)
                self.sleep(wait)

    def search(
        self,
        query: str,
        categories: list[str],
        since: date | None,
        until: date | None,
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
            search = arxiv.Search(id_list=batch, max_results=len(batch))
            for result in self.results(search):
                yield to_paper(result, "arxiv:id_list")


def _reason(exc: Exception) -> str:
    if isinstance(exc, arxiv.HTTPError):
        return f"HTTP {exc.status}"
    if isinstance(exc, arxiv.UnexpectedEmptyPageError):
        return "empty page"
    if isinstance(exc, TruncatedFeed):
        return "feed cut off"
    return type(exc).__name__


def build_query(query: str, categories: list[str], since: date | None, until: date | None) -> str:
    """An arXiv search query: the user's terms AND any category AND a submission-date window."""
    parts = [f"({query})"] if query.strip() else []
    if categories:
        parts.append("(" + " OR ".join(f"cat:{c}" for c in categories) + ")")
    if since or until:
        low = (since or date(1991, 1, 1)).strftime("%Y%m%d") + "0000"
        high = (until or date(2999, 12, 31)).strftime("%Y%m%d") + "2359"
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
