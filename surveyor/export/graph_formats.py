"""The benchmark graph as text formats: GraphML and node-link JSON (the whole graph, for other
tools), DOT (Graphviz) and Mermaid (GitHub renders it), both of the whole graph or of its
section–benchmark structure (the picture is drawn in `export.picture`).

Input: the graph from `graph.build_graph`. Output: deterministic text (same graph, same bytes).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

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


def graph_json(graph: nx.MultiDiGraph) -> str:
    """Node-link JSON, sorted and indented so diffs are readable."""
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


_GRAPHML_ROOT = (
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
    'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">'
)
_GRAPHML_TYPES = {str: "string", int: "long"}  # networkx's names for the value types our graph holds


def graph_graphml(graph: nx.MultiDiGraph) -> str:
    """GraphML text: the bytes `networkx.generate_graphml` writes (pretty-printed, ids `d0`, `d1`...
    in the order attributes are first seen, non-ASCII as character references). A directed multigraph
    with no graph attributes and only text and integer values, such as `build_graph`'s, is written
    here line by line: networkx builds an ElementTree of every `<data>` first, 0.25 s for a
    5,000-paper graph where this takes 0.05 s (tests/test_graph_latex.py checks the bytes are
    networkx's); any other graph is left to networkx."""
    plain = graph.is_directed() and graph.is_multigraph() and not graph.graph
    lines = _graphml_lines(graph) if plain else None
    if lines is None:
        return "\n".join(nx.generate_graphml(graph)) + "\n"
    text = "\n".join(lines).encode("ascii", "xmlcharrefreplace").decode("ascii")
    return "\n".join(text.splitlines()) + "\n"  # as networkx yields it: line by line


def _graphml_lines(graph: nx.MultiDiGraph) -> list[str] | None:
    """The GraphML document's lines, or None when a value is neither text nor an integer."""
    keys: dict[tuple[str, str, str], str] = {}  # (name, type, scope) -> key id
    body = ['  <graph edgedefault="directed">']
    for node, data in graph.nodes(data=True):
        if not _graphml_element(body, f'node id="{_xml_attr(str(node))}"', "node", data, keys):
            return None
    for u, v, key, data in graph.edges(data=True, keys=True):
        head = f'edge source="{_xml_attr(str(u))}" target="{_xml_attr(str(v))}" id="{_xml_attr(str(key))}"'
        if not _graphml_element(body, head, "edge", data, keys):
            return None
    if len(body) == 1:
        body = ['  <graph edgedefault="directed" />']
    else:
        body.append("  </graph>")
    declared = [
        f'  <key id="{kid}" for="{scope}" attr.name="{_xml_attr(name)}" attr.type="{kind}" />'
        for (name, kind, scope), kid in reversed(keys.items())  # networkx inserts each key first
    ]
    return [_GRAPHML_ROOT, *declared, *body, "</graphml>"]


def _graphml_element(
    out: list[str], head: str, scope: str, data: dict[str, Any], keys: dict[tuple[str, str, str], str]
) -> bool:
    """Append one node or edge with its `<data>` lines; False when a value's type has no GraphML
    name here."""
    if not data:
        out.append(f"    <{head} />")
        return True
    out.append(f"    <{head}>")
    for name, value in data.items():
        kind = _GRAPHML_TYPES.get(type(value))
        if kind is None:
            return False
        kid = keys.setdefault((str(name), kind, scope), f"d{len(keys)}")
        text = _xml_text(str(value))  # empty: ElementTree closes the element at once
        out.append(f'      <data key="{kid}">{text}</data>' if text else f'      <data key="{kid}" />')
    out.append(f"    </{scope}>")
    return True


def _xml_text(text: str) -> str:
    """Character data escaped as ElementTree escapes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_attr(text: str) -> str:
    """An attribute value escaped as ElementTree escapes it (quotes, and CR, LF, tab as references)."""
    text = _xml_text(text).replace('"', "&quot;")
    return text.replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;")


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


__all__ = [
    "ENTITY_KINDS",
    "category_benchmark_counts",
    "graph_graphml",
    "graph_json",
    "section_of",
    "to_dot",
    "to_mermaid",
]
