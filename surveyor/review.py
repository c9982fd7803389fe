"""Human decisions: the review queue and the records `surveyor label` and `surveyor review` write.

Input: a workspace. Output: the queue (machine labels that are unsure, ungrounded or failed),
and human decisions written to `data/decisions.jsonl` — they always win and are never overwritten
by a classifier, and they become the offline classifier's training examples.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import clock, decisions
from .errors import SurveyorError, did_you_mean
from .library import load_library
from .models import Classification, Label, Paper
from .store import Workspace
from .taxonomy import Taxonomy
from .text import parse_arxiv_id


@dataclass
class QueueItem:
    """A paper whose machine label needs a human look, and why."""

    paper: Paper
    record: Classification
    why: str


def review_reason(rec: Classification, cutoff: float) -> str | None:
    """Why a machine label needs a human look (failed, flagged, ungrounded, unsure), or None."""
    if rec.status == "failed":
        return f"failed: {rec.error}"
    if rec.flag:
        return rec.flag
    if any(not lab.grounded for lab in rec.labels):
        return "evidence not found in the title or abstract"
    if rec.labels and min(lab.confidence for lab in rec.labels) < cutoff:
        return f"confidence {min(lab.confidence for lab in rec.labels):.2f} < {cutoff}"
    return None


def review_queue(ws: Workspace) -> list[QueueItem]:
    """Unsure, ungrounded or failed machine labels without a human decision, least sure first."""
    lib = load_library(ws)
    papers, labels, decided = lib.papers, lib.machine, lib.human
    cutoff = ws.config.classify.review_below
    items = []
    for pid, rec in labels.items():
        if pid not in papers or pid in decided:
            continue
        why = review_reason(rec, cutoff)
        if why:
            items.append(QueueItem(papers[pid], rec, why))
    return sorted(
        items, key=lambda it: (min((lab.confidence for lab in it.record.labels), default=0.0), it.paper.id)
    )


def find_paper(papers: dict[str, Paper], ref: str) -> Paper:
    """A paper by id, former id, arXiv id (any version) or arXiv URL."""
    if ref in papers:
        return papers[ref]
    parsed = parse_arxiv_id(ref)
    for paper in papers.values():
        if ref in paper.aliases or (parsed and paper.arxiv_id == parsed[0]):
            return paper
    raise SurveyorError(
        f"no paper `{ref}` in the workspace", "use an id from data/papers.jsonl or an arXiv id"
    )


def decide(
    ws: Workspace,
    ref: str,
    nodes: list[str],
    out_of_scope: bool = False,
    reason: str | None = None,
    by: str | None = None,
) -> Classification:
    """Record a human decision for one paper (labels, or out of scope) and return it. Only that
    paper's line of data/decisions.jsonl changes (a line naming it by another id, a former one or
    its arXiv id with a version, is replaced by it); the lock is held from reading to writing."""
    taxonomy = ws.taxonomy
    unknown = [n for n in nodes if n not in taxonomy]
    if unknown:
        known = [n.id for n in taxonomy.iter_nodes()]
        raise SurveyorError(
            f"`{unknown[0]}` is not a node of the taxonomy", did_you_mean(unknown[0], known, "node ids")
        )
    if not nodes and not out_of_scope:
        raise SurveyorError("give at least one node id, or --out-of-scope")
    with ws.lock("label"):
        papers = ws.load_papers()
        paper = find_paper(papers, ref)
        record = Classification(
            paper=paper.id,
            backend="human",
            model=by or os.environ.get("USER") or "human",
            taxonomy_hash=taxonomy.hash,
            run_id="manual",
            time=clock.stamp(),
            labels=[Label(node=n, confidence=1.0) for n in dict.fromkeys(nodes)],
            out_of_scope=out_of_scope,
            reason=(reason or "marked out of scope by a human") if out_of_scope else None,
        )
        alias_of = decisions.other_ids(papers)
        former = {
            k: None
            for k in ws.load_decisions()
            if k != paper.id and decisions.paper_of(k, papers, alias_of) == paper.id
        }
        ws.edit_decisions({**former, paper.id: record})
    return record


def accepted_labels(rec: Classification, threshold: float) -> list[Label]:
    """The labels a person accepting a machine verdict takes: the most confident one, and the others
    only when at least `threshold` sure."""
    if not rec.labels:
        return []
    ranked = sorted(rec.labels, key=lambda lab: -lab.confidence)
    return [ranked[0], *(lab for lab in ranked[1:] if lab.confidence >= threshold)]


ANSWERS = {"a": "accept", "c": "change", "o": "out of scope", "s": "skip", "q": "quit"}


def parse_answer(text: str) -> str | None:
    """The review action a typed answer names (`a`, `accept`, ...), or None: ask again."""
    word = text.strip().lower()
    for key, action in ANSWERS.items():
        if word in (key, action, action.replace(" ", "-"), action.split()[0]):
            return action
    return None


def parse_nodes(text: str, taxonomy: Taxonomy, candidates: list[str]) -> tuple[list[str], str | None]:
    """Node ids from a typed answer (ids, or numbers of the candidates shown), or the problem with it."""
    import difflib

    ids = {n.id for n in taxonomy.iter_nodes()}
    nodes = []
    for word in text.replace(",", " ").split():
        if word.isdigit() and 1 <= int(word) <= len(candidates):
            nodes.append(candidates[int(word) - 1])
        elif word in ids:
            nodes.append(word)
        else:
            close = difflib.get_close_matches(word, sorted(ids), n=3)
            return [], f"`{word}` is not a node" + (f"; did you mean {', '.join(close)}?" if close else "")
    if not nodes:
        return [], "give at least one node id"
    return list(dict.fromkeys(nodes)), None
