"""Time `taxonomy suggest` (offline) on 10,000 papers.

Usage: python benchmarks/suggest_10k.py
The bundled example's labelled papers are repeated to 10,000 (distinct ids); `suggest` runs over
them as `surveyor taxonomy suggest` does: TF-IDF of every paper, candidates (machine labels below
the review threshold), k-means over them, keywords, overfull-node splits, near-empty merges.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from surveyor.evolve import candidates, suggest  # noqa: E402


def main() -> None:
    from _example import scaled_example

    ws, papers, labels = scaled_example(10_000, distinct_links=True)
    start = time.perf_counter()
    proposals = suggest(ws.taxonomy, papers, labels, ws.config.classify.review_below)
    wall = time.perf_counter() - start
    pool = candidates(papers, labels, ws.config.classify.review_below)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kinds = ", ".join(f"{p.op} {p.node} ({len(p.members)})" for p in proposals)
    print(f"suggest on 10,000 papers: {wall:.1f} s, {len(pool):,} candidates, peak RSS {rss:.0f} MB; {kinds}")


if __name__ == "__main__":
    main()
