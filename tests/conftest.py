"""Shared fixtures. Every test runs offline: a connection to anything but loopback fails loudly."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from scripted import SCRIPT, Script

from surveyor import clock
from surveyor.models import Classification, Label, Paper

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "video-understanding"
SEEDS = EXAMPLE / "sources"
TAXONOMY = ROOT / "taxonomies" / "video-understanding.yaml"
# The instant every test runs at (in-process through the clock seam, in subprocesses through
# SURVEYOR_NOW): no test depends on the real date. Dates in tests are chosen relative to it.
TEST_NOW = "2026-11-22T06:00:00Z"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(RuntimeError):
    """Raised when a test tries to reach a non-loopback address."""


def _is_local(host: object) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guard(address: object) -> None:
    if isinstance(address, tuple) and not _is_local(address[0]):
        raise NetworkBlocked(f"test tried to connect to {address[0]!r}: tests must stay offline")


def _connect(self: socket.socket, address: object) -> None:
    _guard(address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _connect_ex(self: socket.socket, address: object) -> int:
    _guard(address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    if not _is_local(host):
        raise NetworkBlocked(f"test tried to resolve {host!r}: tests must stay offline")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Block every connection and DNS lookup that is not for loopback."""
    monkeypatch.setattr(socket.socket, "connect", _connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _getaddrinfo)


@pytest.fixture(autouse=True, name="no_network")
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: no connection and no DNS lookup but for loopback."""
    no_network(monkeypatch)


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[clock.Clock]:
    """Pin the process's clock to TEST_NOW for the test."""
    with clock.pinned(clock.parse_instant(TEST_NOW)) as pinned:
        yield pinned


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the bundled example workspace with the shipped taxonomy beside it, output inside."""
    return _copy_example(tmp_path)


def _copy_example(root: Path) -> Path:
    """The bundled example under `root/examples/`, the shipped taxonomy under `root/taxonomies/`."""
    ws = root / "examples" / "video-understanding"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns("data", ".surveyor"))
    (root / "taxonomies").mkdir()
    shutil.copy(TAXONOMY, root / "taxonomies" / TAXONOMY.name)
    return ws


@pytest.fixture(scope="session")
def built_example_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example built once per session, at TEST_NOW: read it, never change it (take
    `built_example` for a copy of your own). Output under `root/output/video-understanding/`."""
    from surveyor.pipeline import build
    from surveyor.store import Workspace

    ws = _copy_example(tmp_path_factory.mktemp("built-example"))
    with pytest.MonkeyPatch.context() as mp, clock.pinned(clock.parse_instant(TEST_NOW)):
        no_network(mp)  # the function-scoped guard is not up yet
        build(Workspace(ws))
    return ws


def copy_built(built: Path, root: Path) -> Path:
    """Copy the built example (papers, labels, state, output, the taxonomy beside it) under `root`."""
    shutil.copytree(built.parent.parent, root, symlinks=True)
    return root / "examples" / "video-understanding"


@pytest.fixture
def built_example(built_example_once: Path, tmp_path: Path) -> Path:
    """A copy of the built example (papers, labels, state and output) that the test may change."""
    return copy_built(built_example_once, tmp_path / "built")


@pytest.fixture
def scripted() -> Iterator[Script]:
    """The script of the `scripted` classification backend (tests/scripted.py), empty for this test."""
    SCRIPT.answers.clear()
    SCRIPT.calls.clear()
    SCRIPT.model = "script-1"
    yield SCRIPT
    SCRIPT.answers.clear()
    SCRIPT.calls.clear()


def write_workspace(root: Path, config: str = "", taxonomy: str | None = None) -> Path:
    """A minimal workspace: surveyor.toml plus a taxonomy (the shipped one unless given)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "taxonomy.yaml").write_text(taxonomy if taxonomy is not None else TAXONOMY.read_text())
    (root / "surveyor.toml").write_text('title = "Test list"\ntaxonomy = "taxonomy.yaml"\n' + config)
    return root


TOPICS = ("streaming video", "video anomaly detection", "sports video", "long video")


def topic_papers(n: int, topics: Sequence[str] = TOPICS, tag: str = "P", month: str = "2401") -> list[Paper]:
    """`n` papers taking `topics` in turn (by default P00..: streaming, anomaly, sports, long video),
    with arXiv ids `{month}.0000i`, for LLM tests."""
    return [
        Paper(
            id=f"{month}.{i:05d}",
            arxiv_id=f"{month}.{i:05d}",
            title=f"{tag}{i:02d}: a model for {topics[i % len(topics)]}",
            abstract=f"We study {topics[i % len(topics)]} number {i}. Our model works on videos.",
        )
        for i in range(n)
    ]


def human_decision(paper: str, *nodes: str, by: str = "me") -> Classification:
    """A person's decision filing `paper` under `nodes`, as `surveyor label` records one."""
    return Classification(
        paper=paper,
        backend="human",
        model=by,
        taxonomy_hash="-",
        run_id="manual",
        time="2026-01-01T00:00:00Z",
        labels=[Label(node=n, confidence=1.0) for n in nodes],
    )


CLI = [sys.executable, "-c", "from surveyor.cli import main; main()"]


def cli_env(drop: tuple[str, ...] = (), extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a `surveyor` subprocess: this checkout importable, its clock pinned to
    TEST_NOW, `drop` unset, `extra` set."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = str(ROOT)
    env["SURVEYOR_NOW"] = TEST_NOW
    env.update(extra or {})
    return env


def run_cli(
    *args: str, cwd: Path | None = None, drop_env: tuple[str, ...] = (), env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `surveyor` entry point in a subprocess, as a user would."""
    return subprocess.run(
        [*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=cli_env(drop_env, env)
    )


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.is_file() else []


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else -1


def _papers(path: Path) -> set[str]:
    return set(re.findall(r'"paper":"([^"]+)"', path.read_text() if path.is_file() else ""))


def kill_mid_run(ws_root: Path, *args: str, min_lines: int, min_saved: int = 0) -> list[dict]:
    """Start `surveyor classify ARGS -w WS`, kill -9 it once data/labels.jsonl (written at each
    checkpoint) holds `min_saved` records and its journal `min_lines` more, and return the records it
    had finished: the checkpointed ones and the journal's (a last line cut short by the kill left out)."""
    proc = subprocess.Popen(
        [*CLI, "classify", *args, "-w", str(ws_root)],
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = ws_root / ".surveyor" / "journal-labels.jsonl"
    saved = ws_root / "data" / "labels.jsonl"
    deadline = time.monotonic() + 60
    seen: tuple[int, int] | None = None
    while True:
        sizes = (_size(saved), _size(journal))
        if sizes != seen:  # read the files only when they changed: a server thread here needs the GIL
            seen = sizes
            done = _papers(saved)
            if len(done) >= min_saved and len(_papers(journal) - done) >= min_lines:
                break
        assert time.monotonic() < deadline and proc.poll() is None, "the run never got that far"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    records = {}
    for line in _lines(saved) + _lines(journal)[:-1]:
        rec = json.loads(line)
        records[rec["paper"]] = rec
    return list(records.values())


def run_killed(step: int, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `surveyor ARGS` and SIGKILL it just before its `step`th write (tests/killer.py): exit
    -9 when it was killed, 0 when it made fewer writes and finished."""
    killer = Path(__file__).parent / "killer.py"
    return subprocess.run(
        [sys.executable, str(killer), str(step), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
    )
