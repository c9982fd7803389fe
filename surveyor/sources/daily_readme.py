"""Daily-arXiv README tables: `## keyword` sections of `| Title | Date | Abstract | Comment |` rows.

Input: the README text. Output: one paper per table row (title, arXiv id and version from the
link, date, abstract from `<details>`, comment, venue parsed from the comment, code link).
"""

from __future__ import annotations

import html
import re

from ..text import clean_space
from .base import Parsed, Skip
from .venue import venue_from_comment

FORMAT = "daily-readme"
_TITLE_LINK = re.compile(r"\[(?P<title>.+?)\]\((?P<url>[^)\s]+)\)")
_TAG = re.compile(r"<[^>]+>")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CODE = re.compile(r"https?://github\.com/[\w.\-]+/[\w.\-]+")


def split_row(line: str) -> list[str]:
    """Cells of a Markdown table row, honouring `\\|` escapes."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    cells = re.split(r"(?<!\\)\|", body)
    return [c.strip().replace("\\|", "|") for c in cells]


def _details_text(cell: str) -> str:
    """The text of a `<details><summary>..</summary><p>TEXT</p></details>` cell, or the cell."""
    m = re.search(r"<p>(.*?)(</p>|$)", cell, re.S)
    text = m.group(1) if m else cell
    return clean_space(html.unescape(_TAG.sub(" ", text)))


def _unmark(title: str) -> str:
    title = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|])", r"\1", title)
    return clean_space(html.unescape(title.replace("**", "")))


def parse(text: str, file: str) -> Parsed:
    """Parse a daily-arXiv README."""
    out = Parsed(FORMAT)
    section: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if not line.lstrip().startswith("|") or re.match(r"^\|\s*(\*\*Title|-{3})", line.strip()):
            continue
        out.read += 1
        cells = split_row(line)
        if not line.rstrip().endswith("|") or len(cells) < 4:
            out.skipped.append(Skip(number, f"row cut short ({len(cells)} of 4 cells)"))
            continue
        m = _TITLE_LINK.search(cells[0])
        if not m:
            out.skipped.append(Skip(number, "no [title](link) in the first cell"))
            continue
        comment = _details_text(cells[3]) or None
        venue = venue_from_comment(comment)
        code = _CODE.search(comment or "")
        date = cells[1] if _DATE.match(cells[1]) else None
        out.add(
            file,
            number,
            title=_unmark(m.group("title")),
            url=m.group("url"),
            abstract=_details_text(cells[2]) or None,
            section=section,
            comment=comment,
            updated=date,
            venue=venue[0] if venue else None,
            year=(venue[1] if venue and venue[1] else None),
            links={"code": code.group(0)} if code else None,
        )
    return out
