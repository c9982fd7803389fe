"""Model refinement of the offline proposals (TopicGPT-style): the model names, describes and places
each proposed node from its papers, then sorts every badly fitting paper into one proposed node or
none. The prompts are templates in prompts/ (a workspace's own `prompts/` folder overrides them).

Input: LLM settings, a reply cache, the taxonomy, papers and proposals. Output: the refined proposals
and what the model was asked and cost (`LLMReport`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import LLMConfig
from ..models import Paper
from ..resources import instruction, render
from ..store import Cache
from ..taxonomy import Taxonomy
from .grouping import fresh_id
from .suggest import MIN_GROUP, Proposal

LLM_PAPERS = 25  # papers shown per group when asking for its name
ASSIGN_BATCH = 10  # papers per assignment request
# Templates in prompts/ (the request bodies, hence the reply cache, depend on their text).
NAME_SYSTEM = "propose_node_system.md"
BOOT_SYSTEM = "bootstrap_system.md"
NAME_USER = "name_group_user.md"  # suggest and bootstrap: one group's terms and papers
ASSIGN_SYSTEM = "sort_papers_system.md"
ASSIGN_USER = "sort_papers_user.md"


def _schema(**fields: Any) -> dict[str, Any]:
    return {"type": "object", "properties": fields, "required": list(fields), "additionalProperties": False}


_TEXT, _ID = {"type": "string"}, {"type": ["string", "null"]}
NAME_SCHEMA = _schema(name=_TEXT, description=_TEXT, parent=_ID, reason=_TEXT)
BOOT_SCHEMA = _schema(name=_TEXT, description=_TEXT)
ASSIGN_SCHEMA = _schema(assignments={"type": "array", "items": _schema(paper=_TEXT, category=_ID)})


def outline(taxonomy: Taxonomy) -> str:
    """The taxonomy as indented `id: name - description` lines, for a prompt."""
    return "\n".join(
        "  " * (taxonomy.depth(n.id) - 1)
        + f"{n.id}: {n.name}"
        + (f" - {n.description}" if n.description else "")
        for n in taxonomy.iter_nodes()
    )


def _paper_lines(papers: Sequence[Paper], chars: int) -> list[str]:
    lines = []
    for paper in papers:
        abstract = " ".join((paper.abstract or "").split())[:chars]
        lines += [f"- id: {paper.id}", f"  title: {paper.display_title}", f"  abstract: {abstract}"]
    return lines


def name_messages(
    context: str,
    papers: Sequence[Paper],
    terms: Sequence[str],
    system: str = NAME_SYSTEM,
    prompts: Path | None = None,
) -> list[dict[str, str]]:
    """The request that names and describes one group (and, for `suggest`, places it); `prompts`: the
    workspace's folder of its own templates."""
    values = {
        "context": context,
        "terms": ", ".join(terms) or "-",
        "papers": "\n".join(_paper_lines(list(papers)[:LLM_PAPERS], 600)),
    }
    return [
        {"role": "system", "content": instruction(system, prompts)},
        {"role": "user", "content": render(NAME_USER, values, prompts)},
    ]


def assign_messages(
    nodes: Sequence[tuple[str, str, str]], papers: Sequence[Paper], prompts: Path | None = None
) -> list[dict[str, str]]:
    """The request that sorts a batch of papers into the proposed nodes (id, name, description)."""
    values = {
        "categories": "\n".join(f"- {i}: {name} - {desc}" for i, name, desc in nodes),
        "papers": "\n".join(_paper_lines(papers, 900)),
    }
    return [
        {"role": "system", "content": instruction(ASSIGN_SYSTEM, prompts)},
        {"role": "user", "content": render(ASSIGN_USER, values, prompts)},
    ]


@dataclass
class LLMReport:
    """What the model was asked and what it cost."""

    model: str
    requests: int = 0
    cost: float = 0.0
    notes: list[str] = field(default_factory=list)


def llm_refine(
    settings: LLMConfig,
    cache: Cache,
    taxonomy: Taxonomy,
    papers: dict[str, Paper],
    proposals: list[Proposal],
    pool: Sequence[str] = (),
    prompts: Path | None = None,
) -> tuple[list[Proposal], LLMReport]:
    """TopicGPT-style second pass over the offline proposals: the model names, describes and places
    every proposed node (split children stay under the node they split), then sorts the candidate
    papers of the new top-level proposals into them or into none; a proposal left with fewer than
    MIN_GROUP papers is dropped. Replies that are missing or malformed keep the offline values, with a
    note. Merges pass through unchanged. `prompts`: the workspace's folder of its own templates."""
    from ..llm import ask_json

    report = LLMReport(settings.model)
    context = "Taxonomy (id: name - description):\n" + outline(taxonomy)
    named = [p for p in proposals if p.op == "add"] + [
        c for p in proposals if p.op == "split" for c in p.children
    ]
    jobs = [
        (
            f"name {p.node}",
            name_messages(context, [papers[m] for m in p.members], p.keywords, prompts=prompts),
            300,
        )
        for p in named
    ]
    replies, stats = ask_json(settings, cache, jobs, NAME_SCHEMA, "propose_node")
    report.requests, report.cost, report.notes = stats.requests, stats.cost, list(stats.notes)
    used = {n.id for n in taxonomy.iter_nodes()} | {p.node for p in named}
    in_split = {id(c) for p in proposals for c in p.children}
    for prop, reply in zip(named, replies, strict=True):
        data = reply or {}
        name = " ".join(str(data.get("name") or "").split())[:80]
        if not name:
            report.notes.append(f"{prop.node}: no name in the reply; the keyword name is kept")
            continue
        used.discard(prop.node)
        prop.node = fresh_id(name, used, prop.node)
        prop.name, prop.named_by = name, settings.model
        prop.description = " ".join(str(data.get("description") or "").split()) or prop.description
        prop.reason = " ".join(str(data.get("reason") or "").split())
        parent = data.get("parent")
        if id(prop) in in_split:
            continue  # a split's child stays under the node it splits
        if parent in (None, "", "null"):
            prop.parent = None
        elif str(parent) in taxonomy:
            prop.parent = str(parent)
        else:
            report.notes.append(
                f"{prop.node}: the model placed it under unknown `{parent}`; kept under {prop.parent}"
            )

    adds = [p for p in proposals if p.op == "add"]
    pool = sorted(set(pool) | {m for p in adds for m in p.members})
    if adds:
        nodes = [(p.node, p.name, p.description) for p in adds]
        batches = [pool[i : i + ASSIGN_BATCH] for i in range(0, len(pool), ASSIGN_BATCH)]
        jobs = [
            (f"assign {b[0]}..", assign_messages(nodes, [papers[m] for m in b], prompts), 60 + 40 * len(b))
            for b in batches
        ]
        replies, stats = ask_json(settings, cache, jobs, ASSIGN_SCHEMA, "sort_papers")
        report.requests += stats.requests
        report.cost += stats.cost
        report.notes += stats.notes
        before = {m: p.node for p in adds for m in p.members}
        chosen: dict[str, str | None] = {}
        known = {p.node for p in adds}
        for batch, reply in zip(batches, replies, strict=True):
            rows = (reply or {}).get("assignments")
            got = {
                str(r.get("paper")): r.get("category")
                for r in (rows if isinstance(rows, list) else [])
                if isinstance(r, dict)
            }
            for pid in batch:
                if pid not in got:  # not answered: the offline group stands
                    chosen[pid] = before.get(pid)
                else:
                    chosen[pid] = str(got[pid]) if got[pid] in known else None
            if not got.keys() >= set(batch):
                report.notes.append(
                    f"assignment left out papers from {batch[0]} on; their offline group stands"
                )
        kept = []
        for prop in adds:
            prop.members = sorted(pid for pid, node in chosen.items() if node == prop.node)
            prop.titles = [papers[m].display_title for m in prop.members[:5]]
            prop.placed_in = {}  # counted over the offline group, not the model's sorting
            if len(prop.members) >= MIN_GROUP:
                kept.append(prop)
            else:
                report.notes.append(f"{prop.node}: {len(prop.members)} papers after sorting; dropped")
        proposals = [p for p in proposals if p.op != "add" or p in kept]
    return proposals, report
