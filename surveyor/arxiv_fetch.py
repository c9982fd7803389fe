"""Fetching from the arXiv API: `fetch` (searches, incremental), `add` (ids, refreshes) and `resolve`
(titles to arXiv ids).

Input: a workspace, queries or ids. Output: papers added or merged into `data/papers.jsonl`
(saved after every page and when a fetch stops for any reason, so a fetch cut short keeps what it
got) and, per query, the instant of its last successful fetch in `data/fetch_state.jsonl`. The next
fetch asks again from the earliest submission that could still have been unannounced then (arXiv's
calendar, less a margin for holidays: `sources/arxiv_calendar.py`), so a daily run misses nothing
and a run after days or weeks catches up; papers received again merge for free.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import arxiv
from rapidfuzz import fuzz

from . import clock
from .config import ArxivQuery
from .errors import InputError
from .files import jsonl_text
from .merges import open_index, save_index
from .models import Paper
from .records import FETCH_STATE, RESOLUTIONS, FetchState, Resolution
from .sources.arxiv_api import Fetcher, to_paper
from .sources.arxiv_calendar import unannounced_since
from .sources.dedupe import PaperIndex, merge
from .store import Workspace, writes
from .text import normalize_title, parse_arxiv_id

logger = logging.getLogger(__name__)
RESTATE = timedelta(days=7)  # a fetch that found nothing moves the window forward only after a week


SinceRule = Callable[[FetchState], datetime]  # where a query's next window starts, from its state


def calendar_rule(margin: timedelta) -> SinceRule:
    """The window rule: from the earliest submission that could have been unannounced at the last
    successful fetch, less `margin` (holidays and closures are not known in advance)."""
    return lambda state: unannounced_since(state.started(), margin)


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
    return Fetcher(
        c.api_url,
        c.delay,
        c.max_retries,
        c.backoff,
        c.timeout,
        connect_timeout=c.connect_timeout,
        max_bytes=int(c.max_response_mb * (1 << 20)),
        max_wait=c.max_wait,
        **kwargs,
    )


def _changes(old: Paper, new: Paper) -> bool:
    """Whether a fetched record brings a new version, journal-ref or comment."""
    newer = (new.arxiv_version or 0) > (old.arxiv_version or 0)
    journal = bool(new.journal_ref) and new.journal_ref != old.journal_ref
    comment = bool(new.comment) and new.comment != old.comment
    return newer or journal or comment


def _ingest(
    ws: Workspace, index: PaperIndex, client: Fetcher, papers: Iterable[Paper], report: FetchReport
) -> None:
    """Upsert papers as they arrive; save after each page and however the fetch ends."""
    answers, saved = client.stats.answers, report.received
    try:
        for paper in papers:
            if client.stats.answers != answers and report.received != saved:  # a page is complete
                save_index(ws, index)
                answers, saved = client.stats.answers, report.received
            report.received += 1
            found = index.find(paper)
            before = index.papers.get(found[0]) if found else None
            if index.upsert(paper) == "added":
                report.added += 1
            else:
                report.merged += 1
                if before is not None and _changes(before, paper):
                    report.updated.append(paper.id)
    finally:
        save_index(ws, index)


Window = tuple[date | datetime | None, int | None]  # where a fetch starts, and its cap


def _window(q: ArxivQuery, state: FetchState | None, rule: SinceRule) -> Window:
    """Where a query's fetch starts, and its cap: a first fetch takes `since` and `max_results`; a
    later one starts where `rule` says (not before `since`) and takes everything in its window."""
    if state is None:
        return q.since, q.max_results
    since = rule(state)
    if q.since is not None:
        since = max(since, datetime.combine(q.since, time(), UTC))
    return since, None


@writes("fetch")
def fetch(
    ws: Workspace,
    queries: list[ArxivQuery],
    client: Fetcher | None = None,
    today: date | None = None,
    rule: SinceRule | None = None,
) -> list[FetchReport]:
    """Run each query for what is new since its last successful fetch (`rule`: where a window
    starts, arXiv's calendar by default; `today`: run as at that day's start instead of the clock)."""
    client = client or fetcher(ws)
    rule = rule or calendar_rule(timedelta(days=ws.config.arxiv.margin_days))
    states = {s.key: s for s in ws.load(FETCH_STATE)}
    index = open_index(ws)
    reports = []
    for q in queries:
        key = query_key(q)
        started = datetime.combine(today, time(), UTC) if today else clock.now().replace(microsecond=0)
        previous = states.get(key)
        since, cap = _window(q, previous, rule)
        report = FetchReport(q.query or ",".join(q.categories), f"{_show(since)} to {_show(q.until)}")
        before = client.stats.requests, client.stats.retries
        _ingest(ws, index, client, client.search(q.query, q.categories, since, q.until, cap), report)
        report.requests = client.stats.requests - before[0]
        report.retries = client.stats.retries - before[1]
        reports.append(report)
        if previous and not (report.added or report.updated) and started - previous.started() < RESTATE:
            continue  # nothing new: the state file stays as it is (a no-op update changes no file)
        states[key] = FetchState(
            key=key,
            query=q.query,
            categories=q.categories,
            last_success=started.date(),
            last_run=started,
            fetched=(previous.fetched if previous else 0) + report.received,
        )
        ws.save(FETCH_STATE, states.values())
    return reports


def _show(at: date | datetime | None) -> str:
    if isinstance(at, datetime):
        return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(at) if at else "…"


@writes("add")
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
    _ingest(ws, index, client, client.by_ids(ids), report)
    report.requests, report.retries = client.stats.requests, client.stats.retries
    return report


RESOLVE_BATCH = 8  # titles per arXiv request (OR-ed): one polite request instead of eight
RESOLVE_MIN = 92.0  # fuzzy title score to accept; below it the paper stays unresolved


def _title_query(titles: list[str]) -> str:
    cleaned = [" ".join(w for w in normalize_title(t).split() if len(w) > 2)[:200] for t in titles]
    return " OR ".join(f'ti:"{c}"' for c in cleaned if c)


@writes("resolve")
def resolve(ws: Workspace, client: Fetcher | None = None, limit: int | None = None) -> list[Resolution]:
    """Find the arXiv id of papers that have only a title; fill in their metadata; log each decision."""

    index = open_index(ws)
    log = {r.paper: r for r in ws.load(RESOLUTIONS)}
    todo = [
        p
        for p in sorted(index.papers.values(), key=lambda p: p.id)
        if not p.arxiv_id and p.title and p.id not in log
    ][:limit]
    client = client or fetcher(ws)
    decided: list[Resolution] = []
    for start in range(0, len(todo), RESOLVE_BATCH):
        batch = todo[start : start + RESOLVE_BATCH]
        if len(todo) > RESOLVE_BATCH:
            logger.info("arXiv: resolving titles %d-%d of %d", start + 1, start + len(batch), len(todo))
        search = arxiv.Search(query=_title_query([p.title or "" for p in batch]), max_results=5 * len(batch))
        found = [to_paper(r, "arxiv:resolve") for r in client.results(search)]
        for paper in batch:
            decided.append(_decide(index, paper, found, clock.stamp()))
        for r in decided:
            log[r.paper] = r
        save_index(ws, index, extra={ws.path(RESOLUTIONS): RESOLUTIONS.text(log.values())})  # one step
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


@writes("resolve --undo")
def unresolve(ws: Workspace, ref: str) -> Paper:
    """Undo a resolution: the paper goes back to how it was, and is not resolved again."""
    from .errors import SurveyorError

    log = {r.paper: r for r in ws.load(RESOLUTIONS)}
    hit = log.get(ref) or next((r for r in log.values() if r.arxiv_id == ref), None)
    if hit is None or hit.rule == "not-found":
        raise SurveyorError(f"`{ref}` was not resolved", "see data/resolutions.jsonl")
    papers = ws.load_papers()
    papers.pop(hit.arxiv_id or "", None)
    papers[hit.before.id] = hit.before
    log[hit.paper] = hit.model_copy(update={"rule": "undone", "arxiv_id": None})
    ws.commit(
        {
            ws.papers_path: jsonl_text(papers.values(), key=lambda p: p.id),
            ws.path(RESOLUTIONS): RESOLUTIONS.text(log.values()),
        },
        "resolve --undo",
    )
    return hit.before


def read_ids(path: Path) -> list[str]:
    """The arXiv ids or URLs of a file, one a line (the first word; `#` starts a comment line)."""
    if not path.is_file():
        raise InputError(f"file not found: {path}", "give a file of arXiv ids, one a line")
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [ln.split()[0] for ln in lines if ln.strip() and not ln.startswith("#")]
