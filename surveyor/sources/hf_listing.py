"""Hugging Face paper listings saved as text: title lines each followed by an abstract.

Both page dumps in the wild are handled: paragraphs separated by blank lines, or a title line and
its abstract line with no blank lines. Page chrome ("Subscribe", dates, headings) before the first
paper is dropped, and chrome glued to the first title (`SubscribeTitle`) is cut off.
Input: the dump's text. Output: papers with a title and an abstract (no ids, dates or authors).
"""

from __future__ import annotations

import re

from .base import Parsed, Skip

FORMAT = "hf-listing"
_GLUED_CHROME = re.compile(r"^(Subscribe|Daily Papers|new)(?=[A-Z0-9])")
_CHROME = re.compile(
    r"^(new|subscribe|daily papers|get trending papers.*|by\s*ak.*|[A-Z][a-z]{2} \d{1,2})$", re.I
)


def is_abstract(line: str) -> bool:
    """Whether a line reads as an abstract (long prose) rather than a title."""
    return len(line) >= 250 or (len(line) >= 120 and line.count(". ") >= 2)


def parse(text: str, file: str) -> Parsed:
    """Parse a Hugging Face listing dump."""
    out = Parsed(FORMAT)
    lines = [(n, ln.strip()) for n, ln in enumerate(text.splitlines(), 1) if ln.strip()]
    pending: tuple[int, str] | None = None  # a title waiting for its abstract
    seen_paper = False
    for number, line in lines:
        if is_abstract(line):
            out.read += 1
            title = pending[1] if pending else None
            start = pending[0] if pending else number
            if title is None:
                out.skipped.append(Skip(number, "abstract without a title line: kept, untitled"))
            out.add(file, start, title=title, abstract=line)
            pending, seen_paper = None, True
            continue
        line = _GLUED_CHROME.sub("", line)
        if pending is not None:
            _drop_title(out, pending, seen_paper, file)
        if _CHROME.match(line) or not any(c.isalnum() for c in line):
            out.skipped.append(Skip(number, f"page text: {line[:60]!r}"))
            pending = None
        else:
            pending = (number, line)
    if pending is not None:
        _drop_title(out, pending, seen_paper, file)
    return out


def _drop_title(out: Parsed, pending: tuple[int, str], seen_paper: bool, file: str) -> None:
    """A title-like line with no abstract after it: page chrome before the list, else a paper."""
    number, title = pending
    if not seen_paper:
        out.skipped.append(Skip(number, f"page text: {title[:60]!r}"))
        return
    out.read += 1
    if out.add(file, number, title=title):
        out.skipped.append(Skip(number, "title without an abstract: kept, title only"))
