"""What every importer returns, and the helpers they share.

Input: one file's text. Output: `Parsed` — the papers found (each with one `Source`), the number
of records read, and every record skipped with its line and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Paper, Source, canonical_id
from ..text import clean_space, parse_arxiv_id


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


def make_paper(
    file: str,
    fmt: str,
    line: int,
    *,
    title: str | None = None,
    abstract: str | None = None,
    url: str | None = None,
    section: str | None = None,
    **fields: object,
) -> Paper:
    """Build a Paper with one Source from whatever a listing gives; the id follows the contract."""
    title = clean_space(title) if title else None
    abstract = clean_space(abstract) if abstract else None
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
