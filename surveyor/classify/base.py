"""The one interface every classification backend implements, and the registry that builds them.

A backend turns papers into `Verdict`s. Batching, caching, progress and persistence live in
`runner.py`, outside the backends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from ..errors import SurveyorError
from ..models import Paper, Verdict
from ..taxonomy import Taxonomy


@dataclass(frozen=True)
class Example:
    """A labelled paper a backend may learn from (human decisions, imported labels, taxonomy examples)."""

    paper: Paper
    labels: tuple[str, ...]


class Classifier(Protocol):
    """A backend: `classify` yields (paper id, verdict) pairs, in any order, as each is ready."""

    backend: str
    model: str
    prompt_hash: str | None

    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Classify `papers`; yield one verdict per paper (a failed one carries `status="failed"`)."""
        ...


Factory = Callable[[Taxonomy, Sequence[Example]], Classifier]
_REGISTRY: dict[str, Factory] = {}


def register(name: str) -> Callable[[Factory], Factory]:
    """Register a backend factory under `name`."""

    def wrap(factory: Factory) -> Factory:
        _REGISTRY[name] = factory
        return factory

    return wrap


def make_classifier(name: str, taxonomy: Taxonomy, examples: Sequence[Example]) -> Classifier:
    """Build the backend called `name`."""
    from . import baselines, offline  # noqa: F401  (they register themselves)

    if name not in _REGISTRY:
        raise SurveyorError(
            f"unknown classification backend `{name}`",
            f"available backends: {', '.join(sorted(_REGISTRY))}",
        )
    return _REGISTRY[name](taxonomy, examples)
