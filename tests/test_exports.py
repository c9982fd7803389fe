"""Exports people publish: the Awesome README (golden files, awesome-lint), the LaTeX survey (golden
file, forest figure, real pdflatex + bibtex, the .bbl for arXiv), pandoc conversions, and the
related-work draft with verified citations. Tools that are not installed skip with the reason."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CLI, ROOT, run_cli, write_workspace
from fake_openai import FakeOpenAI
from test_graph_latex import bibitems

from surveyor.draft import check_paragraph, from_latex
from surveyor.export.awesome import LINT_PASS, md_escape, title_case
from surveyor.export.latex import cite_keys
from surveyor.export.tools import which_pandoc
from surveyor.models import Classification, Label, Paper
from surveyor.pipeline import draft, export
from surveyor.store import Workspace
from surveyor.taxonomy import Node
from surveyor.text import untex

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SURVEYOR_UPDATE_GOLDEN") == "1"
HAVE_TEX = bool(shutil.which("pdflatex") and shutil.which("bibtex"))
needs_tex = pytest.mark.skipif(
    not HAVE_TEX,
    reason="pdflatex/bibtex not installed (Debian: texlive-latex-extra lmodern; .ci/run installs them)",
)


def awesome_lint_bin() -> str | None:
    """awesome-lint 2.3.0: $SURVEYOR_AWESOME_LINT, the copy .ci/run installs, or one on PATH."""
    candidates = [
        os.environ.get("SURVEYOR_AWESOME_LINT"),
        str(ROOT / ".ci/node/node_modules/.bin/awesome-lint"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("awesome-lint")


needs_awesome_lint = pytest.mark.skipif(
    awesome_lint_bin() is None,
    reason="awesome-lint not installed (.ci/run: npm install --prefix .ci/node awesome-lint@2.3.0)",
)
needs_pandoc = pytest.mark.skipif(
    which_pandoc() is None,
    reason="pandoc not installed (pip install pypandoc-binary, or apt-get install pandoc)",
)

TAXONOMY = """\
name: Hostile fixture
description: A small taxonomy for papers whose titles and names try to break every output format.
nodes:
  - id: watch
    name: Watching
    description: Seeing what happens in a video.
    children:
      - id: watch-stream
        name: Streaming
        description: Live video, frame by frame.
      - id: watch-sports
        name: Sports & games!
        description: Sports video, with a name that ends in punctuation.
  - id: remember
    name: Remembering
    description: Keeping long videos in mind.
    children:
      - id: remember-offline
        name: Offline memory
        description: Memory for recorded video.
      - id: remember-empty
        name: Empty node
        description: No paper lands here.
"""
# paper -> (node, confidence) labels; several papers sit under two nodes (one home, one cross-reference)
LABELS = {
    "2401.00001": [("watch-stream", 0.9), ("remember-offline", 0.6)],
    "2401.00002": [("remember-offline", 0.8)],
    "2401.00003": [("watch-sports", 0.95), ("watch-stream", 0.5)],
    "2402.00004": [("watch-stream", 0.7), ("remember-offline", 0.7)],
    "2402.00005": [("watch-stream", 0.6)],
    "t-nolink0001": [("remember-offline", 1.0)],
}


def hostile_workspace(root: Path, style: str = "bullets") -> Workspace:
    """The hostile papers (tests/fixtures/hostile_papers.jsonl) with human labels, no classifier."""
    config = f'[export]\nstyle = "{style}"\n'
    ws = Workspace(write_workspace(root, config, TAXONOMY))
    papers = [
        Paper.model_validate_json(line)
        for line in (FIXTURES / "hostile_papers.jsonl").read_text().splitlines()
    ]
    ws.save_papers(papers)
    kinds = {"2401.00002": "benchmark"}
    ws.save_decisions(
        Classification(
            paper=pid,
            labels=[Label(node=n, confidence=c, evidence="") for n, c in labels],
            paper_type=kinds.get(pid, "method"),  # type: ignore[arg-type]
            backend="human",
            model="fixture",
            taxonomy_hash=ws.taxonomy.hash,
            run_id="fixture",
            time="2026-01-01T00:00:00Z",
        )
        for pid, labels in LABELS.items()
    )
    return ws


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; SURVEYOR_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing {path}: run with SURVEYOR_UPDATE_GOLDEN=1 and review the file"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: review, then SURVEYOR_UPDATE_GOLDEN=1"


def awesome_lint(folder: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run awesome-lint on folder/README.md inside a fresh git repository whose origin is on GitHub
    (its `awesome-github` rule needs one)."""
    repo = tmp_path / "lint-repo"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir()
    for item in folder.iterdir():
        if item.name in ("README.md", "contributing.md", "assets"):
            (shutil.copytree if item.is_dir() else shutil.copy)(item, repo / item.name)
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/surveyor-tests/awesome-fixture.git"],
        cwd=repo,
        check=True,
    )
    subprocess.run(["git", "config", "branch.main.remote", "origin"], cwd=repo, check=True)
    lint = awesome_lint_bin()
    assert lint
    return subprocess.run([lint, "README.md"], cwd=repo, capture_output=True, text=True, timeout=300)


# --- README -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["bullets", "table"])
def test_hostile_readme_matches_golden_and_is_deterministic(tmp_path: Path, style: str) -> None:
    ws = hostile_workspace(tmp_path / "ws", style)
    export(ws, "awesome")
    readme = (ws.output_dir / "README.md").read_text()
    golden(f"hostile-README-{style}.md", readme)
    export(ws, "awesome")
    assert (ws.output_dir / "README.md").read_text() == readme
    # every paper listed exactly once with its link; cross-references carry no link
    for pid in LABELS:
        if pid.startswith("24"):
            assert readme.count(f"https://arxiv.org/abs/{pid})") == 1, pid
    assert readme.count("listed under") == 3
    assert "Pipes \\| Stars \\* Under\\_scores \\[Brackets\\] \\<tags\\> and \\`code\\` in Video" in readme
    assert 'What?? Really!! A "Quoted Benchmark' in readme  # the title as its authors wrote it ...
    assert "\u200b" not in readme and "″" not in readme  # ... and awesome-lint told to pass over its list
    assert readme.count(LINT_PASS) == (1 if style == "bullets" else 0)  # (tables are outside those rules)
    assert "Just Dance with π! PiNet" in readme  # LaTeX in a title read as text
    assert "## Sports & games\n" in readme and "[Sports & games](#sports--games)" in readme
    assert readme.count("github.com/example/pipenet") == 1  # a repository two papers share is linked once
    assert (ws.output_dir / "contributing.md").is_file()
    assert (ws.output_dir / "assets" / "papers-per-year.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        ws.output_dir / "assets" / "papers-per-year.csv"
    ).read_text() == "year,Watching,Remembering\n2023,0,1\n2024,4,1\nno year,0,0\n"  # one count a paper


def test_table_pipes_are_aligned(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws", "table")
    export(ws, "awesome")
    lines = (ws.output_dir / "README.md").read_text().splitlines()
    tables: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    tables = [t for t in tables if t]
    assert len(tables) >= 4
    for table in tables:
        pipes = {tuple(i for i, ch in enumerate(row) if ch == "|" and row[i - 1] != "\\") for row in table}
        assert len(pipes) == 1, table


def test_hand_written_text_survives_byte_for_byte(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    export(ws, "awesome")
    path = ws.output_dir / "README.md"
    text = path.read_text()
    badge = "[![Awesome](https://awesome.re/badge.svg)](https://awesome.re)"
    mine_top = f"# My Own Title {badge}\n\nMy intro, *mine*.\n\n"
    mine_end = "\n## Acknowledgements\n\nThanks   to   everyone.  \n"
    path.write_text(mine_top + text[text.index("<!-- surveyor:begin -->") :] + mine_end)
    export(ws, "awesome")
    again = path.read_text()
    assert again.startswith(mine_top) and again.endswith(mine_end)


@needs_awesome_lint
@pytest.mark.parametrize("style", ["bullets", "table"])
def test_hostile_readme_passes_awesome_lint(tmp_path: Path, style: str) -> None:
    ws = hostile_workspace(tmp_path / "ws", style)
    export(ws, "awesome")
    result = awesome_lint(ws.output_dir, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_awesome_lint
def test_awesome_lint_catches_a_broken_list(tmp_path: Path) -> None:
    """The lint run is real: a duplicated main link and a missing contributing.md both fail it."""
    ws = hostile_workspace(tmp_path / "ws")
    export(ws, "awesome")
    readme = ws.output_dir / "README.md"
    readme.write_text(readme.read_text() + "\n- [Again](https://arxiv.org/abs/2401.00002) - Duplicate.\n")
    (ws.output_dir / "contributing.md").unlink()
    result = awesome_lint(ws.output_dir, tmp_path)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "Duplicate link" in out and "contributing" in out.lower()


@needs_awesome_lint
@pytest.mark.slow
def test_example_readme_passes_awesome_lint(tmp_path: Path) -> None:
    result = awesome_lint(ROOT / "output" / "video-understanding", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_title_case_for_the_lists_heading() -> None:
    assert title_case("awesome video understanding with LLMs") == "Awesome Video Understanding with LLMs"
    assert title_case("test list of human-view papers") == "Test List of Human-View Papers"


def test_md_escape_keeps_text_readable() -> None:
    assert (
        md_escape("a | b * c _ d [e] <f> `g` #h ~i")
        == "a \\| b \\* c \\_ d \\[e\\] \\<f\\> \\`g\\` \\#h \\~i"
    )
    assert md_escape('He said "hi" twice?!') == 'He said "hi" twice?!'
    assert untex(r"\textbf{Bold} \& $\alpha$-Net costs 5\%") == "Bold & α-Net costs 5%"


# --- LaTeX ------------------------------------------------------------------------------------------
def test_hostile_main_tex_and_bib_match_golden(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    export(ws, "survey")
    main = (ws.output_dir / "survey" / "main.tex").read_text()
    bib = (ws.output_dir / "survey" / "references.bib").read_text()
    golden("hostile-main.tex", main)
    golden("hostile-references.bib", bib)
    assert "\\begin{forest}" in main and "\\label{fig:taxonomy}" in main
    assert (
        "@inproceedings{obrien2024pipes," in bib
        and "primaryClass = {cs.CV}" in bib
        and "eprint = {2401.00001}" in bib
    )
    assert "@misc{Smith:2023:memory," in bib  # the author's own .bib key is kept


def test_user_bib_keys_are_kept_and_generated_keys_avoid_them() -> None:
    papers = [
        Paper(id="a", title="Alpha Model", authors=["Ann Lee"], year=2024, bibkey="lee2024alpha"),
        Paper(id="b", title="Alpha Model Two", authors=["Ann Lee"], year=2024),
        Paper(id="c", title="Gamma", bibkey="lee2024alpha"),  # a clash in the author's file: first wins
    ]
    keys = cite_keys(papers)
    assert keys["a"] == "lee2024alpha"
    assert len(set(keys.values())) == 3 and keys["b"].startswith("lee2024alpha")


@needs_tex
@pytest.mark.slow
def test_hostile_survey_compiles_with_figure_and_bbl_is_stable(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    written = export(ws, "survey", arxiv=True)
    folder = ws.output_dir / "survey"
    bbl = (folder / "main.bbl").read_text()
    assert (folder / "main.bbl", True) in written
    for key in re.findall(r"\\cite\{([^}]*)\}", (folder / "main.tex").read_text()):
        assert set(key.split(",")) <= bibitems(bbl)
    assert export(ws, "survey", arxiv=True)[-1] == (folder / "main.bbl", False)  # byte-identical


def test_arxiv_without_tex_says_what_is_missing(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    env = {
        **os.environ,
        "PATH": str(tmp_path / "empty-bin"),
        "PYTHONPATH": str(ROOT),
    }  # no pdflatex, no bibtex
    done = subprocess.run(
        [*CLI, "export", "survey", "--arxiv", "-w", str(ws.root)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert "pdflatex and bibtex not found" in done.stderr and "texlive" in done.stderr
    assert "Traceback" not in done.stderr


# --- pandoc -----------------------------------------------------------------------------------------
@needs_pandoc
def test_pandoc_docx_html_md_round_trip(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    export(ws, "survey", to=["docx", "html", "md"])
    folder = ws.output_dir / "survey"
    docx = folder / "survey.docx"
    assert docx.read_bytes()[:2] == b"PK"
    back = subprocess.run(
        [which_pandoc() or "pandoc", str(docx), "-t", "plain"], capture_output=True, text=True, check=True
    ).stdout
    assert "Offline memory" in back and "Streaming" in back
    assert "A Paper Without Any Link" in back  # a citation resolved to its reference
    assert "forest" not in back  # the figure's source is left out, not printed
    assert "<h2" in (folder / "survey.html").read_text() or "<h1" in (folder / "survey.html").read_text()
    assert "Remembering" in (folder / "survey.md").read_text()


def test_unknown_pandoc_format_is_a_clear_error(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    result = run_cli("export", "survey", "--to", "pdf", "-w", str(ws.root))
    assert result.returncode == 1 and "unknown format `pdf`" in result.stderr and "docx" in result.stderr


# --- related work -----------------------------------------------------------------------------------
def test_offline_draft_cites_only_the_nodes_papers_and_flags_nothing_it_made_up(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    report, _written = draft(ws)
    tex = (ws.output_dir / "survey" / "related-work.tex").read_text()
    bib = (ws.output_dir / "survey" / "references.bib").read_text()
    bib_keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.MULTILINE))
    cited = {k for group in re.findall(r"\\cite\{([^}]*)\}", tex) for k in group.split(",")}
    assert cited and cited <= bib_keys
    assert report.citing > 0 and report.unsupported == 0 and not report.removed
    assert "PipeNet" in tex and "proposes PipeNet, a streaming video model" in tex
    assert not re.search(r"\\cite\{[^}]*\}\w", tex)  # a space after each citation
    md = (ws.output_dir / "survey" / "related-work.md").read_text()
    assert "## Offline memory" in md and "## References" in md
    draft(ws)
    assert (ws.output_dir / "survey" / "related-work.tex").read_text() == tex  # deterministic
    only, _ = draft(ws, node="remember")
    assert {d.node for d in only.drafts} == {"remember-offline"}


def test_checks_remove_foreign_citations_and_flag_unsupported_claims() -> None:
    node = Node(id="n", name="Streaming")
    a = Paper(id="a", title="FlowNet: fast video", abstract="We propose FlowNet, a fast video model.")
    text = from_latex(
        r"FlowNet~\cite{ka} proposes a fast video model. "
        r"FlowNet~\cite{ka,ghost2099} achieves state-of-the-art quantum teleportation results. "
        r"Memory is studied~\cite{kb}."
    )
    checked = check_paragraph(node, text, {"ka": a}, {"ka", "kb"})
    assert checked.removed == [
        ("ghost2099", "not in references.bib"),
        ("kb", "not one of this node's papers"),
    ]
    first, second, third = checked.sentences
    assert first.supported and first.cites == ["ka"]
    assert not second.supported and {"quantum", "teleportation"} <= set(second.missing)
    assert third.cites == [] and "\\cite" not in third.text and "⟦" not in third.text


def test_openai_draft_is_grounded_and_checked(tmp_path: Path) -> None:
    """A real HTTP server on 127.0.0.1 answers in the chat-completions format (synthetic replies): one
    paragraph cites a real key, a key from another node and an invented key, and makes one claim no
    abstract supports."""

    def writer(_title: str, prompt: str) -> dict[str, object]:
        keys = re.findall(r"- key: (\S+)", prompt)
        return {
            "paragraph": f"Streaming models are studied~\\cite{{{keys[0]}}}. "
            f"One of them cures cancer with blockchain~\\cite{{{keys[0]},invented2030}}. "
            "Others exist~\\cite{Smith:2023:memory}."
        }

    with FakeOpenAI(writer) as fake:
        ws = hostile_workspace(tmp_path / "ws")
        cfg = ws.root / "surveyor.toml"
        cfg.write_text(cfg.read_text() + f'[llm]\nbase_url = "{fake.url}"\napi_key = "sk-test-draft"\n')
        ws = Workspace(ws.root)
        report, _ = draft(ws, node="watch-stream", backend="openai")
        bodies = fake.chat_requests()
        again, _ = draft(ws, node="watch-stream", backend="openai")
    assert len(bodies) == 1 and again.requests == 0  # cached
    prompt = bodies[0]["messages"][1]["content"]
    assert "Category: Streaming" in prompt and "PipeNet, a streaming video model" in prompt
    assert ("watch-stream", "invented2030", "not in references.bib") in report.removed
    assert ("watch-stream", "Smith:2023:memory", "not one of this node's papers") in report.removed
    assert report.citing == 2 and report.unsupported == 1
    tex = (ws.output_dir / "survey" / "related-work.tex").read_text()
    assert "% UNSUPPORTED" in tex and "blockchain" in tex and "invented2030" not in tex
    assert "sk-test-draft" not in tex + json.dumps(bodies)


@pytest.mark.slow
def test_draft_cli_reports_share_and_rejects_unknown_node(tmp_path: Path) -> None:
    ws = hostile_workspace(tmp_path / "ws")
    ok = run_cli("draft", "-w", str(ws.root))
    assert ok.returncode == 0 and "unsupported by their abstracts (0%)" in ok.stdout
    bad = run_cli("draft", "--node", "nope", "-w", str(ws.root))
    assert bad.returncode == 1 and "no node `nope`" in bad.stderr and "watch-stream" in bad.stderr


# --- the bundled example ------------------------------------------------------------------------------
@needs_tex
def test_example_build_ships_a_bbl_and_chart_data(built_example_once: Path) -> None:
    out = built_example_once.parent.parent / "output" / "video-understanding"
    committed = ROOT / "output" / "video-understanding"
    for name in ("survey/main.bbl", "assets/papers-per-year.csv"):
        assert (out / name).read_text() == (committed / name).read_text(), f"{name} is stale"


def test_markdown_citations_keep_keys_with_markdown_specials() -> None:
    from surveyor.draft import Checked, NodeDraft, to_markdown

    paper = Paper(id="p", title="A_b *c*", arxiv_id="2401.00009")
    draft_ = NodeDraft("n", "Node", [Checked("Work_x ⟦cite:my_key⟧ does *this*.", ["my_key"])])
    md = to_markdown([draft_], {"my_key": paper})
    assert "Work\\_x [[1](#ref-my-key)] does \\*this\\*." in md
    assert '1. <a id="ref-my-key"></a>[A\\_b \\*c\\*](https://arxiv.org/abs/2401.00009)' in md
