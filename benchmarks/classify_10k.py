"""Time `surveyor classify` (offline) on 10,000 papers, zero-shot and with 500 human-labelled examples.

Usage: python benchmarks/classify_10k.py [N]
The papers are the bundled example's 380 real abstracts, each repeated with a different title
suffix and a shuffled sentence order until there are N (default 10,000). Each run is its own
process; wall time, CPU time and peak RSS come from the OS.
"""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveyor.models import Classification, Label, Paper  # noqa: E402
from surveyor.pipeline import import_configured  # noqa: E402
from surveyor.store import Workspace  # noqa: E402
from surveyor.text import sentences  # noqa: E402


def corpus(n: int) -> list[Paper]:
    """N papers made from the example's real ones."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "examples" / "video-understanding"
        shutil.copytree(ROOT / "examples" / "video-understanding", ws, ignore=shutil.ignore_patterns("data"))
        shutil.copytree(ROOT / "taxonomies", Path(tmp) / "taxonomies")
        workspace = Workspace(ws)
        import_configured(workspace)
        seeds = [p for p in workspace.load_papers().values() if p.abstract]
    rng = random.Random(0)
    out = []
    for i in range(n):
        base = seeds[i % len(seeds)]
        parts = sentences(base.abstract or "")
        rng.shuffle(parts)
        out.append(
            Paper(
                id=f"b-{i:06d}", title=f"{base.title or 'Untitled'} (variant {i})", abstract=" ".join(parts)
            )
        )
    return out


def run(ws: Path) -> tuple[float, float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from surveyor.cli import main; main()", "classify", "-w", str(ws)],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, after.ru_maxrss / 1024


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    papers = corpus(n)
    with tempfile.TemporaryDirectory() as tmp:
        for label, n_examples in (("zero-shot", 0), ("500 human labels", 500)):
            root = Path(tmp) / label.replace(" ", "-")
            root.mkdir()
            shutil.copy(ROOT / "taxonomies" / "video-understanding.yaml", root / "taxonomy.yaml")
            (root / "surveyor.toml").write_text('taxonomy = "taxonomy.yaml"\n')
            ws = Workspace(root)
            ws.save_papers(papers)
            leaves = [n.id for n in ws.taxonomy.leaves()]
            ws.save_decisions(
                Classification(
                    paper=p.id,
                    backend="human",
                    model="bench",
                    taxonomy_hash="-",
                    run_id="bench",
                    time="2026-01-01T00:00:00Z",
                    labels=[Label(node=leaves[i % len(leaves)], confidence=1)],
                )
                for i, p in enumerate(papers[:n_examples])
            )
            wall, cpu, rss = run(root)
            print(
                f"{label}: {n - n_examples} papers classified in {wall:.1f} s wall, {cpu:.1f} s CPU, "
                f"peak RSS {rss:.0f} MB ({(n - n_examples) / wall:.0f} papers/s)"
            )


if __name__ == "__main__":
    main()
