"""Time `surveyor build` on a fresh copy of the bundled example (cold), then again (warm).

Usage: python benchmarks/build_example.py
Prints wall time, CPU time and peak RSS of each run (each in its own process).
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(ws: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from surveyor.cli import main; main()", "build", str(ws)],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "examples" / "video-understanding"
        shutil.copytree(
            ROOT / "examples" / "video-understanding", ws, ignore=shutil.ignore_patterns("data", ".surveyor")
        )
        shutil.copytree(ROOT / "taxonomies", Path(tmp) / "taxonomies")
        for label in ("cold (import + classify + export)", "warm (nothing new)"):
            wall, cpu = run(ws)
            rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"{label}: wall {wall:.2f} s, cpu {cpu:.2f} s, peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
