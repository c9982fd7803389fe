"""What the LLM backend sends and how it reads the reply: pure functions, no I/O but template files.

Input: taxonomy, paper, few-shot examples, templates. Output: chat messages (the system message is
a stable prefix, byte-identical for every paper), the reply's JSON schema, and a `Verdict` from a
reply — or a `ReplyError` saying what was wrong, to send back once. A verdict on a paper whose
text, or whose reply, addresses the model (`guard.py`) is flagged for review.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..llm.codec import ReplyError
from ..models import PAPER_TYPES, Label, Paper, PaperType, Verdict
from ..resources import fill, prompt_template
from ..taxonomy import Node, Taxonomy
from .base import Example
from .exemplars import title_line
from .guard import injection_flag

SYSTEM = "classify_system.md"
NO_DESCRIPTION = "(no description: go by the papers filed here)"
USER = "classify_user.md"


class ReplyLabel(BaseModel):
    """One label as the model gives it."""

    model_config = ConfigDict(extra="ignore")
    node: str
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: str = ""


class Reply(BaseModel):
    """The whole reply, validated."""

    model_config = ConfigDict(extra="ignore")
    out_of_scope: bool = False
    reason: str | None = None
    labels: list[ReplyLabel] = Field(default_factory=list)
    paper_type: PaperType = "other"
    method: str | None = None
    evaluates_on: list[str] = Field(default_factory=list)
    introduces: list[str] = Field(default_factory=list)


def load_templates(override_dir: Path | None) -> tuple[str, str]:
    """The system and user templates: the workspace's own when present, else the shipped ones."""
    return prompt_template(SYSTEM, override_dir), prompt_template(USER, override_dir)


def _outline(nodes: list[Node], shown: dict[str, list[Example]], depth: int = 0) -> list[str]:
    lines = []
    for node in nodes:
        pad = "  " * depth
        extra = f" (keywords: {', '.join(node.keywords)})" if node.keywords else ""
        facet = " [facet: a parallel view; one category inside it]" if node.facet else ""
        about = node.description.strip() or (NO_DESCRIPTION if node.id in shown else "")
        lines.append(f"{pad}- {node.id}: {node.name}{' — ' + about if about else ''}{extra}{facet}")
        if node.id in shown:
            lines.append(f"{pad}  Filed here by the author: {'; '.join(map(title_line, shown[node.id]))}")
        lines += _outline(node.children, shown, depth + 1)
    return lines


def _scope(taxonomy: Taxonomy) -> str:
    """What the survey covers, from its scope (or description): the out-of-scope test."""
    scope = taxonomy.scope
    if scope and scope.description.strip():
        return f"In scope: {scope.description.strip()}"
    if scope and scope.keywords:
        return f"In scope: papers about {', '.join(scope.keywords)}."
    return "In scope: papers on the survey's subject as described above."


def render_system(template: str, taxonomy: Taxonomy, shown: dict[str, list[Example]] | None = None) -> str:
    """The stable prefix: instructions, the whole taxonomy, and the papers filed under each node."""
    facets = ""
    if any(n.facet for n in taxonomy.iter_nodes()):
        unfiled = (
            ", even when the examples show none there (the author has not filed every paper in every facet)"
            if shown
            else ""
        )
        facets = (
            "\n- The categories marked [facet] are parallel views, each sorting the same papers its own way."
            " Answer each facet separately: when a facet's categories fit the paper, give its one best"
            f' category there{unfiled}; never two inside one facet. "Exactly one label" above counts each'
            " facet separately."
        )
    values = {
        "name": taxonomy.name,
        "description": taxonomy.description.strip(),
        "taxonomy": "\n".join(_outline(taxonomy.nodes, shown or {})),
        "scope": _scope(taxonomy),
        "facets": facets,
    }
    return fill(template, values)


def render_user(template: str, paper: Paper, examples: list[Example], taxonomy: Taxonomy) -> str:
    """The paper, after the few-shot examples most like it. With facets, an example says which
    facets the author did not file it in (not filed is not "does not apply")."""
    shots = ""
    facets = [n for n in taxonomy.iter_nodes() if n.facet]
    for ex in examples:
        known = [n for n in ex.labels if n in taxonomy]
        names = ", ".join(f"{n} ({taxonomy.node(n).name})" for n in known)
        unfiled = [f for f in facets if not any(taxonomy.facet_of(n) == f.id for n in known)]
        names += "".join(f"; not filed in facet {f.id} ({f.name})" for f in unfiled)
        shots += (
            f"Example (labelled by the survey's author):\nTitle: {ex.paper.title or ''}\nLabels: {names}\n\n"
        )
    values = {
        "examples": shots,
        "title": paper.title or "(no title)",
        "abstract": paper.abstract or "(no abstract)",
    }
    return fill(template, values)


def prompt_hash(system_template: str, user_template: str, taxonomy: Taxonomy) -> str:
    """Short hash of both templates and the rendered taxonomy (changes when either changes). The
    papers filed under each node are left out, like the few-shot examples: a new human decision
    changes what later requests show, not whether earlier labels are current."""
    blob = system_template + "\x00" + user_template + "\x00" + render_system(system_template, taxonomy)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def reply_schema(taxonomy: Taxonomy) -> dict[str, Any]:
    """JSON schema of the reply, strict-mode compatible (every property required, no extras)."""
    ids = [n.id for n in taxonomy.iter_nodes()]
    nullable_str = {"type": ["string", "null"]}
    strings = {"type": "array", "items": {"type": "string"}}
    label = {
        "type": "object",
        "properties": {
            "node": {"type": "string", "enum": ids},
            "confidence": {"type": "number"},
            "evidence": {"type": "string"},
        },
        "required": ["node", "confidence", "evidence"],
        "additionalProperties": False,
    }
    props = {
        "out_of_scope": {"type": "boolean"},
        "reason": nullable_str,
        "labels": {"type": "array", "items": label},
        "paper_type": {"type": "string", "enum": list(PAPER_TYPES)},
        "method": nullable_str,
        "evaluates_on": strings,
        "introduces": strings,
    }
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def _norm(text: str) -> str:
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", re.sub(r"[\"'`]", "", text)).strip(" .…")


def grounded(evidence: str, paper: Paper) -> bool:
    """Whether the quote occurs in the title or abstract (case, quotes and spacing aside)."""
    quote = _norm(evidence)
    return bool(quote) and quote in _norm(paper.text)


def to_verdict(data: Any, paper: Paper, taxonomy: Taxonomy) -> Verdict:
    """Validate a parsed reply into a Verdict; raise ReplyError with what to fix."""
    try:
        reply = Reply.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ReplyError(f"field `{where}`: {err['msg']}") from exc
    unknown = [lab.node for lab in reply.labels if lab.node not in taxonomy]
    if unknown:
        raise ReplyError(f"`{unknown[0]}` is not a category id; use only the ids listed")
    if not reply.out_of_scope and not reply.labels:
        raise ReplyError("give at least one label, or set out_of_scope to true with a reason")
    labels = [
        Label(
            node=lab.node,
            confidence=lab.confidence,
            evidence=lab.evidence,
            grounded=grounded(lab.evidence, paper),
        )
        for lab in reply.labels
    ]
    # text addressed to the model, in the paper or echoed in the reply: a human decides first
    flag = injection_flag(paper.title, paper.abstract, reply.reason, *(lab.evidence for lab in labels))
    return Verdict(
        labels=[] if reply.out_of_scope else labels,
        flag=flag,
        out_of_scope=reply.out_of_scope,
        reason=(reply.reason or "the model gave no reason") if reply.out_of_scope else None,
        paper_type=reply.paper_type,
        method=reply.method or None,
        evaluates_on=[x for x in reply.evaluates_on if x.strip()],
        introduces=[x for x in reply.introduces if x.strip()],
    )
