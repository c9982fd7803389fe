"""Taxonomy evolution on the bundled example: suggest writes a reviewable patch, apply re-classifies
only what it touches and keeps human labels, the reverse patch restores the labels exactly, diff
maps old ids to new, bootstrap proposes a loadable first taxonomy."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli
from fake_openai import FakeOpenAI

from surveyor.evolve import (
    MIN_GROUP,
    SWELL_HISTORY,
    apply_patch,
    bootstrap,
    candidates,
    diff_workspace,
    suggest_workspace,
    swollen,
)
from surveyor.models import Classification, Paper
from surveyor.review import decide
from surveyor.store import Workspace
from surveyor.taxonomy import parse_taxonomy


def _group(pattern: str, text: str) -> str:
    """The first group of `pattern`'s first match in `text` (one per line)."""
    found = re.search(pattern, text, re.M)
    assert found is not None, pattern
    return found.group(1)


@pytest.fixture
def built(built_example: Path) -> Workspace:
    """The built example (a copy), with its own taxonomy file and no survey compilation."""
    example = built_example
    cfg = example / "surveyor.toml"
    cfg.write_text(cfg.read_text().replace("arxiv = true", "arxiv = false"))  # no TeX needed here
    (example.parent.parent / "output" / "video-understanding" / "survey" / "main.bbl").unlink(missing_ok=True)
    shutil.copy(example.parent.parent / "taxonomies" / "video-understanding.yaml", example / "taxonomy.yaml")
    cfg.write_text(
        cfg.read_text().replace(
            'taxonomy = "../../taxonomies/video-understanding.yaml"', 'taxonomy = "taxonomy.yaml"'
        )
    )
    return Workspace(example)


@pytest.mark.slow
def test_suggest_apply_reverse_restores_labels_and_keeps_human_ones(built: Workspace) -> None:
    ws = built
    some = sorted(ws.load_labels())[:2]
    decide(ws, some[0], ["reason-visual"])
    decide(ws, some[1], [], out_of_scope=True)
    human_before = (ws.data_dir / "decisions.jsonl").read_text()
    labels_before = (ws.data_dir / "labels.jsonl").read_text()
    proposals, patch, report = suggest_workspace(ws)
    assert report is None  # offline
    assert 1 <= len(proposals) <= 5
    for p in proposals:
        assert p.members and p.keywords and p.name and (p.parent is None or p.parent in ws.taxonomy)
    result = run_cli("taxonomy", "suggest", "-w", str(ws.root))
    assert result.returncode == 0, result.stderr
    path = ws.root / "taxonomy-patch.yaml"
    assert yaml.safe_load(path.read_text()) == patch and path.read_text().startswith("# Proposed")
    assert (ws.data_dir / "labels.jsonl").read_text() == labels_before  # nothing changes until applied

    applied = run_cli("taxonomy", "apply", str(path), "-w", str(ws.root))
    assert applied.returncode == 0, applied.stderr
    new = Workspace(ws.root)
    added = {p.node for p in proposals if p.op == "add"}
    assert added <= {n.id for n in new.taxonomy.iter_nodes()}
    assert (new.data_dir / "decisions.jsonl").read_text() == human_before
    labels = new.load_labels()
    assert {r.taxonomy_hash for r in labels.values()} == {new.taxonomy.hash}  # the version on every label
    assert any(lab.node in added for r in labels.values() for lab in r.labels)
    built_by = next(r.id for r in Workspace(ws.root).load_runs() if r.command == "build")
    redone = {pid for pid, r in labels.items() if r.run_id != built_by}
    members = {m for p in proposals for m in p.members}
    assert redone and len(redone) < len(labels)  # only the papers the patch touches were re-classified
    in_added = {pid for pid, r in labels.items() if any(lab.node in added for lab in r.labels)}
    assert not set(redone) - members - in_added

    diff = run_cli("taxonomy", "diff", "-w", str(ws.root))
    assert diff.returncode == 0 and all(f"+ {n}" in diff.stdout for n in added)

    back = run_cli("taxonomy", "apply", str(ws.root / "taxonomy-patch.reverse.yaml"), "-w", str(ws.root))
    assert back.returncode == 0, back.stderr
    assert (ws.data_dir / "labels.jsonl").read_text() == labels_before
    assert (ws.data_dir / "decisions.jsonl").read_text() == human_before
    assert Workspace(ws.root).taxonomy.hash == ws.taxonomy.hash


@pytest.mark.slow
def test_merge_moves_human_labels_with_their_papers(built: Workspace) -> None:
    ws = built
    pid = sorted(ws.load_labels())[0]
    decide(ws, pid, ["app-sports"])
    patch = ws.root / "merge.yaml"
    patch.write_text(
        yaml.safe_dump(
            {"base": ws.taxonomy.hash, "proposals": [{"op": "merge", "node": "app-sports", "into": "apps"}]}
        )
    )
    result = run_cli("taxonomy", "apply", str(patch), "-w", str(ws.root))
    assert result.returncode == 0, result.stderr
    assert "- app-sports (Sports) -> apps" in result.stdout
    after = Workspace(ws.root)
    assert "app-sports" not in after.taxonomy
    assert [lab.node for lab in after.load_decisions()[pid].labels] == ["apps"]
    assert diff_workspace(after) == ["- app-sports (Sports) -> apps"]
    again = run_cli("taxonomy", "apply", str(patch), "-w", str(ws.root))  # e.g. after a kill
    assert again.returncode == 0 and "was applied already" in again.stdout, again.stderr
    assert Workspace(ws.root).taxonomy.hash == after.taxonomy.hash
    other = ws.root / "other.yaml"
    other.write_text(patch.read_text().replace("app-sports", "app-anomaly"))
    stale = run_cli("taxonomy", "apply", str(other), "-w", str(ws.root))
    assert stale.returncode == 1 and "was made for taxonomy" in stale.stderr


def test_bad_patches_are_clear_errors() -> None:
    raw = {"name": "t", "nodes": [{"id": "a", "name": "A", "children": [{"id": "b", "name": "B"}]}]}
    with pytest.raises(Exception, match="no parent node `zz`"):
        apply_patch(
            raw, {"proposals": [{"op": "add", "node": {"id": "c", "name": "C"}, "parent": "zz"}]}, "p.yaml"
        )
    with pytest.raises(Exception, match="exists already"):
        apply_patch(
            raw, {"proposals": [{"op": "add", "node": {"id": "b", "name": "B2"}, "parent": "a"}]}, "p.yaml"
        )
    with pytest.raises(Exception, match="has children"):
        apply_patch(raw, {"proposals": [{"op": "merge", "node": "a", "into": None}]}, "p.yaml")
    done = apply_patch(raw, {"proposals": [{"op": "merge", "node": "b", "into": "a"}]}, "p.yaml")
    again = apply_patch(done.raw, done.reverse, "r.yaml")
    assert parse_taxonomy(again.raw, Path("t")).hash == parse_taxonomy(raw, Path("t")).hash


@pytest.mark.slow
def test_bootstrap_proposes_a_loadable_taxonomy(built: Workspace) -> None:
    papers = [p for _, p in sorted(built.load_papers().items()) if p.has_text]
    raw, report = bootstrap(papers, "Video understanding")
    assert report is None
    tax = parse_taxonomy(raw, Path("proposed.yaml"))
    assert 3 <= len(tax.nodes) <= 8 and all(n.name and n.keywords for n in tax.iter_nodes())
    result = run_cli("taxonomy", "bootstrap", "--topic", "Video understanding", "-w", str(built.root))
    assert result.returncode == 0, result.stderr
    assert (
        parse_taxonomy(yaml.safe_load((built.root / "taxonomy.proposed.yaml").read_text()), Path("x")).name
        == "Video understanding"
    )


# --- with a model: a real HTTP server on 127.0.0.1, synthetic replies in the chat-completions format ---
class Curator:
    """Answers the naming and sorting requests like a model would, and records what it decided."""

    def __init__(self) -> None:
        self.sorted: dict[str, str | None] = {}
        self.misplaced = 0  # the first node named is put under a node that does not exist
        self.lock = threading.Lock()

    def __call__(self, _title: str, prompt: str) -> dict[str, Any]:
        if prompt.startswith("Proposed categories:"):
            nodes = re.findall(r"^- (\S+): ", prompt.split("Papers:")[0], re.M)
            out = []
            for n, pid in enumerate(re.findall(r"^- id: (\S+)", prompt, re.M)):
                choice = [nodes[0], None, nodes[-1]][n % 3]  # a third fit none of the new nodes
                self.sorted[pid] = choice
                out.append({"paper": pid, "category": choice})
            return {"assignments": out}
        terms = _group(r"Terms that set the group apart: (.*)", prompt).split(", ")
        if prompt.startswith("Survey topic:"):
            return {"name": f"Boot {terms[0]}", "description": f"Papers about {terms[0]}."}
        first_id = _group(r"^(\S+): ", prompt.split("\n", 1)[1])
        with self.lock:
            self.misplaced += 1
            parent = "no-such-node" if self.misplaced == 1 else first_id
        return {
            "name": f"Curated {terms[0]}",
            "description": f"Work on {terms[0]}.",
            "parent": parent,
            "reason": "these papers fit no existing node",
        }


def _point_at(ws: Workspace, url: str) -> Workspace:
    cfg = ws.root / "surveyor.toml"
    cfg.write_text(cfg.read_text() + f'[llm]\nbase_url = "{url}"\napi_key = "sk-test-evolve"\n')
    return Workspace(ws.root)


@pytest.mark.slow
def test_suggest_with_a_model_names_places_and_sorts(built: Workspace) -> None:
    offline, _, _ = suggest_workspace(built)
    curator = Curator()
    with FakeOpenAI(curator) as fake:
        ws = _point_at(built, fake.url)
        proposals, patch, report = suggest_workspace(ws, backend="openai")
        bodies = fake.chat_requests()
        _, again, second = suggest_workspace(ws, backend="openai")
    assert report is not None and second is not None and second.requests == 0 and again == patch  # cached
    names = [b for b in bodies if "Terms that set the group apart" in b["messages"][1]["content"]]
    named = [p for p in offline if p.op == "add"] + [
        c for p in offline if p.op == "split" for c in p.children
    ]
    assert len(names) == len(named) and report.requests == len(bodies)
    adds = [p for p in proposals if p.op == "add"]
    assert adds, "the example has badly fitting papers to propose nodes for"
    for p in adds:
        assert p.named_by == ws.config.llm.model and p.name.startswith("Curated ")
        assert p.reason and p.description.startswith("Work on ")
        assert p.node == re.sub(r"[^a-z0-9]+", "-", p.name.lower()).strip("-")[: len(p.node)]
        assert p.parent is None or p.parent in ws.taxonomy
        # members are exactly the papers the model sorted into the node
        assert p.members == sorted(pid for pid, n in curator.sorted.items() if n == p.node)
        assert len(p.members) >= MIN_GROUP
    placed = {m for p in adds for m in p.members}
    assert not placed & {pid for pid, n in curator.sorted.items() if n is None}
    assert set(curator.sorted) >= {m for p in offline if p.op == "add" for m in p.members}
    assert (
        len([n for n in report.notes if "unknown `no-such-node`" in n]) == 1
    )  # reported, offline place kept
    # the patch applies, and the key went nowhere
    result = apply_patch(yaml.safe_load((ws.root / ws.config.taxonomy).read_text()), patch, "p.yaml")
    assert {p.node for p in adds} <= {n.id for n in parse_taxonomy(result.raw, Path("t")).iter_nodes()}
    assert "sk-test-evolve" not in json.dumps(patch) + json.dumps(bodies)
    assert b"sk-test-evolve" not in (ws.state_dir / "cache.sqlite").read_bytes()


@pytest.mark.slow
def test_bootstrap_with_a_model_names_every_group(built: Workspace) -> None:
    with FakeOpenAI(Curator()) as fake:
        ws = _point_at(built, fake.url)
        result = run_cli(
            "taxonomy",
            "bootstrap",
            "--topic",
            "Video understanding",
            "--backend",
            "openai",
            "-w",
            str(ws.root),
        )
        requests = len(fake.chat_requests())
    assert result.returncode == 0, result.stderr
    tax = parse_taxonomy(yaml.safe_load((ws.root / "taxonomy.proposed.yaml").read_text()), Path("x"))
    nodes = list(tax.iter_nodes())
    assert requests == len(nodes) and f"{requests} requests" in result.stdout
    assert all(n.name.startswith("Boot ") and n.description.startswith("Papers about ") for n in nodes)
    assert all(n.id.startswith("boot-") for n in nodes)


def test_unknown_backend_is_a_clear_error(built: Workspace) -> None:
    result = run_cli("taxonomy", "suggest", "--backend", "gpt", "-w", str(built.root))
    assert result.returncode == 1 and "unknown backend `gpt`" in result.stderr


def _label(pid: str, node: str, human: bool, confidence: float = 0.9) -> Classification:
    return Classification(
        paper=pid,
        labels=[{"node": node, "confidence": 1.0 if human else confidence}],  # type: ignore[list-item]
        backend="human" if human else "offline",
        model="test",
        taxonomy_hash="t",
        run_id="r",
        time="",
    )


def _library(intake: dict[str, int], history: dict[str, int]) -> dict[str, Classification]:
    labels = {}
    for kind, counts in (("h", history), ("m", intake)):
        for node, n in counts.items():
            for i in range(n):
                pid = f"{kind}-{node}-{i}"
                labels[pid] = _label(pid, node, human=kind == "h")
    return labels


def test_a_node_whose_intake_outruns_its_history_is_swollen_and_its_new_papers_are_candidates() -> None:
    # 60 human-labelled papers, 20 a node; 30 new ones expected 10 a node, but B takes in 22 (3.6 sd)
    labels = _library({"A": 4, "B": 22, "C": 4}, {"A": 20, "B": 20, "C": 20})
    labels["m-C-0"] = _label("m-C-0", "C", human=False, confidence=0.2)  # unsure: a candidate anyway
    (found,) = swollen(labels)
    assert (found.node, found.new, found.expected) == ("B", 22, 10.0)
    assert found.papers == tuple(sorted(f"m-B-{i}" for i in range(22)))
    papers = {pid: Paper(id=pid, title=pid) for pid in labels}
    assert candidates(papers, labels, cutoff=0.4, min_count=1) == sorted([*found.papers, "m-C-0"])
    # 15 of 23 new papers on B, where 7.7 are expected, is 2.5 sd: within chance, nothing is swollen
    assert swollen(_library({"A": 4, "B": 15, "C": 4}, {"A": 20, "B": 20, "C": 20})) == []
    # without history (fewer than SWELL_HISTORY human labels) nothing can swell
    assert swollen(_library({"A": 4, "B": 22, "C": 4}, {"A": 5, "B": 5, "C": 5})) == []


@pytest.mark.slow
def test_the_patch_names_swollen_nodes_and_apply_ignores_that_evidence(built: Workspace) -> None:
    ws = built
    records = ws.load_labels()
    machine = sorted(pid for pid, r in records.items() if r.labels)
    node = records[machine[0]].labels[0].node
    # the first 30 papers are the history (humans put them where the classifier did, none on `node`);
    # all later ones are new, so `node`'s intake has nothing to be predicted from
    for pid in machine[: SWELL_HISTORY + 10]:
        kept = [lab.node for lab in records[pid].labels if lab.node != node]
        if kept:
            decide(ws, pid, kept)
    proposals, patch, _ = suggest_workspace(ws)
    swelling = {s["node"]: s for s in patch["swollen"]}
    assert node in swelling and swelling[node]["expected"] == 0
    result = run_cli("taxonomy", "suggest", "-w", str(ws.root))
    assert result.returncode == 0, result.stderr
    assert f"{node} took in {swelling[node]['new_papers']} new papers where its history predicts 0" in (
        result.stdout
    )
    applied = run_cli("taxonomy", "apply", str(ws.root / "taxonomy-patch.yaml"), "-w", str(ws.root))
    assert applied.returncode == 0, applied.stderr
    for p in proposals:
        if p.op == "add":
            assert p.placed_in and sum(p.placed_in.values()) <= len(p.members)
            assert all(n in ws.taxonomy for n in p.placed_in)
