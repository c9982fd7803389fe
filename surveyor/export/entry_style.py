"""Write a new entry the way a section's entries are written, by example.

Input: one of the section's entries (its exact source text and what it was read as) and the new
paper. Output: the new entry's lines. The example's title, links (with the badges around them),
venue and year, dates, authors and acronym are found in its text and replaced by the new paper's
(a date keeps its shape: `Mar., 2026`, `2023.12`, `` `CVPR 16` ``); what the new paper lacks is
left out with its brackets; the example's own notes and descriptions are left out too. Everything
else — list marker, numbering, indentation, table pipes and padding, link labels such as
`[[Paper]]`, line breaks — is the example's. When the example cannot be read back this way, a plain
entry of the same kind is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..escape import md_escape, md_url
from ..models import Paper
from ..sources.awesome_entry import Facts, Link
from ..sources.links import is_venue_label
from ..sources.venue import venue_span

_MONTHS = "january february march april may june july august september october november december".split()
_DATE = re.compile(
    r"(?:\b\d{1,2}\s+)?\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s*(?:\d{1,2},?\s*)?"
    r"(?:19|20)\d{2}\b|\b(?:19|20)\d{2}[./-]\d{1,2}(?:[./-]\d{1,2})?(?!\d)|\b\d{1,2}/(?:19|20)\d{2}\b"
    r"|(?<![\w.])(?:19|20)\d{2}(?![\w/]|\.\d{4})",
    re.I,
)
_KEEP = frozenset(
    """paper pdf arxiv code github project page website homepage link links star stars demo video slides
    blog tweet et al name method preprint""".split()
)
_PROCEEDINGS = re.compile(
    r"(?:proceedings of (?:the )?)?(?:(?:ieee/cvf|ieee|acm|cvf)\s+)?"
    r"(?:(?:international |annual )?conference on )?$",
    re.I,
)
_GITHUB = re.compile(r"github\.com/([\w.\-]+/[\w.\-]+)", re.I)
NUMBER = "\x01"  # where the example's entry number was


def escape_title(text: str) -> str:
    """A title (or any third-party text) as Markdown text (`escape.md_escape`: one line, specials
    escaped, a pipe too, so it is safe in a table cell)."""
    return md_escape(text)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for a Markdown link (`escape.md_url`), else None."""
    return md_url(url)


@dataclass
class Span:
    """A part of the example's text that the new paper's value replaces."""

    start: int
    end: int
    kind: str  # link, title, venue, date, authors, acronym
    link: Link | None = None


def _escaped(text: str, i: int) -> bool:
    n = 0
    while i - n - 1 >= 0 and text[i - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _open_bracket(text: str, close: int) -> int | None:
    depth = 0
    for i in range(close, -1, -1):
        if text[i] in "[]" and not _escaped(text, i):
            depth += 1 if text[i] == "]" else -1
            if depth == 0:
                return i
    return None


def link_spans(raw: str, links: list[Link]) -> list[Span] | None:
    """Where each link of the example is written (the whole `[label](url)`), or None."""
    spans, cursor = [], 0
    for link in links:
        at = raw.find("](" + link.href, cursor)
        html = _html_anchor(raw, link.href, cursor) if at < 0 else None
        if html:
            spans.append(Span(*html, "link", link))
            cursor = html[1]
            continue
        if at < 0:
            auto = _bare_url(raw, link.href, cursor)
            if auto is None:
                return None
            spans.append(Span(*auto, "link", link))
            cursor = auto[1]
            continue
        end = raw.find(")", at + 2 + len(link.href))
        start = _open_bracket(raw, at)
        if start is None or end < 0:
            return None
        spans.append(Span(start, end + 1, "link", link))
        cursor = end + 1
    return spans


def _bare_url(raw: str, href: str, cursor: int) -> tuple[int, int] | None:
    """Where `<href>` or a bare `href` (GitHub links it) is written."""
    auto = raw.find("<" + href + ">", cursor)
    if auto >= 0:
        return auto, auto + len(href) + 2
    bare = raw.find(href, cursor)
    return (bare, bare + len(href)) if bare >= 0 else None


def _html_anchor(raw: str, href: str, cursor: int) -> tuple[int, int] | None:
    """Where `<a href="href">...</a>` is written."""
    m = re.compile(r"<a\s[^<>]*?href\s*=\s*[\"']?" + re.escape(href), re.I).search(raw, cursor)
    close = raw.lower().find("</a>", m.end()) if m else -1
    return (m.start(), close + 4) if m and close > 0 else None


def _label(raw: str, span: Span) -> tuple[int, int]:
    """Where a link's label is: inside `[...]` or between `<a ...>` and `</a>`."""
    if raw.startswith("<", span.start):
        return raw.find(">", span.start) + 1, raw.lower().rfind("</a", span.start, span.end)
    return span.start + 1, raw.rfind("](", span.start, span.end)


def _find(
    raw: str, text: str, taken: list[Span], start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    if not text:
        return None
    pattern = "".join(
        r"\s+" if c == " " else re.escape(c) if c.isalnum() else r"\\?" + re.escape(c) for c in text
    )
    for m in re.finditer(pattern, raw[start:end]):
        s, e = m.start() + start, m.end() + start
        if not any(t.start < e and s < t.end for t in taken):
            return s, e
    return None


def field_spans(raw: str, facts: Facts) -> tuple[list[Span], Span] | None:
    """The example's spans (links, then the fields outside them) and its title's span."""
    links = link_spans(raw, facts.all_links)
    if links is None:
        return None
    title = None
    for span in links:
        label_start, label_end = _label(raw, span)
        found = _find(raw, facts.title, [], label_start, label_end) if label_end > 0 else None
        if found and span.link and not span.link.image:
            title = Span(*found, "title")
            break
    spans = list(links)
    if title is None:
        found = _find(raw, facts.title, spans)
        if not found:
            return None
        title = Span(*found, "title")
        spans.append(title)
        first = links[0] if links else None
        if first and first.link and first.start < title.start and first.link.kind not in ("code", "other"):
            first.kind = "main"  # `[Project Page](url) - Alpha`: the entry's own link
    else:
        next(s for s in links if s.start <= title.start and title.end <= s.end).kind = "main"
    _carrier(links)
    if facts.arxiv:
        for m in re.finditer(re.escape(facts.arxiv[0]), raw):
            if not any(t.start < m.end() and m.start() < t.end for t in spans):
                spans.append(Span(m.start(), m.end(), "arxiv-id"))
    for kind, text in (("authors", facts.authors_text), ("acronym", facts.acronym or "")):
        found = _find(raw, text, [*spans, title]) if text else None
        if found:
            spans.append(Span(*found, kind))
    masked = "".join(" " if any(s.start <= i < s.end for s in spans) else c for i, c in enumerate(raw))
    venue = venue_span(masked) or _preprint_span(masked)
    if venue:
        lead = _PROCEEDINGS.search(masked[max(0, venue[0] - 80) : venue[0]])
        start = venue[0] - (len(lead.group(0)) if lead else 0)
        spans.append(Span(start, venue[1], "venue"))
    for m in _DATE.finditer(masked):
        if not any(s.start < m.end() and m.start() < s.end for s in spans):
            spans.append(Span(m.start(), m.end(), "date"))
    assert title is not None
    return sorted(spans, key=lambda s: s.start), title


def _carrier(links: list[Span]) -> None:
    """When no link of the example is the entry's own or its paper's (`[[Website]](url)` only),
    its first link that is not code or a badge carries the new paper's link, so that no new
    entry is written without it."""
    own = ("arxiv", "paper", "doi")
    if any(s.kind == "main" or (s.link and s.link.kind in own) for s in links):
        return
    first = next((s for s in links if s.link and not s.link.image and s.link.kind != "code"), None)
    if first is not None:
        first.kind = "main"


def _date_like(shape: str, paper: Paper) -> str:
    """The paper's date written like `shape` (`Mar., 2026`, `2023.12`, `30 Oct 2023`, `06/2024`)."""
    iso = paper.published or paper.updated or ""
    year = int(iso[:4]) if iso[:4].isdigit() else paper.year
    month = int(iso[5:7]) if iso[5:7].isdigit() else None
    if paper.arxiv_id and re.match(r"^\d{4}\.", paper.arxiv_id) and month is None:
        year, month = year or 2000 + int(paper.arxiv_id[:2]), int(paper.arxiv_id[2:4])
    day = int(iso[8:10]) if iso[8:10].isdigit() else 1
    if year is None:
        return ""
    if month is None and not re.fullmatch(r"(19|20)\d{2}", shape):
        return str(year)  # no month known: no invented date
    has_name = bool(re.search(r"[A-Za-z]{3}", shape))
    numbers = iter(["day"] if has_name else ["month", "day"])

    def token(m: re.Match[str]) -> str:
        t = m.group(0)
        if re.fullmatch(r"(19|20)\d{2}", t):
            return str(year)
        if t[0].isalpha():
            name = _MONTHS[(month or 1) - 1]
            short = name[:3] + ("." if t.endswith(".") else "") if len(t.rstrip(".")) <= 4 else name
            return short.upper() if t.isupper() else short.capitalize() if t[0].isupper() else short
        value = {"month": month or 1, "day": day}[next(numbers, "day")]
        return f"{value:0{len(t)}d}"

    return re.sub(r"[A-Za-z]+\.?|\d+", token, shape)


_PREPRINT = re.compile(r"(?<![\w/.])(?:arxiv|preprint)(?![\w/.])", re.I)


def _preprint_span(masked: str) -> tuple[int, int] | None:
    """Where an example names no venue but says `arXiv` or `Preprint` (a Venue cell, `arXiv 2024`):
    that is its venue, so a new paper's own venue goes there."""
    m = _PREPRINT.search(masked)
    return (m.start(), m.end()) if m else None


def _venue_like(text: str, paper: Paper) -> str:
    if " " in text.strip() and re.search(r"proceedings|conference", text, re.I):
        return f"Proceedings of {paper.venue}" if paper.venue else "arXiv preprint"
    m = re.match(r"^(.*?)(\s*'?\s*)((?:19|20)?\d{2})?$", text)
    sep, digits = (m.group(2), m.group(3)) if m else (" ", None)
    year = paper.year or (int(paper.published[:4]) if paper.published else None)
    name = paper.venue or "arXiv"
    if not digits or year is None:
        return name
    return f"{name}{sep or ' '}{str(year)[-len(digits) :] if len(digits) == 2 else year}"


def _link_like(raw: str, span: Span, paper: Paper) -> str | None:
    link = span.link
    assert link is not None
    text = raw[span.start : span.end]
    kind = link.kind if link.kind != "doi" else "paper"
    new = _url_for(kind, paper, link.href, main=span.kind == "main")
    if new is None:
        return None
    text = text.replace(link.href, new)
    if not link.image and is_venue_label(link.label):
        label_end = text.rfind("](")
        text = (
            "["
            + text[1:label_end].replace(link.label.strip(), _venue_like(link.label.strip(), paper))
            + text[label_end:]
        )
    old_id = re.search(r"\d{4}\.\d{4,5}", link.href)
    if old_id and paper.arxiv_id:
        text = text.replace(old_id.group(0), paper.arxiv_id)
    old_repo, new_repo = _GITHUB.search(link.href), _GITHUB.search(new)
    if old_repo and new_repo:
        text = text.replace(old_repo.group(1), new_repo.group(1))
    return text


def _url_for(kind: str, paper: Paper, old: str, main: bool) -> str | None:
    arxiv = f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else None
    if arxiv and kind == "arxiv" and "/pdf/" in old:
        arxiv = f"https://arxiv.org/pdf/{paper.arxiv_id}" + (".pdf" if old.endswith(".pdf") else "")
    paper_link = paper.links.get("paper") or (f"https://doi.org/{paper.doi}" if paper.doi else None)
    options = {
        "arxiv": [arxiv, paper_link],
        "paper": [paper_link, arxiv],
        "code": [paper.links.get("code")],
        "project": [paper.links.get("project")],
    }.get(kind, [])
    if main:
        options = [paper.url, *options, paper.links.get("code")]
    return next((u for u in (safe_url(o) for o in options) if u), None)


def acronym_of(paper: Paper) -> str | None:
    """The paper's short name: the list's, else the title's part before a colon (`StreamAgent: ...`)."""
    if paper.acronym:
        return paper.acronym
    head = (paper.title or "").split(":", 1)[0].strip() if ":" in (paper.title or "") else ""
    return head if head and len(head.split()) <= 2 and len(head) <= 30 else None


_PROTECTED = re.compile(r"<[^<>\n]*>|!\[[^\]\n]*\]\([^)\s]*\)|\x01")


def _literal(piece: str, repo: str | None) -> str:
    """The example's text between fields: its own words (notes, descriptions) left out; HTML tags
    and images kept (a star badge follows the new paper's repository, or goes)."""
    out, pos = [], 0
    for m in _PROTECTED.finditer(piece):
        kept = m.group(0)
        star = re.search(r"github(?:\.com)?/(?:stars/)?([\w.\-]+/[\w.\-]+?)(?:\.svg|\?|\)|$)", kept)
        if kept.startswith("![") and star:
            kept = kept.replace(star.group(1), repo) if repo else "\x02" * 10
        out += [_words(piece[pos : m.start()]), kept]
        pos = m.end()
    return "".join([*out, _words(piece[pos:])])


def _words(text: str) -> str:
    """`text` without its own words; each character left out leaves a \\x03 (counted, then removed)."""
    return re.sub(
        r"[^\W_][\w'’\-]*",
        lambda m: m.group(0) if m.group(0).lower() in _KEEP else "\x03" * len(m.group(0)),
        text,
    )


def _unwrap(m: re.Match[str]) -> str:
    return m.group(3) if m.group(2) and re.search(r"\bid\s*=", m.group(2)) else m.group(0)


# Each pattern starts once per run of spaces or punctuation (a look-behind anchors it), so none
# backtracks over a long line.
_TIDY: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"<(\w+)(\s[^<>\n]*)?>([^<>\n]*)</\1>"), _unwrap),  # `<span id=..>` of the example
    (re.compile(r"<(\w+)[^<>\n]*>[ \t]*</\1>[ \t]?"), ""),
    (
        re.compile(
            r"\([ \t]*[,;|]?[ \t]*\)|\[[ \t]*\](?!\()|\\\[[ \t]*\\\]"
            r"|\*\*[ \t]*\*\*|`[ \t]*`|(?<!\w)_[ \t]*_(?!\w)"
        ),
        "",
    ),
    (re.compile(r"(?<=[(\[])[ \t]*[,;|][ \t]*|(?<![ \t])[ \t]*[,;|][ \t]*(?=[)\]])"), ""),
    (re.compile(r"([,;])(?:[ \t]*[,;])+"), r"\1"),
    (re.compile(r"(?<=\S)[ \t]{2,}(?=\S)"), " "),
    (re.compile(r"(?m)(?<=\S) +([,.;:])(?= |$)"), r"\1"),
    (re.compile(r"(?m)(?<![ \t])[ \t]*(?:[,;:]|[ \t][-–—])[ \t]*(?=\.?(?: {2})?\\?$)"), ""),
    (re.compile(r"(?<![ \t])[ \t]*[,;][ \t]*(?= \|)|(?<=\| )[ \t]*[,;:][ \t]*"), ""),
    (re.compile(r"(?m)^([ \t]*(?:[-*+]|[\d\x01]+[.)]))[ \t]*(?:[,;:]|[-–—](?= ))[ \t]*"), r"\1 "),
    (re.compile(r"(?<![ \t])[ \t]*(?:[,;:]|[ \t][-–—])[ \t]*\.?(?= \|)"), ""),
    (re.compile(r"(?m)(?:(?<=\s)|^)(\*\*|__)(?=\s|$)"), ""),
    (re.compile(r"(?m)(?<![ \t,;:#\-–—.!?])[ \t]*[,;:#\-–—.!?][ \t,;:#\-–—.!?]+$"), ""),
]


def tidy(text: str) -> str:
    """Left-overs of the parts left out: empty brackets and emphasis, doubled separators."""
    previous = None
    while previous != text:
        previous = text
        for pattern, replacement in _TIDY:
            text = pattern.sub(replacement, text)
    return text


def render_scored(raw: str, facts: Facts, paper: Paper, number: int | None = None) -> tuple[str, int] | None:
    """The new entry written like the example `raw` (see the module docstring) and how much of the
    example was left out (a better example leaves out less); None when it cannot be."""
    found = field_spans(raw, facts)
    if found is None or not paper.title:
        return None
    spans, title_span = found
    title = escape_title(paper.title)
    numbered = re.match(r"^(\s*\|?\s*)(\d{1,6})(?=[.)](\s|$))", raw)
    if numbered:
        spans = sorted([*spans, Span(numbered.start(2), numbered.end(2), "number")], key=lambda s: s.start)
    found_repo = _GITHUB.search(paper.links.get("code", ""))
    repo = found_repo.group(1) if found_repo else None
    out, pos = [], 0
    for span in spans:
        if span.start < pos:
            continue
        out.append(_literal(raw[pos : span.start], repo))
        if span.link is not None:
            out.append(_link_with_title(raw, span, title_span, paper, title))
        else:
            out.append(_field(span, raw[span.start : span.end], paper, title))
        lost = 10 if not out[-1] else 0
        pos = span.end
        out[-1] = out[-1] + "\x02" * lost
    out.append(_literal(raw[pos:], repo))
    joined = "".join(out)
    loss = joined.count("\x02") + joined.count("\x03")
    text = tidy(joined.replace("\x02", "").replace("\x03", ""))
    if numbered:
        text = text.replace(NUMBER, str(number) if number is not None else numbered.group(2), 1)
    lines = [ln for ln in text.split("\n") if ln.strip(" \t\\\r") or ln == ""]
    while lines and lines[-1] == "":
        lines.pop()
    if lines:
        end = "\r" if lines[-1].endswith("\r") else ""
        lines[-1] = lines[-1].rstrip("\r").rstrip(" \t\\") + end
    return "\n".join(lines) + "\n", loss


def _link_with_title(raw: str, span: Span, title_span: Span, paper: Paper, title: str) -> str:
    """A link of the example rewritten for the new paper; the title inside it stays (unlinked if
    there is no URL for it); a link the paper has no URL for is left out."""
    text = _link_like(raw, span, paper)
    if not (span.start <= title_span.start and title_span.end <= span.end):
        return text or ""
    label_start, label_end = _label(raw, span)
    before = raw[label_start : title_span.start]  # `**` around the title inside the label
    after = raw[title_span.end : label_end]
    if text is None:
        return before + title + after
    if text.startswith("<"):
        return text[: text.find(">") + 1] + before + title + after + text[text.lower().rfind("</a") :]
    return "[" + before + title + after + text[text.rfind("](") :]


def _authors_like(text: str, authors: list[str]) -> str:
    """The authors written like the example: `A, B` or MLA's `Doe, Jane, et al.`."""
    if not authors:
        return ""
    mla = bool(re.match(r"^[^\s,]+, ", text))
    first = authors[0]
    if mla and " " in first:
        given, family = first.rsplit(" ", 1)
        first = f"{family}, {given}"
    shown = [first, *authors[1:3]] if not mla else [first]
    more = len(authors) > len(shown)
    out = ", ".join(shown) + ((", et al." if mla else " et al.") if more or "et al" in text else "")
    return out + ("." if text.endswith(".") and not out.endswith(".") else "")


def _field(span: Span, text: str, paper: Paper, title: str) -> str:
    """The new paper's value for one field of the example (third-party text escaped)."""
    if span.kind == "title":
        return title
    if span.kind == "number":
        return NUMBER
    if span.kind == "arxiv-id":
        value = paper.arxiv_id or ""
    elif span.kind == "authors":
        value = _authors_like(text, paper.authors)
    elif span.kind == "acronym":
        value = acronym_of(paper) or ""
    elif span.kind == "venue":
        value = _venue_like(text, paper)
    else:
        value = _date_like(text, paper)
    return escape_title(value) if value else ""
