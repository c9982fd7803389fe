"""Render the Awesome-list README: title, contents, a section per taxonomy node, its papers.

Input: taxonomy, papers, effective labels (human decisions over machine labels). Output: Markdown
text; deterministic (the same input gives the same bytes). Text outside the
`<!-- surveyor:begin -->` / `<!-- surveyor:end -->` markers of an existing README is kept as is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from ..models import Classification, Paper
from ..taxonomy import Node, Taxonomy

BEGIN = "<!-- surveyor:begin -->"
END = "<!-- surveyor:end -->"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(text: str) -> str:
    """Escape Markdown specials so a title renders as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.lower(), flags=re.UNICODE)
    return text.replace(" ", "-")


def anchors(taxonomy: Taxonomy) -> dict[str, str]:
    """Each node's heading anchor; repeated names get GitHub's `-1`, `-2` suffixes."""
    seen: dict[str, int] = {}
    out = {}
    for node in taxonomy.iter_nodes():
        base = anchor(node.name)
        count = seen.get(base, 0)
        seen[base] = count + 1
        out[node.id] = f"{base}-{count}" if count else base
    return out


def sort_key(paper: Paper, newest_first: bool) -> tuple[int, int, str]:
    """Newest (or oldest) first by date, then by title; undated papers last."""
    date = paper.published or paper.updated or _date_from_arxiv(paper.arxiv_id) or ""
    stamp = int(re.sub(r"\D", "", date)[:8].ljust(8, "0")) if date else 0
    return (0 if date else 1, -stamp if newest_first else stamp, paper.display_title.lower())


def _date_from_arxiv(arxiv_id: str | None) -> str | None:
    m = re.match(r"^(\d{2})(\d{2})\.", arxiv_id or "")
    return f"20{m.group(1)}-{m.group(2)}-01" if m else None


def paper_year(paper: Paper) -> int | None:
    """The year to show: the venue's, else the date's, else the arXiv id's."""
    if paper.year:
        return paper.year
    date = paper.published or paper.updated or _date_from_arxiv(paper.arxiv_id)
    return int(date[:4]) if date else None


def paper_line(paper: Paper) -> str:
    """One bullet: linked title, then venue and year, then a code link."""
    title = md_escape(paper.display_title)
    head = f"[{title}]({paper.url})" if paper.url else title
    facts = " ".join(str(x) for x in (paper.venue, paper_year(paper)) if x)
    line = f"- {head}" + (f" - {facts}." if facts else "")
    if paper.links.get("code"):
        line += f" [[Code]]({paper.links['code']})"
    return line


def group_by_node(
    taxonomy: Taxonomy, papers: dict[str, Paper], labels: dict[str, Classification]
) -> dict[str, list[Paper]]:
    """Papers per node id (a paper appears under each of its labels); out-of-scope ones left out."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    for pid, rec in labels.items():
        if pid not in papers or rec.out_of_scope or rec.status == "failed":
            continue
        for node in sorted({lab.node for lab in rec.labels if lab.node in taxonomy}):
            groups[node].append(papers[pid])
    return groups


def render_body(
    taxonomy: Taxonomy,
    papers: dict[str, Paper],
    labels: dict[str, Classification],
    newest_first: bool = True,
) -> str:
    """The generated part of the README (what goes between the markers)."""
    groups = group_by_node(taxonomy, papers, labels)
    listed = {p.id for members in groups.values() for p in members}
    lines = [
        f"{len(listed)} papers in {len(list(taxonomy.iter_nodes()))} sections.",
        "",
        "## Contents",
        "",
    ]
    lines += _toc(taxonomy.nodes, 0, anchors(taxonomy))
    for node in taxonomy.nodes:
        lines += _section(node, 2, groups, newest_first)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _toc(nodes: Iterable[Node], level: int, links: dict[str, str]) -> list[str]:
    out = []
    for node in nodes:
        out.append(f"{'  ' * level}- [{md_escape(node.name)}](#{links[node.id]})")
        out += _toc(node.children, level + 1, links)
    return out


def _section(node: Node, level: int, groups: dict[str, list[Paper]], newest_first: bool) -> list[str]:
    out = ["", f"{'#' * min(level, 6)} {node.name}", ""]
    if node.description:
        out += [node.description.strip(), ""]
    members = sorted(groups.get(node.id, []), key=lambda p: sort_key(p, newest_first))
    out += [paper_line(p) for p in members]
    for child in node.children:
        out += _section(child, level + 1, groups, newest_first)
    return out


def render_readme(title: str, description: str, body: str, existing: str | None = None) -> str:
    """The whole README: `body` between the markers; outside them, the existing text or a header."""
    block = f"{BEGIN}\n{body}{END}\n"
    if existing and BEGIN in existing and END in existing:
        before, rest = existing.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        return before + block.rstrip("\n") + after
    intro = f"> {description.strip()}\n\n" if description.strip() else ""
    return f"# {title}\n\n{intro}{block}"
