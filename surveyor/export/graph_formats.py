"""The benchmark graph as text formats people paste elsewhere: DOT (Graphviz), Mermaid (GitHub
renders it), and an SVG picture of the benchmark–category structure.

Input: the graph from `graph.build_graph`. Output: deterministic text (same graph, same bytes).
The picture shows top-level categories on the left, the most used benchmarks on the right, and a
line per category–benchmark pair whose width is the number of papers linking them.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from ..escape import dot_string, mermaid_id, mermaid_text, xml_text
from ..graph import ENTITY_KINDS, top_benchmarks

COLORS = {
    "paper": "#9e9e9e",
    "method": "#1f77b4",
    "benchmark": "#d62728",
    "dataset": "#ff7f0e",
    "category": "#2ca02c",
}


def to_dot(graph: nx.MultiDiGraph) -> str:
    """Graphviz DOT: every node with its type and colour, every edge with its type."""
    lines = ["digraph surveyor {", "  rankdir=LR;", "  node [shape=box, style=rounded, fontsize=10];"]
    for node, data in sorted(graph.nodes(data=True)):
        label = dot_string(str(data.get("name", node))[:60])
        lines.append(f'  {dot_string(node)} [label={label}, color="{COLORS.get(data["type"], "#000000")}"];')
    for u, v, data in sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], e[2]["type"])):
        lines.append(f"  {dot_string(u)} -> {dot_string(v)} [label={dot_string(data['type'])}];")
    return "\n".join([*lines, "}"]) + "\n"


def category_benchmark_counts(graph: nx.MultiDiGraph, top: int = 15) -> Counter[tuple[str, str]]:
    """Papers per (top-level category name, benchmark name), for the `top` most used benchmarks."""
    keep = {u.name for u in top_benchmarks(graph, top)}
    tops: dict[str, set[str]] = {}
    for _, v, d in graph.edges(data=True):
        if d["type"] == "in_category":
            ancestors = graph.nodes[v].get("ancestors", "").split()
            if ancestors:
                tops.setdefault(d["paper"], set()).add(graph.nodes[f"category:{ancestors[0]}"]["name"])
    counts: Counter[tuple[str, str]] = Counter()
    for _, v, d in graph.edges(data=True):
        name = graph.nodes[v].get("name")
        if d["type"] == "evaluated_on" and name in keep:
            for category in tops.get(d["paper"], ()):
                counts[(category, name)] += 1
    return counts


def to_mermaid(graph: nx.MultiDiGraph, top: int = 15) -> str:
    """A Mermaid flowchart of categories and their most used benchmarks (edge label: papers)."""
    counts = category_benchmark_counts(graph, top)
    lines = ["flowchart LR"]
    for category in sorted({c for c, _ in counts}):
        lines.append(f'  c_{mermaid_id(category)}["{mermaid_text(category)}"]')
    for bench in sorted({b for _, b in counts}):
        lines.append(f'  b_{mermaid_id(bench)}(["{mermaid_text(bench)}"])')
    for (category, bench), n in sorted(counts.items()):
        lines.append(f"  c_{mermaid_id(category)} -- {n} --> b_{mermaid_id(bench)}")
    return "\n".join(lines) + "\n"


def to_svg(graph: nx.MultiDiGraph, top: int = 15) -> str:
    """An SVG of categories (left) and benchmarks (right), lines as wide as the papers between them."""
    counts = category_benchmark_counts(graph, top)
    categories = sorted({c for c, _ in counts})
    benches = [u.name for u in top_benchmarks(graph, top) if any(b == u.name for _, b in counts)]
    rows = max(len(categories), len(benches), 1)
    height, width = 40 + 28 * rows, 760
    y_cat = {c: 40 + 28 * i * rows / max(len(categories), 1) for i, c in enumerate(categories)}
    y_ben = {b: 40 + 28 * i for i, b in enumerate(benches)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<text x="20" y="20" font-weight="bold">Categories</text>',
        f'<text x="{width - 240}" y="20" font-weight="bold">Benchmarks (papers evaluated on them)</text>',
    ]
    for (category, bench), n in sorted(counts.items()):
        out.append(
            f'<line x1="230" y1="{y_cat[category]:.1f}" x2="{width - 250}" y2="{y_ben[bench]:.1f}" '
            f'stroke="#d62728" stroke-opacity="0.45" stroke-width="{1 + 1.5 * n:.1f}"/>'
        )
    for category in categories:
        out.append(
            f'<text x="225" y="{y_cat[category] + 4:.1f}" text-anchor="end" fill="{COLORS["category"]}">'
            f"{xml_text(category)}</text>"
        )
    used = Counter(b for (_, b), n in counts.items() for _ in range(n))
    for bench in benches:
        out.append(
            f'<text x="{width - 240}" y="{y_ben[bench] + 4:.1f}" fill="{COLORS["benchmark"]}">'
            f"{xml_text(bench)} ({used[bench]})</text>"
        )
    return "\n".join([*out, "</svg>"]) + "\n"


__all__ = ["ENTITY_KINDS", "category_benchmark_counts", "to_dot", "to_mermaid", "to_svg"]
