"""Human decisions, `data/decisions.jsonl`: read strictly, written line by line.

Input: the file's bytes and the taxonomy. Output: one `Classification` (backend "human") per paper,
or a `WorkspaceError` that lists every problem with its `file:line` and its fix. People edit this file
in pull requests, so a line may be the short form
`{"paper": ID, "labels": [{"node": NODE}]}` or `{"paper": ID, "out_of_scope": true, "reason": "..."}`.

Problems that stop every command that reads decisions (acting on the rest would let a machine label
override what a person meant): a line that is not UTF-8, not JSON, or not a decision; a decision with
no labels that is not out of scope; a node the taxonomy does not have; two lines for one paper
(both are named: which one was meant is for a person to say). A decision for a paper that is not in
the library is kept and applies once the paper arrives (`pending`): reported, never dropped.

Writing (`edit`) replaces only the lines of the papers it is given and inserts new ones in sorted
place; every other line stays byte for byte, hand-written short forms included. The file surveyor
writes is sorted by paper id with one decision a paper; lines a person put out of order are left
where they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .errors import WorkspaceError
from .files import LineMemo
from .models import Classification, Paper
from .taxonomy import Taxonomy
from .text import parse_arxiv_id

EXAMPLE = '{"paper": "2401.12345", "labels": [{"node": "NODE-ID"}]}'


@dataclass
class Line:
    """One line of the file as it is, and the decision on it (None for a blank line)."""

    number: int
    raw: bytes
    record: Classification | None = None


def hand_edit(raw: dict[str, Any]) -> dict[str, Any]:
    """A decision line as a person writes it, completed into a full record (human, sure, marked as
    hand-edited)."""
    out = {
        "backend": "human",
        "model": "hand-edited",
        "taxonomy_hash": "",
        "run_id": "hand-edit",
        "time": "",
        **raw,
    }
    out["labels"] = [
        {"confidence": 1.0, "evidence": "", **lab} if isinstance(lab, dict) else lab
        for lab in out.get("labels") or []
    ]
    if out.get("out_of_scope") and not out.get("reason"):
        out["reason"] = "marked out of scope by hand"
    return out


def _parse(raw: bytes, taxonomy: Taxonomy) -> tuple[Classification | None, str | None]:
    """The decision on one line, or the problem with it (a sentence that ends with the fix)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, (
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}): "
            "retype that line or re-save the file as UTF-8"
        )
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors put at the start
    if not text.strip():
        return None, None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not a JSON object ({exc.msg}): each line is one object, e.g. {EXAMPLE}"
    if not isinstance(data, dict):
        return None, f"not a JSON object: each line is one object, e.g. {EXAMPLE}"
    try:
        rec = Classification.model_validate(hand_edit(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        return None, f"bad decision: {loc}: {err['msg']}: fix the value, e.g. {EXAMPLE}"
    found = problem(rec, taxonomy)
    return (None, found) if found else (rec, None)


def problem(rec: Classification, taxonomy: Taxonomy) -> str | None:
    """What makes a decision unusable (not human, no labels, a node the taxonomy lacks), with the fix."""
    if rec.backend != "human":
        return f'backend `{rec.backend}`: this file holds human decisions only: set "backend": "human"'
    if not rec.labels and not rec.out_of_scope:
        return (
            f"the decision for {rec.paper} has no labels: give at least one node "
            '("labels": [{"node": "NODE-ID"}]), or "out_of_scope": true with a "reason", or delete the line'
        )
    unknown = [lab.node for lab in rec.labels if lab.node not in taxonomy]
    if unknown:
        return f"`{unknown[0]}` is not a node of the taxonomy: use one of {_ids(taxonomy, unknown[0])}"
    return None


def _ids(taxonomy: Taxonomy, near: str) -> str:
    import difflib

    ids = [n.id for n in taxonomy.iter_nodes()]
    close = difflib.get_close_matches(near, ids, n=3)
    shown = close or ids[:12]
    more = "" if close or len(ids) <= 12 else f" (and {len(ids) - 12} more in the taxonomy file)"
    return ", ".join(shown) + more


# What each line said, under a taxonomy (by its hash), in the last read of each file: a command reads
# the decisions many times (an update of a 5,000-entry list: 12 times, 0.8 s of CPU). See files.LineMemo.
_memo: LineMemo[tuple[Classification | None, str | None]] = LineMemo()


def read(data: bytes, taxonomy: Taxonomy, shown: str) -> list[Line]:
    """Every line of the file with its decision; raise one error listing every problem. A line read
    before under this taxonomy is not parsed again: its record is shared, never change one in place."""
    lines: list[Line] = []
    problems: list[str] = []
    first: dict[str, int] = {}
    key = (shown, taxonomy.hash)
    before = _memo.take(key)
    seen: dict[bytes, tuple[Classification | None, str | None]] = {}
    for number, raw in enumerate(data.splitlines(keepends=True), 1):
        parsed = seen[raw] = before.get(raw) or _parse(raw, taxonomy)
        rec, problem = parsed
        if problem:
            problems.append(f"{shown}:{number}: {problem}")
        elif rec is not None and rec.paper in first:
            problems.append(
                f"{shown}:{number}: a second decision for {rec.paper} (the first is on line "
                f"{first[rec.paper]}): keep the one you mean and delete the other"
            )
        elif rec is not None:
            first[rec.paper] = number
        lines.append(Line(number, raw, rec))
    _memo.keep(key, seen)
    if problems:
        raise _error(shown, problems)
    return lines


def _error(shown: str, problems: list[str]) -> WorkspaceError:
    head = f"{shown}: {len(problems)} problem{'s' * (len(problems) > 1)} with human decisions"
    return WorkspaceError(
        "\n  ".join([head, *problems]),
        f"fix or delete those lines (`git diff {shown}` shows what changed); nothing was changed",
    )


def by_paper(lines: Iterable[Line]) -> dict[str, Classification]:
    """The decisions, by paper id."""
    return {line.record.paper: line.record for line in lines if line.record is not None}


def other_ids(papers: dict[str, Paper]) -> dict[str, str]:
    """Every other id a decision may name a paper by (its arXiv id, its former ids) -> its id."""
    out = {p.arxiv_id: p.id for p in papers.values() if p.arxiv_id}
    out.update({alias: p.id for p in papers.values() for alias in p.aliases})
    return out


def paper_of(pid: str, papers: dict[str, Paper], alias_of: dict[str, str]) -> str | None:
    """The library id of the paper a decision names (an arXiv id may carry a version or be a URL)."""
    if pid in papers:
        return pid
    parsed = parse_arxiv_id(pid)
    return alias_of.get(pid) or (alias_of.get(parsed[0]) if parsed else None)


def resolve(
    decisions: dict[str, Classification], papers: dict[str, Paper], shown: str, numbers: dict[str, int]
) -> tuple[dict[str, Classification], list[str]]:
    """Decisions filed under each paper's current id (a merged paper's former ids, and an arXiv id
    written with a version or as a URL, map to it), and the ids with no paper yet. Two decisions that
    land on one paper are an error naming both lines."""
    alias_of = other_ids(papers)
    out: dict[str, Classification] = {}
    origin: dict[str, str] = {}
    pending: list[str] = []
    problems = []
    for pid in sorted(decisions, key=lambda k: numbers.get(k, 0)):
        current = paper_of(pid, papers, alias_of)
        if current is None:
            pending.append(pid)
            continue
        if current in out:
            a, b = origin[current], pid
            problems.append(
                f"{shown}:{numbers.get(b, 0)}: the decision for {b} and the one on line "
                f"{numbers.get(a, 0)} (for {a}) are both for paper {current} ({a if a != current else b} "
                f"was merged into it): keep the one you mean and delete the other"
            )
            continue
        out[current] = (
            decisions[pid] if pid == current else decisions[pid].model_copy(update={"paper": current})
        )
        origin[current] = pid
    if problems:
        raise _error(shown, problems)
    return out, pending


def edit(lines: list[Line], changes: dict[str, Classification | None]) -> bytes:
    """The file with the decisions of `changes` replaced (None: removed) or inserted in sorted place
    (before the first line for a later paper); every other line as it was."""
    todo = dict(changes)
    kept: list[tuple[bytes, str | None]] = []
    for line in lines:
        rec = line.record
        if rec is None or rec.paper not in todo:
            kept.append((line.raw, rec.paper if rec else None))
            continue
        new = todo.pop(rec.paper)
        if new is not None:
            kept.append((line.raw if new == rec else _dump(new), rec.paper))
    inserts = sorted((pid, _dump(rec)) for pid, rec in todo.items() if rec is not None)
    out: list[bytes] = []
    j = 0
    for raw, paper in kept:
        while j < len(inserts) and paper is not None and paper > inserts[j][0]:
            _emit(out, inserts[j][1])
            j += 1
        _emit(out, raw)
    for _, raw in inserts[j:]:
        _emit(out, raw)
    return b"".join(out)


def _emit(out: list[bytes], raw: bytes) -> None:
    if out and not out[-1].endswith(b"\n"):
        out[-1] += b"\n"
    out.append(raw)


def _dump(rec: Classification) -> bytes:
    from .files import dump_line

    return (dump_line(rec) + "\n").encode("utf-8")
