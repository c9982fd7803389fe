"""The stages as library calls on a workspace: import, classify, export, build, status.

Each returns a report the CLI prints; none prints anything itself.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from .classify.runner import ClassifyReport, Progress, classify_workspace
from .enrich.run import EnrichReport, enrich_added
from .errors import InputError, did_you_mean
from .export.awesome import render_body, render_readme
from .export.latex import render_bib, render_main
from .files import atomic_write_bytes, atomic_write_text
from .graph import benchmark_rows, build_gazetteer, build_graph
from .library import Library, group_by_node, load_library
from .merges import open_index, save_index
from .sources import parse_file
from .sources.base import Skip
from .sources.snapshot import Filters
from .store import Workspace, writes

if TYPE_CHECKING:
    from .draft import DraftReport


@dataclass
class ImportReport:
    """What importing one file did."""

    file: str
    format: str
    read: int = 0
    added: int = 0
    merged: int = 0
    skipped: list[Skip] = field(default_factory=list)


@writes("import")
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


Written = list[tuple[Path, bool]]


def export_awesome(ws: Workspace, lib: Library, force: bool = False) -> Written:
    """Write the Awesome README (text outside its markers kept), its chart (PNG + CSV) in `assets/`
    beside it, and `contributing.md` when there is none. An adopted list is edited instead (see
    `listsync.export_list`); a README without markers is replaced only with `force`."""
    from .export.awesome import BEGIN, ReadmeOptions, contributing_text

    cfg = ws.config.export
    path = Path(os.path.normpath(ws.output_dir / cfg.readme))  # may be `../README.md`: the list's own
    if cfg.adopted:
        from .listsync import export_list

        return export_list(ws, path)
    existing = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    if existing and BEGIN not in existing and not force:
        raise InputError(
            f"{path} exists and has no surveyor markers: exporting would replace it",
            "move it away, adopt it (`surveyor adopt`), or run `surveyor export awesome --force`",
        )
    written: Written = []
    chart_rel, note = None, ""
    if cfg.chart:
        from .export.chart import chart_csv, chart_note, chart_png, per_year

        counts = per_year(ws.taxonomy, lib.papers, lib.labels)
        note = chart_note(counts)
        chart_rel = "assets/papers-per-year.png"
        data = path.parent / "assets" / "papers-per-year.csv"
        data_changed = atomic_write_text(data, chart_csv(counts))
        written.append((data, data_changed))
        png = path.parent / chart_rel
        if data_changed or not png.exists():  # the picture is redrawn only when its numbers change
            written.append((png, atomic_write_bytes(png, chart_png(counts, "Papers per year"))))
        else:
            written.append((png, False))
    rows = benchmark_rows(workspace_graph(ws, lib)) if cfg.benchmarks else []
    options = ReadmeOptions(
        style=cfg.style,
        newest_first=cfg.newest_first,
        mindmap=cfg.mindmap,
        chart=chart_rel,
        chart_note=note,
        benchmarks=cfg.benchmarks,
        contributing="contributing.md" if cfg.contributing else None,
        unsure_below=ws.config.classify.review_below,
    )
    body = render_body(ws.taxonomy, lib.papers, lib.labels, options, rows, ws.config.title)
    description = ws.config.description or ws.taxonomy.description
    text = render_readme(ws.config.title, description, body, existing)
    written.insert(0, (path, atomic_write_text(path, text)))
    guide = path.parent / "contributing.md"
    if cfg.contributing and not guide.exists():
        written.append((guide, atomic_write_text(guide, contributing_text(ws.config.title))))
    return written


def survey_texts(ws: Workspace, lib: Library, pandoc: bool = False) -> tuple[str, str, dict[str, str]]:
    """main.tex (with `pandoc`, the text pandoc converts), references.bib and the citation key of
    every cited paper."""
    rows = benchmark_rows(workspace_graph(ws, lib))
    main, cited, keys = render_main(ws.config.title, ws.taxonomy, lib.papers, lib.labels, rows, pandoc)
    return main, render_bib(cited, keys), keys


def export_survey(ws: Workspace, lib: Library) -> Written:
    """Write output/survey/main.tex and references.bib."""
    main, bib, _keys = survey_texts(ws, lib)
    return write_survey(ws, main, bib)


def write_survey(ws: Workspace, main: str, bib: str) -> Written:
    """main.tex and references.bib into output/survey/."""
    folder = ws.output_dir / "survey"
    return [
        (folder / "main.tex", atomic_write_text(folder / "main.tex", main)),
        (folder / "references.bib", atomic_write_text(folder / "references.bib", bib)),
    ]


def export_bib(ws: Workspace, lib: Library) -> Written:
    """Write output/survey/references.bib alone (main.tex is left as it is)."""
    _main, bib, _keys = survey_texts(ws, lib)
    path = ws.output_dir / "survey" / "references.bib"
    return [(path, atomic_write_text(path, bib))]


def workspace_graph(ws: Workspace, lib: Library) -> nx.MultiDiGraph:
    """The method-benchmark graph of the workspace (built once per library)."""
    if lib.graph is None:
        gazetteer = build_gazetteer(ws.root, lib.papers, lib.labels)
        lib.graph = build_graph(ws.taxonomy, lib.papers, lib.labels, gazetteer)
    return lib.graph


def export_graph(ws: Workspace, lib: Library) -> Written:
    """Write output/graph/: graph.graphml, graph.json (node-link), graph.dot, and the benchmark-category
        structure as benchmarks.mmd (Mermaid) and benchmarks.svg (laid out by networkx and drawn by
    matplotlib, or by Graphviz with `[export] graph_layout = "graphviz"`); matplotlib draws the
    picture again only when what it is drawn from changed (`picture.keyed_svg`)."""
    from .export.graph_formats import graph_graphml, graph_json, to_dot, to_mermaid
    from .export.picture import keyed_svg, picture_data, picture_dot
    from .export.tools import graphviz_svg

    graph = workspace_graph(ws, lib)
    folder = ws.output_dir / "graph"
    picture = picture_data(graph)
    if ws.config.export.graph_layout == "graphviz":
        svg = graphviz_svg(picture_dot(picture))
    else:
        old = folder / "benchmarks.svg"
        svg = keyed_svg(picture, old.read_text(encoding="utf-8", errors="replace") if old.is_file() else None)
    texts = {
        "graph.graphml": graph_graphml(graph),
        "graph.json": graph_json(graph),
        "graph.dot": to_dot(graph),
        "benchmarks.mmd": to_mermaid(graph),
        "benchmarks.svg": svg,
    }
    return [(folder / name, atomic_write_text(folder / name, text)) for name, text in texts.items()]


EXPORTERS: dict[str, Callable[[Workspace, Library], Written]] = {
    "awesome": export_awesome,
    "survey": export_survey,
    "bib": export_bib,
    "graph": export_graph,
}
ALL = ("awesome", "survey", "graph")  # bib is part of survey


@writes("export")
def export(
    ws: Workspace,
    what: str = "all",
    arxiv: bool = False,
    to: Sequence[str] = (),
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Written:
    """Run one exporter, or all of them. With the survey: `arxiv` also compiles it and writes the
    `main.bbl` arXiv needs beside `main.tex` (kept current on later exports where TeX is installed,
    once it exists or when `[export] arxiv` is set); `to` converts it with pandoc (docx, html, md) to
    `survey.<format>`; `force` lets the Awesome export replace a README that has no markers;
    `progress(done, total)` is called before each exporter."""
    from .export.tools import (
        PANDOC_FORMATS,
        bbl_is_current,
        compile_survey,
        pandoc_convert,
        stamped_bbl,
        survey_digest,
    )

    if what != "all" and what not in EXPORTERS:
        raise InputError(f"unknown export `{what}`", did_you_mean(what, ["all", *EXPORTERS], "exports"))
    for fmt in to:
        if fmt not in PANDOC_FORMATS:
            raise InputError(f"unknown format `{fmt}`", did_you_mean(fmt, list(PANDOC_FORMATS), "formats"))
    lib = load_library(ws)
    names = ALL if what == "all" else (what,)
    written: Written = []
    for done, name in enumerate(names):
        if progress is not None:
            progress(done, len(names))
        written += export_awesome(ws, lib, force) if name == "awesome" else EXPORTERS[name](ws, lib)
    if "survey" not in names:
        if arxiv or to:
            raise InputError("--arxiv and --to apply to the survey", "run `surveyor export survey ...`")
        return written
    folder = ws.output_dir / "survey"
    bbl = folder / "main.bbl"
    have_tex = bool(shutil.which("pdflatex") and shutil.which("bibtex"))
    wanted = arxiv or (have_tex and (ws.config.export.arxiv or bbl.exists()))
    if wanted and not bbl_is_current(folder):  # the stamp in main.bbl says what it was built from
        text, _log = compile_survey(folder)
        written.append((bbl, atomic_write_text(bbl, stamped_bbl(text, survey_digest(folder)))))
    elif wanted:
        written.append((bbl, False))
    tex = survey_texts(ws, lib, pandoc=True)[0] if to else ""
    for fmt in to:
        out = folder / f"survey.{fmt}"
        pandoc_convert(folder, fmt, out, tex)
        written.append((out, True))
    return written


@writes("draft")
def draft(ws: Workspace, node: str | None = None, backend: str = "offline") -> tuple[DraftReport, Written]:
    """Draft the related work of every node with papers (or of one node and the nodes below it),
    check it, and write survey/related-work.tex and survey/related-work.md beside the survey (which
    is written first, so the citations are checked against the references.bib that ships)."""
    from . import draft as drafting

    if backend not in ("offline", "openai"):
        raise InputError(f"unknown draft backend `{backend}`", "choose offline or openai")
    lib = load_library(ws)
    main, bib, keys = survey_texts(ws, lib)
    written = write_survey(ws, main, bib)
    bib_keys = set(re.findall(r"^@\w+\{([^,\s]+),", bib, re.MULTILINE))
    taxonomy = ws.taxonomy
    if node is not None and node not in taxonomy:
        ids = [n.id for n in taxonomy.iter_nodes()]
        raise InputError(f"no node `{node}` in {ws.config.taxonomy}", did_you_mean(node, ids, "node ids"))
    wanted = [n for n in taxonomy.iter_nodes() if node is None or node in taxonomy.ancestors(n.id)]
    groups = group_by_node(taxonomy, lib.papers, lib.labels)
    jobs = [(n, [(p, keys[p.id]) for p in groups[n.id]]) for n in wanted if groups.get(n.id)]
    kinds = {pid: rec.paper_type for pid, rec in lib.labels.items()}
    report = drafting.DraftReport(backend, [])
    if backend == "openai":
        from .llm.cache import open_cache

        texts, report.requests, report.cost, report.notes = drafting.llm_paragraphs(
            ws.config.llm, open_cache(ws.config.llm, ws.state_dir), jobs, ws.prompts_dir
        )
    else:
        from .prose import library_frequency, offline_paragraph

        background = library_frequency([lib.papers[pid] for pid in keys])
        texts = [offline_paragraph(n, members, kinds, background) for n, members in jobs]
    for (n, members), text in zip(jobs, texts, strict=True):
        node_keys = {key: paper for paper, key in members}
        report.drafts.append(drafting.check_paragraph(n, text, node_keys, bib_keys))
    by_key = {keys[pid]: lib.papers[pid] for pid in keys}
    folder = ws.output_dir / "survey"
    tex, md = folder / "related-work.tex", folder / "related-work.md"
    written.append((tex, atomic_write_text(tex, drafting.to_latex(report.drafts))))
    written.append((md, atomic_write_text(md, drafting.to_markdown(report.drafts, by_key))))
    return report, written


@dataclass
class BuildReport:
    """What `surveyor build` did, stage by stage."""

    imports: list[ImportReport]
    classify: ClassifyReport
    exports: list[tuple[Path, bool]]
    enrich: EnrichReport | None = None  # with `[enrich] auto`: what enriching the added papers did


@writes("build")
def build(ws: Workspace, progress: Progress | None = None) -> BuildReport:
    """Import the configured files, fetch the configured arXiv queries, enrich the papers added (only
    with `[enrich] auto`: by default a build asks no metadata service), classify what is new, export."""
    known = ws.load_papers()
    before = set(known) | {alias for p in known.values() for alias in p.aliases}
    imports = import_configured(ws)
    if ws.config.sources.arxiv:
        from .arxiv_fetch import fetch

        fetch(ws, ws.config.sources.arxiv)
    enriched = enrich_added(ws, before)
    report = classify_workspace(ws, progress=progress, command="build")
    return BuildReport(imports, report, export(ws), enriched)


def status(ws: Workspace) -> dict[str, Any]:
    """Counts that say where the workspace stands, as plain data."""
    lib = load_library(ws)
    papers, machine, human, labels = lib.papers, lib.machine, lib.human, lib.labels
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
        "pending_decisions": ws.pending_notes(lib.pending),  # decisions waiting for their paper
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
