"""Awesome-list READMEs: the heading hierarchy, the text under each heading, and the papers listed
under it as table rows or bullet lines, with their links, code links, venue, year and acronym.

Input: Markdown text. Output: `Doc` — sections (path of headings, level, text, line) and entries
(a paper and the section it sits in); `parse` turns that into papers whose source section is the
heading path. `adopt` builds a taxonomy and human labels from the same `Doc`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from ..models import Paper
from ..text import clean_space, parse_arxiv_id
from .base import Parsed, Skip, make_paper
from .daily_readme import split_row
from .venue import venue_from_comment

FORMAT = "awesome"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\[((?:\\.|[^\[\]\\])*)\]\(([^)\s]+)\)")  # [text](url); text may hold \] escapes
_CODE_HOST = re.compile(r"https?://(github\.com|gitlab\.com|huggingface\.co)/[^\s)]+", re.I)
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_SKIP_SECTIONS = re.compile(
    r"^(contents|table of contents|contributing|license|citation|acknowledg\w*|star history)$", re.I
)
_BADGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


@dataclass
class Section:
    """A heading and what is written right under it."""

    path: tuple[str, ...]
    level: int
    line: int
    text: str = ""


@dataclass
class Doc:
    """A parsed Awesome README."""

    title: str | None = None
    sections: list[Section] = field(default_factory=list)
    entries: list[tuple[Paper, tuple[str, ...]]] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    read: int = 0


def clean_heading(text: str) -> str:
    """A heading without emoji, badges, links and markup."""
    text = _BADGE.sub("", text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"[*_`]", "", text)
    text = "".join(c for c in text if c.isalnum() or c in " -–—&+×:,.()/'’?!" or ord(c) < 0x2000)
    return clean_space(text)


_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|#~!{}()+.\-])")
_CROSS_REF = re.compile(r"\s*\(listed under [^)]*\)\.?\s*$")  # surveyor's pointer to a paper's home


def _plain(text: str) -> str:
    """Text without badges and emphasis markers; backslash-escaped characters kept as written."""
    text = _ESCAPED.sub(lambda m: f"\x00{ord(m.group(1))}\x00", _BADGE.sub("", text))
    text = re.sub(r"[*_`]", "", text).replace("\u200b", "")
    return clean_space(re.sub(r"\x00(\d+)\x00", lambda m: chr(int(m.group(1))), text))


def read(text: str, file: str) -> Doc:
    """Parse the whole README."""
    doc = Doc()
    stack: list[tuple[int, str]] = []
    header: list[str] | None = None
    section: Section | None = None
    in_code = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if in_code or line.strip().startswith("<!--"):
            continue
        m = _HEADING.match(line)
        if m:
            level, name = len(m.group(1)), clean_heading(m.group(2))
            header = None
            if level == 1 and doc.title is None:
                doc.title = name
                stack = []
                section = None
                continue
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, name))
            path = tuple(n for _, n in stack)
            skip = any(_SKIP_SECTIONS.match(n) for n in path)
            section = None if skip else Section(path, level, number)
            if section:
                doc.sections.append(section)
            continue
        if section is None or not line.strip():
            continue
        if line.lstrip().startswith("|"):
            cells = split_row(line)
            if all(re.fullmatch(r":?-{2,}:?", c.strip()) for c in cells if c.strip()):
                continue
            if header is None:
                header = [_plain(c).lower() for c in cells]
                continue
            if header[:1] == ["benchmark"] and "evaluated methods" in header:
                continue  # surveyor's own Benchmarks table: benchmarks, not papers
            _row(doc, file, number, header, cells, section.path)
        elif re.match(r"^\s*([-*+]|\d+\.)\s+", line):
            header = None
            _bullet(doc, file, number, re.sub(r"^\s*([-*+]|\d+\.)\s+", "", line), section.path)
        elif not doc.entries or doc.entries[-1][1] != section.path:
            header = None
            if not line.lstrip().startswith(("<", "!", "[!")):
                section.text = clean_space(f"{section.text} {_plain(line)}")
    return doc


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((i for i, h in enumerate(header) if any(n in h for n in names)), None)


def _row(
    doc: Doc, file: str, number: int, header: list[str], cells: list[str], path: tuple[str, ...]
) -> None:
    doc.read += 1
    if len(cells) < len(header):
        doc.skipped.append(
            Skip(number, f"row has {len(cells)} cells, the table {len(header)}: kept what is there")
        )
    title_i = _pick(header, ("title", "paper", "name")) or 0
    cell = cells[title_i] if title_i < len(cells) else ""
    get = lambda names: cells[i] if (i := _pick(header, names)) is not None and i < len(cells) else ""  # noqa: E731
    links = _LINK.findall(cell)
    title = _plain(links[0][0]) if links else _CROSS_REF.sub("", _plain(cell))
    url = links[0][1] if links else None
    code = _CODE_HOST.search(get(("code", "github", "repo")) or "")
    year = _YEAR.search(get(("year", "date", "time")) or "") or _YEAR.search(
        get(("venue", "conference", "pub"))
    )
    acronym = _plain(_LINK.sub(lambda m: m.group(1), get(("acronym", "model", "method", "abbr"))))
    venue = _plain(get(("venue", "conference", "publication", "pub")))
    _add(
        doc,
        file,
        number,
        path,
        title,
        url,
        code.group(0) if code else None,
        int(year.group(0)) if year else None,
        venue,
        acronym,
    )


def _bullet(doc: Doc, file: str, number: int, body: str, path: tuple[str, ...]) -> None:
    body = _BADGE.sub("", body)  # `[![Stars](badge)](repo)` -> `[](repo)`: the repo link stays
    links = _LINK.findall(body)
    if not links and not re.search(r"\*\*[^*]+\*\*", body):
        words = _plain(body)
        if len(words.split()) >= 3 and not words.endswith(":"):  # a paper listed without any link
            doc.read += 1
            year = _YEAR.search(words)
            title = _CROSS_REF.sub("", words)
            title = re.sub(r"\s*\([^()]*\b(19|20)\d{2}\)\.?\s*$", "", title)  # `Title (ACL 2023).`
            title = re.sub(r"[,.;]?\s*\(?\b(19|20)\d{2}\)?\s*$", "", title)
            _add(doc, file, number, path, title, None, None, int(year.group(0)) if year else None, "", "")
        return
    doc.read += 1
    main = next(
        (
            (t, u)
            for t, u in links
            if t.strip()
            and t.strip().lower() not in ("paper", "pdf", "arxiv", "code", "project", "github", "page")
        ),
        None,
    )
    bold = re.search(r"\*\*([^*]+)\*\*", body)
    title = _plain(main[0]) if main else _plain(bold.group(1)) if bold else ""
    paper_link = next(
        (u for t, u in links if t.strip().lower() in ("paper", "pdf", "arxiv") or "arxiv.org" in u), None
    )
    url = main[1] if main and not _CODE_HOST.match(main[1]) else paper_link
    code = next((u for _, u in links if _CODE_HOST.match(u)), None)
    rest = _LINK.sub("", body)
    year = _YEAR.search(rest)
    known = venue_from_comment(rest)
    venue = known[0] if known else ""
    _add(
        doc,
        file,
        number,
        path,
        title,
        url,
        code,
        int(year.group(0)) if year else None,
        venue,
        "",
    )


def _add(
    doc: Doc,
    file: str,
    number: int,
    path: tuple[str, ...],
    title: str,
    url: str | None,
    code: str | None,
    year: int | None,
    venue: str,
    acronym: str,
) -> None:
    title = re.sub(r"^\W+|[\s.]+$", "", title)
    if not title and not (url and parse_arxiv_id(url)):
        doc.skipped.append(Skip(number, "no title or paper link on this line"))
        return
    links = {"code": code} if code else {}
    venue = venue if venue and venue.lower() not in ("arxiv", "-", "n/a", "preprint") else ""
    try:
        paper = make_paper(
            file,
            FORMAT,
            number,
            title=title or None,
            url=url,
            section=" > ".join(path),
            year=year,
            venue=_YEAR.sub("", venue).strip(" '’,") or None,
            acronym=acronym or None,
            links=links,
        )
    except (ValidationError, ValueError) as exc:
        doc.skipped.append(Skip(number, str(exc).splitlines()[0][:100]))
        return
    doc.entries.append((paper, path))


def parse(text: str, file: str) -> Parsed:
    """Parse an Awesome README into papers (each one's source section is its heading path)."""
    doc = read(text, file)
    return Parsed(FORMAT, [p for p, _ in doc.entries], doc.skipped, doc.read)
