"""The stages as library calls on a workspace: import, classify, export, build, status.

Each returns a report the CLI prints; none prints anything itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from .classify.runner import ClassifyReport, Progress, classify_workspace, rekey
from .errors import InputError
from .export.awesome import render_body, render_readme
from .export.latex import render_bib, render_main
from .graph import build_gazetteer, build_graph, graph_graphml, graph_json
from .library import open_index, save_index
from .models import Classification, Paper
from .sources import parse_file
from .sources.base import Skip
from .sources.snapshot import Filters
from .store import Workspace, atomic_write_text, effective_labels


@dataclass
class ImportReport:
    """What importing one file did."""

    file: str
    format: str
    read: int = 0
    added: int = 0
    merged: int = 0
    skipped: list[Skip] = field(default_factory=list)


def import_paths(
    ws: Workspace, paths: list[Path], fmt: str | None = None, filters: Filters | None = None
) -> list[ImportReport]:
    """Import listing files into the workspace's papers; the papers file is saved after each file."""
    index = open_index(ws)
    reports = []
    for path in paths:
        full = path if path.is_absolute() else ws.root / path
        if not full.is_file():
            raise InputError(f"file not found: {full}", "check the path (relative to the workspace)")
        parsed = parse_file(full, ws.rel(full), fmt, filters)
        report = ImportReport(ws.rel(full), parsed.format, parsed.read, skipped=parsed.skipped)
        for paper in parsed.papers:
            if index.upsert(paper) == "added":
                report.added += 1
            else:
                report.merged += 1
        save_index(ws, index)
        reports.append(report)
    return reports


def import_configured(ws: Workspace) -> list[ImportReport]:
    """Import every file `[[sources.files]]` lists."""
    reports: list[ImportReport] = []
    for src in ws.config.sources.files:
        filters = Filters(src.categories, src.since, src.until, src.keywords)
        reports += import_paths(ws, [Path(src.path)], src.format, filters)
    return reports


@dataclass
class Library:
    """The workspace's papers and effective labels, loaded once for every exporter."""

    papers: dict[str, Paper]
    labels: dict[str, Classification]


def load_library(ws: Workspace) -> Library:
    """Papers plus labels, human decisions over machine labels, filed under current ids."""
    papers = ws.load_papers()
    labels = effective_labels(rekey(ws.load_labels(), papers), rekey(ws.load_decisions(), papers))
    return Library(papers, labels)


Written = list[tuple[Path, bool]]


def export_awesome(ws: Workspace, lib: Library) -> Written:
    """Write the Awesome README (text outside its markers kept)."""
    body = render_body(ws.taxonomy, lib.papers, lib.labels, ws.config.export.newest_first)
    path = ws.output_dir / ws.config.export.readme
    existing = path.read_text(encoding="utf-8") if path.is_file() else None
    description = ws.config.description or ws.taxonomy.description
    text = render_readme(ws.config.title, description, body, existing)
    return [(path, atomic_write_text(path, text))]


def export_survey(ws: Workspace, lib: Library) -> Written:
    """Write output/survey/main.tex and references.bib."""
    main, cited, keys = render_main(ws.config.title, ws.taxonomy, lib.papers, lib.labels)
    folder = ws.output_dir / "survey"
    return [
        (folder / "main.tex", atomic_write_text(folder / "main.tex", main)),
        (folder / "references.bib", atomic_write_text(folder / "references.bib", render_bib(cited, keys))),
    ]


def export_bib(ws: Workspace, lib: Library) -> Written:
    """Write output/survey/references.bib alone."""
    return export_survey(ws, lib)[1:]


def workspace_graph(ws: Workspace, lib: Library) -> nx.MultiDiGraph:
    """The method-benchmark graph of the workspace."""
    gazetteer = build_gazetteer(ws.root, lib.papers, lib.labels)
    return build_graph(ws.taxonomy, lib.papers, lib.labels, gazetteer)


def export_graph(ws: Workspace, lib: Library) -> Written:
    """Write output/graph/: graph.graphml, graph.json (node-link), graph.dot, and the benchmark-category
    structure as benchmarks.mmd (Mermaid) and benchmarks.svg."""
    from .export.graph_formats import to_dot, to_mermaid, to_svg

    graph = workspace_graph(ws, lib)
    folder = ws.output_dir / "graph"
    texts = {
        "graph.graphml": graph_graphml(graph),
        "graph.json": graph_json(graph),
        "graph.dot": to_dot(graph),
        "benchmarks.mmd": to_mermaid(graph),
        "benchmarks.svg": to_svg(graph),
    }
    return [(folder / name, atomic_write_text(folder / name, text)) for name, text in texts.items()]


EXPORTERS: dict[str, Callable[[Workspace, Library], Written]] = {
    "awesome": export_awesome,
    "survey": export_survey,
    "bib": export_bib,
    "graph": export_graph,
}
ALL = ("awesome", "survey", "graph")  # bib is part of survey


def export(ws: Workspace, what: str = "all") -> Written:
    """Run one exporter, or all of them."""
    lib = load_library(ws)
    names = ALL if what == "all" else (what,)
    return [item for name in names for item in EXPORTERS[name](ws, lib)]


@dataclass
class BuildReport:
    """What `surveyor build` did, stage by stage."""

    imports: list[ImportReport]
    classify: ClassifyReport
    exports: list[tuple[Path, bool]]


def build(ws: Workspace, progress: Progress | None = None) -> BuildReport:
    """Import the configured files, fetch the configured arXiv queries, classify what is new, export."""
    imports = import_configured(ws)
    if ws.config.sources.arxiv:
        from .collect import fetch

        fetch(ws, ws.config.sources.arxiv)
    report = classify_workspace(ws, progress=progress, command="build")
    return BuildReport(imports, report, export(ws))


def status(ws: Workspace) -> dict[str, Any]:
    """Counts that say where the workspace stands, as plain data."""
    papers = ws.load_papers()
    machine = rekey(ws.load_labels(), papers)
    human = rekey(ws.load_decisions(), papers)
    labels = effective_labels(machine, human)
    taxonomy = ws.taxonomy
    per_top: Counter[str] = Counter()
    for pid, rec in labels.items():
        if pid in papers and not rec.out_of_scope:
            for top in {taxonomy.ancestors(lab.node)[0] for lab in rec.labels if lab.node in taxonomy}:
                per_top[top] += 1
    current = [r for pid, r in machine.items() if pid in papers and pid not in human]
    runs = ws.load_runs()
    return {
        "workspace": str(ws.root),
        "taxonomy": {"name": taxonomy.name, "hash": taxonomy.hash},
        "papers": len(papers),
        "with_arxiv_id": sum(1 for p in papers.values() if p.arxiv_id),
        "without_text": sum(1 for p in papers.values() if not p.has_text),
        "without_arxiv_id": sum(1 for p in papers.values() if not p.arxiv_id),
        "human_decisions": sum(1 for pid in human if pid in papers),
        "machine_labels": len(current),
        "stale_labels": sum(1 for r in current if r.taxonomy_hash != taxonomy.hash),
        "failed": sum(1 for r in current if r.status == "failed"),
        "out_of_scope": sum(1 for pid, r in labels.items() if pid in papers and r.out_of_scope),
        "unclassified": sum(1 for pid, p in papers.items() if p.has_text and pid not in labels),
        "per_top_level_node": dict(sorted(per_top.items())),
        "runs": [r.model_dump(mode="json", exclude_defaults=True) for r in runs[-10:]],
        "total_cost": round(sum(r.cost for r in runs), 6),
        "total_tokens": sum(r.prompt_tokens + r.completion_tokens for r in runs),
    }
