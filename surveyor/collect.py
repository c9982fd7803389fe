"""Collecting from the arXiv API: `fetch` (searches, incremental) and `add` (ids, refreshes).

Input: a workspace, queries or ids. Output: papers added or merged into `data/papers.jsonl`
(saved after every page, so an interrupted fetch keeps what it got) and, per query, the date of
its last successful fetch in `data/fetch_state.jsonl`, so the next run asks only for what is new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import arxiv
from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz import fuzz

from . import clock
from .config import ArxivQuery
from .library import open_index, save_index
from .models import Paper, Record
from .sources.arxiv_api import MAX_PAGE, Fetcher, to_paper
from .sources.dedupe import PaperIndex, merge
from .store import Workspace, read_jsonl, write_jsonl
from .text import normalize_title, parse_arxiv_id

OVERLAP = timedelta(days=2)  # re-ask a little before the last fetch: late-indexed submissions
RESTATE = timedelta(days=7)  # a fetch that found nothing moves the window forward only after a week


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
        before = index.papers.get(found[0]) if found else None
        if index.upsert(paper) == "added":
            report.added += 1
        else:
            report.merged += 1
            if before is not None and _changes(before, paper):
                report.updated.append(paper.id)
        if n % MAX_PAGE == 0:
            save_index(ws, index)
    save_index(ws, index)


def fetch(
    ws: Workspace, queries: list[ArxivQuery], client: Fetcher | None = None, today: date | None = None
) -> list[FetchReport]:
    """Run each query for what is new since its last successful fetch."""
    client = client or fetcher(ws)
    today = today or clock.today()
    states = {s.key: s for s in read_jsonl(ws.data_dir / "fetch_state.jsonl", FetchState)}
    index = open_index(ws)
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
        if previous and not (report.added or report.updated) and today - previous.last_success < RESTATE:
            reports.append(
                report
            )  # nothing new: the state file stays as it is (a no-op update changes no file)
            continue
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
    index = open_index(ws)
    if refresh:
        ids += sorted(p.arxiv_id for p in index.papers.values() if p.arxiv_id)
    ids = list(dict.fromkeys(ids))
    client = client or fetcher(ws)
    report = FetchReport("ids", f"{len(ids)} ids")
    _ingest(ws, index, client.by_ids(ids), report)
    report.requests, report.retries = client.stats.requests, client.stats.retries
    return report


RESOLVE_BATCH = 8  # titles per arXiv request (OR-ed): one polite request instead of eight
RESOLVE_MIN = 92.0  # fuzzy title score to accept; below it the paper stays unresolved


class Resolution(BaseModel):
    """What `resolve` decided for a paper listed without an arXiv id."""

    model_config = ConfigDict(extra="forbid")
    paper: str  # the id it had before
    arxiv_id: str | None = None
    rule: str  # exact, fuzzy, not-found
    score: float | None = None
    found_title: str | None = None
    time: str
    before: Paper


def _title_query(titles: list[str]) -> str:
    cleaned = [" ".join(w for w in normalize_title(t).split() if len(w) > 2)[:200] for t in titles]
    return " OR ".join(f'ti:"{c}"' for c in cleaned if c)


def resolve(ws: Workspace, client: Fetcher | None = None, limit: int | None = None) -> list[Resolution]:
    """Find the arXiv id of papers that have only a title; fill in their metadata; log each decision."""

    index = open_index(ws)
    log = {r.paper: r for r in read_jsonl(ws.data_dir / "resolutions.jsonl", Resolution)}
    todo = [
        p
        for p in sorted(index.papers.values(), key=lambda p: p.id)
        if not p.arxiv_id and p.title and p.id not in log
    ][:limit]
    client = client or fetcher(ws)
    decided: list[Resolution] = []
    for start in range(0, len(todo), RESOLVE_BATCH):
        batch = todo[start : start + RESOLVE_BATCH]
        search = arxiv.Search(query=_title_query([p.title or "" for p in batch]), max_results=5 * len(batch))
        found = [to_paper(r, "arxiv:resolve") for r in client.results(search)]
        for paper in batch:
            decided.append(_decide(index, paper, found, clock.stamp()))
        save_index(ws, index)
        for r in decided:
            log[r.paper] = r
        write_jsonl(ws.data_dir / "resolutions.jsonl", log.values(), key=lambda r: r.paper)
    return decided


def _decide(index: PaperIndex, paper: Paper, found: list[Paper], when: str) -> Resolution:
    mine = normalize_title(paper.title or "")
    scored = sorted(
        ((fuzz.ratio(mine, normalize_title(f.title or "")), f.id, f) for f in found), reverse=True
    )
    if not scored or scored[0][0] < RESOLVE_MIN:
        return Resolution(
            paper=paper.id,
            rule="not-found",
            score=round(scored[0][0], 1) if scored else None,
            found_title=scored[0][2].title if scored else None,
            time=when,
            before=paper,
        )
    score, _, hit = scored[0]
    current = index.papers.pop(paper.id)
    merged = merge(current, hit)
    if merged.id in index.papers and merged.id != paper.id:  # already in the library under its arXiv id
        merged = merge(index.papers.pop(merged.id), merged)
    index.papers[merged.id] = merged
    rule = "exact" if score >= 100 else "fuzzy"
    return Resolution(
        paper=paper.id,
        arxiv_id=hit.arxiv_id,
        rule=rule,
        score=round(score, 1),
        found_title=hit.title,
        time=when,
        before=paper,
    )


def unresolve(ws: Workspace, ref: str) -> Paper:
    """Undo a resolution: the paper goes back to how it was, and is not resolved again."""
    from .errors import SurveyorError

    log = {r.paper: r for r in read_jsonl(ws.data_dir / "resolutions.jsonl", Resolution)}
    hit = log.get(ref) or next((r for r in log.values() if r.arxiv_id == ref), None)
    if hit is None or hit.rule == "not-found":
        raise SurveyorError(f"`{ref}` was not resolved", "see data/resolutions.jsonl")
    papers = ws.load_papers()
    papers.pop(hit.arxiv_id or "", None)
    papers[hit.before.id] = hit.before
    ws.save_papers(papers.values())
    log[hit.paper] = hit.model_copy(update={"rule": "undone", "arxiv_id": None})
    write_jsonl(ws.data_dir / "resolutions.jsonl", log.values(), key=lambda r: r.paper)
    return hit.before
