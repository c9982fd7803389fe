"""The benchmark graph as text formats people paste elsewhere: DOT (Graphviz) and Mermaid (GitHub
renders it), both of the whole graph or of its section–benchmark structure (the picture is drawn in
`export.picture`).

Input: the graph from `graph.build_graph`. Output: deterministic text (same graph, same bytes).
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from ..escape import dot_string, mermaid_id, mermaid_text
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


def section_of(graph: nx.MultiDiGraph, paper: str) -> str | None:
    """The top-level section a paper is listed under (its home's, else its first label's), by name."""
    node = f"paper:{paper}"
    if node not in graph:
        return None
    labels = sorted(v for _, v, d in graph.out_edges(node, data=True) if d["type"] == "in_category")
    home = f"category:{graph.nodes[node]['home']}" if graph.nodes[node].get("home") else None
    category = home if home in graph else next(iter(labels), None)
    if category is None:
        return None
    top = (graph.nodes[category].get("ancestors", "").split() or [category.split(":", 1)[1]])[0]
    return str(graph.nodes[f"category:{top}"]["name"])


def category_benchmark_counts(graph: nx.MultiDiGraph, top: int = 15) -> Counter[tuple[str, str]]:
    """Papers per (top-level section, benchmark) for the `top` most used benchmarks, each paper counted
    once, under the section it is listed in: a benchmark's links add up to its `surveyor graph` count."""
    counts: Counter[tuple[str, str]] = Counter()
    for use in top_benchmarks(graph, top):
        for paper in use.papers:
            section = section_of(graph, paper)
            if section is not None:
                counts[(section, use.name)] += 1
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


__all__ = ["ENTITY_KINDS", "category_benchmark_counts", "section_of", "to_dot", "to_mermaid"]
