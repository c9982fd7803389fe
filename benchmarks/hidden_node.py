"""Hidden-node recovery on the dev set: can `taxonomy suggest` rediscover a leaf it never saw?

Usage: python benchmarks/hidden_node.py [DATA_DIR] [--backend openai]
  DATA_DIR defaults to ../shared/data beside the repository. With --backend openai the offline
  proposals go through the model (named, placed, candidates sorted into them) on the server that
  SURVEYOR_BASE_URL / SURVEYOR_API_KEY / SURVEYOR_MODEL name; replies are cached in
  .surveyor/bench-cache.sqlite, so a second run costs nothing.

For each leaf with at least 5 papers: the leaf is removed from the taxonomy; its papers plus a
random 30 % of the others are "new" (classified by the offline backend, trained on the human labels
of the rest — a maintainer's list with new papers arriving); `suggest` runs (at most 5 proposals,
fixed before scoring) and the best-matching proposal's members are scored against the hidden
leaf's papers (F1). Baselines, scored the same way over the same candidate papers: k-means (k = 5)
and random groups of the k-means groups' sizes; and, as the issue measured it, k-means (k = 5) over
all the papers ("k-means all"). Seeds 0-2 (--seeds N: the first N); the mean over
seeds is printed per leaf.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveyor.classify.base import Example  # noqa: E402
from surveyor.classify.offline import OfflineClassifier  # noqa: E402
from surveyor.config import env_config  # noqa: E402
from surveyor.evolve import candidates, cluster, llm_refine, suggest, vectorize  # noqa: E402
from surveyor.models import Classification, Paper  # noqa: E402
from surveyor.store import Cache  # noqa: E402
from surveyor.taxonomy import parse_taxonomy  # noqa: E402
from surveyor.taxonomy_tools import convert  # noqa: E402

SEEDS = (0, 1, 2)
NEW_SHARE = 0.3


def _without(nodes: list[dict], leaf: str) -> list[dict]:
    out = []
    for node in nodes:
        if node["id"] != leaf:
            out.append({**node, "children": _without(node.get("children") or [], leaf)})
    return out


def f1(group: set[str], gold: set[str]) -> float:
    tp = len(group & gold)
    return 2 * tp / (len(group) + len(gold)) if tp else 0.0


def _kmeans(matrix: np.ndarray, row: dict[str, int], pids: list[str]) -> dict[int, set[str]]:
    groups: dict[int, set[str]] = defaultdict(set)
    for pid, g in zip(pids, cluster(matrix[[row[p] for p in pids]], 5), strict=True):
        groups[int(g)].add(pid)
    return groups


def trial(rows: list[dict], base: dict, leaf: str, seed: int, llm: tuple | None = None) -> dict[str, float]:
    rng = random.Random(seed)
    raw = copy.deepcopy(base)
    raw["nodes"] = _without(raw["nodes"], leaf)
    taxonomy = parse_taxonomy(raw, Path("hidden.yaml"))
    papers = {str(i): Paper(id=str(i), title=r["title"], abstract=r["abstract"]) for i, r in enumerate(rows)}
    gold = {str(i) for i, r in enumerate(rows) if leaf in r["labels"]}
    new = {pid for pid in papers if pid in gold or rng.random() < NEW_SHARE}
    labels: dict[str, Classification] = {}
    examples = []
    for pid, paper in papers.items():
        kept = tuple(x for x in rows[int(pid)]["labels"] if x != leaf)
        if pid not in new and kept:
            examples.append(Example(paper, kept))
            labels[pid] = Classification(
                paper=pid,
                labels=[{"node": n, "confidence": 1.0} for n in kept],  # type: ignore[misc]
                backend="human",
                model="dev",
                taxonomy_hash=taxonomy.hash,
                run_id="dev",
                time="",
            )
    clf = OfflineClassifier(taxonomy, examples)
    for pid, verdict in clf.classify([papers[p] for p in sorted(new)]):
        labels[pid] = Classification(
            paper=pid,
            backend="offline",
            model="v2",
            taxonomy_hash=taxonomy.hash,
            run_id="x",
            time="",
            **verdict.model_dump(exclude={"requests", "prompt_tokens", "completion_tokens", "cost"}),
        )
    proposals = suggest(taxonomy, papers, labels, cutoff=0.4, max_proposals=5)
    if llm is not None:
        proposals, _ = llm_refine(*llm, taxonomy, papers, proposals, candidates(papers, labels, 0.4))
    groups = [set(p.members) for p in proposals] + [set(c.members) for p in proposals for c in p.children]
    ours = max((f1(g, gold) for g in groups), default=0.0)
    pool = candidates(papers, labels, 0.4)
    ids = sorted(papers)
    matrix, _ = vectorize([papers[p] for p in ids])
    row = {pid: i for i, pid in enumerate(ids)}
    km, everything = _kmeans(matrix, row, pool), _kmeans(matrix, row, ids)
    shuffled = list(pool)
    rng.shuffle(shuffled)
    rand, start = [], 0
    for g in km.values():
        rand.append(set(shuffled[start : start + len(g)]))
        start += len(g)
    return {
        "ours": ours,
        "kmeans": max(f1(g, gold) for g in km.values()),
        "kmeans_all": max(f1(g, gold) for g in everything.values()),
        "random": max(f1(g, gold) for g in rand),
        "recall": len(gold & set(pool)) / len(gold),
        "candidates": len(pool),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--backend", choices=("offline", "openai"), default="offline")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="how many of the seeds 0-2 to run")
    args = parser.parse_args()
    data = args.data
    llm = None
    if args.backend == "openai":
        settings = env_config().llm
        if not settings.api_key:
            sys.exit(
                "--backend openai: set SURVEYOR_API_KEY (any value for a local server) and SURVEYOR_BASE_URL"
            )
        llm = (settings, Cache(ROOT / ".surveyor" / "bench-cache.sqlite"))
        print(f"model: {settings.model} at {settings.base_url}")
    rows = [json.loads(line) for line in (data / "dev_llms4video.jsonl").read_text().splitlines() if line]
    base = yaml.safe_load(convert(data / "dev_llms4video_taxonomy.yaml", ["1", "2"]))
    names = {n.id: n.name for n in parse_taxonomy(base, Path("t")).iter_nodes()}
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        for x in r["labels"]:
            counts[x] += 1
    leaves = sorted(x for x, c in counts.items() if c >= 5)
    totals: dict[str, list[float]] = defaultdict(list)
    print(
        f"{'leaf':<44} {'n':>3} {'ours':>5} {'k-means':>7} {'random':>6} {'k-means all':>11} "
        f"{'cand. recall':>12}"
    )
    for leaf in leaves:
        results = [trial(rows, base, leaf, seed, llm) for seed in SEEDS[: args.seeds]]
        mean = {k: float(np.mean([r[k] for r in results])) for k in results[0]}
        for k, v in mean.items():
            totals[k].append(v)
        label = f"{leaf} {names.get(leaf, '')}"[:44]
        print(
            f"{label:<44} {counts[leaf]:>3} {mean['ours']:>5.2f} {mean['kmeans']:>7.2f} "
            f"{mean['random']:>6.2f} {mean['kmeans_all']:>11.2f} {mean['recall']:>12.2f}"
        )
    mean = {k: float(np.mean(v)) for k, v in totals.items()}
    print(
        f"{'mean':<44} {'':>3} {mean['ours']:>5.3f} {mean['kmeans']:>7.3f} "
        f"{mean['random']:>6.3f} {mean['kmeans_all']:>11.3f} {mean['recall']:>12.3f}"
    )
    print(f"ours - k-means over the same candidates: {mean['ours'] - mean['kmeans']:+.3f} (target: +0.15)")


if __name__ == "__main__":
    main()
