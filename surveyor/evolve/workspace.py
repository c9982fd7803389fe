"""Taxonomy evolution on a workspace: suggest (and write the patch file), apply a patch (new taxonomy,
the old one archived, only the papers it touches re-classified, human labels kept), diff against a
recorded version, bootstrap a first taxonomy file.

Input: a workspace (and a patch file). Output: the patch, taxonomy and reverse-patch files, and the
taxonomy's versions and log kept by the store (`data/taxonomy-versions/`, `data/taxonomy-log.jsonl`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import decisions
from ..errors import InputError, SurveyorError
from ..files import atomic_write_text, jsonl_text
from ..library import load_library
from ..models import Paper
from ..records import TaxonomyChange
from ..store import Cache, Workspace, writes
from ..taxonomy import load_yaml, parse_taxonomy, yaml_problem
from .bootstrap import bootstrap
from .diff import diff
from .patch import apply_patch, carry_labels, follow, move_decisions
from .refine import LLMReport, llm_refine
from .suggest import MAX_PROPOSALS, Proposal, candidates, patch_dict, suggest, swollen


def suggest_workspace(
    ws: Workspace, max_proposals: int = MAX_PROPOSALS, backend: str = "offline"
) -> tuple[list[Proposal], dict[str, Any], LLMReport | None]:
    """Proposals for the workspace, the patch that carries them, and what the model cost (openai)."""
    check_backend(backend)
    lib = load_library(ws)
    papers = {pid: p for pid, p in lib.papers.items() if p.has_text}
    labels = {pid: rec for pid, rec in lib.labels.items() if pid in papers}
    cutoff = ws.config.classify.review_below
    proposals = suggest(ws.taxonomy, papers, labels, cutoff, max_proposals)
    report = None
    if backend == "openai":
        proposals, report = llm_refine(
            ws.config.llm,
            _cache(ws),
            ws.taxonomy,
            papers,
            proposals,
            candidates(papers, labels, cutoff),
            ws.prompts_dir,
        )
    return proposals, patch_dict(ws.taxonomy.hash, proposals, swollen(labels)), report


def _cache(ws: Workspace) -> Cache:
    from ..llm.cache import open_cache

    return open_cache(ws.config.llm, ws.state_dir)


def write_suggestion(
    ws: Workspace, out: Path, max_proposals: int = MAX_PROPOSALS, backend: str = "offline"
) -> tuple[list[Proposal], dict[str, Any], LLMReport | None, Path]:
    """`suggest_workspace`, its patch written to `out` (relative: to the workspace) under a header
    that says what to do with it; also the path written."""
    proposals, patch, report = suggest_workspace(ws, max_proposals, backend)
    path = out if out.is_absolute() else ws.root / out
    header = (
        "# Proposed by `surveyor taxonomy suggest`: delete what you reject, edit names and places,\n"
        "# then `surveyor taxonomy apply " + path.name + "`. Nothing changes until then.\n"
    )
    atomic_write_text(path, header + yaml.safe_dump(patch, sort_keys=False, allow_unicode=True, width=100))
    return proposals, patch, report, path


def bootstrap_workspace(
    ws: Workspace, topic: str, out: Path, backend: str = "offline"
) -> tuple[Path, int, LLMReport | None]:
    """A first taxonomy from the workspace's papers with text, written to `out` (relative: to the
    workspace) as a file to edit; the path, its node count and what the model cost (openai)."""
    check_backend(backend)
    papers: list[Paper] = [p for _, p in sorted(ws.load_papers().items()) if p.has_text]
    if len(papers) < 6:
        raise SurveyorError(f"{len(papers)} papers with text: too few to group", "import papers first")
    llm = (ws.config.llm, _cache(ws)) if backend == "openai" else None
    raw, report = bootstrap(papers, topic, llm=llm, prompts=ws.prompts_dir)
    path = out if out.is_absolute() else ws.root / out
    nodes = sum(1 for _ in parse_taxonomy(raw, path).iter_nodes())  # what we write must load
    atomic_write_text(
        path,
        "# Proposed by `surveyor taxonomy bootstrap`: rename, regroup, then point surveyor.toml at it.\n"
        + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100),
    )
    return path, nodes, report


def check_backend(backend: str) -> None:
    """Refuse a backend evolution does not know."""
    if backend not in ("offline", "openai"):
        raise InputError(f"unknown backend `{backend}`", "choose offline or openai")


@dataclass
class ApplyReport:
    """What applying a patch did."""

    old_hash: str
    new_hash: str
    changes: list[str]
    reclassified: int
    kept: int
    human_moved: int  # human labels on merged nodes, moved with their papers
    reverse: Path
    again: bool = False  # the patch had been applied already (a rerun after a kill finishes it)


@writes("taxonomy apply")
def apply_workspace(ws: Workspace, patch_path: Path, force: bool = False) -> ApplyReport:
    """Apply a patch file: new taxonomy written (the old one kept in data/taxonomy-versions/), machine
    labels the patch touches re-classified, the others carried over, human labels kept (a label on a
    merged node moves with its papers), the reverse patch written beside the patch.

    Every file changes in one step (`Workspace.commit`): a kill leaves either nothing or a change the
    next command finishes. Run again after a kill, the same patch finishes the re-classification."""
    from ..classify.runner import classify_workspace

    text, patch = _read_patch(patch_path)
    old = ws.taxonomy
    done = _applied_entry(ws.load_taxonomy_log(), patch, text, patch_path.name, old.hash)
    again = done is not None
    if done is None:
        if patch.get("base") not in (None, old.hash) and not force:
            raise InputError(
                f"{patch_path} was made for taxonomy {patch.get('base')}, the workspace has {old.hash}",
                "run `surveyor taxonomy suggest` again, or --force",
            )
        done = _commit_patch(ws, patch, text, patch_path)
    ws.reload()
    report = classify_workspace(ws, command="taxonomy apply")
    return ApplyReport(
        done.from_,
        done.to,
        diff(ws.load_version(done.from_), ws.taxonomy, done.mapping),
        report.classified,
        done.kept,
        done.human_moved,
        patch_path.with_name(patch_path.stem + ".reverse.yaml"),
        again,
    )


def _read_patch(patch_path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = patch_path.read_text(encoding="utf-8")
        patch = load_yaml(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        if isinstance(exc, yaml.YAMLError):
            why = yaml_problem(exc)
        else:
            why = getattr(exc, "strerror", None) or str(exc)
        raise InputError(
            f"{patch_path}: cannot read the patch: {why}", "check the path and the YAML"
        ) from exc
    if not isinstance(patch, dict):
        raise InputError(f"{patch_path}: not a patch (a mapping with `proposals`)", "check the file")
    return text, patch


def _patch_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _applied_entry(
    log: list[TaxonomyChange], patch: dict[str, Any], text: str, name: str, current: str
) -> TaxonomyChange | None:
    """The log entry of this very patch when it is the last one applied (a rerun after a kill)."""
    if not log or log[-1].to != current:
        return None
    last = log[-1]
    if last.patch_sha is not None:
        return last if last.patch_sha == _patch_sha(text) else None
    return last if last.patch == name and patch.get("base") in (None, last.from_) else None


def _commit_patch(ws: Workspace, patch: dict[str, Any], text: str, patch_path: Path) -> TaxonomyChange:
    """Work out every file the patch changes and write them as one step; return the log entry."""
    old = ws.taxonomy
    tax_path = ws.taxonomy_path
    old_text = tax_path.read_text(encoding="utf-8")
    try:
        applied = apply_patch(load_yaml(old_text), patch, str(patch_path))
    except (AttributeError, TypeError, KeyError, ValueError, yaml.YAMLError) as exc:
        raise InputError(
            f"{patch_path}: not the shape `taxonomy suggest` writes ({type(exc).__name__}: {exc})",
            "compare it with a patch `suggest` wrote",
        ) from exc
    new_text = yaml.safe_dump(applied.raw, sort_keys=False, allow_unicode=True, width=100)
    new = parse_taxonomy(yaml.safe_load(new_text), tax_path)
    mapping = follow(applied.mapping)
    lines = ws.decision_lines()
    moved = move_decisions(decisions.by_paper(lines), mapping, str(patch_path))
    machine = ws.load_labels()
    keep = carry_labels(machine, ws.load_version_labels(new.hash), applied, old.hash, new.hash)
    applied.reverse["base"] = new.hash
    entry = TaxonomyChange.model_validate(
        {
            "from": old.hash,
            "to": new.hash,
            "mapping": applied.mapping,
            "patch": patch_path.name,
            "patch_sha": _patch_sha(text),
            "kept": len(keep),
            "human_moved": len(moved),
        }
    )
    log = [*ws.load_taxonomy_log(), entry]
    ws.commit(
        {
            ws.version_path(old.hash): old_text,
            # the machine labels of the version being replaced, so a patch returning to it restores them
            ws.version_labels_path(old.hash): jsonl_text(machine.values(), key=lambda c: c.paper),
            tax_path: new_text,
            ws.decisions_path: decisions.edit(lines, dict(moved)).decode("utf-8"),
            ws.labels_path: jsonl_text(keep.values(), key=lambda c: c.paper),
            ws.labels_journal.path: None,  # its records are in `machine`, hence in `keep` or redone
            patch_path.with_name(patch_path.stem + ".reverse.yaml"): yaml.safe_dump(
                applied.reverse, sort_keys=False, allow_unicode=True
            ),
            ws.taxonomy_log_path: ws.taxonomy_log_text(log),
        },
        "taxonomy apply",
    )
    return entry


def diff_workspace(ws: Workspace, old_hash: str | None = None) -> list[str]:
    """What changed between a recorded taxonomy version (default: the one the last patch replaced)
    and the current taxonomy, with old ids mapped to new ones."""
    log = ws.load_taxonomy_log()
    if old_hash is None:
        if not log:
            raise InputError(
                "no taxonomy patch applied yet", "apply one with `surveyor taxonomy apply PATCH`"
            )
        old_hash = log[-1].from_
    old = ws.load_version(old_hash)
    mapping: dict[str, str] = {}
    started = False
    for entry in log:  # follow the merges from that version on
        started = started or entry.from_ == old_hash
        if started:
            for a, b in entry.mapping.items():
                mapping.update({k: b for k, v in mapping.items() if v == a})
                mapping[a] = b
    return diff(old, ws.taxonomy, mapping)
