"""OpenAlex (https://api.openalex.org, the `/works` endpoint): what to ask and how to read the answer.

Input: DOIs (an arXiv preprint's is `10.48550/arXiv.<id>`), OpenAlex ids or a title. Output: the
documented Work objects (`id`, `doi`, `title`, `publication_year`, `type`, `authorships`,
`primary_location`/`locations` with their `source`, `open_access`, `cited_by_count`), read into
`Found` records. Ids go 50 to a request (`filter=doi:a|b|…`; the documented cap is 100 values, and
half leaves room on a 100-result page for works that share a DOI); a title is one request
(`filter=title.search:…`). Parsing is pure: `parse(work)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..config import EnrichConfig
from ..text import normalize_title, safe_url
from .records import (
    Found,
    arxiv_from,
    count,
    doi_key,
    items,
    names,
    obj,
    split_doi,
    text,
    venue_of,
    year_of,
)
from .service import Service, ServiceStopped

NAME = "openalex"
BATCH = 50
PER_PAGE = 100  # the documented maximum page size
TITLE_RESULTS = 10
SELECT = (
    "id,doi,title,display_name,publication_year,type,authorships,primary_location,locations,"
    "best_oa_location,open_access,cited_by_count,is_paratext"
)
_SELECTED = frozenset(SELECT.split(","))
_VENUE_SOURCES = ("journal", "conference", "book series")


def service(cfg: EnrichConfig, **kwargs: Any) -> Service:
    """The OpenAlex endpoint as configured: `mailto` (the polite pool) and `api_key` when given."""
    params = {k: v for k, v in (("mailto", cfg.mailto), ("api_key", cfg.openalex_api_key)) if v}
    return Service.configured(
        "OpenAlex", cfg.openalex_url, cfg.openalex_interval, cfg, params=params, **kwargs
    )


def id_key(kind: str, value: str) -> str | None:
    """The lookup key of an id OpenAlex can be asked for: `doi:…` (arXiv ids through their DOI) or
    `openalex:W…`; None for an id it cannot be asked for in a batch."""
    if kind == "arxiv":
        return f"doi:10.48550/arxiv.{value.lower()}"
    if kind == "doi" and "," not in value and "|" not in value:
        return f"doi:{value.lower()}"
    if kind == "openalex":
        return f"openalex:{value}"
    return None


def batches(keys: list[str]) -> Iterator[tuple[dict[str, str], list[str]]]:
    """(query parameters, the keys asked) for each request that looks `keys` up, BATCH at a time;
    DOIs and OpenAlex ids go in separate requests (OR works within one filter only)."""
    for prefix, filt in (("doi:", "doi"), ("openalex:", "ids.openalex")):
        wanted = [k for k in keys if k.startswith(prefix)]
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            values = "|".join(k.removeprefix(prefix) for k in chunk)
            yield {"filter": f"{filt}:{values}", "per-page": str(PER_PAGE), "select": SELECT}, chunk


def fetch_batch(svc: Service, params: dict[str, str], keys: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each key's Work object (or None), from one filter request (and its further pages, if any)."""
    works = []
    page = 1
    while True:
        body = _works(svc, {**params, "page": str(page)}) or {}
        results = body.get("results") if isinstance(body, dict) else None
        works += [w for w in results or [] if isinstance(w, dict)]
        count = (body.get("meta") or {}).get("count", 0) if isinstance(body, dict) else 0
        if not results or page * PER_PAGE >= min(int(count or 0), 10 * PER_PAGE):
            break
        page += 1
    found: dict[str, dict[str, Any] | None] = dict.fromkeys(keys)
    for work in map(_trim, works):
        for key in (f"doi:{doi_key(work.get('doi'))}", f"openalex:{_short_id(work.get('id'))}"):
            if key in found and found[key] is None:
                found[key] = work
    return found


def title_params(title: str) -> dict[str, str] | None:
    """The query parameters that search works by title (punctuation dropped: `,` and `|` are
    filter syntax), or None for a title with nothing to search."""
    words = normalize_title(title)
    if not words:
        return None
    return {"filter": f"title.search:{words[:300]}", "per-page": str(TITLE_RESULTS), "select": SELECT}


def search_title(svc: Service, params: dict[str, str]) -> list[dict[str, Any]]:
    """The Work objects a title search returns."""
    body = _works(svc, params) or {}
    results = body.get("results") if isinstance(body, dict) else None
    return [_trim(w) for w in results or [] if isinstance(w, dict)]


def _works(svc: Service, params: dict[str, str]) -> Any:
    """GET /works. A server that answers a request with `select` by HTTP 400 (an OpenAlex that no
    longer knows one of the fields) is asked again without it, and not sent it again."""
    if "select" in svc.refused:
        params = {k: v for k, v in params.items() if k != "select"}
    try:
        return svc.get("/works", params)
    except ServiceStopped as exc:
        if "select" not in params or "HTTP 400" not in exc.message:
            raise
        svc.refused.add("select")
        return svc.get("/works", {k: v for k, v in params.items() if k != "select"})


def _trim(work: dict[str, Any]) -> dict[str, Any]:
    """The fields `parse` reads (what is cached), whatever the server sent."""
    return {k: v for k, v in work.items() if k in _SELECTED}


def _short_id(value: object) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1] if value else ""


def parse(work: object) -> Found | None:
    """A Work object as a `Found` record (None when it is not one)."""
    if not isinstance(work, dict) or not _short_id(work.get("id")):
        return None
    doi, arxiv = split_doi(work.get("doi"))
    locations = [obj(loc) for loc in [work.get("primary_location"), *items(work.get("locations"))]]
    venues: list[str | None] = []
    kind = None
    for loc in locations:
        src = obj(loc.get("source"))
        arxiv = arxiv or arxiv_from(loc.get("landing_page_url")) or arxiv_from(loc.get("pdf_url"))
        if src.get("type") in _VENUE_SOURCES:
            venues.append(src.get("display_name"))
            kind = kind or src.get("type")
    venue, venue_kind = venue_of(venues, kind)
    authors = [
        text(obj(obj(a).get("author")).get("display_name") or obj(a).get("raw_author_name"), 200)
        for a in items(work.get("authorships"))
    ]
    oa, best = obj(work.get("open_access")), obj(work.get("best_oa_location"))
    return Found(
        source=NAME,
        id=_short_id(work.get("id")),
        title=text(work.get("title") or work.get("display_name")),
        authors=names(authors),
        year=year_of(work.get("publication_year")),
        venue=venue,
        venue_kind=venue_kind,
        doi=doi,
        arxiv_id=arxiv,
        citations=count(work.get("cited_by_count")),
        open_access=safe_url(oa.get("oa_url"))
        or safe_url(best.get("pdf_url"))
        or safe_url(best.get("landing_page_url")),
        kind="paratext" if work.get("is_paratext") else text(work.get("type"), 40),
    )
