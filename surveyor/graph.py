"""The method → benchmark graph: typed nodes and evidence-carrying edges, and queries on it.

Input: taxonomy, papers, effective classification records, and a gazetteer grown from the
shipped `benchmarks.yaml`, the workspace's own `benchmarks.yaml` and the names the library's
benchmark/dataset papers introduce. Output: a `networkx.MultiDiGraph` whose nodes are `paper:`,
`method:`, `benchmark:`, `dataset:` and `category:` ids and whose edges (`proposes`, `evaluated_on`,
`introduces`, `in_category`) each carry `evidence` (the sentence it rests on) and `provenance`.
A paper node's `home` is the node it is listed under in the README (its most confident label).
Its text formats (GraphML, JSON, DOT, Mermaid) are written by `export.graph_formats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from .extract.benchmarks import (
    Entry,
    Gazetteer,
    entity_key,
    load_entries,
    relations,
    shipped_entries,
    usable_name,
)
from .extract.papers import title_name
from .library import paper_year, place
from .models import Classification, Paper
from .taxonomy import Taxonomy

ENTITY_KINDS = ("benchmark", "dataset")


def provenance(rec: Classification) -> str:
    """offline, llm or human: who said so."""
    return {"offline": "offline", "human": "human"}.get(rec.backend, "llm")


def library_entries(papers: dict[str, Paper], records: dict[str, Classification]) -> list[Entry]:
    """Names introduced by the library's own benchmark and dataset papers."""
    out = []
    for pid, rec in sorted(records.items()):
        if pid in papers and rec.paper_type in ENTITY_KINDS:
            for name in rec.introduces:
                if usable_name(name):
                    out.append(Entry(name, rec.paper_type, (), "library"))
    return out


def build_gazetteer(
    root: Path | None, papers: dict[str, Paper], records: dict[str, Classification]
) -> Gazetteer:
    """Workspace entries first (they override), then shipped, then the library's own names."""
    entries: list[Entry] = []
    if root is not None and (root / "benchmarks.yaml").is_file():
        entries += load_entries(root / "benchmarks.yaml", "workspace")
    return Gazetteer(entries + shipped_entries() + library_entries(papers, records))


def _evidence(paper: Paper, name: str, gazetteer: Gazetteer) -> str:
    """The sentence of the title or abstract that names `name` (alias-aware), else ''."""
    entry = gazetteer.lookup(name)
    for mention in gazetteer.find(paper.text):
        if entry is not None and mention.name == entry.name:
            return mention.sentence
    return ""


def build_graph(
    taxonomy: Taxonomy,
    papers: dict[str, Paper],
    records: dict[str, Classification],
    gazetteer: Gazetteer,
) -> nx.MultiDiGraph:
    """The graph of every in-scope paper, built in sorted order so exports are byte-stable."""
    graph = nx.MultiDiGraph()
    for node in taxonomy.iter_nodes():
        graph.add_node(
            f"category:{node.id}",
            type="category",
            name=node.name,
            path=" > ".join(taxonomy.path_names(node.id)),
            ancestors=" ".join(taxonomy.ancestors(node.id)),
        )
    homes = place(taxonomy, papers, records).home
    for pid in sorted(records):
        rec = records[pid]
        if pid in papers and not rec.out_of_scope and rec.status == "ok":
            _add_paper(graph, taxonomy, papers[pid], rec, gazetteer)
            graph.nodes[f"paper:{pid}"]["home"] = homes.get(pid, "")
    return graph


def _entity(graph: nx.MultiDiGraph, name: str, kind: str, gazetteer: Gazetteer, surface: str = "") -> str:
    entry = gazetteer.lookup(name)
    canonical, kind = (entry.name, entry.kind) if entry else (name, kind)
    node = f"{kind}:{entity_key(canonical)}"
    if node not in graph:
        aliases = "; ".join(entry.aliases) if entry else ""
        source = entry.source if entry else "pattern"
        graph.add_node(
            node, type=kind, name=canonical, aliases=aliases, introduced_by="", seen_as="", source=source
        )
    if surface and surface != canonical:  # why two spellings are one node: `surveyor graph --aliases`
        seen = set(filter(None, graph.nodes[node]["seen_as"].split("; "))) | {surface}
        graph.nodes[node]["seen_as"] = "; ".join(sorted(seen))
    return node


def _add_paper(
    graph: nx.MultiDiGraph, taxonomy: Taxonomy, paper: Paper, rec: Classification, gazetteer: Gazetteer
) -> None:
    source = provenance(rec)
    pnode = f"paper:{paper.id}"
    graph.add_node(
        pnode,
        type="paper",
        name=paper.display_title,
        year=paper_year(paper) or 0,
        url=paper.url or "",
        paper_type=rec.paper_type,
    )
    for label in sorted(rec.labels, key=lambda lab: lab.node):
        if label.node in taxonomy:
            graph.add_edge(
                pnode,
                f"category:{label.node}",
                key="in_category",
                type="in_category",
                evidence=label.evidence,
                provenance=source,
                paper=paper.id,
            )
    subject = pnode
    if rec.method and usable_name(rec.method):
        subject = f"method:{entity_key(rec.method)}"
        if subject not in graph:
            graph.add_node(subject, type="method", name=rec.method)
        graph.add_edge(
            pnode,
            subject,
            key="proposes",
            type="proposes",
            evidence=paper.title or "",
            provenance=source,
            paper=paper.id,
        )
    own = list(rec.introduces) or (
        [n] if (n := title_name(paper.title)) and rec.paper_type in ENTITY_KINDS else []
    )
    evaluated, introduced = relations(paper.title, paper.abstract, rec.paper_type, own, gazetteer)
    found = {m.name: m.sentence for m in evaluated + introduced}
    surfaces = {m.name: m.surface for m in evaluated + introduced}
    for name in sorted(set(own) | {m.name for m in introduced}):
        if not usable_name(name):
            continue
        node = _entity(
            graph, name, rec.paper_type if rec.paper_type in ENTITY_KINDS else "benchmark", gazetteer
        )
        graph.nodes[node]["introduced_by"] = graph.nodes[node]["introduced_by"] or paper.id
        graph.add_edge(
            pnode,
            node,
            key="introduces",
            type="introduces",
            provenance=source,
            paper=paper.id,
            evidence=found.get(graph.nodes[node]["name"]) or paper.title or "",
        )
    for name in sorted({m.name for m in evaluated} | set(rec.evaluates_on)):
        evidence = found.get(name) or _evidence(paper, name, gazetteer)
        if not evidence or not usable_name(name):
            continue  # an edge without a sentence to show for it is not kept
        node = _entity(graph, name, "benchmark", gazetteer, surfaces.get(name, ""))
        if node != subject:
            graph.add_edge(
                subject,
                node,
                key=f"evaluated_on:{paper.id}",
                type="evaluated_on",
                evidence=evidence,
                provenance=source,
                paper=paper.id,
            )


@dataclass
class BenchmarkUse:
    """A benchmark or dataset with the papers that evaluate on it and the paper that introduced it."""

    name: str
    kind: str
    papers: list[str]
    introduced_by: str


def top_benchmarks(graph: nx.MultiDiGraph, limit: int | None = None) -> list[BenchmarkUse]:
    """Benchmarks and datasets by the number of distinct papers evaluated on them."""
    uses = []
    for node, data in graph.nodes(data=True):
        if data["type"] not in ENTITY_KINDS:
            continue
        users = sorted(
            {d["paper"] for _, _, d in graph.in_edges(node, data=True) if d["type"] == "evaluated_on"}
        )
        uses.append(BenchmarkUse(data["name"], data["type"], users, data.get("introduced_by", "")))
    uses.sort(key=lambda u: (-len(u.papers), u.name.lower()))
    return uses[:limit] if limit else uses


def top_benchmarks_in(graph: nx.MultiDiGraph, category: str, limit: int | None = None) -> list[BenchmarkUse]:
    """Top benchmarks counting only papers filed under `category` or any node below it."""
    inside = {
        d["paper"]
        for _, v, d in graph.edges(data=True)
        if d["type"] == "in_category" and category in graph.nodes[v].get("ancestors", "").split()
    }
    uses = [
        BenchmarkUse(u.name, u.kind, [p for p in u.papers if p in inside], u.introduced_by)
        for u in top_benchmarks(graph)
    ]
    uses = sorted((u for u in uses if u.papers), key=lambda u: (-len(u.papers), u.name.lower()))
    return uses[:limit] if limit else uses


def methods_on(graph: nx.MultiDiGraph, benchmark: str) -> list[tuple[str, str]]:
    """(method or paper name, paper id) of everything evaluated on `benchmark` (any spelling)."""
    key = entity_key(benchmark)
    out = set()
    for node, data in graph.nodes(data=True):
        spellings = [
            data["name"],
            *filter(None, (data.get("aliases", "") + "; " + data.get("seen_as", "")).split("; ")),
        ]
        if data["type"] in ENTITY_KINDS and key in {entity_key(s) for s in spellings}:
            out |= {
                (graph.nodes[u]["name"], d["paper"])
                for u, _, d in graph.in_edges(node, data=True)
                if d["type"] == "evaluated_on"
            }
    return sorted(out, key=lambda x: (x[0].lower(), x[1]))


def introduced_per_year(graph: nx.MultiDiGraph) -> dict[int, list[str]]:
    """Benchmarks and datasets by the year of the paper that introduced them (0: year unknown)."""
    out: dict[int, set[str]] = {}
    for u, v, d in graph.edges(data=True):
        if d["type"] == "introduces":
            out.setdefault(int(graph.nodes[u].get("year") or 0), set()).add(graph.nodes[v]["name"])
    return {year: sorted(names, key=str.lower) for year, names in sorted(out.items())}


def shared_benchmarks(graph: nx.MultiDiGraph, minimum: int = 2) -> list[tuple[str, str, list[str]]]:
    """Pairs of methods (or papers) evaluated on at least `minimum` common benchmarks."""
    by_subject: dict[str, set[str]] = {}
    for u, v, d in graph.edges(data=True):
        if d["type"] == "evaluated_on":
            by_subject.setdefault(graph.nodes[u]["name"], set()).add(graph.nodes[v]["name"])
    names = sorted(by_subject)
    pairs = [
        (a, b, sorted(by_subject[a] & by_subject[b])) for i, a in enumerate(names) for b in names[i + 1 :]
    ]
    return sorted((p for p in pairs if len(p[2]) >= minimum), key=lambda p: (-len(p[2]), p[0], p[1]))


def alias_merges(graph: nx.MultiDiGraph) -> list[tuple[str, list[str], str]]:
    """Benchmarks seen under other spellings: (canonical name, spellings, where the name comes from)."""
    return sorted(
        (d["name"], d["seen_as"].split("; "), d.get("source", ""))
        for _, d in graph.nodes(data=True)
        if d["type"] in ENTITY_KINDS and d.get("seen_as")
    )


@dataclass
class BenchmarkRow:
    """One row of the survey's benchmark table and the README's Benchmarks section."""

    name: str
    kind: str
    introduced_by: str  # paper id, or ""
    evaluated: list[str]  # method or paper names, alphabetical
    papers: list[str]  # ids of the papers evaluated on it


def benchmark_rows(graph: nx.MultiDiGraph) -> list[BenchmarkRow]:
    """The data behind the benchmark table: every benchmark used or introduced, most used first."""
    rows = []
    for use in top_benchmarks(graph):
        node = f"{use.kind}:{entity_key(use.name)}"
        names = {
            graph.nodes[u]["name"]
            for u, _, d in graph.in_edges(node, data=True)
            if d["type"] == "evaluated_on"
        }
        rows.append(
            BenchmarkRow(use.name, use.kind, use.introduced_by, sorted(names, key=str.lower), use.papers)
        )
    return rows


def benchmark_names(graph: nx.MultiDiGraph) -> list[str]:
    """Every benchmark and dataset name in the graph, with the other spellings it was seen under."""
    names: set[str] = set()
    for _, data in graph.nodes(data=True):
        if data["type"] in ENTITY_KINDS:
            extra = (data.get("aliases", "") + "; " + data.get("seen_as", "")).split("; ")
            names |= {data["name"], *filter(None, extra)}
    return sorted(names, key=str.lower)
