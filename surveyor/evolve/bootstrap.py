"""A first taxonomy from the library's papers: k-means groups, each big one split again, named by a noun
phrase their titles share (evolve/naming.py) or, with a model, by the model reading each group's papers.

Input: papers and a topic (and LLM settings with a cache). Output: a taxonomy as a YAML-ready dict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import LLMConfig
from ..models import Paper
from ..store import Cache
from .grouping import cluster, fresh_id, keywords, vectorize
from .naming import Namer
from .refine import BOOT_SCHEMA, BOOT_SYSTEM, LLMReport, name_messages


def bootstrap(
    papers: Sequence[Paper],
    topic: str,
    top: int = 0,
    per_node: int = 4,
    llm: tuple[LLMConfig, Cache] | None = None,
    prompts: Path | None = None,
) -> tuple[dict[str, Any], LLMReport | None]:
    """A first taxonomy for `topic` from the papers: k-means top-level groups (about sqrt(n / 4),
    between 3 and 8), each big one split again into up to `per_node` children; names and
    descriptions from the groups' characteristic terms, or, with `llm`, from the model (which reads
    each group's papers; `prompts`: the workspace's own templates). A draft for the author to edit."""
    ids = list(range(len(papers)))
    matrix, vocab = vectorize(papers)
    namer = Namer([p.display_title for p in papers])
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
            name = namer.name([papers[r].display_title for r in group], terms)
            node: dict[str, Any] = {
                "id": fresh_id(name, used, "group"),
                "name": name,
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
        from ..llm import ask_json

        settings, cache = llm
        context = f"Survey topic: {topic}"
        jobs = [
            (
                f"name {node['id']}",
                name_messages(context, [papers[r] for r in rows], node["keywords"], BOOT_SYSTEM, prompts),
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
            node["id"] = fresh_id(node["name"], used, "group")
    return {
        "name": topic,
        "description": f"A first taxonomy for {topic}, proposed from {len(papers)} papers; edit it.",
        "nodes": tree,
    }, report
