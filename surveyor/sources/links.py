"""What a link in a paper list points to, and what its label says.

Input: a URL, or a link's label. Output: a kind — `arxiv`, `doi`, `paper` (OpenReview, CVF, ACL
Anthology, proceedings, publishers, any PDF), `code` (GitHub, GitLab, Hugging Face models ...),
`anchor` (a place in the same page), `other` (social media, videos) or `project` (any other page) —
and whether a label only names the kind of link (`Paper`, `[Code]`, `Project Page`, a venue).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..text import parse_arxiv_id
from .venue import venue_span

_PAPER_HOSTS = (
    "openreview.net",
    "aclanthology.org",
    "aclweb.org",
    "thecvf.com",
    "cv-foundation.org",
    "ecva.net",
    "neurips.cc",
    "nips.cc",
    "mlr.press",
    "jmlr.org",
    "dl.acm.org",
    "ieeexplore.ieee.org",
    "link.springer.com",
    "sciencedirect.com",
    "nature.com",
    "science.org",
    "aaai.org",
    "ijcai.org",
    "semanticscholar.org",
    "biorxiv.org",
    "medrxiv.org",
    "ssrn.com",
    "researchgate.net",
    "bmva.org",
    "mdpi.com",
    "ncbi.nlm.nih.gov",
    "wiley.com",
    "tandfonline.com",
    "iopscience.iop.org",
    "frontiersin.org",
    "isca-archive.org",
    "isca-speech.org",
    "usenix.org",
    "ndss-symposium.org",
    "jstor.org",
    "papers.cool",
)
_PAPER_PATHS = ("huggingface.co/papers/", "paperswithcode.com/paper/", "scholar.google.")
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "gitee.com", "codeberg.org", "sourceforge.net")
_OTHER_HOSTS = (
    "twitter.com",
    "x.com",
    "youtube.com",
    "youtu.be",
    "bilibili.com",
    "zhihu.com",
    "medium.com",
    "reddit.com",
    "linkedin.com",
    "img.shields.io",
    "badgen.net",
)
_GENERIC = frozenset(
    """paper papers pdf arxiv code codes github gitlab project projectpage page webpage website homepage
    home link links demo demos video videos slides slide tweet blog dataset datasets data model models
    weights checkpoint checkpoints hf huggingface poster supp supplementary supplement bibtex bib citation
    cite openreview doi ieee acm springer star stars official pytorch tensorflow jax repo repository site
    web html abs abstract talk presentation colab notebook leaderboard proceedings publication pub
    openaccess cvf acl anthology download source sourcecode zhihu youtube twitter x reddit discord
    modelscope space spaces app unofficial implementation news tutorial docs documentation doc report
    technicalreport preprint journal conference here more details""".split()
)
_LETTER = re.compile(r"[^\W\d_]")


def host_path(url: str) -> tuple[str, str]:
    """(lower-case host without `www.`, path) of a URL; empty strings when it has none."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "", ""
    host = (parts.hostname or "").lower()
    return host.removeprefix("www."), parts.path


def _on(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def link_kind(url: str) -> str:
    """arxiv, doi, paper, code, anchor, other or project (see the module docstring)."""
    if url.startswith("#"):
        return "anchor"
    if parse_arxiv_id(url) and "arxiv.org" in url.lower():
        return "arxiv"
    host, path = host_path(url)
    if host in ("doi.org", "dx.doi.org") and path.startswith("/10."):
        return "doi"
    lower = url.lower()
    if host == "huggingface.co":
        return "paper" if path.startswith("/papers/") else "code"
    if _on(host, _PAPER_HOSTS) or any(p in lower for p in _PAPER_PATHS) or path.lower().endswith(".pdf"):
        return "paper"
    if _on(host, _CODE_HOSTS):
        return "code"
    if _on(host, _OTHER_HOSTS):
        return "other"
    if not host:
        return "anchor" if not re.match(r"^[a-z][a-z0-9+.-]*:", lower) else "other"
    return "project"


def doi_of(url: str) -> str | None:
    """The DOI a doi.org link points to."""
    host, path = host_path(url)
    return path[1:] if host in ("doi.org", "dx.doi.org") and path.startswith("/10.") else None


def is_generic_label(label: str) -> bool:
    """Whether a link's text only names the kind of link (`Paper`, `[Code]`, `🔗`, `[1]`, a URL, a venue)."""
    text = label.strip().strip("[](){}<>*_~`:.,;!-–—|").strip()
    if not _LETTER.search(text) or re.match(r"^[a-z]+://", text, re.I):
        return True
    words = re.findall(r"[^\W_]+", text.lower())
    if all(w in _GENERIC or w.isdigit() for w in words) or "".join(words) in _GENERIC:
        return True
    return is_venue_label(text)


_VENUE_EXTRA = re.compile(
    r"\b(oral|spotlight|poster|workshops?|findings|main|demo|short|long|best|paper|award|highlight|track)\b",
    re.I,
)


def is_venue_label(text: str) -> bool:
    """Whether a link text is a venue and year (`EMNLP 2023`, `CVPR'23`, `arXiv 2024`), not a title."""
    if len(text.split()) > 5:
        return False
    if re.fullmatch(r"(arxiv|preprint)\W*((19|20)?\d{2})?\W*", text.strip(), re.I):
        return True
    span = venue_span(text)
    if span is None:
        return False
    rest = text[: span[0]] + " " + text[span[1] :]
    return not _LETTER.search(_VENUE_EXTRA.sub(" ", rest))
