"""End to end on the bundled example: build, idempotence, golden output, human decisions, resume."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from conftest import ROOT, human_decision, kill_mid_run, write_workspace
from typer.testing import CliRunner

from surveyor.classify.runner import classify_workspace
from surveyor.cli import app
from surveyor.errors import WorkspaceError
from surveyor.models import Paper
from surveyor.pipeline import export, status
from surveyor.store import Workspace

runner = CliRunner()


def snapshot(*dirs: Path) -> dict[str, str]:
    out = {}
    for d in dirs:
        for path in sorted(d.rglob("*")):
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def test_build_example_labels_every_paper_and_is_byte_stable(built_example: Path) -> None:
    example = built_example  # built once per session (conftest); built again here through the CLI
    ws = Workspace(example)
    papers = ws.load_papers()
    labels = ws.load_labels()
    assert len(papers) == 380
    assert set(labels) == set(papers)
    for rec in labels.values():
        assert rec.out_of_scope or rec.labels, rec.paper
        assert rec.out_of_scope == (rec.reason is not None)
        for label in rec.labels:
            assert label.node in ws.taxonomy and 0 <= label.confidence <= 1
            paper = papers[rec.paper]
            assert label.evidence and label.evidence in paper.text
    assert 0 < sum(r.out_of_scope for r in labels.values()) < len(labels)
    before = snapshot(ws.data_dir, ws.output_dir)
    again = runner.invoke(app, ["build", str(example)])
    assert again.exit_code == 0
    assert "classified 0" in again.output and "unchanged" in again.output
    assert snapshot(ws.data_dir, ws.output_dir) == before


def test_committed_example_output_is_current(built_example_once: Path) -> None:
    """output/video-understanding/ in the repository is exactly what `build` writes now."""
    generated = built_example_once.parent.parent / "output" / "video-understanding"
    committed = ROOT / "output" / "video-understanding"
    names = sorted(p.relative_to(generated).as_posix() for p in generated.rglob("*") if p.is_file())
    expected = [
        "README.md",
        "assets/papers-per-year.csv",
        "assets/papers-per-year.png",
        "contributing.md",
        "graph/benchmarks.mmd",
        "graph/benchmarks.svg",
        "graph/graph.dot",
        "graph/graph.graphml",
        "graph/graph.json",
        "survey/main.bbl",  # where TeX is installed: the example sets [export] arxiv
        "survey/main.tex",
        "survey/references.bib",
    ]
    if not (shutil.which("pdflatex") and shutil.which("bibtex")):
        expected.remove("survey/main.bbl")  # compared by test_example_build_ships_a_bbl_and_chart_data
    assert names == expected
    for name in names:
        if name.endswith(".png"):  # pixels depend on the matplotlib build; its data (.csv) is compared
            continue
        assert (generated / name).read_text() == (committed / name).read_text(), (
            f"{name} is stale: run `surveyor build examples/video-understanding` and commit"
        )


def test_example_readme_content(built_example_once: Path) -> None:
    output = built_example_once.parent.parent / "output" / "video-understanding"
    readme = (output / "README.md").read_text()
    assert readme.startswith("# Awesome Human-View Video Understanding")
    for heading in (
        "## Watching",
        "### Streaming memory",
        "### Thinking with videos",
        "## Datasets and benchmarks",
    ):
        assert heading in readme
    assert (
        "- [Video Anomaly Detection with Semantics-Aware Information Bottleneck]"
        "(https://arxiv.org/abs/2506.02535) - 2025." in readme
    )
    assert "ICCV 2025." in readme  # venue parsed from a comment


def _tiny(tmp_path: Path) -> Workspace:
    ws = Workspace(write_workspace(tmp_path / "ws"))
    papers = [
        Paper(
            id="p1",
            title="StreamMem: streaming video memory for live video assistants",
            abstract="We answer questions about live streaming video in real time with a memory.",
        ),
        Paper(
            id="p2",
            title="Sports commentary from video",
            abstract="We generate soccer commentary for sports broadcast video.",
        ),
        Paper(
            id="p3",
            title="Protein folding with transformers",
            abstract="We predict protein structures from sequences.",
        ),
    ]
    ws.save_papers(papers)
    return ws


def test_out_of_scope_and_labels(tmp_path: Path) -> None:
    ws = _tiny(tmp_path)
    classify_workspace(ws)
    labels = ws.load_labels()
    assert labels["p3"].out_of_scope and "scope" in (labels["p3"].reason or "")
    assert labels["p1"].labels[0].node == "remember-streaming"
    assert labels["p2"].labels[0].node == "app-sports"


def test_human_decision_wins_and_is_never_overwritten(tmp_path: Path) -> None:
    ws = _tiny(tmp_path)
    human = human_decision("p2", "watch-fine", by="alice")
    ws.save_decisions([human])
    decisions_before = ws.decisions_path.read_bytes()
    report = classify_workspace(ws, relabel=True)
    assert report.human == 1 and "p2" not in ws.load_labels()
    assert ws.decisions_path.read_bytes() == decisions_before
    path, _ = export(ws, "awesome")[0]
    text = path.read_text()
    fine = text.split("### Fine-grained perception")[1].split("###")[0]
    assert "Sports commentary from video" in fine
    assert "Sports commentary" not in text.split("### Sports")[1].split("###")[0]
    assert status(ws)["human_decisions"] == 1


def test_taxonomy_change_makes_machine_labels_stale(tmp_path: Path) -> None:
    ws = _tiny(tmp_path)
    classify_workspace(ws)
    assert classify_workspace(ws).classified == 0
    tax = ws.root / "taxonomy.yaml"
    tax.write_text(tax.read_text().replace("name: Sports", "name: Sport"))
    assert classify_workspace(Workspace(ws.root)).classified == 3


def test_readme_keeps_hand_written_text_outside_markers(tmp_path: Path) -> None:
    ws = _tiny(tmp_path)
    classify_workspace(ws)
    path, _ = export(ws, "awesome")[0]
    text = path.read_text()
    edited = (
        text.replace("# Test List ", "# My own title\n\nHand-written *intro*.\n\n# ")
        + "\n## Acknowledgements\nThanks.\n"
    )
    path.write_text(edited)
    assert export(ws, "awesome")[0] == (path, False) and path.read_text() == edited


def _big_workspace(tmp_path: Path, n: int, config: str = "") -> Workspace:
    ws = Workspace(write_workspace(tmp_path / "big", config))
    words = [
        "streaming",
        "video",
        "memory",
        "temporal",
        "grounding",
        "egocentric",
        "sports",
        "captioning",
        "audio",
    ]
    papers = [
        Paper(
            id=f"2401.{i:05d}",
            arxiv_id=f"2401.{i:05d}",
            title=f"Video paper {i} on {words[i % len(words)]} and {words[(i * 7) % len(words)]}",
            abstract=" ".join(f"We study {words[(i + k) % len(words)]} in long videos." for k in range(40)),
        )
        for i in range(n)
    ]
    ws.save_papers(papers)
    return ws


@pytest.mark.slow
def test_kill_9_past_several_checkpoints_then_resume_loses_nothing(tmp_path: Path) -> None:
    """Killed after three checkpoints and 50 more verdicts: the rerun redoes none of them."""
    ws = _big_workspace(tmp_path, 4000, "[classify]\ncheckpoint_every = 100\n")
    finished = kill_mid_run(ws.root, min_lines=50, min_saved=300)
    journal = ws.state_dir / "journal-labels.jsonl"
    assert 349 <= len(finished) < 4000, "the kill must land mid-run, past three checkpoints"
    first_run = finished[0]["run_id"]
    report = classify_workspace(Workspace(ws.root))
    labels = ws.load_labels()
    assert len(labels) == 4000
    assert report.classified == 4000 - report.up_to_date
    assert report.up_to_date >= len(finished)
    for rec in finished:  # finished papers were not classified again
        assert labels[rec["paper"]].run_id == first_run
    assert not journal.exists()
    runs = ws.load_runs()
    assert [r.status for r in runs] == ["interrupted", "done"]
    assert runs[0].papers >= len(finished)
    assert runs[0].papers + runs[1].papers == 4000


def test_shared_reads_follow_every_change_to_the_files(tmp_path: Path) -> None:
    """Papers, labels and decisions are read with unchanged lines remembered (an update reads them
    ~24 times): a line written since, by surveyor or by hand, is read again, and a bad one is still
    an error naming its line."""
    ws = Workspace(write_workspace(tmp_path / "ws"))
    ws.save_papers([Paper(id="p1", title="First paper"), Paper(id="p2", title="Second paper")])
    before = ws.load_papers()
    again = ws.load_papers()
    assert again["p1"] is before["p1"] and again["p2"] is before["p2"]
    ws.save_papers([before["p1"], before["p2"].model_copy(update={"title": "Second paper, revised"})])
    after = ws.load_papers()
    assert after["p1"] is before["p1"] and after["p2"].title == "Second paper, revised"
    lines = ws.papers_path.read_text().splitlines()
    ws.papers_path.write_text(
        lines[0].replace("First paper", "First paper, by hand") + "\n" + lines[1] + "\n"
    )
    assert ws.load_papers()["p1"].title == "First paper, by hand"
    ws.papers_path.write_text(ws.papers_path.read_text() + '{"id": "p3", "title": 12}\n')
    with pytest.raises(WorkspaceError, match=r"papers\.jsonl:3"):
        ws.load_papers()
    decision = human_decision("p1", "app-anomaly")
    ws.save_decisions([decision])
    assert ws.load_decisions()["p1"].labels[0].node == "app-anomaly"
    ws.decisions_path.write_text('{"paper": "p1", "out_of_scope": true}\n')  # as a person writes it
    assert ws.load_decisions()["p1"].out_of_scope and ws.load_decisions()["p1"].model == "hand-edited"


def test_remembered_decisions_follow_hand_edits_and_the_taxonomy(tmp_path: Path) -> None:
    """What each decision line says is remembered between reads, under the taxonomy's hash: a line
    edited by hand between two reads is read again, and an edit to the taxonomy checks every line
    against it again (a node renamed away is an error naming the line)."""
    ws = Workspace(write_workspace(tmp_path / "ws"))
    path = ws.decisions_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '{"paper": "p1", "labels": [{"node": "app-sports"}]}\n{"paper": "p2", "out_of_scope": true}\n'
    )
    first = ws.load_decisions()
    assert ws.load_decisions()["p1"] is first["p1"]  # remembered
    path.write_text(path.read_text().replace("app-sports", "app-medical"))  # by hand
    edited = ws.load_decisions()
    assert edited["p1"].labels[0].node == "app-medical" and edited["p2"] is first["p2"]
    tax = ws.root / "taxonomy.yaml"
    tax.write_text(tax.read_text().replace("id: app-medical", "id: app-health"))
    with pytest.raises(WorkspaceError, match=r"decisions\.jsonl:1: `app-medical` is not a node"):
        ws.load_decisions()
    path.write_text(path.read_text().replace("app-medical", "app-health"))
    assert ws.load_decisions()["p1"].labels[0].node == "app-health"
    tax.write_text(tax.read_text().replace("id: app-health", "id: app-medical"))
    with pytest.raises(WorkspaceError, match=r"decisions\.jsonl:1: `app-health` is not a node"):
        ws.load_decisions()
