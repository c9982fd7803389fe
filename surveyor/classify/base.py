"""The one interface every classification backend implements, and the registry that builds them.

A backend turns papers into `Verdict`s. Batching, caching, progress and persistence live in
`runner.py`, outside the backends.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..errors import SurveyorError, did_you_mean
from ..models import Paper, Verdict
from ..taxonomy import Taxonomy

if TYPE_CHECKING:
    from ..config import Config


@dataclass(frozen=True)
class Example:
    """A labelled paper a backend may learn from (human decisions, imported labels, taxonomy examples)."""

    paper: Paper
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    """Where a backend finds its settings, its cache and prompt overrides."""

    config: Config | None = None
    state_dir: Path | None = None  # .surveyor/ of the workspace
    prompt_dir: Path | None = None  # the workspace's prompts/ (overrides the shipped templates)


class Classifier(Protocol):
    """A backend: `classify` yields (paper id, verdict) pairs, in any order, as each is ready."""

    backend: str
    model: str
    prompt_hash: str | None

    def classify(self, papers: Sequence[Paper]) -> Iterator[tuple[str, Verdict]]:
        """Classify `papers`; yield one verdict per paper (a failed one carries `status="failed"`)."""
        ...


Factory = Callable[[Taxonomy, Sequence[Example], Context], Classifier]
_REGISTRY: dict[str, Factory] = {}
# Backend name -> module that registers it; imported only when asked for (the SDK is slow to load).
MODULES = {"offline": "offline", "openai": "llm", "tfidf-cosine": "baselines", "tfidf-logreg": "baselines"}


def register(name: str) -> Callable[[Factory], Factory]:
    """Register a backend factory under `name`."""

    def wrap(factory: Factory) -> Factory:
        _REGISTRY[name] = factory
        return factory

    return wrap


def make_classifier(
    name: str, taxonomy: Taxonomy, examples: Sequence[Example], ctx: Context | None = None
) -> Classifier:
    """Build the backend called `name` (a shipped one, or one registered by the caller)."""
    if name not in _REGISTRY:
        if name not in MODULES:
            raise SurveyorError(
                f"unknown classification backend `{name}`",
                did_you_mean(name, sorted({*MODULES, *_REGISTRY}), "available backends"),
            )
        importlib.import_module(f"{__package__}.{MODULES[name]}")
    return _REGISTRY[name](taxonomy, examples, ctx or Context())
