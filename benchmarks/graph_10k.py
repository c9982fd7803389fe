"""Time building the method-benchmark graph for 10,000 papers.

Usage: python benchmarks/graph_10k.py
The bundled example is built once; its in-scope papers and their labels are repeated (with new
ids) to 10,000, and `build_graph` runs over them with the example's gazetteer (shipped names plus
the library's own). Prints the time, nodes and edges.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from surveyor.graph import build_gazetteer, build_graph  # noqa: E402


def main() -> None:
    from _example import scaled_example

    ws, papers, records = scaled_example(10_000)
    start = time.perf_counter()
    gazetteer = build_gazetteer(None, papers, records)
    graph = build_graph(ws.taxonomy, papers, records, gazetteer)
    wall = time.perf_counter() - start
    print(
        f"graph of 10,000 papers: {wall:.1f} s, {graph.number_of_nodes():,} nodes, "
        f"{graph.number_of_edges():,} edges"
    )


if __name__ == "__main__":
    main()
