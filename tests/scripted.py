"""A scripted classifier for pipeline tests: a real backend (registered like the shipped ones, run by
the real runner) whose verdicts a test writes down in advance.

A script maps a paper id to node ids, to OUT (out of scope) or to FAIL (a failed verdict); a paper
the script does not name is an error, so a test sees at once when the runner asks for a paper it
should have skipped. Every call is recorded in `calls` (the ids of each batch, in order).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from surveyor.classify.base import Context, Example, register
from surveyor.models import Label, Paper, Verdict
from surveyor.taxonomy import Taxonomy

OUT = "out-of-scope"
FAIL = "fail"
BACKEND = "scripted"


@dataclass
class Script:
    """What the scripted backend answers, and what it was asked."""

    answers: dict[str, list[str] | str] = field(default_factory=dict)
    model: str = "script-1"
    calls: list[list[str]] = field(default_factory=list)

    def verdict(self, paper: Paper, taxonomy: Taxonomy) -> Verdict:
        """The scripted verdict for one paper (KeyError for a paper the script does not name)."""
        answer = self.answers[paper.id]
        if answer == OUT:
            return Verdict(out_of_scope=True, reason="scripted")
        if answer == FAIL:
            return Verdict(status="failed", error="scripted failure")
        nodes = [answer] if isinstance(answer, str) else answer
        unknown = [n for n in nodes if n not in taxonomy]
        assert not unknown, f"the script names nodes the taxonomy lacks: {unknown}"
        return Verdict(labels=[Label(node=n, confidence=0.9, evidence="scripted") for n in nodes])


SCRIPT = Script()  # the one the registered backend reads; tests set it through the fixture


class ScriptedClassifier:
    """The `scripted` backend: answers from `SCRIPT`."""

    backend = BACKEND
    prompt_hash: str | None = None

    def __init__(self, taxonomy: Taxonomy, examples: Sequence[Example]) -> None:
        self.taxonomy = taxonomy
        self.model = SCRIPT.model
        self.examples = list(examples)

    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """One scripted verdict per paper, in order."""
        SCRIPT.calls.append([p.id for p in papers])
        for paper in papers:
            yield paper.id, SCRIPT.verdict(paper, self.taxonomy)


@register(BACKEND)
def _make(taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context) -> ScriptedClassifier:
    return ScriptedClassifier(taxonomy, examples)
