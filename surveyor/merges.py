"""The merge log: open the library with its dedupe lookups (honouring the pairs a human said are
distinct), save it back with the merges it made, explain merges, undo one.

Input: a workspace. Output: `data/papers.jsonl`, `data/merges.jsonl` (every merge: rule, score, the
incoming record and the paper before it) and `data/distinct.jsonl`, through the store's `Log`s.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SurveyorError
from .files import atomic_write_text, dump_line, jsonl_text
from .models import Paper
from .records import DISTINCT, MERGES, Distinct, Merge
from .sources.dedupe import PaperIndex, merge
from .store import Workspace, writes


def load_merges(ws: Workspace) -> list[Merge]:
    """Every merge so far."""
    return ws.load(MERGES)


def open_index(ws: Workspace) -> PaperIndex:
    """The library with its dedupe lookups, honouring distinct pairs."""
    pairs = {frozenset((d.a, d.b)) for d in ws.load(DISTINCT)}
    return PaperIndex(ws.load_papers(), pairs)


def _log_text(log: list[Merge]) -> str:
    """The merge log, sorted, each merge once (a merge made again after a kill is the same merge)."""
    unique = {dump_line(m): m for m in log}
    return MERGES.text(unique.values())


def save_index(
    ws: Workspace, index: PaperIndex, extra: dict[Path, str] | None = None, what: str = "resolve"
) -> None:
    """Append the new merges to the log, then write the papers: a kill between the two leaves a
    logged merge the next import makes (and logs) again, never a merge missing from the log. With
    `extra` (other files that change with the papers: the log of the command `what`), everything is
    written as one step."""
    files: dict[Path, str | None] = {}
    if index.merges:
        files[ws.path(MERGES)] = _log_text(load_merges(ws) + index.merges)
    files[ws.papers_path] = jsonl_text(index.papers.values(), key=lambda p: p.id)
    if extra:
        ws.commit({**files, **extra}, what)
    else:
        for path, text in files.items():
            atomic_write_text(path, text or "")
    index.merges = []


def duplicates(ws: Workspace) -> list[Merge]:
    """Merges whose paper is still in the library, for `status --duplicates`."""
    papers = ws.load_papers()
    current = {alias: p.id for p in papers.values() for alias in (p.id, *p.aliases)}
    return [
        m.model_copy(update={"into": current.get(m.into, m.into)})
        for m in load_merges(ws)
        if m.into in current
    ]


@writes("unmerge")
def unmerge(ws: Workspace, paper_id: str, absorbed: str) -> tuple[Paper, Paper]:
    """Split `absorbed` back out of `paper_id`: the paper is rebuilt from how it was before that merge
    plus every later merge; both ids are marked distinct so no import merges them again."""
    papers = ws.load_papers()
    current = {alias: p.id for p in papers.values() for alias in (p.id, *p.aliases)}
    target = current.get(paper_id)
    if target is None:
        raise SurveyorError(f"no paper `{paper_id}`", "see `surveyor status --duplicates` for merged papers")
    log = load_merges(ws)
    chain = [m for m in log if current.get(m.into) == target]
    index = next((i for i, m in enumerate(chain) if m.absorbed == absorbed), None)
    if index is None:
        raise SurveyorError(
            f"`{absorbed}` was not merged into `{paper_id}`", "see `surveyor status --duplicates`"
        )
    undone = chain[index]
    rebuilt = undone.before
    for later in chain[index + 1 :]:
        rebuilt = merge(rebuilt, later.record)
    restored = undone.record
    if restored.id == rebuilt.id or (restored.id in papers and restored.id != target):
        restored = restored.model_copy(update={"id": restored.id + "-split"})
    del papers[target]
    papers[rebuilt.id] = rebuilt.model_copy(update={"aliases": sorted(set(rebuilt.aliases) - {restored.id})})
    papers[restored.id] = restored
    pairs = [*ws.load(DISTINCT), Distinct(a=rebuilt.id, b=restored.id)]
    ws.commit(  # papers, merge log and distinct pairs change together, or not at all
        {
            ws.papers_path: jsonl_text(papers.values(), key=lambda p: p.id),
            ws.path(MERGES): _log_text([m for m in log if m is not undone]),
            ws.path(DISTINCT): DISTINCT.text(pairs),
        },
        "unmerge",
    )
    return rebuilt, restored
