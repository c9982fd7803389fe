"""`surveyor enrich` on 10,000 papers: requests per paper, and the time the documented limits allow.

    python benchmarks/enrich_10k.py

Against the local server of the tests (tests/fake_scholarly.py; SYNTHETIC records: made-up titles,
authors and venues), with no pause between requests, for two libraries: 10,000 papers listed with
their arXiv ids, and 10,000 listed by title only (OpenAlex knows 80 % of them, Semantic Scholar all).
It counts the requests each service receives and times the run (what surveyor itself costs), then
computes the time the services' documented limits impose on those requests:

- OpenAlex: at most 100 requests a second (developers.openalex.org, "Authentication & Pricing");
  surveyor's default pace is 10 a second (`[enrich] openalex_interval = 0.1`). A free API key allows
  $1 of use a day: a filter (list) request costs $0.0001, a search $0.001, so 1,000 title searches a
  day; no key, a tenth of that or less.
- Semantic Scholar: 1 request a second with an API key; without one, a pool shared by everyone of
  about 100 requests per 5 minutes, so surveyor's default pace is 1 request every 3 s.
A rerun is timed too: it must send nothing.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import write_workspace  # noqa: E402
from fake_scholarly import Work, serve  # noqa: E402

from surveyor.config import EnrichConfig  # noqa: E402
from surveyor.enrich.run import enrich  # noqa: E402
from surveyor.models import Paper, Source  # noqa: E402
from surveyor.store import Workspace  # noqa: E402

N = 10_000
PACE = {"openalex": 0.1, "s2": 1.0}  # surveyor's default pace (S2 with a key)
FASTEST = {"openalex": 0.01, "s2": 1.0}  # the documented ceilings
S2_NO_KEY = 3.0


def vocabulary(rng: random.Random) -> list[str]:
    """Pseudo-words for titles that share few words, as real titles do."""
    letters = "bcdfghjklmnprstvz"
    vowels = "aeiou"
    return ["".join(rng.choice(letters) + rng.choice(vowels) for _ in range(3)) for _ in range(3000)]


def library(title_only: bool) -> tuple[list[Paper], list[Work]]:
    """N papers (with arXiv ids, or by title only) and the records the services hold for them."""
    rng = random.Random(7)
    words = vocabulary(rng)
    papers, works = [], []
    for i in range(N):
        title = " ".join(rng.choice(words) for _ in range(8)).title()
        arxiv_id = f"24{i // 9000 + 1:02d}.{i % 9000:05d}"
        works.append(
            Work(
                title,
                2024,
                [f"Ada {rng.choice(words).title()}", f"Alan {rng.choice(words).title()}"],
                arxiv_id=arxiv_id,
                in_openalex=not title_only or i % 5 != 0,
                venue="Neural Information Processing Systems" if i % 4 == 0 else None,
                doi=f"10.5555/bench.{i}" if i % 4 == 0 else None,
            )
        )
        source = [Source(file="list.md", format="awesome", line=i + 1)]
        pid = f"t-{i:05d}" if title_only else arxiv_id
        papers.append(Paper(id=pid, title=title, arxiv_id=None if title_only else arxiv_id, sources=source))
    return papers, works


def run(title_only: bool) -> None:
    """Enrich one library twice; print requests per paper, local time and time at the limits."""
    papers, works = library(title_only)
    tmp = Path(tempfile.mkdtemp(prefix="surveyor-enrich-10k-"))
    try:
        with serve(works) as srv:
            ws = Workspace(write_workspace(tmp / "ws"))
            ws.config.enrich = EnrichConfig(
                openalex_url=srv.openalex_url, s2_url=srv.s2_url, openalex_interval=0, s2_interval=0
            )
            ws.save_papers(papers)
            start = time.perf_counter()
            report = enrich(ws)
            took = time.perf_counter() - start
            counts = {api: len(srv.asked(api)) for api in ("openalex", "s2")}
            start = time.perf_counter()
            again = enrich(ws, every=True)
            rerun = time.perf_counter() - start
            sent_again = sum(len(srv.asked(api)) for api in ("openalex", "s2")) - sum(counts.values())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    label = "title only" if title_only else "with arXiv ids"
    print(f"\n{N:,} papers {label}: {report.matched:,} enriched ({report.by_title:,} by title), "
          f"{report.not_found} not found; surveyor's own time {took:.1f} s")  # fmt: skip
    for api, n in counts.items():
        at_pace, fastest = n * PACE[api], n * FASTEST[api]
        extra = f"; without a key {n * S2_NO_KEY / 60:.1f} min" if api == "s2" else ""
        print(f"  {api}: {n:,} requests = {n / N:.4f} per paper; at the default pace {at_pace / 60:.1f} min, "
              f"at the documented ceiling {fastest / 60:.1f} min{extra}")  # fmt: skip
    total = sum(n * PACE[api] for api, n in counts.items()) + took
    print(f"  total at the default pace (services asked one after the other): {total / 60:.1f} min")
    print(f"  rerun (--all): {sent_again} requests, {again.cached:,} answers from the cache, {rerun:.1f} s")


def main() -> None:
    """Both libraries."""
    run(title_only=False)
    run(title_only=True)


if __name__ == "__main__":
    main()
