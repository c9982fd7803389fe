"""Accuracy on the human-labelled dev set, offline classifier beside both baselines.

Usage: python benchmarks/eval_dev.py [DATA_DIR]   (default: ../shared/data beside the repository)
Converts the dev taxonomy (facets 1 and 2: its two parallel views), then runs `surveyor eval` for
each backend, depth (1, 2, leaf) and mode (zero-shot, --cv 5), and prints a Markdown table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = [("offline", 0), ("tfidf-cosine", 0), ("offline", 5), ("tfidf-logreg", 5)]


def surveyor(*args: str) -> str:
    cmd = [sys.executable, "-c", "from surveyor.cli import main; main()", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    with tempfile.TemporaryDirectory() as tmp:
        tax = Path(tmp) / "dev.yaml"
        surveyor(
            "taxonomy",
            "convert",
            str(data / "dev_llms4video_taxonomy.yaml"),
            str(tax),
            "--facet",
            "1",
            "--facet",
            "2",
        )
        print("| backend | mode | depth 1 micro / macro | depth 2 micro / macro | leaf micro / macro |")
        print("| --- | --- | --- | --- | --- |")
        for backend, cv in RUNS:
            cells = []
            for depth in ("1", "2", None):
                args = [
                    "eval",
                    str(data / "dev_llms4video.jsonl"),
                    "-t",
                    str(tax),
                    "--backend",
                    backend,
                    "--json",
                ]
                args += ["--depth", depth] if depth else []
                args += ["--cv", str(cv)] if cv else []
                result = json.loads(surveyor(*args))
                cells.append(f"{result['micro_f1']:.3f} / {result['macro_f1']:.3f}")
            mode = f"--cv {cv}" if cv else "zero-shot"
            print(f"| {backend} | {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
