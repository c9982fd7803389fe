"""Collecting from the arXiv API: `fetch` (searches, incremental) and `add` (ids, refreshes).

Input: a workspace, queries or ids. Output: papers added or merged into `data/papers.jsonl`
(saved after every page, so an interrupted fetch keeps what it got) and, per query, the date of
its last successful fetch in `data/fetch_state.jsonl`, so the next run asks only for what is new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pydantic import Field

from .config import ArxivQuery
from .models import Paper, Record
from .sources.arxiv_api import MAX_PAGE, Fetcher
from .sources.dedupe import PaperIndex
from .store import Workspace, read_jsonl, write_jsonl
from .text import parse_arxiv_id

OVERLAP = timedelta(days=2)  # re-ask a little before the last fetch: late-indexed submissions


class FetchState(Record):
    """When a query last succeeded."""

    key: str
    query: str
    categories: list[str] = Field(default_factory=list)
    last_success: date
    fetched: int = 0


@dataclass
class FetchReport:
    """What one query or id list did."""

    label: str
    window: str = ""
    received: int = 0
    added: int = 0
    merged: int = 0
    updated: list[str] = field(default_factory=list)  # papers with a new version, journal-ref or comment
    requests: int = 0
    retries: int = 0


def query_key(q: ArxivQuery) -> str:
    """A stable key for a query (its terms and categories)."""
    return hashlib.sha1(f"{q.query}|{','.join(sorted(q.categories))}".encode()).hexdigest()[:12]


def fetcher(ws: Workspace, sleep: Callable[[float], None] | None = None) -> Fetcher:
    """The one arXiv client of this run, configured from surveyor.toml."""
    c = ws.config.arxiv
    kwargs = {"sleep": sleep} if sleep else {}
    return Fetcher(c.api_url, c.delay, c.max_retries, c.backoff, c.timeout, **kwargs)


def _changes(old: Paper, new: Paper) -> bool:
    """Whether a fetched record brings a new version, journal-ref or comment."""
    newer = (new.arxiv_version or 0) > (old.arxiv_version or 0)
    journal = bool(new.journal_ref) and new.journal_ref != old.journal_ref
    comment = bool(new.comment) and new.comment != old.comment
    return newer or journal or comment


def _ingest(ws: Workspace, index: PaperIndex, papers: Iterable[Paper], report: FetchReport) -> None:
    for n, paper in enumerate(papers, 1):
        report.received += 1
        found = index.find(paper)
        before = index.papers.get(found) if found else None
        if index.upsert(paper) == "added":
            report.added += 1
        else:
            report.merged += 1
            if before is not None and _changes(before, paper):
                report.updated.append(paper.id)
        if n % MAX_PAGE == 0:
            ws.save_papers(index.papers.values())
    ws.save_papers(index.papers.values())


def fetch(
    ws: Workspace, queries: list[ArxivQuery], client: Fetcher | None = None, today: date | None = None
) -> list[FetchReport]:
    """Run each query for what is new since its last successful fetch."""
    client = client or fetcher(ws)
    today = today or datetime.now(UTC).date()
    states = {s.key: s for s in read_jsonl(ws.data_dir / "fetch_state.jsonl", FetchState)}
    index = PaperIndex(ws.load_papers())
    reports = []
    for q in queries:
        key = query_key(q)
        since = q.since
        if key in states:
            resume = states[key].last_success - OVERLAP
            since = max(since, resume) if since else resume
        report = FetchReport(q.query or ",".join(q.categories), f"{since or '…'} to {q.until or '…'}")
        before = client.stats.requests, client.stats.retries
        _ingest(ws, index, client.search(q.query, q.categories, since, q.until, q.max_results), report)
        report.requests = client.stats.requests - before[0]
        report.retries = client.stats.retries - before[1]
        previous = states.get(key)
        states[key] = FetchState(
            key=key,
            query=q.query,
            categories=q.categories,
            last_success=today,
            fetched=(previous.fetched if previous else 0) + report.received,
        )
        write_jsonl(ws.data_dir / "fetch_state.jsonl", states.values(), key=lambda s: s.key)
        reports.append(report)
    return reports


def add(ws: Workspace, refs: list[str], refresh: bool = False, client: Fetcher | None = None) -> FetchReport:
    """Fetch metadata for arXiv ids (or, with `refresh`, for every arXiv paper in the library)."""
    from .errors import SurveyorError

    ids = []
    for ref in refs:
        parsed = parse_arxiv_id(ref)
        if parsed is None:
            raise SurveyorError(
                f"not an arXiv id or URL: {ref!r}", "e.g. 2312.02051 or https://arxiv.org/abs/2312.02051"
            )
        ids.append(parsed[0])
    index = PaperIndex(ws.load_papers())
    if refresh:
        ids += sorted(p.arxiv_id for p in index.papers.values() if p.arxiv_id)
    ids = list(dict.fromkeys(ids))
    client = client or fetcher(ws)
    report = FetchReport("ids", f"{len(ids)} ids")
    _ingest(ws, index, client.by_ids(ids), report)
    report.requests, report.retries = client.stats.requests, client.stats.retries
    return report
