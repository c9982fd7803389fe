"""JSON Lines: one paper object a line (`title`, `abstract`, `arxiv_id`/`id`/`arxiv_url`, `authors`,
`date`/`published`, `year`, `venue`, `code_url`, ...); unknown fields are ignored.

Input: the file's text. Output: papers; a line that is not a JSON object, or has neither a title,
an abstract nor an id, is skipped with its line number.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .base import Parsed, Skip, load_json

FORMAT = "jsonl"


def parse(text: str, file: str) -> Parsed:
    """Parse a JSONL file."""
    out = Parsed(FORMAT)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        out.read += 1
        try:
            obj = load_json(line)
        except json.JSONDecodeError as exc:
            out.skipped.append(Skip(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        except ValueError as exc:
            out.skipped.append(Skip(number, str(exc)))
            continue
        if not isinstance(obj, dict):
            out.skipped.append(Skip(number, "not a JSON object"))
            continue
        out.add(file, number, **_fields(obj))
    return out


def _fields(obj: dict[str, Any]) -> dict[str, Any]:
    """The paper fields of one record (by their common names), as given: `make_paper` skips a
    record whose title or abstract is not text, and drops other fields that are not."""

    def text(key: str) -> Any:
        value = obj.get(key)
        if value in (None, "") or isinstance(value, bool):
            return None
        return str(value) if isinstance(value, (int, float)) else value

    authors = obj.get("authors") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in re.split(r",| and ", authors) if a.strip()]
    date = text("published") or text("date")
    date = date if isinstance(date, str) else None
    year = obj.get("year")
    venue = text("venue")
    return {
        "title": text("title"),
        "abstract": text("abstract"),
        "url": text("arxiv_url") or text("url"),
        "arxiv_id": text("arxiv_id") or text("arxiv") or text("eprint"),
        "authors": authors,
        "published": date if date and re.match(r"^\d{4}-\d{2}(-\d{2})?$", date) else None,
        "year": int(str(year)) if str(year or "").isdecimal() else _year_of(date),
        "venue": None if isinstance(venue, str) and venue.lower() == "arxiv" else venue,
        "doi": text("doi"),
        "links": {"code": text("code_url") or text("code")},
    }


def _year_of(date: str | None) -> int | None:
    m = re.search(r"(19|20)\d{2}", date or "")
    return int(m.group(0)) if m else None
