"""What `surveyor classify --backend openai` says, and how fast, for each way a server can fail.

Usage: python benchmarks/llm_failures.py
Each case runs the real command (its own process) against tests/fake_openai.py on 127.0.0.1
(synthetic replies) or a closed port, in a fresh workspace of 8 papers with the default settings
(timeout 60 s, 6 retries) unless the case says otherwise. Prints a Markdown table: the case, the
seconds until the command exited, the requests the server received, and the message's first line.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from fake_openai import FakeOpenAI, keyword_oracle  # noqa: E402

from surveyor.models import Paper  # noqa: E402
from surveyor.store import Workspace  # noqa: E402

KEY = "sk-benchmark-key-0123456789"
CASES: list[tuple[str, dict, str, tuple[str, ...]]] = [
    ("unreachable (closed port)", {}, "", ()),
    ("slow: no answer within --timeout 2", {"latency": 10.0}, "", ("--timeout", "2")),
    ("429 with Retry-After: 86400", {"always": "429huge"}, "", ()),
    ("200 with an HTML page", {"always": "html"}, "", ()),
    ("200 with a JSON list", {"always": "list"}, "", ()),
    ("tool call without `function` (mode tools)", {"always": "tool_nofunc"}, 'mode = "tools"\n', ()),
    ("unknown model", {"models": ("gpt-4o-mini", "qwen2.5-7b")}, "", ("--model", "gpt-5-nope")),
    ("key refused", {"keys": ("sk-another-key-000000000",)}, "", ()),
    ("mode refused (json_schema set)", {"reject": ("json_schema",)}, 'mode = "json_schema"\n', ()),
    ("400 echoing the key, every mode", {"always": "echo_key"}, "", ()),
    ("500 on every attempt (max_retries 2)", {"always": "500"}, "max_retries = 2\nbackoff = 0.1\n", ()),
]


def workspace(root: Path, url: str, llm: str) -> Path:
    """A fresh workspace of 8 papers pointed at `url`."""
    root.mkdir(parents=True)
    shutil.copy(ROOT / "taxonomies" / "video-understanding.yaml", root / "taxonomy.yaml")
    (root / "surveyor.toml").write_text(f'taxonomy = "taxonomy.yaml"\n[llm]\nbase_url = "{url}"\n{llm}')
    Workspace(root).save_papers(
        Paper(id=f"f{i}", title=f"P{i:02d}: streaming video", abstract="We study streaming video.")
        for i in range(8)
    )
    return root


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def case(tmp: Path, n: int, server: dict, llm: str, flags: tuple[str, ...]) -> tuple[float, int, str]:
    """Seconds to exit, requests received, the error line."""
    env = {**os.environ, "SURVEYOR_API_KEY": KEY, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", "from surveyor.cli import main; main()", "classify", "--backend", "openai"]

    def go(url: str) -> tuple[float, str]:
        ws = workspace(tmp / f"c{n}", url, llm)
        start = time.monotonic()
        done = subprocess.run([*cmd, *flags, "-w", str(ws)], env=env, capture_output=True, text=True)
        assert KEY not in done.stdout + done.stderr
        return time.monotonic() - start, (done.stderr.strip().splitlines() or ["(no error)"])[0]

    if not server:
        wall, line = go(f"http://127.0.0.1:{closed_port()}/v1")
        return wall, 0, line
    if server.get("always") == "500":
        server = {"faults": {"": ["500"] * 1000}}
    with FakeOpenAI(keyword_oracle({}, "watch-comprehensive"), **server) as fake:
        wall, line = go(fake.url)
        return wall, len(fake.chat_requests()), line


def main() -> None:
    """Run every case; print the table."""
    print("| failure | seconds | requests | message |\n| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as name:
        for n, (title, server, llm, flags) in enumerate(CASES):
            wall, requests, line = case(Path(name), n, dict(server), llm, flags)
            print(f"| {title} | {wall:.1f} | {requests} | {line.replace('|', '/')} |")


if __name__ == "__main__":
    main()
