"""What kind of paper this is, and the name its title gives its method or benchmark.

Input: a title and an abstract (either may be missing). Output: a paper type (method, benchmark,
dataset, survey, analysis, other) and the acronym or name the title announces, if any.
"""

from __future__ import annotations

import re

_NAME_BEFORE_COLON = re.compile(r"^\s*([A-Za-z0-9][\w\-.+&'²³]*(?:[ \-][\w\-.+&'²³]+){0,2})\s*:\s+\S")
_NAME_IN_PARENS = re.compile(r"\(([A-Z][\w\-.+]{1,30})\)\s*$")
_NOT_NAMES = {
    "towards",
    "toward",
    "survey",
    "benchmark",
    "benchmarking",
    "review",
    "position",
    "revisiting",
    "rethinking",
    "beyond",
    "what",
    "when",
    "why",
    "how",
    "can",
    "do",
    "does",
    "is",
    "are",
    "from",
    "seeing",
    "thinking",
    "unlocking",
    "exploring",
    "understanding",
    "scaling",
    "bridging",
    "video",
    "technical report",
    "tech report",
    "demo",
    "analysis",
    "evaluation",
    "dataset",
}
_TYPE_RULES: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = [
    (
        "survey",
        re.compile(r"\b(survey|review|overview|tutorial)\b", re.I),
        re.compile(r"\b(this|our|we) (survey|review|present a (comprehensive )?(survey|review))", re.I),
    ),
    (
        "benchmark",
        re.compile(r"\b(bench(mark)?s?|\w+bench|arena|evaluation suite)\b", re.I),
        re.compile(
            r"\b(introduce|present|propose|construct|build|curate|release)\w*\b[^.]{0,80}\bbenchmark",
            re.I,
        ),
    ),
    (
        "dataset",
        re.compile(r"\b(dataset|corpus|data ?set)\b", re.I),
        re.compile(
            r"\b(introduce|present|propose|construct|build|curate|release|collect)\w*\b[^.]{0,80}\b(dataset|corpus)\b",
            re.I,
        ),
    ),
    (
        "analysis",
        re.compile(
            r"\b(empirical study|an analysis|analy[sz]ing|do .* really|investigat\w*|probing)\b",
            re.I,
        ),
        None,
    ),
    (
        "method",
        re.compile(r"^\S+:"),
        re.compile(
            r"\b(we|this paper|this work)\b[^.]{0,40}\b(propose|present|introduce|design|develop)\w*\b"
            r"[^.]{0,80}\b(model|framework|method|approach|architecture|algorithm|module|paradigm"
            r"|system|mechanism|strategy|pipeline|agent)",
            re.I,
        ),
    ),
]


def title_name(title: str | None) -> str | None:
    """The acronym or name a title announces: `TimeChat: ...` or `... (VideoRefer)`."""
    if not title:
        return None
    m = _NAME_BEFORE_COLON.match(title)
    if m:
        name = m.group(1).strip()
        words = name.split()
        looks_named = len(words) == 1 or any(re.search(r"[a-z][A-Z]|\d|^[A-Z]{2,}", w) for w in words)
        if name.lower() not in _NOT_NAMES and looks_named and len(name) <= 40:
            return name
    m = _NAME_IN_PARENS.search(title)
    return m.group(1) if m else None


def paper_type(title: str | None, abstract: str | None) -> str:
    """Classify a paper's kind with title-first rules; the title decides when it is explicit."""
    title = title or ""
    abstract = abstract or ""
    for kind, in_title, _ in _TYPE_RULES:
        if kind != "method" and in_title.search(title):
            return kind
    for kind, _, rule in _TYPE_RULES:
        if rule is not None and rule.search(abstract[:600]):
            return kind
    return "method" if title_name(title) else "other"
