"""A real HTTP server on 127.0.0.1 that answers like the arXiv API (`/api/query`): Atom 1.0 with
the opensearch and arxiv namespaces, paging by `start`/`max_results`, `id_list`, and the
`cat:` / `submittedDate:[A TO B]` parts of `search_query` (other terms must all occur in the title
or abstract).

SYNTHETIC: the feeds are built here by hand in the format arXiv documents; the entries come from the
seed listings (real ids, titles, abstracts and comments) or are generated; authors and times are
made up. `faults` is a list consumed one per request: "503", "429" (both with Retry-After),
"empty" (a page with no entries), "cut" (the XML stops mid-entry), or None for a normal answer.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape


@dataclass
class Entry:
    """One synthetic arXiv record."""

    id: str
    version: int
    title: str
    summary: str
    published: str  # YYYY-MM-DD
    updated: str
    categories: list[str] = field(default_factory=lambda: ["cs.CV"])
    authors: list[str] = field(default_factory=lambda: ["Ada Synthetic", "Alan Example"])
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    def xml(self) -> str:
        extra = "".join(
            f"<arxiv:{tag}>{escape(value)}</arxiv:{tag}>"
            for tag, value in (
                ("comment", self.comment),
                ("journal_ref", self.journal_ref),
                ("doi", self.doi),
            )
            if value
        )
        cats = "".join(
            f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in self.categories
        )
        authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in self.authors)
        return (
            f"<entry><id>http://arxiv.org/abs/{self.id}v{self.version}</id>"
            f"<updated>{self.updated}T12:00:00Z</updated><published>{self.published}T09:00:00Z</published>"
            f"<title>{escape(self.title)}</title><summary>{escape(self.summary)}</summary>{authors}{extra}"
            f'<link href="http://arxiv.org/abs/{self.id}v{self.version}" rel="alternate" type="text/html"/>'
            f'<link title="pdf" href="http://arxiv.org/pdf/{self.id}v{self.version}" rel="related" '
            f'type="application/pdf"/><arxiv:primary_category term="{self.categories[0]}" '
            f'scheme="http://arxiv.org/schemas/atom"/>{cats}</entry>'
        )


def dated_entries(n: int, prefix: str = "2401", summary: str = "Video.", days: int = 300) -> list[Entry]:
    """`n` synthetic video papers, one submission day after another (cycling every `days` days)."""
    first = date(2024, 1, 1)
    return [
        Entry(
            f"{prefix}.{i:05d}",
            1,
            f"Video paper {i}",
            summary,
            (first + timedelta(i % days)).isoformat(),
            (first + timedelta(i % days)).isoformat(),
        )
        for i in range(n)
    ]


def feed(entries: list[Entry], total: int, start: int, per_page: int) -> str:
    """An Atom feed page in the API's documented shape."""
    body = "".join(e.xml() for e in entries)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        "<id>https://arxiv.org/api/synthetic</id><title>arXiv Query: synthetic</title>"
        "<updated>2025-12-05T00:00:00Z</updated>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>{body}</feed>\n"
    )


def matches(entry: Entry, query: str) -> bool:
    """The subset of arXiv query syntax the tests use (clauses joined by OR: any may match)."""
    if " OR " in query and not query.startswith("("):
        return any(matches(entry, clause) for clause in query.split(" OR "))
    cats = re.findall(r"cat:([\w.\-]+)", query)
    if cats and not set(cats) & set(entry.categories):
        return False
    window = re.search(r"submittedDate:\[(\d{8})\d* TO (\d{8})\d*\]", query)
    day = entry.published.replace("-", "")
    if window and not window.group(1) <= day <= window.group(2):
        return False
    rest = re.sub(r"cat:[\w.\-]+|submittedDate:\[[^\]]*\]|\b(AND|OR|ANDNOT)\b|\w+:", " ", query)
    words = re.findall(r"[a-z0-9]+", rest.lower())
    text = f"{entry.title} {entry.summary}".lower()
    return all(w in text for w in words)


class FakeArxiv:
    """The server; `requests` logs the query string of every call."""

    def __init__(self, entries: list[Entry], faults: list[str | None] | None = None) -> None:
        self.entries = sorted(entries, key=lambda e: (e.published, e.id), reverse=True)
        self.faults = list(faults or [])
        self.requests: list[dict[str, list[str]]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The API endpoint to configure."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/query"

    def __enter__(self) -> FakeArxiv:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, params: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(params)
            fault = self.faults.pop(0) if self.faults else None
        if fault in ("503", "429"):
            return int(fault), {"Retry-After": "0"}, b"busy"
        ids = [i for i in ",".join(params.get("id_list", [""])).split(",") if i]
        if ids:
            by_id = {e.id: e for e in self.entries}
            chosen = [by_id[i.split("v")[0]] for i in ids if i.split("v")[0] in by_id]
        else:
            chosen = [e for e in self.entries if matches(e, params.get("search_query", [""])[0])]
        start = int(params.get("start", ["0"])[0])
        size = int(params.get("max_results", ["10"])[0])
        page = [] if fault == "empty" else chosen[start : start + size]
        text = feed(page, len(chosen), start, size).encode()
        if fault == "cut":
            text = text[: int(len(text) * 0.6)]
        return 200, {}, text


def _handler(fake: FakeArxiv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            status, headers, body = (
                fake.answer(parse_qs(parsed.query))
                if parsed.path == "/api/query"
                else (404, {}, b"not found")
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def seed_entries(readme_texts: list[str]) -> list[Entry]:
    """Entries from daily-arXiv README rows (ids, versions, dates, titles, abstracts, comments)."""
    from surveyor.sources.daily_readme import parse

    out: dict[str, Entry] = {}
    for text in readme_texts:
        for paper in parse(text, "seed").papers:
            if not paper.arxiv_id or paper.arxiv_id in out:
                continue
            day = paper.updated or "2025-06-01"
            yy, mm = paper.arxiv_id[:2], paper.arxiv_id[2:4]
            out[paper.arxiv_id] = Entry(
                paper.arxiv_id,
                paper.arxiv_version or 1,
                paper.title or "",
                paper.abstract or "",
                f"20{yy}-{mm}-01",
                day,
                comment=paper.comment,
            )
    return list(out.values())
