"""Precision and recall of title matching on the hand-built tricky titles.

    python benchmarks/enrich_titles.py

`tests/fixtures/enrich_titles.jsonl` (SYNTHETIC: each case a listing's paper, the records a service
returned for its title, and which one is the paper, if any): near-duplicates, versions and numbers,
subtitles, truncations, LaTeX, spellings, paratext. Precision counts wrong matches; recall, the
papers found of those that are there.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_enrich_match import score_titles, title_cases


def main() -> None:
    """Print the scores and the cases missed or wrongly matched."""
    result = score_titles(title_cases())
    present = sum(1 for c in title_cases() if c["expect"])
    print(f"{result['cases']} cases ({present} with the paper among the candidates)")
    print(f"precision {result['precision']:.2f}, recall {result['recall']:.2f}")
    print("wrong:", result["wrong"] or "none")
    print("missed:", result["missed"] or "none")


if __name__ == "__main__":
    main()
