"""The conversation of `surveyor review`: show one queued paper, read the answer, save the decision.

Input: a queued paper and the terminal. Output: a decision saved through `review.decide`, and the
outcome (`saved`, `skipped` or `quit`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from .common import err, out

if TYPE_CHECKING:
    from ..review import QueueItem
    from ..store import Workspace
    from ..taxonomy import Taxonomy


def ask(ws: Workspace, item: QueueItem, counter: str, by: str | None) -> str:
    """Show one queued paper and act on the answer: `saved`, `skipped` or `quit`."""
    from ..review import accepted_labels, decide, parse_answer

    threshold = ws.config.classify.review_below
    names = {n.id: n.name for n in ws.taxonomy.iter_nodes()}
    show = [f"\n{counter} {item.paper.display_title}  [{item.paper.id}]  -- {item.why}"]
    if item.paper.abstract:
        show.append("  " + item.paper.abstract[:400] + ("..." if len(item.paper.abstract) > 400 else ""))
    candidates = [lab.node for lab in item.record.labels]
    for i, lab in enumerate(item.record.labels, 1):
        name = names.get(lab.node, "not in the taxonomy")
        show.append(f"  {i}. {lab.node} ({name}) {lab.confidence:.2f}: {lab.evidence[:120]}")
    out("\n".join(show))  # third-party text: no terminal escapes
    take = [lab.node for lab in accepted_labels(item.record, threshold) if lab.node in names]
    if take:
        out(f"  accept files it under: {', '.join(take)} (the top label; others only if >= {threshold:g})")
    while True:
        action = parse_answer(typer.prompt("[a]ccept [c]hange [o]ut of scope [s]kip [q]uit"))
        if action is None:
            err("type a, c, o, s or q")
        elif action == "accept" and not take:
            err("nothing to accept: change or mark out of scope")
        elif action in ("skip", "quit"):
            return "skipped" if action == "skip" else "quit"
        elif action == "accept":
            decide(ws, item.paper.id, take, by=by)
            return "saved"
        elif action == "out of scope":
            reason = _ask_line("reason it is out of scope")
            decide(ws, item.paper.id, [], out_of_scope=True, reason=reason, by=by)
            return "saved"
        else:
            nodes = _ask_nodes(ws.taxonomy, candidates)
            if nodes:
                decide(ws, item.paper.id, nodes, by=by)
                return "saved"


def _ask_line(question: str) -> str:
    while True:
        answer = typer.prompt(question, default="", show_default=False).strip()
        if answer:
            return answer
        err("please type a few words")


def _ask_nodes(taxonomy: Taxonomy, candidates: list[str]) -> list[str]:
    """Node ids (or numbers of the candidates shown); `?` lists every node; empty goes back."""
    from ..review import parse_nodes

    while True:
        text = typer.prompt(
            "node ids or numbers, space-separated (? lists all, empty goes back)",
            default="",
            show_default=False,
        ).strip()
        if not text:
            return []
        if text == "?":
            for node in taxonomy.iter_nodes():
                out(f"  {'  ' * (len(taxonomy.ancestors(node.id)) - 1)}{node.id}: {node.name}")
            continue
        nodes, problem = parse_nodes(text, taxonomy, candidates)
        if problem is None:
            return nodes
        err(f"{problem}; type again")
