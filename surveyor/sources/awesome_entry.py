"""Read one entry of an Awesome list — a list item, a table row or a paragraph — as a paper.

Input: the entry's Markdown (a table row as its cells, with the table's header). Output: `Facts`:
the paper's title (not a badge, a `Paper` or `Project Page` label, a venue or a dataset name), its
arXiv id, DOI and every other link by kind (paper, code, project, other), venue and year, authors
and the acronym the list gives it. The Markdown is parsed by markdown-it-py's inline parser; the
pieces are then weighed: a linked or bold title of several words beats a single bold name
(`**Robo-1**, Robo-1: Scaling ...`), which beats a link to a repository.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import markdown_it
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..text import clean_space, parse_arxiv_id
from .links import doi_of, is_generic_label, link_kind
from .venue import venue_from_url, venue_in_text, venue_span

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_YEAR = re.compile(r"(?<![\w.])((?:19[5-9]|20\d)\d)(?![\w/]|\.\d{4})")
_DATE_HINT = re.compile(
    rf"\b{_MONTH},?\s*(?:\d{{1,2}},?\s*)?(?:19|20)\d{{2}}\b|\b(?:19|20)\d{{2}}[./-]\d{{1,2}}(?!\d)", re.I
)
_PAREN_FACTS = re.compile(r"\s\((?=[^)]{0,40}\d)")
_ARXIV_WORD = re.compile(r"[,;(]\s*(?:arxiv|preprint)\b", re.I)
_TAG = re.compile(r"^\s*\[([^\[\]\s]{1,30})\]\s*")
_NAME_WORD = re.compile(
    r"^(?:[A-ZÀ-ÖØ-Þ][\w'’.\-]*|[A-Z]\.(?:-?[A-Z]\.)*|van|von|de|der|den|da|di|del|la|le|du|dos|bin)$"
)


@dataclass
class Link:
    """A link of the entry: where it points, its text, and its kind (see `links.link_kind`)."""

    href: str
    label: str
    kind: str
    image: str | None = None  # the alt text when the link wraps an image (a badge)


@dataclass
class Unit:
    """A run of the entry's text read as one piece: text, bold, em, code, link, or a break."""

    kind: str
    text: str
    link: Link | None = None


@dataclass
class Facts:
    """What an entry says about its paper."""

    title: str = ""
    arxiv: tuple[str, int | None] | None = None
    doi: str | None = None
    links: dict[str, str] = field(default_factory=dict)
    venue: str | None = None
    year: int | None = None
    authors: list[str] = field(default_factory=list)
    acronym: str | None = None
    all_links: list[Link] = field(default_factory=list)
    authors_text: str = ""  # the text the authors were read from, as the entry writes it

    def dumps(self) -> str:
        """The facts as JSON (`Facts.loads` gives them back equal)."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Facts:
        """Facts from `dumps`; ValueError (or KeyError, TypeError) for anything else."""
        data = json.loads(text)
        arxiv = data.pop("arxiv")
        links = [Link(**link) for link in data.pop("all_links")]
        return cls(**data, arxiv=(str(arxiv[0]), arxiv[1]) if arxiv else None, all_links=links)


@lru_cache(maxsize=1)
def reader_version() -> str:
    """A digest of the code that reads an entry (this module, the link, venue and text helpers, the
    Markdown parser's and its linkify's versions, Python's): facts remembered under another version
    are read afresh."""
    import linkify_it

    from .. import text
    from . import links, venue

    versions = f"{sys.version}|{markdown_it.__version__}|{linkify_it.__version__}"
    digest = hashlib.sha256(versions.encode())
    for module in (sys.modules[__name__], links, venue, text):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The Markdown parser every reader shares (CommonMark with GitHub tables and strikethrough,
    and bare `https://` URLs read as links, as GitHub shows them; `www.x` and `x.ai` stay text);
    link destinations are kept as written, so they can be found again in the source."""
    md = MarkdownIt("commonmark", {"linkify": True}).enable(["table", "strikethrough", "linkify"])
    assert md.linkify is not None  # linkify-it-py: markdown-it-py[linkify]
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    return md


_HTML_A = re.compile(r"""<a\s[^>]*?\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)
_HTML_IMG = re.compile(r"""<img\s[^>]*?(?:\balt\s*=\s*["']([^"']*))?""", re.I)
_MARKUP = re.compile(r"[\[\]*_`<>\\&!~]|  \n|://")


def units(markdown: str) -> list[Unit]:
    """The entry's inline Markdown as units (links whole, with the text and images inside them)."""
    if not _MARKUP.search(markdown):
        return [Unit("text", markdown.replace("\n", " "))] if markdown else []
    md = parser()
    children: list[Token] = []
    md.inline.parse(markdown.strip(), md, {}, children)
    out: list[Unit] = []
    bold = em = 0
    link: Link | None = None
    for tok in children:
        kind = tok.type
        if kind == "html_inline":  # `<a href="...">Title</a>`, `<img src=...>` read as Markdown's
            anchor = _HTML_A.match(tok.content)
            image = _HTML_IMG.match(tok.content)
            if anchor:
                kind, tok = "link_open", Token("link_open", "a", 1, attrs={"href": anchor.group(1)})
            elif tok.content.lower().startswith("</a"):
                kind = "link_close"
            elif image and link is not None:
                link.image = image.group(1) or link.image or "image"
                continue
        if kind == "link_open":
            href = str(tok.attrs.get("href", ""))
            link = Link(href, "", link_kind(href))
            out.append(Unit("link", "", link))
        elif kind == "link_close":
            link = None
        elif link is not None:
            if kind == "image":
                link.image = tok.content or link.image or "image"
            elif kind in ("text", "text_special", "code_inline", "softbreak"):
                link.label += tok.content if kind != "softbreak" else " "
        elif kind in ("strong_open", "strong_close"):
            bold += 1 if kind == "strong_open" else -1
        elif kind in ("em_open", "em_close"):
            em += 1 if kind == "em_open" else -1
        elif kind in ("text", "text_special", "code_inline", "softbreak"):
            text = " " if kind == "softbreak" else tok.content
            style = "code" if kind == "code_inline" else "bold" if bold > 0 else "em" if em > 0 else "text"
            if out and out[-1].kind == style and style != "code":
                out[-1].text += text
            else:
                out.append(Unit(style, text))
        elif kind == "hardbreak" or (kind == "html_inline" and re.match(r"<br\b", tok.content, re.I)):
            out.append(Unit("break", ""))
    for unit in out:
        if unit.link is not None:
            unit.text = clean_space(unit.link.label)
    return out


def _words(text: str) -> int:
    return len(re.findall(r"[^\W_][\w'’.\-+]*", text))


def _tidy(title: str) -> str:
    title = clean_space(title).strip(" \t,;:|-–—•·")
    title = title[2:].lstrip() if title.startswith(". ") else title  # `*Ann Lee*. Title`: the rest
    title = title.removesuffix(".") if not title.endswith("..") else title
    if len(title) > 1 and title[0] in "\"“'‘" and title[-1] in "\"”'’":
        title = title[1:-1]
    return title.strip()


def clean_run(text: str) -> str:
    """A plain-text run as a title: without leading numbers and tags, labels, descriptions, venues
    and dates (`Alpha, CVPR 2016.` is `Alpha`)."""
    text = re.sub(r"^\s*\d{1,4}[.)]\s+", "", text)
    text = _TAG.sub("", text)
    text = re.sub(r"^\W*(paper|title)\s*:\s*", "", text, flags=re.I)
    text = text.strip(" \t,;:|-–—•·[]")
    for sep in (" - ", " – ", " — ", " | "):
        if sep in text and _words(text.split(sep, 1)[0]) >= 1:
            text = text.split(sep, 1)[0]
    cut = len(text)
    found = venue_span(text)
    if found:
        cut = min(cut, found[0])
    for pattern in (_DATE_HINT, _YEAR, _PAREN_FACTS, _ARXIV_WORD):
        m = pattern.search(text)
        if m:
            cut = min(cut, m.start())
    if _words(text[:cut]) >= 1:
        text = text[:cut]
    first = re.split(r"(?<=[a-z0-9)\]])\.\s+(?=[A-Z])", text, maxsplit=1)[0]
    return _tidy(first if _words(first) >= 2 else text)


def names(text: str) -> list[str]:
    """Authors when `text` is a list of names (`Ann Author, Bob Writer`; MLA's `Doe, Jane, et al.`)."""
    if len(text) > 400:
        return []
    text = re.sub(r"\bet\s+al\b\.?", "", text.strip()).strip(" ,.;")
    if not text or re.search(r"[\d:()\[\]/@]", text):
        return []
    parts = [p.strip(" .") for p in re.split(r",\s*|;\s*|\s+and\s+|\s*&\s*", text) if p.strip(" .")]
    if not parts or any(
        not 1 <= len(p.split()) <= 4 or not all(_NAME_WORD.match(w) for w in p.split()) for p in parts
    ):
        return []
    mla = len(parts) >= 2 and len(parts[0].split()) == 1 and 1 <= len(parts[1].split()) <= 2
    if mla and (len(parts) == 2 or all(len(p.split()) > 1 for p in parts[2:])):
        return [f"{parts[1]} {parts[0]}", *parts[2:]]  # Doe, Jane -> Jane Doe
    if len(parts) == 1 and len(parts[0].split()) < 2:
        return []
    return parts


def _title(us: list[Unit]) -> tuple[int | None, str, int | None]:
    """(index of the unit the title comes from, the title, index of an unused single name)."""
    strong: list[tuple[int, int, str]] = []
    medium: list[tuple[int, str]] = []
    weak: list[tuple[int, str]] = []
    last: list[tuple[int, str]] = []  # a one-word plain text: the title only when nothing else is
    after_link = False
    for i, u in enumerate(us):
        if u.kind == "link" and u.link and u.link.kind != "anchor" and not u.link.image:
            if is_generic_label(u.text) or not u.text:
                continue
            title = _tidy(u.text)
            if u.link.kind == "code" and _words(title) < 2:
                weak.append((i, title))
            else:
                strong.append((_words(title), i, title))
            after_link = True
        elif u.kind == "bold" and not is_generic_label(u.text):
            title = _tidy(u.text)
            (strong.append((_words(title), i, title)) if _words(title) >= 2 else weak.append((i, title)))
        elif u.kind == "text" and not after_link:
            title = clean_run(u.text)
            if _words(title) >= 2:
                medium.append((i, title))
            elif title and re.search(r"[^\W\d_]", title):
                last.append((i, title))
    name = weak[0] if weak else None
    if strong:
        _, index, title = max(strong, key=lambda s: (s[0], -s[1]))
        return index, title, name[0] if name and name[0] != index else None
    if medium:
        return medium[0][0], medium[0][1], name[0] if name else None
    if weak:
        return weak[0][0], weak[0][1], None
    return (last[0][0], last[0][1], None) if last else (None, "", None)


def read_units(us: list[Unit]) -> Facts:
    """The facts of an entry given as units (see `units`)."""
    facts = Facts()
    index, facts.title, name_at = _title(us)
    if name_at is not None:
        facts.acronym = _tidy(us[name_at].text)
    first_text = next((u for u in us if u.kind == "text" and u.text.strip()), None)
    tag = _TAG.match(first_text.text) if first_text else None
    if tag and not facts.acronym and re.search(r"[^\W\d_]", tag.group(1)):
        facts.acronym = tag.group(1)
    method = re.search(r"\bmethod(?: name)?\s*:\s*([\w.\-+]{2,30})", " ".join(u.text for u in us), re.I)
    if method and not facts.acronym:
        facts.acronym = method.group(1)
    facts.all_links = [u.link for u in us if u.link is not None]
    _links(facts, us[index].link if index is not None else None)
    texts = []
    for i, u in enumerate(us):
        if i == index:
            if u.kind == "text":
                texts.append(u.text.replace(facts.title, " "))  # `Alpha, CVPR 2016.`: the rest is facts
            continue
        if u.kind == "em" and not facts.authors and names(u.text):
            facts.authors, facts.authors_text = names(u.text), u.text.strip()
        elif u.kind in ("text", "code", "em") or (u.link and is_generic_label(u.text)):
            texts.append(u.text)
    if index is not None and not facts.authors and index > 0 and us[index].kind == "bold":
        before = next((u.text for u in reversed(us[:index]) if u.kind == "text"), "")
        facts.authors = names(before.strip(" :,"))
        facts.authors_text = before.strip(" :,") if facts.authors else ""
    _venue_year(facts, " | ".join(texts))
    return facts


def _links(facts: Facts, title_link: Link | None) -> None:
    counts: dict[str, int] = {}
    ordered = sorted(facts.all_links, key=lambda lk: lk is not title_link)
    for link in ordered:
        if link.kind == "anchor":
            continue
        found = parse_arxiv_id(link.href) if link.kind == "arxiv" else None
        if found and (facts.arxiv is None or found[0] == facts.arxiv[0]):
            facts.arxiv = facts.arxiv or found
            continue
        if link.kind == "doi" and facts.doi is None:
            facts.doi = doi_of(link.href)
            continue
        kind = {"arxiv": "paper", "doi": "paper"}.get(link.kind, link.kind)
        if (
            kind == "project"
            and link is title_link
            and not any(lk.kind in ("arxiv", "doi", "paper") for lk in facts.all_links)
        ):
            kind = "paper"  # the title's own link is the paper's page
        if kind == "other":
            kind = "link"
        counts[kind] = counts.get(kind, 0) + 1
        key = kind if counts[kind] == 1 else f"{kind}_{counts[kind]}"
        if link.href not in facts.links.values():
            facts.links[key] = link.href


def _venue_year(facts: Facts, text: str) -> None:
    found = venue_in_text(text)
    if found is None:
        for link in facts.all_links:
            if link.kind in ("paper", "doi"):
                found = venue_from_url(link.href)
                if found:
                    break
    if found:
        facts.venue, facts.year = found
    if facts.year is None:
        date = _DATE_HINT.search(text)
        year = _YEAR.search(date.group(0) if date else text)
        facts.year = int(year.group(1)) if year else None


def read_item(markdown: str) -> Facts:
    """The facts of a list item or a paragraph."""
    return read_units(units(markdown))


_COLUMNS = {
    "title": ("title", "paper", "article", "publication title", "work"),
    "name": (
        "name",
        "model",
        "method",
        "acronym",
        "abbr",
        "short",
        "nickname",
        "dataset",
        "benchmark",
        "framework",
        "system",
        "tool",
        "library",
    ),
    "venue": ("venue", "conference", "conf", "pub", "journal", "published", "where", "source"),
    "date": ("date", "year", "time", "published", "pub"),
    "code": ("code", "github", "repo", "implementation"),
    "authors": ("author",),
    "category": ("category", "categories", "type", "kind", "topic", "tag", "area", "domain", "modality"),
}


def columns(header: list[str]) -> dict[str, int]:
    """Which column holds what: title, name, venue, date, code, authors (by the header's words)."""
    plain = [re.sub(r"[^\w&. ]+", " ", h).strip().lower() for h in header]
    found: dict[str, int] = {}
    for role, words in _COLUMNS.items():
        for i, h in enumerate(plain):
            free = i not in found.values() or role == "date"
            if free and any(re.search(rf"\b{re.escape(w)}", h) for w in words):
                found.setdefault(role, i)
                break
    return found


@lru_cache(maxsize=256)
def _columns(header: tuple[str, ...]) -> dict[str, int]:
    """`columns`, worked out once for the rows of a table (they share its header); read-only."""
    return columns(list(header))


def _title_cell(parsed: list[list[Unit]], roles: dict[str, int]) -> Facts:
    """The facts of the cell the row's title comes from: the title column's, else the first cell
    with a title that is neither the name column (a name is the title only when no other cell has
    one) nor a category column (`Tool`, `Benchmark`: the same few words on many rows, tried last)."""
    category = roles.get("category")
    first = [roles.get("title"), roles.get("name"), 0]
    order = [i for i in first if i is not None and i < len(parsed) and i != category]
    order += [i for i in range(len(parsed)) if i not in order and i != category]
    named: Facts | None = None
    for i in order:
        facts = read_units(parsed[i])
        if facts.title and i != roles.get("name"):
            return facts
        if facts.title and named is None:
            named = facts
    if named is None and category is not None and category < len(parsed):
        named = read_units(parsed[category])
    return named or Facts()


def read_row(cells: list[str], header: list[str]) -> Facts:
    """The facts of a table row: the title from the title column (else the first cell that names
    a paper), the links from every cell, venue, date, name and authors from their columns."""
    roles = _columns(tuple(header))
    parsed = [units(c) for c in cells]
    facts = _title_cell(parsed, roles)
    every = [u for us in parsed for u in us]
    facts.all_links = [u.link for u in every if u.link is not None]
    facts.links, facts.arxiv, facts.doi = {}, None, None
    title_unit = next((u.link for u in every if u.link and u.text and _tidy(u.text) == facts.title), None)
    _links(facts, title_unit)

    def cell(role: str) -> str:
        i = roles.get(role)
        return clean_space(" ".join(u.text for u in parsed[i])) if i is not None and i < len(cells) else ""

    if cell("name") and _tidy(cell("name")) != facts.title:
        facts.acronym = _tidy(cell("name")) or facts.acronym
    if cell("authors"):
        facts.authors = names(cell("authors")) or [a.strip() for a in cell("authors").split(",") if a.strip()]
    venue_text = cell("venue")
    found = venue_in_text(venue_text) if venue_text else None
    if found:
        facts.venue, facts.year = found[0], found[1] or facts.year
    elif venue_text and not _DATE_HINT.search(venue_text) and re.search(r"[A-Za-z]{2}", venue_text):
        plain = _tidy(_YEAR.sub("", venue_text))
        if plain.lower() not in ("arxiv", "preprint", "n/a", "na", "none", "-", "tbd"):
            facts.venue = plain or None
    if not (found and found[1]):
        year = _YEAR.search(cell("date")) or _YEAR.search(venue_text)
        facts.year = int(year.group(1)) if year else facts.year
    return facts
