"""Edit an adopted Awesome list: the maintainer's lines stay byte for byte; new papers are added,
and the moves and removals a person asked for (human decisions) are made — nothing else.

Input: the list as `Listing` (its lines, entries and the paper of each), the papers, the effective
labels, the taxonomy and the node of each section. Output: the new text and what changed.

A new paper goes to its home section, into the list, table or run of paragraphs its entries are
in, at the place the section's order gives (newest first, oldest first — by the entries' dates —
or appended; a section per year sends a paper to its year), written like the nearby entry that
fits it best (see `entry_style`), numbered after its neighbours. A paper a person moves takes its
entry's text with it; one a person puts out of scope loses its entries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

from ..library import place
from ..models import Classification, Paper
from ..sources.awesome_md import Doc, Entry, Section
from ..sources.listing import Listing
from ..taxonomy import Taxonomy
from .entry_style import escape_title, render_scored, safe_url

_NUMBER = re.compile(r"^\s*\|?\s*(\d{1,6})[.)](?:\s|$)")
_YEAR_NAME = re.compile(r"^(19|20)\d{2}$")


@dataclass
class ListEdit:
    """The papers added, moved and removed by one edit of the list, and the sections (heading
    paths) each of those papers' entries are in afterwards (none for a removed paper)."""

    added: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    sections: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    written: dict[str, tuple[str, Entry | None]] = field(default_factory=dict)  # new entry, its model


@dataclass
class _Ops:
    """Line splices: text to insert before a line index, line indices to drop."""

    doc: Doc
    newline: str = "\n"
    inserts: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    dropped: set[int] = field(default_factory=set)

    def insert(self, at: int, order: int, text: str) -> None:
        """Insert `text` before line `at`; texts at one place go in `order`."""
        self.inserts[at].append((order, text))

    def text(self) -> str:
        lines = self.doc.lines
        chunks = {at: [t for _, t in sorted(texts, key=lambda x: x[0])] for at, texts in self.inserts.items()}
        if chunks.get(len(lines)) and lines and not lines[-1].endswith("\n"):
            lines = [*lines[:-1], lines[-1] + self.newline]
            chunks[len(lines)][-1] = chunks[len(lines)][-1].removesuffix(self.newline)
        out = []
        for i, line in enumerate(lines):
            out += chunks.get(i, [])
            if i not in self.dropped:
                out.append(line)
        out += chunks.get(len(lines), [])
        return "".join(out)


def date_key(paper: Paper | None) -> int | None:
    """yyyymmdd (month and day 0 when unknown) from the paper's date, arXiv id or year."""
    if paper is None:
        return None
    iso = paper.published or ""
    if re.match(r"^\d{4}-\d{2}-\d{2}", iso):
        return int(iso[:4]) * 10000 + int(iso[5:7]) * 100 + int(iso[8:10])
    if paper.arxiv_id and re.match(r"^\d{4}\.", paper.arxiv_id):
        return (2000 + int(paper.arxiv_id[:2])) * 10000 + int(paper.arxiv_id[2:4]) * 100
    return paper.year * 10000 if paper.year else None


def _order(entries: list[Entry], papers: dict[Entry, Paper | None]) -> str:
    """newest, oldest or append: how the section's entries are ordered."""
    keys = [k for k in (date_key(papers.get(e)) for e in entries) if k]
    up = sum(1 for a, b in pairwise(keys) if b > a)
    down = sum(1 for a, b in pairwise(keys) if b < a)
    return "newest" if down > up else "oldest" if up > down else "append"


def _number(entry: Entry, doc: Doc) -> int | None:
    m = _NUMBER.match(doc.lines[entry.start])
    return int(m.group(1)) if m else None


def _loose(block: list[Entry], doc: Doc) -> bool:
    if block[0].kind == "paragraph":
        return True
    return any(not doc.lines[a.end].strip() for a, b in pairwise(block) if a.end < b.start)


class ListEditor:
    """Plans the splices of one edit; `text()` gives the result."""

    def __init__(self, listing: Listing, papers: dict[str, Paper], nodes: dict[tuple[str, ...], str]) -> None:
        self.doc, self.listing, self.papers = listing.doc, listing, papers
        crlf = sum(1 for line in self.doc.lines if line.endswith("\r\n")) * 2 > len(self.doc.lines)
        self.ops = _Ops(listing.doc, "\r\n" if crlf else "\n")
        self.nodes = nodes
        self.section_of: dict[str, Section] = {}
        for section in self.doc.sections:
            if section.path in nodes:
                self.section_of.setdefault(nodes[section.path], section)
        self.entry_paper = {self.doc.items[n]: papers.get(pid) for n, pid in listing.ids.items()}
        self.taken: dict[int, int] = {}  # per numbered block: the last number given
        self.by_section: dict[int, list[Entry]] = defaultdict(list)
        self.written: dict[str, tuple[str, Entry | None]] = {}  # the text of each new entry, its model
        for entry in self.doc.items:
            self.by_section[id(entry.section)].append(entry)

    def remove(self, entry: Entry) -> None:
        """Drop an entry's lines (and the blank line that separated it, in a loose list)."""
        self.ops.dropped.update(range(entry.start, entry.end))
        block = [e for e in self.by_section[id(entry.section)] if e.block == entry.block]
        if _loose(block, self.doc) or len(block) == 1:
            after = entry.end
            if after < len(self.doc.lines) and not self.doc.lines[after].strip():
                self.ops.dropped.add(after)

    def add(self, node: str, paper: Paper, verbatim: Entry | None = None) -> Section | None:
        """Add `paper` to `node`'s section (the text of `verbatim` when it is moved); the section
        it went to, or None when the list has no section for `node`."""
        section = self._year_section(self.section_of.get(node), paper)
        if section is None:
            return None
        entries = [e for e in self.by_section[id(section)] if e.facts is not None]
        if not entries:
            self._add_to_empty(section, paper, verbatim)
            return section
        anchor, before = self._slot(entries, paper)
        order = (date_key(paper) or 0) * (-1 if _order(entries, self.entry_paper) == "newest" else 1)
        block = [e for e in entries if e.block == anchor.block]
        numbers = [n for n in (_number(e, self.doc) for e in block) if n is not None]
        if len(set(numbers)) > 1 or numbers == [1]:  # counted 1, 2, 3: new entries go last, numbered on
            anchor, before = block[-1], False
            self.taken[anchor.block] = self.taken.get(anchor.block, max(numbers)) + 1
            order = self.taken[anchor.block]
        if verbatim is not None and verbatim.kind == anchor.kind:
            text = self.doc.text(verbatim)
            text = text if text.endswith("\n") else text + self.ops.newline
        else:
            text = self._render(block, anchor, paper, before)
            self.written[paper.id] = (text, anchor)
        loose = (_loose(block, self.doc) and len(block) > 1) or anchor.kind == "paragraph"
        if before:
            self.ops.insert(anchor.start, order, text + (self.ops.newline if loose else ""))
        else:
            self.ops.insert(anchor.end, order, (self.ops.newline if loose else "") + text)
        return section

    def _slot(self, entries: list[Entry], paper: Paper) -> tuple[Entry, bool]:
        """(the entry to write next to, whether before it) by the section's order."""
        order = _order(entries, self.entry_paper)
        key = date_key(paper)
        if key is not None and order == "newest":
            older = next((e for e in entries if (date_key(self.entry_paper.get(e)) or 0) < key), None)
            return (older, True) if older else (entries[-1], False)
        if key is not None and order == "oldest":
            earlier = [e for e in entries if (date_key(self.entry_paper.get(e)) or 0) <= key]
            return (earlier[-1], False) if earlier else (entries[0], True)
        return entries[-1], False

    def _render(self, block: list[Entry], anchor: Entry, paper: Paper, before: bool) -> str:
        numbers = [n for n in (_number(e, self.doc) for e in block) if n is not None]
        number = self.taken.get(anchor.block, numbers[0]) if numbers else None
        at = block.index(anchor)
        near = sorted(block, key=lambda e: abs(block.index(e) - at))[:12]
        best: tuple[int, int, str] | None = None
        for rank, example in enumerate(near):
            raw = self.doc.text(example).replace("\r\n", "\n")
            if len(raw) > 5000 or example.facts is None:  # an entry that long is no template
                continue
            found = render_scored(raw, example.facts, paper, number)
            if found and (best is None or (found[1], rank) < best[:2]):
                best = (found[1], rank, found[0])
        text = best[2] if best else plain_entry(anchor, paper, number, self.doc)
        return text.replace("\n", self.ops.newline)

    def _year_section(self, section: Section | None, paper: Paper) -> Section | None:
        """A paper's year section, when the section (or its siblings) are years."""
        key = date_key(paper)
        if section is None or key is None:
            return section
        parent = section.path[:-1] if _YEAR_NAME.match(section.path[-1]) else section.path
        years = [
            s for s in self.section_of.values() if _YEAR_NAME.match(s.path[-1]) and s.path[:-1] == parent
        ]
        if len(years) < 2 and section not in years:
            return section
        year = paper.year or key // 10000
        return min(years, key=lambda s: (abs(int(s.path[-1]) - year), -int(s.path[-1])))

    def _add_to_empty(self, section: Section, paper: Paper, verbatim: Entry | None) -> None:
        """A section without entries of its own: the paper goes right under its heading's text."""
        model = next((e for e in self.doc.items if e.facts is not None and e.kind != "row"), None)
        lines = self.doc.lines
        start = section.line  # the line after the heading (0-based index)
        later = [s.line - 1 for s in self.doc.sections if s.line > section.line]
        stop = min(later) if later else len(lines)
        at = stop
        while at > start and not lines[at - 1].strip():
            at -= 1
        if verbatim is not None and verbatim.kind != "row":
            text = self.doc.text(verbatim)
        elif model is not None:
            text = self._render([model], model, paper, False)
        else:
            text = plain_entry(None, paper, None, self.doc)
        text = text.lstrip(" \t") if text.lstrip(" \t").startswith(("-", "*", "+")) else text
        if verbatim is None:
            self.written[paper.id] = (text, model)
        nl = self.ops.newline
        self.ops.insert(at, -(date_key(paper) or 0), nl + (text if text.endswith("\n") else text + nl))


def plain_entry(anchor: Entry | None, paper: Paper, number: int | None, doc: Doc) -> str:
    """A plain entry of the anchor's kind, when no example can be followed."""
    title = escape_title(paper.title or paper.display_title)
    url = safe_url(paper.url)
    head = f"[{title}]({url})" if url else title
    year = paper.year or (date_key(paper) or 0) // 10000 or None
    facts = " - " + " ".join(str(x) for x in (paper.venue or "arXiv", year) if x) + "."
    if anchor is not None and anchor.kind == "row":
        header, _line = doc.headers.get(anchor.block, ([], 0))
        cells = [head] + [""] * max(0, len(header) - 1)
        return "| " + " | ".join(cells) + " |\n"
    if anchor is not None and anchor.kind == "paragraph":
        return f"**{title}** \\\n" + (f"[[Paper]({url})]\n" if url else "\n")
    indent = re.match(r"^\s*", doc.lines[anchor.start]).group(0) if anchor else ""  # type: ignore[union-attr]
    marker = anchor.marker if anchor and anchor.marker else "-"
    if number is not None and marker[:1].isdigit():
        marker = f"{number}{marker[-1]}"
    return f"{indent}{marker} {head}{facts}\n"


def edit_list(
    listing: Listing,
    papers: dict[str, Paper],
    labels: dict[str, Classification],
    taxonomy: Taxonomy,
    nodes: dict[tuple[str, ...], str],
) -> tuple[str, ListEdit]:
    """The list with new papers added and human moves and removals made (module docstring)."""
    editor = ListEditor(listing, papers, nodes)
    edit = ListEdit()
    entries = listing.entries_of()
    for pid, mine in sorted(entries.items()):
        rec = labels.get(pid)
        if rec is None or not rec.is_human or pid not in papers:
            continue
        if rec.out_of_scope:
            for entry in mine:
                editor.remove(entry)
            edit.removed.append(pid)
            edit.sections[pid] = set()
            continue
        want = {lab.node for lab in rec.labels if lab.node in editor.section_of}
        have = {nodes[e.section.path] for e in mine if e.section.path in nodes}
        if not want or want == have:
            continue
        added = [editor.add(node, papers[pid], verbatim=mine[0]) for node in sorted(want - have)]
        went = {section.path for section in added if section is not None}
        for entry in mine:
            if nodes.get(entry.section.path) in have - want:
                editor.remove(entry)
            else:
                went.add(entry.section.path)
        edit.moved.append(pid)
        edit.sections[pid] = went
    placement = place(taxonomy, papers, labels)
    fresh = [pid for pid in placement.home if pid not in entries]
    for pid in sorted(fresh, key=lambda p: (-(date_key(papers[p]) or 0), p)):
        section = editor.add(placement.home[pid], papers[pid])
        if section is not None:
            edit.added.append(pid)
            edit.sections[pid] = {section.path}
            edit.written[pid] = editor.written[pid]
    return editor.ops.text(), edit
