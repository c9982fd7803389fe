"""The LaTeX survey skeleton: `main.tex` with a section per top-level node, a subsection per child,
each with its description and its papers cited, and `references.bib` with stable readable keys.

Input: taxonomy, papers, effective labels. Output: the two files' text (deterministic). Every field
is escaped for LaTeX; characters pdfLaTeX cannot typeset are transliterated.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from ..models import Classification, Paper
from ..taxonomy import Node, Taxonomy
from ..text import fold
from .awesome import group_by_node, paper_year, sort_key

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_UNICODE = {
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
    "…": r"\ldots{}",
    "×": r"$\times$",
    "→": r"$\rightarrow$",
    "←": r"$\leftarrow$",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "±": r"$\pm$",
    "°": r"$^\circ$",
    "·": r"$\cdot$",
    "•": r"$\bullet$",
    "∼": r"$\sim$",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "γ": r"$\gamma$",
    "δ": r"$\delta$",
    "ε": r"$\epsilon$",
    "θ": r"$\theta$",
    "λ": r"$\lambda$",
    "μ": r"$\mu$",
    "π": r"$\pi$",
    "σ": r"$\sigma$",
    "τ": r"$\tau$",
    "φ": r"$\phi$",
    "ω": r"$\omega$",
    "Δ": r"$\Delta$",
    "Σ": r"$\Sigma$",
    "²": r"\textsuperscript{2}",
    "³": r"\textsuperscript{3}",
    "\u00a0": "~",
}
_KEY_STOP = frozenset("a an the of for and on in with to from towards toward via is are do does can".split())
JOURNALS = frozenset({"TIP", "TPAMI", "IJCV", "TMM", "TCSVT", "TMLR", "JMLR", "ACM Computing Surveys"})


def tex_escape(text: str) -> str:
    """Escape LaTeX specials and transliterate what pdfLaTeX (T1, utf8) cannot typeset."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in _SPECIALS:
            out.append(_SPECIALS[char])
        elif char in _UNICODE:
            out.append(_UNICODE[char])
        elif ord(char) < 0x250 and (char.isprintable() or char == " "):
            out.append(char)  # ASCII and Latin-1/Extended-A: utf8 inputenc with T1 handles these
        else:
            ascii_form = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(tex_escape(ascii_form) if ascii_form else "")
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _lastname(author: str) -> str:
    name = author.split(",")[0] if "," in author else (author.split() or [""])[-1]
    return fold(name).replace(" ", "")


def base_key(paper: Paper) -> str:
    """`lastnameYEARword` when authors are known, else `titlewordYEARword`."""
    words = [w for w in fold(paper.display_title).split() if w not in _KEY_STOP] or ["paper"]
    year = paper_year(paper) or ""
    if paper.authors and _lastname(paper.authors[0]):
        return f"{_lastname(paper.authors[0])}{year}{words[0]}"
    return f"{words[0]}{year}{words[1] if len(words) > 1 else ''}"


def cite_keys(papers: list[Paper]) -> dict[str, str]:
    """Paper id -> BibTeX key; clashes get a, b, c suffixes in paper-id order (stable)."""
    by_base: dict[str, list[str]] = defaultdict(list)
    for paper in sorted(papers, key=lambda p: p.id):
        by_base[base_key(paper)].append(paper.id)
    keys = {}
    for base, ids in by_base.items():
        for i, pid in enumerate(ids):
            keys[pid] = base if len(ids) == 1 else f"{base}{chr(ord('a') + i)}"
    return keys


def bib_entry(paper: Paper, key: str) -> str:
    """One BibTeX entry: @misc for preprints, @inproceedings/@article for published papers."""
    fields: list[tuple[str, str]] = [("title", "{" + tex_escape(paper.display_title) + "}")]
    if paper.authors:
        fields.append(("author", " and ".join(tex_escape(a) for a in paper.authors)))
    else:  # BibTeX styles sort by author, else by `key`
        fields.append(("key", tex_escape(paper.display_title)))
    if paper_year(paper):
        fields.append(("year", str(paper_year(paper))))
    kind = "misc"
    if paper.venue and paper.authors:
        kind = "article" if paper.venue in JOURNALS else "inproceedings"
        fields.append(("journal" if kind == "article" else "booktitle", tex_escape(paper.venue)))
    elif paper.venue:  # those entry types require authors; no listing we read gives them
        fields.append(("howpublished", tex_escape(paper.venue)))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
    if paper.doi:
        fields.append(("doi", tex_escape(paper.doi)))
    if paper.url:
        fields.append(("url", paper.url.replace("%", r"\%").replace("#", r"\#")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def render_bib(papers: list[Paper], keys: dict[str, str]) -> str:
    """references.bib: every cited paper, sorted by key."""
    return "\n".join(bib_entry(p, keys[p.id]) for p in sorted(papers, key=lambda p: keys[p.id]))


_LEVELS = ["section", "subsection", "subsubsection", "paragraph", "subparagraph"]


def render_main(
    title: str, taxonomy: Taxonomy, papers: dict[str, Paper], labels: dict[str, Classification]
) -> tuple[str, list[Paper], dict[str, str]]:
    """main.tex, the papers it cites, and their keys."""
    groups = group_by_node(taxonomy, papers, labels)
    cited = sorted({p.id: p for members in groups.values() for p in members}.values(), key=lambda p: p.id)
    keys = cite_keys(cited)
    lines = [
        r"\documentclass[11pt]{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{lmodern}",
        r"\usepackage[margin=1in]{geometry}",
        r"\usepackage{url}",
        r"\usepackage[hidelinks]{hyperref}",
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
    ]
    for node in taxonomy.nodes:
        lines += _node_tex(node, 0, groups, keys)
    lines += ["", r"\bibliographystyle{plain}", r"\bibliography{references}", "", r"\end{document}", ""]
    return "\n".join(lines), cited, keys


def _node_tex(node: Node, depth: int, groups: dict[str, list[Paper]], keys: dict[str, str]) -> list[str]:
    level = _LEVELS[min(depth, len(_LEVELS) - 1)]
    out = ["", rf"\{level}{{{tex_escape(node.name)}}}", rf"\label{{sec:{_label(node.id)}}}"]
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


def _label(node_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9:.\-]", "-", node_id)
