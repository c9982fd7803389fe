"""Fault probe: the real `surveyor` command killed with SIGKILL at random moments (wall-clock, not at
chosen steps) and run concurrently with itself; counts what was lost.

    python benchmarks/fault_probe.py --trials 10 --seed 0

Each trial, on a fresh workspace of synthetic papers:
  classify  a run killed at a random moment; what it had finished (data/labels.jsonl and its
            journal at the kill) must survive the rerun unchanged (same run id: not redone)
  llm       the same with the LLM backend (tests/fake_openai.py, 8 requests in flight), rerun
            against another server: a paper answered before the kill and asked again is lost work
            (the replies in flight at the kill, at most 8, are not counted)
  imports   three imports of different files at once, one killed at a random moment and run
            again; every paper of the three files must be there
  labels    ten `label`s at once, three killed at random moments; every label that said it saved
            must be in data/decisions.jsonl, and the hand-written lines around them unchanged
  apply     `taxonomy apply` (a merge and a new node) killed at a random moment, then run again;
            the rerun must succeed, the human decision on the merged node have moved, every other
            one be as it was, and every paper have a current label
Prints one line per scenario: trials, kills that landed before the command ended, items lost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from surveyor.cli import main; main()"]
TOPICS = ["soccer commentary for sports video", "live streaming video memory", "video anomaly detection"]
CHECKPOINTS = "[classify]\ncheckpoint_every = 100\n"  # a verdict journal emptied every 100
HAND = '{"paper": "p0001", "labels": [{"node": "app-sports"}]}\n'


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "SURVEYOR_NOW": "2026-11-22T06:00:00Z"}


def listing(path: Path, month: int, n: int) -> Path:
    """A JSONL listing of `n` papers with arXiv ids `26MM.NNNNN` (distinct across months)."""
    rows = [
        {
            "arxiv_id": f"26{month:02d}.{i:05d}",
            "title": f"Paper {month}-{i} on {TOPICS[i % 3]}",
            "abstract": "",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def workspace(root: Path, papers: int, config: str = "") -> Path:
    root.mkdir(parents=True)
    shutil.copy(ROOT / "taxonomies" / "video-understanding.yaml", root / "taxonomy.yaml")
    (root / "surveyor.toml").write_text(f'title = "Probe"\ntaxonomy = "taxonomy.yaml"\n{config}')
    (root / "data").mkdir()
    lines = [
        {
            "id": f"p{i:04d}",
            "title": f"Paper {i} on {TOPICS[i % 3]}",
            "abstract": f"We study {TOPICS[i % 3]}.",
        }
        for i in range(papers)
    ]
    (root / "data" / "papers.jsonl").write_text("".join(json.dumps(x, sort_keys=True) + "\n" for x in lines))
    return root


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env(), timeout=600)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env()
    )


def kill_after(proc: subprocess.Popen[str], delay: float) -> bool:
    """SIGKILL `proc` after `delay` seconds; whether it was still running."""
    time.sleep(delay)
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    return alive


def records(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text().splitlines() if path.is_file() else []:
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line a kill cut short
        out[rec["paper"]] = rec
    return out


def classify(tmp: Path, rng: random.Random) -> tuple[bool, int]:
    ws = workspace(tmp / "ws", 3000, CHECKPOINTS)
    landed = kill_after(start("classify", "-w", str(ws)), rng.uniform(1.5, 6.0))
    finished = records(ws / "data" / "labels.jsonl") | records(ws / ".surveyor" / "journal-labels.jsonl")
    assert run("classify", "-w", str(ws)).returncode == 0
    after = records(ws / "data" / "labels.jsonl")
    lost = sum(1 for pid, rec in finished.items() if after.get(pid, {}).get("run_id") != rec["run_id"])
    return landed, lost + (3000 - len(after))


def llm(tmp: Path, rng: random.Random) -> tuple[bool, int]:
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_openai import FakeOpenAI, keyword_oracle

    oracle = keyword_oracle({"stream": "remember-streaming", "anomal": "app-anomaly"}, "app-sports")
    settings = '[llm]\nbase_url = "{}"\napi_key = "sk-probe"\nconcurrency = 8\n'
    with FakeOpenAI(oracle, latency=0.01) as first:
        ws = workspace(tmp / "ws", 1200, CHECKPOINTS + settings.format(first.url))
        landed = kill_after(start("classify", "--backend", "openai", "-w", str(ws)), rng.uniform(3.0, 9.0))
        answered = {title for title, n in first.attempts.items() if n}
    with FakeOpenAI(oracle) as second:  # another server: no response cache to fall back on
        config = ws / "surveyor.toml"
        config.write_text(config.read_text().replace(first.url, second.url))
        assert run("classify", "--backend", "openai", "-w", str(ws)).returncode == 0
        again = {title for title, n in second.attempts.items() if n}
    return landed, max(0, len(answered & again) - 8)  # up to `concurrency` replies were in flight


def imports(tmp: Path, rng: random.Random) -> tuple[bool, int]:
    ws = workspace(tmp / "ws", 0)
    files = [listing(tmp / f"{month}.jsonl", month, 400) for month in (1, 2, 3)]
    procs = [start("import", str(f), "-w", str(ws)) for f in files]
    landed = kill_after(procs[2], rng.uniform(0.5, 3.0))
    for proc in procs[:2]:
        proc.communicate()
    assert run("import", str(files[2]), "-w", str(ws)).returncode == 0  # the killed one, again
    ids = {json.loads(x)["id"] for x in (ws / "data" / "papers.jsonl").read_text().splitlines()}
    return landed, 1200 - len(ids)


def labels(tmp: Path, rng: random.Random) -> tuple[bool, int]:
    ws = workspace(tmp / "ws", 20)
    (ws / "data" / "decisions.jsonl").write_text(HAND)
    procs = {f"p{i:04d}": start("label", f"p{i:04d}", "app-anomaly", "-w", str(ws)) for i in range(2, 12)}
    victims = rng.sample(sorted(procs), 3)
    delay = rng.uniform(0.5, 3.0)
    landed = any([kill_after(procs[v], delay if n == 0 else 0) for n, v in enumerate(victims)])
    saved = {pid for pid, p in procs.items() if pid not in victims and p.wait() == 0}
    text = (ws / "data" / "decisions.jsonl").read_text()
    kept = records(ws / "data" / "decisions.jsonl")
    return landed, len(saved - set(kept)) + (HAND not in text)


def apply(tmp: Path, rng: random.Random) -> tuple[bool, int]:
    ws = workspace(tmp / "ws", 60)
    assert run("classify", "-w", str(ws)).returncode == 0
    assert run("label", "p0003", "app-sports", "-w", str(ws)).returncode == 0
    with (ws / "data" / "decisions.jsonl").open("a") as fh:
        fh.write('{"paper": "p0004", "labels": [{"node": "remember-streaming"}]}\n')
    base = run("status", "--json", "-w", str(ws))
    patch = {
        "base": json.loads(base.stdout)["taxonomy"]["hash"],
        "proposals": [
            {"op": "merge", "node": "app-sports", "into": "apps"},
            {
                "op": "add",
                "node": {"id": "live-qa", "name": "Live QA"},
                "parent": "remember",
                "members": ["p0001"],
            },
        ],
    }
    (ws / "patch.yaml").write_text(yaml.safe_dump(patch))
    landed = kill_after(
        start("taxonomy", "apply", str(ws / "patch.yaml"), "-w", str(ws)), rng.uniform(0.3, 2.0)
    )
    again = run("taxonomy", "apply", str(ws / "patch.yaml"), "-w", str(ws))
    decided = records(ws / "data" / "decisions.jsonl")
    lost = [again.returncode != 0, decided.get("p0003", {}).get("labels", [{}])[0].get("node") != "apps"]
    lost.append(
        '{"paper": "p0004", "labels": [{"node": "remember-streaming"}]}'
        not in (ws / "data" / "decisions.jsonl").read_text()
    )
    labelled = records(ws / "data" / "labels.jsonl")
    info = json.loads(run("status", "--json", "-w", str(ws)).stdout)
    lost.append(info["stale_labels"] > 0)
    return landed, sum(lost) + (60 - len(labelled | decided))


SCENARIOS: dict[str, Callable[[Path, random.Random], tuple[bool, int]]] = {
    "classify": classify,
    "llm": llm,
    "imports": imports,
    "labels": labels,
    "apply": apply,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for name, scenario in SCENARIOS.items():
        if args.only and name != args.only:
            continue
        landed = lost = 0
        for _ in range(args.trials):
            with tempfile.TemporaryDirectory(prefix="surveyor-probe-") as tmp:
                hit, missing = scenario(Path(tmp), rng)
            landed += hit
            lost += missing
        print(f"{name}: {args.trials} trials, {landed} kills landed mid-run, {lost} lost")


if __name__ == "__main__":
    main()
