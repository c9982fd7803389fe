"""A network that fails, on the fetch path: what was received is kept, every request ends in time,
a huge Retry-After is capped, and no network at all fails in seconds with one message. The real
`arxiv` client against tests/fake_arxiv.py (synthetic feeds) and real sockets on 127.0.0.1;
durations on the monotonic clock."""

from __future__ import annotations

import errno
import logging
import socket
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import run_cli, write_workspace
from fake_arxiv import FakeArxiv, dated_entries
from typer.testing import CliRunner

from surveyor.arxiv_fetch import add, fetch, fetcher
from surveyor.cli import app
from surveyor.config import ArxivQuery
from surveyor.errors import SurveyorError
from surveyor.sources.arxiv_api import retry_after
from surveyor.store import Workspace

QUERY = ArxivQuery(query="video", max_results=None)
ENTRIES = dated_entries(120, prefix="2403", summary="Video. " * 10, days=1000)


def ws_for(tmp_path: Path, url: str, extra: str = "") -> Workspace:
    cfg = f'[arxiv]\napi_url = "{url}"\ndelay = 0\nbackoff = 0.01\nmax_retries = 2\n{extra}'
    return Workspace(write_workspace(tmp_path / "ws", cfg))


def fetch_in_pages(ws: Workspace, size: int = 50) -> tuple[float, SurveyorError | None]:
    """Fetch QUERY in pages of `size`; the seconds it took and the error it ended with, if any."""
    client = fetcher(ws)
    client.page_size = size
    start = time.monotonic()
    try:
        fetch(ws, [QUERY], client=client)
    except SurveyorError as exc:
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


@pytest.mark.parametrize(
    ("fault", "kept"),
    [("short", 25), ("cut", range(1, 50)), ("drop", range(1, 50)), ("endless", 50)],
)
def test_an_answer_cut_short_keeps_what_came(tmp_path: Path, fault: str, kept: int | range) -> None:
    """Page two stops early (the total says more than it holds, the XML or the connection breaks
    off, or it never ends), then the server only fails: the fetch gives up, and every complete entry
    received is in papers.jsonl: page one's 50 and what page two held."""
    with FakeArxiv(ENTRIES, faults=[None, fault] + ["503"] * 10) as api:
        ws = ws_for(tmp_path, api.url, "max_response_mb = 1\n")
        elapsed, error = fetch_in_pages(ws)
    assert error is not None and "arXiv API failed 3 times in a row" in error.message
    extra = len(ws.load_papers()) - 50
    assert extra == kept if isinstance(kept, int) else extra in kept
    assert not (ws.data_dir / "fetch_state.jsonl").exists()  # the window is asked again next time
    assert elapsed < 10


@pytest.mark.parametrize("fault", ["short", "cut", "drop", "endless"])
def test_after_an_answer_cut_short_the_rest_is_asked_for(tmp_path: Path, fault: str) -> None:
    with FakeArxiv(ENTRIES, faults=[None, fault]) as api:
        ws = ws_for(tmp_path, api.url, "max_response_mb = 1\n")
        _, error = fetch_in_pages(ws)
    assert error is None and sorted(ws.load_papers()) == sorted(e.id for e in ENTRIES)


def test_an_endless_answer_is_capped(tmp_path: Path) -> None:
    """An answer that never ends stops at the size cap: memory stays bounded, nothing is lost."""
    with FakeArxiv(ENTRIES, faults=["endless"]) as api:
        ws = ws_for(tmp_path, api.url, "max_response_mb = 2\n")
        tracemalloc.start()
        try:
            elapsed, error = fetch_in_pages(ws, size=200)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        sent = api.sent
    assert error is None and len(ws.load_papers()) == len(ENTRIES)
    assert 2 << 20 <= sent < 64 << 20  # the server sent past the cap, until the client hung up
    assert peak < 40 << 20, f"{peak / 2**20:.0f} MB"
    assert elapsed < 20


@pytest.mark.slow
def test_a_trickle_hits_the_deadline(tmp_path: Path) -> None:
    """A byte every 0.3 s never trips a per-read timeout; the per-request deadline (1.5 s) ends
    each try: three tries of page two take ~4.5 s, and page one is kept."""
    with FakeArxiv(ENTRIES, faults=[None, "trickle", "trickle", "trickle"]) as api:
        api.trickle = 0.3
        ws = ws_for(tmp_path, api.url, "timeout = 1.5\n")
        elapsed, error = fetch_in_pages(ws)
    assert error is not None and "no complete answer within 1.5 s" in error.message
    assert len(ws.load_papers()) == 50
    assert 4.4 <= elapsed < 4.5 + 5


@pytest.mark.parametrize("header", ["86400", "date"])
def test_a_huge_retry_after_is_capped_and_counted(
    tmp_path: Path, header: str, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeArxiv(ENTRIES, faults=[f"429:{header}"]) as api:
        ws = ws_for(tmp_path, api.url, "max_wait = 0.5\n")
        start = time.monotonic()
        with caplog.at_level(logging.INFO, logger="surveyor"):
            (report,) = fetch(ws, [QUERY])
        elapsed = time.monotonic() - start
    assert report.received == len(ENTRIES) and report.retries == 1 and report.requests == 2
    assert 0.5 <= elapsed < 5
    assert "HTTP 429; retry 1 of 2 from result 0 in 0.5 s" in caplog.text


def test_retry_after_values() -> None:
    assert retry_after("120") == 120.0 and retry_after("-5") == 0.0
    assert retry_after("Sun, 22 Nov 2026 06:01:00 GMT") == pytest.approx(60, abs=2)  # TEST_NOW + 1 min
    assert retry_after("Sun, 22 Nov 2026 05:00:00 GMT") == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose listener never accepts and whose queue is full: connecting hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=1)
    yield port
    filler.close()
    server.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_fails_in_seconds_with_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_port: int
) -> None:
    """Refused, DNS, no route, nothing answering: no retries, one error naming the cause."""
    url = f"http://127.0.0.1:{closed_port()}/api/query"
    cases: list[tuple[str, str, Callable[..., object] | None]] = [(url, "the connection was refused", None)]
    cases.append((f"http://127.0.0.1:{silent_port}/api/query", "nothing answered within 1 s", None))

    def no_dns(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def no_route(self: socket.socket, address: object) -> None:
        raise OSError(errno.ENETUNREACH, "Network is unreachable")

    cases.append(("http://export.arxiv.invalid/api/query", "could not be resolved (DNS)", no_dns))
    cases.append((url, "the network is unreachable", no_route))
    for n, (api_url, why, patch) in enumerate(cases):
        with monkeypatch.context() as m:
            if patch is no_dns:
                m.setattr(socket, "getaddrinfo", no_dns)
            elif patch is no_route:
                m.setattr(socket.socket, "connect", no_route)
            cfg = f'[arxiv]\napi_url = "{api_url}"\nconnect_timeout = 1\n'  # 5 retries, backoff 3 s
            ws = Workspace(write_workspace(tmp_path / str(n), cfg))
            start = time.monotonic()
            with pytest.raises(SurveyorError) as caught:
                fetch(ws, [QUERY])
            elapsed = time.monotonic() - start
        assert caught.value.message.startswith("cannot connect to the arXiv API at ") and why in str(
            caught.value
        )
        assert "check the network connection" in (caught.value.hint or "")
        assert elapsed < 3, (why, elapsed)  # five retries with backoff would take 93 s


@pytest.mark.slow
def test_the_commands_fail_fast_without_network(tmp_path: Path) -> None:
    """`fetch`, `add`, `resolve` and `update` through the real entry point: one error, a hint, exit 1."""
    url = f"http://127.0.0.1:{closed_port()}/api/query"
    root = write_workspace(tmp_path / "ws", '[[sources.arxiv]]\nquery = "video"\n')
    listed = root / "listed.jsonl"
    listed.write_text('{"title": "A Paper Listed By Title Only", "abstract": "About video."}\n')
    assert run_cli("import", str(listed), "-w", str(root)).returncode == 0
    for command in (["fetch"], ["add", "2401.00001"], ["resolve"], ["update"]):
        start = time.monotonic()
        done = run_cli(*command, "-w", str(root), env={"SURVEYOR_ARXIV_API_URL": url})
        elapsed = time.monotonic() - start
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1, (command, done.stderr)
        assert lines[0].startswith("error: cannot connect to the arXiv API at 127.0.0.1:"), (command, lines)
        assert len(lines) == 2 and lines[1].startswith("hint: check the network connection"), lines
        assert elapsed < 15, (command, elapsed)


@pytest.mark.slow
def test_retries_and_progress_reach_the_user(tmp_path: Path) -> None:
    """The CLI shows each retry and, for a fetch of several pages, where it is."""
    with FakeArxiv(dated_entries(2500, prefix="2404"), faults=[None, "503"]) as api:
        root = write_workspace(
            tmp_path / "ws", f'[arxiv]\napi_url = "{api.url}"\ndelay = 0\nbackoff = 0.01\n'
        )
        result = CliRunner().invoke(app, ["fetch", "--query", "video", "--max", "2500", "-w", str(root)])
    assert result.exit_code == 0, result.output
    assert "arXiv: 2,000 of 2,500 results (2 pages)" in result.stderr
    assert "arXiv: HTTP 503; retry 1 of 5 from result 2000 in 0.0 s" in result.stderr
    assert "arXiv: 2,500 of 2,500 results (2 pages)" in result.stderr
    assert "received 2500, added 2500" in result.stdout and "1 retries" in result.stdout


def test_add_keeps_what_came_when_the_feed_is_cut(tmp_path: Path) -> None:
    faults: list[str | None] = ["short", *["503"] * 10]
    with FakeArxiv(ENTRIES, faults=faults) as api:
        ws = ws_for(tmp_path, api.url)
        with pytest.raises(SurveyorError, match="failed 3 times"):
            add(ws, [e.id for e in ENTRIES[:40]])
    assert len(ws.load_papers()) == 20
