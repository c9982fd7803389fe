"""The LLM backend: the real `openai` client against a real HTTP server on 127.0.0.1 (tests/fake_openai.py,
synthetic replies in the documented formats), faults included."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import ROOT, kill_mid_run, run_cli, topic_papers, write_workspace
from fake_openai import FakeOpenAI, Oracle, keyword_oracle
from typer.testing import CliRunner

from surveyor.classify.runner import classify_workspace
from surveyor.cli import app
from surveyor.models import Paper
from surveyor.review import decide, review_queue
from surveyor.store import Workspace

KEY = "sk-test-DO-NOT-LEAK-7f3a"
RULES = {"stream": "remember-streaming", "anomal": "app-anomaly", "sport": "app-sports"}
runner = CliRunner()


def oracle() -> Oracle:
    return keyword_oracle(RULES, "watch-comprehensive")


def make_ws(tmp_path: Path, url: str, n: int = 8, extra: str = "", name: str = "ws") -> Workspace:
    defaults = "" if "concurrency" in extra else "concurrency = 4\n"
    llm = f'[llm]\nbase_url = "{url}"\napi_key = "{KEY}"\nbackoff = 0.01\ntimeout = 0.5\n{defaults}{extra}'
    ws = Workspace(write_workspace(tmp_path / name, llm))
    ws.save_papers(topic_papers(n))
    return ws


def test_labels_every_paper_with_a_stable_prefix_and_grounded_evidence(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url)
        report = classify_workspace(ws, backend="openai")
        bodies = fake.chat_requests()
    labels = ws.load_labels()
    assert report.classified == 8 and report.failed == 0 and report.requests == 8
    assert "structured output mode: json_schema" in report.notes
    assert labels["2401.00001"].labels[0].node == "app-anomaly"
    for rec in labels.values():
        assert (
            rec.backend == "openai" and rec.model == "gpt-4o-mini" and rec.prompt_hash and rec.requests == 1
        )
        assert all(label.grounded and label.evidence for label in rec.labels)
        assert rec.prompt_tokens > 0 and rec.cost > 0
    systems = {b["messages"][0]["content"] for b in bodies}
    assert len(systems) == 1, "the taxonomy prefix must be byte-identical across requests"
    assert "remember-streaming: Streaming memory" in systems.pop()
    assert all(b["response_format"]["json_schema"]["strict"] for b in bodies)
    runs = ws.load_runs()
    assert runs[-1].requests == 8 and runs[-1].cost > 0


def test_rerun_makes_zero_requests_and_is_fast(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url)
        classify_workspace(ws, backend="openai")
        before = len(fake.requests)
        start = time.monotonic()
        report = classify_workspace(ws, backend="openai", relabel=True)
        assert time.monotonic() - start < 5
        assert len(fake.requests) == before and report.requests == 0 and report.classified == 8


@pytest.mark.parametrize(
    ("reject", "mode"),
    [
        (("json_schema",), "json_object"),
        (("json_schema", "json_object"), "tools"),
        (("json_schema", "json_object", "tools"), "text"),
    ],
)
def test_auto_mode_falls_back_says_so_and_remembers(
    tmp_path: Path, reject: tuple[str, ...], mode: str
) -> None:
    with FakeOpenAI(oracle(), reject=reject) as fake:
        ws = make_ws(tmp_path, fake.url)
        report = classify_workspace(ws, backend="openai")
        assert f"structured output mode: {mode}" in report.notes
        assert any(f"rejected {reject[0]}" in note for note in report.notes)
        assert report.failed == 0 and len(ws.load_labels()) == 8
        rejected = len(reject)
        assert len(fake.chat_requests()) == 8 + rejected
        ws.save_papers(
            [*ws.load_papers().values(), Paper(id="new", title="P99: sports video", abstract="Sports.")]
        )
        again = classify_workspace(ws, backend="openai")
        assert again.classified == 1 and len(fake.chat_requests()) == 8 + rejected + 1  # no new probing


def test_every_scripted_fault_is_survived(tmp_path: Path) -> None:
    faults = {
        "P00": ["429"],
        "P01": ["500", "500"],
        "P02": ["timeout"],
        "P03": ["drop"],
        "P04": ["malformed"],
        "P05": ["bad_id", "bad_id"],
        "P06": ["length"],
        "P07": ["refusal"],
        "P08": ["bad_id"],
    }
    with FakeOpenAI(oracle(), faults=faults, timeout_sleep=1.0) as fake:
        ws = make_ws(tmp_path, fake.url, n=10)
        report = classify_workspace(ws, backend="openai")
    labels = ws.load_labels()
    assert len(labels) == 10, "every paper is either labelled or recorded as failed"
    failed = {pid: rec.error or "" for pid, rec in labels.items() if rec.status == "failed"}
    assert set(failed) == {"2401.00005", "2401.00007"}
    assert "invalid reply twice" in failed["2401.00005"] and "no-such-node" in failed["2401.00005"]
    assert "refused" in failed["2401.00007"]
    for pid in (
        "2401.00000",
        "2401.00001",
        "2401.00002",
        "2401.00003",
        "2401.00004",
        "2401.00006",
        "2401.00008",
    ):
        assert labels[pid].status == "ok" and labels[pid].labels, pid
    assert labels["2401.00004"].requests == 2 and labels["2401.00006"].requests == 2  # one repair turn each
    assert report.failed == 2
    repair = [b for b in fake.chat_requests() if len(b["messages"]) == 4]
    assert any("not valid" in b["messages"][3]["content"] for b in repair)


@pytest.mark.slow
def test_retry_after_seconds_is_honoured(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), faults={"P00": ["429s"]}) as fake:
        ws = make_ws(tmp_path, fake.url, n=1, extra='mode = "json_schema"\n')
        start = time.monotonic()
        classify_workspace(ws, backend="openai")
        assert time.monotonic() - start >= 1.0  # Retry-After: 1, far above the 0.01 s backoff
        assert len(fake.chat_requests()) == 2


def test_no_api_key_is_one_line_suggesting_offline(tmp_path: Path) -> None:
    ws = write_workspace(tmp_path / "ws")
    done = run_cli(
        "classify", "--backend", "openai", "-w", str(ws), drop_env=("OPENAI_API_KEY", "SURVEYOR_API_KEY")
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: no API key for backend 'openai'")
    assert "--backend offline" in done.stderr and len(done.stderr.strip().splitlines()) == 2


def test_the_key_never_lands_in_files_or_output(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), faults={"P01": ["500"], "P02": ["refusal"]}) as fake:
        ws = make_ws(tmp_path, fake.url)
        result = runner.invoke(app, ["classify", "--backend", "openai", "-w", str(ws.root)])
        status = runner.invoke(app, ["status", "--json", "-w", str(ws.root)])
        runner.invoke(app, ["export", "-w", str(ws.root)])
        seen = {h.get("Authorization") or h.get("authorization") for _, h, _ in fake.requests}
    assert seen == {f"Bearer {KEY}"}, "the key is sent to the server, and only there"
    assert result.exit_code == 0 and KEY not in result.output and KEY not in status.output
    stored = [p for p in ws.root.rglob("*") if p.is_file() and p.name != "surveyor.toml"]
    assert any(p.name == "cache.sqlite" for p in stored)
    for path in stored:
        assert KEY.encode() not in path.read_bytes(), path


def test_few_shot_examples_come_from_human_labels(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url, n=8, extra="few_shot = 2\n")
        decide(ws, "2401.00002", ["app-sports"])
        decide(ws, "2401.00001", ["app-anomaly"])
        classify_workspace(ws, backend="openai")
        bodies = fake.chat_requests()
    sports = next(b for b in bodies if "Title: P06: a model for sports video" in b["messages"][1]["content"])
    user = sports["messages"][1]["content"]
    assert user.index(
        "Example (labelled by the survey's author):\nTitle: P02: a model for sports video"
    ) < user.index("Paper to classify:")
    assert "Labels: app-sports (Sports)" in user
    assert len(bodies) == 6  # the two human-labelled papers are not sent


def test_dry_run_sends_nothing_and_prices_the_run(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url)
        result = runner.invoke(app, ["classify", "--backend", "openai", "--dry-run", "-w", str(ws.root)])
        assert result.exit_code == 0, result.output
        assert fake.requests == []
    assert "dry run: 8 requests for 8 papers (0 cached)" in result.output and "$" in result.output


def test_max_cost_stops_cleanly(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url, n=20, extra="concurrency = 1\n")
        result = runner.invoke(
            app, ["classify", "--backend", "openai", "--max-cost", "0.0002", "-w", str(ws.root)]
        )
        assert result.exit_code == 0, result.output
    done = len(ws.load_labels())
    assert 0 < done < 20 and "cost limit" in result.output
    assert ws.load_runs()[-1].status == "done"


def test_ungrounded_evidence_is_flagged_for_review(tmp_path: Path) -> None:
    def liar(title: str, abstract: str) -> dict[str, object]:
        reply = keyword_oracle(RULES, "watch-fine")(title, abstract)
        reply["labels"][0]["evidence"] = "a sentence that appears nowhere in the paper"  # type: ignore[index]
        return reply

    with FakeOpenAI(liar) as fake:
        ws = make_ws(tmp_path, fake.url, n=2)
        classify_workspace(ws, backend="openai")
    assert all(not rec.labels[0].grounded for rec in ws.load_labels().values())
    assert {item.why for item in review_queue(ws)} == {"evidence not found in the title or abstract"}


def test_workspace_prompt_override_changes_the_hash_and_relabels(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url, n=2)
        classify_workspace(ws, backend="openai")
        first = ws.load_labels()["2401.00000"].prompt_hash
        (ws.root / "prompts").mkdir()
        shipped = (ROOT / "prompts" / "classify_user.md").read_text()
        (ws.root / "prompts" / "classify_user.md").write_text("Be brief.\n" + shipped)
        report = classify_workspace(Workspace(ws.root), backend="openai")
    assert report.classified == 2 and ws.load_labels()["2401.00000"].prompt_hash != first
    assert fake.chat_requests()[-1]["messages"][1]["content"].startswith("Be brief.")


def test_batch_submit_status_collect(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), faults={"P03": ["bad_id"]}) as fake:
        ws = make_ws(tmp_path, fake.url, n=6)
        result = runner.invoke(app, ["classify", "--backend", "openai", "--batch", "-w", str(ws.root)])
        assert result.exit_code == 0, result.output
        assert "submitted batch batch_synthetic_1: 6 papers" in result.output
        record = json.loads((ws.data_dir / "batches.jsonl").read_text())
        assert record["status"] == "in_progress" and not record.get("collected")
        requests_file = ws.root / record["requests_file"]
        lines = [json.loads(x) for x in requests_file.read_text().splitlines()]
        assert {x["custom_id"] for x in lines} == set(ws.load_papers()) and lines[0][
            "url"
        ] == "/v1/chat/completions"
        status = runner.invoke(app, ["batch", "status", "-w", str(ws.root)])
        assert "completed, 6 papers" in status.output
        collected = runner.invoke(app, ["batch", "collect", "-w", str(ws.root)])
        assert "6 papers stored (1 failed" in collected.output, collected.output
        labels = ws.load_labels()
        assert len(labels) == 6 and "invalid reply in batch" in (labels["2401.00003"].error or "")
        chat_before = len(fake.chat_requests())
        again = classify_workspace(ws, backend="openai")  # only the failed one is retried, directly
        assert again.classified == 1 and len(fake.chat_requests()) == chat_before + 1
        assert json.loads((ws.data_dir / "batches.jsonl").read_text())["collected"] is True


def test_batch_collect_keeps_the_status_it_refreshed(tmp_path: Path) -> None:
    """`batch collect` refreshes the batch's status before ingesting it: the record it saves carries
    that status, not the one read before the refresh."""
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url, n=3)
        submitted = runner.invoke(app, ["classify", "--backend", "openai", "--batch", "-w", str(ws.root)])
        assert submitted.exit_code == 0, submitted.output
        assert json.loads((ws.data_dir / "batches.jsonl").read_text())["status"] == "in_progress"
        collected = runner.invoke(app, ["batch", "collect", "-w", str(ws.root)])  # no `status` first
        assert "3 papers stored" in collected.output, collected.output
    record = json.loads((ws.data_dir / "batches.jsonl").read_text())
    assert record["collected"] is True and record["status"] == "completed" and record["output_file_id"]


def test_collect_from_a_results_file_made_elsewhere(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, "http://127.0.0.1:9/v1", n=2)
    body = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": json.dumps(
                        {
                            "out_of_scope": False,
                            "reason": None,
                            "labels": [
                                {
                                    "node": "app-sports",
                                    "confidence": 0.8,
                                    "evidence": "Our model works on videos.",
                                }
                            ],
                            "paper_type": "method",
                            "method": "P01",
                            "evaluates_on": [],
                            "introduces": [],
                        }
                    ),
                },
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20},
    }
    results = tmp_path / "results.jsonl"  # the shape vLLM's run_batch and the Batch API write (synthetic)
    results.write_text(
        json.dumps(
            {
                "id": "r1",
                "custom_id": "2401.00001",
                "response": {"status_code": 200, "body": body},
                "error": None,
            }
        )
        + "\n"
        + json.dumps({"id": "r2", "custom_id": "elsewhere", "response": None, "error": {"message": "x"}})
        + "\n"
    )
    result = runner.invoke(app, ["batch", "collect", "--from", str(results), "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    assert (
        "1 papers stored (0 failed, 0 out of scope), 1 results for papers not in the workspace skipped"
        in result.output
    )
    rec = ws.load_labels()["2401.00001"]
    assert rec.labels[0].node == "app-sports" and rec.labels[0].grounded and rec.backend == "openai"


@pytest.mark.slow
def test_kill_9_then_resume_pays_once_per_finished_paper(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), latency=0.05) as fake:
        ws = make_ws(tmp_path, fake.url, n=60, extra="concurrency = 2\n", name="killed")
        finished = [r["paper"] for r in kill_mid_run(ws.root, "--backend", "openai", min_lines=10)]
        assert 0 < len(finished) < 60
        classify_workspace(Workspace(ws.root), backend="openai")
        titles = {p.id: p.title or "" for p in ws.load_papers().values()}
        assert len(ws.load_labels()) == 60
        for pid in finished:
            assert fake.attempts[titles[pid]] == 1, f"{pid} was paid for twice"


@pytest.mark.slow
def test_kill_9_past_checkpoints_then_resume_on_another_server_asks_only_the_rest(tmp_path: Path) -> None:
    """No response cache to fall back on (another server): every verdict finished before the kill,
    before and after each checkpoint, is kept; the rerun asks only for the other papers."""
    with FakeOpenAI(oracle(), latency=0.05) as fake:
        ws = make_ws(tmp_path, fake.url, n=60, extra="concurrency = 2\n", name="killed")
        cfg = ws.root / "surveyor.toml"
        cfg.write_text(cfg.read_text() + "[classify]\ncheckpoint_every = 10\n")
        finished = {
            r["paper"] for r in kill_mid_run(ws.root, "--backend", "openai", min_lines=3, min_saved=20)
        }
    assert 22 <= len(finished) < 60  # 20 checkpointed, 3 in the journal (the last may be cut short)
    with FakeOpenAI(oracle()) as other:
        cfg.write_text(cfg.read_text().replace(fake.url, other.url))
        report = classify_workspace(Workspace(ws.root), backend="openai")
        titles = {p.id: p.title or "" for p in ws.load_papers().values()}
        asked = {pid for pid, title in titles.items() if other.attempts[title]}
    assert not asked & finished, f"asked again: {sorted(asked & finished)}"
    assert asked and report.classified == len(asked)
    assert len(ws.load_labels()) == 60


def test_ask_json_probes_the_structured_mode_once_and_shares_it(tmp_path: Path) -> None:
    """The drafter and taxonomy suggestions ask through `ask_json`: on a server that refuses
    json_schema it falls back to json_object with the schema, and remembers the mode for the next
    call (which sends no probe)."""
    from surveyor.config import LLMConfig
    from surveyor.llm import ask_json
    from surveyor.store import Cache

    schema = {"type": "object", "properties": {"x": {"type": "string"}}, "required": ["x"]}
    jobs = [(f"job {n}", [{"role": "user", "content": f"question {n}"}], 50) for n in range(3)]
    with FakeOpenAI(lambda _t, prompt: {"x": prompt.upper()}, reject=("json_schema",)) as fake:
        settings = LLMConfig(base_url=fake.url, api_key="sk-test-ask", backoff=0.01)
        cache = Cache(tmp_path / "cache.sqlite")
        replies, stats = ask_json(settings, cache, jobs, schema, "answer")
        first = fake.chat_requests()
        more, later = ask_json(
            settings, cache, [*jobs, ("job 3", [{"role": "user", "content": "q3"}], 50)], schema, "answer"
        )
        second = fake.chat_requests()[len(first) :]
    assert [r["x"] for r in replies] == ["QUESTION 0", "QUESTION 1", "QUESTION 2"]
    assert [b["response_format"]["type"] for b in first] == [
        "json_schema",
        "json_object",
        "json_object",
        "json_object",
    ]
    assert any("rejected json_schema" in n for n in stats.notes)
    assert first[1]["response_format"]["schema"] == schema
    assert later.requests == 1 and [b["response_format"]["type"] for b in second] == ["json_object"]
    assert more[3]["x"] == "Q3"
