"""Offline taxonomy suggestions: find the papers the taxonomy fits badly, group them, and propose new
nodes, splits of overfull leaves and merges of near-empty ones.

Badly fitting papers: machine labels below the review cutoff, in-scope papers with no label, and the
new papers piled into a node whose intake outruns its history (`swollen`: more machine-labelled
papers than its share of the human-labelled ones predicts). A group's place in the tree is the node
most of its members were pushed into.

Input: the taxonomy, papers and effective labels. Output: `Proposal`s and the patch that carries them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import Classification, Paper
from ..taxonomy import Taxonomy
from .grouping import cluster, fresh_id, keywords, vectorize
from .naming import Namer

MAX_PROPOSALS = 5
MIN_GROUP = 3
SWELL_Z = 3.0  # a node's intake must outrun its history by this many (Poisson) standard deviations
SWELL_HISTORY = 20  # human-labelled papers needed before a node's intake is compared with its history


@dataclass
class Proposal:
    """One proposed change with the papers it is about and why."""

    op: str  # add | split | merge
    node: str
    name: str = ""
    parent: str | None = None
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    into: str | None = None
    children: list[Proposal] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    named_by: str = "keywords"  # or the model that named, described and placed it
    reason: str = ""  # the model's one-line case for the node
    placed_in: dict[str, int] = field(default_factory=dict)  # where the classifier put the members

    def to_dict(self) -> dict[str, Any]:
        """The proposal as the patch file writes it."""
        if self.op == "merge":
            return {
                "op": "merge",
                "node": self.node,
                "into": self.into,
                "evidence": {"members": len(self.members), "titles": self.titles[:5]},
            }
        if self.op == "split":
            return {"op": "split", "node": self.node, "children": [c.to_dict() for c in self.children]}
        return {
            "op": "add",
            "node": {
                "id": self.node,
                "name": self.name,
                "description": self.description,
                "keywords": self.keywords[:6],
            },
            "parent": self.parent,
            "members": sorted(self.members),
            "evidence": {
                "members": len(self.members),
                "keywords": self.keywords[:8],
                "titles": self.titles[:5],
                "named_by": self.named_by,
                **({"reason": self.reason} if self.reason else {}),
                **({"placed_in": self.placed_in} if self.placed_in else {}),
            },
        }


@dataclass(frozen=True)
class Swelling:
    """A node taking in more new papers than its history predicts."""

    node: str
    new: int  # machine-labelled papers on the node
    expected: float  # how many its share of the human-labelled papers predicts
    papers: tuple[str, ...]

    @property
    def z(self) -> float:
        return (self.new - self.expected) / math.sqrt(self.expected + 1)

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "new_papers": self.new, "expected": round(self.expected, 1)}


def swollen(labels: dict[str, Classification]) -> list[Swelling]:
    """Nodes whose intake of machine-labelled (new) papers outruns their human-labelled history by
    SWELL_Z standard deviations and MIN_GROUP papers: a node swelling with a sub-area it was not made
    for, or one the classifier pushes papers into. Most swollen first; none without enough history."""
    human = [r for r in labels.values() if r.is_human and not r.out_of_scope]
    machine = {
        pid: r for pid, r in labels.items() if not r.is_human and not r.out_of_scope and r.status == "ok"
    }
    if len(human) < SWELL_HISTORY or not machine:
        return []
    history = Counter(lab.node for r in human for lab in r.labels)
    intake: dict[str, list[str]] = defaultdict(list)
    for pid, rec in machine.items():
        for lab in rec.labels:
            intake[lab.node].append(pid)
    out = []
    for node, pids in intake.items():
        found = Swelling(node, len(pids), history[node] * len(machine) / len(human), tuple(sorted(pids)))
        if found.new - found.expected >= MIN_GROUP and found.z >= SWELL_Z:
            out.append(found)
    return sorted(out, key=lambda s: (-s.z, s.node))


def candidates(
    papers: dict[str, Paper], labels: dict[str, Classification], cutoff: float, min_count: int = 10
) -> list[str]:
    """Papers that fit badly: machine-labelled, in scope, most confident label below `cutoff` (at
    least the `min_count` least sure ones); unassigned in-scope papers too; and the machine-labelled
    papers of every swollen node."""
    machine = {
        pid: rec
        for pid, rec in labels.items()
        if pid in papers and not rec.is_human and not rec.out_of_scope and rec.status == "ok"
    }
    sure = {pid: max((lab.confidence for lab in rec.labels), default=0.0) for pid, rec in machine.items()}
    low = sorted(pid for pid, c in sure.items() if c < cutoff)
    if len(low) < min_count:
        low = sorted(sure, key=lambda p: (sure[p], p))[: max(min_count, len(sure) // 2)]
    piled = {pid for s in swollen(labels) for pid in s.papers if pid in machine}
    return sorted(set(low) | piled)


def suggest(
    taxonomy: Taxonomy,
    papers: dict[str, Paper],
    labels: dict[str, Classification],
    cutoff: float = 0.4,
    max_proposals: int = MAX_PROPOSALS,
) -> list[Proposal]:
    """New nodes for groups of badly fitting papers, splits of overfull nodes, merges of near-empty
    ones; at most `max_proposals`, new nodes first."""
    ids = sorted(papers)
    matrix, vocab = vectorize([papers[p] for p in ids])
    row = {pid: i for i, pid in enumerate(ids)}
    proposals: list[Proposal] = []
    pool = candidates(papers, labels, cutoff)
    used = {n.id for n in taxonomy.iter_nodes()}
    namer = Namer([papers[p].display_title for p in ids])
    if len(pool) >= MIN_GROUP:
        groups = _groups(matrix, [row[p] for p in pool], max_proposals)
        for rows in groups:
            members = [ids[r] for r in rows]
            terms = keywords(matrix, rows, vocab)
            piles = Counter(
                max(labels[p].labels, key=lambda lab: lab.confidence).node
                for p in members
                if labels[p].labels
            )
            parent = taxonomy.parent(piles.most_common(1)[0][0]) if piles else None
            proposal = _add(terms, members, parent, papers, used, namer)
            proposal.placed_in = dict(sorted(piles.items(), key=lambda kv: (-kv[1], kv[0])))
            proposals.append(proposal)
    proposals += _splits(taxonomy, papers, labels, matrix, vocab, row, used, namer)
    proposals += _merges(taxonomy, papers, labels)
    return proposals[:max_proposals]


def _groups(matrix: Any, rows: list[int], n: int) -> list[list[int]]:
    """k-means over the candidate rows (k = n, fewer for few papers); groups of MIN_GROUP or more,
    largest first."""
    k = min(n, max(1, len(rows) // MIN_GROUP))
    assigned = cluster(matrix[rows], k)
    out: dict[int, list[int]] = defaultdict(list)
    for r, g in zip(rows, assigned, strict=True):
        out[int(g)].append(r)
    return sorted((g for g in out.values() if len(g) >= MIN_GROUP), key=lambda g: (-len(g), g[0]))


def _add(
    terms: list[str],
    members: list[str],
    parent: str | None,
    papers: dict[str, Paper],
    used: set[str],
    namer: Namer,
) -> Proposal:
    name = namer.name([papers[m].display_title for m in members], terms)
    return Proposal(
        op="add",
        node=fresh_id(name, used, "new-node"),
        name=name,
        parent=parent,
        description=f"Papers on {', '.join(terms[:4])}.",
        keywords=terms,
        members=sorted(members),
        titles=[papers[m].display_title for m in sorted(members)[:5]],
    )


def _members(taxonomy: Taxonomy, labels: dict[str, Classification]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for pid, rec in labels.items():
        if not rec.out_of_scope:
            for lab in rec.labels:
                if lab.node in taxonomy:
                    out[lab.node].append(pid)
    return out


def _splits(
    taxonomy: Taxonomy,
    papers: dict[str, Paper],
    labels: dict[str, Classification],
    matrix: Any,
    vocab: list[str],
    row: dict[str, int],
    used: set[str],
    namer: Namer,
) -> list[Proposal]:
    """Leaves holding more than three times the median leaf's papers (and at least 30), whose papers
    form two clearly separate groups (silhouette above 0.05)."""
    from sklearn.metrics import silhouette_score

    members = _members(taxonomy, labels)
    leaves = [n.id for n in taxonomy.iter_nodes() if not n.children]
    sizes = sorted(len(members.get(leaf, [])) for leaf in leaves)
    if not sizes:
        return []
    limit = max(30, 3 * sizes[len(sizes) // 2])
    out = []
    for leaf in leaves:
        pids = sorted(p for p in members.get(leaf, []) if p in row)
        if len(pids) <= limit:
            continue
        rows = [row[p] for p in pids]
        assigned = cluster(matrix[rows], 2)
        if len(set(assigned)) < 2 or silhouette_score(matrix[rows], assigned, metric="cosine") < 0.05:
            continue
        children = []
        for g in (0, 1):
            group = [r for r, a in zip(rows, assigned, strict=True) if a == g]
            ids = sorted(p for p, a in zip(pids, assigned, strict=True) if a == g)
            children.append(_add(keywords(matrix, group, vocab), ids, leaf, papers, used, namer))
        out.append(Proposal(op="split", node=leaf, children=children, members=pids))
    return out


def _merges(
    taxonomy: Taxonomy, papers: dict[str, Paper], labels: dict[str, Classification]
) -> list[Proposal]:
    """Leaves with fewer than two papers that have a parent: merge them into it."""
    members = _members(taxonomy, labels)
    out = []
    for node in taxonomy.iter_nodes():
        parent = taxonomy.parent(node.id)
        if node.children or parent is None or len(members.get(node.id, [])) >= 2:
            continue
        pids = sorted(members.get(node.id, []))
        out.append(
            Proposal(
                op="merge",
                node=node.id,
                into=parent,
                members=pids,
                titles=[papers[p].display_title for p in pids if p in papers],
            )
        )
    return out


def patch_dict(base: str, proposals: Sequence[Proposal], swelling: Sequence[Swelling] = ()) -> dict[str, Any]:
    """The patch file's content (`swollen`: evidence for the reviewer; `apply` ignores it)."""
    out: dict[str, Any] = {"base": base, "proposals": [p.to_dict() for p in proposals]}
    if swelling:
        out["swollen"] = [s.to_dict() for s in swelling]
    return out
