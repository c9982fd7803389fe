"""LLM backend throughput against the local test server with a fixed 200 ms latency.

Usage: python benchmarks/llm_throughput.py [N] [CONCURRENCY]   (defaults 1000 and 32)
Starts tests/fake_openai.py in its own process (synthetic replies, 200 ms each). Then:
1. classifies N papers in a fresh process, timing the classification call itself (after imports):
   papers/s against the ideal CONCURRENCY / 0.2 s, and client CPU per paper (process CPU during it);
2. classifies N more papers end to end with the `surveyor classify` command (start-up included);
3. re-runs the command: its time and its requests (from the run log) must be ~0.
Prompt tokens per paper are the server's count, characters / 4 (no tokenizer is available offline).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from surveyor.models import Paper  # noqa: E402
from surveyor.store import Workspace  # noqa: E402

TIMED = """
import json, sys, time
from pathlib import Path
import surveyor.classify.llm, sklearn  # imports before the clock starts
from surveyor.classify.runner import classify_workspace
from surveyor.store import Workspace
ws = Workspace(Path(sys.argv[1]))
wall, cpu = time.perf_counter(), time.process_time()
report = classify_workspace(ws, backend="openai")
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "papers": report.classified, "requests": report.requests}))
"""


def workspace(root: Path, url: str, concurrency: int, n: int, start: int) -> None:
    root.mkdir()
    shutil.copy(ROOT / "taxonomies" / "video-understanding.yaml", root / "taxonomy.yaml")
    (root / "surveyor.toml").write_text(
        f'taxonomy = "taxonomy.yaml"\n[llm]\nbase_url = "{url}"\n'
        f'concurrency = {concurrency}\nmode = "json_schema"\n'
    )
    Workspace(root).save_papers(
        Paper(
            id=f"b{i:05d}",
            title=f"P{i:05d}: a model for streaming video",
            abstract="We study streaming video understanding with memory. " * 8,
        )
        for i in range(start, start + n)
    )


def cli(env: dict[str, str], *args: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from surveyor.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, done.stdout


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    ideal = concurrency / 0.2
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "fake_openai.py"), "--latency", "0.2"],
        stdout=subprocess.PIPE,
        text=True,
    )
    env = {**os.environ, "SURVEYOR_API_KEY": "sk-benchmark", "PYTHONPATH": str(ROOT)}
    try:
        url = server.stdout.readline().strip() if server.stdout else ""
        with tempfile.TemporaryDirectory() as tmp:
            timed, whole = Path(tmp) / "timed", Path(tmp) / "cli"
            workspace(timed, url, concurrency, n, 0)
            workspace(whole, url, concurrency, n, n)
            out = subprocess.run(
                [sys.executable, "-c", TIMED, str(timed)], env=env, capture_output=True, text=True, check=True
            ).stdout
            r = json.loads(out)
            rate = r["papers"] / r["wall"]
            print(
                f"classification phase: {r['papers']} papers, concurrency {concurrency}, 200 ms latency: "
                f"{r['wall']:.2f} s, {rate:.1f} papers/s = {100 * rate / ideal:.0f}% "
                f"of the ideal {ideal:.0f}/s; "
                f"client CPU {1000 * r['cpu'] / r['papers']:.2f} ms/paper; {r['requests']} requests"
            )
            wall, _ = cli(env, "classify", "--backend", "openai", "-w", str(whole))
            print(
                f"end to end (`surveyor classify`, start-up included): {wall:.2f} s, {n / wall:.1f} papers/s"
            )
            wall, text = cli(env, "classify", "--backend", "openai", "-w", str(whole))
            runs = Workspace(whole).load_runs()
            print(
                f"re-run: {wall:.2f} s, {runs[-1].requests if len(runs) > 1 else 0} requests "
                f"({len(runs)} runs logged); {text.strip().splitlines()[0]}"
            )
            labels = Workspace(timed).load_labels()
            tokens = sum(x.prompt_tokens for x in labels.values()) / max(len(labels), 1)
            print(f"prompt tokens per paper (server count, chars/4): {tokens:.0f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
