"""`surveyor enrich` against a local server speaking OpenAlex's and Semantic Scholar's documented JSON
(tests/fake_scholarly.py, records synthetic): batched id lookups, title lookups with their guards,
rate limits and Retry-After honoured, a rerun that sends nothing, a killed run resumed, undo, the
CLI with keys that never leak, and `update` enriching only the new papers."""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import CLI, cli_env, run_cli, write_workspace
from fake_scholarly import Scholarly, Work, serve

from surveyor.enrich.run import enrich, load_log, undo
from surveyor.merges import load_merges
from surveyor.models import Paper, Source
from surveyor.store import Workspace


def enrich_config(srv: Scholarly, openalex: float = 0, s2: float = 0, extra: str = "") -> str:
    return (
        f'[enrich]\nopenalex_url = "{srv.openalex_url}"\ns2_url = "{srv.s2_url}"\n'
        f"openalex_interval = {openalex}\ns2_interval = {s2}\nbackoff = 0.05\n{extra}"
    )


def listed(pid: str, line: int, **fields: object) -> Paper:
    """A paper as a listing gives it (one source line)."""
    return Paper.model_validate(
        {"id": pid, "sources": [Source(file="list.md", format="awesome", line=line)], **fields}
    )


def arxiv_works(n: int) -> list[Work]:
    return [
        Work(
            f"Synthetic Video Paper Number {i}",
            2024,
            [f"Ada Author{i}", "Alan Example"],
            arxiv_id=f"2401.{i:05d}",
        )
        for i in range(n)
    ]


def test_ids_are_looked_up_in_batches_and_a_rerun_sends_nothing(tmp_path: Path) -> None:
    works = arxiv_works(120)
    works[3] = Work(
        works[3].title,
        2024,
        works[3].authors,
        arxiv_id=works[3].arxiv_id,
        doi="10.1109/cvpr.2024.00003",
        venue="2024 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
        acronym="CVPR",
        split=True,  # OpenAlex keeps the preprint and the proceedings paper apart
    )
    journal = Work(
        "A Journal Paper Without Preprint",
        2023,
        ["Grace Hopperson"],
        doi="10.1000/j.2023.7",
        venue="Journal of Synthetic Results",
        venue_type="journal",
    )
    with serve([*works, journal]) as srv:
        ws = Workspace(write_workspace(tmp_path / "ws", enrich_config(srv)))
        papers = [
            listed(w.arxiv_id or "", i, title=w.title, arxiv_id=w.arxiv_id) for i, w in enumerate(works, 1)
        ]
        papers.append(listed("t-journal", 999, title=journal.title, doi="10.1000/j.2023.7"))
        ws.save_papers(papers)
        report = enrich(ws)
        s2_asked, oa_asked = srv.asked("s2"), srv.asked("openalex")
        assert [(r.method, r.path) for r in s2_asked] == [("POST", "/graph/v1/paper/batch")]
        assert len(s2_asked[0].body["ids"]) == 121 and "ARXIV:2401.00000" in s2_asked[0].body["ids"]
        # 120 arXiv DOIs, one journal DOI, and the CVPR DOI Semantic Scholar named: 50 to a request.
        values = [r.query["filter"].removeprefix("doi:").split("|") for r in oa_asked]
        assert all(len(v) <= 50 for v in values) and len(oa_asked) == math.ceil(122 / 50)
        assert "10.1109/cvpr.2024.00003" in {d for v in values for d in v}
        assert report.matched == 121 and report.not_found == 0 and report.by_title == 0
        got = ws.load_papers()
        assert all(p.authors and p.year == 2024 for pid, p in got.items() if pid.startswith("2401."))
        cvpr = got["2401.00003"]
        assert (cvpr.venue, cvpr.venue_kind, cvpr.doi) == ("CVPR", "conference", "10.1109/cvpr.2024.00003")
        assert cvpr.external_ids["openalex"] == works[3].openalex_id  # the published work, not the preprint
        assert (
            got["t-journal"].venue == "Journal of Synthetic Results"
            and got["t-journal"].venue_kind == "journal"
        )
        sent = len(srv.requests)
        again = enrich(ws, every=True)
        assert len(srv.requests) == sent and again.matched == 121 and again.cached > 0
        assert ws.load_papers() == got  # and nothing changes


def test_titles_are_matched_with_care_and_a_match_can_be_undone(tmp_path: Path) -> None:
    videochat = Work(
        "VideoChat: Chat-Centric Video Understanding",
        2023,
        ["Kunchang Li", "Yinan He"],
        arxiv_id="2305.06355",
    )
    lookalike = Work(
        "VideoChat2: Chat-Centric Video Understanding", 2024, ["Kunchang Li"], arxiv_id="2406.00001"
    )
    mvbench = Work(
        "MVBench: A Comprehensive Multi-modal Video Understanding Benchmark",
        2024,
        ["Kunchang Li"],
        arxiv_id="2311.17005",
    )
    with serve([videochat, lookalike, mvbench]) as srv:
        ws = Workspace(write_workspace(tmp_path / "ws", enrich_config(srv)))
        ws.save_papers(
            [
                listed("t-chat", 1, title="VideoChat : chat-centric video understanding"),
                listed("t-chat2", 2, title="VideoChat3: Chat-Centric Video Understanding"),
                listed("2311.17005", 3, title=mvbench.title, arxiv_id="2311.17005"),
                listed("t-mv", 4, title="MVBench: a comprehensive multi-modal video understanding benchmark"),
            ]
        )
        report = enrich(ws)
        got = ws.load_papers()
        assert "2305.06355" in got and got["2305.06355"].aliases == [
            "t-chat"
        ]  # found: it has its arXiv id now
        assert got["2305.06355"].authors == ["Kunchang Li", "Yinan He"]
        assert (
            "t-chat2" in got and not got["t-chat2"].authors
        )  # VideoChat3 is neither VideoChat nor VideoChat2
        log = load_log(ws)
        assert log["t-chat"].status == "enriched" and log["t-chat"].matches[0].rule == "title"
        assert log["t-chat2"].status == "not-found" and "different papers" in log["t-chat2"].rejected[0].why
        # The title-only listing of MVBench is the arXiv paper already in the library: merged, logged.
        assert "t-mv" not in got and "t-mv" in got["2311.17005"].aliases
        assert report.merged == [("t-mv", "2311.17005")] and log["t-mv"].merged_into == "2311.17005"
        assert [m.absorbed for m in load_merges(ws)] == ["t-mv"]

        restored = undo(ws, "2305.06355")
        assert restored == listed("t-chat", 1, title="VideoChat : chat-centric video understanding")
        assert ws.load_papers()["t-chat"] == restored and "2305.06355" not in ws.load_papers()
        split = undo(ws, "t-mv")
        assert split.id == "t-mv" and not split.authors and {"t-mv", "2311.17005"} <= set(ws.load_papers())
        # Named again, an undone paper is looked up again, but the records refused stay refused.
        enrich(ws, ["t-chat"])
        assert "t-chat" in ws.load_papers() and not ws.load_papers()["t-chat"].authors
        assert set(load_log(ws)["t-chat"].refused) == {videochat.openalex_id, videochat.s2_id}
        with pytest.raises(Exception, match="no enrichment to undo"):
            undo(ws, "t-chat2")


@pytest.mark.slow
def test_requests_keep_each_services_pace(tmp_path: Path) -> None:
    works = [
        Work(f"Paced Paper {i} About Streaming Video", 2024, ["Ada Synthetic"], in_openalex=False)
        for i in range(5)
    ]
    with serve(works) as srv:
        ws = Workspace(write_workspace(tmp_path / "ws", enrich_config(srv, openalex=0.2, s2=0.3)))
        ws.save_papers([listed(f"t-{i}", i, title=w.title) for i, w in enumerate(works, 1)])
        enrich(ws)
        for api, pace in (("openalex", 0.2), ("s2", 0.3)):
            times = [r.time for r in srv.asked(api)]
            assert len(times) == 5
            gaps = [b - a for a, b in itertools.pairwise(times)]
            # Logged on arrival, so a busy machine can shift one arrival: no burst, and the pace on average.
            assert min(gaps) >= pace / 2 and sum(gaps) / len(gaps) >= pace - 0.01, (api, gaps)
        assert all(p.authors for p in ws.load_papers().values())  # Semantic Scholar found them by title


@pytest.mark.slow
def test_retry_after_is_honoured_and_a_longer_one_stops_the_service_until_the_next_run(
    tmp_path: Path,
) -> None:
    works = arxiv_works(3)
    with serve(works) as srv:
        ws = Workspace(write_workspace(tmp_path / "ws", enrich_config(srv, extra="max_wait = 5\n")))
        ws.save_papers(
            [listed(w.arxiv_id or "", i, title=w.title, arxiv_id=w.arxiv_id) for i, w in enumerate(works)]
        )
        srv.faults["s2"] = ["429:1"]
        enrich(ws, ["2401.00000"])
        first, second = srv.asked("s2")
        assert second.time - first.time >= 0.98  # waited as Retry-After asked
        srv.faults["s2"] = ["429:3600"]
        report = enrich(ws, ["2401.00001", "2401.00002"])
        assert (
            report.partial == 2
            and "3600" in report.stopped[0]
            and "run the same command again" in report.stopped[0]
        )
        assert {load_log(ws)[p].status for p in ("2401.00001", "2401.00002")} == {"partial"}
        assert ws.load_papers()["2401.00001"].authors  # what OpenAlex answered is kept
        asked = len(srv.asked("openalex"))
        later = enrich(ws)  # partly enriched papers are asked again; OpenAlex's answers come from the cache
        assert later.asked == 2 and later.matched == 2 and len(srv.asked("openalex")) == asked
        assert ws.load_papers()["2401.00001"].external_ids.keys() == {"openalex", "s2"}


@pytest.mark.slow
def test_a_killed_run_keeps_every_answer_it_received(tmp_path: Path) -> None:
    works = [
        Work(f"Killed Run Paper {i} on Egocentric Video", 2024, ["Ada Synthetic"], in_openalex=False)
        for i in range(12)
    ]
    with serve(works) as srv:
        root = write_workspace(tmp_path / "ws", enrich_config(srv, s2=0.15, extra='sources = ["s2"]\n'))
        Workspace(root).save_papers([listed(f"t-{i:02d}", i, title=w.title) for i, w in enumerate(works)])
        proc = subprocess.Popen([*CLI, "enrich", "-w", str(root)], env=cli_env(), stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while len(srv.asked("s2")) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        first = [r.query["query"] for r in srv.asked("s2")]
        assert 5 <= len(first) < 12
        done = run_cli("enrich", "-w", str(root))
        assert done.returncode == 0, done.stderr
        second = [r.query["query"] for r in srv.asked("s2")][len(first) :]
        # Nothing received is asked again; only the request in flight at the kill may be.
        assert not set(first[:-1]) & set(second) and set(first) | set(second) == {
            f"killed run paper {i} on egocentric video" for i in range(12)
        }
        assert all(p.authors for p in Workspace(root).load_papers().values())


@pytest.mark.slow
def test_cli_uses_the_configured_urls_and_keys_and_writes_no_secret(tmp_path: Path) -> None:
    works = arxiv_works(2)
    with serve(works) as srv:
        root = write_workspace(
            tmp_path / "ws", "[enrich]\nopenalex_interval = 0\ns2_interval = 0\nbackoff = 0.05\n"
        )
        Workspace(root).save_papers(
            [listed(w.arxiv_id or "", i, title=w.title, arxiv_id=w.arxiv_id) for i, w in enumerate(works)]
        )
        env = {
            "SURVEYOR_OPENALEX_URL": srv.openalex_url,
            "SURVEYOR_S2_URL": srv.s2_url,
            "SURVEYOR_S2_API_KEY": "s2-secret-key",
            "SURVEYOR_OPENALEX_API_KEY": "oa-secret-key",
            "SURVEYOR_MAILTO": "survey@example.org",
        }
        done = run_cli("enrich", "-v", "-w", str(root), env=env)
        assert done.returncode == 0, done.stderr
        assert "enriched 2 of 2 papers" in done.stdout and "requests: openalex 1, s2 1" in done.stdout
        (oa,) = srv.asked("openalex")
        assert oa.query["api_key"] == "oa-secret-key" and oa.query["mailto"] == "survey@example.org"
        assert srv.asked("s2")[0].headers["x-api-key"] == "s2-secret-key"
        srv.faults["s2"] = ["503"] * 10
        failed = run_cli("enrich", "--all", "--refresh", "-w", str(root), env=env)
        assert failed.returncode == 0 and "stopped: Semantic Scholar: HTTP 503" in failed.stdout
        texts = [done.stdout, done.stderr, failed.stdout, failed.stderr]
        texts += [p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file()]
        assert not any("secret-key" in t for t in texts)


@pytest.mark.slow
def test_update_enriches_only_the_new_papers_and_build_asks_nothing_by_default(tmp_path: Path) -> None:
    works = arxiv_works(5)
    with serve(works) as srv:
        lines = [
            json.dumps({"title": w.title, "arxiv_id": w.arxiv_id, "abstract": "Video models."}) for w in works
        ]
        root = write_workspace(
            tmp_path / "ws", '[[sources.files]]\npath = "papers.jsonl"\n' + enrich_config(srv)
        )
        (root / "papers.jsonl").write_text("\n".join(lines[:3]) + "\n")
        done = run_cli("build", "-w", str(root))
        assert done.returncode == 0, done.stderr
        assert srv.requests == []  # enrichment is off unless [enrich] auto = true
        config = (root / "surveyor.toml").read_text().replace("[enrich]\n", "[enrich]\nauto = true\n")
        (root / "surveyor.toml").write_text(config)
        (root / "papers.jsonl").write_text("\n".join(lines) + "\n")
        before = (root / "data" / "papers.jsonl").read_text().splitlines()
        done = run_cli("update", "-w", str(root))
        assert done.returncode == 0, done.stderr
        assert "enriched 2 of 2 papers" in done.stdout
        assert srv.asked("s2")[0].body["ids"] == ["ARXIV:2401.00003", "ARXIV:2401.00004"]
        after = (root / "data" / "papers.jsonl").read_text().splitlines()
        assert set(before) <= set(after) and len(after) == 5  # the old papers' lines are untouched
        changes = (root / "output" / "CHANGES.md").read_text()
        assert "2 new papers" in changes


def test_cli_mistakes_are_one_line_with_a_hint(tmp_path: Path) -> None:
    from test_cli import assert_user_error

    root = write_workspace(tmp_path / "ws", '[enrich]\nopenalex_url = "http://127.0.0.1:9"\n')
    Workspace(root).save_papers([listed("t-1", 1, title="A Paper")])
    assert_user_error(run_cli("enrich", "nosuchpaper", "-w", str(root)), "no paper `nosuchpaper`")
    assert_user_error(run_cli("enrich", "--undo", "t-1", "-w", str(root)), "no enrichment to undo")
    bad = root / "surveyor.toml"
    bad.write_text(bad.read_text() + "s2_interval = -1\n")
    assert_user_error(run_cli("enrich", "-w", str(root)), "enrich.s2_interval")


def test_a_server_refusing_select_is_asked_without_it_and_an_unreachable_one_is_left_soon(
    tmp_path: Path,
) -> None:
    works = arxiv_works(60)
    with serve(works) as srv:
        srv.refuse.add("select")
        ws = Workspace(write_workspace(tmp_path / "ws", enrich_config(srv)))
        ws.save_papers(
            [listed(w.arxiv_id or "", i, title=w.title, arxiv_id=w.arxiv_id) for i, w in enumerate(works)]
        )
        report = enrich(ws)
        assert report.matched == 60 and report.stopped == []
        asked = [r.query for r in srv.asked("openalex")]
        assert "select" in asked[0] and all("select" not in q for q in asked[1:]) and len(asked) == 3
    root = write_workspace(tmp_path / "off", enrich_config(srv))  # the server is gone: connections refused
    Workspace(root).save_papers([listed("2401.00000", 1, title="A Paper", arxiv_id="2401.00000")])
    start = time.monotonic()
    report = enrich(Workspace(root))
    assert time.monotonic() - start < 5 and report.partial == 1 and len(report.stopped) == 2
    assert all("no answer" in why and "Connection refused" in why for why in report.stopped)
