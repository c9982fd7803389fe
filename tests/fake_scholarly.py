"""A real HTTP server on 127.0.0.1 that answers like OpenAlex (under /openalex) and the Semantic
Scholar Academic Graph API (under /s2).

SYNTHETIC: every record is built here by hand in the formats the two services document (OpenAlex's
Work object with `authorships`, `primary_location`/`locations` and their `source`, `open_access`,
`cited_by_count`; Semantic Scholar's paper object with `externalIds`, `publicationVenue`, `journal`,
`publicationTypes`, `authors`, `citationCount`, `openAccessPdf`). Titles may be real, the authors,
ids, counts and dates are made up.

OpenAlex: `GET /works` with `filter=doi:a|b`, `ids.openalex:W1|W2` or `title.search:words`,
`per-page` (at most 200), `page`, `select`; more than 100 OR-ed values is a 400, as documented.
Semantic Scholar: `POST /graph/v1/paper/batch` (at most 500 ids: `ARXIV:`, `DOI:`, a paperId) and
`GET /graph/v1/paper/search` (`query`, `limit` at most 100, `fields`). Title search ranks records
by the share of the query's words in their title, like a relevance search would, noise included.
`faults[api]` is consumed one per request: "429" or "429:SECONDS" (with Retry-After), "503",
"garbage" (not JSON), None for a normal answer. Every request is logged with its time.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

ARXIV_SOURCE = {
    "id": "https://openalex.org/S4306400194",
    "display_name": "arXiv (Cornell University)",
    "issn_l": None,
    "issn": None,
    "is_oa": True,
    "is_in_doaj": False,
    "host_organization": "https://openalex.org/I205783295",
    "host_organization_name": "Cornell University",
    "type": "repository",
}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@dataclass
class Work:
    """One synthetic paper as both services know it."""

    title: str
    year: int
    authors: list[str]
    arxiv_id: str | None = None
    doi: str | None = None  # the published version's DOI
    venue: str | None = None  # the published venue, as the services name it
    venue_type: str = "conference"  # journal | conference
    acronym: str | None = None  # Semantic Scholar's alternate name for the venue
    citations: int = 0
    split: bool = False  # OpenAlex holds the preprint and the published version as two works
    in_openalex: bool = True
    in_s2: bool = True
    kind: str = "article"  # OpenAlex type (article, preprint, paratext...)
    s2_title: str | None = None  # the title as Semantic Scholar has it, when it differs

    def _hash(self, salt: str) -> str:
        return hashlib.sha1(f"{salt}|{self.title}|{self.year}".encode()).hexdigest()

    @property
    def openalex_id(self) -> str:
        return "W" + str(int(self._hash("oa")[:10], 16))

    @property
    def s2_id(self) -> str:
        return self._hash("s2")

    def _authorships(self) -> list[dict[str, Any]]:
        n = len(self.authors)
        return [
            {
                "author_position": "first" if i == 0 else "last" if i == n - 1 else "middle",
                "author": {
                    "id": "https://openalex.org/A" + str(int(self._hash(name)[:9], 16)),
                    "display_name": name,
                    "orcid": None,
                },
                "institutions": [],
                "countries": [],
                "is_corresponding": i == 0,
                "raw_author_name": name,
                "raw_affiliation_strings": [],
            }
            for i, name in enumerate(self.authors)
        ]

    def _arxiv_location(self) -> dict[str, Any]:
        return {
            "is_oa": True,
            "landing_page_url": f"https://arxiv.org/abs/{self.arxiv_id}",
            "pdf_url": f"https://arxiv.org/pdf/{self.arxiv_id}",
            "source": ARXIV_SOURCE,
            "license": None,
            "version": "submittedVersion",
            "is_accepted": False,
            "is_published": False,
        }

    def _venue_location(self) -> dict[str, Any]:
        return {
            "is_oa": False,
            "landing_page_url": f"https://doi.org/{self.doi}" if self.doi else None,
            "pdf_url": None,
            "source": {
                "id": "https://openalex.org/S" + str(int(self._hash(self.venue or "")[:9], 16)),
                "display_name": self.venue,
                "issn_l": None,
                "issn": None,
                "is_oa": False,
                "is_in_doaj": False,
                "host_organization": None,
                "type": self.venue_type,
            },
            "license": None,
            "version": "publishedVersion",
            "is_accepted": True,
            "is_published": True,
        }

    def _openalex(self, wid: str, doi: str | None, locations: list[dict[str, Any]], kind: str) -> dict:
        arxiv = [loc for loc in locations if loc["source"] is ARXIV_SOURCE]
        return {
            "id": f"https://openalex.org/{wid}",
            "doi": f"https://doi.org/{doi}" if doi else None,
            "title": self.title,
            "display_name": self.title,
            "publication_year": self.year,
            "publication_date": f"{self.year}-06-01",
            "ids": {
                "openalex": f"https://openalex.org/{wid}",
                **({"doi": f"https://doi.org/{doi}"} if doi else {}),
            },
            "language": "en",
            "type": kind,
            "authorships": self._authorships(),
            "primary_location": locations[0] if locations else None,
            "locations": locations,
            "locations_count": len(locations),
            "best_oa_location": arxiv[0] if arxiv else None,
            "open_access": {
                "is_oa": bool(arxiv),
                "oa_status": "green" if arxiv else "closed",
                "oa_url": arxiv[0]["pdf_url"] if arxiv else None,
                "any_repository_has_fulltext": bool(arxiv),
            },
            "cited_by_count": self.citations,
            "is_retracted": False,
            "is_paratext": self.kind == "paratext",
        }

    def openalex_works(self) -> list[dict[str, Any]]:
        """The Work objects OpenAlex holds for this paper (two when it keeps the versions apart)."""
        if not self.in_openalex:
            return []
        arxiv_doi = f"10.48550/arxiv.{self.arxiv_id}" if self.arxiv_id else None
        if self.venue and self.arxiv_id and self.split:
            return [
                self._openalex(self.openalex_id + "1", arxiv_doi, [self._arxiv_location()], "preprint"),
                self._openalex(self.openalex_id, self.doi, [self._venue_location()], self.kind),
            ]
        locations = ([self._venue_location()] if self.venue else []) + (
            [self._arxiv_location()] if self.arxiv_id else []
        )
        kind = self.kind if self.venue or self.kind != "article" else "preprint"
        return [self._openalex(self.openalex_id, self.doi or arxiv_doi, locations, kind)]

    def s2(self) -> dict[str, Any] | None:
        """The paper object Semantic Scholar holds for this paper."""
        if not self.in_s2:
            return None
        ext: dict[str, Any] = {"CorpusId": int(self.s2_id[:7], 16)}
        if self.arxiv_id:
            ext["ArXiv"] = self.arxiv_id
        if self.doi or self.arxiv_id:
            ext["DOI"] = self.doi or f"10.48550/arXiv.{self.arxiv_id}"
        if self.venue:
            venue = {
                "id": self._hash("venue")[:8] + "-0000-0000-0000-" + self._hash("venue")[8:20],
                "name": self.venue,
                "type": self.venue_type,
                "alternate_names": [self.acronym] if self.acronym else [],
                "url": None,
            }
            journal = {"name": self.venue, "pages": "1-10"}
            types = ["Conference"] if self.venue_type == "conference" else ["JournalArticle"]
        else:
            venue = {
                "id": "1901e811-ee72-4b20-8f7e-de08cd395a10",
                "name": "arXiv.org",
                "alternate_names": ["ArXiv"],
                "issn": "2331-8422",
                "url": "https://arxiv.org",
            }
            journal = {"name": "ArXiv", "volume": f"abs/{self.arxiv_id}"} if self.arxiv_id else {}
            types = ["JournalArticle"]
        return {
            "paperId": self.s2_id,
            "externalIds": ext,
            "title": self.s2_title or self.title,
            "year": self.year,
            "venue": self.venue or ("arXiv.org" if self.arxiv_id else ""),
            "publicationVenue": venue if self.venue or self.arxiv_id else None,
            "journal": journal or None,
            "publicationTypes": types,
            "publicationDate": f"{self.year}-06-01",
            "authors": [{"authorId": str(int(self._hash(a)[:8], 16)), "name": a} for a in self.authors],
            "citationCount": self.citations,
            "openAccessPdf": {"url": f"https://arxiv.org/pdf/{self.arxiv_id}", "status": "GREEN"}
            if self.arxiv_id
            else None,
        }


@dataclass
class Logged:
    """One request the server received."""

    api: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]
    time: float


@dataclass
class Scholarly:
    """The server's state: records, queued faults, the request log."""

    works: list[Work]
    faults: dict[str, list[str | None]] = field(default_factory=lambda: {"openalex": [], "s2": []})
    requests: list[Logged] = field(default_factory=list)
    base: str = ""
    refuse: set[str] = field(
        default_factory=set
    )  # query parameters answered with a 400, as an older API would
    _index: dict[str, Any] = field(default_factory=dict)

    def records(self, api: str) -> list[dict[str, Any]]:
        """Every record the API holds, built once."""
        if api not in self._index:
            if api == "openalex":
                self._index[api] = [w for work in self.works for w in work.openalex_works()]
            else:
                self._index[api] = [p for work in self.works if (p := work.s2())]
        return self._index[api]

    def search(self, api: str, query: str) -> list[dict[str, Any]]:
        """Records holding at least half the query's words in their title, best first (an inverted
        index over title words, so 10,000 searches in 10,000 records stay quick)."""
        key = f"{api}:words"
        if key not in self._index:
            postings: dict[str, list[int]] = {}
            for i, record in enumerate(self.records(api)):
                for word in set(_words(record["title"])):
                    postings.setdefault(word, []).append(i)
            self._index[key] = postings
        postings = self._index[key]
        q = _words(query)
        hits: dict[int, int] = {}
        for word in set(q):
            for i in postings.get(word, ()):
                hits[i] = hits.get(i, 0) + 1
        records = self.records(api)
        ranked = sorted((-n, i) for i, n in hits.items() if n / max(len(set(q)), 1) >= 0.5)
        return [records[i] for _n, i in ranked]

    @property
    def openalex_url(self) -> str:
        return f"{self.base}/openalex"

    @property
    def s2_url(self) -> str:
        return f"{self.base}/s2"

    def asked(self, api: str) -> list[Logged]:
        return [r for r in self.requests if r.api == api]


def _select(record: dict[str, Any], keys: str | None) -> dict[str, Any]:
    if not keys:
        return record
    wanted = {k.strip() for k in keys.split(",")}
    return {k: v for k, v in record.items() if k in wanted or k in ("id", "paperId")}


def _openalex(state: Scholarly, query: dict[str, str]) -> tuple[int, Any]:
    per_page = int(query.get("per-page") or query.get("per_page") or 25)
    page = int(query.get("page") or 1)
    if per_page > 200:
        return 400, {"error": "Invalid query parameters error.", "message": "per-page is too big"}
    works = state.records("openalex")
    name, _, value = (query.get("filter") or "").partition(":")
    values = value.split("|")
    if len(values) > 100:
        return 400, {"error": "Invalid query parameters error.", "message": "Maximum of 100 OR values"}
    if name == "doi":
        wanted = {re.sub(r"^https?://doi\.org/", "", v.lower()) for v in values}
        hits = [w for w in works if w["doi"] and w["doi"].lower().removeprefix("https://doi.org/") in wanted]
    elif name in ("ids.openalex", "openalex"):
        wanted = {v.rsplit("/", 1)[-1] for v in values}
        hits = [w for w in works if w["id"].rsplit("/", 1)[-1] in wanted]
    elif name == "title.search":
        hits = state.search("openalex", value)
    else:
        return 400, {"error": "Invalid query parameters error.", "message": f"unsupported filter {name}"}
    shown = hits[(page - 1) * per_page : page * per_page]
    meta = {"count": len(hits), "db_response_time_ms": 3, "page": page, "per_page": per_page}
    return 200, {"meta": meta, "results": [_select(w, query.get("select")) for w in shown], "group_by": []}


def _s2_lookup(state: Scholarly, ident: str) -> dict[str, Any] | None:
    if "s2:ids" not in state._index:
        ids: dict[str, dict[str, Any]] = {}
        for paper in state.records("s2"):
            ext = paper["externalIds"]
            ids[paper["paperId"]] = paper
            if ext.get("ArXiv"):
                ids["ARXIV:" + ext["ArXiv"]] = paper
            if ext.get("DOI"):
                ids["DOI:" + ext["DOI"].lower()] = paper
        state._index["s2:ids"] = ids
    kind, colon, value = ident.partition(":")
    key = f"{kind.upper()}:{value.lower() if kind.upper() == 'DOI' else value}" if colon else ident
    return state._index["s2:ids"].get(key)


def _s2(state: Scholarly, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    fields = query.get("fields")
    if method == "POST" and path == "/graph/v1/paper/batch":
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or len(ids) > 500:
            return 400, {"error": "ids must be a list of at most 500 paper ids"}
        return 200, [(_select(p, fields) if (p := _s2_lookup(state, str(i))) else None) for i in ids]
    if method == "GET" and path == "/graph/v1/paper/search":
        limit = int(query.get("limit") or 10)
        if limit > 100:
            return 400, {"error": "Requested limit is too large"}
        hits = state.search("s2", query.get("query", ""))
        data = [_select(p, fields) for p in hits[:limit]]
        return 200, {"total": len(hits), "offset": 0, "next": limit, "data": data}
    return 404, {"error": f"no route {method} {path}"}


def _handler(state: Scholarly) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, method: str) -> None:
            url = urlparse(self.path)
            api, _, rest = url.path.lstrip("/").partition("/")
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append(Logged(api, method, "/" + rest, query, body, headers, time.monotonic()))
            queue = state.faults.get(api) or []
            fault = queue.pop(0) if queue else None
            if fault and fault.startswith("429"):
                self._send(
                    429, {"message": "Too Many Requests"}, {"Retry-After": fault.partition(":")[2] or "1"}
                )
                return
            if fault in ("503", "500"):
                self._send(int(fault), {"message": "unavailable"}, {})
                return
            if fault == "garbage":
                self._raw(200, b"<html>oops")
                return
            refused = state.refuse & set(query)
            if refused:
                self._send(
                    400,
                    {
                        "error": "Invalid query parameters error.",
                        "message": f"{sorted(refused)[0]} is not a valid parameter",
                    },
                    {},
                )
                return
            if api == "openalex" and "/" + rest == "/works" and method == "GET":
                status, payload = _openalex(state, query)
            elif api == "s2":
                status, payload = _s2(state, method, "/" + rest, query, body)
            else:
                status, payload = 404, {"error": "not found"}
            self._send(status, payload, {})

        def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _raw(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

    return Handler


@contextmanager
def serve(works: list[Work]) -> Iterator[Scholarly]:
    """Run the server for the block; yields its state (base URLs, faults, request log)."""
    state = Scholarly(works)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# Made-up names for synthetic records (no real person is meant).
_GIVEN = [
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Radia",
    "Tim",
    "Shafi",
    "Leslie",
]
_FAMILY = ["Synthetic", "Example", "Fixture", "Sample", "Mockwell", "Testa", "Stubbs", "Placeholder",
           "Dummett", "Fakely", "Specimen", "Proxy", "Samplova", "Øvrebø", "Müller-Test"]  # fmt: skip
_VENUES = [
    ("2024 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", "conference", "CVPR"),
    ("Neural Information Processing Systems", "conference", "NeurIPS"),
    ("IEEE/CVF International Conference on Computer Vision", "conference", "ICCV"),
    ("European Conference on Computer Vision", "conference", "ECCV"),
    ("International Conference on Learning Representations", "conference", "ICLR"),
    ("IEEE Transactions on Pattern Analysis and Machine Intelligence", "journal", "TPAMI"),
]


def works_for(papers: list[Any]) -> list[Work]:
    """Synthetic records for a library's papers (SYNTHETIC: made-up authors, venues and counts): the
    titles as listed; a paper without an arXiv id gets one in 2512.9xxxx (no real paper has one);
    every third paper is published at a venue (with a DOI), the rest are preprints."""
    works = []
    for n, paper in enumerate(sorted(papers, key=lambda p: p.id)):
        if not paper.title:
            continue
        h = int(hashlib.sha1(paper.title.encode()).hexdigest(), 16)
        authors = [f"{_GIVEN[(h >> (4 * i)) % len(_GIVEN)]} {_FAMILY[(h >> (8 * i + 3)) % len(_FAMILY)]}"
                   for i in range(2 + h % 4)]  # fmt: skip
        arxiv_id = paper.arxiv_id or f"2512.9{n:04d}"
        year = 2000 + int(arxiv_id[:2])
        venue = _VENUES[(h >> 16) % len(_VENUES)] if h % 3 == 0 else None
        works.append(
            Work(
                paper.title,
                year + (1 if venue and int(arxiv_id[2:4]) >= 10 else 0),
                list(dict.fromkeys(authors)),
                arxiv_id=arxiv_id,
                doi=f"10.5555/synthetic.{arxiv_id}" if venue else None,
                venue=venue[0] if venue else None,
                venue_type=venue[1] if venue else "conference",
                acronym=venue[2] if venue else None,
                citations=h % 500,
            )
        )
    return works
