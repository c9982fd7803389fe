"""Taxonomy evolution: find the papers the taxonomy fits badly, group them, propose new nodes,
splits of overfull nodes and merges of near-empty ones, as a patch file a person reviews; apply a
patch (re-classifying only the papers it touches, keeping human labels), and show what changed
between taxonomy versions.

Badly fitting papers: machine labels below the review cutoff, in-scope papers with no label, and the
new papers piled into a node whose intake outruns its history (`swollen`: more machine-labelled
papers than its share of the human-labelled ones predicts). Offline grouping: TF-IDF over title and
abstract, k-means over the candidate papers, each group named by the terms that characterise it
against the rest of the library (class-based TF-IDF). A group's place in the tree is the node most
of its members were pushed into. With a model (`llm_refine`, TopicGPT-style): it names, describes
and places each group from its papers, then sorts every badly fitting paper into one proposed node
or none.

Patch file (YAML): `base` (the taxonomy hash it applies to) and `proposals`, each one of
  - `op: add`   — `node` {id, name, description, keywords}, `parent` (null: top level), `members`
  - `op: split` — `node` (an existing id) and `children`: add-proposals under it
  - `op: merge` — `node` (an id to remove) and `into` (the id its papers move to)
with `evidence` (keywords, sample titles, member count, where the classifier had put the members)
for the reviewer, and `swollen` (evidence only: the nodes taking in more new papers than their
history predicts). Delete what you reject.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from . import decisions
from .config import LLMConfig
from .errors import InputError
from .models import Classification, Paper
from .resources import instruction
from .store import Cache, Workspace, jsonl_text, read_jsonl, writes
from .taxonomy import Taxonomy, load_taxonomy, load_yaml, parse_taxonomy, yaml_problem
from .text import slug

MAX_PROPOSALS = 5
MIN_GROUP = 3
SWELL_Z = 3.0  # a node's intake must outrun its history by this many (Poisson) standard deviations
SWELL_HISTORY = 20  # human-labelled papers needed before a node's intake is compared with its history
_STOP_EXTRA = frozenset(
    "video videos model models method methods approach propose proposed paper large language llm llms "
    "multimodal based new results performance task tasks framework state art existing".split()
)


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


# --- grouping -----------------------------------------------------------------------------------------
def _text(paper: Paper) -> str:
    return f"{paper.display_title}. {paper.display_title}. {paper.abstract or ''}"


def vectorize(papers: Sequence[Paper]) -> tuple[Any, list[str]]:
    """Row-normalised TF-IDF (uni- and bigrams) of every paper, and the vocabulary."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    stop = sorted(set(ENGLISH_STOP_WORDS) | _STOP_EXTRA)
    vec = TfidfVectorizer(
        sublinear_tf=True,
        stop_words=stop,
        min_df=2 if len(papers) >= 20 else 1,
        max_df=0.5 if len(papers) >= 20 else 1.0,
        ngram_range=(1, 2),
        dtype=np.float32,
    )
    matrix = vec.fit_transform([_text(p) for p in papers])
    return matrix, list(vec.get_feature_names_out())


def cluster(matrix: Any, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels over the rows (deterministic for a seed)."""
    from sklearn.cluster import KMeans

    k = max(1, min(k, matrix.shape[0]))
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(matrix)


def keywords(matrix: Any, rows: Sequence[int], vocab: list[str], n: int = 8) -> list[str]:
    """Terms that characterise `rows` against the whole matrix (class-based TF-IDF), best first;
    a unigram already inside a chosen bigram is skipped."""
    inside = np.asarray(matrix[list(rows)].mean(axis=0)).ravel()
    overall = np.asarray(matrix.mean(axis=0)).ravel() + 1e-6
    score = inside * np.log1p(inside / overall)
    out: list[str] = []
    for i in np.argsort(-score):
        term = vocab[i]
        if score[i] <= 0 or len(out) >= n:
            break
        if any(term in t.split() for t in out) or any(t in term.split() for t in out if " " not in t):
            continue
        out.append(term)
    return out


def _name(terms: list[str]) -> str:
    words = " and ".join(terms[:2]) if terms else "Unnamed group"
    return words[:1].upper() + words[1:]


# --- suggest -------------------------------------------------------------------------------------------
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
            proposal = _add(terms, members, parent, papers, used)
            proposal.placed_in = dict(sorted(piles.items(), key=lambda kv: (-kv[1], kv[0])))
            proposals.append(proposal)
    proposals += _splits(taxonomy, papers, labels, matrix, vocab, row, used)
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
    terms: list[str], members: list[str], parent: str | None, papers: dict[str, Paper], used: set[str]
) -> Proposal:
    node_id = _fresh_id(" ".join(terms[:2]), used, "new-node")
    return Proposal(
        op="add",
        node=node_id,
        name=_name(terms),
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
            children.append(_add(keywords(matrix, group, vocab), ids, leaf, papers, used))
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


# --- with an LLM: names, descriptions, places, and which papers belong ------------------------------------
LLM_PAPERS = 25  # papers shown per group when asking for its name
ASSIGN_BATCH = 10  # papers per assignment request
# System prompts, in prompts/ (the request bodies, hence the reply cache, depend on their text).
NAME_SYSTEM = "propose_node_system.md"
BOOT_SYSTEM = "bootstrap_system.md"
ASSIGN_SYSTEM = "sort_papers_system.md"


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
    context: str, papers: Sequence[Paper], terms: Sequence[str], system: str = NAME_SYSTEM
) -> list[dict[str, str]]:
    """The request that names and describes one group (and, for `suggest`, places it)."""
    lines = [context, "", f"Terms that set the group apart: {', '.join(terms) or '-'}", "", "Papers:"]
    lines += _paper_lines(list(papers)[:LLM_PAPERS], 600)
    return [{"role": "system", "content": instruction(system)}, {"role": "user", "content": "\n".join(lines)}]


def assign_messages(nodes: Sequence[tuple[str, str, str]], papers: Sequence[Paper]) -> list[dict[str, str]]:
    """The request that sorts a batch of papers into the proposed nodes (id, name, description)."""
    lines = ["Proposed categories:"] + [f"- {i}: {name} - {desc}" for i, name, desc in nodes]
    lines += ["", "Papers:", *_paper_lines(papers, 900)]
    return [
        {"role": "system", "content": instruction(ASSIGN_SYSTEM)},
        {"role": "user", "content": "\n".join(lines)},
    ]


def _fresh_id(name: str, used: set[str], fallback: str) -> str:
    """A node id from `name` (a slug of its first words) not in `used`, which it joins."""
    base = slug(name, 4) or fallback
    node_id, n = base, 2
    while node_id in used:
        node_id, n = f"{base}-{n}", n + 1
    used.add(node_id)
    return node_id


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
) -> tuple[list[Proposal], LLMReport]:
    """TopicGPT-style second pass over the offline proposals: the model names, describes and places
    every proposed node (split children stay under the node they split), then sorts the candidate
    papers of the new top-level proposals into them or into none; a proposal left with fewer than
    MIN_GROUP papers is dropped. Replies that are missing or malformed keep the offline values, with a
    note. Merges pass through unchanged."""
    from .llm import ask_json

    report = LLMReport(settings.model)
    context = "Taxonomy (id: name - description):\n" + outline(taxonomy)
    named = [p for p in proposals if p.op == "add"] + [
        c for p in proposals if p.op == "split" for c in p.children
    ]
    jobs = [
        (f"name {p.node}", name_messages(context, [papers[m] for m in p.members], p.keywords), 300)
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
        prop.node = _fresh_id(name, used, prop.node)
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
            (f"assign {b[0]}..", assign_messages(nodes, [papers[m] for m in b]), 60 + 40 * len(b))
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


# --- apply ---------------------------------------------------------------------------------------------
@dataclass
class Applied:
    """The result of applying a patch to a taxonomy (as a YAML-ready dict)."""

    raw: dict[str, Any]
    mapping: dict[str, str]  # removed node id -> where its papers go
    affected_nodes: set[str]  # nodes added, removed or given new children
    members: set[str]  # papers the proposals name
    reverse: dict[str, Any]  # the patch that undoes this one


def _find(nodes: list[dict[str, Any]], node_id: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    for node in nodes:
        if node["id"] == node_id:
            return nodes, node
        found = _find(node.get("children") or [], node_id)
        if found:
            return found
    return None


def apply_patch(raw: dict[str, Any], patch: dict[str, Any], where: str) -> Applied:
    """Apply a patch to a taxonomy dict; errors name the proposal and say how to fix it."""
    raw = {**raw, "nodes": _copy(raw.get("nodes") or [])}
    mapping: dict[str, str] = {}
    affected: set[str] = set()
    members: set[str] = set()
    undo: list[dict[str, Any]] = []
    for n, prop in enumerate(patch.get("proposals") or [], 1):
        op = prop.get("op")
        if op == "split":
            for child in prop.get("children") or []:
                adds = _apply_add(raw, {**child, "parent": prop["node"]}, f"{where}: proposal {n}")
                affected |= {adds, prop["node"]}
                members |= set(child.get("members") or [])
                undo.append({"op": "merge", "node": adds, "into": prop["node"]})
        elif op == "add":
            adds = _apply_add(raw, prop, f"{where}: proposal {n}")
            affected.add(adds)
            if prop.get("parent"):
                affected.add(prop["parent"])
            members |= set(prop.get("members") or [])
            undo.append({"op": "merge", "node": adds, "into": prop.get("parent")})
        elif op == "merge":
            node_id, into = prop.get("node"), prop.get("into")
            found = _find(raw["nodes"], node_id)
            if not found:
                raise InputError(
                    f"{where}: proposal {n}: no node `{node_id}` to merge", "remove the proposal"
                )
            siblings, node = found
            if node.get("children"):
                raise InputError(
                    f"{where}: proposal {n}: `{node_id}` has children", "merge its children first"
                )
            if into is not None and not _find(raw["nodes"], into):
                raise InputError(f"{where}: proposal {n}: no node `{into}` to merge into", "fix `into`")
            position = siblings.index(node)
            siblings.remove(node)
            parent = _parent_of(raw["nodes"], siblings)
            mapping[node_id] = into or ""
            affected |= {node_id, *([into] if into else [])}
            undo.append(
                {
                    "op": "add",
                    "node": {k: v for k, v in node.items() if k != "children"},
                    "parent": parent,
                    "position": position,
                }
            )
        else:
            raise InputError(f"{where}: proposal {n}: unknown op `{op}`", "use add, split or merge")
    reverse = {"base": None, "proposals": list(reversed(undo))}
    return Applied(raw, mapping, affected, members, reverse)


def _copy(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**n, "children": _copy(n.get("children") or [])} if n.get("children") else dict(n) for n in nodes
    ]


def _parent_of(nodes: list[dict[str, Any]], siblings: list[dict[str, Any]]) -> str | None:
    if siblings is nodes:
        return None
    for node in nodes:
        if node.get("children") is siblings:
            return str(node["id"])
        found = _parent_of(node.get("children") or [], siblings)
        if found:
            return found
    return None


def _apply_add(raw: dict[str, Any], prop: dict[str, Any], where: str) -> str:
    node = dict(prop.get("node") or {})
    node_id = node.get("id")
    if not node_id or not node.get("name"):
        raise InputError(f"{where}: an added node needs an id and a name", "fill node.id and node.name")
    if _find(raw["nodes"], node_id):
        raise InputError(f"{where}: node `{node_id}` exists already", "choose another id")
    node = {k: v for k, v in node.items() if v not in (None, "", [])}
    parent = prop.get("parent")
    if parent is None:
        siblings = raw["nodes"]
    else:
        found = _find(raw["nodes"], parent)
        if not found:
            raise InputError(f"{where}: no parent node `{parent}`", "fix `parent` (null: top level)")
        siblings = found[1].setdefault("children", [])
    position = prop.get("position")
    siblings.insert(position if isinstance(position, int) else len(siblings), node)
    return str(node_id)


def diff(old: Taxonomy, new: Taxonomy, mapping: dict[str, str]) -> list[str]:
    """What changed from `old` to `new`: nodes added, removed (with where their papers went),
    renamed, moved, re-described."""
    before = {n.id: n for n in old.iter_nodes()}
    after = {n.id: n for n in new.iter_nodes()}
    out = []
    for nid in sorted(after.keys() - before.keys()):
        parent = new.parent(nid)
        out.append(f"+ {nid} ({after[nid].name})" + (f" under {parent}" if parent else " at the top level"))
    for nid in sorted(before.keys() - after.keys()):
        target = mapping.get(nid)
        out.append(
            f"- {nid} ({before[nid].name})" + (f" -> {target}" if target else " (papers re-classified)")
        )
    for nid in sorted(before.keys() & after.keys()):
        a, b = before[nid], after[nid]
        if a.name != b.name:
            out.append(f"~ {nid}: renamed {a.name!r} -> {b.name!r}")
        if old.parent(nid) != new.parent(nid):
            out.append(
                f"~ {nid}: moved from {old.parent(nid) or 'top level'} to {new.parent(nid) or 'top level'}"
            )
        if a.description != b.description or a.keywords != b.keywords:
            out.append(f"~ {nid}: description or keywords changed")
    return out


# --- bootstrap -----------------------------------------------------------------------------------------
def bootstrap(
    papers: Sequence[Paper],
    topic: str,
    top: int = 0,
    per_node: int = 4,
    llm: tuple[LLMConfig, Cache] | None = None,
) -> tuple[dict[str, Any], LLMReport | None]:
    """A first taxonomy for `topic` from the papers: k-means top-level groups (about sqrt(n / 4),
    between 3 and 8), each big one split again into up to `per_node` children; names and
    descriptions from the groups' characteristic terms, or, with `llm`, from the model (which reads
    each group's papers). A draft for the author to edit."""
    ids = list(range(len(papers)))
    matrix, vocab = vectorize(papers)
    k = top or int(min(8, max(3, round((len(papers) / 4) ** 0.5))))
    used: set[str] = set()
    made: list[tuple[dict[str, Any], list[int]]] = []  # every node with its papers' rows

    def nodes(rows: list[int], k: int, depth: int) -> list[dict[str, Any]]:
        assigned = cluster(matrix[rows], k)
        groups: dict[int, list[int]] = defaultdict(list)
        for r, g in zip(rows, assigned, strict=True):
            groups[int(g)].append(r)
        out = []
        for group in sorted(groups.values(), key=lambda g: (-len(g), g[0])):
            terms = keywords(matrix, group, vocab, 6)
            node: dict[str, Any] = {
                "id": _fresh_id(" ".join(terms[:2]), used, "group"),
                "name": _name(terms),
                "description": f"{len(group)} papers on {', '.join(terms[:4])}.",
                "keywords": terms[:5],
            }
            made.append((node, group))
            if depth == 0 and len(group) >= 4 * per_node:
                node["children"] = nodes(group, per_node, 1)
            out.append(node)
        return out

    tree = nodes(ids, k, 0)
    report = None
    if llm is not None:
        from .llm import ask_json

        settings, cache = llm
        context = f"Survey topic: {topic}"
        jobs = [
            (
                f"name {node['id']}",
                name_messages(context, [papers[r] for r in rows], node["keywords"], BOOT_SYSTEM),
                200,
            )
            for node, rows in made
        ]
        replies, stats = ask_json(settings, cache, jobs, BOOT_SCHEMA, "name_category")
        report = LLMReport(settings.model, stats.requests, stats.cost, list(stats.notes))
        used = set()
        for (node, _), reply in zip(made, replies, strict=True):
            data = reply or {}
            name = " ".join(str(data.get("name") or "").split())[:80]
            if name:
                node["name"] = name
                node["description"] = (
                    " ".join(str(data.get("description") or "").split()) or node["description"]
                )
            else:
                report.notes.append(f"{node['id']}: no name in the reply; the keyword name is kept")
        for node, _ in made:  # ids from the final names
            node["id"] = _fresh_id(node["name"], used, "group")
    return {
        "name": topic,
        "description": f"A first taxonomy for {topic}, proposed from {len(papers)} papers; edit it.",
        "nodes": tree,
    }, report


# --- on a workspace -------------------------------------------------------------------------------------
VERSIONS = "taxonomy-versions"  # data/taxonomy-versions/<hash>.yaml: every taxonomy a patch replaced
LOG = "taxonomy-log.jsonl"  # data/taxonomy-log.jsonl: one line per applied patch


def suggest_workspace(
    ws: Workspace, max_proposals: int = MAX_PROPOSALS, backend: str = "offline"
) -> tuple[list[Proposal], dict[str, Any], LLMReport | None]:
    """Proposals for the workspace, the patch that carries them, and what the model cost (openai)."""
    from .pipeline import load_library

    check_backend(backend)
    lib = load_library(ws)
    papers = {pid: p for pid, p in lib.papers.items() if p.has_text}
    labels = {pid: rec for pid, rec in lib.labels.items() if pid in papers}
    cutoff = ws.config.classify.review_below
    proposals = suggest(ws.taxonomy, papers, labels, cutoff, max_proposals)
    report = None
    if backend == "openai":
        from .llm.cache import open_cache

        proposals, report = llm_refine(
            ws.config.llm,
            open_cache(ws.config.llm, ws.state_dir),
            ws.taxonomy,
            papers,
            proposals,
            candidates(papers, labels, cutoff),
        )
    return proposals, patch_dict(ws.taxonomy.hash, proposals, swollen(labels)), report


def check_backend(backend: str) -> None:
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
    from .classify.runner import classify_workspace

    text, patch = _read_patch(patch_path)
    old = ws.taxonomy
    log = read_jsonl_dicts(ws.data_dir / LOG)
    done = _applied_entry(log, patch, text, patch_path.name, old.hash)
    again = done is not None
    if done is None:
        if patch.get("base") not in (None, old.hash) and not force:
            raise InputError(
                f"{patch_path} was made for taxonomy {patch.get('base')}, the workspace has {old.hash}",
                "run `surveyor taxonomy suggest` again, or --force",
            )
        done = _commit_patch(ws, patch, text, patch_path)
    report = classify_workspace(Workspace(ws.root), command="taxonomy apply")
    before = load_taxonomy(ws.data_dir / VERSIONS / f"{done['from']}.yaml")
    return ApplyReport(
        done["from"],
        done["to"],
        diff(before, Workspace(ws.root).taxonomy, done["mapping"]),
        report.classified,
        done.get("kept", 0),
        done.get("human_moved", 0),
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
    log: list[dict[str, Any]], patch: dict[str, Any], text: str, name: str, current: str
) -> dict[str, Any] | None:
    """The log entry of this very patch when it is the last one applied (a rerun after a kill)."""
    if not log or log[-1].get("to") != current:
        return None
    last = log[-1]
    if "patch_sha" in last:
        return last if last["patch_sha"] == _patch_sha(text) else None
    return last if last.get("patch") == name and patch.get("base") in (None, last.get("from")) else None


def _commit_patch(ws: Workspace, patch: dict[str, Any], text: str, patch_path: Path) -> dict[str, Any]:
    """Work out every file the patch changes and write them as one step; return the log entry."""
    old = ws.taxonomy
    tax_path = ws.root / ws.config.taxonomy
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
    mapping = _follow(applied.mapping)
    lines = ws.decision_lines()
    moved = move_decisions(decisions.by_paper(lines), mapping, str(patch_path))
    machine = ws.load_labels()
    versions = ws.data_dir / VERSIONS
    archived = {c.paper: c for c in read_jsonl(versions / f"{new.hash}.labels.jsonl", Classification)}
    keep = carry_labels(machine, archived, applied, old.hash, new.hash)
    applied.reverse["base"] = new.hash
    entry = {
        "from": old.hash,
        "to": new.hash,
        "mapping": applied.mapping,
        "patch": patch_path.name,
        "patch_sha": _patch_sha(text),
        "kept": len(keep),
        "human_moved": len(moved),
    }
    log = [*read_jsonl_dicts(ws.data_dir / LOG), entry]
    ws.commit(
        {
            versions / f"{old.hash}.yaml": old_text,
            # the machine labels of the version being replaced, so a patch returning to it restores them
            versions / f"{old.hash}.labels.jsonl": jsonl_text(machine.values(), key=lambda c: c.paper),
            tax_path: new_text,
            ws.decisions_path: decisions.edit(lines, dict(moved)).decode("utf-8"),
            ws.labels_path: jsonl_text(keep.values(), key=lambda c: c.paper),
            ws.labels_journal.path: None,  # its records are in `machine`, hence in `keep` or redone
            patch_path.with_name(patch_path.stem + ".reverse.yaml"): yaml.safe_dump(
                applied.reverse, sort_keys=False, allow_unicode=True
            ),
            ws.data_dir / LOG: "".join(json.dumps(e, sort_keys=True) + "\n" for e in log),
        },
        "taxonomy apply",
    )
    return entry


def _follow(mapping: dict[str, str]) -> dict[str, str]:
    """Removed node -> where its papers end up, through merges into nodes merged later ("": nowhere)."""
    out = {}
    for node in mapping:
        target, seen = mapping[node], {node}
        while target in mapping and target not in seen:
            seen.add(target)
            target = mapping[target]
        out[node] = target
    return out


def move_decisions(
    human: dict[str, Classification], mapping: dict[str, str], where: str
) -> dict[str, Classification]:
    """The human decisions a patch changes, with their labels moved to where merged nodes went. A
    patch that would drop a human label (its node removed with nowhere to go) is refused."""
    lost = sorted(pid for pid, rec in human.items() if any(mapping.get(lab.node) == "" for lab in rec.labels))
    if lost:
        raise InputError(
            f"{where} removes nodes that hold human decisions with nowhere to move them: "
            + ", ".join(lost[:10])
            + (f" and {len(lost) - 10} more" if len(lost) > 10 else ""),
            "give those merges an `into`, or label those papers elsewhere first (`surveyor label`)",
        )
    out = {}
    for pid, rec in human.items():
        if not any(lab.node in mapping for lab in rec.labels):
            continue
        labels: dict[str, Any] = {}
        for lab in rec.labels:
            node = mapping.get(lab.node, lab.node)
            labels.setdefault(node, lab.model_copy(update={"node": node}))
        out[pid] = rec.model_copy(update={"labels": list(labels.values())})
    return out


def carry_labels(
    machine: dict[str, Classification],
    archived: dict[str, Classification],
    applied: Applied,
    old_hash: str,
    new_hash: str,
) -> dict[str, Classification]:
    """The machine labels that stay valid under the new taxonomy (re-stamped with it); the others
    are left out, to be re-classified. Back to a version we hold labels for: those, as they were."""
    touched = applied.affected_nodes | set(applied.mapping)
    keep = {}
    for pid, rec in machine.items():
        if pid in archived:
            keep[pid] = archived[pid]
        elif not (
            pid in applied.members
            or any(lab.node in touched for lab in rec.labels)
            or rec.taxonomy_hash != old_hash
        ):
            keep[pid] = rec.model_copy(update={"taxonomy_hash": new_hash})
    return keep


def read_jsonl_dicts(path: Path) -> list[dict[str, Any]]:
    """The lines of a small JSONL log as dicts (missing file: none)."""
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def diff_workspace(ws: Workspace, old_hash: str | None = None) -> list[str]:
    """What changed between a recorded taxonomy version (default: the one the last patch replaced)
    and the current taxonomy, with old ids mapped to new ones."""
    log = read_jsonl_dicts(ws.data_dir / LOG)
    if old_hash is None:
        if not log:
            raise InputError(
                "no taxonomy patch applied yet", "apply one with `surveyor taxonomy apply PATCH`"
            )
        old_hash = log[-1]["from"]
    path = ws.data_dir / VERSIONS / f"{old_hash}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (ws.data_dir / VERSIONS).glob("*.yaml"))) or "none"
        raise InputError(f"no recorded taxonomy version {old_hash}", f"recorded: {known}")
    mapping: dict[str, str] = {}
    started = False
    for entry in log:  # follow the merges from that version on
        started = started or entry["from"] == old_hash
        if started:
            for a, b in entry["mapping"].items():
                mapping.update({k: b for k, v in mapping.items() if v == a})
                mapping[a] = b
    return diff(load_taxonomy(path), ws.taxonomy, mapping)
