"""arXiv id lists: one id or arXiv URL a line, optionally followed by a title; `#` comments.

Input: the list's text. Output: papers with an arXiv id (and a title when the line gives one);
`surveyor add` fetches the rest of their metadata.
"""

from __future__ import annotations

import re

from ..text import ARXIV_ID_RE, ARXIV_URL_RE
from .base import Parsed, Skip

FORMAT = "ids"


def parse(text: str, file: str) -> Parsed:
    """Parse an id list."""
    out = Parsed(FORMAT)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("http") else raw.strip()
        if not line:
            continue
        out.read += 1
        first, _, rest = line.partition(" ")
        m = _leading_id(first)
        if not m:
            out.skipped.append(Skip(number, f"not an arXiv id or URL: {first[:40]!r}"))
            continue
        title = re.sub(r"^[\s\-–:|]+", "", rest).strip() or None
        out.add(file, number, title=title, arxiv_id=m.group(0))
    return out


def looks_like(text: str) -> bool:
    """Whether most (60%) non-comment lines start with an arXiv id or URL."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")][:50]
    hits = sum(bool(_leading_id(ln)) for ln in lines)
    return bool(lines) and hits >= 0.6 * len(lines)


def _leading_id(line: str) -> re.Match[str] | None:
    first = line.split(" ", 1)[0]
    return ARXIV_URL_RE.search(first) if first.startswith("http") else ARXIV_ID_RE.fullmatch(first)
