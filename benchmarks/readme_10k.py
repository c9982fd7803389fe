"""Time rendering the Awesome README for 10,000 papers, in both styles.

Usage: python benchmarks/readme_10k.py
The bundled example is built once; its in-scope papers and labels are repeated to 10,000 with new
ids, arXiv ids and code links (so every entry is a distinct link, as in a real list). Timed: the
README text (render_body + render_readme: placement, sorting, escaping, aligned tables, the
Benchmarks section from precomputed rows, the mind map), then the chart (CSV + PNG) separately.
The graph the Benchmarks rows come from is built once beforehand and not timed here (see
graph_10k.py). Prints the best of 3 runs per style.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from surveyor.export.awesome import ReadmeOptions, render_body, render_readme  # noqa: E402
from surveyor.export.chart import chart_csv, chart_png, per_year  # noqa: E402
from surveyor.graph import benchmark_rows, build_gazetteer, build_graph  # noqa: E402


def main() -> None:
    from _example import scaled_example

    ws, papers, records = scaled_example(10_000, distinct_links=True)
    rows = benchmark_rows(build_graph(ws.taxonomy, papers, records, build_gazetteer(None, papers, records)))
    for style in ("bullets", "table"):
        options = ReadmeOptions(style=style, chart="assets/papers-per-year.png")
        best, size = float("inf"), 0
        for _ in range(3):
            start = time.perf_counter()
            body = render_body(ws.taxonomy, papers, records, options, rows, ws.config.title)
            text = render_readme(ws.config.title, ws.config.description, body)
            best = min(best, time.perf_counter() - start)
            size = len(text.encode())
        lines = text.count("\n")
        print(f"README, 10,000 papers, {style}: {best:.2f} s, {size / 1e6:.1f} MB, {lines:,} lines")
    start = time.perf_counter()
    counts = per_year(ws.taxonomy, papers, records)
    chart_csv(counts)
    chart_png(counts, "Papers per year")
    print(f"chart (CSV + PNG), 10,000 papers: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
