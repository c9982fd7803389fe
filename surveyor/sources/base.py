"""What every importer returns, and the helpers they share.

Input: one file's text. Output: `Parsed` — the papers found (each with one `Source`), the number
of records read, and every record skipped with its line and reason. A record that cannot be a paper
(no text, a field of the wrong type, a field over its size limit) is skipped, never raised; a field
that is not acceptable (a URL that is not http(s), a date that is no date) is dropped with a note.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..models import Paper, Source, canonical_id
from ..text import clean_space, parse_arxiv_id, strip_controls

# The longest value each text field may have: far above any real one (arXiv caps abstracts at 1,920
# characters), far below what would bloat the workspace or every export.
LIMITS = {"title": 2_000, "abstract": 50_000, "comment": 5_000, "journal_ref": 2_000}
LIMITS |= {"url": 2_000, "doi": 300}
FIELD_LIMIT = 1_000  # venue, acronym, bibkey, an author's name
MAX_AUTHORS = 10_000
OPTIONAL_TEXT = ("venue", "acronym", "bibkey", "comment", "journal_ref", "doi", "published", "updated")


@dataclass
class Skip:
    """A record an importer could not use, with where it was and why."""

    line: int
    reason: str


@dataclass
class Parsed:
    """An importer's result for one file."""

    format: str
    papers: list[Paper] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    read: int = 0

    def add(self, file: str, line: int, **fields: Any) -> Paper | None:
        """Make a paper of one record and keep it; a record that cannot be one is skipped with its
        line and reason, and each field dropped as unacceptable is noted."""
        try:
            paper = make_paper(file, self.format, line, **fields)
        except (ValidationError, ValueError, TypeError) as exc:
            self.skipped.append(Skip(line, reason(exc)))
            return None
        self.skipped += [Skip(line, note) for note in dropped(fields, paper)]
        self.papers.append(paper)
        return paper


def reason(exc: Exception) -> str:
    """One line saying why a record could not be a paper."""
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc']) or 'record'}: {err['msg']}"[:200]
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def dropped(fields: dict[str, Any], paper: Paper) -> list[str]:
    """Notes on the fields given for `paper` that it was kept without (not a DOI, date, URL...)."""
    notes = []
    kinds = {"doi": "a DOI", "published": "a date", "updated": "a date", "year": "a year"}
    for name in dict.fromkeys((*kinds, *OPTIONAL_TEXT)):
        given = fields.get(name)
        if given not in (None, "") and getattr(paper, name) in (None, ""):
            what = kinds.get(name, f"text of at most {LIMITS.get(name, FIELD_LIMIT):,} characters")
            notes.append(f"kept without its {name}: {str(given)[:60]!r} is not {what}")
    links = dict(fields.get("links") or {}) if isinstance(fields.get("links"), dict) else {}
    if fields.get("url") and not paper.arxiv_id:
        links.setdefault("paper", fields["url"])
    for kind, url in links.items():
        if url and kind not in paper.links:
            notes.append(f"kept without its {kind} link: {str(url)[:60]!r} is not an http(s) URL")
    given_authors = fields.get("authors")
    if given_authors and len(paper.authors) < (len(given_authors) if isinstance(given_authors, list) else 1):
        notes.append("kept without the author names that are not text (or beyond the limit)")
    lost = len(fields.get("categories") or []) - len(paper.categories)
    if lost > 0:
        notes.append(f"kept without {lost} arXiv categories that are not category names")
    return notes


def load_json(text: str) -> Any:
    """`json.loads`, with nesting too deep for Python (about 1,000 levels) as a ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply (more than about 1,000 levels)") from None


def text_field(name: str, value: object, strict: bool = True) -> str | None:
    """A text field as given (numbers as text, control characters removed), None when empty. A
    list, an object or a value over the field's size limit is a ValueError, or None if not `strict`
    (an optional field is dropped; the paper is kept)."""
    if value is None or value == "":
        return None
    problem = None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        problem = f"`{name}` is a {type(value).__name__}, not text"
    else:
        text = strip_controls(str(value))
        limit = LIMITS.get(name, FIELD_LIMIT)
        if len(text) > limit:
            problem = f"`{name}` is {len(text):,} characters long (the limit is {limit:,})"
    if problem and strict:
        raise ValueError(problem)
    return None if problem else text


def make_paper(
    file: str,
    fmt: str,
    line: int | None,
    *,
    title: str | None = None,
    abstract: str | None = None,
    url: str | None = None,
    section: str | None = None,
    **fields: object,
) -> Paper:
    """Build a Paper with one Source from whatever a listing gives; the id follows the contract.
    ValueError for a title or abstract of the wrong type or over its size limit (other fields of
    the wrong type or size are left out)."""
    title = clean_space(text_field("title", title) or "") or None
    abstract = clean_space(text_field("abstract", abstract) or "") or None
    url = text_field("url", url, strict=False)
    for name in OPTIONAL_TEXT:
        if name in fields:
            fields[name] = text_field(name, fields[name], strict=False)
    authors = fields.get("authors") or []
    authors = authors[:MAX_AUTHORS] if isinstance(authors, list) else []
    fields["authors"] = [who for a in authors if (who := text_field("author", a, strict=False))]
    arxiv = parse_arxiv_id(url) if url else None
    if arxiv is None and fields.get("arxiv_id"):
        arxiv = parse_arxiv_id(str(fields.pop("arxiv_id")))
    fields.pop("arxiv_id", None)
    arxiv_id, version = arxiv if arxiv else (None, None)
    links = dict(fields.pop("links", None) or {})  # type: ignore[call-overload]
    if url and not arxiv:
        links.setdefault("paper", url)
    source = Source(file=file, format=fmt, line=line, section=section, version=version)
    return Paper.model_validate(
        {
            "id": canonical_id(arxiv_id, title, abstract),
            "title": title or None,
            "abstract": abstract or None,
            "arxiv_id": arxiv_id,
            "arxiv_version": version,
            "links": {k: v for k, v in links.items() if v},
            "sources": [source],
            **{k: v for k, v in fields.items() if v not in (None, "", [])},
        }
    )
