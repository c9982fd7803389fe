"""`surveyor enrich` for a workspace: which papers, which lookups, what is kept, logged and undone.

Input: the workspace (its papers, `[enrich]` settings), optionally the papers to enrich. Output: the
papers with authors, year, venue, DOI, arXiv id, citation count and open-access link filled where a
person left them empty (`data/papers.jsonl`), and one line per paper in `data/enrichments.jsonl`:
what was accepted from which service by which rule and score, the best candidate turned down and
why, the fields set, and the paper as it was before (so `undo` can put it back).

Per chunk of papers: those without any id are looked up by title (each service in turn until one
record is accepted); then every id known, the paper's own or a title match's, is looked up in
batches (Semantic Scholar first, so the DOIs of published versions it knows are asked of OpenAlex
too). Every answer goes into the SQLite cache (`.surveyor/cache.sqlite`) as it arrives, so a rerun
or a run resumed after a kill asks nothing twice; papers and log are saved every SAVE_EVERY seconds,
at the end and when the run is stopped (what a kill loses is rebuilt from the cache). A paper
a service could not be asked about (it stopped answering) is logged as `partial` and asked again by
the next run. A paper whose new arXiv id or DOI belongs to another paper in the library is merged
into it, logged like any merge (`surveyor unmerge` splits it).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field

from .. import clock
from ..errors import SurveyorError
from ..files import Log
from ..merges import open_index, save_index, unmerge
from ..models import Paper, Record
from ..records import Merge
from ..sources.dedupe import PaperIndex, merge
from ..store import Workspace, writes
from . import fields
from .lookups import MODULES, Lookups, services
from .match import Decision, check_id, decide
from .records import Found
from .service import Service

ID_ORDER = ("s2", "openalex")  # Semantic Scholar's DOIs of published versions feed OpenAlex's batch
CHUNK = 500  # papers looked up together: Semantic Scholar's batch size
SAVE_EVERY = 20.0  # seconds between saves of papers and log (answers are cached as they arrive)
Progress = Callable[[int, int], None]


class Match(Record):
    """A record a service offered for a paper, and what was decided about it."""

    source: str
    work: str
    rule: str  # id, title, fuzzy-title, truncated, subtitle (accepted); rejected
    score: float | None = None
    title: str | None = None
    why: str = ""


class Enrichment(Record):
    """What enrichment did to one paper (one line of data/enrichments.jsonl)."""

    paper: str  # the paper's id when it was first enriched
    into: str | None = None  # its id afterwards (an arXiv id found), when different
    merged_into: str | None = None  # the library paper it turned out to duplicate
    status: Literal["enriched", "not-found", "partial", "undone"]
    matches: list[Match] = Field(default_factory=list)
    rejected: list[Match] = Field(default_factory=list)
    fields: dict[str, str] = Field(default_factory=dict)  # field -> service, as set by enrichment
    notes: list[str] = Field(default_factory=list)
    refused: list[str] = Field(default_factory=list)  # records undone for this paper: never taken again
    before: Paper
    time: str


@dataclass
class EnrichReport:
    """What one enrichment run did."""

    asked: int = 0
    matched: int = 0
    not_found: int = 0
    partial: int = 0
    by_title: int = 0
    merged: list[tuple[str, str]] = field(default_factory=list)
    fields: Counter[str] = field(default_factory=Counter)
    requests: dict[str, int] = field(default_factory=dict)
    cached: int = 0
    stopped: list[str] = field(default_factory=list)
    records: list[Enrichment] = field(default_factory=list)


ENRICHMENTS = Log("enrichments.jsonl", Enrichment, lambda r: r.paper)


def load_log(ws: Workspace) -> dict[str, Enrichment]:
    """Every paper's enrichment record, by the id it had when first enriched."""
    return {r.paper: r for r in ws.load(ENRICHMENTS)}


@dataclass
class _Work:
    """One paper's lookups in progress."""

    paper: Paper
    refused: frozenset[str]
    decisions: list[tuple[str, Decision]] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)

    def accepted(self) -> list[Found]:
        """The records taken so far."""
        return [d.found for _s, d in self.decisions if d.found is not None]

    def ids(self, source: str) -> list[str]:
        """The paper's id keys as `source` takes them: the service's own id for the paper when an
        earlier run found it, else the paper's ids and those of the records accepted so far."""
        own = self.paper.external_ids.get(source)
        if own:
            key = MODULES[source].id_key(source, own)
            return [key] if key else []
        found = self.accepted()
        pairs = {("arxiv", v) for v in [self.paper.arxiv_id, *(f.arxiv_id for f in found)] if v}
        pairs |= {("doi", v) for v in [self.paper.doi, *(f.doi for f in found)] if v}
        pairs |= {(source, f.id) for f in found if f.source == source}
        keys = (MODULES[source].id_key(kind, value) for kind, value in sorted(pairs))
        return [k for k in keys if k]


def _by_title(lookups: Lookups, work: _Work, order: list[str]) -> None:
    for source in order:
        candidates = lookups.title(source, work.paper.title or "")
        if candidates is None:
            continue
        work.answered.add(source)
        decision = decide(work.paper, candidates, work.refused)
        work.decisions.append((source, decision))
        if decision.found is not None:
            return


def _by_id(lookups: Lookups, works: list[_Work], source: str) -> None:
    wanted = {id(w): w.ids(source) for w in works if not any(s == source and d.found for s, d in w.decisions)}
    got = lookups.ids(source, [k for keys in wanted.values() for k in keys])
    for work in works:
        keys = wanted.get(id(work))
        if keys is None:
            continue
        if all(k in got for k in keys):
            work.answered.add(source)
        records = {r.id: r for k in keys if (r := got.get(k)) is not None and r.id not in work.refused}
        for record in records.values():
            work.decisions.append((source, check_id(work.paper, record)))


def _look_up(lookups: Lookups, works: list[_Work], order: list[str], tick: Callable[[], None]) -> None:
    for work in works:
        has_id = work.paper.arxiv_id or work.paper.doi or work.paper.external_ids
        if not has_id and work.paper.title:
            _by_title(lookups, work, order)
        tick()  # title lookups are the slow part (one request each): progress moves with them
    for source in [s for s in ID_ORDER if s in order]:
        _by_id(lookups, works, source)


def _current(index: PaperIndex, pid: str) -> str:
    if pid in index.papers:
        return pid
    return next((p.id for p in index.papers.values() if pid in p.aliases), pid)


def _place(index: PaperIndex, before: Paper, new: Paper, set_now: dict[str, str]) -> tuple[str, str | None]:
    """Put the enriched paper back; (its id now, the library paper it turned out to be, or None).
    Only an arXiv id or DOI just found can show it is a paper the library holds already."""
    index.remove(before.id)
    into = index.find_by_id(new) if {"arxiv_id", "doi"} & set(set_now) else None
    if into is None:
        if new.id != before.id and new.id in index.papers:  # its arXiv id's paper is marked distinct
            new = fields.restore(new, before, {"arxiv_id": set_now.pop("arxiv_id")})
        index.replace(new)
        return new.id, None
    merged = merge(index.papers[into], new)
    index.merges.append(
        Merge(into=merged.id, absorbed=before.id, rule="enrich", record=before, before=index.papers[into])
    )
    index.remove(into)
    index.replace(merged)
    return merged.id, merged.id


def _record(work: _Work, order: list[str], old: Enrichment | None) -> Enrichment:
    matches = [
        Match(source=s, work=d.found.id, rule=d.rule, score=d.score, title=d.found.title, why=d.why)
        for s, d in work.decisions
        if d.found is not None
    ]
    rejected = [
        Match(source=s, work=d.candidate.id, rule=d.rule, score=d.score, title=d.candidate.title, why=d.why)
        for s, d in work.decisions
        if d.found is None and d.candidate is not None
    ]
    complete = set(order) <= work.answered
    status: Literal["enriched", "not-found", "partial"] = (
        "partial" if not complete else "enriched" if matches else "not-found"
    )
    return Enrichment(
        paper=old.paper if old else work.paper.id,
        status=status,
        matches=matches,
        rejected=rejected,
        fields=dict(old.fields) if old and old.status != "undone" else {},
        refused=list(old.refused) if old else [],
        before=old.before if old and old.status != "undone" else work.paper,
        time=clock.stamp(),
    )


def _finish(index: PaperIndex, work: _Work, rec: Enrichment, report: EnrichReport) -> Enrichment:
    found = work.accepted()
    if not found:
        return rec
    new, set_now, notes = fields.apply(work.paper, found)
    pid, merged_into = _place(index, work.paper, new, set_now) if new != work.paper else (work.paper.id, None)
    report.fields.update(set_now.keys())
    report.by_title += any(d.rule not in ("id", "rejected") and d.found for _s, d in work.decisions)
    if merged_into:
        report.merged.append((rec.paper, merged_into))
    return rec.model_copy(
        update={
            "into": pid if pid != rec.paper else None,
            "merged_into": merged_into,
            "fields": {**rec.fields, **set_now},
            "notes": notes,
        }
    )


def select(ws: Workspace, papers: dict[str, Paper], refs: list[str] | None, every: bool) -> list[Paper]:
    """The papers to enrich: those named; else every paper (`every`); else those never enriched
    (or only partly), and not undone."""
    if refs:
        names = {alias: p.id for p in papers.values() for alias in (p.id, *p.aliases, p.arxiv_id) if alias}
        missing = [r for r in refs if r not in names]
        if missing:
            raise SurveyorError(f"no paper `{missing[0]}`", "give paper ids or arXiv ids (`surveyor status`)")
        return [papers[pid] for pid in dict.fromkeys(names[r] for r in refs)]
    log = load_log(ws)
    done = {k: r for r in log.values() for k in (r.paper, r.into) if k}  # not merged_into: another paper
    chosen = []
    for paper in sorted(papers.values(), key=lambda p: p.id):
        rec = next((done[k] for k in (paper.id, *paper.aliases) if k in done), None)
        status = rec.status if rec else None
        if status in (None, "partial") or (every and status != "undone"):
            chosen.append(paper)
    return [p for p in chosen if p.title or p.arxiv_id or p.doi]


@writes("enrich")
def enrich(
    ws: Workspace,
    refs: list[str] | None = None,
    *,
    every: bool = False,
    refresh: bool = False,
    svcs: dict[str, Service] | None = None,
    progress: Progress | None = None,
) -> EnrichReport:
    """Enrich the selected papers. Every answer is cached as it arrives; papers and log are saved
    every SAVE_EVERY seconds, at the end, and when the run is stopped (Ctrl-C, a service error)."""
    svcs = svcs if svcs is not None else services(ws)
    order: list[str] = [s for s in ws.config.enrich.sources if s in svcs]
    index = open_index(ws)
    todo = select(ws, index.papers, refs, every)
    log = load_log(ws)
    report = EnrichReport(asked=len(todo))
    cache = ws.cache()
    lookups = Lookups(cache, svcs, refresh)
    saved = time.monotonic()
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, len(todo))

    try:
        for start in range(0, len(todo), CHUNK):
            _run_chunk(index, log, lookups, order, todo[start : start + CHUNK], report, tick)
            if time.monotonic() - saved > SAVE_EVERY:
                _save(ws, index, log)
                saved = time.monotonic()
    finally:
        _save(ws, index, log)
        cache.close()
    report.requests = {name: svc.stats.requests for name, svc in svcs.items()}
    report.cached = lookups.cached
    report.stopped = list(lookups.stopped.values())
    return report


def enrich_added(ws: Workspace, before: set[str]) -> EnrichReport | None:
    """With `[enrich] auto`, enrich the papers added since the library held the ids `before` (what
    `build` and `update` call, so their changes stay about the new papers); None when off."""
    if not ws.config.enrich.auto:
        return None
    papers = ws.load_papers()
    added = [pid for pid, p in sorted(papers.items()) if pid not in before and not set(p.aliases) & before]
    return enrich(ws, added) if added else EnrichReport()


def _save(ws: Workspace, index: PaperIndex, log: dict[str, Enrichment]) -> None:
    """Papers and the enrichment log as one step (a kill never leaves a change without its log line)."""
    save_index(ws, index, {ws.path(ENRICHMENTS): ENRICHMENTS.text(log.values())}, "enrich")


def _run_chunk(
    index: PaperIndex,
    log: dict[str, Enrichment],
    lookups: Lookups,
    order: list[str],
    chunk: list[Paper],
    report: EnrichReport,
    tick: Callable[[], None],
) -> None:
    by_id = {k: r for r in log.values() for k in (r.paper, r.into) if k}
    works = []
    for paper in chunk:
        current = index.papers.get(paper.id)
        if current is None:  # merged into a paper enriched before it in this run
            tick()
            continue
        old = next((by_id[k] for k in (current.id, *current.aliases) if k in by_id), None)
        works.append((_Work(current, frozenset(old.refused if old else ())), old))
    _look_up(lookups, [w for w, _old in works], order, tick)
    for work, old in works:
        rec = _finish(index, work, _record(work, order, old), report)
        if old is not None and rec.model_copy(update={"time": old.time}) == old:
            rec = old  # nothing new: the log line stays as it was
        log[rec.paper] = rec
        report.records.append(rec)
        report.matched += rec.status == "enriched"
        report.not_found += rec.status == "not-found"
        report.partial += rec.status == "partial"


@writes("enrich --undo")
def undo(ws: Workspace, ref: str) -> Paper:
    """Put a paper back as it was before enrichment (fields set since by a person stay); the records
    it was matched with are never taken for it again."""
    log = load_log(ws)
    rec = next(
        (r for r in log.values() if ref in (r.paper, r.into, r.before.arxiv_id) and r.status != "undone"),
        None,
    )
    if rec is None or (not rec.fields and not rec.merged_into):
        raise SurveyorError(f"`{ref}` has no enrichment to undo", "see data/enrichments.jsonl")
    if rec.merged_into:
        index = open_index(ws)
        _kept, restored = unmerge(ws, _current(index, rec.merged_into), rec.paper)
    else:
        index = open_index(ws)
        pid = _current(index, rec.into or rec.paper)
        restored = fields.restore(index.remove(pid), rec.before, rec.fields)
        index.replace(restored)
        save_index(ws, index)
    refused = sorted(set(rec.refused) | {m.work for m in rec.matches})
    log[rec.paper] = rec.model_copy(
        update={"status": "undone", "refused": refused, "fields": {}, "time": clock.stamp()}
    )
    ws.save(ENRICHMENTS, log.values())
    return restored
