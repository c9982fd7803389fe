"""Awesome-list READMEs as a lossless model: the README's own lines, and on them its headings
(Markdown `##` and HTML `<h2>`), its sections, and its entries — list items with their
continuation lines, table rows, paragraphs — each with the exact lines it spans and the paper it
names. Nothing is rebuilt from the model: the text is the lines, so an unchanged list comes back
byte for byte, and an edit is a splice of whole lines. An entry's paper records the file and the
section, not the line: lines move whenever anyone edits the list, and `parse` (importing a list
as a source) adds them.

Input: the README's text. Output: `Doc`. Blocks come from markdown-it-py (its tokens carry line
ranges); what an entry says comes from `awesome_entry`. Contents lists, results tables (rows of
scores or of in-page links), and Contributing / License / Citation sections are not entries;
entries that name no paper, or hold a NUL or an invalid character, are reported with their line.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from pydantic import ValidationError

from ..models import Paper
from ..text import clean_space
from .awesome_entry import Facts, read_item, read_row, units
from .base import Parsed, Skip, make_paper

FORMAT = "awesome"
_SKIP_SECTIONS = re.compile(
    r"^(table of contents?|contents?|toc|outline|contribut\w*|how to contribute|licen[cs]e|citations?|"
    r"cite( us| this( work| repo\w*| list)?)?|citing|bibtex|acknowledg\w*|star history|stargazers|contact"
    r"( us)?|news|updates|latest updates|what'?s new|changelog|todo|sponsors?|footnotes|"
    r"(related|other) (awesome )?(lists?|repos|repositories|resources))$",
    re.I,
)
_CONTENTS = re.compile(r"^(table of contents?|contents?|toc|outline)$", re.I)  # its sub-headings are sections
_HTML_HEADING = re.compile(r"<h([1-6])\b[^>]*>(.*?)</h\1\s*>", re.I)
_COMMENT = re.compile(r"<!--(?:[^-]|-(?!->))*-->")
_TAGS = re.compile(r"<[^<>]*>")
_BAD = re.compile("[\x00\ud800-\udfff\ufffe\uffff]")
_LOCAL = "links only to files of the repository (or a malformed link): not read as a paper"
_SCORE = re.compile(r"^\s*[<>~±]?\s*\d+(\.\d+|(\.\d+)?\s*%)\s*$")


@dataclass
class Section:
    """A heading and what is written right under it; `skip` for sections that list no papers."""

    path: tuple[str, ...]
    level: int
    line: int  # 1-based line of the heading
    text: str = ""
    skip: bool = False


@dataclass(eq=False)
class Entry:
    """One entry: its kind, the lines it spans (0-based, end exclusive), its section and paper."""

    kind: str  # item, row, paragraph
    start: int
    end: int
    section: Section
    block: int  # entries of one list, table or run of paragraphs share it
    facts: Facts | None = None
    paper: Paper | None = None
    depth: int = 0  # nesting of a list item
    marker: str = ""  # `-`, `*`, `+`, `1.`, `1)` for a list item


@dataclass
class Doc:
    """A parsed Awesome README: its lines, title, sections and entries."""

    lines: list[str]
    title: str | None = None
    sections: list[Section] = field(default_factory=list)
    items: list[Entry] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    headers: dict[int, tuple[list[str], int]] = field(default_factory=dict)  # table block -> header, line
    read: int = 0

    @property
    def entries(self) -> list[tuple[Paper, tuple[str, ...]]]:
        """(paper, section path) of every entry that names a paper."""
        return [(e.paper, e.section.path) for e in self.items if e.paper is not None]

    def text(self, entry: Entry) -> str:
        """The entry's exact source text."""
        return "".join(self.lines[entry.start : entry.end])


def split_lines(text: str) -> list[str]:
    """The text's lines with their line ends (only `\\n` ends a line, as for the Markdown parser)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    return [*out, lines[-1]] if lines[-1] else out


@lru_cache(maxsize=1)
def _blocks() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.disable("inline")  # inline Markdown is read entry by entry
    return md


# An update reads its list again after adding entries to it: what each entry read before says,
# and the paper it names, are remembered by its text (the second read of a 5,000-entry list
# takes 0.3 s of CPU instead of 1.2 s).
ENTRY_MEMORY = 32768
Content = str | tuple[tuple[str, ...], tuple[str, ...]]  # an item's Markdown, or a row's cells and header


@lru_cache(maxsize=ENTRY_MEMORY)
def _item_facts(markdown: str) -> Facts:
    return read_item(markdown)


@lru_cache(maxsize=ENTRY_MEMORY)
def _row_facts(cells: tuple[str, ...], header: tuple[str, ...]) -> Facts:
    return read_row(list(cells), list(header))


def _facts(content: Content) -> Facts:
    return _item_facts(content) if isinstance(content, str) else _row_facts(*content)


@dataclass(eq=False)
class Remembered:
    """What entries said when read before (in an earlier run), from a store the caller keeps: by
    the entry's Markdown (a row's: its cells and header), the facts as `Facts.dumps` wrote them,
    all read by the code of `awesome_entry.reader_version()`. `learned` holds the entries read
    afresh since the caller last stored them; `used` every key looked up."""

    known: dict[str, str] = field(default_factory=dict)
    learned: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)

    def facts(self, content: Content) -> Facts:
        """The facts of an entry: remembered, else read (and learned)."""
        key = "i:" + content if isinstance(content, str) else "r:" + json.dumps(content, ensure_ascii=False)
        self.used.add(key)
        stored = self.known.get(key)
        if stored is not None:
            try:
                return Facts.loads(stored)
            except (ValueError, KeyError, TypeError):
                pass  # not what `dumps` writes: read the entry again
        facts = _facts(content)
        self.learned[key] = facts.dumps()
        return facts


@lru_cache(maxsize=ENTRY_MEMORY)
def _paper(content: Content, file: str, path: tuple[str, ...]) -> tuple[Paper | None, str]:
    """The paper an entry names, or why it names none (see `to_paper`)."""
    return to_paper(_facts(content), file, path)


def _on_line(paper: Paper, line: int) -> Paper:
    source = paper.sources[0].model_copy(update={"line": line})
    return paper.model_copy(update={"sources": [source]})


def clean_heading(text: str) -> str:
    """A heading without HTML, emoji, badges, links, markup and a trailing colon."""
    text = _COMMENT.sub("", text) if "-->" in text else text
    text = _TAGS.sub("", text)
    plain = " ".join(u.text for u in units(text) if u.kind != "break" and not (u.link and u.link.image))
    plain = "".join(c for c in plain if c.isalnum() or c in " -–—&+×:,.()/'’?!" or ord(c) < 0x2000)
    return clean_space(_BAD.sub("", plain)).rstrip(" :")


@lru_cache(maxsize=2)
def read(text: str, file: str, memory: Remembered | None = None) -> Doc:
    """Parse the whole README (see the module docstring); the last texts read are remembered (an
    update reads its list more than once), so treat the result as read-only. With `memory`, what
    an entry says is taken from it when the entry was read before, and learned into it if not."""
    return _parse(text, file, memory)


def _parse(text: str, file: str, memory: Remembered | None = None) -> Doc:
    source = _BAD.sub("\ufffd", re.sub(r"\r(?!\n)", " ", text)).removeprefix("\ufeff")
    tokens = _blocks().parse(source)
    doc = _walked(text, tokens, file, memory, under_title=False)
    if doc.title and not any(e.paper for e in doc.items):  # the papers sit right under the title
        doc = _walked(text, tokens, file, memory, under_title=True)
    return doc


def _walked(text: str, tokens: list[Token], file: str, memory: Remembered | None, under_title: bool) -> Doc:
    """The list read from its block tokens; `under_title`: what is right under the list's title
    (`# Title`, then a table) is a section named after the title."""
    doc = Doc(split_lines(text))
    _Walker(doc, file, memory, under_title).walk(tokens)
    _unlinked_lists_are_prose(doc)
    return doc


def _unlinked_lists_are_prose(doc: Doc) -> None:
    """Lists in a section where no list item has a link, names a venue or lists authors (`1. Bypass
    the need for ...`, `- May retrieve ...`) are prose: their items name no papers. An unlinked item
    among linked ones (a paper without a preprint), or in a section of titles with venues (`- Deep
    Residual Learning, CVPR 2016`) or authors, still does."""
    linked = {
        id(e.section)
        for e in doc.items
        if e.kind == "item" and e.facts and (e.facts.all_links or e.facts.venue or e.facts.authors)
    }
    for entry in doc.items:
        if entry.kind == "item" and entry.paper is not None and id(entry.section) not in linked:
            entry.paper = None
            doc.skipped.append(Skip(entry.start + 1, "a list without links: prose, not a paper"))
    doc.skipped.sort(key=lambda s: s.line)


class _Walker:
    """One pass over the block tokens, keeping the heading stack and the current section."""

    def __init__(self, doc: Doc, file: str, memory: Remembered | None, under_title: bool = False) -> None:
        self.doc, self.file, self.memory, self.under_title = doc, file, memory, under_title
        self.stack: list[tuple[int, str]] = []
        self.section: Section | None = None
        self.block = 0
        self.last_kind = ""

    def walk(self, tokens: list[Token]) -> None:
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.type == "heading_open" and tok.map:
                self.heading(int(tok.tag[1]), tokens[i + 1].content, tok.map[0] + 1)
            elif tok.type == "html_block" and tok.map:
                self.html(tok)
            elif tok.type in ("bullet_list_open", "ordered_list_open") and tok.level == 0:
                i = self.a_list(tokens, i)
                continue
            elif tok.type == "table_open" and tok.level == 0:
                i = self.table(tokens, i)
                continue
            elif tok.type == "paragraph_open" and tok.level == 0 and tok.map:
                self.paragraph(tokens[i + 1].content, tok.map)
            elif tok.type == "blockquote_open":
                i = _close(tokens, i)
                continue
            i += 1

    def heading(self, level: int, raw: str, line: int) -> None:
        name = clean_heading(raw)
        self.block += 1
        self.last_kind = "heading"
        if level == 1 and self.doc.title is None and not self.doc.sections:
            self.doc.title, self.stack, self.section = name or None, [], None
            if self.under_title and name:
                self.section = Section((name,), level, line)
                self.doc.sections.append(self.section)
            return
        while self.stack and (self.stack[-1][0] >= level or _CONTENTS.match(self.stack[-1][1])):
            self.stack.pop()
        self.stack.append((level, name or f"Section at line {line}"))
        path = tuple(n for _, n in self.stack)
        skip = any(bool(_SKIP_SECTIONS.match(n)) for n in path)
        self.section = Section(path, level, line, skip=skip)
        self.doc.sections.append(self.section)

    def html(self, tok: Token) -> None:
        assert tok.map
        for offset, line in enumerate(tok.content.split("\n")):
            m = _HTML_HEADING.search(line[:2000]) if "<h" in line[:2000].lower() else None
            if m:
                self.heading(int(m.group(1)), m.group(2), tok.map[0] + offset + 1)

    def a_list(self, tokens: list[Token], i: int, depth: int = 0) -> int:
        end = _close(tokens, i)
        self.block += 1
        block = self.block
        j = i + 1
        while j < end:
            if tokens[j].type == "list_item_open":
                close = _close(tokens, j)
                self.item(tokens, j, close, depth, block)
                j = close + 1
            else:
                j += 1
        return end + 1

    def item(self, tokens: list[Token], i: int, close: int, depth: int, block: int) -> None:
        tok = tokens[i]
        assert tok.map
        own = [t.content for t in tokens[i:close] if t.type == "inline" and t.level == tok.level + 2]
        nested = [
            j
            for j in range(i + 1, close)
            if tokens[j].level == tok.level + 1 and "list_open" in tokens[j].type
        ]
        inner = [t.content for t in tokens[i:close] if t.type == "inline" and t.level > tok.level + 2]
        marker = (tok.info + tok.markup) if tok.info else tok.markup
        start, stop = tok.map[0], _item_end(tokens, i, close, self.doc.lines)
        if nested and _is_group(own, inner):
            head_end = tokens[nested[0]].map[0] if tokens[nested[0]].map else stop  # type: ignore[index]
            if _links_in(own):
                self.entry("item", start, head_end, "\n".join(own), block, depth, marker)
            for j in nested:
                self.a_list(tokens, j, depth + 1)
            return
        self.entry("item", start, stop, "\n".join(own + inner), block, depth, marker)

    def table(self, tokens: list[Token], i: int) -> int:
        end = _close(tokens, i)
        self.block += 1
        rows: list[tuple[list[int], list[str]]] = []
        for j in range(i, end):
            if tokens[j].type == "tr_open" and tokens[j].map:
                cells = []
                k = j + 1
                while tokens[k].type != "tr_close":
                    if tokens[k].type == "inline":
                        cells.append(tokens[k].content)
                    k += 1
                rows.append((tokens[j].map, cells))  # type: ignore[arg-type]
        if not rows:
            return end + 1
        header = [clean_heading(c) for c in rows[0][1]]
        self.doc.headers[self.block] = (header, rows[0][0][0])
        body = rows[1:]
        scores = sum(any(_SCORE.match(c) for c in cells) for _, cells in body)
        if scores * 2 > len(body) or (header[:1] == ["Benchmark"] and "Evaluated methods" in header):
            return end + 1  # a results table (or surveyor's Benchmarks table): scores, not papers
        for span, cells in body:
            self.entry("row", span[0], span[1], cells, self.block, 0, "", header)
        return end + 1

    def paragraph(self, content: str, span: list[int]) -> None:
        facts = _facts(content) if self.section and not self.section.skip and "](" in content else None
        papers = facts and any(lk.kind in ("arxiv", "doi", "paper") for lk in facts.all_links)
        named = facts and (facts.title or facts.arxiv or facts.doi)  # `[[📖 arXiv Paper](...)]` alone
        if named and (papers or (span[1] - span[0] <= 6 and _links_in([content]))):
            if self.last_kind != "paragraph":
                self.block += 1
            self.entry("paragraph", span[0], span[1], content, self.block, 0, "")
            return
        self.last_kind = "prose"
        first = self.section and not any(e.section is self.section for e in self.doc.items[-1:])
        if first and self.section and not content.lstrip().startswith(("<", "!", "[!")):
            plain = " ".join(u.text for u in units(content) if not (u.link and u.link.image))
            self.section.text = clean_space(f"{self.section.text} {plain}")

    def entry(
        self,
        kind: str,
        start: int,
        end: int,
        content: str | list[str],
        block: int,
        depth: int,
        marker: str,
        header: list[str] | None = None,
    ) -> None:
        section = self.section
        if section is None or section.skip:
            return
        self.last_kind = kind
        raw = "".join(self.doc.lines[start:end])
        item = Entry(kind, start, end, section, block, depth=depth, marker=marker)
        self.doc.items.append(item)
        bad = _BAD.search(raw)
        if bad:
            line = start + raw[: bad.start()].count("\n") + 1
            self.doc.skipped.append(Skip(line, "a NUL or an invalid character: kept as written, not read"))
            return
        key: Content = content if isinstance(content, str) else (tuple(content), tuple(header or ()))
        facts = self.memory.facts(key) if self.memory is not None else _facts(key)
        links = facts.all_links
        if links and all(lk.kind == "anchor" for lk in links):
            self.doc.items.pop()  # a contents entry or a link to another part of the list
            if not all(lk.href.startswith("#") for lk in links):  # or a file of the repository,
                self.doc.skipped.append(Skip(start + 1, _LOCAL))  # or a link that is not one
            return
        item.facts = facts
        self.doc.read += 1
        if not facts.title and not links and kind == "item":
            self.doc.skipped.append(Skip(start + 1, "no title or paper link in this entry"))
            return
        if kind == "item" and not links and len(facts.title.split()) < 3:
            self.doc.skipped.append(Skip(start + 1, "a short line without a link: not read as a paper"))
            return
        if self.memory is not None:  # the facts may come from the memory: read them, not the entry
            paper, why = to_paper(facts, self.file, section.path)
        else:
            paper, why = _paper(key, self.file, section.path)
        if why:
            self.doc.skipped.append(Skip(start + 1, why))
        item.paper = paper


def read_written(doc: Doc, text: str, near: Entry | None, file: str) -> Paper | None:
    """The paper a new entry written into `doc` beside `near` names, read on its own (a row under
    its table's header): what the list now says of it, without parsing the whole list again."""
    head = ""
    if near is not None and near.kind == "row" and near.block in doc.headers:
        line = doc.headers[near.block][1]
        head = "".join(doc.lines[line : line + 2])  # the header row and the delimiter row
    entry = textwrap.dedent(text.replace("\r\n", "\n").strip("\n"))
    found = _parse(f"## Entry\n\n{head}{entry}\n", file).items  # not remembered: the list stays
    return found[0].paper if len(found) == 1 else None


def to_paper(facts: Facts, file: str, path: tuple[str, ...]) -> tuple[Paper | None, str]:
    """The paper an entry under the heading path `path` names (its source without a line), or
    None and why it names none."""
    if not facts.title and not facts.arxiv:
        return None, "no title or paper link in this entry"
    url = f"https://arxiv.org/abs/{facts.arxiv[0]}" if facts.arxiv else None
    if facts.arxiv and facts.arxiv[1]:
        url += f"v{facts.arxiv[1]}"  # type: ignore[operator]
    try:
        paper = make_paper(
            file,
            FORMAT,
            None,
            title=facts.title or None,
            url=url,
            section=" > ".join(path),
            year=facts.year,
            venue=facts.venue,
            acronym=facts.acronym,
            authors=facts.authors,
            doi=facts.doi,
            links=facts.links,
        )
    except (ValidationError, ValueError) as exc:
        return None, str(exc).splitlines()[0][:100]
    return paper, ""


def _close(tokens: list[Token], i: int) -> int:
    """Index of the token closing the one at `i`."""
    level, depth = tokens[i].level, 0
    for j in range(i, len(tokens)):
        if tokens[j].level == level:
            depth += tokens[j].nesting
            if depth == 0:
                return j
    return len(tokens) - 1


def _item_end(tokens: list[Token], i: int, close: int, lines: list[str]) -> int:
    """The line after a list item's last non-blank line (markdown-it counts trailing blanks in)."""
    tok = tokens[i]
    assert tok.map
    end = tok.map[1]
    last = max((t.map[1] for t in tokens[i + 1 : close] if t.map), default=end)
    end = min(end, max(last, tok.map[0] + 1))
    while end > tok.map[0] + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _links_in(contents: list[str]) -> bool:
    return any(u.link and u.link.kind != "anchor" for c in contents for u in units(c))


def _is_group(own: list[str], inner: list[str]) -> bool:
    """Whether a list item heads a group (a date, a vendor) rather than being a paper with notes."""
    if not _links_in(own):
        return True
    papers = sum(
        1 for c in inner if any(u.link and u.link.kind in ("arxiv", "doi", "paper") for u in units(c))
    )
    return papers >= 2


def parse(text: str, file: str) -> Parsed:
    """Parse an Awesome README into papers (each one's source: its line and its heading path)."""
    doc = read(text, file)
    papers = [_on_line(e.paper, e.start + 1) for e in doc.items if e.paper is not None]
    return Parsed(FORMAT, papers, doc.skipped, doc.read)
