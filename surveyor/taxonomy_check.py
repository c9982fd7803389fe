"""`surveyor taxonomy check`: what leaves a classifier guessing, found before a run.

Input: the taxonomy, the library's papers and the human decisions. Output: findings, each naming
its nodes and how to fix it:
- a node with no description (the model has only its name to go on);
- a leaf with no example: no human-labelled paper and no `examples` id found in the library;
- an `examples` id that is not in the library (it teaches nothing);
- two nodes whose examples overlap: the same papers filed under both (inside one facet a paper has
  one place, so any shared paper is a contradiction; elsewhere, sharing two or more papers and at
  least a third of the smaller node's means the boundary is unclear).
Pure except `check_workspace`, which reads the workspace.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

from .models import Classification, Paper
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    from .store import Workspace

SHARED_MIN = 2  # papers two nodes outside a facet must share to be reported
SHARED_SHARE = 1 / 3  # ... and this share of the smaller node's papers


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the nodes it is about, and a sentence saying what to do."""

    kind: str  # no-description | no-examples | unknown-example | overlap
    nodes: tuple[str, ...]
    message: str

    def as_dict(self) -> dict[str, object]:
        """The finding for --json."""
        return {"kind": self.kind, "nodes": list(self.nodes), "message": self.message}


def examples_by_node(
    taxonomy: Taxonomy, papers: dict[str, Paper], decisions: dict[str, Classification]
) -> dict[str, set[str]]:
    """The papers filed under each node: human decisions, then the taxonomy's `examples` ids."""
    out: dict[str, set[str]] = defaultdict(set)
    for pid, rec in decisions.items():
        for lab in rec.labels:
            if lab.node in taxonomy:
                out[lab.node].add(pid)
    for node in taxonomy.iter_nodes():
        out[node.id].update(x for x in node.examples if x in papers)
    return out


def _related(taxonomy: Taxonomy, a: str, b: str) -> bool:
    return a in taxonomy.ancestors(b) or b in taxonomy.ancestors(a)


def _overlaps(taxonomy: Taxonomy, filed: dict[str, set[str]]) -> list[Finding]:
    out = []
    for a, b in combinations(sorted(n for n in filed if filed[n]), 2):
        shared = filed[a] & filed[b]
        if not shared or _related(taxonomy, a, b):
            continue
        facet = taxonomy.facet_of(a)
        in_facet = facet is not None and facet == taxonomy.facet_of(b)
        smaller = min(len(filed[a]), len(filed[b]))
        if in_facet or (len(shared) >= SHARED_MIN and len(shared) >= SHARED_SHARE * smaller):
            why = f"inside facet {facet} a paper has one place" if in_facet else "where is the boundary?"
            out.append(
                Finding(
                    "overlap",
                    (a, b),
                    f"{a} and {b} share {len(shared)} of their papers ({', '.join(sorted(shared)[:3])}"
                    f"{', …' if len(shared) > 3 else ''}): {why} Say it in their descriptions, or "
                    "refile the papers",
                )
            )
    return out


def check(
    taxonomy: Taxonomy, papers: dict[str, Paper], decisions: dict[str, Classification]
) -> list[Finding]:
    """Every finding (see the module docstring), in taxonomy order then by kind."""
    filed = examples_by_node(taxonomy, papers, decisions)
    out: list[Finding] = []
    for node in taxonomy.iter_nodes():
        if not node.description.strip():
            has = "its papers show what it means" if filed.get(node.id) else "nothing shows what it means"
            out.append(
                Finding("no-description", (node.id,), f"{node.id} ({node.name}) has no description: {has}")
            )
        if not node.children and not filed.get(node.id):
            out.append(
                Finding(
                    "no-examples",
                    (node.id,),
                    f"{node.id} ({node.name}) has no example: label a paper there "
                    f"(`surveyor label PAPER {node.id}`) or list ids under its `examples`",
                )
            )
        missing = [x for x in node.examples if x not in papers]
        if missing:
            out.append(
                Finding(
                    "unknown-example",
                    (node.id,),
                    f"{node.id} lists examples not in the library: {', '.join(missing[:5])}"
                    " (add them with `surveyor add`, or fix the ids)",
                )
            )
    return out + _overlaps(taxonomy, filed)


def check_workspace(ws: Workspace) -> list[Finding]:
    """`check` on a workspace's taxonomy, papers and human decisions."""
    papers = ws.load_papers()
    decisions, _ = ws.decisions_for(papers)
    return check(ws.taxonomy, papers, decisions)
