"""Render the Awesome-list README: title and badge, contents, an overview (Mermaid mind map of the
taxonomy, papers-per-year chart), a section per taxonomy node with its papers as bullets or a table,
a Benchmarks section, a contributing section.

Input: taxonomy, papers, effective labels (human decisions over machine labels), benchmark rows.
Output: Markdown text; deterministic (the same input gives the same bytes). Text outside the
`<!-- surveyor:begin -->` / `<!-- surveyor:end -->` markers of an existing README is kept as is.

The output is shaped to pass awesome-lint: every link is the main link only once (a paper with
several labels has one home, the other sections carry an unlinked cross-reference), table pipes are
aligned, list items read `- [Name](url) - Description.`, headings carry no trailing punctuation and
the contents list matches the headings two levels deep.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..escape import lint_sensitive, md_escape, md_text, md_url, mermaid_id, mermaid_text
from ..library import Placement, paper_year, place, sort_key
from ..models import Classification, Paper
from ..taxonomy import Node, Taxonomy

if TYPE_CHECKING:
    from ..graph import BenchmarkRow

BEGIN = "<!-- surveyor:begin -->"
END = "<!-- surveyor:end -->"
BADGE = "[![Awesome](https://awesome.re/badge.svg)](https://awesome.re)"
STYLES = ("bullets", "table")
_GITHUB_REPO = re.compile(r"^https?://github\.com/([\w.\-]+)/([\w.\-]+?)(?:\.git)?/?$")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.lower(), flags=re.UNICODE)
    return text.replace(" ", "-")


class Slugger:
    """Anchors in document order; a repeated heading gets GitHub's `-1`, `-2` suffixes."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, heading: str) -> str:
        base = slug(heading)
        count = self.seen.get(base, 0)
        self.seen[base] = count + 1
        return f"{base}-{count}" if count else base


def heading_text(name: str) -> str:
    """A node name as a heading: escaped, without the trailing punctuation linters reject."""
    return md_escape(name.rstrip(".,;:!? ")) or md_escape(name)


def code_cell(url: str) -> str:
    """A code link: a GitHub stars badge for GitHub repositories, else a plain `Code` link; nothing
    for a URL that is not plain http(s)."""
    dest = md_url(url)
    if not dest:
        return ""
    m = _GITHUB_REPO.match(dest)
    if m:
        owner, repo = m.groups()
        badge = f"https://img.shields.io/github/stars/{owner}/{repo}?style=social"
        return f"[![Stars]({badge})]({dest})"
    return f"[Code]({dest})"


def venue_year(paper: Paper) -> str:
    """`NeurIPS 2025`, `2025`, or `2025, venue` when the venue starts in lower case (a list item's
    description must start with a capital, a number or an identifier)."""
    venue, year = paper.venue, paper_year(paper)
    if venue and year:
        return f"{venue} {year}" if not venue[0].islower() or venue != venue.lower() else f"{year}, {venue}"
    return venue or (str(year) if year else "")


@dataclass
class ReadmeOptions:
    """What the generated part contains."""

    style: str = "bullets"  # bullets | table
    newest_first: bool = True
    mindmap: bool = True
    chart: str | None = None  # path of the papers-per-year image, relative to the README
    chart_note: str = ""  # what the chart leaves out (papers without a year), said under it
    benchmarks: int = 30  # rows in the Benchmarks section (0: no section)
    contributing: str | None = "contributing.md"
    unsure_below: float = 0.0  # machine placements less confident than this are marked *Unsure*


def _unsure_note(placement: Placement, opts: ReadmeOptions) -> str:
    """The sentence that explains the *Unsure* mark, when any entry carries it."""
    unsure = sum(1 for pid in placement.home if placement.unsure(pid, opts.unsure_below))
    if not unsure:
        return ""
    verb = "was" if unsure == 1 else "were"
    return (
        f" {unsure} of the {len(placement.home)} {verb} placed by a classifier with low confidence "
        f"(below {opts.unsure_below:g}) and not yet checked by a person; they are marked *Unsure*."
    )


UNSURE = "*Unsure.*"
LINT_PASS = (
    "<!--lint ignore no-repeat-punctuation balanced-punctuation-->"  # titles as their authors wrote them
)


class _Doc:
    """The generated Markdown with one rule enforced as it is written: a URL is linked once."""

    def __init__(self, placement: Placement | None = None, unsure_below: float = 0.0) -> None:
        self.linked: set[str] = set()
        self.placement = placement or Placement()
        self.unsure_below = unsure_below

    def unsure(self, pid: str) -> bool:
        """Whether the paper's entry carries the *Unsure* mark."""
        return self.placement.unsure(pid, self.unsure_below)

    def link(self, text: str, url: str | None) -> str:
        dest = md_url(url)
        if not url or not dest or url in self.linked:
            return text
        self.linked.add(url)
        return f"[{text}]({dest})"


def render_body(
    taxonomy: Taxonomy,
    papers: dict[str, Paper],
    labels: dict[str, Classification],
    options: ReadmeOptions | None = None,
    benchmarks: Sequence[BenchmarkRow] = (),
    title: str = "",
) -> str:
    """The generated part of the README (what goes between the markers)."""
    opts = options or ReadmeOptions()
    if opts.style not in STYLES:
        raise ValueError(f"unknown README style {opts.style!r}")
    placement = place(taxonomy, papers, labels)
    slugger = Slugger()
    overview = opts.mindmap or bool(opts.chart)
    toc: list[tuple[int, str, str]] = [(0, "Contents", slugger("Contents"))]
    if overview:
        toc.append((0, "Overview", slugger("Overview")))
    node_anchor = {}
    for node in taxonomy.iter_nodes():
        node_anchor[node.id] = slugger(heading_text(node.name))
        depth = len(taxonomy.ancestors(node.id)) - 1
        toc.append((depth, heading_text(node.name), node_anchor[node.id]))
    rows = list(benchmarks)[: opts.benchmarks]
    if rows:
        toc.append((0, "Benchmarks", slugger("Benchmarks")))

    doc = _Doc(placement, opts.unsure_below)
    n_nodes = sum(1 for _ in taxonomy.iter_nodes())
    lines = [f"{len(placement.home)} papers in {n_nodes} sections.{_unsure_note(placement, opts)}"]
    lines += ["", "## Contents", ""]
    lines += [f"{'  ' * depth}- [{text}](#{anchor})" for depth, text, anchor in toc[1:] if depth <= 1]
    if overview:
        lines += ["", "## Overview", ""]
        if opts.mindmap:
            lines += [*mindmap(taxonomy, title or taxonomy.name), ""]
        if opts.chart:
            lines += [f"![Papers per year and top-level section]({_local_path(opts.chart)})", ""]
            lines += [f"*{md_escape(opts.chart_note)}*", ""] if opts.chart_note else []
    names = {n.id: heading_text(n.name) for n in taxonomy.iter_nodes()}
    for node in taxonomy.nodes:
        lines += _section(node, 2, placement, papers, names, opts, doc)
    if rows:
        lines += ["", "## Benchmarks", ""]
        lines += benchmark_table(rows, papers)
    if opts.contributing:
        lines += [
            "",
            "## Contributing",
            "",
            f"Contributions are welcome. Read the [contribution guidelines]({opts.contributing}) first.",
        ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _local_path(path: str) -> str:
    """A relative path as a link destination (spaces and parentheses encoded)."""
    return path.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def mindmap(taxonomy: Taxonomy, title: str) -> list[str]:
    """The taxonomy as a Mermaid mind map (GitHub renders ```mermaid blocks)."""
    out = ["```mermaid", "mindmap", f"  root(({mermaid_text(title)}))"]

    def walk(nodes: Iterable[Node], depth: int) -> None:
        for node in nodes:
            out.append(f'{"  " * depth}{mermaid_id(node.id)}["{mermaid_text(node.name)}"]')
            walk(node.children, depth + 1)

    walk(taxonomy.nodes, 2)
    return [*out, "```"]


def _section(
    node: Node,
    level: int,
    placement: Placement,
    papers: dict[str, Paper],
    names: dict[str, str],
    opts: ReadmeOptions,
    doc: _Doc,
) -> list[str]:
    out = ["", f"{'#' * min(level, 6)} {names[node.id]}", ""]
    if node.description.strip():
        out += [md_escape(node.description), ""]
    members = sorted(
        (papers[pid] for pid in placement.members.get(node.id, [])),
        key=lambda p: sort_key(p, opts.newest_first),
    )
    # a paper's own row comes first in the home section's order; elsewhere it is a cross-reference
    elsewhere = {p.id: names[placement.home[p.id]] for p in members if placement.home[p.id] != node.id}
    if opts.style == "table":
        out += paper_table(members, elsewhere, doc)
    else:
        if any(lint_sensitive(f"{p.display_title} {venue_year(p)}") for p in members):
            out += [LINT_PASS, ""]  # the punctuation rules would have us change a title
        out += [paper_bullet(p, elsewhere.get(p.id), doc) for p in members]
    for child in node.children:
        out += _section(child, level + 1, placement, papers, names, opts, doc)
    return out


def paper_bullet(paper: Paper, home: str | None, doc: _Doc) -> str:
    """One bullet: `- [Title](url) - Venue Year. [code badge]`, the title as its authors wrote it; a
    cross-reference names the home; a placement no one checked and the classifier was unsure of
    ends in *Unsure.*"""
    if home is not None:
        return f"- {md_text(paper.display_title)} (listed under *{home}*)."
    facts = md_escape(venue_year(paper))
    mark = UNSURE if doc.unsure(paper.id) else ""
    head = doc.link(md_text(paper.display_title, autolinks=False), paper.url)
    if not head.startswith("["):  # no link of its own (or its URL is another entry's): facts in brackets
        line = f"- {md_text(paper.display_title)}" + (f" ({facts})." if facts else "")
        line += (" " if facts else " - ") + mark if mark else ""
    elif facts:
        line = f"- {head} - {facts}." + (f" {mark}" if mark else "")
    else:
        line = f"- {head}" + (f" - {mark}" if mark else "")
    extras = []
    code = paper.links.get("code")
    if code and code not in doc.linked and code_cell(code):
        doc.linked.add(code)
        extras.append(code_cell(code))
    project = paper.links.get("project")
    if project and project not in doc.linked and md_url(project):
        doc.linked.add(project)
        extras.append(f"[Project]({md_url(project)})")
    return " ".join([line, *extras])


def paper_table(members: list[Paper], elsewhere: dict[str, str], doc: _Doc) -> list[str]:
    """Year | Venue | Acronym | Paper | Code, pipes aligned; titles as written (tables are outside
    the linter's punctuation rules)."""
    if not members:
        return []
    rows = []
    for paper in members:
        if paper.id in elsewhere:
            cell = f"{md_text(paper.display_title)} (listed under *{elsewhere[paper.id]}*)"
            code = ""
        else:
            cell = doc.link(md_text(paper.display_title, autolinks=False), paper.url)
            if not cell.startswith("["):
                cell = md_text(paper.display_title)
            cell += f" {UNSURE}" if doc.unsure(paper.id) else ""
            code_url = paper.links.get("code")
            code = code_cell(code_url) if code_url and code_url not in doc.linked else ""
            if code_url and code:
                doc.linked.add(code_url)
        year = paper_year(paper)
        rows.append(
            [
                str(year) if year else "",
                md_escape(paper.venue or ""),
                md_escape(paper.acronym or ""),
                cell,
                code,
            ]
        )
    return aligned_table(["Year", "Venue", "Acronym", "Paper", "Code"], rows)


def aligned_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub table whose pipes line up (awesome-lint's table-pipe-alignment)."""
    widths = [max(3, len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _short(text: str, limit: int = 48) -> str:
    """A name cut at a word boundary to fit a table cell."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,:;-") + "…"


def benchmark_table(rows: Sequence[BenchmarkRow], papers: dict[str, Paper]) -> list[str]:
    """Benchmark | Kind | Introduced in | Methods (count) | Evaluated methods (the first five)."""
    body = []
    for row in rows:
        intro = papers.get(row.introduced_by)
        intro_cell = md_text(_short(intro.display_title)) if intro else ""
        shown = row.evaluated[:5]
        used = ", ".join(md_escape(_short(n, 32)) for n in shown)
        if len(row.evaluated) > len(shown):
            used += f" and {len(row.evaluated) - len(shown)} more"
        body.append([md_escape(row.name), row.kind, intro_cell, str(len(row.evaluated)), used])
    return aligned_table(["Benchmark", "Kind", "Introduced in", "Methods", "Evaluated methods"], body)


def render_readme(title: str, description: str, body: str, existing: str | None = None) -> str:
    """The whole README: `body` between the markers; outside them, the existing text or a header."""
    block = f"{BEGIN}\n{body}{END}\n"
    if existing and BEGIN in existing and END in existing:
        before, rest = existing.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        return before + block.rstrip("\n") + after
    intro = f"> {md_escape(description)}\n\n" if description.strip() else ""
    return f"# {md_escape(title_case(title)) or 'Awesome Papers'} {BADGE}\n\n{intro}{block}"


_SMALL_WORDS = frozenset("a an and as at but by for in nor of on or per the to via vs with".split())


def title_case(title: str) -> str:
    """The list's heading in title case (awesome-lint wants it): small words stay lower inside the
    title, words that already carry capitals (LLMs, arXiv) are left alone."""
    words = title.split(" ")
    out = []
    for i, word in enumerate(words):
        if any(ch.isupper() for ch in word) or (0 < i < len(words) - 1 and word.lower() in _SMALL_WORDS):
            out.append(word)
        else:
            out.append("-".join(part[:1].upper() + part[1:] for part in word.split("-")))
    return " ".join(out)


def contributing_text(title: str) -> str:
    """The contributing guide awesome-lint wants beside the README."""
    return (
        "# Contribution Guidelines\n\n"
        f"{md_escape(title)} is generated by surveyor from the data files of its workspace: edit those\n"
        "files, not the generated part of the README.\n\n"
        "- To add a paper, add its arXiv id (or a BibTeX entry) to one of the workspace's sources and\n"
        "  open a pull request; the next run classifies it.\n"
        "- To move a paper, edit its line in `data/decisions.jsonl` (paper id, node ids, or out of scope);\n"
        "  a human decision is never overwritten by the classifier.\n"
        "- Text outside the `surveyor:begin` / `surveyor:end` markers of the README is yours and is\n"
        "  kept as written.\n"
    )
