"""Collection at scale: snapshot filtering, importing, duplicate detection, arXiv paging.

Usage: python benchmarks/sources.py [--skip-snapshot]
1. A generated 1,000,000-record file in the arXiv snapshot format (~0.6 GB) filtered by category
   and year with `surveyor import` (its own process: wall time and peak RSS).
2. 100,000 generated papers (JSONL) imported into an empty workspace with `surveyor import`.
3. Duplicate detection over 100,000 papers: 90,000 distinct titles plus 10,000 near-duplicates
   (case, punctuation, one-character typos), indexed and merged in one process.
4. An arXiv fetch of 5,000 results from the local test server (synthetic Atom feeds) with the
   politeness delay scaled down to 0.5 s: requests made and time spent waiting.
5. Precision and recall of fuzzy title merging on tests/fixtures/near_duplicates.jsonl.
"""

from __future__ import annotations

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
WORDS = (
    "video temporal grounding memory streaming reasoning benchmark caption egocentric token efficient "
    "long multimodal agent retrieval spatial audio dense instruction tuning dataset model"
).split()


def cli(*args: str) -> tuple[float, float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from surveyor.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return time.perf_counter() - start, rss, done.stdout


def workspace(root: Path, extra: str = "") -> Path:
    root.mkdir(parents=True)
    (root / "taxonomy.yaml").write_text((ROOT / "taxonomies" / "video-understanding.yaml").read_text())
    (root / "surveyor.toml").write_text(f'taxonomy = "taxonomy.yaml"\n{extra}')
    return root


def title(rng: random.Random, i: int) -> str:
    return " ".join(rng.choice(WORDS).capitalize() for _ in range(7)) + f" {i}"


def snapshot(tmp: Path) -> None:
    path = tmp / "arxiv-metadata-oai-snapshot.json"
    rng = random.Random(1)
    cats = ["cs.CV", "cs.CL", "math.CO", "hep-ph", "cs.LG", "astro-ph.GA", "q-bio.NC", "stat.ML"]
    with path.open("w") as fh:
        for i in range(1_000_000):
            year = 2015 + i % 11
            record = {
                "id": f"{year % 100:02d}{1 + i % 12:02d}.{i % 100000:05d}",
                "submitter": "S",
                "authors": "A. B, C. D",
                "title": title(rng, i),
                "comments": None,
                "journal-ref": None,
                "doi": None,
                "categories": f"{cats[i % 8]} {cats[(i * 7) % 8]}",
                "license": None,
                "abstract": "We study " + " ".join(rng.choice(WORDS) for _ in range(40)) + ".",
                "versions": [{"version": "v1", "created": f"Mon, 2 Jan {year} 10:00:00 GMT"}],
                "update_date": f"{year}-01-02",
                "authors_parsed": [["B", "A", ""]],
            }
            fh.write(json.dumps(record) + "\n")
    ws = workspace(
        tmp / "snap",
        f'[[sources.files]]\npath = "{path}"\nformat = "arxiv-snapshot"\n'
        'categories = ["cs.CV"]\nsince = 2024-01-01\nuntil = 2024-12-31\n',
    )
    wall, rss, out = cli("build", str(ws))
    size = path.stat().st_size / 1e9
    print(
        f"1. snapshot: 1,000,000 records ({size:.2f} GB) filtered by category and year: "
        f"{wall:.1f} s, peak RSS {rss:.0f} MB (whole build) — {out.splitlines()[0]}"
    )


def import_100k(tmp: Path) -> None:
    rng = random.Random(2)
    path = tmp / "papers.jsonl"
    with path.open("w") as fh:
        for i in range(100_000):
            fh.write(
                json.dumps(
                    {
                        "arxiv_id": f"23{1 + i % 12:02d}.{i:05d}",
                        "title": title(rng, i),
                        "abstract": "We study " + " ".join(rng.choice(WORDS) for _ in range(60)),
                    }
                )
                + "\n"
            )
    ws = workspace(tmp / "imp")
    wall, rss, out = cli("import", str(path), "-w", str(ws))
    print(
        f"2. import: 100,000 papers into an empty workspace: {wall:.1f} s, peak RSS {rss:.0f} MB — "
        f"{out.strip()}"
    )


def dedupe_100k() -> None:
    from surveyor.models import Paper
    from surveyor.sources.dedupe import PaperIndex

    rng = random.Random(3)
    base = [title(rng, i) for i in range(90_000)]
    papers = [Paper(id=f"t{i}", title=t) for i, t in enumerate(base)]
    for j in range(10_000):
        t = base[rng.randrange(len(base))]
        k = rng.randrange(len(t) - 4)
        variant = [t.lower(), t + ".", t.replace(" ", "-", 1), t[:k] + t[k + 1 :]][j % 4]
        papers.append(Paper(id=f"d{j}", title=variant))
    start = time.perf_counter()
    index = PaperIndex({})
    for p in papers:
        index.upsert(p)
    wall = time.perf_counter() - start
    print(
        f"3. dedupe: 100,000 papers (10,000 near-duplicates) indexed and merged in {wall:.1f} s: "
        f"{len(index.papers):,} papers, {len(index.merges):,} merges"
    )


def fetch_5000(tmp: Path) -> None:
    from fake_arxiv import FakeArxiv, dated_entries

    from surveyor.arxiv_fetch import fetch
    from surveyor.config import ArxivQuery
    from surveyor.store import Workspace

    entries = dated_entries(5000)
    with FakeArxiv(entries) as api:
        ws = Workspace(workspace(tmp / "fetch", f'[arxiv]\napi_url = "{api.url}"\ndelay = 0.5\n'))
        start = time.perf_counter()
        (r,) = fetch(ws, [ArxivQuery(query="video", max_results=None)])
        wall = time.perf_counter() - start
    print(
        f"4. arXiv fetch: {r.received:,} results in {r.requests} requests (pages of 2,000, the API's "
        f"largest); {wall:.2f} s with a 0.5 s delay, i.e. {r.requests - 1} waits = "
        f"{0.5 * (r.requests - 1):.1f} s required"
    )


def near_duplicates() -> None:
    from surveyor.models import Paper
    from surveyor.sources.dedupe import PaperIndex

    pairs = [
        json.loads(x)
        for x in (ROOT / "tests" / "fixtures" / "near_duplicates.jsonl").read_text().splitlines()
    ]
    tp = fp = fn = 0
    for pair in pairs:
        index = PaperIndex({})
        index.upsert(Paper(id="a", title=pair["a"]))
        merged = index.upsert(Paper(id="b", title=pair["b"])) == "merged"
        tp += merged and pair["same"]
        fp += merged and not pair["same"]
        fn += pair["same"] and not merged
    print(
        f"5. near-duplicate titles ({len(pairs)} hand-made pairs): {tp} right merges, {fp} wrong merges, "
        f"{fn} missed: precision {tp / max(tp + fp, 1):.2f}, recall {tp / max(tp + fn, 1):.2f}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if "--skip-snapshot" not in sys.argv:
            snapshot(Path(tmp))
        import_100k(Path(tmp))
    dedupe_100k()
    with tempfile.TemporaryDirectory() as tmp:
        fetch_5000(Path(tmp))
    near_duplicates()


if __name__ == "__main__":
    main()
