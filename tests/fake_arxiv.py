"""A real HTTP server on 127.0.0.1 that answers like the arXiv API (`/api/query`): Atom 1.0 with
the opensearch and arxiv namespaces, paging by `start`/`max_results`, `id_list`, and the
`cat:` / `submittedDate:[A TO B]` parts of `search_query` (bounds to the minute, UTC, as arXiv
documents; other terms must all occur in the title or abstract), newest submission first.

With `now` (a callable giving the simulated instant) it follows arXiv's announcement calendar: an
entry is in the API only from its announcement on (`announced_at`: cutoff 14:00 US-Eastern Monday to
Friday, announcements Sunday to Thursday 20:00 Eastern, none on `holidays`), plus `lag`. This is the
server's own reading of arXiv's published schedule, written apart from surveyor's.

SYNTHETIC: the feeds are built here by hand in the format arXiv documents; the entries come from the
seed listings (real ids, titles, abstracts and comments) or are generated; authors and times are
made up. `faults` is a list consumed one per request: "503", "429" (both with Retry-After: 0),
"429:N" (Retry-After: N seconds), "429:date" (Retry-After: an HTTP date a day ahead), "empty" (a page
with no entries), "cut" (the XML stops mid-entry), "short" (the page holds half its entries, the
total says more), "drop" (Content-Length promises the page, the connection closes halfway),
"endless" (the page, then padding that never ends), "trickle" (a byte every `trickle` seconds), or
None for a normal answer.
"""

from __future__ import annotations

import re
import threading
import time as _time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from surveyor import clock

EASTERN = ZoneInfo("America/New_York")


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
    submitted: datetime | None = None  # the exact submission instant (default: `published` 09:00 UTC)
    hold: timedelta = timedelta(0)  # announced as if submitted this much later (moderation, a hold)

    def when(self) -> datetime:
        """The submission instant (UTC)."""
        return self.submitted or datetime.fromisoformat(f"{self.published}T09:00:00+00:00")

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
        published = self.when().strftime("%Y-%m-%dT%H:%M:%SZ")
        updated = (
            published if self.submitted and self.updated == self.published else f"{self.updated}T12:00:00Z"
        )
        return (
            f"<entry><id>http://arxiv.org/abs/{self.id}v{self.version}</id>"
            f"<updated>{updated}</updated><published>{published}</published>"
            f"<title>{escape(self.title)}</title><summary>{escape(self.summary)}</summary>{authors}{extra}"
            f'<link href="http://arxiv.org/abs/{self.id}v{self.version}" rel="alternate" type="text/html"/>'
            f'<link title="pdf" href="http://arxiv.org/pdf/{self.id}v{self.version}" rel="related" '
            f'type="application/pdf"/><arxiv:primary_category term="{self.categories[0]}" '
            f'scheme="http://arxiv.org/schemas/atom"/>{cats}</entry>'
        )


def announced_at(submitted: datetime, holidays: Collection[date] = ()) -> datetime:
    """When arXiv announces a submission (UTC): the first Monday-Friday 14:00 Eastern cutoff after
    it closes its batch; Friday's batch goes out on Sunday, the others the same day, at 20:00
    Eastern; an announcement that falls on a holiday goes out on the next announcement day."""
    local = submitted.astimezone(EASTERN)
    day = local.date() + timedelta(days=1 if local.time() >= time(14) else 0)
    while day.weekday() > 4:  # no cutoff on Saturday or Sunday
        day += timedelta(days=1)
    out = day + timedelta(days=2) if day.weekday() == 4 else day
    while out in holidays or out.weekday() in (4, 5):  # no announcement on Friday, Saturday, holidays
        out += timedelta(days=1)
    return datetime.combine(out, time(20), EASTERN).astimezone(UTC)


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
    return feed_head(total, start, per_page) + "".join(e.xml() for e in entries) + "</feed>\n"


def feed_head(total: int, start: int, per_page: int) -> str:
    """The start of a feed page, up to its first entry."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        "<id>https://arxiv.org/api/synthetic</id><title>arXiv Query: synthetic</title>"
        "<updated>2025-12-05T00:00:00Z</updated>"
        f"<opensearch:totalResults>{total}</opensearch:totalResults>"
        f"<opensearch:startIndex>{start}</opensearch:startIndex>"
        f"<opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>"
    )


def _bound(digits: str, end: bool) -> str:
    return digits + ("2359" if end else "0000") if len(digits) == 8 else digits[:12]


def matches(entry: Entry, query: str) -> bool:
    """The subset of arXiv query syntax the tests use (clauses joined by OR: any may match)."""
    if " OR " in query and not query.startswith("("):
        return any(matches(entry, clause) for clause in query.split(" OR "))
    cats = re.findall(r"cat:([\w.\-]+)", query)
    if cats and not set(cats) & set(entry.categories):
        return False
    window = re.search(r"submittedDate:\[(\d{8,12}) TO (\d{8,12})\]", query)
    minute = entry.when().astimezone(UTC).strftime("%Y%m%d%H%M")
    if window and not _bound(window.group(1), False) <= minute <= _bound(window.group(2), True):
        return False
    rest = re.sub(r"cat:[\w.\-]+|submittedDate:\[[^\]]*\]|\b(AND|OR|ANDNOT)\b|\w+:", " ", query)
    words = re.findall(r"[a-z0-9]+", rest.lower())
    text = f"{entry.title} {entry.summary}".lower()
    return all(w in text for w in words)


@dataclass
class Answer:
    """What the server sends: a status, headers, a body, and how the body is delivered."""

    status: int
    headers: dict[str, str]
    body: bytes
    mode: str | None = None  # None: all at once; "drop", "endless", "trickle"


class FakeArxiv:
    """The server; `requests` logs the query string of every call."""

    def __init__(
        self,
        entries: list[Entry],
        faults: list[str | None] | None = None,
        now: Callable[[], datetime] | None = None,
        holidays: Collection[date] = (),
        lag: timedelta = timedelta(minutes=30),
    ) -> None:
        self.entries = list(entries)
        self.faults = list(faults or [])
        self.now, self.holidays, self.lag = now, set(holidays), lag
        self.trickle = 5.0  # seconds between the bytes of a "trickle" answer
        self.sent = 0  # body bytes written by "endless" answers
        self.requests: list[dict[str, list[str]]] = []
        self.lock = threading.Lock()
        self.closed = threading.Event()
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
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()

    def visible(self, entry: Entry, at: datetime | None = None) -> bool:
        """Whether an entry is in the API at `at` (default: the server's now): announced, plus lag."""
        at = at or (self.now() if self.now else None)
        return at is None or announced_at(entry.when() + entry.hold, self.holidays) + self.lag <= at

    def chosen(self, params: dict[str, list[str]]) -> list[Entry]:
        """The entries a query selects, newest submission first."""
        ids = [i for i in ",".join(params.get("id_list", [""])).split(",") if i]
        shown = [e for e in self.entries if self.visible(e)]
        if ids:
            by_id = {e.id: e for e in shown}
            return [by_id[i.split("v")[0]] for i in ids if i.split("v")[0] in by_id]
        query = params.get("search_query", [""])[0]
        return sorted((e for e in shown if matches(e, query)), key=lambda e: (e.when(), e.id), reverse=True)

    def answer(self, params: dict[str, list[str]]) -> Answer:
        with self.lock:
            self.requests.append(params)
            fault = self.faults.pop(0) if self.faults else None
        if fault and fault.startswith(("503", "429")):
            code, _, wait = fault.partition(":")
            if wait == "date":
                wait = format_datetime((self.now or clock.now)() + timedelta(days=1), usegmt=True)
            return Answer(int(code), {"Retry-After": wait or "0"}, b"busy")
        chosen = self.chosen(params)
        start = int(params.get("start", ["0"])[0])
        size = int(params.get("max_results", ["10"])[0])
        page = [] if fault == "empty" else chosen[start : start + size]
        if fault == "short":
            page = page[: len(page) // 2]
        text = feed(page, len(chosen), start, size).encode()
        if fault == "cut":
            text = text[: int(len(text) * 0.6)]
        if fault == "endless":
            text = text[: -len(b"</feed>\n")]
        return Answer(200, {}, text, fault if fault in ("drop", "endless", "trickle") else None)

    def pieces(self, answer: Answer) -> Iterator[bytes]:
        """The body as it goes out, according to the answer's mode."""
        if answer.mode == "drop":
            yield answer.body[: len(answer.body) // 2]
        elif answer.mode == "trickle":
            for i in range(len(answer.body)):
                _time.sleep(self.trickle if i else 0)  # not Event.wait: it hangs under libfaketime
                if self.closed.is_set():
                    return
                yield answer.body[i : i + 1]
        elif answer.mode == "endless":
            yield answer.body
            pad = b"<!-- padding -->" * 4096
            while not self.closed.is_set():
                self.sent += len(pad)
                yield pad
        else:
            yield answer.body


def _handler(fake: FakeArxiv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            answer = (
                fake.answer(parse_qs(parsed.query))
                if parsed.path == "/api/query"
                else Answer(404, {}, b"not found")
            )
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            if answer.mode == "endless":
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(len(answer.body)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            try:
                for piece in fake.pieces(answer):
                    self.wfile.write(piece)
                    self.wfile.flush()
            except OSError:  # the client hung up: what an impatient client does
                self.close_connection = True
            if answer.mode == "drop":
                self.close_connection = True

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
