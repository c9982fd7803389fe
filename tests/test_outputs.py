"""What a survey author ships, tested on the data behind each picture and page: the chart's CSV and
note, the benchmark picture's counts (those `surveyor graph` prints) and its SVG labels, the DOCX
text read back through pandoc, the README's titles and *Unsure* marks (awesome-lint run for real),
the related-work prose and its support check, BibTeX keys and math in titles through pdfLaTeX."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from conftest import write_workspace
from test_exports import (
    LABELS,
    awesome_lint,
    hostile_workspace,
    needs_awesome_lint,
    needs_pandoc,
    needs_tex,
)
from test_graph_latex import built  # noqa: F401  (the built example, shared by module)

from surveyor.draft import check_paragraph, from_latex, initialisms, llm_messages
from surveyor.escape import bib_title, lint_sensitive, md_text, safe_math, tex_title
from surveyor.export import picture
from surveyor.export.awesome import LINT_PASS
from surveyor.export.chart import chart_csv, chart_note, chart_png, per_year
from surveyor.export.latex import base_key, bib_entry, cite_keys
from surveyor.export.picture import keyed_svg, picture_data, picture_dot, picture_svg
from surveyor.export.tools import which_pandoc
from surveyor.graph import top_benchmarks
from surveyor.models import Classification, Label, Paper
from surveyor.pipeline import draft, export, load_library, workspace_graph
from surveyor.prose import contribution, number_words, offline_paragraph, paper_sentence
from surveyor.store import Workspace
from surveyor.taxonomy import Node
from surveyor.text import untex

SVG = "{http://www.w3.org/2000/svg}"
TAXONOMY = """\
name: Chart fixture
description: Two sections.
nodes:
  - id: watch
    name: Watching
    description: Seeing.
  - id: remember
    name: Remembering
    description: Keeping in mind.
"""


def labelled(root: Path, rows: dict[str, tuple[int | None, str, float, str]]) -> Workspace:
    """A workspace of papers `id -> (year, node, confidence, backend)`, labelled as given."""
    ws = Workspace(write_workspace(root, "", TAXONOMY))
    ws.save_papers(
        Paper(id=pid, title=f"Paper {pid}", abstract="We propose a model.", year=year)
        for pid, (year, _, _, _) in rows.items()
    )
    records = [
        Classification(
            paper=pid,
            labels=[Label(node=node, confidence=conf, evidence="")],
            backend=backend,
            model="fixture",
            taxonomy_hash=ws.taxonomy.hash,
            run_id="fixture",
            time="2026-01-01T00:00:00Z",
        )
        for pid, (_, node, conf, backend) in rows.items()
    ]
    ws.save_decisions(r for r in records if r.backend == "human")
    ws.save_labels(r for r in records if r.backend != "human")
    return ws


# --- the chart ------------------------------------------------------------------------------------
def test_chart_has_a_numeric_axis_and_counts_papers_without_a_year(tmp_path: Path) -> None:
    ws = labelled(
        tmp_path / "ws",
        {
            "a": (2018, "watch", 0.9, "human"),
            "b": (2021, "watch", 0.9, "human"),
            "c": (2021, "remember", 0.9, "human"),
            "d": (None, "remember", 0.9, "human"),
            "e": (None, "watch", 0.9, "human"),
        },
    )
    lib = load_library(ws)
    data = per_year(ws.taxonomy, lib.papers, lib.labels)
    assert chart_csv(data) == (
        "year,Watching,Remembering\n2018,1,0\n2019,0,0\n2020,0,0\n2021,1,1\nno year,1,1\n"
    )  # 2019 and 2020 are on the axis with nothing in them; the undated papers are counted
    assert data.total == 5 and data.dated == 3
    assert chart_note(data) == "2 of the 5 papers have no known year and are not in the chart."
    assert chart_png(data)[:8] == b"\x89PNG\r\n\x1a\n"
    export(ws, "awesome")
    readme = (ws.output_dir / "README.md").read_text()
    assert "*2 of the 5 papers have no known year and are not in the chart.*" in readme


def test_chart_of_an_empty_library_says_so(tmp_path: Path) -> None:
    ws = labelled(tmp_path / "ws", {})
    data = per_year(ws.taxonomy, {}, {})
    assert chart_csv(data) == "year,Watching,Remembering\nno year,0,0\n"
    assert chart_note(data) == "No papers are listed yet."
    assert chart_png(data)[:8] == b"\x89PNG\r\n\x1a\n"  # a picture that says so, not empty axes
    undated = labelled(tmp_path / "ws2", {"a": (None, "watch", 0.9, "human")})
    lib = load_library(undated)
    assert chart_note(per_year(undated.taxonomy, lib.papers, lib.labels)).startswith("None of the 1 papers")


def test_each_paper_counts_once_in_the_chart(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    lib = load_library(ws)
    data = per_year(ws.taxonomy, lib.papers, lib.labels)
    assert data.total == len(LABELS)  # papers under two sections are counted under their home only


# --- the benchmark picture ------------------------------------------------------------------------
def test_picture_counts_are_surveyor_graphs(built: Workspace) -> None:  # noqa: F811
    graph = workspace_graph(built, load_library(built))
    data = picture_data(graph)
    expected = [(u.name, len(u.papers)) for u in top_benchmarks(graph, 15)]
    assert data.benchmarks == expected  # what `surveyor graph` prints
    per_bench: Counter[str] = Counter()
    for (_, bench), n in data.links.items():
        per_bench[bench] += n
    for name, n in data.benchmarks:
        assert per_bench[name] <= n  # each paper once (a paper outside every section is left out)
    assert sum(n for _, n in data.sections) == sum(data.links.values())
    svg = ET.fromstring(picture_svg(data))
    texts = {t.text for t in svg.iter(f"{SVG}text")}
    assert {f"{name} ({n})" for name, n in data.benchmarks} <= texts
    assert {f"{name} ({n})" for name, n in data.sections} <= texts
    assert any(t and t.startswith("The 15 most used of") for t in texts)
    assert picture_svg(data) == picture_svg(data)  # deterministic


def test_picture_of_a_graph_without_benchmarks() -> None:
    import networkx as nx

    data = picture_data(nx.MultiDiGraph())
    svg = ET.fromstring(picture_svg(data))
    assert "No paper names a benchmark" in " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))


def _no_drawing(*args: object) -> str:
    raise AssertionError("matplotlib drew a picture whose data did not change")


def test_picture_is_drawn_again_only_when_its_data_changes(
    built: Workspace,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = picture_data(workspace_graph(built, load_library(built)))
    svg = keyed_svg(data, None)
    assert svg == picture_svg(data) + f"{picture.MARK}{picture.picture_key(data)} -->\n"
    ET.fromstring(svg)  # a comment after the root element: still one well-formed SVG document
    moved = picture_data(workspace_graph(built, load_library(built)))
    first = next(iter(moved.links))
    moved.links[first] += 1
    assert picture.picture_key(moved) != picture.picture_key(data)
    reordered = picture_data(workspace_graph(built, load_library(built)))
    reordered.links = Counter(dict(reversed(list(reordered.links.items()))))  # drawn in another order
    assert picture.picture_key(reordered) != picture.picture_key(data)

    monkeypatch.setattr(picture, "picture_svg", _no_drawing)
    assert keyed_svg(data, svg) is svg
    monkeypatch.undo()
    redrawn = keyed_svg(moved, svg)
    assert redrawn != svg and redrawn == keyed_svg(moved, None)
    assert keyed_svg(data, svg[: -len("-->\n")] + "x -->\n") == svg  # another key: drawn afresh


def test_graph_export_keeps_an_unchanged_picture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    export(ws, "graph")
    path = ws.output_dir / "graph" / "benchmarks.svg"
    first = path.read_bytes()

    with monkeypatch.context() as patched:
        patched.setattr(picture, "picture_svg", _no_drawing)
        assert (path, False) in export(Workspace(ws.root), "graph")
    assert path.read_bytes() == first
    path.write_text(first.decode().replace(picture.MARK, picture.MARK + "0"))  # a key of other data
    assert (path, True) in export(Workspace(ws.root), "graph")
    assert path.read_bytes() == first  # drawn again, byte for byte as before


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed (apt-get install graphviz)")
def test_graphviz_layout_draws_the_same_data(built: Workspace) -> None:  # noqa: F811
    from surveyor.export.tools import graphviz_svg

    data = picture_data(workspace_graph(built, load_library(built)))
    svg = ET.fromstring(graphviz_svg(picture_dot(data)))
    texts = {t.text for t in svg.iter(f"{SVG}text")}
    assert {f"{name} ({n})" for name, n in data.benchmarks} <= texts


def test_graphviz_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    cfg = ws.root / "surveyor.toml"
    cfg.write_text(cfg.read_text() + 'graph_layout = "graphviz"\n')
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(Exception, match="Graphviz") as caught:
        export(Workspace(ws.root), "graph")
    assert "apt-get install graphviz" in str(caught.value.hint)  # type: ignore[attr-defined]


# --- DOCX and HTML ----------------------------------------------------------------------------------
@needs_pandoc
def test_docx_text_has_numbered_resolved_citations_and_no_dangling_figure(built: Workspace) -> None:  # noqa: F811
    export(built, "survey", to=["docx", "html"])
    folder = built.output_dir / "survey"
    text = subprocess.run(
        [which_pandoc() or "pandoc", str(folder / "survey.docx"), "-t", "plain", "--wrap=none"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    body, refs = text.split("\nReferences\n", 1)
    entries = re.findall(r"^\[(\d+)\] ", refs, re.MULTILINE)
    assert entries == [str(i) for i in range(1, len(entries) + 1)]  # one entry per reference
    cited = {
        n
        for group in re.findall(r"\[([\d,\s–]+)\]", body)
        for part in group.split(",")
        for n in _expand(part.strip())
    }
    assert cited and max(cited) <= len(entries) and len(cited) == len(entries)  # all resolved, all cited
    assert "Figure" not in body and "fig:taxonomy" not in body and "[fig" not in body
    assert "n.d." not in text and "(" + "Motion4D" not in body
    assert re.search(r"This category holds \d+ papers\s\[[\d,\s–]+\]\.", body)
    assert re.search(r"Streaming memory \(\d+ papers\): ", body)  # the taxonomy, where the PDF draws it
    html = (folder / "survey.html").read_text()
    assert 'role="doc-biblioref"' in html and "fig:taxonomy" not in html


def _expand(part: str) -> list[int]:
    if "–" in part:
        low, high = part.split("–")
        return list(range(int(low), int(high) + 1))
    return [int(part)] if part.isdigit() else []


# --- README -----------------------------------------------------------------------------------------
@needs_awesome_lint
def test_titles_as_written_need_the_lint_pass_and_get_it(tmp_path: Path) -> None:
    """The comment is what lets awesome-lint accept the titles unchanged: without it, it fails."""
    ws = hostile_workspace(tmp_path / "ws")
    export(ws, "awesome")
    readme = ws.output_dir / "README.md"
    text = readme.read_text()
    assert 'What?? Really!! A "Quoted Benchmark' in text and "\u200b" not in text
    readme.write_text(text.replace(LINT_PASS + "\n\n", ""))
    result = awesome_lint(ws.output_dir, tmp_path)
    assert result.returncode != 0 and "no-repeat-punctuation" in result.stdout + result.stderr


def test_lint_sensitive_titles() -> None:
    assert lint_sensitive("Why?? Now!!") and lint_sensitive('A 3.5" display') and lint_sensitive("“open")
    assert not lint_sensitive("Don’t Stop: “Quoted” Titles") and not lint_sensitive("Plain title")
    assert md_text('Wow!! A "quote') == 'Wow!! A "quote'


@needs_awesome_lint
def test_unsure_machine_placements_are_marked(tmp_path: Path) -> None:
    ws = labelled(
        tmp_path / "ws",
        {
            "a": (2024, "watch", 0.25, "offline"),
            "b": (2024, "watch", 0.9, "offline"),
            "c": (2024, "remember", 0.2, "human"),  # a person placed it: not marked
        },
    )
    ws.save_papers(
        [
            Paper(id="a", title="Paper a", abstract="x", year=2024, arxiv_id="2401.00011"),
            Paper(id="b", title="Paper b", abstract="x", year=2024, arxiv_id="2401.00012"),
            Paper(id="c", title="Paper c", abstract="x", year=2024),
        ]
    )
    export(ws, "awesome")
    readme = (ws.output_dir / "README.md").read_text()
    assert "- [Paper a](https://arxiv.org/abs/2401.00011) - 2024. *Unsure.*" in readme
    assert "- [Paper b](https://arxiv.org/abs/2401.00012) - 2024.\n" in readme
    assert "Paper c (2024).\n" in readme
    assert "1 of the 3 was placed by a classifier with low confidence (below 0.4)" in readme
    result = awesome_lint(ws.output_dir, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# --- BibTeX keys and math in titles -----------------------------------------------------------------
def test_fallback_keys_are_words_of_the_title() -> None:
    assert (
        base_key(Paper(id="x", title="End-to-End Referring Video Object Segmentation")) == "endtoendreferring"
    )
    assert base_key(Paper(id="x", title="3D and 4D World Modeling: A Survey", year=2025)) == "3d2025world"
    keys = cite_keys([Paper(id="a", title="Vidi: One"), Paper(id="b", title="Vidi: Other")])
    assert set(keys.values()) == {"vidione", "vidiother"}


def test_math_in_titles_is_kept_only_when_safe() -> None:
    assert safe_math(r"^\circ") and safe_math(r"\mathbf{x}_{t+1}") and safe_math(r"\frac{1}{2}")
    for bad in (r"\input{/etc/hostname}", "a % b", "x^2^3", "x^", r"\mathbb{R}", r"\frac{1}", "a & b", "}{"):
        assert not safe_math(bad), bad
    title = r"VideoVista: 360$^\circ$ Horizons, Top-$k$ and $\input{/etc/hostname}$"
    assert (
        tex_title(title)
        == r"VideoVista: 360$^\circ$ Horizons, Top-$k$ and \textbackslash{}input/etc/hostname"
    )
    assert bib_title(title).startswith(r"VideoVista: 360$^\circ$ Horizons, Top-$k$ and ")
    assert untex(title).startswith("VideoVista: 360° Horizons, Top-k") and untex("UniCode$^2$") == "UniCode²"


@needs_tex
def test_math_titles_compile_and_read_as_math(tmp_path: Path) -> None:
    papers = [
        Paper(id="a", title=r"VideoVista: 360$^\circ$ Horizons", authors=["Ann Lee"], year=2025),
        Paper(id="b", title=r"UniCode$^2$: Codebooks and $\mathbf{x}_{t+1}$", authors=["Bo Li"], year=2025),
        Paper(id="c", title=r"Hostile $\input{/etc/hostname}$ title", authors=["Cy Wu"], year=2025),
        Paper(id="d", title="Vidi: Undated One"),  # two undated entries whose natbib labels clash
        Paper(id="e", title="Vidi: Undated Two"),
    ]
    keys = cite_keys(papers)
    (tmp_path / "references.bib").write_text("\n".join(bib_entry(p, keys[p.id]) for p in papers))
    (tmp_path / "main.tex").write_text(
        "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage[utf8]{inputenc}"
        "\\usepackage[numbers]{natbib}\\usepackage{url}\n"
        "\\begin{document}\\nocite{*}\\bibliographystyle{unsrtnat}\\bibliography{references}\\end{document}\n"
    )
    latex = ["pdflatex", "-interaction=nonstopmode", "main"]
    for cmd in (latex, ["bibtex", "main"], latex, latex):
        subprocess.run(cmd, cwd=tmp_path, capture_output=True, check=False)
    text = subprocess.run(["pdftotext", "main.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    assert "◦" in text and "Horizons" in text and "UniCode" in text and "xt+1" in text  # set as math
    assert "\\input/etc/hostname" in text and "^" not in text  # shown as text, never run
    assert "Undated One, n.d." in text and "n.d.." not in text


# --- related work -----------------------------------------------------------------------------------
ABSTRACTS = {
    "p1": "Long videos overflow context windows. To address these challenges, we propose FrameNet, a novel "
    "frame selection method that picks the frames a question needs.",
    "p2": "We introduce KeyPick, a simple yet effective frame selection approach for long video question "
    "answering, and evaluate it on three benchmarks.",
    "p3": "In this paper, we present TokenSqueeze, which merges visual tokens to fit long videos into a "
    "small token budget.",
    "p4": "We propose a token merging scheme that compresses visual tokens by 8x; our method improves "
    "accuracy.",
    "p5": "Streaming input needs memory. We design StreamMem, a memory bank updated frame by frame.",
    "p6": "We investigate whether models use the order of frames and find that most do not.",
    "p7": "We construct LongBench-V, a benchmark of 2,000 questions on hour-long videos.",
}
TITLES = {
    "p1": "FrameNet: Question-Aware Frame Selection",
    "p2": "KeyPick: Frame Selection for Long Video QA",
    "p3": "TokenSqueeze: Merging Visual Tokens",
    "p4": "Merging Visual Tokens for Efficient Video Language Models at Scale and Beyond Today",
    "p5": "StreamMem: Memory for Streams",
    "p6": "Do Video Models Look at Frame Order?",
    "p7": "LongBench-V: Questions on Hour-Long Videos",
}


def test_offline_paragraph_reads_as_prose() -> None:
    papers = [Paper(id=pid, title=TITLES[pid], abstract=ABSTRACTS[pid], year=2025) for pid in ABSTRACTS]
    members = [(p, f"k{p.id}") for p in papers]
    kinds = {pid: "method" for pid in ABSTRACTS} | {"p6": "analysis", "p7": "benchmark"}
    node = Node(id="eff", name="Efficient perception")
    text = offline_paragraph(node, members, kinds, {"__papers__": 100})
    assert text.startswith("Seven of the surveyed papers address efficient perception: five methods, one")
    assert "One group of works centres on merging visual tokens ⟦cite:kp4,kp3⟧." in text
    assert "Another group centres on frame selection ⟦cite:kp1,kp2⟧." in text
    assert (
        "TokenSqueeze ⟦cite:kp3⟧ merges visual tokens to fit long videos into a small token budget." in text
    )
    assert "FrameNet ⟦cite:kp1⟧ is a frame selection method that picks the frames a question needs." in text
    assert "KeyPick ⟦cite:kp2⟧ is a frame selection approach for long video question answering." in text
    for bad in (
        "novel",
        "simple yet",
        "these challenges",
        " we ",
        " our ",
        "Further methods include",
        "analyse",
    ):
        assert bad not in text, bad
    assert "As for the benchmark, LongBench-V ⟦cite:kp7⟧ is a benchmark of 2,000 questions" in text
    assert set(re.findall(r"cite:k(p\d)", text)) == set(ABSTRACTS)  # every paper cited
    checked = check_paragraph(node, text, {f"k{p.id}": p for p in papers}, {f"k{p.id}" for p in papers})
    assert all(s.supported for s in checked.sentences), [s.missing for s in checked.sentences]


def test_contribution_clauses_are_cleaned() -> None:
    p = Paper(
        id="x",
        title="A Long Title Without Any Name",
        abstract="We propose X, a novel model that addresses these issues by using Y.",
    )
    assert contribution(p) == ("propose", "X, a model using Y")
    assert paper_sentence(p, "k", "One work") == "One work ⟦cite:k⟧ proposes X, a model using Y."
    same = Paper(
        id="y", title="SeeU: Seeing", abstract="We propose SeeU, a novel approach that learns dynamics."
    )
    assert paper_sentence(same, "k", "One work") == "SeeU ⟦cite:k⟧ is an approach that learns dynamics."
    back = Paper(id="z", title="Z", abstract="We evaluate the proposed approach on many benchmarks.")
    assert contribution(back) is None
    assert number_words(31) == "thirty-one" and number_words(1) == "one" and number_words(120) == "120"


def test_acronyms_count_for_their_expansions_and_list_names_for_their_papers() -> None:
    node = Node(id="n", name="Anomaly")
    paper = Paper(
        id="a",
        title="Watching Crowds",
        abstract="We study video anomaly detection with multimodal large language models on surveillance.",
        acronym="CrowdWatch",  # the name a list gives it, not in its abstract
    )
    text = from_latex(r"CrowdWatch~\cite{ka} studies VAD with MLLMs on surveillance.")
    assert check_paragraph(node, text, {"ka": paper}, {"ka"}).sentences[0].supported
    other = Paper(id="b", title="T", abstract="We study VAD with MLLMs on surveillance footage.")
    text = from_latex(
        r"One work~\cite{kb} studies video anomaly detection with multimodal large language models."
    )
    assert check_paragraph(node, text, {"kb": other}, {"kb"}).sentences[0].supported
    made_up = from_latex(r"One work~\cite{kb} cures QTP with blockchain ledgers.")
    assert not check_paragraph(node, made_up, {"kb": other}, {"kb"}).sentences[0].supported
    assert "vad" in initialisms("video anomaly detection") and "mllm" in initialisms(
        "multi-modal large language model"
    )


def test_llm_request_carries_names_and_abstracts() -> None:
    paper = Paper(id="a", title="FrameNet: Frame Selection", abstract="We propose FrameNet.", acronym="FN")
    messages = llm_messages(Node(id="n", name="Efficient"), [(paper, "k1")])
    user = messages[1]["content"]
    assert (
        "- key: k1\n  name: FN\n  title: FrameNet: Frame Selection\n  abstract: We propose FrameNet." in user
    )
    assert "group the papers by approach" in messages[0]["content"]


def test_every_prompt_is_a_template_a_workspace_overrides(tmp_path: Path) -> None:
    """The drafter's and the taxonomy suggestions' messages come from prompts/ templates, rendered
    as the code built them before; a workspace's own prompts/ folder overrides any of them."""
    from surveyor.evolve import assign_messages, name_messages

    paper = Paper(id="a", title="FrameNet", abstract="We propose {{papers}} FrameNet.")
    node = Node(id="n", name="Efficient", description="Fast models.")
    user = llm_messages(node, [(paper, "k1")])[1]["content"]
    assert user.startswith("Category: Efficient\nDescription: Fast models.\n\nPapers:\n- key: k1\n")
    assert user.endswith("abstract: We propose {{papers}} FrameNet.")  # text in a value is not refilled
    named = name_messages("Survey topic: video", [paper], ["frame", "select"])[1]["content"]
    assert named.startswith(
        "Survey topic: video\n\nTerms that set the group apart: frame, select\n\nPapers:\n"
    )
    sort = assign_messages([("new", "New", "Newer things")], [paper])[1]["content"]
    assert sort.startswith("Proposed categories:\n- new: New - Newer things\n\nPapers:\n- id: a\n")
    own = tmp_path / "prompts"
    own.mkdir()
    (own / "draft_system.md").write_text("Write tersely.\n")
    (own / "draft_user.md").write_text("Node {{name}}:\n{{papers}}\n")
    (own / "sort_papers_system.md").write_text("Sort them.\n")
    system, user = (m["content"] for m in llm_messages(node, [(paper, "k1")], own))
    assert system == "Write tersely." and user.startswith("Node Efficient:\n- key: k1")
    assert assign_messages([("new", "New", "")], [paper], own)[0]["content"] == "Sort them."
    assert name_messages("c", [paper], [], prompts=own)[0]["content"].startswith("You")  # shipped one


def test_example_draft_is_prose_with_every_citation_checked(built: Workspace) -> None:  # noqa: F811
    report, _ = draft(built)
    md = (built.output_dir / "survey" / "related-work.md").read_text().split("## References")[0]
    for bad in ("Further methods include", "1 analyse", "addresses towards", " we ", " our "):
        assert bad not in md, bad
    assert report.citing > 100 and report.unsupported_share < 0.05 and not report.removed
