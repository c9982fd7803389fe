"""The library as it is read: every paper with its effective label (a human decision over the machine
label, both filed under the paper's current id), where each paper is placed in the taxonomy, and in
what order papers are listed. Exporters, the status, the review queue, the classifier's plan and
taxonomy suggestions all read the library through `load_library`.

Input: a workspace (`load_library`), or papers and labels. Output: `Library`; `Placement` (each
paper's home node and the nodes that cross-reference it); sort keys and years.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .models import Classification, Paper
from .store import Workspace
from .taxonomy import Taxonomy

if TYPE_CHECKING:
    import networkx as nx


def rekey(records: dict[str, Classification], papers: dict[str, Paper]) -> dict[str, Classification]:
    """Move records filed under a paper's former id (before a merge) to its current id."""
    alias_of = {alias: p.id for p in papers.values() for alias in p.aliases}
    out = {k: v for k, v in records.items() if k not in alias_of}
    for old, rec in records.items():
        new = alias_of.get(old)
        if new is not None and new not in out:
            out[new] = rec.model_copy(update={"paper": new})
    return out


def effective_labels(
    labels: dict[str, Classification], decisions: dict[str, Classification]
) -> dict[str, Classification]:
    """Per paper, the human decision when there is one, else the machine record."""
    merged = dict(labels)
    merged.update(decisions)
    return merged


@dataclass
class Library:
    """The workspace's papers and labels, loaded once for every reader."""

    papers: dict[str, Paper]
    labels: dict[str, Classification]  # effective: the human decision over the machine label
    machine: dict[str, Classification] = field(default_factory=dict)  # machine labels, current ids
    human: dict[str, Classification] = field(default_factory=dict)  # human decisions, current ids
    pending: list[str] = field(default_factory=list)  # ids of decisions waiting for their paper
    graph: nx.MultiDiGraph | None = None  # the method-benchmark graph, built on first use


def load_library(ws: Workspace) -> Library:
    """Papers plus labels, human decisions over machine labels, filed under current ids."""
    papers = ws.load_papers()
    machine = rekey(ws.load_labels(), papers)
    human, pending = ws.decisions_for(papers)
    return Library(papers, effective_labels(machine, human), machine, human, pending)


# --- order and years --------------------------------------------------------------------------------
def sort_key(paper: Paper, newest_first: bool) -> tuple[int, int, str]:
    """Newest (or oldest) first by date, then by title; undated papers last."""
    date = paper.published or paper.updated or _date_from_arxiv(paper.arxiv_id) or ""
    stamp = int(re.sub(r"\D", "", date)[:8].ljust(8, "0")) if date else 0
    return (0 if date else 1, -stamp if newest_first else stamp, paper.display_title.lower())


def _date_from_arxiv(arxiv_id: str | None) -> str | None:
    m = re.match(r"^(\d{2})(\d{2})\.", arxiv_id or "")
    return f"20{m.group(1)}-{m.group(2)}-01" if m else None


def paper_year(paper: Paper) -> int | None:
    """The year to show: the venue's, else the date's, else the arXiv id's."""
    if paper.year:
        return paper.year
    date = paper.published or paper.updated or _date_from_arxiv(paper.arxiv_id)
    return int(date[:4]) if date else None


# --- placement ----------------------------------------------------------------------------------------
@dataclass
class Placement:
    """Where each paper is listed: its home node and the other nodes that cross-reference it."""

    home: dict[str, str] = field(default_factory=dict)  # paper id -> node id
    members: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # node -> paper ids
    confidence: dict[str, float] = field(default_factory=dict)  # paper id -> its home label's (machine)
    human: set[str] = field(default_factory=set)  # papers a person placed

    def unsure(self, pid: str, below: float) -> bool:
        """Whether a machine placed the paper with less confidence than `below` and no one checked."""
        return pid not in self.human and self.confidence.get(pid, 1.0) < below

    def groups(self, papers: dict[str, Paper]) -> dict[str, list[Paper]]:
        """Papers per node id (a paper appears under each of its labels)."""
        return {node: [papers[pid] for pid in ids] for node, ids in self.members.items()}


def place(taxonomy: Taxonomy, papers: dict[str, Paper], labels: dict[str, Classification]) -> Placement:
    """Each listed paper's home is its most confident label (deeper, then earlier in the taxonomy, on
    ties); out-of-scope and failed records are left out, and so are machine records flagged for a
    human (text addressed to the model) until one decides."""
    order = {node.id: i for i, node in enumerate(taxonomy.iter_nodes())}
    depth = {node: len(taxonomy.ancestors(node)) for node in order}
    out = Placement()
    for pid in sorted(labels):
        rec = labels[pid]
        if pid not in papers or rec.out_of_scope or rec.status == "failed" or (rec.flag and not rec.is_human):
            continue
        best: dict[str, float] = {}
        for lab in rec.labels:
            if lab.node in order:
                best[lab.node] = max(best.get(lab.node, 0.0), lab.confidence)
        if not best:
            continue
        out.home[pid] = min(best, key=lambda n: (-best[n], -depth[n], order[n]))
        out.confidence[pid] = best[out.home[pid]]
        if rec.is_human:
            out.human.add(pid)
        for node in sorted(best, key=order.__getitem__):
            out.members[node].append(pid)
    return out


def group_by_node(
    taxonomy: Taxonomy, papers: dict[str, Paper], labels: dict[str, Classification]
) -> dict[str, list[Paper]]:
    """Papers per node id (a paper appears under each of its labels); out-of-scope ones left out."""
    return place(taxonomy, papers, labels).groups(papers)
