"""Abstract-per-line files: `Abstract:<text>` on each line, no titles, no ids.

Input: the file's text. Output: untitled papers, one per abstract line.
"""

from __future__ import annotations

from .base import Parsed, Skip

FORMAT = "abstracts"
PREFIX = "abstract:"


def parse(text: str, file: str) -> Parsed:
    """Parse an abstract-per-line file."""
    out = Parsed(FORMAT)
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        out.read += 1
        body = line[len(PREFIX) :].strip() if line.lower().startswith(PREFIX) else line
        if len(body) < 40:
            out.skipped.append(Skip(number, f"too short to be an abstract: {body[:40]!r}"))
            continue
        out.add(file, number, abstract=body)
    return out
