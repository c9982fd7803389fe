"""Graph v1 and LaTeX v1: real benchmark names with evidence; escaping; a real pdflatex compile."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest
from conftest import write_workspace

from surveyor.classify.runner import classify_workspace
from surveyor.export.latex import bib_entry, cite_keys, tex_escape
from surveyor.extract.benchmarks import GENERIC, Entry, Gazetteer, entity_key
from surveyor.graph import top_benchmarks
from surveyor.models import Paper
from surveyor.pipeline import export, load_library, workspace_graph
from surveyor.store import Workspace

HAVE_TEX = bool(shutil.which("pdflatex") and shutil.which("bibtex"))
needs_tex = pytest.mark.skipif(
    not HAVE_TEX,
    reason="pdflatex/bibtex not installed (Debian: texlive-latex-base, lmodern; .ci/run installs them)",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, built_example_once: Path) -> Workspace:
    """A copy of the example built once per session (conftest), for this module."""
    from conftest import copy_built

    return Workspace(copy_built(built_example_once, tmp_path_factory.mktemp("graph") / "root"))


def test_alias_resolution() -> None:
    gaz = Gazetteer([Entry("Video-MME", "benchmark", ("VideoMME",))])
    for text in ("We test on Video-MME.", "Results on VideoMME are good.", "On Video MME we win."):
        (mention,) = gaz.find(text)
        assert mention.name == "Video-MME" and mention.sentence == text
    assert gaz.find("video-mme in lower case is not a name.") == []
    assert entity_key("Video MME") == entity_key("video-mme") == "videomme"


def test_example_graph_names_real_benchmarks_with_evidence(built: Workspace) -> None:
    lib = load_library(built)
    graph = workspace_graph(built, lib)
    top = top_benchmarks(graph, 10)
    names = [u.name for u in top]
    assert {"Video-MME", "MLVU", "EgoSchema"} <= set(names)
    for use in top:
        assert use.name.lower() not in GENERIC and len(use.name.split()) <= 4
        assert len(use.papers) >= 1
    types = {d["type"] for *_, d in graph.edges(data=True)}
    assert types == {"proposes", "evaluated_on", "introduces", "in_category"}
    for u, v, data in graph.edges(data=True):
        assert data["evidence"], (u, v, data)
        assert data["provenance"] == "offline"
        if data["type"] == "evaluated_on":
            paper = lib.papers[data["paper"]]
            assert data["evidence"] in paper.text
            entry_aliases = graph.nodes[v]["aliases"].split("; ") if graph.nodes[v]["aliases"] else []
            gaz = Gazetteer([Entry(graph.nodes[v]["name"], "benchmark", tuple(entry_aliases))])
            found = {m.name for m in gaz.find_all(data["evidence"])}
            assert graph.nodes[v]["name"] in found, (graph.nodes[v]["name"], data["evidence"])


def test_graph_files_parse_back(built: Workspace) -> None:
    folder = built.output_dir / "graph"
    graphml = nx.read_graphml(folder / "graph.graphml")
    import json

    data = json.loads((folder / "graph.json").read_text())
    assert graphml.number_of_nodes() == len(data["nodes"]) > 100
    assert len(data["edges"]) == graphml.number_of_edges()


def test_graphml_is_the_text_networkx_writes(built: Workspace) -> None:
    """`graph_graphml` writes a graph itself for speed: byte for byte what networkx writes, for the
    example's graph and for hostile text (markup, quotes, line breaks, non-ASCII, empty values);
    a value type it does not write (a float, a bool) is left to networkx."""
    from surveyor.export.graph_formats import graph_graphml

    def networkx_text(graph: nx.MultiDiGraph) -> str:
        return "\n".join(nx.generate_graphml(graph)) + "\n"

    example = workspace_graph(built, load_library(built))
    hostile = nx.MultiDiGraph()
    hostile.add_node('a&<b>"c"', name="x\r\ny\tz <&> ' \u2028 é 中 😀", year=2024, url="")
    hostile.add_node("bare")
    hostile.add_edge('a&<b>"c"', "bare", key='k"\n\t', evidence="<data key='d0'>", paper="")
    hostile.add_edge("bare", "bare", key="again")
    odd = nx.MultiDiGraph()
    odd.add_node("n", weight=0.5, kept=True)
    empty = nx.MultiDiGraph()
    for graph in (example, hostile, odd, empty):
        assert graph_graphml(graph) == networkx_text(graph)


def test_graph_command_prints_top_benchmarks(built: Workspace) -> None:
    from typer.testing import CliRunner

    from surveyor.cli import app

    result = CliRunner().invoke(app, ["graph", "-w", str(built.root), "--top", "5"])
    assert result.exit_code == 0
    assert "Video-MME [benchmark]" in result.output.splitlines()[0]


HOSTILE = [
    Paper(
        id="h1",
        title="50% of $cost & #1 {fast}_model ~ ^x \\ | <b> `code`",
        authors=["Zoë O'Brien"],
        abstract="A video benchmark with 10% noise and $5 budgets. Video clips everywhere.",
    ),
    Paper(
        id="h2",
        title="Ψ-Net: π-shaped ∑ attention — “smart” video… with 中文 tokens",
        year=2024,
        abstract="Video video video.",
    ),
    Paper(
        id="h3",
        title="Ψ-Net: π-shaped ∑ attention — “smart” video… with 中文 tokens, again",
        abstract="Video video. " + "A very long sentence about video. " * 30,
    ),
    Paper(id="h4", abstract="Video understanding without a title, untitled video paper here."),
]


def test_tex_escape_specials_and_unicode() -> None:
    escaped = tex_escape(HOSTILE[0].title or "")
    for raw in ("%", "$", "&", "#", "_"):
        assert "\\" + raw in escaped
    assert r"\textasciitilde{}" in escaped and r"\textbackslash{}" in escaped
    assert tex_escape("π and “q” — ok") == r"$\pi$ and ``q'' --- ok"
    assert tex_escape("中文 Ренат") == "ZhongWen Renat"  # no glyphs in T1 fonts: transliterated
    assert tex_escape("Zoë Müller") == "Zoë Müller"


def test_bib_keys_are_readable_stable_and_unique() -> None:
    keys = cite_keys(HOSTILE)
    assert keys["h1"].startswith("obrien")
    assert keys["h2"] != keys["h3"] and keys["h2"].startswith("psnet2024")  # Ψ-Net, transliterated whole
    assert len(set(keys.values())) == len(keys)
    assert all(re.fullmatch(r"[a-z0-9]+", k) for k in keys.values())
    assert cite_keys(list(reversed(HOSTILE))) == keys
    entry = bib_entry(
        Paper(
            id="2312.02051", arxiv_id="2312.02051", title="TimeChat", venue="CVPR", year=2024, authors=["Ren"]
        ),
        "k",
    )
    assert entry.startswith("@inproceedings{k,") and "eprint = {2312.02051}" in entry
    cvpr = "IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"
    assert f"booktitle = {{{cvpr}}}" in entry and "archivePrefix = {arXiv}" in entry
    no_authors = bib_entry(Paper(id="x", title="T", venue="CVPR", year=2024), "k")
    assert no_authors.startswith("@misc{k,") and f"howpublished = {{{cvpr}}}" in no_authors


def bibitems(bbl: str) -> set[str]:
    """The keys a .bbl defines (natbib's `\\bibitem[Author(Year)]{key}`, which BibTeX may wrap)."""
    return set(re.findall(r"\\bibitem(?:\[[^\]]*\])?\s*\{([^}]*)\}", bbl))


def compile_pdf(folder: Path) -> str:
    """pdflatex + bibtex + pdflatex until references settle; return the final log."""

    def run(*cmd: str) -> None:
        done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stdout[-3000:]

    run("pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex")
    run("bibtex", "main")
    for _ in range(4):
        run("pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex")
        log = (folder / "main.log").read_text(errors="replace")
        if "Rerun to get" not in log:
            break
    assert (folder / "main.pdf").stat().st_size > 1000
    return log


@needs_tex
@pytest.mark.slow
def test_example_survey_compiles_without_undefined_citations(built: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "survey"
    shutil.copytree(built.output_dir / "survey", folder)
    log = compile_pdf(folder)
    assert "undefined" not in log.lower()
    assert "\\newlabel{fig:taxonomy}" in (folder / "main.aux").read_text()  # the forest figure is typeset
    pages = int(re.search(r"Output written on main\.pdf \((\d+) pages", log).group(1))  # type: ignore[union-attr]
    assert 5 < pages < 40
    assert "LaTeX Warning" not in log, re.findall(r"LaTeX Warning.*", log)
    blg = (folder / "main.blg").read_text()
    assert "Warning--" not in blg, blg
    bbl = (folder / "main.bbl").read_text()
    cited = set(re.findall(r"\\cite\{([^}]*)\}", (folder / "main.tex").read_text()))
    keys = {k for group in cited for k in group.split(",")}
    assert keys and keys <= bibitems(bbl)


@needs_tex
@pytest.mark.slow
def test_hostile_titles_render_and_compile(tmp_path: Path) -> None:
    ws = Workspace(write_workspace(tmp_path / "ws"))
    ws.save_papers(HOSTILE)
    classify_workspace(ws)
    export(ws, "survey")
    log = compile_pdf(ws.output_dir / "survey")
    assert "undefined" not in log.lower()


@pytest.mark.parametrize(("half", "min_precision", "min_recall"), [("a", 0.95, 0.95), ("b", 0.90, 0.75)])
def test_offline_extraction_on_the_hand_checked_halves(
    built: Workspace, half: str, min_precision: float, min_recall: float
) -> None:
    """Half A tuned the extractor; half B is held out (tests/fixtures/BENCHMARKS_GOLD.md)."""
    import json

    from surveyor.extract.benchmarks import entity_key, relations
    from surveyor.extract.papers import paper_type
    from surveyor.graph import build_gazetteer

    lib = load_library(built)
    gazetteer = build_gazetteer(built.root, lib.papers, lib.labels)
    tp = fp = fn = 0
    path = Path(__file__).parent / "fixtures" / f"benchmarks_gold_{half}.jsonl"
    for line in path.read_text().splitlines():
        row = json.loads(line)
        found, _ = relations(
            row["title"],
            row["abstract"],
            paper_type(row["title"], row["abstract"]),
            row["introduces"],
            gazetteer,
        )
        predicted = {entity_key(m.name) for m in found}
        gold = {entity_key(e.name if (e := gazetteer.lookup(n)) else n) for n in row["evaluated_on"]}
        tp, fp, fn = tp + len(predicted & gold), fp + len(predicted - gold), fn + len(gold - predicted)
    assert tp / (tp + fp) >= min_precision and tp / (tp + fn) >= min_recall, (tp, fp, fn)


def test_graph_queries(built: Workspace) -> None:
    from surveyor import graph as g

    graph = workspace_graph(built, load_library(built))
    anomaly = [u.name for u in g.top_benchmarks_in(graph, "app-anomaly", 3)]
    assert anomaly[:2] == ["UCF-Crime", "XD-Violence"]
    everywhere = {u.name: len(u.papers) for u in g.top_benchmarks(graph)}
    assert all(len(u.papers) <= everywhere[u.name] for u in g.top_benchmarks_in(graph, "watch"))
    on_mme = g.methods_on(graph, "VideoMME")  # an alias finds the canonical Video-MME
    assert len({p for _, p in on_mme}) == everywhere["Video-MME"]
    assert ("Apollo", "LongVideoBench") in {(a, c) for a, _, cs in g.shared_benchmarks(graph) for c in cs}
    per_year = g.introduced_per_year(graph)
    assert "MVBench" in {n for names in per_year.values() for n in names}
    merged = {name: spellings for name, spellings, _ in g.alias_merges(graph)}
    assert "Egoschema" in merged["EgoSchema"] and "Next-QA" in merged["NExT-QA"]
    rows = {r.name: r for r in g.benchmark_rows(graph)}
    assert "Apollo" in rows["MLVU"].evaluated and rows["MVBench"].introduced_by


def test_graph_text_exports(built: Workspace) -> None:
    import xml.etree.ElementTree as ET

    from surveyor.graph import top_benchmarks

    folder = built.output_dir / "graph"
    dot = (folder / "graph.dot").read_text()
    assert dot.startswith("digraph surveyor {") and '-> "benchmark:videomme" [label="evaluated_on"]' in dot
    mermaid = (folder / "benchmarks.mmd").read_text()
    assert mermaid.startswith("flowchart LR") and 'b_Video_MME(["Video-MME"])' in mermaid
    assert re.search(r"c_Watching -- \d+ --> b_Video_MME", mermaid)
    svg = ET.fromstring((folder / "benchmarks.svg").read_text())
    texts = {t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")}
    assert any(t and t.startswith("Watching (") for t in texts)
    everywhere = {u.name: len(u.papers) for u in top_benchmarks(workspace_graph(built, load_library(built)))}
    assert f"Video-MME ({everywhere['Video-MME']})" in texts  # the count `surveyor graph` prints


def test_cli_graph_queries(built: Workspace) -> None:
    from typer.testing import CliRunner

    from surveyor.cli import app

    run = CliRunner().invoke
    assert "UCF-Crime" in run(app, ["graph", "--node", "app-anomaly", "-w", str(built.root)]).output
    assert "Apollo" in run(app, ["graph", "--benchmark", "Video MME", "-w", str(built.root)]).output
    assert "Egoschema" in run(app, ["graph", "--aliases", "-w", str(built.root)]).output
    bad = run(app, ["graph", "--node", "nope", "-w", str(built.root)])
    assert bad.exit_code == 1 and "no taxonomy node `nope`" in bad.output


def test_export_bib_writes_the_bibliography_alone(built: Workspace) -> None:
    """`export bib` writes references.bib and leaves main.tex as it is."""
    folder = built.output_dir / "survey"
    main = folder / "main.tex"
    shipped = main.read_text()
    main.write_text(shipped + "% edited by hand\n")
    (folder / "references.bib").unlink()
    try:
        written = export(built, "bib")
        assert [path.name for path, _ in written] == ["references.bib"]
        assert main.read_text().endswith("% edited by hand\n")
        assert (folder / "references.bib").read_text().startswith("@")
    finally:
        export(built, "survey")
    assert main.read_text() == shipped
