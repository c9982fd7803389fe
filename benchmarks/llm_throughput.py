"""LLM client throughput: `surveyor classify` against the raw `AsyncOpenAI` SDK, same requests, same server.

Usage: python benchmarks/llm_throughput.py [N] [CONCURRENCY] [ROUNDS]   (defaults 380, 32, 3)

Starts tests/fake_openai.py in its own process (synthetic replies after a fixed 200 ms, every chat
request body recorded to a file). Each round, in fresh workspaces holding the same N papers (so the
same request bodies), each in its own process:
1. end to end: the `surveyor classify --backend openai` command, start-up included;
2. classification phase: `classify_workspace` alone, timed after every import (the SDK's included);
3. raw SDK loop: `AsyncOpenAI` with a semaphore of CONCURRENCY sending the bodies the first end-to-end
   run recorded through `chat.completions.create`, timed after its imports (the loop alone), and its
   process wall (imports included).
4. start-up: the command once more under `python -X importtime`, its top-level imports summed;
   and the CPU seconds a process importing the same modules takes (less sensitive to other load).
The rounds interleave the measurements so that other load on the machine hits all of them alike;
the ratios the issue sets (end to end >= 85 % of the raw loop's speed, the classification phase
>= 95 %) are taken per round, and their median printed. Then a re-run (nothing to send).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from surveyor.models import Paper  # noqa: E402
from surveyor.store import Workspace  # noqa: E402

PHASE = """
import json, sys, time
from pathlib import Path
import openai, surveyor.classify.llm  # every import before the clock starts
from surveyor.classify.runner import classify_workspace
from surveyor.store import Workspace
ws = Workspace(Path(sys.argv[1]))
wall, cpu = time.perf_counter(), time.process_time()
report = classify_workspace(ws, backend="openai")
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "papers": report.classified, "failed": report.failed, "requests": report.requests}))
"""

RAW = """
import asyncio, json, sys, time
from openai import AsyncOpenAI
bodies = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")][: int(sys.argv[4])]

async def main():
    client = AsyncOpenAI(api_key="sk-benchmark", base_url=sys.argv[1], max_retries=0)
    gate = asyncio.Semaphore(int(sys.argv[3]))

    async def one(body):
        async with gate:
            reply = await client.chat.completions.create(**body)
            return reply.choices[0].message.content

    start = time.perf_counter()
    replies = await asyncio.gather(*(one(b) for b in bodies))
    print(json.dumps({"wall": time.perf_counter() - start, "replies": sum(1 for r in replies if r)}))
    await client.close()

asyncio.run(main())
"""


IMPORTS = """
import time
import surveyor.cli, surveyor.classify.runner, surveyor.classify.llm, openai, httpx2
print(time.process_time())
"""


def workspace(root: Path, url: str, concurrency: int, n: int) -> Path:
    """A workspace of `n` papers (the same in every call, so the same request bodies)."""
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
        for i in range(n)
    )
    return root


def run(env: dict[str, str], *args: str) -> tuple[float, str, str]:
    """Wall time, stdout and stderr of a Python subprocess."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout, done.stderr


CLI = ("-c", "from surveyor.cli import main; main()")


def import_seconds(stderr: str) -> float:
    """The sum of the top-level imports' cumulative times in `-X importtime` output."""
    total = 0
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)\S", line)
        if m and not m.group(2):
            total += int(m.group(1))
    return total / 1e6


def rounds(tmp: Path, url: str, env: dict[str, str], record: Path, n: int, conc: int, k: int) -> dict:
    """Run the measurements `k` times, interleaved (so machine load hits all alike); every figure."""
    keys = ("e2e", "phase", "cpu", "raw", "raw_process", "imports", "imports_cpu", "load")
    out: dict[str, list[float]] = {key: [] for key in keys}
    for r in range(k):
        ws = workspace(tmp / f"e{r}", url, conc, n)
        wall, _, _ = run(env, *CLI, "classify", "--backend", "openai", "-w", str(ws))
        out["e2e"].append(wall)
        _, text, _ = run(env, "-c", PHASE, str(workspace(tmp / f"p{r}", url, conc, n)))
        phase = json.loads(text)
        assert phase["papers"] == n and phase["failed"] == 0, phase
        out["phase"].append(phase["wall"])
        out["cpu"].append(phase["cpu"] / n)
        wall, text, _ = run(env, "-c", RAW, url, str(record), str(conc), str(n))
        raw = json.loads(text)
        assert raw["replies"] == n, raw
        out["raw"].append(raw["wall"])
        out["raw_process"].append(wall)
        ws = workspace(tmp / f"i{r}", url, conc, n)
        _, _, trace = run(env, "-X", "importtime", *CLI, "classify", "--backend", "openai", "-w", str(ws))
        out["imports"].append(import_seconds(trace))
        out["imports_cpu"].append(float(run(env, "-c", IMPORTS)[1]))
        out["load"].append(os.getloadavg()[0])
    return out


def report(res: dict[str, list[float]], n: int, conc: int, rerun: float) -> None:
    """Print medians; the ratios are per round (the same load on both sides), then their median."""
    med = {key: statistics.median(values) for key, values in res.items()}
    phase = statistics.median(r / p for r, p in zip(res["raw"], res["phase"], strict=True))
    e2e = statistics.median(r / e for r, e in zip(res["raw"], res["e2e"], strict=True))
    e2e_process = statistics.median(r / e for r, e in zip(res["raw_process"], res["e2e"], strict=True))
    print(
        f"{n} requests, {conc} in flight, 200 ms each (ideal {-(-n // conc) * 0.2:.2f} s); "
        f"{len(res['raw'])} rounds"
    )
    print(
        f"raw AsyncOpenAI loop: {med['raw']:.2f} s; its process (imports included) {med['raw_process']:.2f} s"
    )
    print(
        f"classification phase: {med['phase']:.2f} s; speed {100 * phase:.0f} % of the raw loop's "
        f"(target >= 95 %); client CPU {1000 * med['cpu']:.2f} ms a paper"
    )
    print(
        f"end to end (`surveyor classify`): {med['e2e']:.2f} s; speed {100 * e2e:.0f} % of the raw loop's "
        f"(target >= 85 %), {100 * e2e_process:.0f} % of its process's"
    )
    print(
        f"start-up: imports {med['imports']:.3f} s median, {min(res['imports']):.3f} s best "
        f"(python -X importtime, top-level sum; target < 0.5 s); {med['imports_cpu']:.3f} s of CPU"
    )
    print(f"load average (1 min) during the rounds: {', '.join(f'{x:.1f}' for x in res['load'])}")
    print(f"re-run of the command: {rerun:.2f} s, nothing sent")
    for key, values in res.items():
        print(f"  {key}: {', '.join(f'{v:.3f}' for v in values)}")


def main() -> None:
    """Run the benchmark and print its figures."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 380
    conc = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    env = {**os.environ, "SURVEYOR_API_KEY": "sk-benchmark", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        record = tmp / "bodies.jsonl"
        server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "fake_openai.py"),
                "--latency",
                "0.2",
                "--record",
                str(record),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            url = server.stdout.readline().strip() if server.stdout else ""
            res = rounds(tmp, url, env, record, n, conc, k)
            again = workspace(tmp / "again", url, conc, n)
            run(env, *CLI, "classify", "--backend", "openai", "-w", str(again))
            rerun, _, _ = run(env, *CLI, "classify", "--backend", "openai", "-w", str(again))
        finally:
            server.terminate()
            server.wait()
    report(res, n, conc, rerun)


if __name__ == "__main__":
    main()
