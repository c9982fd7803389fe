"""Benchmark and dataset mentions in abstracts, from a gazetteer of names and their aliases.

Input: text, and a `Gazetteer` built from the shipped `benchmarks.yaml`, a workspace's own
`benchmarks.yaml`, and the names that the library's benchmark/dataset papers introduce.
Output: `Mention`s — canonical name, kind, and the sentence each was found in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from ..errors import SurveyorError
from ..text import fold, sentences

SHIPPED = Path(__file__).with_name("benchmarks.yaml")
GENERIC = frozenset(
    "benchmark benchmarks dataset datasets data video videos model models bench test eval evaluation"
    " suite task tasks corpus set new our this the a an".split()
)


def entity_key(name: str) -> str:
    """Alias-insensitive key: `Video-MME`, `VideoMME` and `Video MME` share `videomme`."""
    return fold(name).replace(" ", "")


@dataclass(frozen=True)
class Entry:
    """One benchmark or dataset and the spellings that name it."""

    name: str
    kind: str  # benchmark | dataset
    aliases: tuple[str, ...] = ()
    source: str = "shipped"  # shipped | workspace | library


@dataclass(frozen=True)
class Mention:
    """A name found in text, with the sentence that mentions it."""

    name: str
    kind: str
    sentence: str


def _surface_pattern(surface: str) -> str:
    parts = [re.escape(p) for p in re.split(r"[\s\-_]+", surface.strip()) if p]
    return r"[\s\-_]?".join(parts)


def usable_name(name: str) -> bool:
    """Whether a name can stand for a benchmark: not a generic word, not a sentence fragment."""
    words = name.split()
    return (
        3 <= len(name) <= 40
        and len(words) <= 4
        and fold(name) not in GENERIC
        and not all(w.lower() in GENERIC for w in words)
        and bool(re.search(r"[A-Z]", name))
    )


class Gazetteer:
    """Known names, matched case-sensitively with interchangeable separators, longest first."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        self.entries: dict[str, Entry] = {}
        for entry in entries:
            self.entries.setdefault(entity_key(entry.name), entry)
        self._by_surface: dict[str, Entry] = {}
        for entry in self.entries.values():
            for surface in (entry.name, *entry.aliases):
                self._by_surface.setdefault(entity_key(surface), entry)

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        surfaces = sorted(
            {s for e in self.entries.values() for s in (e.name, *e.aliases)}, key=lambda s: (-len(s), s)
        )
        if not surfaces:
            return None
        alternation = "|".join(_surface_pattern(s) for s in surfaces)
        return re.compile(rf"(?<![A-Za-z0-9])(?:{alternation})(?![A-Za-z0-9+])")

    def lookup(self, name: str) -> Entry | None:
        """The entry a name or alias stands for."""
        return self._by_surface.get(entity_key(name))

    def find(self, text: str) -> list[Mention]:
        """Every distinct entry mentioned in `text`, with the first sentence naming it, in order."""
        if self._regex is None:
            return []
        found: dict[str, Mention] = {}
        for sentence in sentences(text):
            for match in self._regex.finditer(sentence):
                entry = self.lookup(match.group(0))
                if entry is not None and entry.name not in found:
                    found[entry.name] = Mention(entry.name, entry.kind, sentence)
        return list(found.values())


def load_entries(path: Path, source: str) -> list[Entry]:
    """Read a benchmarks.yaml list of `{name, kind, aliases}`."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise SurveyorError(f"{path}: YAML syntax error: {exc}", "fix that file") from exc
    if not isinstance(raw, list):
        raise SurveyorError(f"{path}: expected a list of {{name, kind, aliases}}")
    out = []
    for number, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not item.get("name"):
            raise SurveyorError(f"{path}: entry {number} needs a `name`", "see the shipped benchmarks.yaml")
        kind = item.get("kind", "benchmark")
        if kind not in ("benchmark", "dataset"):
            raise SurveyorError(f"{path}: entry {number} ({item['name']}): kind must be benchmark or dataset")
        aliases = tuple(str(a) for a in item.get("aliases") or ())
        out.append(Entry(str(item["name"]), kind, aliases, source))
    return out


def shipped_entries() -> list[Entry]:
    """The entries of the shipped benchmarks.yaml."""
    return load_entries(SHIPPED, "shipped")


EVALUATING_TYPES = frozenset({"method", "analysis", "other"})


def relations(
    title: str | None, abstract: str | None, kind: str, own: Iterable[str], gazetteer: Gazetteer
) -> tuple[list[Mention], list[Mention]]:
    """(evaluated on, introduced) for one paper: names it introduces are its own, the rest it
    evaluates on — only for method, analysis and other papers, since benchmark and survey papers
    mostly mention other benchmarks to compare with them."""
    own_keys = {entity_key(n) for n in own}
    evaluated, introduced = [], []
    for mention in gazetteer.find("\n".join(t for t in (title, abstract) if t)):
        if entity_key(mention.name) in own_keys:
            introduced.append(mention)
        elif kind in EVALUATING_TYPES:
            evaluated.append(mention)
    return evaluated, introduced
