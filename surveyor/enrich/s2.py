"""Semantic Scholar's Academic Graph API (https://api.semanticscholar.org/graph/v1): what to ask and
how to read the answer.

Input: arXiv ids, DOIs or Semantic Scholar ids, or a title. Output: the documented paper objects
(`paperId`, `externalIds`, `title`, `year`, `venue`, `publicationVenue`, `journal`,
`publicationTypes`, `authors`, `citationCount`, `openAccessPdf`) read into `Found` records. Ids go up
to 500 to a request (`POST /paper/batch`, the documented maximum; the reply lists a paper or null
per id, in order); a title is one request (`GET /paper/search`). An API key goes in `x-api-key`.
Parsing is pure: `parse(paper)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..config import EnrichConfig
from ..text import normalize_title, safe_url
from .records import Found, arxiv_from, count, items, names, obj, split_doi, text, venue_of, year_of
from .service import Service

NAME = "s2"
BATCH = 500
TITLE_RESULTS = 10
FIELDS = (
    "paperId,externalIds,title,year,venue,publicationVenue,journal,publicationTypes,publicationDate,"
    "authors,citationCount,openAccessPdf"
)
_PREFIX = {"arxiv": "ARXIV:", "doi": "DOI:", "s2": ""}


def service(cfg: EnrichConfig, **kwargs: Any) -> Service:
    """The Semantic Scholar endpoint as configured, its key (when given) in `x-api-key`."""
    headers = {"x-api-key": cfg.s2_api_key} if cfg.s2_api_key else {}
    return Service.configured("Semantic Scholar", cfg.s2_url, cfg.s2_pace(), cfg, headers=headers, **kwargs)


def id_key(kind: str, value: str) -> str | None:
    """The id as the batch endpoint takes it (`ARXIV:2401.00001`, `DOI:10.…`, a paperId)."""
    prefix = _PREFIX.get(kind)
    return None if prefix is None else prefix + value


def batches(keys: list[str]) -> Iterator[tuple[dict[str, str], list[str]]]:
    """(query parameters, the ids asked) for each batch request, BATCH ids at a time."""
    for start in range(0, len(keys), BATCH):
        yield {"fields": FIELDS}, keys[start : start + BATCH]


def fetch_batch(svc: Service, params: dict[str, str], keys: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each id's paper object (or None), from one batch request."""
    body = svc.post("/graph/v1/paper/batch", params, {"ids": keys})
    papers = body if isinstance(body, list) and len(body) == len(keys) else [None] * len(keys)
    return {key: paper if isinstance(paper, dict) else None for key, paper in zip(keys, papers, strict=True)}


def title_params(title: str) -> dict[str, str] | None:
    """The query parameters that search papers by title (plain words: the search drops hyphenated
    terms), or None for a title with nothing to search."""
    words = normalize_title(title)
    if not words:
        return None
    return {"query": words[:300], "limit": str(TITLE_RESULTS), "fields": FIELDS}


def search_title(svc: Service, params: dict[str, str]) -> list[dict[str, Any]]:
    """The paper objects a title search returns."""
    body = svc.get("/graph/v1/paper/search", params) or {}
    data = body.get("data") if isinstance(body, dict) else None
    return [p for p in data or [] if isinstance(p, dict)]


def parse(paper: object) -> Found | None:
    """A paper object as a `Found` record (None when it is not one)."""
    if not isinstance(paper, dict) or not isinstance(paper.get("paperId"), str):
        return None
    ext = obj(paper.get("externalIds"))
    doi, arxiv = split_doi(ext.get("DOI"))
    pv, journal = obj(paper.get("publicationVenue")), obj(paper.get("journal"))
    types = [t for t in items(paper.get("publicationTypes")) if isinstance(t, str)]
    kind = pv.get("type") or (
        "conference" if "Conference" in types else "journal" if journal.get("name") else None
    )
    alternates = [a for a in items(pv.get("alternate_names")) if isinstance(a, str)]
    venue, venue_kind = venue_of([pv.get("name"), paper.get("venue"), journal.get("name"), *alternates], kind)
    oa = obj(paper.get("openAccessPdf"))
    authors = [text(obj(a).get("name"), 200) for a in items(paper.get("authors"))]
    return Found(
        source=NAME,
        id=paper["paperId"],
        title=text(paper.get("title")),
        authors=names(authors),
        year=year_of(paper.get("year")),
        venue=venue,
        venue_kind=venue_kind,
        doi=doi,
        arxiv_id=arxiv_from(ext.get("ArXiv")) or arxiv,
        citations=count(paper.get("citationCount")),
        open_access=safe_url(oa.get("url")),
        kind=",".join(types) or None,
    )
