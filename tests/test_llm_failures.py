"""Every way a model server can fail, told apart: the real `surveyor` command (a subprocess) and the
real `openai` SDK against real servers on 127.0.0.1 (tests/fake_openai.py, synthetic replies in the
documented formats). Each failure gives one message and a hint, fast, never a traceback, and the API
key is nowhere: not in the output, not in any file of the workspace."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TAXONOMY, run_cli, topic_papers, write_workspace
from fake_openai import FakeOpenAI, Oracle, keyword_oracle

from surveyor.store import Workspace

KEY = "sk-test-DO-NOT-LEAK-91c4e2"
RULES = {"stream": "remember-streaming", "anomal": "app-anomaly", "sport": "app-sports"}
ENV = {"SURVEYOR_API_KEY": KEY}


def oracle() -> Oracle:
    return keyword_oracle(RULES, "watch-comprehensive")


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_ws(tmp_path: Path, url: str, n: int = 4, llm: str = "") -> Workspace:
    """A workspace whose [llm] points at `url`; the key comes from the environment, never a file."""
    config = f'[llm]\nbase_url = "{url}"\nbackoff = 0.01\ntimeout = 1\nconcurrency = 4\n{llm}'
    ws = Workspace(write_workspace(tmp_path / "ws", config))
    ws.save_papers(topic_papers(n))
    return ws


def surveyor(
    ws: Workspace, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, "-w", str(ws.root), env={**ENV, **(env or {})})


def assert_one_message(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    """Exit 1, `error: ...` and `hint: ...` on stderr and nothing else, the expected words in them."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("hint: "), done.stderr
    for words in expected:
        assert words in done.stderr, done.stderr


def assert_no_key(ws: Workspace, *outputs: str) -> None:
    """The key is in no output and in no file under the workspace (caches and journals included)."""
    for text in outputs:
        assert KEY not in text
    files = [p for p in ws.root.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("mode", ["auto", "json_schema"])
def test_unreachable_server_fails_in_seconds_with_one_message(tmp_path: Path, mode: str) -> None:
    ws = make_ws(tmp_path, f"http://127.0.0.1:{closed_port()}/v1", llm=f'mode = "{mode}"\n')
    start = time.monotonic()
    done = surveyor(ws, "classify", "--backend", "openai")
    assert time.monotonic() - start < 10
    assert_one_message(
        done, "cannot connect to http://127.0.0.1:", "ConnectionRefusedError", "start the server"
    )
    assert "mode" not in done.stderr.split("hint:")[0], "a connection failure is not a refused mode"
    assert_no_key(ws, done.stdout, done.stderr)


@pytest.mark.parametrize(
    "command",
    [
        ("classify", "--backend", "openai", "--batch"),
        ("draft", "--backend", "openai"),
        ("taxonomy", "bootstrap", "--topic", "video", "--backend", "openai"),
    ],
)
@pytest.mark.slow
def test_other_commands_say_the_same(tmp_path: Path, command: tuple[str, ...]) -> None:
    ws = make_ws(tmp_path, f"http://127.0.0.1:{closed_port()}/v1", n=8)
    if command[0] == "draft":
        assert run_cli("classify", "-w", str(ws.root)).returncode == 0  # offline labels to draft from
    done = surveyor(ws, *command)
    assert_one_message(done, "cannot connect to http://127.0.0.1:")
    assert_no_key(ws, done.stdout, done.stderr)


@pytest.mark.slow
def test_batch_status_with_the_server_gone(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url)
        assert surveyor(ws, "classify", "--backend", "openai", "--batch").returncode == 0
    done = surveyor(ws, "batch", "status")  # the server has stopped
    assert_one_message(done, f"cannot connect to {fake.url}")


@pytest.mark.slow
def test_a_slow_server_is_reported_as_such(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), latency=30.0) as fake:
        ws = make_ws(tmp_path, fake.url, llm='mode = "json_schema"\n')
        start = time.monotonic()
        done = surveyor(ws, "classify", "--backend", "openai", "--timeout", "0.5")
        took = time.monotonic() - start
        sent = len(fake.chat_requests())
    assert took < 20 and sent == 4, "one request a paper, none retried: the server has never answered"
    assert_one_message(done, "sent no answer within 0.5 s", "raise [llm] timeout")


@pytest.mark.slow
def test_a_day_long_retry_after_is_not_obeyed(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), always="429huge") as fake:
        ws = make_ws(tmp_path, fake.url)
        start = time.monotonic()
        done = surveyor(ws, "classify", "--backend", "openai")
        assert time.monotonic() - start < 10
        assert len(fake.chat_requests()) == 1
    assert_one_message(done, "asks to wait 24.0 h", "run again later", "max_wait")


@pytest.mark.slow
def test_a_short_retry_after_is_obeyed_and_counted(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), faults={"P00": ["429s"]}) as fake:
        ws = make_ws(tmp_path, fake.url, n=1, llm='mode = "json_schema"\n')
        start = time.monotonic()
        done = surveyor(ws, "classify", "--backend", "openai")
        assert time.monotonic() - start >= 1.0 and len(fake.chat_requests()) == 2
    assert done.returncode == 0, done.stderr
    assert "note: 1 requests retried" in done.stdout


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("html", "the reply is not JSON (text/html: '<!DOCTYPE html>"),
        ("list", "the reply is a JSON list, not a chat completion object"),
    ],
)
def test_a_200_that_is_not_a_chat_completion(tmp_path: Path, fault: str, words: str) -> None:
    with FakeOpenAI(oracle(), always=fault) as fake:
        ws = make_ws(tmp_path, fake.url)
        done = surveyor(ws, "classify", "--backend", "openai")
        assert len(fake.chat_requests()) == 1
    assert_one_message(done, "did not answer like an OpenAI-compatible API", words, "base_url")
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_tool_call_without_function(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), always="tool_nofunc") as fake:
        ws = make_ws(tmp_path, fake.url, llm='mode = "tools"\n')
        done = surveyor(ws, "classify", "--backend", "openai")
    assert_one_message(done, "a tool call without `function`", "mode")


def test_auto_mode_passes_over_unusable_tool_calls(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), reject=("json_schema", "json_object"), faults={"P00": ["tool_nofunc"]}) as fake:
        ws = make_ws(tmp_path, fake.url)
        done = surveyor(ws, "classify", "--backend", "openai")
    assert done.returncode == 0, done.stderr
    assert "tool calls are unusable" in done.stdout and "structured output mode: text" in done.stdout
    assert len(ws.load_labels()) == 4 and not [r for r in ws.load_labels().values() if r.status == "failed"]


@pytest.mark.slow
def test_an_error_body_echoing_the_key_is_stored_without_it(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), faults={"P01": ["echo_key"]}) as fake:
        ws = make_ws(tmp_path, fake.url, llm='mode = "json_schema"\n')
        done = surveyor(ws, "classify", "--backend", "openai")
        seen = {h.get("Authorization") or h.get("authorization") for _, h, _ in fake.requests}
    assert seen == {f"Bearer {KEY}"}, "the key is sent to the server, and only there"
    assert done.returncode == 0, done.stderr
    failed = ws.load_labels()["2401.00001"]
    assert failed.status == "failed" and "Authorization=Bearer [redacted]" in (failed.error or "")
    status = surveyor(ws, "status", "--json")
    assert_no_key(ws, done.stdout, done.stderr, status.stdout)


def test_a_server_refusing_everything_and_echoing_the_key(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), always="echo_key") as fake:
        ws = make_ws(tmp_path, fake.url, n=6)
        done = surveyor(ws, "classify", "--backend", "openai")
        sent = len(fake.chat_requests())
    assert_one_message(done, "refused the request (400: Invalid request", "[redacted]")
    assert sent == 4, "the probe tries each output mode once, then stops"
    assert done.stderr.count("Invalid request") == 1, "the cause is said once"
    assert_no_key(ws, done.stdout, done.stderr)


def test_an_unknown_model_is_named_once_with_the_models_served(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), models=("gpt-4o-mini", "qwen2.5-7b")) as fake:
        ws = make_ws(tmp_path, fake.url)
        done = surveyor(ws, "classify", "--backend", "openai", "--model", "gpt-5-nope")
        assert len(fake.chat_requests()) == 1
    assert_one_message(done, "does not serve the model `gpt-5-nope`", "it serves: gpt-4o-mini, qwen2.5-7b")
    assert done.stderr.count("does not exist") == 1


def test_a_refused_key(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), keys=("sk-the-right-key-000000",)) as fake:
        ws = make_ws(tmp_path, fake.url, llm='mode = "json_schema"\n')
        done = surveyor(ws, "classify", "--backend", "openai")
    assert_one_message(done, "refused the API key (401: Incorrect API key provided.)", "SURVEYOR_API_KEY")
    assert_no_key(ws, done.stdout, done.stderr)


def test_a_refused_mode_when_one_is_configured(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), reject=("json_schema",)) as fake:
        ws = make_ws(tmp_path, fake.url, n=6, llm='mode = "json_schema"\n')
        done = surveyor(ws, "classify", "--backend", "openai")
    assert_one_message(done, "refused json_schema structured output (400: response format", 'mode = "auto"')


def test_a_failing_server_is_retried_then_reported(tmp_path: Path) -> None:
    with FakeOpenAI(oracle(), faults={"": ["500"] * 100}) as fake:
        ws = make_ws(tmp_path, fake.url, llm="max_retries = 2\n")
        done = surveyor(ws, "classify", "--backend", "openai")
        assert len(fake.chat_requests()) == 3  # the probe's first request, retried twice
    assert_one_message(
        done, "failed every attempt (gave up after 3 attempts, last: 500: synthetic server error)"
    )


def test_dry_run_needs_no_key(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, f"http://127.0.0.1:{closed_port()}/v1")
    done = run_cli(
        "classify",
        "--backend",
        "openai",
        "--dry-run",
        "-w",
        str(ws.root),
        drop_env=("SURVEYOR_API_KEY", "OPENAI_API_KEY"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("dry run: 4 requests for 4 papers (0 cached)")


def gold_file(tmp_path: Path, n: int = 8) -> Path:
    topics = ["streaming video", "video anomaly detection", "sports video", "long video"]
    nodes = ["remember-streaming", "app-anomaly", "app-sports", "watch-comprehensive"]
    path = tmp_path / "gold.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "title": f"G{i:02d}: {topics[i % 4]}",
                    "abstract": f"We study {topics[i % 4]}.",
                    "labels": [nodes[i % 4]],
                }
            )
            + "\n"
            for i in range(n)
        )
    )
    return path


@pytest.mark.slow
def test_eval_with_a_model_takes_settings_from_the_environment_and_caches(tmp_path: Path) -> None:
    gold, here = gold_file(tmp_path), tmp_path / "here"
    here.mkdir()
    args = (
        "eval",
        str(gold),
        "-t",
        str(TAXONOMY),
        "--backend",
        "openai",
        "--cv",
        "2",
        "--json",
        "-w",
        str(here),
    )
    with FakeOpenAI(oracle()) as fake:
        env = {**ENV, "SURVEYOR_BASE_URL": fake.url}
        dry = run_cli(
            *args,
            "--dry-run",
            drop_env=("SURVEYOR_API_KEY", "OPENAI_API_KEY"),
            env={"SURVEYOR_BASE_URL": fake.url},
        )
        assert dry.returncode == 0 and fake.requests == [], dry.stderr
        assert dry.stderr.startswith("dry run: 8 requests for 8 papers (0 cached)")
        first = run_cli(*args, env=env)
        sent = len(fake.chat_requests())
        again = run_cli(*args, env=env)
        assert len(fake.chat_requests()) == sent, "the second run is answered from the cache"
        fresh = run_cli(*args, "--no-cache", env=env)
        assert len(fake.chat_requests()) == 2 * sent
    assert first.returncode == 0, first.stderr
    assert first.stderr.startswith("sending: 8 requests for 8 papers (0 cached)")
    assert again.stderr.startswith("sending: 8 papers to classify with openai; no requests to pay for")
    result = json.loads(first.stdout)
    assert result["micro_f1"] == 1.0 and result["cv"] == 2 and result["runs"]["failed"] == 0
    assert sent == 8  # one request a paper: the mode probe's answer is the first paper's
    assert json.loads(again.stdout)["micro_f1"] == 1.0 and json.loads(fresh.stdout)["micro_f1"] == 1.0
    bodies = fake.chat_requests()
    assert {b["model"] for b in bodies} == {"gpt-4o-mini"}
    assert all(KEY.encode() not in p.read_bytes() for p in here.rglob("*") if p.is_file())


# --- the pure parts: codec, redaction, retry policy ---------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"<html>Bad gateway</html>", "not JSON"),
        (b"[1, 2]", "a JSON list"),
        (b'{"object": "chat.completion"}', "no `choices`"),
        (b'{"choices": []}', "no `choices`"),
        (b'{"choices": [{"message": "hi"}]}', "no `message`"),
        (b'{"choices": [{"message": {"tool_calls": [{"id": "c"}]}}]}', "tool call without `function`"),
        (b'{"choices": [{"message": {"tool_calls": [{"function": null}]}}]}', "tool call without `function`"),
    ],
)
def test_replies_that_are_not_chat_completions(raw: bytes, why: str) -> None:
    from surveyor.llm.codec import BadReply, decode

    with pytest.raises(BadReply, match=why.replace("(", r"\(")):
        decode(raw, "text/html")


def test_odd_but_usable_replies_decode() -> None:
    from surveyor.llm.codec import decode

    parts = (
        b'{"choices": [{"message": {"content": [{"type": "text", "text": "{\\"a\\": 1}"}]}}], "usage": null}'
    )
    assert decode(parts).content == '{"a": 1}'
    tool = b'{"choices": [{"message": {"tool_calls": [{"function": {"arguments": {"a": 1}}}]}}]}'
    assert decode(tool).content == '{"a": 1}'
    odd_usage = b'{"choices": [{"message": {"content": "x"}}], "usage": {"prompt_tokens": "7"}}'
    assert decode(odd_usage).prompt_tokens == 0


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('Sure! {"a": {"b": 2}} Hope that helps.', {"a": {"b": 2}}),
        ("[1, 2]", "holds no JSON object"),
        ('{"a": 1', "not valid JSON"),
        ("no braces at all", "holds no JSON object"),
    ],
)
def test_one_json_extractor(text: str, result: object) -> None:
    from surveyor.llm.codec import ReplyError, json_object, parse_object

    if isinstance(result, dict):
        assert parse_object(text) == result == json_object(text)
    else:
        with pytest.raises(ReplyError, match=str(result)):
            parse_object(text)
        assert json_object(text) == {}


def test_scrubber_hides_the_key_and_key_shaped_text() -> None:
    from surveyor.llm.redact import Scrubber

    scrub = Scrubber([KEY, "x"])  # "x" is too short to be a secret: left alone
    assert scrub(f"Authorization=Bearer {KEY} for x") == "Authorization=Bearer [redacted] for x"
    assert scrub("their key sk-abcdefghijklmnop leaked") == "their key [redacted] leaked"
    assert scrub("Bearer abc.def-ghi_jkl") == "Bearer [redacted]"


def test_retry_after_forms_and_the_policy_caps() -> None:
    from surveyor import clock
    from surveyor.llm.retry import MAX_BACKOFF, RetryPolicy, retry_after

    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({"retry-after": "3"}) == 3.0
    later = (clock.now() + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")  # an HTTP date
    assert 28 < (retry_after({"retry-after": later}) or 0) <= 30
    assert retry_after({"retry-after": "soon"}) is None and retry_after({}) is None
    policy = RetryPolicy(max_retries=2, backoff=1.0)
    assert policy.may_retry(1) and not policy.may_retry(2)
    assert policy.delay(0, 5.0) == 5.0 and 1.0 <= policy.delay(0) <= 1.25
    assert policy.delay(20) <= MAX_BACKOFF * 1.25


def test_batch_results_of_the_wrong_shape(tmp_path: Path) -> None:
    ws = make_ws(tmp_path, f"http://127.0.0.1:{closed_port()}/v1", n=2)
    odd = tmp_path / "results.jsonl"
    odd.write_text(
        json.dumps(
            {"custom_id": "2401.00000", "response": {"status_code": 200, "body": ["not", "a", "reply"]}}
        )
        + "\n"
        + json.dumps({"custom_id": "2401.00001", "response": "teapot", "error": "it broke"})
        + "\n"
    )
    done = surveyor(ws, "batch", "collect", "--from", str(odd))
    assert done.returncode == 0, done.stderr
    assert "2 papers stored (2 failed" in done.stdout
    errors = {pid: rec.error for pid, rec in ws.load_labels().items()}
    assert "not a chat completion" in (errors["2401.00000"] or "")
    assert "it broke" in (errors["2401.00001"] or "")
    odd.write_text("[1, 2]\n")
    assert_one_message(surveyor(ws, "batch", "collect", "--from", str(odd)), f"{odd}:1: a JSON list")


@pytest.mark.slow
def test_batch_status_of_a_batch_the_server_does_not_know(tmp_path: Path) -> None:
    with FakeOpenAI(oracle()) as fake:
        ws = make_ws(tmp_path, fake.url)
        record: dict[str, object] = {
            "id": "batch_nope",
            "input_file_id": "file-x",
            "requests_file": "r.jsonl",
        }
        record |= {"model": "m"}
        record |= {"mode": "json_schema", "papers": 4, "submitted": "2026-11-22T06:00:00Z"}
        (ws.data_dir / "batches.jsonl").write_text(json.dumps(record) + "\n")
        done = surveyor(ws, "batch", "status")
    assert_one_message(done, "does not know this batch or file, or has no Batch API (404", "--from FILE")
