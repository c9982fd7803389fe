"""A work as a metadata service describes it, in surveyor's terms, and the checks every value passes
before it may enter a paper (the shared ones of `surveyor.text` for DOIs, URLs and control
characters; arXiv DataCite DOIs, counts, venues here).

Input: values read from OpenAlex or Semantic Scholar JSON. Output: `Found` records with validated
fields; a value that fails its check is left out, never passed on.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..models import VenueKind
from ..sources.venue import is_preprint_venue, known_venue, venue_details
from ..text import clean_doi, clean_space, parse_arxiv_id, strip_controls

ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.I)
MAX_AUTHORS = 200
NOT_PAPERS = frozenset({"paratext", "erratum", "retraction", "peer-review", "editorial", "letter"})


class Found(BaseModel):
    """One work found in a metadata service."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str  # openalex | s2
    id: str  # the service's id: W2741809807 / a Semantic Scholar paperId
    title: str | None = None
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    venue: str | None = None  # the published venue (canonical name when known); None for a preprint
    venue_kind: VenueKind | None = None
    doi: str | None = None  # the published version's DOI (arXiv's own 10.48550 DOIs become `arxiv_id`)
    arxiv_id: str | None = None
    citations: int | None = None
    open_access: str | None = None
    kind: str | None = None  # the service's type: article, preprint, Conference, paratext...


def obj(value: object) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (services leave fields out or null)."""
    return value if isinstance(value, dict) else {}


def items(value: object) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def doi_key(value: object) -> str | None:
    """A bare, lower-case DOI (`10.1109/cvpr.2024.01234`) from a DOI or doi.org URL, or None: DOIs are
    case-insensitive, and services write them either way."""
    doi = clean_doi(value)
    return doi.lower() if doi else None


def split_doi(value: object) -> tuple[str | None, str | None]:
    """(published DOI, arXiv id) from a DOI: arXiv's DataCite DOIs name a preprint, not a publication."""
    doi = doi_key(value)
    if doi is None:
        return None, None
    m = ARXIV_DOI.match(doi)
    if m:
        parsed = parse_arxiv_id(m.group(1))
        return None, parsed[0] if parsed else None
    return doi, None


def arxiv_from(value: object) -> str | None:
    """An arXiv id (without version) from an id or an arxiv.org URL, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    parsed = parse_arxiv_id(value.strip())
    return parsed[0] if parsed else None


def text(value: object, limit: int = 1000) -> str | None:
    """A short text value: control characters dropped, whitespace collapsed, cut at `limit`; or None."""
    if not isinstance(value, str):
        return None
    cleaned = clean_space(strip_controls(value[: limit * 2]))[:limit]
    return cleaned or None


def count(value: object) -> int | None:
    """A non-negative count (JSON booleans are not counts), or None."""
    return value if type(value) is int and value >= 0 else None


def names(values: list[str | None]) -> list[str]:
    """Author names that are text, at most MAX_AUTHORS (a collaboration can list thousands)."""
    return [n for n in values if n][:MAX_AUTHORS]


def year_of(value: object) -> int | None:
    """A plausible publication year, or None."""
    return value if isinstance(value, int) and 1900 <= value <= 2100 else None


def venue_of(names: list[str | None], kind: str | None) -> tuple[str | None, VenueKind | None]:
    """(venue, kind) from the names a service gives a publication venue, best first: a venue surveyor
    knows gets its canonical name and kind; another keeps the service's name and the kind it states;
    preprint servers are no venue."""
    given = [n for n in (text(name, 300) for name in names) if n and not is_preprint_venue(n)]
    for name in given:
        canonical = known_venue(name)
        if canonical:
            return canonical, _kind(venue_details(canonical)[1])
    if not given:
        return None, None
    return given[0], _kind(kind)


def _kind(kind: str | None) -> VenueKind | None:
    return "journal" if kind == "journal" else "conference" if kind == "conference" else None
