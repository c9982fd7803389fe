"""The LaTeX survey skeleton: `main.tex` with a section per top-level node, a subsection per child,
each with its description and its papers cited (natbib: numbers, sorted and compressed, `plainnat`,
which prints URLs and DOIs), and `references.bib`: Google-Scholar-style keys (`lastnameYEARword`),
authors, `@inproceedings`/`@article` with the venue for published papers, `@misc` with the arXiv id
(`eprint`, "arXiv preprint arXiv:ID") for preprints.

Input: taxonomy, papers, effective labels. Output: the two files' text (deterministic). Every field
is escaped through `surveyor.escape` (LaTeX text, BibTeX values, URLs); identifiers that do not read
as what they claim to be (an arXiv id or category, a DOI) are left out of the entry.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from anyascii import anyascii

from ..escape import bib_name, bib_title, bib_url, bib_value, tex_escape, tex_label
from ..extract.papers import title_name
from ..library import paper_year, place, sort_key
from ..models import Classification, Paper
from ..sources.venue import venue_details
from ..taxonomy import Node, Taxonomy
from ..text import fold, is_arxiv_id, is_category

if TYPE_CHECKING:
    from ..graph import BenchmarkRow

_KEY_STOP = frozenset("a an the of for and on in with to from towards toward via is are do does can".split())
MAX_AUTHORS = 25  # names in an `author` field; more end in "and others"


def _lastname(author: str) -> str:
    name = author.split(",")[0] if "," in author else (author.split() or [""])[-1]
    return fold(anyascii(name)).replace(" ", "")


def _title_words(title: str) -> list[str]:
    """The title's significant words for a key: each whitespace-separated word transliterated and
    reduced to letters and digits (`End-to-End` -> `endtoend`, `Cambrian-S` -> `cambrians`), stop
    words left out."""
    words = (re.sub(r"[^a-z0-9]", "", anyascii(word).lower()) for word in title.split())
    return [w for w in words if w and w not in _KEY_STOP]


def base_key(paper: Paper) -> str:
    """`lastnameYEARword` when authors are known (Google Scholar's); else the title's first
    significant word, the year and the next word that starts with a letter (`endtoend2021referring`,
    `vidi2025large`), or the first two such words without a year (`endtoendreferring`)."""
    year = paper_year(paper) or ""
    if paper.authors and _lastname(paper.authors[0]):
        words = [w for w in fold(paper.display_title).split() if w not in _KEY_STOP] or ["paper"]
        return f"{_lastname(paper.authors[0])}{year}{words[0]}"
    words = _title_words(paper.display_title) or ["paper"]
    second = next((w for w in words[1:] if w[0].isalpha()), "")
    return f"{words[0]}{year}{second}"


_KEY_OK = re.compile(r"^[A-Za-z0-9_:.\-+/]+$")


def cite_keys(papers: list[Paper]) -> dict[str, str]:
    """Paper id -> BibTeX key. A key from the author's own .bib is kept; the others are
    `lastnameYEARword`, with a, b, c suffixes on clashes in paper-id order (stable)."""
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for paper in sorted(papers, key=lambda p: p.id):
        if paper.bibkey and _KEY_OK.match(paper.bibkey) and paper.bibkey.lower() not in taken:
            keys[paper.id] = paper.bibkey
            taken.add(paper.bibkey.lower())
    by_base: dict[str, list[str]] = defaultdict(list)
    for paper in sorted(papers, key=lambda p: p.id):
        if paper.id not in keys:
            by_base[base_key(paper)].append(paper.id)
    for base, ids in by_base.items():
        suffixes = iter(_suffixes()) if len(ids) > 1 or base.lower() in taken else iter([""])
        for pid in ids:
            key = base + next(suffixes)
            while key.lower() in taken:
                key = base + next(suffixes)
            taken.add(key.lower())
            keys[pid] = key
    return keys


def _suffixes() -> Iterator[str]:
    """a .. z, then aa, ab, ..."""
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    yield from letters
    for first in letters:
        for second in letters:
            yield first + second


_PLAIN_DOI = re.compile(r"10\.\d{4,9}/[^\s{}\\%#~^&$_\"]+")  # a DOI that needs no escaping


def bib_names(authors: list[str]) -> str:
    """The `author` field: each name through `bib_name`; after MAX_AUTHORS names, `and others`."""
    names = [bib_name(a) for a in authors[:MAX_AUTHORS]]
    return " and ".join(names + (["others"] if len(authors) > MAX_AUTHORS else []))


def entry_kind(paper: Paper) -> tuple[str, str | None, str | None]:
    """(entry type, the field naming where it appeared, its value): `@article` in a journal and
    `@inproceedings` at a conference (full names for known venues) when authors are known (both
    types require them); else `@misc`, with the venue or "arXiv preprint arXiv:ID" as `howpublished`."""
    if paper.venue:
        full, kind = venue_details(paper.venue)
        if not paper.authors:
            return "misc", "howpublished", bib_value(full)
        if (paper.venue_kind or kind) == "journal":
            return "article", "journal", bib_value(full)
        return "inproceedings", "booktitle", bib_value(full)
    if paper.arxiv_id and is_arxiv_id(paper.arxiv_id):
        return "misc", "howpublished", f"arXiv preprint arXiv:{paper.arxiv_id}"
    return "misc", None, None


def bib_entry(paper: Paper, key: str) -> str:
    """One BibTeX entry: authors, the type its venue calls for, the arXiv id (`eprint`) and a URL."""
    title = bib_title(paper.title) if paper.title else bib_value(paper.display_title)  # math kept as math
    fields: list[tuple[str, str]] = [("title", "{" + title + "}")]
    if paper.authors:
        fields.append(("author", bib_names(paper.authors)))
    kind, where, venue = entry_kind(paper)
    if where and venue:
        fields.append((where, venue))
    # "no date": natbib styles want a year. Written without its final period, which the style adds
    # itself: natbib's `\natexlab{a}` (two undated entries whose labels clash) comes between the
    # year and that period, and "n.d." would then print "n.d.." in the list of references.
    fields.append(("year", str(paper_year(paper) or "n.d")))
    if paper.arxiv_id and is_arxiv_id(paper.arxiv_id):
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        category = next((c for c in paper.categories if is_category(c)), None)
        if category:
            fields.append(("primaryClass", category))
        if paper.venue and not paper.authors:
            fields.append(("note", f"arXiv:{paper.arxiv_id}"))
    if paper.doi:
        fields.append(("doi", paper.doi if _PLAIN_DOI.fullmatch(paper.doi) else bib_value(paper.doi)))
    url = bib_url(paper.url)
    if url:
        fields.append(("url", url))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def render_bib(papers: list[Paper], keys: dict[str, str]) -> str:
    """references.bib: every cited paper, sorted by key."""
    return "\n".join(bib_entry(p, keys[p.id]) for p in sorted(papers, key=lambda p: keys[p.id]))


_LEVELS = ["section", "subsection", "subsubsection", "paragraph", "subparagraph"]


PREAMBLE = [
    r"\documentclass[11pt]{article}",
    r"\usepackage[T1]{fontenc}",
    r"\usepackage[utf8]{inputenc}",
    r"\usepackage{lmodern}",
    r"\usepackage[margin=1in]{geometry}",
    r"\usepackage{url}",
    r"\usepackage{booktabs}",
    r"\usepackage{longtable}",
    r"\usepackage{array}",
    r"\usepackage{adjustbox}",
    r"\usepackage[edges]{forest}",
    r"\usepackage[numbers,sort&compress]{natbib}",
    r"\usepackage[hidelinks]{hyperref}",
]
FIGURE_BEGIN = "% surveyor: taxonomy figure (forest); pandoc exports list the taxonomy instead"
FIGURE_END = "% surveyor: end of taxonomy figure"
LEAF_PAPERS = 6  # papers named in a leaf box of the taxonomy figure
TABLE_ROWS = 25  # rows of the benchmark table


def render_main(
    title: str,
    taxonomy: Taxonomy,
    papers: dict[str, Paper],
    labels: dict[str, Classification],
    benchmarks: Sequence[BenchmarkRow] = (),
    pandoc: bool = False,
) -> tuple[str, list[Paper], dict[str, str]]:
    """main.tex, the papers it cites, and their keys. With `pandoc`, the text pandoc converts (DOCX,
    HTML): the taxonomy as a nested list instead of the forest figure pandoc cannot draw."""
    placement = place(taxonomy, papers, labels)
    groups, homes = placement.groups(papers), placement.home
    rows = [r for r in benchmarks if r.papers][:TABLE_ROWS]
    cited_ids = {p.id for members in groups.values() for p in members}
    cited_ids |= {r.introduced_by for r in rows if r.introduced_by in papers}
    cited = sorted((papers[pid] for pid in cited_ids), key=lambda p: p.id)
    keys = cite_keys(cited)
    shown = Representatives(groups, keys, homes)
    where = "is listed below" if pandoc else r"is drawn in Figure~\ref{fig:taxonomy}"
    intro = f"The taxonomy this survey follows {where}, with representative papers"
    intro += (
        r"; Section~\ref{sec:benchmarks} lists the benchmarks the surveyed methods are evaluated on."
        if rows
        else "."
    )
    lines = [
        *PREAMBLE,
        "",
        rf"\title{{{tex_escape(title)}}}",
        r"\author{}",
        r"\date{}",
        "",
        r"\begin{document}",
        r"\maketitle",
        "",
        r"\begin{abstract}",
        tex_escape(taxonomy.description),
        r"\end{abstract}",
        "",
        r"\section{Introduction}",
        r"\label{sec:introduction}",
        "",
        intro,
        "",
        *(taxonomy_list(taxonomy, shown) if pandoc else taxonomy_figure(title, taxonomy, shown)),
    ]
    for node in taxonomy.nodes:
        lines += _node_tex(node, 0, groups, keys)
    if rows:
        lines += ["", *benchmark_table(rows, papers, keys)]
    lines += ["", r"\bibliographystyle{unsrtnat}", r"\bibliography{references}", "", r"\end{document}", ""]
    return "\n".join(lines), cited, keys


@dataclass
class Representatives:
    """The papers a taxonomy figure names in a leaf: those listed there first (their home), newest
    first, then the ones filed there as a second label."""

    groups: dict[str, list[Paper]]
    keys: dict[str, str]
    homes: dict[str, str]

    def __call__(self, node: Node) -> str:
        """LaTeX: up to LEAF_PAPERS names with their citations, and how many more there are."""
        members = sorted(
            self.groups.get(node.id, []), key=lambda p: (self.homes.get(p.id) != node.id, sort_key(p, True))
        )
        shown = members[:LEAF_PAPERS]
        text = ", ".join(f"{tex_escape(short_name(p))}~\\cite{{{self.keys[p.id]}}}" for p in shown)
        if len(members) > len(shown):
            text += f", and {len(members) - len(shown)} more"
        return text


def short_name(paper: Paper) -> str:
    """What a figure or table calls a paper: its acronym, the name its title announces, or the title
    cut to a few words."""
    name = paper.acronym or title_name(paper.title)
    if name:
        return name
    words = paper.display_title.split()
    return " ".join(words[:4]) + ("…" if len(words) > 4 else "")


def _forest_text(text: str, escaped: bool = False) -> str:
    """Node content for forest: escaped (unless it is LaTeX already) and braced so commas and
    brackets are text."""
    tex = text if escaped else tex_escape(text)
    return "{" + tex.replace("[", "{[}").replace("]", "{]}") + "}"


def taxonomy_figure(title: str, taxonomy: Taxonomy, shown: Representatives) -> list[str]:
    """The taxonomy drawn left to right with `forest`, the way surveys on arXiv draw theirs; each leaf
    names up to LEAF_PAPERS of its papers with their citations."""
    out = [
        FIGURE_BEGIN,
        r"\begin{figure}[!htbp]",
        r"\centering",
        r"\begin{adjustbox}{max width=\textwidth, max totalheight=0.9\textheight}",
        r"\begin{forest}",
        r"  forked edges,",
        r"  for tree={grow'=0, draw, rounded corners, anchor=west, child anchor=west, parent anchor=east,",
        r"    inner sep=2pt, l sep=5mm, s sep=1.5mm, text width=3.2cm, font=\small\raggedright},",
        r"  where level=0{text width=2.4cm, font=\small\bfseries\raggedright}{},",
        f"  [{_forest_text(title)}",
    ]

    def walk(node: Node, depth: int) -> None:
        pad = "  " * (depth + 2)
        out.append(f"{pad}[{_forest_text(node.name)}")
        for child in node.children:
            walk(child, depth + 1)
        if not node.children and shown.groups.get(node.id):
            leaf = _forest_text(shown(node), escaped=True)
            out.append(f"{pad}  [{leaf}, text width=8cm, font=\\footnotesize\\raggedright]")
        out.append(f"{pad}]")

    for node in taxonomy.nodes:
        walk(node, 0)
    out += [
        "  ]",
        r"\end{forest}",
        r"\end{adjustbox}",
        r"\caption{The taxonomy of this survey, with representative papers.}",
        r"\label{fig:taxonomy}",
        r"\end{figure}",
        FIGURE_END,
    ]
    return out


def taxonomy_list(taxonomy: Taxonomy, shown: Representatives) -> list[str]:
    """The taxonomy as nested lists for the pandoc exports: each node with its paper count, each
    leaf with its representative papers."""
    out: list[str] = []

    def walk(nodes: Sequence[Node], depth: int) -> None:
        pad = "  " * depth
        out.append(f"{pad}\\begin{{itemize}}")
        for node in nodes:
            n = len(shown.groups.get(node.id, []))
            count = f" ({n} {'paper' if n == 1 else 'papers'})" if n else ""
            papers = f": {shown(node)}" if n and not node.children else ""
            out.append(f"{pad}\\item \\textbf{{{tex_escape(node.name)}}}{count}{papers}")
            if node.children:
                walk(node.children, depth + 1)
        out.append(f"{pad}\\end{{itemize}}")

    walk(taxonomy.nodes, 0)
    return out


def benchmark_table(
    rows: Sequence[BenchmarkRow], papers: dict[str, Paper], keys: dict[str, str]
) -> list[str]:
    """The benchmarks the surveyed methods are evaluated on, most used first, with citations."""
    out = [
        r"\section{Benchmarks}",
        r"\label{sec:benchmarks}",
        "",
        "The benchmarks and datasets most used by the surveyed papers, with the paper that introduced",
        "each (when it is part of the survey) and the papers that report results on it.",
        "",
        r"\begin{longtable}{@{}p{3.2cm}p{1.6cm}r p{7.4cm}@{}}",
        r"\toprule",
        r"Benchmark & Introduced & Papers & Evaluated in \\",
        r"\midrule",
        r"\endhead",
    ]
    for row in rows:
        intro = rf"\cite{{{keys[row.introduced_by]}}}" if row.introduced_by in keys else "--"
        users = [pid for pid in row.papers if pid in keys]
        cites = rf"\cite{{{','.join(keys[pid] for pid in users)}}}" if users else "--"
        out.append(f"{tex_escape(row.name)} & {intro} & {len(row.papers)} & {cites} \\\\")
    out += [r"\bottomrule", r"\end{longtable}"]
    return out


def _node_tex(node: Node, depth: int, groups: dict[str, list[Paper]], keys: dict[str, str]) -> list[str]:
    level = _LEVELS[min(depth, len(_LEVELS) - 1)]
    out = ["", rf"\{level}{{{tex_escape(node.name)}}}", rf"\label{{sec:{tex_label(node.id)}}}"]
    if node.description:
        out += ["", tex_escape(node.description)]
    members = sorted(groups.get(node.id, []), key=lambda p: sort_key(p, True))
    if members:
        cites = ",".join(keys[p.id] for p in members)
        noun = "paper" if len(members) == 1 else "papers"
        out += ["", f"This category holds {len(members)} {noun}~\\cite{{{cites}}}."]
    for child in node.children:
        out += _node_tex(child, depth + 1, groups, keys)
    return out
