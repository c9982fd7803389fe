"""arXiv collection: the real `arxiv` client against a local server speaking the API (synthetic feeds)."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import SEEDS, write_workspace
from fake_arxiv import Entry, FakeArxiv, dated_entries, seed_entries
from typer.testing import CliRunner

from surveyor import clock
from surveyor.arxiv_fetch import add, fetch, fetcher, query_key
from surveyor.cli import app
from surveyor.config import ArxivQuery
from surveyor.errors import SurveyorError
from surveyor.store import Workspace

runner = CliRunner()
ENTRIES = seed_entries([p.read_text() for p in sorted(SEEDS.glob("00[24]*"))])


def ws_for(tmp_path: Path, url: str, extra: str = "") -> Workspace:
    cfg = f'[arxiv]\napi_url = "{url}"\ndelay = 0.01\nbackoff = 0.01\nmax_retries = 4\n{extra}'
    return Workspace(write_workspace(tmp_path / "ws", cfg))


def test_fetch_a_query_with_category_and_window(tmp_path: Path) -> None:
    with FakeArxiv(ENTRIES) as api:
        ws = ws_for(tmp_path, api.url)
        (r,) = fetch(ws, [ArxivQuery(query='abs:"anomaly"', categories=["cs.CV"], since=date(2025, 11, 1))])
        sent = api.requests[0]["search_query"][0]
    assert sent == '(abs:"anomaly") AND (cat:cs.CV) AND submittedDate:[202511010000 TO 299912312359]'
    papers = ws.load_papers()
    expected = [
        e for e in ENTRIES if "anomaly" in (e.title + e.summary).lower() and e.published >= "2025-11-01"
    ]
    assert r.received == r.added == len(papers) == len(expected) > 3
    paper = papers[expected[0].id]
    assert paper.authors == ["Ada Synthetic", "Alan Example"] and paper.categories == ["cs.CV"]
    assert paper.published and paper.arxiv_version == expected[0].version
    assert paper.sources[0].file == 'arxiv:abs:"anomaly"'
    state = (ws.data_dir / "fetch_state.jsonl").read_text()
    assert '"last_success"' in state and "anomaly" in state


def test_incremental_fetch_asks_only_for_what_is_new(tmp_path: Path) -> None:
    with FakeArxiv(ENTRIES) as api:
        ws = ws_for(tmp_path, api.url)
        q = ArxivQuery(query="video", categories=["cs.CV"])
        with clock.pinned(clock.parse_instant("2025-12-01T06:00:00Z")):  # a Monday morning
            fetch(ws, [q])
        first = len(ws.load_papers())
        api.entries.insert(
            0, Entry("2512.99999", 1, "A new video paper", "About video.", "2025-12-03", "2025-12-03")
        )
        with clock.pinned(clock.parse_instant("2025-12-05T06:00:00Z")):
            (r,) = fetch(ws, [q])
        sent = api.requests[-1]["search_query"][0]
    # The last announcement seen on Monday morning was Sunday's, which closed Friday 28 November at
    # 14:00 Eastern (19:00 UTC): the window starts there, less the 21-day margin for holidays.
    assert "submittedDate:[202511071900 TO 299912312359]" in sent
    assert r.added == 1 and len(ws.load_papers()) == first + 1
    state = (ws.data_dir / "fetch_state.jsonl").read_text()
    assert '"last_run":"2025-12-05T06:00:00Z"' in state and '"last_success":"2025-12-05"' in state


def test_a_state_from_before_last_run_starts_at_its_day(tmp_path: Path) -> None:
    """fetch_state.jsonl written before `last_run` existed: the day's start stands in for it."""
    q = ArxivQuery(query="video")
    with FakeArxiv(ENTRIES) as api:
        ws = ws_for(tmp_path, api.url)
        ws.data_dir.mkdir(parents=True, exist_ok=True)
        (ws.data_dir / "fetch_state.jsonl").write_text(
            json.dumps({"key": query_key(q), "query": "video", "last_success": "2025-12-02"}) + "\n"
        )
        fetch(ws, [q])
        sent = api.requests[-1]["search_query"][0]
    # 2 December 00:00 UTC is Monday 19:00 EST, before Monday's announcement: the last seen was
    # Sunday's, which closed Friday 28 November 14:00 EST; less 21 days.
    assert "submittedDate:[202511071900 TO" in sent


@pytest.mark.slow
def test_5000_results_in_the_fewest_polite_requests(tmp_path: Path) -> None:
    many = dated_entries(5000)
    with FakeArxiv(many) as api:
        ws = ws_for(tmp_path, api.url, "")
        (ws.root / "surveyor.toml").write_text(
            (ws.root / "surveyor.toml").read_text().replace("delay = 0.01", "delay = 0.2")
        )
        ws = Workspace(ws.root)
        start = time.monotonic()
        (r,) = fetch(ws, [ArxivQuery(query="video", max_results=None)])
        elapsed = time.monotonic() - start
    assert r.received == r.added == 5000
    assert len(api.requests) == r.requests == 3  # pages of 2,000: the API's largest
    assert [q["max_results"][0] for q in api.requests] == ["2000"] * 3
    assert 0.4 <= elapsed < 0.4 + 8  # two waits of 0.2 s between three requests, and no more sleeping


def test_faults_are_retried_and_nothing_is_lost_or_doubled(tmp_path: Path) -> None:
    many = dated_entries(250, prefix="2402", summary="Video. " * 20, days=1000)
    with FakeArxiv(many, faults=["503", None, "429", "empty", "cut", None, None]) as api:
        ws = ws_for(tmp_path, api.url)
        client = fetcher(ws)
        client.page_size = 100
        papers = list(client.results(__import__("arxiv").Search(query="video", max_results=None)))
    assert len(papers) == 250 and len({p.entry_id for p in papers}) == 250
    assert client.stats.retries == 4
    assert all(len(p.summary) == len("Video. " * 20) for p in papers), (
        "a cut-off feed must not give truncated abstracts"
    )


def test_gives_up_with_a_clear_error_and_keeps_what_it_has(tmp_path: Path) -> None:
    with FakeArxiv(ENTRIES, faults=["503"] * 10) as api:
        ws = ws_for(tmp_path, api.url)
        with pytest.raises(SurveyorError, match="arXiv API failed 5 times in a row at result 0: HTTP 503"):
            fetch(ws, [ArxivQuery(query="video")])
        assert len(api.requests) == 5
    assert not (ws.data_dir / "fetch_state.jsonl").exists()  # a failed fetch is not a success


def test_add_ids_and_refresh_new_versions(tmp_path: Path) -> None:
    entries = [
        Entry("2501.00001", 1, "Old title", "Video one.", "2025-01-02", "2025-01-02"),
        Entry("2501.00002", 1, "Second", "Video two.", "2025-01-03", "2025-01-03"),
    ]
    with FakeArxiv(entries) as api:
        ws = ws_for(tmp_path, api.url)
        r = add(ws, ["2501.00001", "https://arxiv.org/abs/2501.00002v1"])
        assert (r.added, r.requests) == (2, 1)
        api.entries[1] = Entry(
            "2501.00001",
            2,
            "New title",
            "Video one, revised.",
            "2025-01-02",
            "2025-03-01",
            journal_ref="CVPR 2025",
            comment="Accepted to CVPR 2025",
        )
        r = add(ws, [], refresh=True)
    assert r.updated == ["2501.00001"]
    paper = ws.load_papers()["2501.00001"]
    assert (paper.title, paper.arxiv_version, paper.venue, paper.year) == ("New title", 2, "CVPR", 2025)
    assert paper.journal_ref == "CVPR 2025"
    with pytest.raises(SurveyorError, match="not an arXiv id"):
        add(ws, ["hello"])


def test_cli_fetch_and_add_use_the_endpoint_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeArxiv(ENTRIES) as api:
        ws = write_workspace(tmp_path / "ws", "[arxiv]\ndelay = 0\nbackoff = 0.01\n")
        monkeypatch.setenv("SURVEYOR_ARXIV_API_URL", api.url)
        result = runner.invoke(
            app,
            [
                "fetch",
                "--query",
                "video",
                "--category",
                "cs.CV",
                "--since",
                "2025-12-01",
                "--max",
                "5",
                "-w",
                str(ws),
            ],
        )
        assert result.exit_code == 0, result.output
        assert "received 5, added 5" in result.output and "1 requests" in result.output
        result = runner.invoke(app, ["add", ENTRIES[0].id, "-w", str(ws)])
        assert result.exit_code == 0 and "received 1" in result.output
        bad = runner.invoke(app, ["fetch", "--query", "x", "--since", "yesterday", "-w", str(ws)])
        assert bad.exit_code == 1 and "--since" in bad.output
