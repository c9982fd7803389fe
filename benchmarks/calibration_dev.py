"""How well the offline classifier's confidences are calibrated on the dev set, under 5-fold CV.

Usage: python benchmarks/calibration_dev.py [DATA_DIR]   (default: ../shared/data beside the repository)
Converts the dev taxonomy as `eval_dev.py` does, classifies each fold's papers with the other folds'
labels as examples (`surveyor eval --cv 5`'s predictions), and scores every label counted by `eval`
(facet rule included) as right or wrong at depth 1, depth 2 and leaf: Brier score, log loss and
expected calibration error (10 equal-width bins; lower is better for all three).
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scored(pairs: list[tuple[float, bool]]) -> str:
    """Brier score, log loss and ECE of (confidence, right) pairs, as a table row's cells."""
    n = len(pairs)
    brier = sum((c - y) ** 2 for c, y in pairs) / n
    log_loss = -sum(math.log(max(1e-3, c if y else 1 - c)) for c, y in pairs) / n
    bins: list[list[tuple[float, bool]]] = [[] for _ in range(10)]
    for c, y in pairs:
        bins[min(9, int(c * 10))].append((c, y))
    ece = sum(abs(sum(c for c, _ in b) - sum(y for _, y in b)) for b in bins) / n
    right = sum(y for _, y in pairs) / n
    mean = sum(c for c, _ in pairs) / n
    return f"{n} | {right:.3f} | {mean:.3f} | {brier:.4f} | {log_loss:.4f} | {ece:.4f}"


def main() -> None:
    from surveyor.evaluate import cut, load_gold, predict
    from surveyor.taxonomy import load_taxonomy

    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dev.yaml"
        convert = ["taxonomy", "convert", str(data / "dev_llms4video_taxonomy.yaml"), str(path)]
        cmd = [sys.executable, "-c", "from surveyor.cli import main; main()", *convert]
        subprocess.run([*cmd, "--facet", "1", "--facet", "2"], check=True, capture_output=True)
        taxonomy = load_taxonomy(path)
        gold = load_gold(data / "dev_llms4video.jsonl", taxonomy)
        predicted, _ = predict(gold, path, "offline", 5)
    print("| depth | labels | right | mean confidence | Brier | log loss | ECE |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for depth in (1, 2, None):
        pairs: list[tuple[float, bool]] = []
        for g in gold:
            truth = {cut(taxonomy, x, depth) for x in g.labels}
            facets = {taxonomy.facet_of(x) for x in truth} - {None}
            best: dict[str, float] = {}
            for label in predicted.get(g.paper.id, []):
                node = cut(taxonomy, label.node, depth)
                if taxonomy.facet_of(node) is None or taxonomy.facet_of(node) in facets:
                    best[node] = max(label.confidence, best.get(node, 0.0))
            pairs += [(conf, node in truth) for node, conf in best.items()]
        print(f"| {depth or 'leaf'} | {scored(pairs)} |")


if __name__ == "__main__":
    main()
