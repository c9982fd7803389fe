"""Offline extraction of `evaluated_on` against the hand-checked gold halves.

Usage: python benchmarks/extraction.py
Half A (tests/fixtures/benchmarks_gold_a.jsonl) is the tuning half; half B is held out. The
gazetteer is the shipped benchmarks.yaml plus the names the bundled example's benchmark and
dataset papers introduce (the library), as `surveyor graph` builds it. Prints micro precision and
recall over (paper, benchmark) pairs for each half, and the misses and false hits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from surveyor.extract.benchmarks import Gazetteer, entity_key, relations  # noqa: E402
from surveyor.extract.papers import paper_type  # noqa: E402


def library_gazetteer() -> Gazetteer:
    """The gazetteer `surveyor graph` builds for the bundled example."""
    from _example import built_example

    from surveyor.graph import build_gazetteer

    ws, lib = built_example()
    return build_gazetteer(ws.root, lib.papers, lib.labels)


def score(path: Path, gazetteer: Gazetteer, show: bool) -> tuple[float, float, int]:
    tp = fp = fn = 0
    for line in path.read_text().splitlines():
        row = json.loads(line)
        kind = paper_type(row["title"], row["abstract"])
        found, _ = relations(row["title"], row["abstract"], kind, row["introduces"], gazetteer)
        predicted = {entity_key(m.name) for m in found}
        gold = {
            entity_key(gazetteer.lookup(n).name if gazetteer.lookup(n) else n) for n in row["evaluated_on"]
        }
        tp += len(predicted & gold)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
        if show and predicted != gold:
            print(f"  {row['id']}: missed {sorted(gold - predicted)}, wrong {sorted(predicted - gold)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp + fn


def main() -> None:
    gazetteer = library_gazetteer()
    for half in ("a", "b"):
        path = ROOT / "tests" / "fixtures" / f"benchmarks_gold_{half}.jsonl"
        p, r, n = score(path, gazetteer, show="-v" in sys.argv)
        print(
            f"half {half.upper()} ({'tuning' if half == 'a' else 'held out'}): precision {p:.2f}, "
            f"recall {r:.2f} over {n} gold mentions"
        )


if __name__ == "__main__":
    main()
