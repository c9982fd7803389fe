"""The arXiv metadata snapshot: one JSON record a line (`id`, `title`, `abstract`, `authors`,
`categories`, `comments`, `journal-ref`, `doi`, `versions`, `update_date`), millions of lines.

Streamed, never loaded whole: each line is first checked with plain substring tests (category,
keywords) and only candidates are parsed, then filtered by date. Input: a path and filters.
Output: the matching papers; a malformed line is skipped with its number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path

from ..text import clean_date
from .base import Parsed, Skip, load_json
from .venue import venue_from_comment

FORMAT = "arxiv-snapshot"


@dataclass
class Filters:
    """What to keep from a snapshot."""

    categories: list[str] = field(default_factory=list)  # any of (prefixes allowed: "cs.")
    since: date | None = None  # first version on or after
    until: date | None = None
    keywords: list[str] = field(default_factory=list)  # any, in title or abstract (case-insensitive)


def _versions(record: dict) -> list:  # type: ignore[type-arg]
    versions = record.get("versions")
    return versions if isinstance(versions, list) else []


def _first_version(record: dict) -> date | None:  # type: ignore[type-arg]
    """The day of the first version, else (when that is unreadable) the record's `update_date`;
    None when neither is a date."""
    versions = _versions(record)
    if not versions:
        return None
    created = versions[0].get("created") if isinstance(versions[0], dict) else None
    if isinstance(created, str):
        try:
            return parsedate_to_datetime(created).date()
        except (TypeError, ValueError):
            pass
    day = clean_date(record.get("update_date"))
    return date.fromisoformat(day) if day and len(day) == 10 else None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        yield from enumerate(fh, 1)


def parse_path(path: Path, file: str, filters: Filters) -> Parsed:
    """Stream the snapshot at `path`, keeping records that pass `filters`."""
    out = Parsed(FORMAT)
    cats = [c.lower() for c in filters.categories]
    words = [w.lower() for w in filters.keywords]
    for number, line in _lines(path):
        if not line.strip():
            continue
        out.read += 1
        low = line.lower() if (cats or words) else line
        if cats and not any(c in low for c in cats):
            continue
        if words and not any(w in low for w in words):
            continue
        try:
            record = load_json(line)
        except json.JSONDecodeError as exc:
            out.skipped.append(Skip(number, f"not valid JSON ({exc.msg})"))
            continue
        except ValueError as exc:
            out.skipped.append(Skip(number, str(exc)))
            continue
        if not isinstance(record, dict):
            out.skipped.append(Skip(number, "not a JSON object"))
            continue
        record_cats = str(record.get("categories", "")).split()
        if cats and not any(rc.lower().startswith(c) for rc in record_cats for c in cats):
            continue
        text = f"{record.get('title', '')} {record.get('abstract', '')}".lower()
        if words and not any(w in text for w in words):
            continue
        first = _first_version(record)
        if (filters.since or filters.until) and first is None and record.get("update_date"):
            day = str(record["update_date"])[:30]
            out.skipped.append(Skip(number, f"date {day!r} is not a date: cannot tell if it is in range"))
            continue
        if (filters.since and (first is None or first < filters.since)) or (
            filters.until and (first is None or first > filters.until)
        ):
            continue
        _add(out, record, file, number, record_cats, first)
    return out


def _add(out: Parsed, record: dict, file: str, number: int, cats: list[str], first: date | None) -> None:  # type: ignore[type-arg]
    """Keep one snapshot record as a paper (or skip it with the reason)."""
    latest = len(_versions(record)) or None
    journal = record.get("journal-ref") or None
    journal = journal if isinstance(journal, str) else None
    comments = record.get("comments") if isinstance(record.get("comments"), str) else None
    venue = venue_from_comment(journal) or venue_from_comment(comments)
    arxiv_id = str(record.get("id", "")).strip()
    out.add(
        file,
        number,
        title=record.get("title"),
        abstract=record.get("abstract"),
        arxiv_id=f"{arxiv_id}v{latest}" if latest else arxiv_id,
        authors=[
            a.strip() for a in str(record.get("authors", "")).replace(" and ", ", ").split(",") if a.strip()
        ],
        published=first.isoformat() if first else None,
        updated=record.get("update_date"),
        comment=comments,
        journal_ref=journal,
        doi=record.get("doi"),
        categories=cats,
        venue=venue[0] if venue else None,
        year=venue[1] if venue and venue[1] else None,
    )
