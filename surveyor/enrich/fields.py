"""What accepted records give a paper, field by field; what a person entered is never overwritten.

Input: a paper and the records accepted for it (any service, any number). Output: the paper with
the fields it lacked (or had from an earlier enrichment) filled, `enriched` naming the service behind
each, and notes on values kept because they were imported or entered by hand. Pure.

Choices: authors from the record listing the most; the venue, its kind, year and DOI from the
published version (a record naming a venue surveyor knows first); the arXiv id from any record;
the largest citation count; the first open-access link.
"""

from __future__ import annotations

from typing import Any

from ..models import Paper, canonical_id
from ..sources.venue import FULL_NAMES
from .records import Found

FIELDS = ("authors", "year", "venue", "venue_kind", "doi", "arxiv_id", "citations", "open_access")


def offer(found: list[Found]) -> dict[str, tuple[Any, str]]:
    """Field -> (value, service) that the records together offer."""
    out: dict[str, tuple[Any, str]] = {}
    if not found:
        return out
    authors = max(found, key=lambda f: len(f.authors))
    if authors.authors:
        out["authors"] = (list(authors.authors), authors.source)
    published = sorted(
        (f for f in found if f.venue),
        key=lambda f: f.venue.removesuffix(" Workshop") not in FULL_NAMES,  # type: ignore[union-attr]
    )
    if published:
        pub = published[0]
        out["venue"] = (pub.venue, pub.source)
        if pub.venue_kind:
            out["venue_kind"] = (pub.venue_kind, pub.source)
    first = published[0] if published else None
    years = [f for f in found if f.year]
    year_from = first if first and first.year else (min(years, key=lambda f: f.year or 0) if years else None)
    if year_from:
        out["year"] = (year_from.year, year_from.source)
    for field in ("doi", "arxiv_id", "open_access"):
        ordered = ([first] if first else []) + found
        value = next((f for f in ordered if getattr(f, field)), None)
        if value:
            out[field] = (getattr(value, field), value.source)
    cited = [f for f in found if f.citations is not None]
    if cited:
        best = max(cited, key=lambda f: f.citations or 0)
        out["citations"] = (best.citations, best.source)
    return out


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def apply(paper: Paper, found: list[Found]) -> tuple[Paper, dict[str, str], list[str]]:
    """(the paper with what the records offer, field -> service for each field set, notes)."""
    data = paper.model_dump()
    enriched = dict(paper.enriched)
    set_now: dict[str, str] = {}
    notes: list[str] = []
    for field, (value, source) in offer(found).items():
        current = data[field]
        if field == "venue_kind" and "venue" not in enriched:
            continue  # a kind belongs to the venue it came with
        if not _empty(current) and field not in enriched:
            if current != value and field in ("venue", "year", "doi", "arxiv_id"):
                notes.append(f"{field}: kept {current!r} (entered or imported); {source} says {value!r}")
            continue
        if current != value or field not in enriched:
            data[field] = value
            set_now[field] = source
        enriched[field] = source
    data["enriched"] = enriched
    ours = {f.source: f.id for f in sorted(found, key=lambda f: bool(f.venue))}  # a published one last
    data["external_ids"] = {**paper.external_ids, **ours}
    if "arxiv_id" in set_now:
        data["id"] = canonical_id(data["arxiv_id"], data["title"], data["abstract"])
        data["arxiv_version"] = None
        if data["id"] != paper.id:
            data["aliases"] = sorted(set(paper.aliases) | {paper.id})
    return Paper.model_validate(data), set_now, notes


def restore(paper: Paper, before: Paper, fields: dict[str, str]) -> Paper:
    """`paper` with the fields an enrichment set (still marked enriched) back as they were before it."""
    data = paper.model_dump()
    enriched = dict(paper.enriched)
    for field in fields:
        if field in enriched:
            data[field] = getattr(before, field)
            del enriched[field]
    data["enriched"] = enriched
    data["external_ids"] = dict(before.external_ids)
    if "arxiv_id" in fields and data["arxiv_id"] != paper.arxiv_id:
        data["id"] = before.id
        data["arxiv_version"] = before.arxiv_version
        data["aliases"] = sorted(set(paper.aliases) - {before.id})
    return Paper.model_validate(data)
