"""The paper library as one unit: load it with its merge log and distinct pairs, save it back,
explain merges, undo one.

Files of record: `data/papers.jsonl`, `data/merges.jsonl` (every merge: rule, score, the incoming
record and the paper before it), `data/distinct.jsonl` (pairs a human said are different papers).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .errors import SurveyorError
from .models import Paper
from .sources.dedupe import Merge, PaperIndex, merge
from .store import Workspace, atomic_write_text, dump_line, jsonl_text, read_jsonl, writes


class Distinct(BaseModel):
    """Two ids that must never be merged."""

    model_config = ConfigDict(extra="forbid")
    a: str
    b: str


def _merges_path(ws: Workspace) -> Path:
    return ws.data_dir / "merges.jsonl"


def _distinct_path(ws: Workspace) -> Path:
    return ws.data_dir / "distinct.jsonl"


def load_merges(ws: Workspace) -> list[Merge]:
    """Every merge so far."""
    return read_jsonl(_merges_path(ws), Merge)


def open_index(ws: Workspace) -> PaperIndex:
    """The library with its dedupe lookups, honouring distinct pairs."""
    pairs = {frozenset((d.a, d.b)) for d in read_jsonl(_distinct_path(ws), Distinct)}
    return PaperIndex(ws.load_papers(), pairs)


def _merge_key(m: Merge) -> tuple[str, str, tuple[str, int, str]]:
    return (m.into, m.absorbed, m.record.sources[0].sort_key() if m.record.sources else ("", 0, ""))


def _log_text(log: list[Merge]) -> str:
    """The merge log, sorted, each merge once (a merge made again after a kill is the same merge)."""
    unique = {dump_line(m): m for m in log}
    return jsonl_text(unique.values(), key=_merge_key)


def save_index(
    ws: Workspace, index: PaperIndex, extra: dict[Path, str] | None = None, what: str = "resolve"
) -> None:
    """Append the new merges to the log, then write the papers: a kill between the two leaves a
    logged merge the next import makes (and logs) again, never a merge missing from the log. With
    `extra` (other files that change with the papers: the log of the command `what`), everything is
    written as one step."""
    files: dict[Path, str | None] = {}
    if index.merges:
        files[_merges_path(ws)] = _log_text(load_merges(ws) + index.merges)
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
    pairs = [*read_jsonl(_distinct_path(ws), Distinct), Distinct(a=rebuilt.id, b=restored.id)]
    ws.commit(  # papers, merge log and distinct pairs change together, or not at all
        {
            ws.papers_path: jsonl_text(papers.values(), key=lambda p: p.id),
            _merges_path(ws): _log_text([m for m in log if m is not undone]),
            _distinct_path(ws): jsonl_text(pairs, key=lambda d: (d.a, d.b)),
        },
        "unmerge",
    )
    return rebuilt, restored
